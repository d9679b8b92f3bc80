// Results of a whole run checked by hand: every metric of a one-trade backtest (the
// expected numbers come from Python's statistics module, not from compute_metrics), the
// annualization factor detected from the bars or taken from the config, and the
// equity-curve columns (timestamp, cash, positions value, equity, drawdown).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "engine_test_support.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::make_feed;
using testing::run_script;
using testing::Script;

using testing::kBars;  // b0..b4, in engine_test_support.hpp

// Buy 10 at b1's open 102, sell at b3's open 104: equity 100000, 100010, 100030,
// 100020, 100020 (worked out in BrokerGolden.MarketOrderFillsAtNextOpen).
Results one_trade(EngineConfig config = {}) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  return run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
        if (bar == 2) s.order(0, -10);
      },
      std::move(config));
}

TEST(ResultsGolden, EquityCurveColumns) {
  const Results r = one_trade();
  ASSERT_EQ(r.equity_curve.size(), 5u);
  //                  cash   positions  equity   drawdown
  const double rows[5][4] = {{100000, 0, 100000, 0},
                             {98980, 1030, 100010, 0},
                             {98980, 1050, 100030, 0},
                             {100020, 0, 100020, 100020.0 / 100030 - 1},
                             {100020, 0, 100020, 100020.0 / 100030 - 1}};
  for (size_t i = 0; i < 5; ++i) {
    const EquityPoint& p = r.equity_curve[i];
    EXPECT_EQ(p.timestamp, day(static_cast<int>(i)));
    EXPECT_DOUBLE_EQ(p.cash, rows[i][0]) << i;
    EXPECT_DOUBLE_EQ(p.positions_value, rows[i][1]) << i;
    EXPECT_DOUBLE_EQ(p.equity, rows[i][2]) << i;
    EXPECT_DOUBLE_EQ(p.drawdown, rows[i][3]) << i;
  }
}

TEST(ResultsGolden, DrawdownIsMeasuredFromTheInitialCapital) {
  // Same-bar close: 10 bought at b0's close 100 with a commission of 5 -> equity 99995
  // at b0, already 5 below the capital: drawdown 99995 / 100000 - 1.
  EngineConfig config;
  config.execution.fill_timing = FillTiming::kSameBarClose;
  config.execution.commission = {CommissionType::kFixed, 5.0, 0.0};
  auto feed = make_feed({{"AAA", kBars, {}}});
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
      },
      config);
  EXPECT_DOUBLE_EQ(r.equity_curve[0].equity, 99995);
  EXPECT_DOUBLE_EQ(r.equity_curve[0].drawdown, 99995.0 / 100000 - 1);
  // b1: 99995 + 30 = 100025, a new peak.
  EXPECT_DOUBLE_EQ(r.equity_curve[1].drawdown, 0);
  // b2 100045 (peak), b3 100005, b4 99995: the deepest point is b4 against b2.
  EXPECT_DOUBLE_EQ(r.equity_curve[4].equity, 99995);
  EXPECT_DOUBLE_EQ(r.metrics.max_drawdown, 99995.0 / 100045 - 1);
  EXPECT_EQ(r.metrics.max_drawdown_duration_bars, 2);
}

TEST(ResultsGolden, EveryMetricOfAOneTradeRun) {
  const Results r = one_trade();
  const Metrics& m = r.metrics;
  // Returns 0, 1e-4, 1.9998e-4, -9.997e-5, 0 (the first against the capital);
  // statistics.stdev / mean x sqrt(252) etc. in Python give:
  EXPECT_DOUBLE_EQ(m.periods_per_year, 252);  // daily bars
  EXPECT_NEAR(m.total_return, 0.0002, 1e-15);
  EXPECT_NEAR(m.cagr, 0.010129956254012473, 1e-12);  // 1.0002^(252/5) - 1
  EXPECT_NEAR(m.annual_volatility, 0.0018097148614165108, 1e-12);
  EXPECT_NEAR(m.sharpe, 5.570216536452853, 1e-9);
  EXPECT_NEAR(m.sortino, 14.20356070251356, 1e-9);
  EXPECT_NEAR(m.max_drawdown, -9.997000899730768e-05, 1e-15);  // 100020 / 100030 - 1
  EXPECT_EQ(m.max_drawdown_duration_bars, 2);                    // peak b2, under at b3 and b4
  EXPECT_NEAR(m.calmar, 101.3299524088798, 1e-7);
  EXPECT_EQ(m.num_trades, 1);
  EXPECT_DOUBLE_EQ(m.win_rate, 1.0);
  EXPECT_EQ(m.profit_factor, std::numeric_limits<double>::infinity());  // no losing trade
  EXPECT_DOUBLE_EQ(m.avg_win, 20);
  EXPECT_DOUBLE_EQ(m.avg_loss, 0);
  EXPECT_DOUBLE_EQ(m.exposure, 0.4);  // holding at b1 and b2 of 5 bars
  // Traded 1020 + 1040 over an average equity of 100016, 5 bars at 252 a year.
  EXPECT_NEAR(m.turnover, 1.0380739081746921, 1e-12);
}

TEST(ResultsGolden, PeriodsPerYearFromTheConfigOverridesDetection) {
  EngineConfig config;
  config.execution.periods_per_year = 12;
  const Metrics m = one_trade(config).metrics;
  EXPECT_DOUBLE_EQ(m.periods_per_year, 12);
  EXPECT_NEAR(m.sharpe, 1.2155209007423782, 1e-9);  // mean / sd x sqrt(12)
  EXPECT_NEAR(m.cagr, 0.00048006720179194495, 1e-12);
}

TEST(ResultsGolden, PeriodsPerYearIsDetectedFromIntradayBars) {
  // Hourly bars 14:30..20:30 UTC on two days: median spacing 1 h -> 252 x 7.
  InMemoryDataFeed::Builder b;
  for (int d = 0; d < 2; ++d) {
    for (int h = 0; h < 7; ++h) {
      b.add_bar(Timestamp::from_civil(2024, 1, 2 + d, 14, 30) + std::chrono::hours(h), "AAA",
                Bar{100, 100, 100, 100, 1000});
    }
  }
  auto feed = b.build();
  const Results r = run_script(*feed, [](Script&, int) {});
  EXPECT_DOUBLE_EQ(r.metrics.periods_per_year, 1764);
}

TEST(ResultsGolden, ShortPositionsCountAsExposure) {
  // Short 10 from b1's open 102 to b3's open 104 (-20): exposed at b1 and b2 of 5 bars.
  auto feed = make_feed({{"AAA", kBars, {}}});
  const Results r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, -10);
    if (bar == 2) s.close_position(0);
  });
  EXPECT_DOUBLE_EQ(r.equity_curve[1].positions_value, -1030);
  EXPECT_DOUBLE_EQ(r.equity_curve[1].gross_value, 1030);
  EXPECT_DOUBLE_EQ(r.metrics.exposure, 0.4);
  EXPECT_DOUBLE_EQ(r.metrics.avg_loss, -20);
  EXPECT_DOUBLE_EQ(r.metrics.profit_factor, 0);  // no winning trade
}

TEST(ResultsGolden, LossesGiveProfitFactorAndAverageLoss) {
  // Two round trips of 10 shares: 102 -> 105 (+30) and 104 -> 101 (-30).
  auto feed = make_feed({{"AAA", kBars, {}}});
  const Results r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);   // b1 102
    if (bar == 1) s.order(0, -10);  // b2 105: +30
    if (bar == 2) s.order(0, 10);   // b3 104
    if (bar == 3) s.order(0, -10);  // b4 101: -30
  });
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 30);
  EXPECT_DOUBLE_EQ(r.trades[1].pnl, -30);
  EXPECT_EQ(r.metrics.num_trades, 2);
  EXPECT_DOUBLE_EQ(r.metrics.win_rate, 0.5);
  EXPECT_DOUBLE_EQ(r.metrics.profit_factor, 1.0);
  EXPECT_DOUBLE_EQ(r.metrics.avg_win, 30);
  EXPECT_DOUBLE_EQ(r.metrics.avg_loss, -30);
  EXPECT_DOUBLE_EQ(r.final_equity, 100000);
  EXPECT_EQ(r.metrics.total_return, 0);
}

}  // namespace
}  // namespace ml4t::backtest
