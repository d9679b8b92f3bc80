// compute_metrics and detect_periods_per_year against values worked out by hand.
#include "ml4t/backtest/results/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ml4t::backtest {
namespace {

Timestamp day(int i) { return Timestamp::from_civil(2024, 1, 1) + std::chrono::hours(24 * i); }

EquityPoint point(int i, double equity, double gross = 0) {
  EquityPoint p;
  p.timestamp = day(i);
  p.equity = equity;
  p.cash = equity - gross;
  p.positions_value = gross;
  p.gross_value = gross;
  return p;
}

Trade trade(double pnl, bool open = false) {
  Trade t;
  t.pnl = pnl;
  t.open = open;
  return t;
}

TEST(Metrics, ReturnsRiskAndDrawdownByHand) {
  // Capital 100 -> 110 -> 99 -> 108.9: returns +10%, -10%, +10%.
  const std::vector<EquityPoint> curve = {point(0, 110, 50), point(1, 99, 50), point(2, 108.9)};
  const Metrics m = compute_metrics(curve, {}, {}, 252, 100);
  const double r1 = 110.0 / 100 - 1, r2 = 99.0 / 110 - 1, r3 = 108.9 / 99 - 1;
  const double mean = (r1 + r2 + r3) / 3;
  const double sd = std::sqrt(((r1 - mean) * (r1 - mean) + (r2 - mean) * (r2 - mean) + (r3 - mean) * (r3 - mean)) / 2);
  EXPECT_DOUBLE_EQ(m.total_return, 108.9 / 100 - 1);                              // 0.089
  EXPECT_DOUBLE_EQ(m.annual_volatility, sd * std::sqrt(252.0));                   // 0.11547 x 15.87
  EXPECT_DOUBLE_EQ(m.sharpe, mean / sd * std::sqrt(252.0));                       // ~4.58
  EXPECT_DOUBLE_EQ(m.sortino, mean / std::sqrt(r2 * r2 / 3) * std::sqrt(252.0));  // ~9.17
  EXPECT_DOUBLE_EQ(m.cagr, std::pow(1.089, 252.0 / 3) - 1);
  EXPECT_DOUBLE_EQ(m.max_drawdown, 99.0 / 110 - 1);  // -10%
  EXPECT_EQ(m.max_drawdown_duration_bars, 2);        // peak at bar 0, still under at bar 2
  EXPECT_DOUBLE_EQ(m.calmar, m.cagr / -(99.0 / 110 - 1));
  EXPECT_DOUBLE_EQ(m.exposure, 2.0 / 3);
  EXPECT_DOUBLE_EQ(m.periods_per_year, 252);
  // The same numbers from Python's statistics module (stdev, mean) on r = +0.1, -0.1,
  // +0.1: an independent check of the formulas above.
  EXPECT_NEAR(m.annual_volatility, 1.8330302779823362, 1e-12);
  EXPECT_NEAR(m.sharpe, 4.58257569495584, 1e-12);
  EXPECT_NEAR(m.sortino, 9.16515138991168, 1e-12);
  EXPECT_NEAR(m.cagr, 1288.2641288883594, 1e-8);
  EXPECT_NEAR(m.calmar, 12882.641288883593, 1e-7);
  EXPECT_NEAR(m.max_drawdown, -0.1, 1e-15);
}

TEST(Metrics, DrawdownDurationCountsUntilRecovery) {
  // 100 (peak) 90 95 100 (recovered after 3 bars) 120 (peak) 110 -> durations 3 and 1.
  const std::vector<EquityPoint> curve = {point(0, 100), point(1, 90),  point(2, 95),
                                          point(3, 100), point(4, 120), point(5, 110)};
  const Metrics m = compute_metrics(curve, {}, {}, 252);
  EXPECT_EQ(m.max_drawdown_duration_bars, 3);
  EXPECT_DOUBLE_EQ(m.max_drawdown, -0.1);
  EXPECT_DOUBLE_EQ(m.total_return, 110.0 / 100 - 1);  // from the first point
}

TEST(Metrics, TradeStatisticsCountClosedTrades) {
  // Wins 10 and 20, loss -5, a flat 0 and an open trade (ignored): 4 closed trades.
  const std::vector<Trade> trades = {trade(10), trade(-5), trade(20), trade(0), trade(100, true)};
  const Metrics m = compute_metrics({point(0, 100)}, trades, {}, 252);
  EXPECT_EQ(m.num_trades, 4);
  EXPECT_DOUBLE_EQ(m.win_rate, 0.5);       // 2 of 4
  EXPECT_DOUBLE_EQ(m.profit_factor, 6.0);  // 30 / 5
  EXPECT_DOUBLE_EQ(m.avg_win, 15.0);
  EXPECT_DOUBLE_EQ(m.avg_loss, -5.0);
  // Only winners: profit factor is infinite; no trades: everything 0.
  EXPECT_EQ(compute_metrics({}, {trade(1)}, {}, 252).profit_factor, std::numeric_limits<double>::infinity());
  const Metrics empty = compute_metrics({}, {}, {}, 0);
  EXPECT_EQ(empty.num_trades, 0);
  EXPECT_DOUBLE_EQ(empty.profit_factor, 0);
  EXPECT_DOUBLE_EQ(empty.periods_per_year, 252);
}

TEST(Metrics, TurnoverIsAnnualizedTradedNotionalOverAverageEquity) {
  // Notional 10 x 100 + 10 x 110 = 2100; average equity (100000 + 102000) / 2 = 101000;
  // 2 bars at 252/year -> 2100 / 101000 x 126.
  Fill a, b;
  a.quantity = 10;
  a.price = 100;
  b.quantity = 10;
  b.price = 110;
  const Metrics m = compute_metrics({point(0, 100000), point(1, 102000)}, {}, {a, b}, 252);
  EXPECT_DOUBLE_EQ(m.turnover, 2100.0 / 101000.0 * 126.0);
}

TEST(Metrics, FlatCurveHasNoRisk) {
  const Metrics m = compute_metrics({point(0, 100), point(1, 100), point(2, 100)}, {}, {}, 252, 100);
  EXPECT_EQ(m.total_return, 0);
  EXPECT_EQ(m.sharpe, 0);
  EXPECT_EQ(m.sortino, 0);
  EXPECT_EQ(m.max_drawdown, 0);
  EXPECT_EQ(m.calmar, 0);
  EXPECT_EQ(m.exposure, 0);
}

TEST(Metrics, DetectsTheBarFrequencyFromTheMedianSpacing) {
  auto curve = [](std::vector<Timestamp> ts) {
    std::vector<EquityPoint> c;
    for (auto t : ts) {
      EquityPoint p;
      p.timestamp = t;
      c.push_back(p);
    }
    return c;
  };
  const auto t0 = Timestamp::from_civil(2024, 1, 1, 14, 30);
  using std::chrono::hours;
  using std::chrono::minutes;
  // Daily with a weekend gap: spacings 1, 1, 3, 1 days -> median 1 day -> 252.
  EXPECT_DOUBLE_EQ(
      detect_periods_per_year(curve({t0, t0 + hours(24), t0 + hours(48), t0 + hours(120), t0 + hours(144)})), 252);
  // Hourly with an overnight gap: ceil(6.5) = 7 bars/day.
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + hours(1), t0 + hours(2), t0 + hours(3), t0 + hours(20)})),
                   252 * 7);
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + minutes(1), t0 + minutes(2)})), 252 * 390);
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + minutes(5), t0 + minutes(10)})), 252 * 78);
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + hours(24 * 7), t0 + hours(24 * 14)})), 52);
  // Month ends: 31, 29, 31 days apart -> monthly, 12.
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({Timestamp::from_civil(2024, 1, 31), Timestamp::from_civil(2024, 3, 2),
                                                  Timestamp::from_civil(2024, 3, 31), Timestamp::from_civil(2024, 5, 1)})),
                   12);
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0})), 252);
  // The band edges: 4-hour bars are 2 a 6.5-hour session; 8- to 19-hour bars fit once a
  // session (252); 20 hours and up count as daily (252); 6 days and up as weekly.
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + hours(4), t0 + hours(8)})), 252 * 2);
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + hours(8), t0 + hours(16)})), 252);
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + hours(19), t0 + hours(38)})), 252);
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + hours(20), t0 + hours(40)})), 252);
  EXPECT_DOUBLE_EQ(detect_periods_per_year(curve({t0, t0 + hours(24 * 6), t0 + hours(24 * 12)})), 52);
  // An explicit value wins.
  EXPECT_DOUBLE_EQ(compute_metrics(curve({t0, t0 + minutes(1)}), {}, {}, 12).periods_per_year, 12);
}

}  // namespace
}  // namespace ml4t::backtest
