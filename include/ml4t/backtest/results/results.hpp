// Results of a backtest: the equity curve, round-trip trades, fills, orders (rejected
// ones with reasons) and summary metrics. Plain records; writers (Parquet/CSV/JSON/
// HTML) and the metrics computation live beside this header.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

struct EquityPoint {
  Timestamp timestamp;
  double cash = 0;
  double positions_value = 0;  //!< signed market value of all positions at the close
  double equity = 0;
  double drawdown = 0;  //!< equity / running peak - 1 (<= 0)
};

enum class Side { kBuy, kSell };
enum class TradeSide { kLong, kShort };

enum class ExitReason { kSignal, kStopLoss, kTakeProfit, kTrailingStop, kEndOfData };

struct Trade {
  AssetId asset = kNoAsset;
  Timestamp entry_time, exit_time;
  TradeSide side = TradeSide::kLong;
  double quantity = 0;  //!< always positive
  double entry_price = 0, exit_price = 0;  //!< average fill prices (after slippage)
  double pnl = 0;          //!< net of commission
  double return_pct = 0;   //!< pnl / (entry_price x quantity)
  double commission = 0;   //!< entry + exit commission
  double slippage = 0;     //!< cost of slippage in cash, entry + exit
  int64_t bars_held = 0;
  ExitReason exit_reason = ExitReason::kSignal;
  bool open = false;  //!< still open at the end (valued at the last close)
};

struct Fill {
  uint64_t order_id = 0;
  Timestamp timestamp;
  AssetId asset = kNoAsset;
  Side side = Side::kBuy;
  double quantity = 0;  //!< positive
  double price = 0;     //!< after slippage
  double commission = 0;
  double slippage = 0;  //!< cash cost of slippage for this fill
};

enum class OrderType { kMarket, kLimit, kStop, kStopLimit, kTrailingStop };
enum class OrderStatus { kFilled, kPartiallyFilled, kCancelled, kRejected, kExpired, kOpen };

struct OrderRecord {
  uint64_t id = 0;
  Timestamp created, updated;
  AssetId asset = kNoAsset;
  Side side = Side::kBuy;
  OrderType type = OrderType::kMarket;
  double quantity = 0;
  double filled_quantity = 0;
  double limit_price = 0;  //!< NaN when not used
  double stop_price = 0;   //!< NaN when not used
  OrderStatus status = OrderStatus::kOpen;
  std::string reason;  //!< why rejected/cancelled; exit reason for rule exits
};

/// Summary metrics; names are the snake_case keys of summary.json.
struct Metrics {
  double total_return = 0;
  double cagr = 0;
  double annual_volatility = 0;
  double sharpe = 0;
  double sortino = 0;
  double max_drawdown = 0;              //!< most negative drawdown (<= 0)
  int64_t max_drawdown_duration_bars = 0;
  double calmar = 0;
  double win_rate = 0;
  double profit_factor = 0;
  double avg_win = 0;
  double avg_loss = 0;
  double exposure = 0;   //!< fraction of bars with any open position
  double turnover = 0;   //!< traded notional / average equity, annualized
  int64_t num_trades = 0;
  double periods_per_year = 0;
};

struct Results {
  std::vector<std::string> symbols;  //!< AssetId -> symbol
  std::vector<EquityPoint> equity_curve;
  std::vector<Trade> trades;
  std::vector<Fill> fills;
  std::vector<OrderRecord> orders;
  Metrics metrics;
  double initial_capital = 0;
  double final_equity = 0;
  uint64_t events = 0;  //!< market events processed
};

std::string_view to_string(ExitReason reason);
std::string_view to_string(Side side);
std::string_view to_string(TradeSide side);
std::string_view to_string(OrderType type);
std::string_view to_string(OrderStatus status);

}  // namespace ml4t::backtest
