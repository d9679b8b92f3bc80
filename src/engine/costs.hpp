// Cost models as pure functions (docs/execution.md, "Costs"): the slipped fill price and
// the commission of one fill. tests/engine/costs_test.cpp checks each model.
#pragma once

#include <algorithm>
#include <cmath>

#include "ml4t/backtest/engine/engine_config.hpp"

namespace ml4t::backtest::detail {

/// What an order has filled and paid so far (commission minimums are per order).
struct OrderFillsSoFar {
  double filled_abs = 0;          //!< shares filled
  double filled_notional = 0;     //!< sum of shares x fill price
  double commission_charged = 0;  //!< commission paid by its fills
};

/// The fill price after slippage. `sign` +1 buys, -1 sells; `volume` is the bar's volume
/// (NaN when missing) for the volume-share model.
inline double slipped_price(const SlippageConfig& s, double base, double sign, double qty_abs, double volume) {
  switch (s.type) {
    case SlippageType::kNone:
      return base;
    case SlippageType::kPercentage:
      return base * (1.0 + sign * s.rate);
    case SlippageType::kFixed:
      return std::max(base + sign * s.rate, 0.0);
    case SlippageType::kVolumeShare: {
      // Impact grows with the order's share of the bar's volume (capped at all of it).
      const double share = std::isfinite(volume) && volume > 0 ? std::min(qty_abs / volume, 1.0) : 1.0;
      return base * (1.0 + sign * s.rate * share);
    }
  }
  return base;
}

/// Commission of a fill of `qty_abs` shares at `price` for an order that has `so_far`.
/// Minimums are per order: a partial fill pays what brings the order's total to
/// max(rate x cumulative, minimum); a fixed commission is paid on the first fill.
inline double commission_for(const CommissionConfig& c, const OrderFillsSoFar& so_far, double qty_abs, double price) {
  switch (c.type) {
    case CommissionType::kNone:
      return 0.0;
    case CommissionType::kPerShare:
      return std::max(c.rate * (so_far.filled_abs + qty_abs), c.minimum) - so_far.commission_charged;
    case CommissionType::kPercentage:
      return std::max(c.rate * (so_far.filled_notional + qty_abs * price), c.minimum) - so_far.commission_charged;
    case CommissionType::kFixed:
      return so_far.filled_abs == 0 ? c.rate : 0.0;
  }
  return 0.0;
}

}  // namespace ml4t::backtest::detail
