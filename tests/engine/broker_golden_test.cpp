// Golden backtests of the broker: fills, order types, gaps, costs, partial fills,
// shorts and rejections, small enough to check by hand (arithmetic in the comments).
#include <gtest/gtest.h>

#include <cmath>

#include "engine_test_support.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::make_feed;
using testing::run_script;
using testing::Script;
using testing::Series;

using testing::kBars;  // b0..b4, in engine_test_support.hpp

std::unique_ptr<InMemoryDataFeed> feed_a(std::vector<Bar> bars = kBars) { return make_feed({{"AAA", bars, {}}}); }

TEST(BrokerGolden, MarketOrderFillsAtNextOpen) {
  auto feed = feed_a();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 2) s.order(0, -10);
  });
  ASSERT_EQ(r.fills.size(), 2u);
  // Placed at b0's close, filled at b1's open 102; the sell placed at b2 fills at b3's open 104.
  EXPECT_EQ(r.fills[0].timestamp, day(1));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 102);
  EXPECT_EQ(r.fills[0].side, Side::kBuy);
  EXPECT_EQ(r.fills[1].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 104);
  ASSERT_EQ(r.equity_curve.size(), 5u);
  // b0 100000; b1 cash 100000-1020 = 98980 + 10x103 = 100010; b2 98980 + 1050 = 100030;
  // b3 cash 98980 + 1040 = 100020 (flat); b4 100020.
  const double expected[] = {100000, 100010, 100030, 100020, 100020};
  for (size_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(r.equity_curve[i].equity, expected[i]) << i;
  EXPECT_DOUBLE_EQ(r.equity_curve[1].cash, 98980);
  EXPECT_DOUBLE_EQ(r.equity_curve[1].positions_value, 1030);
  ASSERT_EQ(r.trades.size(), 1u);
  const Trade& t = r.trades[0];
  EXPECT_EQ(t.side, TradeSide::kLong);
  EXPECT_EQ(t.entry_time, day(1));
  EXPECT_EQ(t.exit_time, day(3));
  EXPECT_DOUBLE_EQ(t.quantity, 10);
  EXPECT_DOUBLE_EQ(t.entry_price, 102);
  EXPECT_DOUBLE_EQ(t.exit_price, 104);
  EXPECT_DOUBLE_EQ(t.pnl, 20);
  EXPECT_DOUBLE_EQ(t.return_fraction, 20.0 / 1020.0);
  EXPECT_EQ(t.bars_held, 2);
  EXPECT_EQ(t.exit_reason, ExitReason::kSignal);
  EXPECT_FALSE(t.open);
  ASSERT_EQ(r.orders.size(), 2u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[0].created, day(0));
  EXPECT_EQ(r.orders[0].updated, day(1));
  EXPECT_DOUBLE_EQ(r.final_equity, 100020);
  EXPECT_EQ(r.events, 5u);
  EXPECT_EQ(r.symbols, std::vector<std::string>{"AAA"});
}

TEST(BrokerGolden, SameBarCloseFillsAtTheCloseTheStrategySaw) {
  auto feed = feed_a();
  EngineConfig config;
  config.execution.fill_timing = FillTiming::kSameBarClose;
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
        if (bar == 2) s.order(0, -10);
      },
      config);
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[0].timestamp, day(0));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 100);  // b0 close
  EXPECT_EQ(r.fills[1].timestamp, day(2));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 105);  // b2 close
  // b0: cash 99000 + 1000 = 100000; b1: 99000 + 1030; b2 flat: 99000 + 1050 = 100050.
  EXPECT_DOUBLE_EQ(r.equity_curve[0].equity, 100000);
  EXPECT_DOUBLE_EQ(r.equity_curve[1].equity, 100030);
  EXPECT_DOUBLE_EQ(r.equity_curve[2].equity, 100050);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 50);
  EXPECT_EQ(r.trades[0].bars_held, 2);
}

TEST(BrokerGolden, LimitBuyFillsAtTheLimitOrAtAGappedOpen) {
  // Limit 101.5 placed at b0: b1 low 101 <= 101.5 < open 102 -> fills at 101.5.
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 0) s.order(0, 10, OrderType::kLimit, 101.5);
    });
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_EQ(r.fills[0].timestamp, day(1));
    EXPECT_DOUBLE_EQ(r.fills[0].price, 101.5);
  }
  // Limit 100 placed at b2: b3 low 100 touches -> 100. Limit 104.5 placed at b2 gapped
  // through at b3's open 104 -> the better price, 104.
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 2) s.order(0, 10, OrderType::kLimit, 104.5);
    });
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(r.fills[0].price, 104);
  }
  // Limit 98 never reached (lows 101, 104, 100, 99): stays open.
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 0) s.order(0, 10, OrderType::kLimit, 98);
    });
    EXPECT_TRUE(r.fills.empty());
    EXPECT_EQ(r.orders[0].status, OrderStatus::kOpen);
  }
}

TEST(BrokerGolden, LimitSellFillsAtTheLimitOrAtAGappedOpen) {
  auto feed = feed_a();
  // Buy 10 at b1 open 102; at b1 place sell limit 105.5: b2 open 105 < 105.5 <= high 106 -> 105.5.
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 1) s.order(0, -10, OrderType::kLimit, 105.5);
  });
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 105.5);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 35);  // (105.5 - 102) x 10
  // Sell limit 103 gapped through at b2's open 105 -> 105.
  auto feed2 = feed_a();
  auto r2 = run_script(*feed2, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 1) s.order(0, -10, OrderType::kLimit, 103);
  });
  ASSERT_EQ(r2.fills.size(), 2u);
  EXPECT_DOUBLE_EQ(r2.fills[1].price, 105);
}

TEST(BrokerGolden, StopOrdersFillAtTheStopOrAtAGappedOpen) {
  // Buy stop 103.5 at b0: b1 open 102 < 103.5 <= high 104 -> 103.5.
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 0) s.order(0, 10, OrderType::kStop, Strategy::kNoPrice, 103.5);
    });
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(r.fills[0].price, 103.5);
    EXPECT_EQ(r.fills[0].timestamp, day(1));
  }
  // Buy stop 104.5 at b1: b2 gaps to 105 -> fills at the open 105 (worse than the stop).
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 1) s.order(0, 10, OrderType::kStop, Strategy::kNoPrice, 104.5);
    });
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(r.fills[0].price, 105);
  }
  // Sell stop 102 protecting a long bought at 102 (b1): b3 low 100 -> 102; a sell stop
  // 101.5 placed at b3 gaps at b4's open 101 -> 101.
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 0) s.order(0, 20);
      if (bar == 1) s.order(0, -10, OrderType::kStop, Strategy::kNoPrice, 102);
      if (bar == 3) s.order(0, -10, OrderType::kStop, Strategy::kNoPrice, 101.5);
    });
    ASSERT_EQ(r.fills.size(), 3u);
    EXPECT_EQ(r.fills[1].timestamp, day(3));
    EXPECT_DOUBLE_EQ(r.fills[1].price, 102);
    EXPECT_EQ(r.fills[2].timestamp, day(4));
    EXPECT_DOUBLE_EQ(r.fills[2].price, 101);
  }
}

TEST(BrokerGolden, StopLimitTriggersThenRespectsItsLimit) {
  // Buy stop 103 limit 103.5 at b0: b1 trades through 103 (open 102, high 104) and
  // 103 <= 103.5 -> fills at the stop, 103.
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 0) s.order(0, 10, OrderType::kStopLimit, 103.5, 103);
    });
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(r.fills[0].price, 103);
  }
  // Buy stop 104.5 limit 104.2 at b1: b2 gaps to 105 (triggered) but never trades at or
  // below 104.2 (low 104 ... yes, low 104 <= 104.2) -> fills at the limit 104.2 in b2.
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 1) s.order(0, 10, OrderType::kStopLimit, 104.2, 104.5);
    });
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_EQ(r.fills[0].timestamp, day(2));
    EXPECT_DOUBLE_EQ(r.fills[0].price, 104.2);
  }
  // Buy stop 104.5 limit 103.8 at b1: b2 gaps to 105 (triggered), low 104 > 103.8: no
  // fill; b3 opens at 104 > 103.8 but its low 100 reaches it -> fills at 103.8 in b3.
  {
    auto feed = feed_a();
    auto r = run_script(*feed, [](Script& s, int bar) {
      if (bar == 1) s.order(0, 10, OrderType::kStopLimit, 103.8, 104.5);
    });
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_EQ(r.fills[0].timestamp, day(3));
    EXPECT_DOUBLE_EQ(r.fills[0].price, 103.8);
  }
}

TEST(BrokerGolden, TrailingStopTrailsTheHighSincePlaced) {
  //              open  high  low  close
  const std::vector<Bar> bars = {{100, 100, 100, 100, 1000},  // b0: buy 10
                                 {100, 101, 99, 100, 1000},   // b1: filled at 100; place trailing 10%
                                 {101, 110, 100, 108, 1000},  // b2: level 100x0.9 = 90 not hit; high -> 110
                                 {107, 108, 100, 101, 1000},  // b3: level 110x0.9 = 99, low 100: no
                                 {100, 101, 98, 99, 1000}};   // b4: low 98 <= 99 -> fills at 99
  auto feed = feed_a(bars);
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 1) s.order_trailing_stop(0, -10, 0.10);
  });
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(4));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 99);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -10);  // (99 - 100) x 10
  EXPECT_EQ(r.orders[1].type, OrderType::kTrailingStop);
  EXPECT_DOUBLE_EQ(r.orders[1].trail_percent, 0.10);
}

TEST(BrokerGolden, TrailingStopGapFillsAtTheOpen) {
  const std::vector<Bar> bars = {{100, 100, 100, 100, 1000},
                                 {100, 101, 99, 100, 1000},  // fill 100; place trailing 5% (level 95)
                                 {90, 92, 89, 91, 1000}};    // gaps below 95 -> open 90
  auto feed = feed_a(bars);
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 1) s.order_trailing_stop(0, -10, 0.05);
  });
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 90);
}

EngineConfig with_commission(CommissionType type, double rate, double minimum = 0) {
  EngineConfig c;
  c.execution.commission = {type, rate, minimum};
  return c;
}

// Buy 10 at b1's open 102, sell 10 at b3's open 104 under each commission model.
Results round_trip(const EngineConfig& config, double qty = 10) {
  auto feed = feed_a();
  return run_script(
      *feed,
      [qty](Script& s, int bar) {
        if (bar == 0) s.order(0, qty);
        if (bar == 2) s.order(0, -qty);
      },
      config);
}

TEST(BrokerGolden, PerShareCommissionWithMinimum) {
  // 0.01/share x 10 = 0.10 < minimum 1 -> 1 per order.
  auto r = round_trip(with_commission(CommissionType::kPerShare, 0.01, 1.0));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_DOUBLE_EQ(r.fills[0].commission, 1.0);
  EXPECT_DOUBLE_EQ(r.fills[1].commission, 1.0);
  EXPECT_DOUBLE_EQ(r.trades[0].commission, 2.0);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 18.0);  // 20 - 2
  EXPECT_DOUBLE_EQ(r.final_equity, 100018.0);
  // 0.01 x 300 shares = 3 > minimum 1.
  auto r2 = round_trip(with_commission(CommissionType::kPerShare, 0.01, 1.0), 300);
  EXPECT_DOUBLE_EQ(r2.fills[0].commission, 3.0);
  EXPECT_DOUBLE_EQ(r2.trades[0].pnl, 300 * 2 - 6.0);
}

TEST(BrokerGolden, PercentageCommission) {
  // 0.1% of 1020 = 1.02 on entry, of 1040 = 1.04 on exit.
  auto r = round_trip(with_commission(CommissionType::kPercentage, 0.001));
  EXPECT_DOUBLE_EQ(r.fills[0].commission, 1020 * 0.001);
  EXPECT_DOUBLE_EQ(r.fills[1].commission, 1040 * 0.001);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 20 - 1020 * 0.001 - 1040 * 0.001);
  // b1 equity: cash 100000 - 1020 - 1.02 + 1030.
  EXPECT_DOUBLE_EQ(r.equity_curve[1].equity, 100000 - 1020 - 1.02 + 1030);
}

TEST(BrokerGolden, FixedCommission) {
  auto r = round_trip(with_commission(CommissionType::kFixed, 5.0));
  EXPECT_DOUBLE_EQ(r.fills[0].commission, 5.0);
  EXPECT_DOUBLE_EQ(r.fills[1].commission, 5.0);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 10.0);  // 20 - 2 x 5
  EXPECT_DOUBLE_EQ(r.final_equity, 100010.0);
}

EngineConfig with_slippage(SlippageType type, double rate) {
  EngineConfig c;
  c.execution.slippage = {type, rate};
  return c;
}

TEST(BrokerGolden, PercentageSlippageIsAdverseOnBothSides) {
  // Buy at 102 x 1.01 = 103.02; sell at 104 x 0.99 = 102.96.
  auto r = round_trip(with_slippage(SlippageType::kPercentage, 0.01));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 102 * 1.01);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 104 * 0.99);
  EXPECT_NEAR(r.fills[0].slippage, 10.2, 1e-9);  // 10 x 1.02
  EXPECT_NEAR(r.fills[1].slippage, 10.4, 1e-9);  // 10 x 1.04
  EXPECT_NEAR(r.trades[0].slippage, 20.6, 1e-9);
  EXPECT_NEAR(r.trades[0].pnl, (104 * 0.99 - 102 * 1.01) * 10, 1e-9);  // -0.6
}

TEST(BrokerGolden, FixedSlippage) {
  // Buy 102 + 0.05, sell 104 - 0.05: pnl (103.95 - 102.05) x 10 = 19.
  auto r = round_trip(with_slippage(SlippageType::kFixed, 0.05));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 102.05);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 103.95);
  EXPECT_NEAR(r.trades[0].pnl, 19.0, 1e-9);
  EXPECT_NEAR(r.trades[0].slippage, 1.0, 1e-9);
}

TEST(BrokerGolden, VolumeShareSlippageGrowsWithOrderSize) {
  // 100 shares of a 1000-share bar: impact 0.1 x 100/1000 = 1% -> 102 x 1.01.
  auto r = round_trip(with_slippage(SlippageType::kVolumeShare, 0.1), 100);
  EXPECT_DOUBLE_EQ(r.fills[0].price, 102 * (1 + 0.1 * 0.1));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 104 * (1 - 0.1 * 0.1));
  // 10 shares: 0.1 x 0.01 = 0.1%.
  auto r2 = round_trip(with_slippage(SlippageType::kVolumeShare, 0.1), 10);
  EXPECT_DOUBLE_EQ(r2.fills[0].price, 102 * (1 + 0.1 * 0.01));
}

TEST(BrokerGolden, SlippageNeverPushesALimitFillPastItsLimit) {
  auto feed = feed_a();
  // Limit 101.5 fills at the limit; 1% slippage would make it 102.515 -> capped at 101.5.
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10, OrderType::kLimit, 101.5);
      },
      with_slippage(SlippageType::kPercentage, 0.01));
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_DOUBLE_EQ(r.fills[0].price, 101.5);
}

TEST(BrokerGolden, VolumeParticipationGivesPartialFillsOverLaterBars) {
  EngineConfig config;
  config.execution.max_volume_participation = 0.1;  // 100 of each 1000-share bar
  auto feed = feed_a();
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 250);
      },
      config);
  // 100 at b1 (102), 100 at b2 (105), 50 at b3 (104).
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 100);
  EXPECT_DOUBLE_EQ(r.fills[0].price, 102);
  EXPECT_DOUBLE_EQ(r.fills[1].quantity, 100);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 105);
  EXPECT_DOUBLE_EQ(r.fills[2].quantity, 50);
  EXPECT_DOUBLE_EQ(r.fills[2].price, 104);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kFilled);
  EXPECT_DOUBLE_EQ(r.orders[0].filled_quantity, 250);
  // Average fill (10200 + 10500 + 5200) / 250 = 103.6.
  EXPECT_DOUBLE_EQ(r.orders[0].avg_fill_price, 25900.0 / 250);
  // After b1 the order is partially filled; position 100 marked at 103.
  EXPECT_DOUBLE_EQ(r.equity_curve[1].positions_value, 10300);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_TRUE(r.trades[0].open);
  EXPECT_DOUBLE_EQ(r.trades[0].entry_price, 103.6);
}

TEST(BrokerGolden, ShortTradeProfitsWhenPriceFalls) {
  // Short 10 at b2's open 105 (placed at b1), cover at b4's open 101 (placed at b3): +40.
  auto feed = feed_a();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 1) s.order(0, -10);
    if (bar == 3) s.close_position(0);
  });
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[0].side, Side::kSell);
  EXPECT_DOUBLE_EQ(r.fills[0].price, 105);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_EQ(r.trades[0].side, TradeSide::kShort);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 40);
  EXPECT_DOUBLE_EQ(r.trades[0].return_fraction, 40.0 / 1050.0);
  // b2: cash 100000 + 1050 = 101050, position -10 x 105 -> equity 100000;
  // b3: -10 x 101 = -1010 -> 100040.
  EXPECT_DOUBLE_EQ(r.equity_curve[2].cash, 101050);
  EXPECT_DOUBLE_EQ(r.equity_curve[2].positions_value, -1050);
  EXPECT_DOUBLE_EQ(r.equity_curve[2].gross_value, 1050);
  EXPECT_DOUBLE_EQ(r.equity_curve[3].equity, 100040);
  EXPECT_DOUBLE_EQ(r.final_equity, 100040);
}

TEST(BrokerGolden, FlippingALongIntoAShortSplitsTheTrades) {
  // Long 10 at 102 (b1); sell 30 at b3's open 104: closes the long (+20) and opens a
  // short of 20 at 104, still open at the end (marked at b4's close 100: +80).
  auto feed = feed_a();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 2) s.order(0, -30);
  });
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 20);
  EXPECT_FALSE(r.trades[0].open);
  EXPECT_EQ(r.trades[1].side, TradeSide::kShort);
  EXPECT_DOUBLE_EQ(r.trades[1].quantity, 20);
  EXPECT_DOUBLE_EQ(r.trades[1].entry_price, 104);
  EXPECT_TRUE(r.trades[1].open);
  EXPECT_EQ(r.trades[1].exit_reason, ExitReason::kEndOfData);
  EXPECT_DOUBLE_EQ(r.trades[1].exit_price, 100);
  EXPECT_DOUBLE_EQ(r.trades[1].pnl, 80);
  EXPECT_DOUBLE_EQ(r.final_equity, 100100);  // 100000 + 20 + 80
}

TEST(BrokerGolden, ShortSellingDisabledRejectsTheOrder) {
  EngineConfig config;
  config.execution.allow_short = false;
  auto feed = feed_a();
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 1) s.order(0, -10);
      },
      config);
  EXPECT_TRUE(r.fills.empty());
  ASSERT_EQ(r.orders.size(), 1u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
  EXPECT_EQ(
      r.orders[0].reason,
      "short selling is disabled (execution.allow_short: false): selling 10 of AAA would leave a position of -10");
}

TEST(BrokerGolden, OrderBeyondBuyingPowerIsRejectedNotResized) {
  EngineConfig config;
  config.execution.initial_capital = 10'000;
  auto feed = feed_a();
  // 98 shares at b1's open 102 = 9996 fits; 99 shares = 10098 does not.
  auto ok = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 98);
      },
      config);
  ASSERT_EQ(ok.fills.size(), 1u);
  auto feed2 = feed_a();
  auto r = run_script(
      *feed2,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 99);
      },
      config);
  EXPECT_TRUE(r.fills.empty());
  ASSERT_EQ(r.orders.size(), 1u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
  EXPECT_DOUBLE_EQ(r.orders[0].filled_quantity, 0);
  EXPECT_EQ(r.orders[0].updated, day(1));
  EXPECT_EQ(r.orders[0].reason,
            "insufficient buying power at 2024-01-02T00:00:00Z: buying 99 AAA at 102.0000 needs 10098.00 but 10000.00 "
            "is available; size orders below the free equity (equity minus gross exposure)");
  EXPECT_DOUBLE_EQ(r.final_equity, 10'000);
}

TEST(BrokerGolden, ExitsAreProcessedBeforeEntries) {
  // Two assets, capital 2000. Long 19 AAA at 102 (1938). At b1 the strategy first buys
  // 19 BBB (needs 19 x 50 = 950) and then sells AAA: filled in placement order the buy
  // would be rejected (cash 62); exits first frees the cash and both fill at b2.
  std::vector<Bar> b_bars(5, Bar{50, 50, 50, 50, 1000});
  auto feed = make_feed({{"AAA", kBars, {}}, {"BBB", b_bars, {}}});
  EngineConfig config;
  config.execution.initial_capital = 2000;
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 19);
        if (bar == 1) {
          s.order(1, 19);
          s.order(0, -19);
        }
      },
      config);
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_EQ(r.fills[1].asset, 0u);  // the exit first
  EXPECT_EQ(r.fills[1].side, Side::kSell);
  EXPECT_EQ(r.fills[2].asset, 1u);
  EXPECT_DOUBLE_EQ(r.fills[2].price, 50);
}

TEST(BrokerGolden, NoBarMeansNoFill) {
  // BBB has no bar at day 1: its market order waits for day 2's open.
  auto feed_builder = InMemoryDataFeed::Builder({"ml_pred"}, {"vix"});
  for (int i = 0; i < 4; ++i) feed_builder.add_bar(day(i), "AAA", Bar{10, 10, 10, 10, 100});
  feed_builder.add_bar(day(0), "BBB", Bar{20, 20, 20, 20, 100});
  feed_builder.add_bar(day(2), "BBB", Bar{21, 22, 20, 21, 100});
  auto feed = feed_builder.build();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(1, 5);
  });
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.fills[0].timestamp, day(2));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 21);
  // Day 1 marks BBB at nothing (flat); day 3 keeps BBB's last close 21: 5 x 21.
  EXPECT_DOUBLE_EQ(r.equity_curve[3].positions_value, 105);
}

TEST(BrokerGolden, DayOrdersExpireAfterTheirTradingDay) {
  // A DAY limit that cannot fill on b1 (its first bar) expires before b2.
  auto feed = feed_a();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10, OrderType::kLimit, 98, Strategy::kNoPrice, TimeInForce::kDay);
  });
  EXPECT_TRUE(r.fills.empty());
  EXPECT_EQ(r.orders[0].status, OrderStatus::kExpired);
  EXPECT_EQ(r.orders[0].updated, day(2));
  EXPECT_EQ(r.orders[0].time_in_force, TimeInForce::kDay);
  // Intraday: placed at 10:00, the 11:00 bar is the same UTC day; 12:00 too; next day
  // it is gone.
  InMemoryDataFeed::Builder b;
  const auto t0 = Timestamp::from_civil(2024, 1, 2, 10);
  for (int h = 0; h < 3; ++h) b.add_bar(t0 + std::chrono::hours(h), "AAA", Bar{100, 100, 100, 100, 1000});
  b.add_bar(Timestamp::from_civil(2024, 1, 3, 10), "AAA", Bar{90, 90, 90, 90, 1000});
  auto intraday = b.build();
  auto r2 = run_script(*intraday, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10, OrderType::kLimit, 95, Strategy::kNoPrice, TimeInForce::kDay);
  });
  EXPECT_TRUE(r2.fills.empty());
  EXPECT_EQ(r2.orders[0].status, OrderStatus::kExpired);
  EXPECT_EQ(r2.orders[0].updated, Timestamp::from_civil(2024, 1, 3, 10));
}

TEST(BrokerGolden, CancelStopsAnOpenOrder) {
  auto feed = feed_a();
  uint64_t id = 0;
  auto r = run_script(*feed, [&id](Script& s, int bar) {
    if (bar == 0) id = s.order(0, 10, OrderType::kLimit, 90);
    if (bar == 1) {
      EXPECT_EQ(s.open_orders(0), 1);
      EXPECT_TRUE(s.cancel(id));
      EXPECT_FALSE(s.cancel(id));
      EXPECT_EQ(s.open_orders(0), 0);
    }
  });
  EXPECT_EQ(r.orders[0].status, OrderStatus::kCancelled);
  EXPECT_EQ(r.orders[0].reason, "cancelled by the strategy");
}

TEST(BrokerGolden, InvalidOrdersAreRejectedWithAReason) {
  auto feed = feed_a();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar != 0) return;
    s.order(0, 10, OrderType::kLimit);   // no limit price
    s.order(0, 10, OrderType::kStop);    // no stop price
    s.order_trailing_stop(0, -10, 1.5);  // trail out of range
    s.order(7, 10);                      // unknown asset
    EXPECT_EQ(s.order(0, 0.4), 0u);      // rounds to zero shares: nothing placed
  });
  ASSERT_EQ(r.orders.size(), 4u);
  for (const auto& o : r.orders) EXPECT_EQ(o.status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[0].reason, "limit order for AAA needs a positive limit price, got nan");
  EXPECT_EQ(r.orders[1].reason, "stop order for AAA needs a positive stop price, got nan");
  EXPECT_EQ(r.orders[2].reason, "trailing-stop order for AAA needs trail_percent in (0, 1), got 1.5");
  EXPECT_EQ(r.orders[3].reason, "unknown asset id 7: the feed has 1 assets");
}

TEST(BrokerGolden, FractionalSharesAndRounding) {
  // buy_percent(10%) of 100000 at 30.7 = 325.73 shares -> 325 (floored); fractional keeps it.
  const std::vector<Bar> bars = {{30.7, 30.7, 30.7, 30.7, 1e6}, {30, 30, 30, 30, 1e6}};
  auto feed = feed_a(bars);
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.buy_percent(0, 0.1, 30.7);
  });
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 325);
  EngineConfig config;
  config.execution.fractional_shares = true;
  auto feed2 = feed_a(bars);
  auto r2 = run_script(
      *feed2,
      [](Script& s, int bar) {
        if (bar == 0) s.buy_percent(0, 0.1, 30.7);
      },
      config);
  EXPECT_DOUBLE_EQ(r2.fills[0].quantity, 10000 / 30.7);
}

TEST(BrokerGolden, TargetHelpersAccountForOpenOrders) {
  auto feed = feed_a();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) {
      // 1% of 100000 at close 100 = 10 shares; asking again places nothing.
      EXPECT_NE(s.order_target_percent(0, 0.01), 0u);
      EXPECT_EQ(s.order_target_percent(0, 0.01), 0u);
      EXPECT_NE(s.order_target_quantity(0, 15), 0u);  // +5 more
    }
    if (bar == 1) {
      EXPECT_DOUBLE_EQ(s.position(0), 15);
      EXPECT_DOUBLE_EQ(s.position_info(0).avg_cost, 102);
      EXPECT_DOUBLE_EQ(s.position_info(0).unrealized_pnl, 15);  // (103 - 102) x 15
      s.order_target_quantity(0, 0);
    }
  });
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 10);
  EXPECT_DOUBLE_EQ(r.fills[1].quantity, 5);
  EXPECT_DOUBLE_EQ(r.fills[2].quantity, 15);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_DOUBLE_EQ(r.trades[0].quantity, 15);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 45);  // (105 - 102) x 15
}

TEST(BrokerGolden, ClosePositionsAtEndRecordsEndOfDataExits) {
  EngineConfig config;
  config.execution.close_positions_at_end = true;
  config.execution.commission = {CommissionType::kFixed, 1.0, 0.0};
  auto feed = feed_a();
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
      },
      config);
  // Bought 10 at 102 (+1 commission), closed at b4's close 100 (+1): pnl -20 - 2.
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(4));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 100);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_FALSE(r.trades[0].open);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kEndOfData);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -22);
  EXPECT_EQ(r.orders[1].reason, "end_of_data");
  EXPECT_DOUBLE_EQ(r.equity_curve.back().equity, 99978);
  EXPECT_DOUBLE_EQ(r.equity_curve.back().positions_value, 0);
  EXPECT_DOUBLE_EQ(r.final_equity, 99978);
}

TEST(BrokerGolden, OpenPositionAtEndIsValuedAtTheLastClose) {
  auto feed = feed_a();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
  });
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_TRUE(r.trades[0].open);
  EXPECT_EQ(r.trades[0].exit_time, day(4));
  EXPECT_DOUBLE_EQ(r.trades[0].exit_price, 100);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -20);
  EXPECT_EQ(r.trades[0].bars_held, 3);
  EXPECT_DOUBLE_EQ(r.final_equity, 99980);
  EXPECT_EQ(r.metrics.num_trades, 0);  // open trades are not counted
}

}  // namespace
}  // namespace ml4t::backtest

namespace ml4t::backtest {
namespace {

// Records the hook calls, to check their order and arguments.
class Recorder : public Strategy {
 public:
  std::vector<std::string> calls;
  void on_start() override { calls.push_back("start:" + std::to_string(schema().num_signals())); }
  void on_market_data(const MarketEvent& e, const FieldValues& context) override {
    calls.push_back("data:" + e.symbol() + ":" + std::to_string(static_cast<int>(context.get("vix", -1))));
    if (e.timestamp() == testing::day(0) && e.symbol() == "BBB") {
      EXPECT_NE(order("BBB", 3), 0u);  // symbol overloads
      EXPECT_EQ(order("ZZZ", 3), 2u);  // unknown symbol: placed and recorded as rejected
    }
  }
  void on_timestamp(const TimestampGroup& g) override { calls.push_back("ts:" + std::to_string(g.size())); }
  void on_fill(const Fill& f) override {
    calls.push_back("fill:" + std::to_string(static_cast<int>(f.quantity)) + ":" +
                    std::to_string(static_cast<int>(position("BBB"))));
  }
  void on_end() override { calls.push_back("end"); }
};

TEST(StrategyHooks, AreCalledInLoopOrder) {
  const std::vector<Bar> bars(2, Bar{10, 10, 10, 10, 100});
  auto feed = testing::make_feed({{"AAA", bars, {}}, {"BBB", bars, {}}}, {15, 16});
  Recorder rec;
  BacktestEngine engine(*feed, rec);
  const Results r = engine.run();
  EXPECT_EQ(rec.calls, (std::vector<std::string>{"start:1", "data:AAA:15", "data:BBB:15", "ts:2", "fill:3:3",
                                                 "data:AAA:16", "data:BBB:16", "ts:2", "end"}));
  ASSERT_EQ(r.orders.size(), 2u);
  EXPECT_EQ(r.orders[1].reason,
            "unknown symbol \"ZZZ\": the feed has no asset of that name (2 assets so far); check the spelling and the "
            "universe filter");
}

TEST(BrokerGolden, SameBarCloseLimitAndStopUseTheClose) {
  EngineConfig config;
  config.execution.fill_timing = FillTiming::kSameBarClose;
  auto feed = testing::make_feed({{"AAA", kBars, {}}});
  // At b1 (close 103): a buy limit 103.5 fills at the close 103; a buy limit 102 does
  // not fill at b1's close and carries on to b3, whose low 100 reaches it -> 102.
  auto r = testing::run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 1) {
          s.order(0, 10, OrderType::kLimit, 103.5);
          s.order(0, 5, OrderType::kLimit, 102);
        }
      },
      config);
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[0].timestamp, day(1));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 103);
  EXPECT_EQ(r.fills[1].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 102);
}

}  // namespace
}  // namespace ml4t::backtest

namespace ml4t::backtest {
namespace {

TEST(BrokerGolden, CommissionMinimumIsPerOrderAcrossPartialFills) {
  // 250 shares in fills of 100, 100, 50 (10% of 1000-share bars).
  EngineConfig config;
  config.execution.max_volume_participation = 0.1;
  config.execution.commission = {CommissionType::kPerShare, 0.001, 1.0};
  auto feed = testing::make_feed({{"AAA", kBars, {}}});
  auto r = testing::run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 250);
      },
      config);
  // Cumulative max(0.001 x shares, 1): 1 after 100, still 1 after 200 and 250.
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_DOUBLE_EQ(r.fills[0].commission, 1.0);
  EXPECT_DOUBLE_EQ(r.fills[1].commission, 0.0);
  EXPECT_DOUBLE_EQ(r.fills[2].commission, 0.0);
  // At 0.01/share: 1.0, then 2.0 - 1.0, then 2.5 - 2.0 (= 0.01 x 250 in all).
  config.execution.commission.rate = 0.01;
  auto feed2 = testing::make_feed({{"AAA", kBars, {}}});
  auto r2 = testing::run_script(
      *feed2,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 250);
      },
      config);
  ASSERT_EQ(r2.fills.size(), 3u);
  EXPECT_DOUBLE_EQ(r2.fills[0].commission, 1.0);
  EXPECT_DOUBLE_EQ(r2.fills[1].commission, 1.0);
  EXPECT_DOUBLE_EQ(r2.fills[2].commission, 0.5);
}

TEST(BrokerGolden, ShortsNeedFreeEquityToo) {
  // Capital 10000, short at b1's open 102. Free equity after the fill is
  // cash - 2 x short value: 90 shares -> 19180 - 2 x 9180 = 820 >= 0 (fills);
  // 99 shares -> 20098 - 2 x 10098 = -98 (rejected).
  EngineConfig config;
  config.execution.initial_capital = 10'000;
  auto feed = testing::make_feed({{"AAA", kBars, {}}});
  auto ok = testing::run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, -90);
      },
      config);
  EXPECT_EQ(ok.orders[0].status, OrderStatus::kFilled);
  auto feed2 = testing::make_feed({{"AAA", kBars, {}}});
  auto r = testing::run_script(
      *feed2,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, -99);
      },
      config);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[0].reason,
            "insufficient buying power at 2024-01-02T00:00:00Z: selling 99 AAA at 102.0000 needs 10098.00 but "
            "10000.00 is available; size orders below the free equity (equity minus gross exposure)");
}

}  // namespace
}  // namespace ml4t::backtest
