// The broker's order vocabulary: an OrderRequest (what a strategy asks for), a working
// Order (what the book keeps until it is filled, cancelled, rejected or expired) and the
// per-asset totals of the book.
#pragma once

#include <cstdint>

#include "engine/costs.hpp"
#include "ml4t/backtest/core/batch.hpp"
#include "ml4t/backtest/engine/orders.hpp"

namespace ml4t::backtest::detail {

/// An order as a strategy places it.
struct OrderRequest {
  AssetId asset = kNoAsset;
  double quantity = 0;  //!< signed: > 0 buys, < 0 sells
  OrderType type = OrderType::kMarket;
  double limit = kMissing;  //!< limit and stop-limit orders
  double stop = kMissing;   //!< stop and stop-limit orders
  double trail = kMissing;  //!< trailing stops: a fraction in (0, 1)
  TimeInForce tif = TimeInForce::kGtc;
};

/// A market order for `quantity` of `asset`.
inline OrderRequest market_order(AssetId asset, double quantity) {
  OrderRequest r;
  r.asset = asset;
  r.quantity = quantity;
  return r;
}

/// An order in the book.
struct Order {
  uint64_t id = 0;
  AssetId asset = kNoAsset;
  OrderType type = OrderType::kMarket;
  TimeInForce tif = TimeInForce::kGtc;
  double remaining = 0;  //!< signed quantity still to fill
  double limit = kMissing, stop = kMissing, trail = kMissing;
  double extreme = kMissing;  //!< trailing stops: best price since placed
  OrderFillsSoFar so_far;     //!< for the per-order commission minimum
  uint64_t created_seq = 0;   //!< group sequence (1-based) it was placed in; 0 = on_start
  int64_t expiry_day = -1;    //!< DAY orders: last UTC day (days since epoch) it may fill
  bool triggered = false;     //!< stop-limit: stop reached, now a limit order
  /// backtrader's order.created.price: the limit/stop price, else the last close at placement.
  double created_price = kMissing;
  bool submit_checked = true;  //!< backtrader checksubmit: false until the check accepted it
  bool open = true;
  bool exit_first = false;  //!< reduces the position: processed before entries
};

/// One asset's share of the book.
struct AssetOrders {
  double pending_qty = 0;  //!< signed remaining quantity of open orders
  int open_orders = 0;
  double volume_used = 0;   //!< quantity filled in the current bar (participation)
  uint64_t volume_seq = 0;  //!< the group volume_used counts for
};

}  // namespace ml4t::backtest::detail
