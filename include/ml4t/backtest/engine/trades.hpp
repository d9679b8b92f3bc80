// Round trips (the trade journal's records) and why positions close.
#pragma once

#include <cstdint>
#include <string_view>

#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

enum class TradeSide { kLong, kShort };

enum class ExitReason { kSignal, kStopLoss, kTakeProfit, kTrailingStop, kEndOfData, kMarginCall, kDelisted };

/// A round trip in one asset, from flat to flat (or still open at the end).
struct Trade {
  /// The asset traded.
  AssetId asset = kNoAsset;
  /// Times of the first entry fill and the last exit fill.
  Timestamp entry_time, exit_time;  //!< exit_time: the last exit fill
  /// Long or short.
  TradeSide side = TradeSide::kLong;
  double quantity = 0;  //!< always positive
  /// Average entry price, quantity-weighted, after slippage.
  double entry_price = 0, exit_price = 0;  //!< average fill prices (after slippage)
  double pnl = 0;          //!< net of commission
  double return_fraction = 0;  //!< pnl / (entry_price x quantity), a fraction; the column "return" in files
  double commission = 0;   //!< entry + exit commission
  double slippage = 0;     //!< cost of slippage in cash, entry + exit
  /// Timestamps from the entry fill to the exit fill.
  int64_t bars_held = 0;
  /// What closed it.
  ExitReason exit_reason = ExitReason::kSignal;
  bool open = false;  //!< still open at the end (valued at the last close)
};

std::string_view to_string(TradeSide side);
std::string_view to_string(ExitReason reason);

}  // namespace ml4t::backtest
