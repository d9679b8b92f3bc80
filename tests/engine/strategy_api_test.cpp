// Golden tests of the Strategy helpers and the portfolio they read: sell_percent,
// order_target_percent to a short, close_position cancelling open orders, average cost
// and realized/unrealized P&L as seen from inside the hooks, cash()/equity() at each
// bar, the on_timestamp cross-section, sell-side stop-limits and buy trailing stops,
// day orders on intraday bars, and context gating on a configured field; then broker
// edge cases (BrokerEdges) that mutation testing of engine_core.cpp showed no test
// covered. Every expected value is worked out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine_test_support.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::make_feed;
using testing::run_script;
using testing::Script;

using testing::kBars;  // b0..b4, in engine_test_support.hpp

// What the strategy saw at one bar, after placing its orders there.
struct Seen {
  double cash = 0, equity = 0;
  PositionInfo pos;
};

TEST(StrategyApi, SellPercentShortsWhenFlatThenReducesALong) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  std::vector<Seen> seen(5);
  auto r = run_script(*feed, [&seen](Script& s, int bar) {
    // b0: 1% of 100000 at 100 = 10 shares short -> sold at b1's open 102.
    if (bar == 0) {
      EXPECT_NE(s.sell_percent(0, 0.01, 100), 0u);
    }
    // b1: buy 30 -> at b2's open 105 covers 10 (-30) and opens a long of 20.
    if (bar == 1) s.order(0, 30);
    // b2: equity 99970; 1% at a sizing price of 50 = 19.994 -> 19 sold at b3's open 104.
    if (bar == 2) s.sell_percent(0, 0.01, 50);
    seen[static_cast<size_t>(bar)] = {s.cash(), s.equity(), s.position_info(0)};
  });
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_EQ(r.fills[0].side, Side::kSell);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 10);
  EXPECT_DOUBLE_EQ(r.fills[0].price, 102);
  EXPECT_DOUBLE_EQ(r.fills[1].quantity, 30);
  EXPECT_EQ(r.fills[2].side, Side::kSell);
  EXPECT_DOUBLE_EQ(r.fills[2].quantity, 19);
  EXPECT_DOUBLE_EQ(r.fills[2].price, 104);

  // b1: cash 100000 + 1020 = 101020, short 10 marked at 103: equity 99990.
  EXPECT_DOUBLE_EQ(seen[1].cash, 101020);
  EXPECT_DOUBLE_EQ(seen[1].equity, 99990);
  EXPECT_DOUBLE_EQ(seen[1].pos.quantity, -10);
  EXPECT_DOUBLE_EQ(seen[1].pos.avg_cost, 102);
  EXPECT_DOUBLE_EQ(seen[1].pos.unrealized_pnl, -10);  // (103 - 102) x -10
  EXPECT_DOUBLE_EQ(seen[1].pos.market_value, -1030);
  // b2: cash 101020 - 30 x 105 = 97870; long 20 at 105, marked 105: equity 99970.
  EXPECT_DOUBLE_EQ(seen[2].cash, 97870);
  EXPECT_DOUBLE_EQ(seen[2].equity, 99970);
  EXPECT_DOUBLE_EQ(seen[2].pos.quantity, 20);
  EXPECT_DOUBLE_EQ(seen[2].pos.avg_cost, 105);
  EXPECT_DOUBLE_EQ(seen[2].pos.realized_pnl, -30);  // the short: (102 - 105) x 10
  // b3: sold 19 at 104 (realized -19): cash 97870 + 1976 = 99846; 1 share at 101.
  EXPECT_DOUBLE_EQ(seen[3].cash, 99846);
  EXPECT_DOUBLE_EQ(seen[3].equity, 99947);
  EXPECT_DOUBLE_EQ(seen[3].pos.quantity, 1);
  EXPECT_DOUBLE_EQ(seen[3].pos.avg_cost, 105);
  EXPECT_DOUBLE_EQ(seen[3].pos.realized_pnl, -49);
  EXPECT_DOUBLE_EQ(seen[3].pos.unrealized_pnl, -4);

  // The curve: 100000, 99990, 99970, 99947, 99846 + 100 = 99946.
  const double equity[] = {100000, 99990, 99970, 99947, 99946};
  for (size_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(r.equity_curve[i].equity, equity[i]) << i;
  // Trades: the short (-30), then the long still open: 19 sold at 104 and 1 marked at
  // 100 -> exit price (1976 + 100) / 20 = 103.8, pnl -19 - 5 = -24.
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_EQ(r.trades[0].side, TradeSide::kShort);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -30);
  EXPECT_EQ(r.trades[1].side, TradeSide::kLong);
  EXPECT_TRUE(r.trades[1].open);
  EXPECT_DOUBLE_EQ(r.trades[1].quantity, 20);
  EXPECT_DOUBLE_EQ(r.trades[1].exit_price, 103.8);
  EXPECT_DOUBLE_EQ(r.trades[1].pnl, -24);
  EXPECT_DOUBLE_EQ(r.final_equity, 100000 - 30 - 24);
}

TEST(StrategyApi, AverageCostAndRealizedPnlNetOfCommission) {
  EngineConfig config;
  config.execution.commission = {CommissionType::kFixed, 1.0, 0.0};
  auto feed = make_feed({{"AAA", kBars, {}}});
  std::vector<Seen> seen(5);
  auto r = run_script(
      *feed,
      [&seen](Script& s, int bar) {
        if (bar == 0 || bar == 1) s.order(0, 10);  // 10 at 102 (b1), 10 at 105 (b2)
        if (bar == 2) s.order(0, -5);              // 5 at 104 (b3)
        seen[static_cast<size_t>(bar)] = {s.cash(), s.equity(), s.position_info(0)};
      },
      config);
  // b2: 20 at an average (1020 + 1050) / 20 = 103.5; unrealized (105 - 103.5) x 20 = 30;
  // realized so far is the two commissions, -2.
  EXPECT_DOUBLE_EQ(seen[2].pos.quantity, 20);
  EXPECT_DOUBLE_EQ(seen[2].pos.avg_cost, 103.5);
  EXPECT_DOUBLE_EQ(seen[2].pos.unrealized_pnl, 30);
  EXPECT_DOUBLE_EQ(seen[2].pos.realized_pnl, -2);
  EXPECT_DOUBLE_EQ(seen[2].cash, 100000 - 1021 - 1051);  // 97928
  // b3: sold 5 at 104: realized (104 - 103.5) x 5 - 3 commissions = -0.5; the average
  // cost stays 103.5; unrealized (101 - 103.5) x 15 = -37.5; cash 97928 + 520 - 1.
  EXPECT_DOUBLE_EQ(seen[3].pos.quantity, 15);
  EXPECT_DOUBLE_EQ(seen[3].pos.avg_cost, 103.5);
  EXPECT_DOUBLE_EQ(seen[3].pos.realized_pnl, -0.5);
  EXPECT_DOUBLE_EQ(seen[3].pos.unrealized_pnl, -37.5);
  EXPECT_DOUBLE_EQ(seen[3].cash, 98447);
  EXPECT_DOUBLE_EQ(seen[3].equity, 98447 + 15 * 101);  // = 100000 - 0.5 - 37.5
  // The open trade: 20 entered at 103.5; 5 out at 104 and 15 marked at b4's close 100:
  // exit price 2020 / 20 = 101; pnl 2.5 - 52.5 - 3 = -53.
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_DOUBLE_EQ(r.trades[0].entry_price, 103.5);
  EXPECT_DOUBLE_EQ(r.trades[0].exit_price, 101);
  EXPECT_DOUBLE_EQ(r.trades[0].commission, 3);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -53);
  EXPECT_DOUBLE_EQ(r.trades[0].return_fraction, -53.0 / 2070.0);
  EXPECT_DOUBLE_EQ(r.final_equity, 99947);
}

TEST(StrategyApi, OrderTargetPercentGoesShortAndBack) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(*feed, [](Script& s, int bar) {
    // b0: -2% of 100000 at 100 = -20 -> short 20 at b1's open 102.
    if (bar == 0) s.order_target_percent(0, -0.02);
    // b1: equity 100000 + 2040 - 2060 = 99980; 1% at 103 = 9.7 -> 9; delta 9 - (-20) = 29.
    if (bar == 1) {
      EXPECT_DOUBLE_EQ(s.equity(), 99980);
      s.order_target_percent(0, 0.01);
    }
    // b2: target 0 closes the 9 shares.
    if (bar == 2) s.order_target_percent(0, 0.0);
  });
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_EQ(r.fills[0].side, Side::kSell);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 20);
  EXPECT_EQ(r.fills[1].side, Side::kBuy);
  EXPECT_DOUBLE_EQ(r.fills[1].quantity, 29);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 105);
  EXPECT_EQ(r.fills[2].side, Side::kSell);
  EXPECT_DOUBLE_EQ(r.fills[2].quantity, 9);
  EXPECT_DOUBLE_EQ(r.fills[2].price, 104);
  // Short 20 from 102 to 105: -60; long 9 from 105 to 104: -9.
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, -60);
  EXPECT_DOUBLE_EQ(r.trades[1].pnl, -9);
  EXPECT_DOUBLE_EQ(r.final_equity, 100000 - 69);
}

TEST(StrategyApi, ClosePositionCancelsTheAssetsOpenOrders) {
  auto feed = make_feed({{"AAA", kBars, {}}, {"BBB", kBars, {}}});
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);  // 10 AAA at b1's open 102
    if (bar == 1) {
      s.order(0, -10, OrderType::kLimit, 150);  // a far take-profit
      s.order(0, 5, OrderType::kLimit, 50);     // a far add
      s.order(1, 5, OrderType::kLimit, 50);     // another asset: untouched
    }
    if (bar == 2) {
      EXPECT_EQ(s.open_orders(0), 2);
      EXPECT_NE(s.close_position(0), 0u);
      EXPECT_EQ(s.open_orders(0), 1);  // just the closing order
      EXPECT_EQ(s.open_orders(1), 1);
      EXPECT_EQ(s.close_position(1), 0u);  // flat: nothing to close, but its orders go
      EXPECT_EQ(s.open_orders(1), 0);
    }
  });
  ASSERT_EQ(r.orders.size(), 5u);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kCancelled);
  EXPECT_EQ(r.orders[2].status, OrderStatus::kCancelled);
  EXPECT_EQ(r.orders[3].status, OrderStatus::kCancelled);
  EXPECT_EQ(r.orders[1].updated, day(2));
  EXPECT_EQ(r.orders[4].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[4].side, Side::kSell);
  EXPECT_DOUBLE_EQ(r.orders[4].avg_fill_price, 104);  // b3's open
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 20);
}

// Records the cross-section on_timestamp receives.
class CrossSection : public Strategy {
 public:
  std::vector<std::string> seen;
  void on_timestamp(const TimestampGroup& g) override {
    std::string line = g.timestamp().to_string() + ":";
    for (const MarketEvent& e : g) line += " " + e.symbol() + "=" + std::to_string(static_cast<int>(e.close()));
    seen.push_back(line);
  }
};

TEST(StrategyApi, OnTimestampSeesTheWholeCrossSectionOnly) {
  // BBB has no bar on day 1: that cross-section holds AAA alone.
  InMemoryDataFeed::Builder b;
  b.add_bar(day(0), "AAA", Bar{10, 10, 10, 10, 1});
  b.add_bar(day(0), "BBB", Bar{20, 20, 20, 20, 1});
  b.add_bar(day(1), "AAA", Bar{11, 11, 11, 11, 1});
  b.add_bar(day(2), "AAA", Bar{12, 12, 12, 12, 1});
  b.add_bar(day(2), "BBB", Bar{22, 22, 22, 22, 1});
  auto feed = b.build();
  CrossSection s;
  BacktestEngine engine(*feed, s);
  engine.run();
  EXPECT_EQ(s.seen, (std::vector<std::string>{"2024-01-01T00:00:00Z: AAA=10 BBB=20", "2024-01-02T00:00:00Z: AAA=11",
                                              "2024-01-03T00:00:00Z: AAA=12 BBB=22"}));
}

TEST(StrategyApi, SellStopLimitGapTriggersThenWorksAsALimit) {
  // Long 10 from b1 (102). At b3 (close 101): sell stop 101.5 limit 101.2, and sell stop
  // 101.5 limit 102.5. b4 opens at 101, through the stop: both trigger at the open. The
  // first is a sell limit 101.2: open 101 < 101.2 but high 102 reaches it -> 101.2. The
  // second needs 102.5 > high 102: no fill, it stays open (triggered).
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 3) {
      s.order(0, -5, OrderType::kStopLimit, 101.2, 101.5);
      s.order(0, -5, OrderType::kStopLimit, 102.5, 101.5);
    }
  });
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(4));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 101.2);
  EXPECT_EQ(r.orders[2].status, OrderStatus::kOpen);
}

TEST(StrategyApi, BuyTrailingStopCoversAShortOffItsLow) {
  //                               open high  low close
  const std::vector<Bar> bars = {{100, 100, 100, 100, 1000},  // b0: short 10
                                 {100, 101, 99, 100, 1000},   // b1: sold at 100; trail 5% (level 105)
                                 {99, 100, 90, 92, 1000},     // b2: high 100 < 105; trough -> 90
                                 {93, 95, 91, 94, 1000},      // b3: level 94.5, high 95 -> 94.5
                                 {94, 94, 94, 94, 1000}};
  auto feed = make_feed({{"AAA", bars, {}}});
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, -10);
    if (bar == 1) s.order_trailing_stop(0, 10, 0.05);
  });
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].side, Side::kBuy);
  EXPECT_EQ(r.fills[1].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 94.5);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_DOUBLE_EQ(r.trades[0].pnl, 55);  // (100 - 94.5) x 10
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kSignal);
}

TEST(StrategyApi, DayOrdersOnIntradayBarsLiveForTheRestOfTheirDay) {
  // Hourly bars 10:00..13:00 on Jan 2 and 10:00..11:00 on Jan 3.
  InMemoryDataFeed::Builder b;
  const auto d2 = Timestamp::from_civil(2024, 1, 2, 10), d3 = Timestamp::from_civil(2024, 1, 3, 10);
  const Bar flat{100, 100, 100, 100, 1000}, dip{100, 100, 94, 96, 1000};
  b.add_bar(d2, "AAA", flat);
  b.add_bar(d2 + std::chrono::hours(1), "AAA", flat);
  b.add_bar(d2 + std::chrono::hours(2), "AAA", dip);  // 12:00: low 94
  b.add_bar(d2 + std::chrono::hours(3), "AAA", flat);
  b.add_bar(d3, "AAA", dip);  // Jan 3 10:00: low 94
  b.add_bar(d3 + std::chrono::hours(1), "AAA", flat);
  auto feed = b.build();
  auto r = run_script(*feed, [](Script& s, int bar) {
    // 10:00: a day limit 95 misses 11:00 and fills at 12:00, the same day.
    if (bar == 0) s.order(0, 10, OrderType::kLimit, 95, Strategy::kNoPrice, TimeInForce::kDay);
    // 13:00, the day's last bar: its first chance is Jan 3 10:00, so Jan 3 is its day
    // (docs/execution.md) and it fills there.
    if (bar == 3) s.order(0, 10, OrderType::kLimit, 95, Strategy::kNoPrice, TimeInForce::kDay);
    // Jan 3 10:00: a day limit 90 never fills; the feed ends on Jan 3, so it is still open.
    if (bar == 4) s.order(0, 10, OrderType::kLimit, 90, Strategy::kNoPrice, TimeInForce::kDay);
  });
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[0].timestamp, d2 + std::chrono::hours(2));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 95);
  EXPECT_EQ(r.fills[1].timestamp, d3);
  EXPECT_EQ(r.orders[2].status, OrderStatus::kOpen);
}

TEST(StrategyApi, DayOrderPlacedMidSessionExpiresAtTheDaysEnd) {
  // Placed at 10:00 Jan 2; 11:00 and 12:00 miss the limit; Jan 3 10:00 would fill it
  // (low 94) but the order expired with Jan 2.
  InMemoryDataFeed::Builder b;
  const auto d2 = Timestamp::from_civil(2024, 1, 2, 10), d3 = Timestamp::from_civil(2024, 1, 3, 10);
  for (int h = 0; h < 3; ++h) b.add_bar(d2 + std::chrono::hours(h), "AAA", Bar{100, 100, 99, 100, 1000});
  b.add_bar(d3, "AAA", Bar{100, 100, 94, 96, 1000});
  auto feed = b.build();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10, OrderType::kLimit, 95, Strategy::kNoPrice, TimeInForce::kDay);
    if (bar == 0) s.order(0, 10, OrderType::kLimit, 95);  // the same order, GTC, fills on Jan 3
  });
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.fills[0].order_id, 2u);
  EXPECT_EQ(r.fills[0].timestamp, d3);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kExpired);
  EXPECT_EQ(r.orders[0].updated, d3);
  EXPECT_EQ(r.orders[0].reason, "day order expired at the end of its UTC trading day");
}

TEST(StrategyApi, DayOrderForAnAssetWithoutABarThatDayExpiresUnfilled) {
  // BBB has no bar on day 1, the order's day: it expires at day 2 without a chance.
  InMemoryDataFeed::Builder b;
  for (int i = 0; i < 3; ++i) b.add_bar(day(i), "AAA", Bar{10, 10, 10, 10, 100});
  b.add_bar(day(0), "BBB", Bar{20, 20, 20, 20, 100});
  b.add_bar(day(2), "BBB", Bar{20, 20, 20, 20, 100});
  auto feed = b.build();
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(1, 5, OrderType::kMarket, Strategy::kNoPrice, Strategy::kNoPrice, TimeInForce::kDay);
  });
  EXPECT_TRUE(r.fills.empty());
  EXPECT_EQ(r.orders[0].status, OrderStatus::kExpired);
  EXPECT_EQ(r.orders[0].updated, day(2));
}

TEST(StrategyApi, OnFillSeesEveryFillIncludingRuleExits) {
  EngineConfig config;
  config.risk_rules.stop_loss = 0.02;  // 102 x 0.98 = 99.96: b3's low 100 misses, b4's 99 hits
  config.execution.close_positions_at_end = true;
  auto feed = make_feed({{"AAA", kBars, {}}, {"BBB", kBars, {}}});
  std::vector<Fill> seen;
  Script script([](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 3) s.order(1, 1);  // open at the end: closed at b4's close
  });
  {
    BacktestEngine engine(*feed, script, config);
    const Results r = engine.run();
    ASSERT_EQ(r.fills.size(), 4u);
    ASSERT_EQ(script.fills_seen.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(script.fills_seen[i].order_id, r.fills[i].order_id);
      EXPECT_EQ(script.fills_seen[i].price, r.fills[i].price);
    }
    EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kStopLoss);
    EXPECT_DOUBLE_EQ(r.fills[2].price, 102 * 0.98);
    EXPECT_EQ(r.trades[1].exit_reason, ExitReason::kEndOfData);
  }
}

TEST(StrategyApi, ContextGatingUsesTheConfiguredFieldAndMissingValuesDoNotBlock) {
  // Field "vix9d", entries only while it is >= 15: 12 at b0 blocks; 18 at b1 lets in;
  // missing at b2 does not block; 11 at b3 blocks the entry but not the exit.
  InMemoryDataFeed::Builder b({}, {"vix9d"});
  const double vix9d[] = {12, 18, kMissing, 11, 11};
  for (int i = 0; i < 5; ++i) {
    b.add_bar(day(i), "AAA", kBars[static_cast<size_t>(i)]);
    b.add_context(day(i), {vix9d[i]});
  }
  auto feed = b.build();
  EngineConfig config;
  config.risk_rules.context_field = "vix9d";
  config.risk_rules.min_vix = 15;
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar <= 3) s.order(0, 1);
        if (bar == 3) s.close_position(0);
      },
      config);
  ASSERT_EQ(r.orders.size(), 5u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[0].reason, "new entries blocked: vix9d = 12 is outside [15, inf] (risk_rules.min_vix/max_vix)");
  EXPECT_EQ(r.orders[1].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[2].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[3].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[4].status, OrderStatus::kFilled);  // the exit of 2 shares
  EXPECT_DOUBLE_EQ(r.orders[4].quantity, 2);
}

TEST(StrategyApi, FractionalQuantitiesLeaveNoResidueInOpenOrderTotals) {
  // Four fractional buys summed and then subtracted in floating point leave -1.8e-15 of
  // "pending" quantity unless the engine resets it when the last order closes; a target
  // of 0 on a flat asset must then place nothing, and max_positions must not count it.
  const std::vector<Bar> flat(5, Bar{100, 100, 100, 100, 1e6});
  auto feed = make_feed({{"AAA", flat, {}}, {"BBB", flat, {}}});
  EngineConfig config;
  config.execution.fractional_shares = true;
  config.risk_rules.max_positions = 1;
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          for (double q : {1.5357, 1.4, 3.57, 2.6}) s.order(0, q);
        }
        if (bar == 1) s.close_position(0);
        if (bar == 2) {
          EXPECT_EQ(s.position(0), 0);
          EXPECT_EQ(s.order_target_quantity(0, 0), 0u);
          EXPECT_EQ(s.order_target_percent(0, 0), 0u);
          EXPECT_NE(s.order(1, 1), 0u);
        }
      },
      config);
  ASSERT_EQ(r.orders.size(), 6u);
  EXPECT_DOUBLE_EQ(r.orders[4].quantity, 9.1057);
  EXPECT_EQ(r.orders[5].asset, 1u);
  EXPECT_EQ(r.orders[5].status, OrderStatus::kFilled);
}

TEST(BrokerEdges, AllowShortFalseAlsoRejectsAtTheFill) {
  // Placement counts open orders: with a buy limit of 10 open (at 90, never reached) a
  // sell of 10 looks like a close. At b1 the sell fills first and would leave -10: rejected.
  EngineConfig config;
  config.execution.allow_short = false;
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          s.order(0, 10, OrderType::kLimit, 90);
          s.order(0, -10);
        }
      },
      config);
  EXPECT_TRUE(r.fills.empty());
  ASSERT_EQ(r.orders.size(), 2u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kOpen);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[1].updated, day(1));
  EXPECT_EQ(r.orders[1].reason,
            "short selling is disabled (execution.allow_short: false): selling 10 would leave -10 of AAA");
}

TEST(BrokerEdges, VolumeParticipationIsSharedByTheOrdersOfOneAsset) {
  // Cap 10% of 1000 = 100 shares per bar for AAA. Two buys of 80: at b1 the first takes
  // 80 and the second the remaining 20; at b2 the second takes its last 60.
  EngineConfig config;
  config.execution.max_volume_participation = 0.1;
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          s.order(0, 80);
          s.order(0, 80);
        }
      },
      config);
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_EQ(r.fills[0].order_id, 1u);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 80);
  EXPECT_EQ(r.fills[1].order_id, 2u);
  EXPECT_DOUBLE_EQ(r.fills[1].quantity, 20);
  EXPECT_EQ(r.fills[1].timestamp, day(1));
  EXPECT_EQ(r.fills[2].order_id, 2u);
  EXPECT_DOUBLE_EQ(r.fills[2].quantity, 60);
  EXPECT_EQ(r.fills[2].timestamp, day(2));
  EXPECT_DOUBLE_EQ(r.fills[2].price, 105);
  // After b1 order 2 is partially filled; its final state is filled at (20 x 102 + 60 x 105) / 80.
  EXPECT_EQ(r.orders[1].status, OrderStatus::kFilled);
  EXPECT_DOUBLE_EQ(r.orders[1].avg_fill_price, (20 * 102 + 60 * 105) / 80.0);
}

TEST(BrokerEdges, ABarsOwnHighDoesNotTightenTheTrailingStopItIsTestedAgainst) {
  // Sell trailing 5% placed at b1 (close 100): level 95. b2 spans 100..110: tested
  // against 95 it holds (a stop trailed by b2's own high, 104.5, would have sold in b2).
  // Then the peak is 110 -> level 104.5; b3 opens at 104, through it -> the open, 104.
  const std::vector<Bar> bars = {{100, 100, 100, 100, 1000},
                                 {100, 101, 99, 100, 1000},
                                 {101, 110, 100, 108, 1000},
                                 {104, 106, 103, 105, 1000}};
  auto feed = make_feed({{"AAA", bars, {}}});
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10);
    if (bar == 1) s.order_trailing_stop(0, -10, 0.05);
  });
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[1].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[1].price, 104);
}

TEST(BrokerEdges, FixedCommissionIsChargedOncePerOrderAcrossPartialFills) {
  // 250 shares at 10% of 1000-share bars: fills of 100, 100, 50; 5 per order, paid once.
  EngineConfig config;
  config.execution.max_volume_participation = 0.1;
  config.execution.commission = {CommissionType::kFixed, 5.0, 0.0};
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 250);
      },
      config);
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_DOUBLE_EQ(r.fills[0].commission, 5);
  EXPECT_DOUBLE_EQ(r.fills[1].commission, 0);
  EXPECT_DOUBLE_EQ(r.fills[2].commission, 0);
  // Cash: 100000 - 100 x 102 - 100 x 105 - 50 x 104 - 5 = 74095.
  EXPECT_DOUBLE_EQ(r.equity_curve[3].cash, 74095);
}

TEST(BrokerEdges, StopLimitTriggeredIntrabarAboveItsLimitWaitsForALaterBar) {
  // Buy stop 103 limit 102.5 placed at b0. b1 (open 102, high 104, low 101) reaches the
  // stop inside the bar, but 103 > 102.5 and OHLC cannot tell whether 102.5 traded after
  // the trigger: no fill in b1 (docs/execution.md, Choice). b2's low 104 misses the
  // limit; b3 (open 104, low 100) reaches it -> 102.5.
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order(0, 10, OrderType::kStopLimit, 102.5, 103);
  });
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.fills[0].timestamp, day(3));
  EXPECT_DOUBLE_EQ(r.fills[0].price, 102.5);
}

TEST(BrokerEdges, PercentageCommissionIsOnTheNotionalAfterSlippage) {
  // Buy 10 at b1's open 102 + 1% = 103.02: commission 0.1% x 1030.2 = 1.0302.
  EngineConfig config;
  config.execution.commission = {CommissionType::kPercentage, 0.001, 0.0};
  config.execution.slippage = {SlippageType::kPercentage, 0.01};
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
      },
      config);
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_DOUBLE_EQ(r.fills[0].price, 103.02);
  EXPECT_DOUBLE_EQ(r.fills[0].commission, 1.0302);
}

TEST(BrokerEdges, ClosingAtTheEndPaysSlippage) {
  // Long 10 from b1 (102); closed at b4's close 100 - 0.05 = 99.95: pnl -20.5 - 0.5
  // entry slippage (bought at 102.05) = -21; slippage 0.5 + 0.5.
  EngineConfig config;
  config.execution.close_positions_at_end = true;
  config.execution.slippage = {SlippageType::kFixed, 0.05};
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
      },
      config);
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_DOUBLE_EQ(r.fills[1].price, 99.95);
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_NEAR(r.trades[0].pnl, -21, 1e-9);
  EXPECT_NEAR(r.trades[0].slippage, 1.0, 1e-9);
  EXPECT_NEAR(r.final_equity, 100000 - 21, 1e-9);
}

TEST(BrokerEdges, SameBarCloseDayOrderLivesOnlyOnItsBar) {
  // Placed at b2 (close 105): a day buy limit 102 misses b2's close and expires before
  // b3, whose low 100 would have filled it; the GTC twin fills there at 102.
  EngineConfig config;
  config.execution.fill_timing = FillTiming::kSameBarClose;
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 2) {
          s.order(0, 10, OrderType::kLimit, 102, Strategy::kNoPrice, TimeInForce::kDay);
          s.order(0, 10, OrderType::kLimit, 102);
        }
      },
      config);
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.fills[0].order_id, 2u);
  EXPECT_EQ(r.fills[0].timestamp, day(3));
  EXPECT_EQ(r.orders[0].status, OrderStatus::kExpired);
  EXPECT_EQ(r.orders[0].updated, day(3));
}

TEST(BrokerEdges, VolumeShareImpactIsCappedAtTheWholeBar) {
  // 2000 shares of a 1000-share bar: the share is capped at 1 -> 102 x (1 + 0.1).
  EngineConfig config;
  config.execution.initial_capital = 1e6;
  config.execution.slippage = {SlippageType::kVolumeShare, 0.1};
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 2000);
      },
      config);
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_DOUBLE_EQ(r.fills[0].price, 102 * 1.1);
  EXPECT_NEAR(r.fills[0].slippage, 2000 * 10.2, 1e-6);
}

TEST(BrokerEdges, BuyingPowerCountsShortsInOtherAssets) {
  // Capital 10000. Short 40 AAA at b1's open 102: cash 14080. At b2's fills AAA is
  // marked at b1's close 103 (short value 4120), so free equity is 14080 - 2 x 4120 =
  // 5840: 116 BBB at 50 (5800) fit, 117 (5850) do not.
  EngineConfig config;
  config.execution.initial_capital = 10'000;
  const std::vector<Bar> flat(5, Bar{50, 50, 50, 50, 1e6});
  auto run = [&](double qty) {
    auto feed = make_feed({{"AAA", kBars, {}}, {"BBB", flat, {}}});
    return run_script(
        *feed,
        [qty](Script& s, int bar) {
          if (bar == 0) s.order(0, -40);
          if (bar == 1) s.order(1, qty);
        },
        config);
  };
  const Results ok = run(116);
  EXPECT_EQ(ok.orders[1].status, OrderStatus::kFilled);
  const Results r = run(117);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[1].reason,
            "insufficient buying power at 2024-01-03T00:00:00Z: buying 117 BBB at 50.0000 needs 5850.00 but 5840.00 is "
            "available; size orders below the free equity (equity minus gross exposure)");
}

TEST(BrokerEdges, AFlipSplitsCommissionAndSlippageProRata) {
  // Fixed slippage 0.1, commission 0.01/share. Buy 10 at 102.1 (slippage 1, commission
  // 0.1); sell 30 at 104 - 0.1 = 103.9 (slippage 3, commission 0.3): a third closes the
  // long, two thirds open a short of 20.
  EngineConfig config;
  config.execution.slippage = {SlippageType::kFixed, 0.1};
  config.execution.commission = {CommissionType::kPerShare, 0.01, 0.0};
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
        if (bar == 2) s.order(0, -30);
      },
      config);
  ASSERT_EQ(r.trades.size(), 2u);
  // Long: (103.9 - 102.1) x 10 - 0.1 - 0.1 = 17.8; slippage 1 + 1.
  EXPECT_NEAR(r.trades[0].commission, 0.2, 1e-12);
  EXPECT_NEAR(r.trades[0].slippage, 2.0, 1e-9);
  EXPECT_NEAR(r.trades[0].pnl, 17.8, 1e-9);
  // Short 20 from 103.9, open, marked at 100: 78 - 0.2 = 77.8; slippage 2.
  EXPECT_NEAR(r.trades[1].commission, 0.2, 1e-12);
  EXPECT_NEAR(r.trades[1].slippage, 2.0, 1e-9);
  EXPECT_NEAR(r.trades[1].pnl, 77.8, 1e-9);
  EXPECT_NEAR(r.final_equity, 100095.6, 1e-9);
}

TEST(BrokerEdges, BuyingPowerIncludesTheCommission) {
  // Capital 10000: 98 shares at 102 = 9996 fit, but not with a commission of 5 (10001).
  EngineConfig config;
  config.execution.initial_capital = 10'000;
  config.execution.commission = {CommissionType::kFixed, 5.0, 0.0};
  auto feed = make_feed({{"AAA", kBars, {}}});
  auto r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 98);
      },
      config);
  EXPECT_TRUE(r.fills.empty());
  EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[0].reason,
            "insufficient buying power at 2024-01-02T00:00:00Z: buying 98 AAA at 102.0000 needs 10001.00 but 10000.00 "
            "is available; size orders below the free equity (equity minus gross exposure)");
}

TEST(BrokerEdges, SizingThatLandsAHairBelowAWholeShareKeepsIt) {
  // 29% of 100000 at 29 is 999.9999999999999 in floating point: 1000 shares, not 999.
  const std::vector<Bar> bars(3, Bar{29, 29, 29, 29, 1e6});
  auto feed = make_feed({{"AAA", bars, {}}});
  auto r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.order_target_percent(0, 0.29);
  });
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_DOUBLE_EQ(r.fills[0].quantity, 1000);
}

}  // namespace
}  // namespace ml4t::backtest
