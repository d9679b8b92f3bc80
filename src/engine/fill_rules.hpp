// Fill rules: at what price an order fills against one bar, as small pure functions —
// one per rule of docs/execution.md ("Order types and prices"). The broker asks them;
// tests/engine/fill_rules_test.cpp checks each rule row by row. A result of NaN
// (kMissing) means "no fill on this bar".
#pragma once

#include <algorithm>

#include "ml4t/backtest/core/batch.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/orders.hpp"

namespace ml4t::backtest::detail {

/// One bar's prices, as the fill rules see them.
struct BarPrices {
  double open = kMissing, high = kMissing, low = kMissing, close = kMissing;
};

/// A buy limit L accepts `price` when price <= L; a sell limit when price >= L.
inline bool limit_satisfied(bool buy, double limit, double price) { return buy ? price <= limit : price >= limit; }

/// A buy stop S is reached by `price` when price >= S; a sell stop when price <= S.
inline bool stop_reached(bool buy, double stop, double price) { return buy ? price >= stop : price <= stop; }

/// Limit L: fills when the bar trades at L or better — at the open when it gapped
/// through L (the better price), else at L.
inline double limit_fill_price(bool buy, double limit, const BarPrices& bar) {
  if (limit_satisfied(buy, limit, bar.open)) return bar.open;
  return limit_satisfied(buy, limit, buy ? bar.low : bar.high) ? limit : kMissing;
}

/// Stop S (also a trailing stop at its level): fills when the bar trades through S — at
/// the open when it gapped through S (the worse price), else at S.
inline double stop_fill_price(bool buy, double stop, const BarPrices& bar) {
  if (stop_reached(buy, stop, bar.open)) return bar.open;
  return stop_reached(buy, stop, buy ? bar.high : bar.low) ? stop : kMissing;
}

/// A stop-limit's fill on one bar, and whether the bar triggered it.
struct StopLimitFill {
  bool triggered = false;  //!< the stop was reached (on this bar or before)
  double price = kMissing;
};

/// Stop-limit (S, L): once triggered it is a limit order. A bar opening through S
/// triggers it at the open, then it fills as a limit for the rest of the bar; a bar
/// trading through S intrabar fills at S when S satisfies L, else (Choice) it waits for
/// the next bar — OHLC cannot tell whether the price came back to L after the stop.
inline StopLimitFill stop_limit_fill_price(bool buy, double stop, double limit, bool triggered, const BarPrices& bar) {
  if (triggered || stop_reached(buy, stop, bar.open)) return {true, limit_fill_price(buy, limit, bar)};
  if (stop_reached(buy, stop, buy ? bar.high : bar.low)) {
    return {true, limit_satisfied(buy, limit, stop) ? stop : kMissing};
  }
  return {false, kMissing};
}

/// A trailing stop's level: `trail` below the best price seen (above it, for a buy).
inline double trailing_stop_level(bool buy, double extreme, double trail) {
  return buy ? extreme * (1.0 + trail) : extreme * (1.0 - trail);
}

/// The best price after a bar was checked: a sell's peak takes the high, a buy's trough
/// the low (a bar's own high never tightens the stop it is tested against); with
/// `TrailReference::kClose` both take the close (backtrader's trailadjust(pclose)).
inline double trailing_extreme_after(bool buy, double extreme, const BarPrices& bar,
                                     TrailReference reference = TrailReference::kHighLow) {
  if (reference == TrailReference::kClose) return buy ? std::min(extreme, bar.close) : std::max(extreme, bar.close);
  return buy ? std::min(extreme, bar.low) : std::max(extreme, bar.high);
}

/// `execution.rules.trigger_price: close` (zipline's Order.check_triggers(close)): limit,
/// stop and stop-limit orders see only the bar's close and fill there. A stop-limit whose
/// stop the close reached becomes a limit order (`triggered`) for this and later bars.
inline double close_trigger_price(OrderType type, bool buy, double limit, double stop, bool& triggered,
                                  double close) {
  switch (type) {
    case OrderType::kLimit:
      return limit_satisfied(buy, limit, close) ? close : kMissing;
    case OrderType::kStop:
      return stop_reached(buy, stop, close) ? close : kMissing;
    case OrderType::kStopLimit:
      if (!triggered && stop_reached(buy, stop, close)) triggered = true;
      return triggered && limit_satisfied(buy, limit, close) ? close : kMissing;
    case OrderType::kMarket:
    case OrderType::kTrailingStop:
      return kMissing;  // not routed here (market: open or close; trailing: by the broker)
  }
  return kMissing;
}

/// `fill_timing: same_bar_close`: the only price known when the strategy decided is the
/// close. Market orders fill there; limit/stop/stop-limit when the close satisfies them;
/// trailing stops never (their stop trails later bars).
inline double close_fill_price(OrderType type, bool buy, double limit, double stop, double close) {
  switch (type) {
    case OrderType::kMarket:
      return close;
    case OrderType::kLimit:
      return limit_satisfied(buy, limit, close) ? close : kMissing;
    case OrderType::kStop:
      return stop_reached(buy, stop, close) ? close : kMissing;
    case OrderType::kStopLimit:
      return stop_reached(buy, stop, close) && limit_satisfied(buy, limit, close) ? close : kMissing;
    case OrderType::kTrailingStop:
      return kMissing;
  }
  return kMissing;
}

/// Slippage never pushes a limit or stop-limit fill past its limit price.
inline double clamp_to_limit(OrderType type, bool buy, double limit, double price) {
  if (type != OrderType::kLimit && type != OrderType::kStopLimit) return price;
  return buy ? std::min(price, limit) : std::max(price, limit);
}

/// Volume participation: what fills of one asset may still take in this bar, before
/// rounding to shares — `participation` x the bar's volume less what earlier fills of
/// the bar took.
inline double participation_room(double participation, double volume, double used) {
  return participation * volume - used;
}

}  // namespace ml4t::backtest::detail
