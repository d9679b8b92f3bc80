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

/// The portfolio at one timestamp, after the close.
struct EquityPoint {
  /// The bar time.
  Timestamp timestamp;
  /// Cash.
  double cash = 0;
  double positions_value = 0;  //!< signed market value of all positions at the close
  /// cash + positions_value.
  double equity = 0;
  double drawdown = 0;  //!< equity / running peak - 1 (<= 0)
  double gross_value = 0;  //!< sum of |position value| at the close (exposure)
};

enum class Side { kBuy, kSell };
enum class TradeSide { kLong, kShort };

enum class ExitReason { kSignal, kStopLoss, kTakeProfit, kTrailingStop, kEndOfData };

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

/// Summary metrics; names are the snake_case keys of summary.json.
struct Metrics {
  /// Final equity / initial capital - 1.
  double total_return = 0;
  /// Compound annual growth rate.
  double cagr = 0;
  /// Annualized standard deviation of per-bar returns.
  double annual_volatility = 0;
  /// Annualized Sharpe ratio (zero risk-free rate).
  double sharpe = 0;
  /// Annualized Sortino ratio (zero target).
  double sortino = 0;
  double max_drawdown = 0;              //!< most negative drawdown (<= 0)
  /// Longest time under a previous peak, in bars.
  int64_t max_drawdown_duration_bars = 0;
  /// cagr / |max_drawdown|.
  double calmar = 0;
  /// Share of closed trades with pnl > 0.
  double win_rate = 0;
  /// Gross wins / gross losses (+inf with wins and no losses).
  double profit_factor = 0;
  /// Mean pnl of winning trades.
  double avg_win = 0;
  /// Mean pnl of losing trades (negative).
  double avg_loss = 0;
  double exposure = 0;   //!< fraction of bars with any open position
  double turnover = 0;   //!< traded notional / average equity, annualized
  /// Closed trades.
  int64_t num_trades = 0;
  /// Bars per year used to annualize.
  double periods_per_year = 0;
};

/// Everything a backtest produced.
struct Results {
  std::vector<std::string> symbols;  //!< AssetId -> symbol
  /// One point per timestamp.
  std::vector<EquityPoint> equity_curve;
  /// Round trips, closed and open.
  std::vector<Trade> trades;
  /// Every fill.
  std::vector<Fill> fills;
  /// Every order with its final state.
  std::vector<OrderRecord> orders;
  /// Summary metrics.
  Metrics metrics;
  /// Starting cash.
  double initial_capital = 0;
  /// Equity after the last bar.
  double final_equity = 0;
  uint64_t events = 0;  //!< market events processed
};

std::string_view to_string(ExitReason reason);
std::string_view to_string(Side side);
std::string_view to_string(TradeSide side);
std::string_view to_string(OrderType type);
std::string_view to_string(OrderStatus status);
std::string_view to_string(TimeInForce tif);

}  // namespace ml4t::backtest
