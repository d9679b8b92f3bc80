// Summary metrics of a backtest computed from its equity curve, trades and fills:
// returns, risk, drawdowns, trade statistics, exposure and turnover, annualized with
// the bar frequency (detected from the timestamps unless given).
#pragma once

#include <vector>

#include "ml4t/backtest/engine/run_results.hpp"

namespace ml4t::backtest {

/// Bars per year from the median spacing of the equity curve's timestamps: daily (or
/// coarser than 20 h) 252, weekly 52, monthly 12; intraday 252 x ceil(6.5 h / spacing)
/// (hourly 252 x 7, minute 252 x 390). 252 when there are fewer than two points.
double detect_periods_per_year(const std::vector<EquityPoint>& equity_curve);

/// Compute every Metrics field. `periods_per_year` 0 = detect; `initial_capital` 0 =
/// the first equity point is the start (otherwise it is the value before the first bar).
/// Returns are per bar; volatility/Sharpe/Sortino use a zero risk-free rate. Trade
/// statistics count closed trades only.
Metrics compute_metrics(const std::vector<EquityPoint>& equity_curve, const std::vector<Trade>& trades,
                        const std::vector<Fill>& fills, double periods_per_year = 0, double initial_capital = 0);

}  // namespace ml4t::backtest
