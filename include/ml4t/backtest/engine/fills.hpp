// One execution of (part of) an order: what the broker reports to the strategy
// (Strategy::on_fill) and to the `fills` output.
#pragma once

#include <cstdint>

#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/engine/orders.hpp"

namespace ml4t::backtest {

/// One execution of (part of) an order.
struct Fill {
  /// The order filled.
  uint64_t order_id = 0;
  /// The bar time of the fill.
  Timestamp timestamp;
  /// The asset.
  AssetId asset = kNoAsset;
  /// Buy or sell.
  Side side = Side::kBuy;
  double quantity = 0;  //!< positive
  double price = 0;     //!< after slippage
  /// Commission charged for this fill.
  double commission = 0;
  double slippage = 0;  //!< cash cost of slippage for this fill
};

}  // namespace ml4t::backtest
