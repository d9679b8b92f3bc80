// The engine's order vocabulary: sides, order types, time in force, order states and
// the OrderRecord (an order and its final state, the `orders` output). Owned by the
// engine; results/ (writers, report) reads these, never the reverse.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

enum class Side { kBuy, kSell };

enum class OrderType { kMarket, kLimit, kStop, kStopLimit, kTrailingStop };
enum class OrderStatus { kFilled, kPartiallyFilled, kCancelled, kRejected, kExpired, kOpen };
/// Good-till-cancelled, or a day order (see docs/execution.md for when it expires).
enum class TimeInForce { kGtc, kDay };

/// An order and its final state (the `orders` output).
struct OrderRecord {
  /// Order id, as returned when it was placed.
  uint64_t id = 0;
  /// When it was placed and when its state last changed.
  Timestamp created, updated;  //!< updated: when its state last changed
  /// The asset.
  AssetId asset = kNoAsset;
  /// Buy or sell.
  Side side = Side::kBuy;
  /// Market, limit, stop, stop-limit or trailing stop.
  OrderType type = OrderType::kMarket;
  /// Quantity ordered (positive).
  double quantity = 0;
  /// Quantity filled so far.
  double filled_quantity = 0;
  double limit_price = 0;  //!< NaN when not used
  double stop_price = 0;   //!< NaN when not used
  double trail_percent = 0;  //!< trailing stops: fraction below the high-water mark (NaN otherwise)
  /// GTC or day.
  TimeInForce time_in_force = TimeInForce::kGtc;
  double avg_fill_price = 0;  //!< NaN until something fills
  /// Final status.
  OrderStatus status = OrderStatus::kOpen;
  std::string reason;  //!< why rejected/cancelled; exit reason for rule exits
};

// Names are the snake_case values written to the result files and accepted in configs.
std::string_view to_string(Side side);
std::string_view to_string(OrderType type);
std::string_view to_string(OrderStatus status);
std::string_view to_string(TimeInForce tif);

}  // namespace ml4t::backtest
