// Hostile configs: alias bombs, runaway nesting, duplicate keys, empty --set values and
// numbers beyond what the engine's arithmetic holds. Each class is refused with one
// message naming the place and the fix, and none of them may hang or crash.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class HostileConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "data/prices.parquet") << "x";
    std::ofstream(dir_ / "data/signals.parquet") << "x";
  }

  static constexpr const char* kBase =
      "data_sources:\n  prices: {path: data/prices.parquet}\n  signals: {path: data/signals.parquet}\n";

  std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
    try {
      BacktestConfig::from_string(text, dir_, overrides, "test.yaml");
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected a ConfigError for:\n" << text;
    return {};
  }

  fs::path dir_;
};

// Nine levels of nine aliases each: 9^9 (387 million) strings once expanded.
std::string billion_laughs(const std::string& top_key) {
  std::string doc = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    const char p = static_cast<char>(c - 1);
    doc += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n", c, p);
  }
  return doc + top_key + ": *i\n";
}

TEST_F(HostileConfig, BillionLaughsIsRefusedQuickly) {
  const auto msg = error_of(billion_laughs("strategy"));
  EXPECT_THAT(msg, HasSubstr("test.yaml:"));
  EXPECT_THAT(msg, HasSubstr("expands to more than 1000000 values once its aliases (*name) are resolved"));
}

TEST_F(HostileConfig, AliasBombInsideASetValueIsRefused) {
  // Our own case: the bomb arrives through --set as a flow mapping.
  std::string value = "{a: &a [x,x,x,x,x,x,x,x,x,x]";
  for (char c = 'b'; c <= 'h'; ++c) {
    const char p = static_cast<char>(c - 1);
    value += fmt::format(", {0}: &{0} [*{1},*{1},*{1},*{1},*{1},*{1},*{1},*{1},*{1},*{1}]", c, p);
  }
  value += "}";
  const auto msg = error_of(kBase, {"universe.assets=" + value});
  EXPECT_THAT(msg, HasSubstr("--set universe.assets="));
  EXPECT_THAT(msg, HasSubstr("the value expands to more than 1000000 values"));
}

TEST_F(HostileConfig, ModestAliasesStillWork) {
  const auto cfg = BacktestConfig::from_string(std::string(kBase) + "universe:\n  assets: &u [AAA, BBB]\n", dir_,
                                               {}, "test.yaml");
  EXPECT_EQ(cfg.universe.assets, (std::vector<std::string>{"AAA", "BBB"}));
}

TEST_F(HostileConfig, RunawayNestingIsRefused) {
  const std::string deep = std::string(200, '[') + std::string(200, ']');
  const auto msg = error_of(std::string(kBase) + "strategy: " + deep + "\n");
  EXPECT_THAT(msg, HasSubstr("test.yaml:4:"));
  EXPECT_THAT(msg, HasSubstr("the config is nested more than 64 levels deep"));
}

TEST_F(HostileConfig, DuplicateKeyIsRefused) {
  const auto msg = error_of(std::string(kBase) + "execution:\n  initial_capital: 1000\n  initial_capital: 2000\n");
  EXPECT_EQ(msg,
            "test.yaml:6:3: duplicate key \"initial_capital\" (first given on line 5) in the config; keep one of the "
            "two, since which one would win is not defined");
}

TEST_F(HostileConfig, DuplicateTopLevelKeyInJsonIsRefused) {
  // Our own case: JSON text, a top-level section given twice.
  const auto msg = error_of(
      "{\"data_sources\": {\"prices\": {\"path\": \"data/prices.parquet\"}},\n"
      " \"strategy\": {\"type\": \"top_k\"},\n \"strategy\": {\"type\": \"signal_threshold\"}}");
  EXPECT_THAT(msg, HasSubstr("test.yaml:3:2: duplicate key \"strategy\" (first given on line 2)"));
}

TEST_F(HostileConfig, EqualKeysInDifferentMappingsAreFine) {
  EXPECT_NO_THROW(BacktestConfig::from_string(
      std::string(kBase) + "execution:\n  commission: {type: percentage, rate: 0.001}\n"
                           "  slippage: {type: percentage, rate: 0.001}\n",
      dir_, {}, "test.yaml"));
}

TEST_F(HostileConfig, EmptySetValueIsRefused) {
  EXPECT_THAT(error_of(kBase, {"execution.initial_capital="}),
              HasSubstr("--set execution.initial_capital=: empty value (an unset shell variable?); give a value, or "
                        "write execution.initial_capital=null to use the default"));
  // Our own case: only blanks after '=' on another key.
  EXPECT_THAT(error_of(kBase, {"output.dir=  "}), HasSubstr("--set output.dir=  : empty value"));
}

TEST_F(HostileConfig, SetNullStillRestoresTheDefault) {
  const auto cfg = BacktestConfig::from_string(std::string(kBase) + "execution: {initial_capital: 5000}\n", dir_,
                                               {"execution.initial_capital=null"}, "test.yaml");
  EXPECT_EQ(cfg.execution.initial_capital, BacktestConfig{}.execution.initial_capital);
}

}  // namespace
}  // namespace ml4t::backtest
