// The portfolio: cash, signed positions with their average cost, the marks (last close
// and volume per asset), equity and the buying-power rule. Fills change it through
// apply_fill, which says what part of a fill closed and what part opened a position, for
// the trade journal.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/common.hpp"
#include "ml4t/backtest/core/batch.hpp"
#include "ml4t/backtest/engine/run_results.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

namespace ml4t::backtest::detail {

/// One asset's holding and marks.
struct Position {
  double qty = 0, avg_cost = 0, last_close = kMissing;
  double last_volume = kMissing;  //!< volume of its latest bar (end-of-data closing slippage)
  double realized = 0;            //!< net of commission
};

/// How a fill changed a position.
struct FillEffect {
  bool reduced = false;    //!< it traded against the position
  double closing = 0;      //!< quantity that reduced the position
  double gross = 0;        //!< P&L realized by the closing part, before commission
  bool flattened = false;  //!< the position is now flat
  double opening = 0;      //!< quantity that opened or added (after a flip, the remainder)
  bool opened = false;     //!< a position was opened from flat
};

class Portfolio {
 public:
  Portfolio() { open_positions_.reserve(64); }
  void start(double initial_capital) {
    cash_ = initial_capital;
    peak_equity_ = initial_capital;
    equity_valid_ = false;
  }
  void resize(size_t assets) {
    if (assets > positions_.size()) positions_.resize(assets);
  }
  size_t size() const { return positions_.size(); }
  /// The account's margin rule: `margin` false = cash account (free equity = equity -
  /// gross); true = equity must cover `initial_rate` x gross when exposure is added.
  void set_margin(bool margin, double initial_rate) {
    margin_ = margin;
    initial_rate_ = initial_rate;
  }
  bool margin() const { return margin_; }
  /// How free equity is defined, for rejection messages.
  std::string buying_power_rule() const {
    if (!margin_) return "equity minus gross exposure";
    return fmt::format("equity minus {:g} x gross exposure", initial_rate_);
  }

  const Position& position(AssetId asset) const { return positions_[asset]; }
  /// Signed quantity held (0 for an asset the book has not seen).
  double quantity(AssetId asset) const { return asset < positions_.size() ? positions_[asset].qty : 0.0; }
  double last_price(AssetId asset) const { return asset < positions_.size() ? positions_[asset].last_close : kMissing; }
  PositionInfo position_info(AssetId asset) const;
  /// Assets with a non-zero position, in the order they were opened.
  std::span<const AssetId> open_positions() const { return open_positions_; }
  double cash() const { return cash_; }

  /// New marks are about to be set: equity() must mark again.
  void invalidate_equity() { equity_valid_ = false; }
  void set_mark(AssetId asset, double close, double volume) {
    positions_[asset].last_close = close;
    positions_[asset].last_volume = volume;
  }
  /// Cash + positions at their marks (memoised until a fill or new marks).
  double equity() const;
  /// The equity point after the close; advances the running peak.
  EquityPoint equity_point(Timestamp now);
  /// The last equity point is being replaced: the peak goes back to the one before it.
  void restore_previous_peak() { peak_equity_ = previous_peak_; }

  /// Sum of |position value| at the marks.
  double gross_exposure() const {
    double value = 0, gross = 0;
    mark(&value, &gross);
    return gross;
  }
  /// Market value of the short positions at the marks (>= 0).
  double short_exposure() const;
  /// Cash in or out that belongs to no fill (financing, dividends); `amount` > 0 credits.
  void add_cash(double amount) {
    cash_ += amount;
    equity_valid_ = false;
  }

  /// Whether a fill of `signed_qty` at `price` (and `commission`) keeps free equity >= 0;
  /// `need` and `available` are for the rejection message.
  bool has_buying_power(AssetId asset, double signed_qty, double price, double commission, double* need,
                        double* available) const;
  /// Cash, position and average cost after a fill.
  FillEffect apply_fill(AssetId asset, double signed_qty, double price, double commission);

 private:
  void mark(double* positions_value, double* gross_value) const;

  std::vector<Position> positions_;
  std::vector<AssetId> open_positions_;
  double cash_ = 0;
  bool margin_ = false;
  double initial_rate_ = 1.0;
  // equity() memo: valid until cash, a position or a mark changes.
  mutable double equity_cached_ = 0;
  mutable bool equity_valid_ = false;
  double peak_equity_ = 0;
  double previous_peak_ = 0;  //!< the peak before the last equity point
};

// Inline: it runs for every fill.
inline FillEffect Portfolio::apply_fill(AssetId asset, double signed_qty, double price, double commission) {
  Position& p = positions_[asset];
  const double qty_abs = std::abs(signed_qty);
  equity_valid_ = false;  // cash and the position change
  cash_ -= signed_qty * price + commission;
  p.realized -= commission;

  FillEffect e;
  e.opening = qty_abs;  // the part that opens or adds
  if (p.qty != 0 && sign_of(signed_qty) == -sign_of(p.qty)) {
    e.reduced = true;
    e.closing = std::min(qty_abs, std::abs(p.qty));
    e.gross = e.closing * (price - p.avg_cost) * sign_of(p.qty);
    p.realized += e.gross;
    p.qty += sign_of(signed_qty) * e.closing;
    if (std::abs(p.qty) < kShareEpsilon) p.qty = 0;
    e.opening = qty_abs - e.closing;
    if (p.qty == 0) {
      e.flattened = true;
      p.avg_cost = 0;
      open_positions_.erase(std::find(open_positions_.begin(), open_positions_.end(), asset));
    }
  }
  if (e.opening > kShareEpsilon) {
    if (p.qty == 0) {
      e.opened = true;
      p.avg_cost = 0;
      open_positions_.push_back(asset);
    }
    const double held = std::abs(p.qty);
    p.avg_cost = (held * p.avg_cost + e.opening * price) / (held + e.opening);
    p.qty += sign_of(signed_qty) * e.opening;
  }
  return e;
}

}  // namespace ml4t::backtest::detail
