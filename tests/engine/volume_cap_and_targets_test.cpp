// The volume-participation cap (whole shares, fractional shares, shared by every fill of
// an asset in a bar) and the rounding of order_target_* (the target is rounded, then the
// difference is ordered): docs/execution.md, with the arithmetic next to each value.
// Bars b0..b4 of engine_test_support.hpp: opens 100, 102, 105, 104, 101; closes 100,
// 103, 105, 101, 100; volume 1000 each.
#include <gtest/gtest.h>

#include "engine_test_support.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::kBars;
using testing::make_feed;
using testing::run_script;
using testing::Script;

// p = 1/16 (exact in binary): p x 1000 = 62.5 shares per bar.
EngineConfig capped(bool fractional) {
  EngineConfig config;
  config.execution.max_volume_participation = 0.0625;
  config.execution.fractional_shares = fractional;
  return config;
}

TEST(VolumeCap, WholeSharesRoundTheCapDown) {
  // 62.5 -> 62 shares per bar: 100 fill as 62 at b1 (102) and 38 at b2 (105).
  auto feed = make_feed({{"AAA", kBars, {}}});
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 100);
      },
      capped(false));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[0].quantity, 62);
  EXPECT_EQ(r.fills[0].price, 102);
  EXPECT_EQ(r.fills[1].quantity, 38);
  EXPECT_EQ(r.fills[1].price, 105);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kFilled);
}

TEST(VolumeCap, FractionalSharesKeepTheExactCap) {
  // fractional_shares: the cap is exactly 62.5: 62.5 at b1 and 37.5 at b2.
  auto feed = make_feed({{"AAA", kBars, {}}});
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 100);
      },
      capped(true));
  ASSERT_EQ(r.fills.size(), 2u);
  EXPECT_EQ(r.fills[0].quantity, 62.5);
  EXPECT_EQ(r.fills[1].quantity, 37.5);
  // Cash after both: 100000 - 62.5 x 102 - 37.5 x 105 = 100000 - 6375 - 3937.5 = 89687.5.
  EXPECT_EQ(r.equity_curve[2].cash, 89687.5);
}

// Two orders on one asset in one bar share the cap; the exit goes first. Buy 50 at b0
// (b1: 50 at 102, within 62). At b1: buy 40 (order 2), then sell 30 (order 3). At b2 the
// sell, an exit, fills first: 30 at 105 (30 of the bar's 62.5 used); the buy gets what is
// left, 62.5 - 30 = 32.5 -> 32 whole shares (32.5 with fractional shares), the rest at b3 (104).
struct TwoOrdersCase {
  bool fractional;
  double first_buy_fill, second_buy_fill;
};

Results two_orders(bool fractional) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  return run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 50);
        if (bar == 1) {
          s.order(0, 40);
          s.order(0, -30);
        }
      },
      capped(fractional));
}

TEST(VolumeCap, TwoOrdersOfOneAssetInOneBarShareIt) {
  for (const TwoOrdersCase& c : {TwoOrdersCase{false, 32, 8}, TwoOrdersCase{true, 32.5, 7.5}}) {
    SCOPED_TRACE(c.fractional ? "fractional shares" : "whole shares");
    const Results r = two_orders(c.fractional);
    ASSERT_EQ(r.fills.size(), 4u);
    EXPECT_EQ(r.fills[0].order_id, 1u);
    EXPECT_EQ(r.fills[0].quantity, 50);
    EXPECT_EQ(r.fills[0].timestamp, day(1));
    // b2: the exit first, then the capped entry.
    EXPECT_EQ(r.fills[1].order_id, 3u);
    EXPECT_EQ(r.fills[1].side, Side::kSell);
    EXPECT_EQ(r.fills[1].quantity, 30);
    EXPECT_EQ(r.fills[1].timestamp, day(2));
    EXPECT_EQ(r.fills[1].price, 105);
    EXPECT_EQ(r.fills[2].order_id, 2u);
    EXPECT_EQ(r.fills[2].quantity, c.first_buy_fill);
    EXPECT_EQ(r.fills[2].timestamp, day(2));
    EXPECT_EQ(r.fills[2].price, 105);
    EXPECT_EQ(r.fills[3].order_id, 2u);
    EXPECT_EQ(r.fills[3].quantity, c.second_buy_fill);
    EXPECT_EQ(r.fills[3].timestamp, day(3));
    EXPECT_EQ(r.fills[3].price, 104);
    // After b2 order 2 was partially filled; in the end it is filled at
    // (32 x 105 + 8 x 104) / 40 = 104.8 (fractional: (32.5 x 105 + 7.5 x 104) / 40 = 104.8125).
    EXPECT_EQ(r.orders[1].status, OrderStatus::kFilled);
    EXPECT_DOUBLE_EQ(r.orders[1].avg_fill_price, c.fractional ? 104.8125 : 104.8);
    // Cash: 100000 - 50 x 102 + 30 x 105 - 40 bought (32 x 105 + 8 x 104 = 4192, or
    // 32.5 x 105 + 7.5 x 104 = 4192.5) = 93858 (93857.5); position 50 - 30 + 40 = 60.
    EXPECT_EQ(r.equity_curve[3].cash, c.fractional ? 93857.5 : 93858);
    EXPECT_EQ(r.equity_curve[3].positions_value, 60 * 101);
  }
}

TEST(OrderTarget, RoundsTheTargetThenOrdersTheDifference) {
  // Hold 12 (bought at b0, filled at b1's 102). At b1 the target 10.7 shares rounds to
  // 10 (toward zero), so 2 are sold — rounding the difference (-1.3) would sell only 1
  // and stay above the target. Fractional shares: 1.3 sold, to exactly 10.7.
  for (bool fractional : {false, true}) {
    SCOPED_TRACE(fractional ? "fractional shares" : "whole shares");
    EngineConfig config;
    config.execution.fractional_shares = fractional;
    auto feed = make_feed({{"AAA", kBars, {}}});
    const Results r = run_script(
        *feed,
        [](Script& s, int bar) {
          if (bar == 0) s.order(0, 12);
          if (bar == 1) s.order_target_quantity(0, 10.7);
        },
        config);
    ASSERT_EQ(r.orders.size(), 2u);
    EXPECT_EQ(r.orders[1].side, Side::kSell);
    EXPECT_DOUBLE_EQ(r.orders[1].quantity, fractional ? 12 - 10.7 : 2);
  }
}

TEST(OrderTarget, PercentTargetsAreSharesRoundedTheSameWay) {
  // Hold 12 at b1: equity = 100000 - 12 x 102 + 12 x 103 = 100012. A target of
  // 10.7 x 103 / 100012 of equity is 10.7 shares at the close 103 -> 10: sell 2. A
  // negative target -0.5 share rounds to 0: sell the whole 12 (no short of 0.5).
  for (double target_shares : {10.7, -0.5}) {
    SCOPED_TRACE(target_shares);
    auto feed = make_feed({{"AAA", kBars, {}}});
    const Results r = run_script(*feed, [target_shares](Script& s, int bar) {
      if (bar == 0) s.order(0, 12);
      if (bar == 1) s.order_target_percent(0, target_shares * 103 / 100012);
    });
    ASSERT_EQ(r.orders.size(), 2u);
    EXPECT_EQ(r.orders[1].side, Side::kSell);
    EXPECT_EQ(r.orders[1].quantity, target_shares > 0 ? 2 : 12);
    EXPECT_EQ(r.orders[1].status, OrderStatus::kFilled);
  }
}

}  // namespace
}  // namespace ml4t::backtest
