// The cost models of docs/execution.md ("Costs"), one table row per model and case,
// against the pure functions the broker uses (src/engine/costs.hpp).
#include "engine/costs.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ml4t/backtest/core/batch.hpp"

namespace ml4t::backtest::detail {
namespace {

TEST(Costs, SlippageMovesThePriceAgainstTheTrade) {
  struct Row {
    std::string rule;
    SlippageConfig model;
    double sign, qty, volume;
    double expected;
  };
  const std::vector<Row> rows = {
      {"none", {SlippageType::kNone, 0.5}, 1, 10, 1000, 100},
      // 100 x (1 + 0.001) and 100 x (1 - 0.001)
      {"percentage, buy", {SlippageType::kPercentage, 0.001}, 1, 10, 1000, 100 * (1 + 0.001)},
      {"percentage, sell", {SlippageType::kPercentage, 0.001}, -1, 10, 1000, 100 * (1 - 0.001)},
      // 100 + 0.25, 100 - 0.25; never below zero
      {"fixed, buy", {SlippageType::kFixed, 0.25}, 1, 10, 1000, 100.25},
      {"fixed, sell", {SlippageType::kFixed, 0.25}, -1, 10, 1000, 99.75},
      {"fixed, sell beyond the price: 0", {SlippageType::kFixed, 150}, -1, 10, 1000, 0},
      // 100 x (1 + 0.1 x 50/1000) = 100 x 1.005
      {"volume share, 5% of the bar", {SlippageType::kVolumeShare, 0.1}, 1, 50, 1000, 100 * (1 + 0.1 * 0.05)},
      // share capped at 1: 100 x (1 - 0.1)
      {"volume share, more than the bar", {SlippageType::kVolumeShare, 0.1}, -1, 5000, 1000, 100 * (1 - 0.1)},
      {"volume share, missing volume: share 1", {SlippageType::kVolumeShare, 0.1}, 1, 50, kMissing, 100 * 1.1},
      {"volume share, zero volume: share 1", {SlippageType::kVolumeShare, 0.1}, 1, 50, 0, 100 * 1.1},
  };
  for (const auto& r : rows) EXPECT_EQ(r.expected, slipped_price(r.model, 100, r.sign, r.qty, r.volume)) << r.rule;
}

TEST(Costs, CommissionWithPerOrderMinimums) {
  struct Row {
    std::string rule;
    CommissionConfig model;
    OrderFillsSoFar so_far;
    double qty, price;
    double expected;
  };
  const std::vector<Row> rows = {
      {"none", {CommissionType::kNone, 1, 5}, {}, 100, 50, 0},
      // 0.005 x 1000 = 5 above the minimum 1
      {"per share", {CommissionType::kPerShare, 0.005, 1}, {}, 1000, 50, 0.005 * 1000},
      // 0.005 x 100 = 0.5 below the minimum 1: 1
      {"per share, minimum", {CommissionType::kPerShare, 0.005, 1}, {}, 100, 50, 1},
      // second partial fill: max(0.005 x (100 + 300), 1) - 1 already paid = 2 - 1
      {"per share, second fill tops up to the order's total",
       {CommissionType::kPerShare, 0.005, 1},
       {100, 5000, 1},
       300,
       50,
       0.005 * 400 - 1},
      // second partial fill still under the minimum: max(0.005 x 150, 1) - 1 = 0
      {"per share, second fill under the minimum pays nothing",
       {CommissionType::kPerShare, 0.005, 1},
       {100, 5000, 1},
       50,
       50,
       0},
      // 0.001 x 100 x 50 = 5
      {"percentage of the notional", {CommissionType::kPercentage, 0.001, 0}, {}, 100, 50, 0.001 * (100 * 50.0)},
      // max(0.001 x (5000 + 100 x 60), 2) - 5 = 11 - 5
      {"percentage, second fill",
       {CommissionType::kPercentage, 0.001, 2},
       {100, 5000, 5},
       100,
       60,
       0.001 * (5000 + 100 * 60.0) - 5},
      {"fixed, first fill", {CommissionType::kFixed, 7, 0}, {}, 100, 50, 7},
      {"fixed, later fills free", {CommissionType::kFixed, 7, 0}, {100, 5000, 7}, 100, 50, 0},
  };
  for (const auto& r : rows) EXPECT_EQ(r.expected, commission_for(r.model, r.so_far, r.qty, r.price)) << r.rule;
}

}  // namespace
}  // namespace ml4t::backtest::detail
