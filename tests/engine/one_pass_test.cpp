// run_in_one_pass: several engines over one read of a feed give, engine by engine, the
// results each gives alone on a fresh feed (bit for bit); a failing engine drops out
// alone; engines of another feed are refused.
#include <gtest/gtest.h>

#include <stdexcept>

#include "engine_test_support.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {
namespace {

using testing::Script;

// Three assets with different paths, 30 bars each.
std::unique_ptr<InMemoryDataFeed> three_assets() {
  std::vector<testing::Series> series;
  for (int a = 0; a < 3; ++a) {
    testing::Series s{std::string(1, static_cast<char>('A' + a)), {}, {}};
    for (int i = 0; i < 30; ++i) {
      const double base = 100 + a * 10 + ((i * (a + 3)) % 7) - 3;
      s.bars.push_back({base, base + 2, base - 2, base + ((i + a) % 3) - 1, 1000.0 + i});
    }
    series.push_back(std::move(s));
  }
  return testing::make_feed(series);
}

// A script that buys asset (bar % 3) every `every` bars and closes it two bars later;
// throws at bar `fail_at` when given.
Script::Step trader(int every, double qty, int fail_at = -1) {
  return [every, qty, fail_at](Script& s, int bar) {
    if (bar == fail_at) throw std::runtime_error("strategy failed on purpose");
    if (bar % every == 0) s.order(static_cast<AssetId>(bar % 3), qty);
    if (bar >= 2 && (bar - 2) % every == 0) s.close_position(static_cast<AssetId>((bar - 2) % 3));
  };
}

void expect_same(const Results& a, const Results& b) {
  ASSERT_EQ(a.equity_curve.size(), b.equity_curve.size());
  for (size_t i = 0; i < a.equity_curve.size(); ++i) {
    EXPECT_EQ(a.equity_curve[i].equity, b.equity_curve[i].equity) << "equity point " << i;  // exact
    EXPECT_EQ(a.equity_curve[i].cash, b.equity_curve[i].cash) << "cash at point " << i;
  }
  ASSERT_EQ(a.fills.size(), b.fills.size());
  for (size_t i = 0; i < a.fills.size(); ++i) {
    EXPECT_EQ(a.fills[i].price, b.fills[i].price);
    EXPECT_EQ(a.fills[i].quantity, b.fills[i].quantity);
    EXPECT_EQ(a.fills[i].timestamp, b.fills[i].timestamp);
  }
  EXPECT_EQ(a.trades.size(), b.trades.size());
  EXPECT_EQ(a.orders.size(), b.orders.size());
  EXPECT_EQ(a.final_equity, b.final_equity);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.metrics.total_return, b.metrics.total_return);
  EXPECT_EQ(a.metrics.sharpe, b.metrics.sharpe);
}

EngineConfig with_commission(double rate) {
  EngineConfig c;
  c.execution.commission.type = CommissionType::kPercentage;
  c.execution.commission.rate = rate;
  return c;
}

TEST(OnePass, EveryEngineGetsWhatItsOwnRunGives) {
  const std::vector<int> every = {1, 2, 5};
  const std::vector<double> qty = {10, 25, 7};
  const std::vector<double> commission = {0.0, 0.001, 0.002};

  std::vector<Results> alone;
  for (size_t k = 0; k < every.size(); ++k) {
    auto feed = three_assets();
    alone.push_back(testing::run_script(*feed, trader(every[k], qty[k]), with_commission(commission[k])));
    ASSERT_FALSE(alone.back().fills.empty());
  }

  auto shared = three_assets();
  std::vector<std::unique_ptr<Script>> scripts;
  std::vector<std::unique_ptr<BacktestEngine>> engines;
  std::vector<BacktestEngine*> pass;
  for (size_t k = 0; k < every.size(); ++k) {
    scripts.push_back(std::make_unique<Script>(trader(every[k], qty[k])));
    engines.push_back(std::make_unique<BacktestEngine>(*shared, *scripts.back(), with_commission(commission[k])));
    pass.push_back(engines.back().get());
  }
  std::vector<PassOutcome> outcomes = run_in_one_pass(*shared, pass);
  ASSERT_EQ(outcomes.size(), 3u);
  for (size_t k = 0; k < outcomes.size(); ++k) {
    ASSERT_FALSE(outcomes[k].error) << "engine " << k;
    SCOPED_TRACE(k);
    expect_same(outcomes[k].results, alone[k]);
  }
  EXPECT_EQ(outcomes[0].results.events, 90u);  // 3 assets x 30 bars, read once for all three
  EXPECT_TRUE(shared->reached_end());
}

TEST(OnePass, AFailingEngineDropsOutAndTheOthersGoOn) {
  auto alone_feed = three_assets();
  const Results alone = testing::run_script(*alone_feed, trader(2, 10));

  auto shared = three_assets();
  Script failing(trader(2, 10, /*fail_at=*/4)), healthy(trader(2, 10));
  BacktestEngine first(*shared, failing), second(*shared, healthy);
  std::vector<PassOutcome> outcomes = run_in_one_pass(*shared, {&first, &second});
  ASSERT_TRUE(outcomes[0].error);
  try {
    std::rethrow_exception(outcomes[0].error);
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "strategy failed on purpose");
  }
  ASSERT_FALSE(outcomes[1].error);
  expect_same(outcomes[1].results, alone);
}

TEST(OnePass, AnEngineOfAnotherFeedIsRefused) {
  auto one = three_assets();
  auto other = three_assets();
  Script a(trader(1, 1)), b(trader(1, 1));
  BacktestEngine on_one(*one, a), on_other(*other, b);
  try {
    run_in_one_pass(*one, {&on_one, &on_other});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("engine 1 was built on another feed"), std::string::npos) << e.what();
  }
}

TEST(OnePass, AnEngineThatRanBeforeFailsAloneWithTheRunTwiceError) {
  auto shared = three_assets();
  Script a(trader(1, 1)), b(trader(1, 1));
  BacktestEngine used(*shared, a), fresh(*shared, b);
  // `used` reads the whole feed; the pass then has no event left for `fresh` either.
  used.run();
  std::vector<PassOutcome> outcomes = run_in_one_pass(*shared, {&used, &fresh});
  ASSERT_TRUE(outcomes[0].error);
  ASSERT_TRUE(outcomes[1].error);
  try {
    std::rethrow_exception(outcomes[0].error);
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("called twice"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ml4t::backtest
