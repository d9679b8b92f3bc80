// More hand-checked runs of the built-in strategies: signal_threshold's whole-share
// floor vs fractional shares and its short-only side; top_k's gross_exposure / k
// weights with k > 1, its short-only book, and its entry gates (min_confidence and a
// context rule block new entries, never exits or held positions).
#include <gtest/gtest.h>

#include "engine_test_support.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::make_feed;

Results run_spec(InMemoryDataFeed& feed, const StrategySpec& spec, EngineConfig config = {}) {
  auto strategy = make_builtin_strategy(spec, feed.schema());
  BacktestEngine engine(feed, *strategy, std::move(config));
  return engine.run();
}

std::vector<Bar> flat(size_t n, double price) { return std::vector<Bar>(n, Bar{price, price, price, price, 1e6}); }

TEST(SignalThresholdSizing, FloorsToWholeSharesUnlessFractional) {
  // b0 0.7 > 0.6: 10% of 100000 at close 30 = 333.33 shares; filled at b1's open 30.
  auto feed = make_feed({{"AAA", flat(3, 30), {0.7, 0.7, 0.7}}});
  const auto whole = run_spec(*feed, StrategySpec{});
  ASSERT_EQ(whole.fills.size(), 1u);
  EXPECT_EQ(whole.fills[0].quantity, 333.0);
  EXPECT_EQ(whole.fills[0].timestamp, day(1));

  EngineConfig fractional;
  fractional.execution.fractional_shares = true;
  auto feed2 = make_feed({{"AAA", flat(3, 30), {0.7, 0.7, 0.7}}});
  const auto frac = run_spec(*feed2, StrategySpec{}, fractional);
  ASSERT_EQ(frac.fills.size(), 1u);
  EXPECT_DOUBLE_EQ(frac.fills[0].quantity, 10000.0 / 30.0);  // 333.333...
}

TEST(SignalThresholdSizing, ShortSideNeverGoesLong) {
  // side short, short_entry 0.4 (short_exit defaults to exit 0.5):
  // b0 0.7 would be a long entry - ignored. b1 0.3 < 0.4: short floor(0.1 x 100000 /
  // close 101) = 99 shares, filled at b2's open 102. b2 0.45 holds; b3 0.55 > 0.5:
  // cover at b4's open 104 -> pnl 99 x (102 - 104) = -198.
  const std::vector<Bar> bars = {{100, 100, 100, 100, 1e6}, {100, 102, 99, 101, 1e6},  {102, 103, 101, 102, 1e6},
                                 {103, 104, 102, 103, 1e6}, {104, 105, 103, 104, 1e6}, {105, 106, 104, 105, 1e6}};
  auto feed = make_feed({{"AAA", bars, {0.7, 0.3, 0.45, 0.55, 0.55, 0.55}}});
  StrategySpec spec;
  spec.side = StrategySide::kShort;
  spec.short_entry = 0.4;
  const auto r = run_spec(*feed, spec);
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[0].side, Side::kSell);
  EXPECT_EQ(r.fills[0].quantity, 99.0);
  EXPECT_EQ(r.fills[0].timestamp, day(2));
  EXPECT_EQ(r.fills[0].price, 102.0);
  EXPECT_EQ(r.fills[1].side, Side::kBuy);
  EXPECT_EQ(r.fills[1].timestamp, day(4));
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_EQ(r.trades[0].side, TradeSide::kShort);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -198.0);
}

TEST(TopKSizing, GrossExposureIsSplitOverK) {
  // k 2, gross 0.8: 0.4 of 100000 in each of the two best (AAA at 100 -> 400 shares,
  // BBB at 50 -> 800 shares); CCC and DDD rank below. Flat prices keep the weights on
  // target, so no further orders.
  auto feed = make_feed({{"AAA", flat(3, 100), {0.9, 0.9, 0.9}},
                         {"BBB", flat(3, 50), {0.8, 0.8, 0.8}},
                         {"CCC", flat(3, 20), {0.1, 0.1, 0.1}},
                         {"DDD", flat(3, 25), {0.2, 0.2, 0.2}}});
  StrategySpec spec;
  spec.type = "top_k";
  spec.k = 2;
  spec.gross_exposure = 0.8;
  const auto r = run_spec(*feed, spec);
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.symbols[r.fills[0].asset], "AAA");
  EXPECT_EQ(r.fills[0].quantity, 400.0);
  EXPECT_EQ(r.symbols[r.fills[1].asset], "BBB");
  EXPECT_EQ(r.fills[1].quantity, 800.0);
  EXPECT_EQ(r.orders.size(), 2u);
  EXPECT_EQ(r.orders[0].type, OrderType::kMarket);
}

TEST(TopKSizing, ShortSideHoldsOnlyTheBottomK) {
  // side short, k 1, gross 0.5: short the lowest-ranked CCC, 0.5 x 100000 / 50 = 1000.
  auto feed = make_feed({{"AAA", flat(3, 100), {0.9, 0.9, 0.9}},
                         {"BBB", flat(3, 20), {0.5, 0.5, 0.5}},
                         {"CCC", flat(3, 50), {0.1, 0.1, 0.1}}});
  StrategySpec spec;
  spec.type = "top_k";
  spec.side = StrategySide::kShort;
  spec.k = 1;
  spec.gross_exposure = 0.5;
  const auto r = run_spec(*feed, spec);
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.symbols[r.fills[0].asset], "CCC");
  EXPECT_EQ(r.fills[0].side, Side::kSell);
  EXPECT_EQ(r.fills[0].quantity, 1000.0);
}

TEST(TopKSizing, GatesBlockNewEntriesButNotExitsOrHeldPositions) {
  // k 1, gross 0.5, rules: vix < 20 and confidence >= 0.8.
  //  b0 vix 25: AAA ranks first, the context rule blocks the entry.
  //  b1 vix 15: buy 0.5 x 100000 / 100 = 500 AAA (confidence 0.9), filled at b2.
  //  b2 vix 30: AAA still first and held: kept (on target, so no order).
  //  b3 vix 15: BBB ranks first but its confidence 0.5 blocks it; AAA drops out and is
  //             sold at b4's open even though nothing replaces it.
  //  b4: BBB still blocked.
  InMemoryDataFeed::Builder b({"ml_pred", "confidence"}, {"vix"});
  const double aaa[] = {0.9, 0.9, 0.9, 0.2, 0.2};
  const double bbb[] = {0.1, 0.1, 0.1, 0.95, 0.95};
  const double vix[] = {25, 15, 30, 15, 15};
  for (int i = 0; i < 5; ++i) {
    b.add_bar(testing::day(i), "AAA", Bar{100, 100, 100, 100, 1e6}, {aaa[i], 0.9});
    b.add_bar(testing::day(i), "BBB", Bar{50, 50, 50, 50, 1e6}, {bbb[i], 0.5});
    b.add_context(testing::day(i), {vix[i]});
  }
  auto feed = b.build();
  StrategySpec spec;
  spec.type = "top_k";
  spec.k = 1;
  spec.gross_exposure = 0.5;
  spec.min_confidence = 0.8;
  spec.context_filters = {{"vix", "<", 20}};
  const auto r = run_spec(*feed, spec);
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.symbols[r.fills[0].asset], "AAA");
  EXPECT_EQ(r.fills[0].side, Side::kBuy);
  EXPECT_EQ(r.fills[0].quantity, 500.0);
  EXPECT_EQ(r.fills[0].timestamp, day(2));
  EXPECT_EQ(r.symbols[r.fills[1].asset], "AAA");
  EXPECT_EQ(r.fills[1].side, Side::kSell);
  EXPECT_EQ(r.fills[1].quantity, 500.0);
  EXPECT_EQ(r.fills[1].timestamp, day(4));
  EXPECT_EQ(r.orders.size(), 2u);
}

}  // namespace
}  // namespace ml4t::backtest
