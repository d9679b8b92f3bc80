// Golden backtests of the risk rules: protective exits (stop loss, take profit,
// trailing stop, long and short, with gaps) and entry limits (max position size,
// max positions, gross exposure, context gating), plus config validation.
#include <gtest/gtest.h>

#include "engine_test_support.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::make_feed;
using testing::run_script;
using testing::Script;

EngineConfig rules(void (*set)(RiskRules&)) {
  EngineConfig c;
  set(c.risk_rules);
  return c;
}

// Buy (or short) 10 at b0 -> filled at b1's open 100.
Results hold(const std::vector<Bar>& bars, const EngineConfig& config, double qty = 10) {
  auto feed = make_feed({{"AAA", bars, {}}});
  return run_script(
      *feed,
      [qty](Script& s, int bar) {
        if (bar == 0) s.order(0, qty);
      },
      config);
}

//                                open high  low close
const std::vector<Bar> kFalling = {{100, 100, 100, 100, 1000},
                                   {100, 101, 99, 100, 1000},  // entry 100 (rules start next bar)
                                   {99, 100, 96, 97, 1000},
                                   {97, 98, 94, 95, 1000},
                                   {93, 94, 92, 93, 1000}};
const std::vector<Bar> kRising = {{100, 100, 100, 100, 1000},
                                  {100, 101, 99, 100, 1000},
                                  {101, 108, 100, 107, 1000},
                                  {107, 107, 102, 103, 1000},
                                  {103, 112, 103, 111, 1000}};

TEST(RiskRules, StopLossFillsAtItsLevel) {
  // Level 100 x 0.95 = 95: b2 low 96 misses, b3 low 94 hits (open 97 above) -> 95.
  auto r = hold(kFalling, rules([](RiskRules& rr) { rr.stop_loss = 0.05; }));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 95);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kStopLoss);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -50);
  EXPECT_EQ(r.orders[1].type, OrderType::kStop);
  EXPECT_DOUBLE_EQ(r.orders[1].stop_price, 95);
  EXPECT_EQ(r.orders[1].reason, "stop_loss");
}

TEST(RiskRules, StopLossGappedThroughFillsAtTheOpen) {
  // Level 99.5: b2 opens at 99, below it -> fills at the open 99.
  auto r = hold(kFalling, rules([](RiskRules& rr) { rr.stop_loss = 0.005; }));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(2));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 99);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kStopLoss);
}

TEST(RiskRules, StopLossIsNotCheckedOnTheEntryBar) {
  // b1 low 99 is below 99.5 but the entry filled in b1: the rule starts at b2.
  auto r = hold(kFalling, rules([](RiskRules& rr) { rr.stop_loss = 0.005; }));
  EXPECT_EQ(r.fills[1].timestamp, day(2));
}

TEST(RiskRules, TakeProfitFillsAtItsLevelOrAGappedOpen) {
  // Level 110: b2 high 108 misses, b3 high 107 misses, b4 high 112 (open 103) -> 110.
  auto r = hold(kRising, rules([](RiskRules& rr) { rr.take_profit = 0.10; }));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(4));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 110);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kTakeProfit);
  EXPECT_NEAR(r.trades[0].pnl, 100, 1e-9);  // level 100 x 1.1 is 110.00000000000001
  // Level 100.5: b2 opens at 101 above it -> the open, 101.
  auto r2 = hold(kRising, rules([](RiskRules& rr) { rr.take_profit = 0.005; }));
  EXPECT_DOUBLE_EQ(r2.fills[1].price, 101);
  EXPECT_EQ(r2.trades[0].exit_reason, ExitReason::kTakeProfit);
}

TEST(RiskRules, TrailingStopFollowsTheHighWaterMark) {
  // High-water mark starts at the entry 100; b2: level 95 (low 100: no), mark -> 108;
  // b3: level 108 x 0.95 = 102.6, low 102 -> fills at 102.6. pnl 2.6 x 10.
  auto r = hold(kRising, rules([](RiskRules& rr) { rr.trailing_stop = 0.05; }));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 108 * 0.95);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kTrailingStop);
  EXPECT_NEAR(r.trades[0].pnl, 26, 1e-9);
}

TEST(RiskRules, ShortPositionsMirrorTheRules) {
  // Short 10 at 100; stop loss 5% -> level 105: b2 high 108 (open 101) -> 105, pnl -50.
  auto r = hold(kRising, rules([](RiskRules& rr) { rr.stop_loss = 0.05; }), -10);
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].side, Side::kBuy);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 105);
  EXPECT_EQ(r.trades[0].side, TradeSide::kShort);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kStopLoss);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -50);
  // Short take profit 4% -> level 96: b2 low 96 (open 99) -> 96, pnl +40.
  auto r2 = hold(kFalling, rules([](RiskRules& rr) { rr.take_profit = 0.04; }), -10);
  EXPECT_DOUBLE_EQ(r2.fills[1].price, 96);
  EXPECT_EQ(r2.trades[0].exit_reason, ExitReason::kTakeProfit);
  EXPECT_DOUBLE_EQ(r2.trades[0].pnl, 40);
  // Short trailing stop 2%: low-water 100 -> b2 level 102 (high 100: no), mark -> 96;
  // b3 level 96 x 1.02 = 97.92, high 98 (open 97) -> 97.92.
  auto r3 = hold(kFalling, rules([](RiskRules& rr) { rr.trailing_stop = 0.02; }), -10);
  EXPECT_DOUBLE_EQ(r3.fills[1].price, 96 * 1.02);
  EXPECT_EQ(r3.trades[0].exit_reason, ExitReason::kTrailingStop);
}

TEST(RiskRules, WhenStopAndTargetShareABarTheStopWins) {
  // b2 spans 90..115: both the 5% stop (95) and the 10% target (110) are inside; the
  // conservative assumption is the stop first.
  std::vector<Bar> bars = {{100, 100, 100, 100, 1000}, {100, 100, 100, 100, 1000}, {100, 115, 90, 100, 1000}};
  auto r = hold(bars, rules([](RiskRules& rr) {
                  rr.stop_loss = 0.05;
                  rr.take_profit = 0.10;
                }));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 95);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kStopLoss);
}

TEST(RiskRules, OfStopLossAndTrailingStopTheTighterLevelExits) {
  // Entry 100, stop loss 5% (95) and trailing stop 3%. b2: trailing level 97 is the
  // tighter (low 100: no exit); the high-water mark becomes 108. b3: trailing level
  // 108 x 0.97 = 104.76 is above the stop's 95 and b3's low 102 reaches it -> 104.76,
  // exit reason trailing_stop.
  auto r = hold(kRising, rules([](RiskRules& rr) {
                  rr.stop_loss = 0.05;
                  rr.trailing_stop = 0.03;
                }));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 104.76);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kTrailingStop);
  // Stop loss 1% (99) with a 10% trail (90): b2 opens at 99, at the stop -> stop_loss.
  auto r2 = hold(kFalling, rules([](RiskRules& rr) {
                   rr.stop_loss = 0.01;
                   rr.trailing_stop = 0.10;
                 }));
  ASSERT_EQ(r2.fills.size(), 2u);
  EXPECT_DOUBLE_EQ(r2.fills[1].price, 99);
  EXPECT_EQ(r2.trades[0].exit_reason, ExitReason::kStopLoss);
}

TEST(RiskRules, RuleExitPaysCostsAndCancelsTheOldExitOrder) {
  EngineConfig config = rules([](RiskRules& rr) { rr.stop_loss = 0.05; });
  config.execution.commission = {CommissionType::kFixed, 1.0, 0};
  config.execution.slippage = {SlippageType::kFixed, 0.1};
  auto feed = make_feed({{"AAA", kFalling, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
        if (bar == 1) s.order(0, -10, OrderType::kLimit, 150);  // a take-profit far away
      },
      config);
  // Entry 100 + 0.1 = 100.1; stop level 100.1 x 0.95 = 95.095 hit at b3 (low 94), sold
  // at 95.095 - 0.1. The open limit sell is cancelled (it would open a short).
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 100.1 * 0.95 - 0.1);
  EXPECT_DOUBLE_EQ(r.fills[1].commission, 1.0);
  EXPECT_NEAR(r.trades[0].pnl, (100.1 * 0.95 - 0.1 - 100.1) * 10 - 2, 1e-9);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kCancelled);
  EXPECT_EQ(r.orders[1].reason, "cancelled: position closed by stop_loss");
}

const std::vector<Bar> kFlat(5, Bar{100, 100, 100, 100, 1e6});

TEST(RiskRules, MaxPositionSizeRejectsLargerOrders) {
  auto feed = make_feed({{"AAA", kFlat, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.buy_percent(0, 0.10, 100);  // 100 shares = 10000 > 5% of 100000
        if (bar == 1) s.buy_percent(0, 0.05, 100);  // 50 shares = 5000: allowed
      },
      rules([](RiskRules& rr) { rr.max_position_size = 0.05; }));
  ASSERT_EQ(r.orders.size(), 2u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[0].reason,
            "position limit: 100 of AAA at 100 is 10000.00, above risk_rules.max_position_size 0.05 x equity "
            "100000.00; order less");
  EXPECT_EQ(r.orders[1].status, OrderStatus::kFilled);
}

TEST(RiskRules, MaxPositionsBlocksNewPositions) {
  auto feed = make_feed({{"AAA", kFlat, {}}, {"BBB", kFlat, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          s.order(0, 10);
          s.order(1, 10);  // a second position while AAA's order is open
        }
        if (bar == 1) s.order(0, 5);  // adding to AAA is fine
      },
      rules([](RiskRules& rr) { rr.max_positions = 1; }));
  ASSERT_EQ(r.orders.size(), 3u);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[1].reason,
            "position count limit: 1 positions (with open orders) already, risk_rules.max_positions is 1; cannot "
            "open BBB");
  EXPECT_EQ(r.orders[2].status, OrderStatus::kFilled);
}

TEST(RiskRules, MaxGrossExposureCountsOpenOrders) {
  auto feed = make_feed({{"AAA", kFlat, {}}, {"BBB", kFlat, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          s.buy_percent(0, 0.10, 100);  // 10000
          s.buy_percent(1, 0.10, 100);  // 20000 in all > 15% of 100000
          s.buy_percent(1, 0.05, 100);  // 15000: allowed
        }
      },
      rules([](RiskRules& rr) { rr.max_gross_exposure = 0.15; }));
  ASSERT_EQ(r.orders.size(), 3u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[1].reason,
            "gross exposure limit: 20000.00 after this order exceeds risk_rules.max_gross_exposure 0.15 x equity "
            "100000.00");
  EXPECT_EQ(r.orders[2].status, OrderStatus::kFilled);
}

TEST(RiskRules, ContextGatingBlocksEntriesButNotExits) {
  // vix 35 at b0 (entry blocked), 20 at b1 (entry ok), 40 at b2 (the exit still goes).
  auto feed = make_feed({{"AAA", kFlat, {}}}, {35, 20, 40, 20, 20});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar <= 1) s.order(0, 10);
        if (bar == 2) s.close_position(0);
      },
      rules([](RiskRules& rr) {
        rr.max_vix = 30;
        rr.min_vix = 10;
      }));
  ASSERT_EQ(r.orders.size(), 3u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[0].reason, "new entries blocked: vix = 35 is outside [10, 30] (risk_rules.min_vix/max_vix)");
  EXPECT_EQ(r.orders[1].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[2].status, OrderStatus::kFilled);
  ASSERT_EQ(r.trades.size(), 1u);
}

TEST(RiskRules, ContextGatingNeedsTheContextField) {
  InMemoryDataFeed::Builder b;
  b.add_bar(day(0), "AAA", Bar{1, 1, 1, 1, 1});
  auto feed = b.build();
  Script script([](Script&, int) {});
  try {
    BacktestEngine engine(*feed, script, rules([](RiskRules& rr) { rr.max_vix = 30; }));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "risk_rules.context_field: the feed has no context field \"vix\" (needed by min_vix/max_vix); known "
                 "context fields: []; add a context source with that column or set risk_rules.context_field");
  }
}

TEST(EngineConfigValidation, RejectsOutOfRangeValues) {
  auto feed = make_feed({{"AAA", kFlat, {}}});
  Script script([](Script&, int) {});
  auto message = [&](EngineConfig c) -> std::string {
    try {
      BacktestEngine engine(*feed, script, c);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  EngineConfig c;
  c.execution.initial_capital = -5;
  EXPECT_EQ(message(c), "execution.initial_capital: -5 is out of range; use a positive amount, e.g. 100000");
  c = {};
  c.execution.commission = {CommissionType::kPercentage, 1.5, 0};
  EXPECT_EQ(message(c),
            "execution.commission.rate: 1.5 is out of range; a percentage commission is a fraction < 1 (0.001 = 0.1%)");
  c = {};
  c.execution.slippage = {SlippageType::kFixed, -1};
  EXPECT_EQ(message(c), "execution.slippage.rate: -1 is out of range; use a rate >= 0");
  c = {};
  c.execution.max_volume_participation = 2;
  EXPECT_EQ(message(c),
            "execution.max_volume_participation: 2 is out of range; use a fraction in [0, 1] (0 = no limit)");
  c = {};
  c.risk_rules.stop_loss = 1;
  EXPECT_EQ(message(c), "risk_rules.stop_loss: 1 is out of range; use a fraction in [0, 1) (0 = off)");
  c = {};
  c.risk_rules.max_positions = -1;
  EXPECT_EQ(message(c), "risk_rules.max_positions: -1 is out of range; use a count >= 0 (0 = off)");
  c = {};
  c.risk_rules.min_vix = 30;
  c.risk_rules.max_vix = 20;
  EXPECT_EQ(message(c), "risk_rules.max_vix: 20 is below risk_rules.min_vix 30; make max_vix >= min_vix");
}

TEST(EngineErrors, BadBarsAndSecondRunsFail) {
  InMemoryDataFeed::Builder b;
  b.add_bar(day(0), "AAA", Bar{100, 99, 101, 100, 1});  // high < low
  auto feed = b.build();
  Script script([](Script&, int) {});
  BacktestEngine engine(*feed, script);
  try {
    engine.run();
    FAIL();
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(),
                 "bad bar for asset AAA at 2024-01-01T00:00:00Z: open 100 high 99 low 101 close 100; prices must be "
                 "positive numbers with high >= low; drop or repair the row");
  }
  EXPECT_THROW(engine.run(), ConfigError);
}

TEST(EngineErrors, HelpersOutsideARunThrow) {
  Script script([](Script&, int) {});
  EXPECT_THROW(script.cash(), Error);
}

TEST(EngineControl, CancelFlagInterruptsAndProgressIsReported) {
  auto feed = make_feed({{"AAA", kFlat, {}}});
  std::atomic<bool> stop{false};
  std::vector<uint64_t> progress;
  Script script([&stop](Script&, int bar) {
    if (bar == 2) stop = true;
  });
  BacktestEngine engine(*feed, script);
  engine.set_cancel_flag(&stop);
  engine.set_progress_callback([&progress](uint64_t events, Timestamp) { progress.push_back(events); }, 1);
  try {
    engine.run();
    FAIL();
  } catch (const Interrupted& e) {
    EXPECT_STREQ(e.what(), "backtest interrupted at 2024-01-04T00:00:00Z after 3 events; no results were produced");
  }
  EXPECT_EQ(progress, (std::vector<uint64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace ml4t::backtest
