// What one backtest run produces: the equity curve, round-trip trades, fills, orders
// (rejected ones with reasons) and summary metrics. Plain records owned by the engine;
// the writers (Parquet/CSV/JSON/HTML) in results/ read them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/engine/cashflows.hpp"
#include "ml4t/backtest/engine/fills.hpp"
#include "ml4t/backtest/engine/orders.hpp"
#include "ml4t/backtest/engine/trades.hpp"

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
  /// Financing accruals and corporate-action cash, in time order.
  std::vector<CashFlow> cashflows;
  /// Summary metrics.
  Metrics metrics;
  /// Starting cash.
  double initial_capital = 0;
  /// Equity after the last bar.
  double final_equity = 0;
  uint64_t events = 0;  //!< market events processed
  double elapsed_seconds = 0;  //!< wall-clock time of BacktestEngine::run()
};

}  // namespace ml4t::backtest
