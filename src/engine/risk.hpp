// Risk rules (docs/execution.md, "Risk rules"): the entry limits checked when an order is
// placed (position size, position count, gross exposure, the context-field gate) and the
// protective exits evaluated on each bar after the entry (stop loss, take profit,
// trailing stop) — the latter a pure function, tested row by row.
#pragma once

#include <cmath>
#include <optional>
#include <span>
#include <string>

#include "engine/fill_rules.hpp"
#include "engine/market.hpp"
#include "engine/order_book.hpp"
#include "engine/portfolio.hpp"
#include "ml4t/backtest/core/schema.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/trades.hpp"

namespace ml4t::backtest::detail {

/// An order that adds exposure, as the entry limits see it (quantities signed, priced
/// at the last close).
struct EntryCheck {
  AssetId asset = kNoAsset;
  double projected = 0;  //!< position + open orders before the order
  double after = 0;      //!< ... and after it
  double added = 0;      //!< exposure it adds, in shares (> 0)
  double price = 0;      //!< the last close
};

class EntryLimits {
 public:
  /// Resolves the context field of min_vix/max_vix; ConfigError when the feed lacks it.
  EntryLimits(const RiskRules& rules, const Schema& schema);
  /// Whether any entry limit is configured (else check() always allows).
  bool active() const { return active_; }
  /// Why the order is refused, or "" when every limit allows it.
  std::string check(const EntryCheck& order, const Portfolio& portfolio, std::span<const AssetOrders> book,
                    const Market& market, const SymbolTable& symbols) const;

 private:
  const RiskRules& rules_;
  std::optional<FieldId> context_field_;
  bool active_ = false;
};

/// A protective exit decided on one bar.
struct ProtectiveExit {
  bool exit = false;
  ExitReason reason = ExitReason::kStopLoss;
  double price = kMissing;  //!< fill price before slippage
  double level = kMissing;  //!< the rule's level (the exit order's stop price)
};

inline bool has_position_rules(const RiskRules& r) {
  return r.stop_loss > 0 || r.take_profit > 0 || r.trailing_stop > 0;
}

/// Stop loss, take profit and trailing stop for a position of average cost `avg_cost`
/// with the round trip's high/low-water marks, on one bar. They fill like stops: at the
/// level, or at the open when the bar gapped through it (a take profit at the better
/// open). When a bar reaches an adverse level and the take profit, the adverse one is
/// assumed first (Choice); of stop loss and trailing stop the tighter one.
inline ProtectiveExit protective_exit(const RiskRules& r, bool is_long, double avg_cost, double high_water,
                                      double low_water, const BarPrices& bar) {
  double adverse = kMissing, favourable = kMissing;
  ExitReason adverse_reason = ExitReason::kStopLoss;
  if (r.stop_loss > 0) adverse = is_long ? avg_cost * (1 - r.stop_loss) : avg_cost * (1 + r.stop_loss);
  if (r.trailing_stop > 0) {
    const double trail = is_long ? high_water * (1 - r.trailing_stop) : low_water * (1 + r.trailing_stop);
    // The tighter level is hit first as the price moves against the position.
    if (std::isnan(adverse) || (is_long ? trail > adverse : trail < adverse)) {
      adverse = trail;
      adverse_reason = ExitReason::kTrailingStop;
    }
  }
  if (r.take_profit > 0) favourable = is_long ? avg_cost * (1 + r.take_profit) : avg_cost * (1 - r.take_profit);

  if (!std::isnan(adverse) && (is_long ? bar.open <= adverse : bar.open >= adverse)) {
    return {true, adverse_reason, bar.open, adverse};  // gapped through: the open
  }
  if (!std::isnan(favourable) && (is_long ? bar.open >= favourable : bar.open <= favourable)) {
    return {true, ExitReason::kTakeProfit, bar.open, favourable};
  }
  if (!std::isnan(adverse) && (is_long ? bar.low <= adverse : bar.high >= adverse)) {
    return {true, adverse_reason, adverse, adverse};
  }
  if (!std::isnan(favourable) && (is_long ? bar.high >= favourable : bar.low <= favourable)) {
    return {true, ExitReason::kTakeProfit, favourable, favourable};
  }
  return {};
}

}  // namespace ml4t::backtest::detail
