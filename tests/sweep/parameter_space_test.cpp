// Grid files: the exact order of grid combinations, list entries as given, random draws
// fixed by the seed, and one clear error per malformed file.
#include "ml4t/backtest/sweep/parameter_space.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> described(const ParameterSpace& space) {
  std::vector<std::string> out;
  for (const auto& s : space.sets) out.push_back(s.describe());
  return out;
}

TEST(ParameterSpace, GridIsTheCartesianProductWithTheLastKeyFastest) {
  const auto space = parse_parameter_space(
      "grid:\n  strategy.entry: [0.65, 0.75]\n  strategy.size_pct: [0.05, 0.1, 0.15]\n", "g.yaml");
  EXPECT_EQ(space.kind, "grid");
  EXPECT_EQ(space.keys, (std::vector<std::string>{"strategy.entry", "strategy.size_pct"}));
  EXPECT_EQ(described(space), (std::vector<std::string>{
                                  "strategy.entry=0.65, strategy.size_pct=0.05",
                                  "strategy.entry=0.65, strategy.size_pct=0.1",
                                  "strategy.entry=0.65, strategy.size_pct=0.15",
                                  "strategy.entry=0.75, strategy.size_pct=0.05",
                                  "strategy.entry=0.75, strategy.size_pct=0.1",
                                  "strategy.entry=0.75, strategy.size_pct=0.15",
                              }));
  EXPECT_EQ(space.sets[4].overrides(), (std::vector<std::string>{"strategy.entry=0.75", "strategy.size_pct=0.1"}));
}

TEST(ParameterSpace, ListKeepsEntriesAndTheirKeysInOrder) {
  const auto space = parse_parameter_space(
      "list: [{strategy.entry: 0.7}, {strategy.entry: 0.8, risk_rules.stop_loss: 0.02}, {universe.assets: [A, B]}]",
      "l.yaml");
  EXPECT_EQ(space.keys, (std::vector<std::string>{"strategy.entry", "risk_rules.stop_loss", "universe.assets"}));
  EXPECT_EQ(described(space), (std::vector<std::string>{"strategy.entry=0.7",
                                                        "strategy.entry=0.8, risk_rules.stop_loss=0.02",
                                                        "universe.assets=[A, B]"}));
}

TEST(ParameterSpace, UnitIntervalUsesThe53HighBits) {
  EXPECT_EQ(unit_interval(0), 0.0);
  EXPECT_EQ(unit_interval(uint64_t{1} << 63), 0.5);
  EXPECT_EQ(unit_interval(UINT64_MAX), 1.0 - 0x1.0p-53);
  EXPECT_EQ(unit_interval((uint64_t{1} << 11) - 1), 0.0);  // the low 11 bits are dropped
}

TEST(ParameterSpace, RandomDrawsAreMt19937_64OfTheSeedKeyByKey) {
  const auto space = parse_parameter_space(
      "random: {n: 3, seed: 7, space: {risk_rules.stop_loss: {uniform: [0, 0.05]}, strategy.side: {choice: [long, "
      "short]}}}",
      "r.yaml");
  ASSERT_EQ(space.sets.size(), 3u);
  std::mt19937_64 rng(7);  // the standard fixes this generator's output for a seed
  for (const auto& set : space.sets) {
    const double stop = 0.05 * unit_interval(rng());
    const char* side = unit_interval(rng()) < 0.5 ? "long" : "short";
    EXPECT_EQ(set.values[0].second, fmt::format("{}", stop));
    EXPECT_EQ(std::stod(set.values[0].second), stop);  // the text reads back to the same double
    EXPECT_EQ(set.values[1].second, side);
  }
  const auto again = parse_parameter_space(
      "random: {n: 3, seed: 7, space: {risk_rules.stop_loss: {uniform: [0, 0.05]}, strategy.side: {choice: [long, "
      "short]}}}",
      "r.yaml");
  EXPECT_EQ(described(again), described(space));
}

TEST(ParameterSpace, RepeatedRandomChoicesBecomeOneTask) {
  const auto space = parse_parameter_space("random: {n: 50, seed: 1, space: {strategy.side: {choice: [long, short]}}}",
                                           "r.yaml");
  EXPECT_EQ(described(space).size(), 2u);
}

void expect_error(const std::string& text, const std::string& message) {
  try {
    parse_parameter_space(text, "bad.yaml");
    ADD_FAILURE() << "no error for: " << text;
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(message)) << text;
  }
}

TEST(ParameterSpace, MalformedFilesNameTheKeyAndTheFix) {
  expect_error("grid: {strategy.entry: []}", "bad.yaml: grid.strategy.entry: expected a non-empty list of values");
  expect_error("grid: {strategy.entry: 0.5}", "bad.yaml: grid.strategy.entry: expected a non-empty list");
  expect_error("grid: {strategy.entry: [0.5, 0.5]}", "grid.strategy.entry: a value is listed twice");
  expect_error("grid: {a: [1]}\nlist: [{a: 1}]", "a grid file holds exactly one of grid, random or list, got 2");
  expect_error("grids: {a: [1]}", "bad.yaml: grids: unknown key; a grid file holds exactly one of grid, random or list");
  expect_error("random: {n: 2, seed: 1, space: {a.b: {uniform: [0.5, 0.1]}}}",
               "random.space.a.b.uniform: low 0.5 must be below high 0.1");
  expect_error("random: {n: 2, seed: 1, space: {a.b: {normal: [0, 1]}}}",
               "random.space.a.b: expected {uniform: [low, high]} or {choice: [a, b, ...]}");
  expect_error("random: {n: 0, seed: 1, space: {a.b: {choice: [1]}}}", "random.n: 0 draws");
  expect_error("random: {n: 2, space: {a.b: {choice: [1]}}}", "random.seed: expected a non-negative integer seed");
  expect_error("list: [{a.b: 1}, {a.b: 1}]", "list[1]: repeats an earlier entry");
  expect_error("grid: {\"a=b\": [1]}", "\"a=b\" is not a config key path");
  expect_error("grid: [1, 2]", "bad.yaml: grid: expected a mapping of key paths to value lists");
  expect_error("grid: {a: [1, 2", "bad.yaml:1:");  // YAML syntax, with line and column
}

TEST(ParameterSpace, AMissingFileIsNamed) {
  try {
    load_parameter_space("/nonexistent/grid.yaml");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/grid.yaml: cannot open the grid file"));
  }
}

}  // namespace
}  // namespace ml4t::backtest
