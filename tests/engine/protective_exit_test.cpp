// The protective exits of docs/execution.md ("Risk rules"), one table row per rule and
// case, against the pure function the engine uses (src/engine/risk.hpp). Position at
// average cost 100; bar open 100, high 105, low 95 unless a row says otherwise.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/risk.hpp"

namespace ml4t::backtest::detail {
namespace {

RiskRules rules(double stop_loss, double take_profit, double trailing_stop) {
  RiskRules r;
  r.stop_loss = stop_loss;
  r.take_profit = take_profit;
  r.trailing_stop = trailing_stop;
  return r;
}

TEST(ProtectiveExit, OneRowPerRule) {
  struct Row {
    std::string rule;
    RiskRules rules;
    bool is_long;
    double high_water, low_water;
    BarPrices bar;
    bool exit;
    ExitReason reason;
    double price, level;
  };
  const BarPrices bar{100, 105, 95, 102};
  const double sl4 = 100 * (1 - 0.04), tp4 = 100 * (1 + 0.04);
  const std::vector<Row> rows = {
      {"long stop loss 4%: low 95 reaches 96, at the level", rules(0.04, 0, 0), true, 100, 100, bar, true,
       ExitReason::kStopLoss, sl4, sl4},
      {"long stop loss 2%: opens at 97 below 98, at the open",
       rules(0.02, 0, 0),
       true,
       100,
       100,
       {97, 99, 96, 98},
       true,
       ExitReason::kStopLoss,
       97,
       100 * (1 - 0.02)},
      {"long take profit 4%: high 105 reaches 104, at the level", rules(0, 0.04, 0), true, 100, 100, bar, true,
       ExitReason::kTakeProfit, tp4, tp4},
      {"long take profit 4%: opens at 106 above 104, the better open",
       rules(0, 0.04, 0),
       true,
       100,
       100,
       {106, 107, 105, 106},
       true,
       ExitReason::kTakeProfit,
       106,
       tp4},
      {"long, bar reaches both stop 96 and target 104: the adverse one first", rules(0.04, 0.04, 0), true, 100, 100,
       bar, true, ExitReason::kStopLoss, sl4, sl4},
      {"long stop 10% (90) and trailing 5% of 104 (98.8): the tighter trailing stop", rules(0.10, 0, 0.05), true, 104,
       100, bar, true, ExitReason::kTrailingStop, 104 * (1 - 0.05), 104 * (1 - 0.05)},
      {"long stop 2% (98) and trailing 10% of 104 (93.6): the tighter stop loss", rules(0.02, 0, 0.10), true, 104, 100,
       bar, true, ExitReason::kStopLoss, 100 * (1 - 0.02), 100 * (1 - 0.02)},
      {"short stop loss 4%: high 105 reaches 104", rules(0.04, 0, 0), false, 100, 100, bar, true, ExitReason::kStopLoss,
       100 * (1 + 0.04), 100 * (1 + 0.04)},
      {"short take profit 4%: low 95 reaches 96", rules(0, 0.04, 0), false, 100, 100, bar, true,
       ExitReason::kTakeProfit, 100 * (1 - 0.04), 100 * (1 - 0.04)},
      {"short trailing 3% of low-water 96 (98.88): opened above it, at the open", rules(0, 0, 0.03), false, 100, 96,
       bar, true, ExitReason::kTrailingStop, 100, 96 * (1 + 0.03)},
      {"long stop 90 and target 110 not reached: no exit", rules(0.10, 0.10, 0), true, 100, 100, bar, false,
       ExitReason::kStopLoss, kMissing, kMissing},
      {"no rule set: no exit",
       rules(0, 0, 0),
       true,
       100,
       100,
       {50, 200, 10, 100},
       false,
       ExitReason::kStopLoss,
       kMissing,
       kMissing},
  };
  for (const auto& r : rows) {
    const ProtectiveExit e = protective_exit(r.rules, r.is_long, 100, r.high_water, r.low_water, r.bar);
    EXPECT_EQ(r.exit, e.exit) << r.rule;
    if (!r.exit) {
      EXPECT_TRUE(std::isnan(e.price)) << r.rule;
      continue;
    }
    EXPECT_EQ(r.reason, e.reason) << r.rule;
    EXPECT_EQ(r.price, e.price) << r.rule;
    EXPECT_EQ(r.level, e.level) << r.rule;
  }
}

}  // namespace
}  // namespace ml4t::backtest::detail
