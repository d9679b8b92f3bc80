// The built-in strategies on hand-made data: signal_threshold (long, short, gates) and
// top_k (ranking, rebalancing, both books), and make_builtin_strategy's config errors.
#include "ml4t/backtest/engine/builtin_strategies.hpp"

#include <gtest/gtest.h>

#include "engine_test_support.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::make_feed;

const std::vector<Bar> kBars = {{100, 100, 100, 100, 1e6}, {100, 102, 99, 101, 1e6},  {102, 103, 101, 102, 1e6},
                                {103, 104, 102, 103, 1e6}, {104, 105, 103, 104, 1e6}, {105, 106, 104, 105, 1e6}};

Results run_spec(InMemoryDataFeed& feed, const StrategySpec& spec, EngineConfig config = {}) {
  auto strategy = make_builtin_strategy(spec, feed.schema());
  BacktestEngine engine(feed, *strategy, std::move(config));
  return engine.run();
}

TEST(SignalThreshold, EntersAboveEntryAndExitsBelowExit) {
  // b0 0.7 > 0.6: buy 10% of 100000 at close 100 = 100 shares, filled at b1's open 100.
  // b1 0.55 holds (>= exit 0.5); b2 0.4 < 0.5: close, filled at b3's open 103.
  // b4 0.65: buy floor(0.1 x 100300 / 104) = 96 shares at b5's open 105.
  auto feed = make_feed({{"AAA", kBars, {0.7, 0.55, 0.4, 0.45, 0.65, 0.9}}});
  auto r = run_spec(*feed, StrategySpec{});
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 100);
  EXPECT_EQ(r.fills[0].timestamp, day(1));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 100);
  EXPECT_EQ(r.fills[1].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 103);
  EXPECT_DOUBLE_EQ(r.fills[2].quantity, 96);
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 300);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kSignal);
  EXPECT_TRUE(r.trades[1].open);
}

TEST(SignalThreshold, ShortSideEntersBelowShortEntry) {
  // side both: b0 0.3 < 0.4: short 100 at b1's open 100; b1 0.45 (<= short_exit 0.5)
  // holds; b2 0.55 > 0.5: cover at b3's open 103 -> -300.
  auto feed = make_feed({{"AAA", kBars, {0.3, 0.45, 0.55, 0.5, 0.5, 0.5}}});
  StrategySpec spec;
  spec.side = StrategySide::kBoth;
  spec.short_entry = 0.4;
  auto r = run_spec(*feed, spec);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_EQ(r.trades[0].side, TradeSide::kShort);
  EXPECT_DOUBLE_EQ(r.trades[0].quantity, 100);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -300);
}

TEST(SignalThreshold, GatesBlockEntriesOnly) {
  // Context rule vix < 20: b0 vix 25 blocks the entry; b1 vix 15 lets it in (0.7 > 0.6);
  // b3 vix 30 does not block the exit (0.3 < 0.5).
  InMemoryDataFeed::Builder b({"ml_pred", "confidence"}, {"vix"});
  const double pred[] = {0.7, 0.7, 0.7, 0.3, 0.3, 0.3};
  const double vix[] = {25, 15, 15, 30, 30, 30};
  for (int i = 0; i < 6; ++i) {
    b.add_bar(day(i), "AAA", kBars[static_cast<size_t>(i)], {pred[i], 0.9});
    b.add_context(day(i), {vix[i]});
  }
  auto feed = b.build();
  StrategySpec spec;
  spec.context_filters = {{"vix", "<", 20}};
  spec.min_confidence = 0.8;
  auto r = run_spec(*feed, spec);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_EQ(r.trades[0].entry_time, day(2));
  EXPECT_EQ(r.trades[0].exit_time, day(4));
  // Confidence 0.9 < 0.95 blocks every entry.
  spec.min_confidence = 0.95;
  auto feed2 = b.build();
  EXPECT_TRUE(run_spec(*feed2, spec).fills.empty());
}

TEST(TopK, HoldsTheBestRankedAssetsAndRebalances) {
  // Three flat-priced assets (so weights stay exact), k = 1, gross 0.5.
  // b0 ranks CCC first: buy 0.5 x 100000 / 50 = 1000 CCC at b1.
  // b1 ranks AAA first: sell CCC, buy 0.5 x 100000 / 100 = 500 AAA at b2.
  const std::vector<Bar> a(4, Bar{100, 100, 100, 100, 1e6}), bb(4, Bar{20, 20, 20, 20, 1e6}),
      c(4, Bar{50, 50, 50, 50, 1e6});
  auto feed = make_feed(
      {{"AAA", a, {0.1, 0.9, 0.9, 0.9}}, {"BBB", bb, {0.2, 0.2, 0.2, 0.2}}, {"CCC", c, {0.3, 0.1, 0.1, 0.1}}});
  StrategySpec spec;
  spec.type = "top_k";
  spec.k = 1;
  spec.gross_exposure = 0.5;
  auto r = run_spec(*feed, spec);
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_EQ(r.fills[0].asset, 2u);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 1000);
  EXPECT_EQ(r.fills[1].asset, 2u);  // the exit first
  EXPECT_EQ(r.fills[1].side, Side::kSell);
  EXPECT_EQ(r.fills[2].asset, 0u);
  EXPECT_DOUBLE_EQ(r.fills[2].quantity, 500);
  EXPECT_EQ(r.fills[2].timestamp, day(2));
}

TEST(TopK, BothBooksSplitTheGross) {
  // side both, k = 1, gross 1.0: 0.5 long the best (AAA: 500 shares), 0.5 short the
  // worst (CCC: 1000 shares).
  const std::vector<Bar> a(3, Bar{100, 100, 100, 100, 1e6}), bb(3, Bar{20, 20, 20, 20, 1e6}),
      c(3, Bar{50, 50, 50, 50, 1e6});
  auto feed = make_feed({{"AAA", a, {0.9, 0.9, 0.9}}, {"BBB", bb, {0.5, 0.5, 0.5}}, {"CCC", c, {0.1, 0.1, 0.1}}});
  StrategySpec spec;
  spec.type = "top_k";
  spec.k = 1;
  spec.side = StrategySide::kBoth;
  auto r = run_spec(*feed, spec);
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[0].asset, 0u);
  EXPECT_EQ(r.fills[0].side, Side::kBuy);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 500);
  EXPECT_EQ(r.fills[1].asset, 2u);
  EXPECT_EQ(r.fills[1].side, Side::kSell);
  EXPECT_DOUBLE_EQ(r.fills[1].quantity, 1000);
  // Held weights are already on target on b1/b2: no more orders.
  EXPECT_EQ(r.orders.size(), 2u);
}

TEST(TopK, RebalancesOnlyEveryNBars) {
  const std::vector<Bar> a(5, Bar{100, 100, 100, 100, 1e6}), bb(5, Bar{100, 100, 100, 100, 1e6});
  auto feed = make_feed({{"AAA", a, {0.9, 0.1, 0.1, 0.1, 0.1}}, {"BBB", bb, {0.1, 0.9, 0.9, 0.9, 0.9}}});
  StrategySpec spec;
  spec.type = "top_k";
  spec.k = 1;
  spec.rebalance_every = 3;
  spec.weight_per_asset = 0.1;
  auto r = run_spec(*feed, spec);
  // b0: buy AAA; b1, b2 skipped; b3: switch to BBB (fills at b4).
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_EQ(r.fills[1].timestamp, day(4));
  EXPECT_EQ(r.fills[2].asset, 1u);
}

std::string spec_error(const StrategySpec& spec, const Schema& schema) {
  try {
    make_builtin_strategy(spec, schema);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(MakeBuiltinStrategy, ReportsConfigErrors) {
  const Schema schema({"ml_pred", "confidence"}, {"vix"});
  StrategySpec spec;
  spec.type = "momentum";
  EXPECT_EQ(spec_error(spec, schema), "strategy.type: unknown strategy \"momentum\"; use signal_threshold or top_k");
  spec = {};
  spec.signal = "alpha";
  EXPECT_EQ(spec_error(spec, schema),
            "strategy.signal: the feed has no signal field \"alpha\"; known signal fields: [ml_pred, confidence]; set "
            "strategy.signal to one of them or add the column to the signals source");
  spec = {};
  spec.min_confidence = 0.5;
  spec.confidence_signal = "conf";
  EXPECT_EQ(spec_error(spec, schema),
            "strategy.confidence_signal: the feed has no signal field \"conf\" (needed by strategy.min_confidence); "
            "known signal fields: [ml_pred, confidence]; set strategy.confidence_signal or drop min_confidence");
  spec = {};
  spec.context_filters = {{"vix", "<", 20}, {"regime", ">", 0}};
  EXPECT_EQ(spec_error(spec, schema),
            "strategy.context_filters[1].field: the feed has no context field \"regime\"; known context fields: "
            "[vix]; add a context source with that column or fix the name");
  spec = {};
  spec.context_filters = {{"vix", "=<", 20}};
  EXPECT_EQ(spec_error(spec, schema),
            "strategy.context_filters[0].op: unknown operator \"=<\"; use one of < <= > >= == !=");
  spec = {};
  spec.exit = 0.7;
  EXPECT_EQ(spec_error(spec, schema),
            "strategy.exit: 0.7 is above strategy.entry 0.6; a long exits below its entry threshold, so set exit <= "
            "entry");
  spec = {};
  spec.side = StrategySide::kShort;
  EXPECT_EQ(spec_error(spec, schema),
            "strategy.short_entry: required when strategy.side is short or both; set the signal level below which to "
            "go short, e.g. 0.4");
  spec.short_entry = 0.6;
  spec.short_exit = 0.5;
  EXPECT_EQ(spec_error(spec, schema),
            "strategy.short_exit: 0.5 is below strategy.short_entry 0.6; a short is covered above its entry "
            "threshold, so set short_exit >= short_entry");
  spec = {};
  spec.size_pct = 0;
  EXPECT_EQ(spec_error(spec, schema), "strategy.size_pct: 0 is out of range; use a fraction of equity > 0, e.g. 0.1");
  spec = {};
  spec.type = "top_k";
  spec.k = 0;
  EXPECT_EQ(spec_error(spec, schema), "strategy.k: 0 is out of range; hold at least 1 asset");
  spec.k = 2;
  spec.rebalance_every = 0;
  EXPECT_EQ(spec_error(spec, schema), "strategy.rebalance_every: 0 is out of range; use a number of bars >= 1");
  spec.rebalance_every = 1;
  spec.weight_per_asset = -0.1;
  EXPECT_EQ(spec_error(spec, schema), "strategy.weight_per_asset: -0.1 is out of range; use a fraction of equity > 0");
  spec.weight_per_asset.reset();
  spec.gross_exposure = 0;
  EXPECT_EQ(spec_error(spec, schema),
            "strategy.gross_exposure: 0 is out of range; use a fraction of equity > 0, e.g. 1.0");
}

}  // namespace
}  // namespace ml4t::backtest
