// The trade journal: each asset's round trip in progress (from flat to flat), turned into
// a Trade record when it closes (or, at the end, while still open). Also keeps the
// round trip's high/low-water marks for the trailing-stop rule.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "engine/common.hpp"
#include "engine/portfolio.hpp"
#include "engine/run_recorder.hpp"
#include "ml4t/backtest/engine/trades.hpp"

namespace ml4t::backtest::detail {

/// One asset's round trip in progress.
struct RoundTrip {
  bool in_trade = false;
  TradeSide side = TradeSide::kLong;
  Timestamp entry_time;
  uint64_t entry_seq = 0;  //!< group sequence of the entry fill
  double entry_qty = 0, entry_notional = 0, exit_qty = 0, exit_notional = 0;
  double gross = 0, commission = 0, slippage = 0;
  double high_water = 0, low_water = 0;  //!< trailing-stop rule
};

class TradeJournal {
 public:
  explicit TradeJournal(RunRecorder& recorder) : recorder_(recorder) {}

  void resize(size_t assets) {
    if (assets > trips_.size()) trips_.resize(assets);
  }
  RoundTrip& trip(AssetId asset) { return trips_[asset]; }
  const RoundTrip& trip(AssetId asset) const { return trips_[asset]; }

  /// Book a fill of `signed_qty` at `price` given what it did to the position (`effect`):
  /// the closing part goes to the trade in progress (finished when flat), the opening
  /// part starts or adds to one; commission and slippage are split pro rata.
  void on_fill(AssetId asset, const FillEffect& effect, double signed_qty, double price, double commission,
               double slippage, ExitReason reason, Timestamp now, uint64_t seq);
  /// Record the round trip of `asset` ending now; `open`: still open, valued at the mark.
  void finish(AssetId asset, const Position& position, ExitReason reason, bool open, Timestamp now, uint64_t seq);

 private:
  RunRecorder& recorder_;
  std::vector<RoundTrip> trips_;
};

// Inline: it runs for every fill.
inline void TradeJournal::on_fill(AssetId asset, const FillEffect& effect, double signed_qty, double price,
                                  double commission, double slippage, ExitReason reason, Timestamp now, uint64_t seq) {
  RoundTrip& t = trips_[asset];
  const double qty_abs = std::abs(signed_qty);
  double opening_commission = commission, opening_slippage = slippage;
  if (effect.reduced) {
    const double frac = effect.closing / qty_abs;
    t.gross += effect.gross;
    t.exit_qty += effect.closing;
    t.exit_notional += effect.closing * price;
    t.commission += commission * frac;
    t.slippage += slippage * frac;
    opening_commission = commission * (1 - frac);
    opening_slippage = slippage * (1 - frac);
    if (effect.flattened) {
      // A closed trade's record needs nothing of the (now flat) position.
      finish(asset, Position{}, reason, false, now, seq);
    }
  }
  if (effect.opening > kShareEpsilon) {
    if (effect.opened) {
      t.in_trade = true;
      t.side = signed_qty > 0 ? TradeSide::kLong : TradeSide::kShort;
      t.entry_time = now;
      t.entry_seq = seq;
      t.entry_qty = t.entry_notional = t.exit_qty = t.exit_notional = 0;
      t.gross = t.commission = t.slippage = 0;
      t.high_water = t.low_water = price;
    }
    t.entry_qty += effect.opening;
    t.entry_notional += effect.opening * price;
    t.commission += opening_commission;
    t.slippage += opening_slippage;
  }
}

}  // namespace ml4t::backtest::detail
