// The fill rules of docs/execution.md ("Order types and prices"), one table row per
// rule and case, against the pure functions the broker uses (src/engine/fill_rules.hpp).
// Bar used unless a row says otherwise: open 100, high 105, low 95, close 102.
#include "engine/fill_rules.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace ml4t::backtest::detail {
namespace {

constexpr BarPrices kBar{100, 105, 95, 102};
constexpr double kNoFill = kMissing;

// NaN == NaN for the "no fill" rows.
void expect_price(double expected, double actual, const std::string& row) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << row << ": expected no fill, got " << actual;
  } else {
    EXPECT_EQ(expected, actual) << row;
  }
}

struct PriceRow {
  std::string rule;
  bool buy;
  double level;  // the limit or stop price
  double expected;
};

TEST(FillRules, LimitFillsAtTheOpenWhenGappedThroughElseAtTheLimit) {
  const std::vector<PriceRow> rows = {
      {"buy limit above the open: gapped through, the better open", true, 101, 100},
      {"buy limit at the open: the open", true, 100, 100},
      {"buy limit inside the bar (low 95 <= 97): at the limit", true, 97, 97},
      {"buy limit at the low: at the limit", true, 95, 95},
      {"buy limit below the low: no fill", true, 94, kNoFill},
      {"sell limit below the open: gapped through, the better open", false, 99, 100},
      {"sell limit inside the bar (high 105 >= 103): at the limit", false, 103, 103},
      {"sell limit at the high: at the limit", false, 105, 105},
      {"sell limit above the high: no fill", false, 106, kNoFill},
  };
  for (const auto& r : rows) expect_price(r.expected, limit_fill_price(r.buy, r.level, kBar), r.rule);
}

TEST(FillRules, StopFillsAtTheOpenWhenGappedThroughElseAtTheStop) {
  const std::vector<PriceRow> rows = {
      {"buy stop below the open: gapped through, the worse open", true, 98, 100},
      {"buy stop inside the bar (high 105 >= 103): at the stop", true, 103, 103},
      {"buy stop at the high: at the stop", true, 105, 105},
      {"buy stop above the high: no fill", true, 106, kNoFill},
      {"sell stop above the open: gapped through, the worse open", false, 101, 100},
      {"sell stop inside the bar (low 95 <= 97): at the stop", false, 97, 97},
      {"sell stop below the low: no fill", false, 94, kNoFill},
  };
  for (const auto& r : rows) expect_price(r.expected, stop_fill_price(r.buy, r.level, kBar), r.rule);
}

TEST(FillRules, StopLimitTriggersLikeAStopThenIsALimit) {
  struct Row {
    std::string rule;
    bool buy;
    double stop, limit;
    bool triggered_before;
    bool triggered;
    double expected;
  };
  const std::vector<Row> rows = {
      {"buy, opens through the stop 98, open 100 <= limit 101: the open", true, 98, 101, false, true, 100},
      {"buy, opens through the stop 98, limit 97 reached by the low: the limit", true, 98, 97, false, true, 97},
      {"buy, opens through the stop 98, limit 94 below the low: triggered, no fill", true, 98, 94, false, true,
       kNoFill},
      {"buy, stop 103 touched intrabar, stop satisfies limit 104: at the stop", true, 103, 104, false, true, 103},
      {"buy, stop 103 touched intrabar, limit 102 below it: triggered, waits", true, 103, 102, false, true, kNoFill},
      {"buy, stop 106 above the high: not triggered", true, 106, 107, false, false, kNoFill},
      {"buy, triggered earlier: a limit 97 (low 95 reaches it)", true, 106, 97, true, true, 97},
      {"sell, opens through the stop 101, open 100 >= limit 99: the open", false, 101, 99, false, true, 100},
      {"sell, stop 97 touched intrabar, stop satisfies limit 96: at the stop", false, 97, 96, false, true, 97},
      {"sell, stop 97 touched intrabar, limit 98 above it: triggered, waits", false, 97, 98, false, true, kNoFill},
      {"sell, stop 94 below the low: not triggered", false, 94, 93, false, false, kNoFill},
  };
  for (const auto& r : rows) {
    const StopLimitFill f = stop_limit_fill_price(r.buy, r.stop, r.limit, r.triggered_before, kBar);
    EXPECT_EQ(r.triggered, f.triggered) << r.rule;
    expect_price(r.expected, f.price, r.rule);
  }
}

TEST(FillRules, TrailingStopLevelAndItsBestPrice) {
  // Sell, peak 110, 5%: level 110 x 0.95 = 104.5 above the open 100: gapped through.
  EXPECT_DOUBLE_EQ(104.5, trailing_stop_level(false, 110, 0.05));
  EXPECT_EQ(100, stop_fill_price(false, trailing_stop_level(false, 110, 0.05), kBar));
  // Sell, peak 100, 4%: level 96, the low 95 reaches it: at 96.
  EXPECT_DOUBLE_EQ(96, trailing_stop_level(false, 100, 0.04));
  EXPECT_DOUBLE_EQ(96, stop_fill_price(false, trailing_stop_level(false, 100, 0.04), kBar));
  // Buy, trough 90, 10%: level 99 below the open: gapped, the open.
  EXPECT_DOUBLE_EQ(99, trailing_stop_level(true, 90, 0.10));
  EXPECT_EQ(100, stop_fill_price(true, trailing_stop_level(true, 90, 0.10), kBar));
  // After the bar was checked: a sell's peak takes the high 105 (not lower ones), a buy's
  // trough the low 95 (not higher ones).
  EXPECT_EQ(105, trailing_extreme_after(false, 100, kBar));
  EXPECT_EQ(110, trailing_extreme_after(false, 110, kBar));
  EXPECT_EQ(95, trailing_extreme_after(true, 100, kBar));
  EXPECT_EQ(90, trailing_extreme_after(true, 90, kBar));
}

TEST(FillRules, SameBarCloseFillsAtTheCloseWhenItSatisfiesTheOrder) {
  struct Row {
    std::string rule;
    OrderType type;
    bool buy;
    double limit, stop;
    double expected;
  };
  const double close = 102;
  const std::vector<Row> rows = {
      {"market: the close", OrderType::kMarket, true, kMissing, kMissing, 102},
      {"buy limit 103 >= close: the close", OrderType::kLimit, true, 103, kMissing, 102},
      {"buy limit 101 < close: no fill", OrderType::kLimit, true, 101, kMissing, kNoFill},
      {"sell limit 101 <= close: the close", OrderType::kLimit, false, 101, kMissing, 102},
      {"sell limit 103 > close: no fill", OrderType::kLimit, false, 103, kMissing, kNoFill},
      {"buy stop 101 <= close: the close", OrderType::kStop, true, kMissing, 101, 102},
      {"buy stop 103 > close: no fill", OrderType::kStop, true, kMissing, 103, kNoFill},
      {"sell stop 103 >= close: the close", OrderType::kStop, false, kMissing, 103, 102},
      {"buy stop-limit stop 101 limit 103: the close", OrderType::kStopLimit, true, 103, 101, 102},
      {"buy stop-limit stop 101 limit 101.5: limit not met", OrderType::kStopLimit, true, 101.5, 101, kNoFill},
      {"buy stop-limit stop 103: stop not reached", OrderType::kStopLimit, true, 104, 103, kNoFill},
      {"trailing stop: never at the close", OrderType::kTrailingStop, false, kMissing, kMissing, kNoFill},
  };
  for (const auto& r : rows) expect_price(r.expected, close_fill_price(r.type, r.buy, r.limit, r.stop, close), r.rule);
}

TEST(FillRules, SlippageNeverPushesALimitFillPastItsLimit) {
  // Buy limit 100, slipped to 100.05: back to 100; sell limit 100 slipped to 99.95: 100.
  EXPECT_EQ(100, clamp_to_limit(OrderType::kLimit, true, 100, 100.05));
  EXPECT_EQ(100, clamp_to_limit(OrderType::kLimit, false, 100, 99.95));
  EXPECT_EQ(100, clamp_to_limit(OrderType::kStopLimit, true, 100, 100.05));
  // Within the limit: unchanged.
  EXPECT_EQ(99.5, clamp_to_limit(OrderType::kLimit, true, 100, 99.5));
  // Market and stop orders have no limit to respect.
  EXPECT_EQ(100.05, clamp_to_limit(OrderType::kMarket, true, kMissing, 100.05));
  EXPECT_EQ(100.05, clamp_to_limit(OrderType::kStop, true, 100, 100.05));
}

}  // namespace
}  // namespace ml4t::backtest::detail
