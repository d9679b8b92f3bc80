// Summary metrics of a backtest computed from its equity curve, trades and fills:
// returns, risk, drawdowns, trade statistics, exposure and turnover, annualized with
// the bar frequency (detected from the timestamps unless given). MetricsAccumulator
// takes the rows one at a time (a streamed run never holds them); compute_metrics
// feeds it from vectors, so both give bit-identical metrics.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "ml4t/backtest/engine/run_results.hpp"

namespace ml4t::backtest {

/// Bars per year from the median spacing of the equity curve's timestamps: daily (or
/// coarser than 20 h) 252, weekly 52, monthly 12; intraday 252 x ceil(6.5 h / spacing)
/// (hourly 252 x 7, minute 252 x 390). 252 when there are fewer than two points.
double detect_periods_per_year(const std::vector<EquityPoint>& equity_curve);

/// The bars per year one spacing between bars (nanoseconds) stands for (see above).
double periods_per_year_for_spacing(int64_t spacing_ns);

/// Metrics from rows given one at a time, in memory that does not grow with them: the
/// per-bar return moments (Welford), the drawdown state, trade and fill totals, and
/// a count of bar spacings per annualization factor for the frequency detection.
class MetricsAccumulator {
 public:
  /// `periods_per_year` 0 = detect; `initial_capital` 0 = the first equity point is the
  /// start (otherwise it is the value before the first bar).
  explicit MetricsAccumulator(double periods_per_year = 0, double initial_capital = 0);
  /// The next equity point (in time order).
  void add(const EquityPoint& point);
  /// A round trip (open ones do not count).
  void add(const Trade& trade);
  /// A fill (its notional counts toward turnover).
  void add(const Fill& fill);
  /// The metrics of everything added so far.
  Metrics metrics() const;

 private:
  double detected_periods_per_year() const;

  double periods_per_year_, initial_capital_;
  // Trades.
  int64_t closed_ = 0, wins_ = 0, losses_ = 0;
  double gross_win_ = 0, gross_loss_ = 0;
  // Equity points.
  uint64_t points_ = 0;
  double start_ = 0, last_equity_ = 0, previous_equity_ = 0;
  Timestamp previous_time_;
  uint64_t returns_ = 0;
  double return_sum_ = 0, return_mean_ = 0, return_m2_ = 0, down_sq_ = 0;  // Welford
  double peak_ = 0, max_drawdown_ = 0;
  int64_t peak_index_ = 0, max_drawdown_bars_ = 0;
  bool underwater_ = false;
  int64_t exposed_ = 0;
  double equity_sum_ = 0, traded_ = 0;
  // Bar spacings: how many map to each annualization factor (few distinct values), and
  // how many are not positive (they sort first).
  std::map<double, uint64_t> spacing_factors_;
  uint64_t nonpositive_spacings_ = 0;
};

/// Compute every Metrics field. `periods_per_year` 0 = detect; `initial_capital` 0 =
/// the first equity point is the start (otherwise it is the value before the first bar).
/// Returns are per bar; volatility/Sharpe/Sortino use a zero risk-free rate. Trade
/// statistics count closed trades only.
Metrics compute_metrics(const std::vector<EquityPoint>& equity_curve, const std::vector<Trade>& trades,
                        const std::vector<Fill>& fills, double periods_per_year = 0, double initial_capital = 0);

}  // namespace ml4t::backtest
