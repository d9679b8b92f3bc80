// BacktestConfig: parsing, defaults, env expansion, path resolution, overrides, the
// resolved dump, and one test per validation error class asserting its message.
#include "ml4t/backtest/config/backtest_config.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>

#include "ml4t/backtest/core/error.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

// A folder with empty stand-ins for the data files (loading checks only that they exist).
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    for (const char* f : {"data/prices.parquet", "data/signals.parquet", "data/context.parquet",
                          "data/features.parquet", "data/prices.csv", "data/prices.dat"}) {
      touch(dir_ / f);
    }
  }

  static constexpr const char* kBase =
      "data_sources:\n"
      "  prices: {path: data/prices.parquet}\n"
      "  signals: {path: data/signals.parquet, columns: [ml_pred, confidence]}\n"
      "  context: {path: data/context.parquet}\n";

  BacktestConfig load(const std::string& text, const std::vector<std::string>& overrides = {}) {
    return BacktestConfig::from_string(text, dir_, overrides, "test.yaml");
  }

  // The ConfigError message of loading `text` (fails the test when it loads).
  std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
    try {
      load(text, overrides);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected a ConfigError for:\n" << text;
    return {};
  }

  fs::path dir_;
};

TEST_F(ConfigTest, MinimalConfigGetsDefaults) {
  const auto c = load(kBase);
  EXPECT_EQ(c.data_sources.prices.path, dir_ / "data/prices.parquet");
  EXPECT_EQ(c.data_sources.prices.format, "parquet");
  EXPECT_EQ(c.data_sources.prices.timestamp_column, "timestamp");
  EXPECT_EQ(c.data_sources.prices.asset_column, "asset_id");
  ASSERT_TRUE(c.data_sources.context.has_value());
  EXPECT_EQ(c.data_sources.context->asset_column, "");  // context is keyed by time alone
  EXPECT_EQ(c.data_sources.signals->columns, (std::vector<std::string>{"ml_pred", "confidence"}));
  EXPECT_EQ(c.execution.initial_capital, 100000.0);
  EXPECT_EQ(c.execution.commission.type, CommissionType::kNone);
  EXPECT_EQ(c.execution.fill_timing, FillTiming::kNextBar);
  EXPECT_EQ(c.signal_timing.mode, "next_bar");
  EXPECT_EQ(c.signal_timing.lag, 1);
  EXPECT_EQ(c.strategy.type, "signal_threshold");
  EXPECT_EQ(c.output.dir, dir_ / "results");
  EXPECT_EQ(c.output.formats, (std::vector<std::string>{"parquet"}));
  EXPECT_TRUE(c.output.report);
}

TEST_F(ConfigTest, FullConfigIsRead) {
  const auto c = load(std::string(kBase) +
                      "features: {type: precomputed, path: data/features.parquet, columns: [rsi_14]}\n"
                      "execution:\n"
                      "  initial_capital: 250000\n"
                      "  commission: {type: per_share, rate: 0.005, min: 1.0}\n"
                      "  slippage: {type: percentage, rate: 0.001}\n"
                      "  fill_timing: same_bar_close\n"
                      "  fractional_shares: true\n"
                      "  allow_short: false\n"
                      "  max_volume_participation: 0.1\n"
                      "  close_positions_at_end: yes\n"
                      "  periods_per_year: 252\n"
                      "risk_rules: {max_position_size: 0.1, stop_loss: 0.02, take_profit: 0.05, trailing_stop: 0.03,\n"
                      "             max_positions: 4, max_gross_exposure: 1.5, min_vix: 0, max_vix: 30}\n"
                      "signal_timing: {mode: custom, lag: 3, validate: false, fail_on_violation: true}\n"
                      "strategy: {type: top_k, signal: ml_pred, k: 2, rebalance_every: 5, weight_per_asset: 0.25,\n"
                      "           min_confidence: 0.6, context_filters: [\"vix < 20\", {field: spy_return, op: \">=\", "
                      "value: -0.02}]}\n"
                      "universe: {assets: [AAA, BBB], start: 2024-01-03, end: 2024-02-01}\n"
                      "output: {dir: out/run1, formats: [parquet, csv], report: false}\n");
  EXPECT_EQ(c.execution.initial_capital, 250000.0);
  EXPECT_EQ(c.execution.commission.type, CommissionType::kPerShare);
  EXPECT_EQ(c.execution.commission.rate, 0.005);
  EXPECT_EQ(c.execution.commission.minimum, 1.0);
  EXPECT_EQ(c.execution.slippage.type, SlippageType::kPercentage);
  EXPECT_EQ(c.execution.slippage.rate, 0.001);
  EXPECT_EQ(c.execution.fill_timing, FillTiming::kSameBarClose);
  EXPECT_TRUE(c.execution.fractional_shares);
  EXPECT_FALSE(c.execution.allow_short);
  EXPECT_EQ(c.execution.max_volume_participation, 0.1);
  EXPECT_TRUE(c.execution.close_positions_at_end);
  EXPECT_EQ(c.execution.periods_per_year, 252.0);
  EXPECT_EQ(c.risk_rules.stop_loss, 0.02);
  EXPECT_EQ(c.risk_rules.max_positions, 4);
  EXPECT_EQ(c.risk_rules.max_gross_exposure, 1.5);
  EXPECT_EQ(c.risk_rules.min_vix, 0.0);
  EXPECT_EQ(c.risk_rules.max_vix, 30.0);
  EXPECT_EQ(c.signal_timing.mode, "custom");
  EXPECT_EQ(c.signal_timing.lag, 3);
  EXPECT_FALSE(c.signal_timing.validate);
  EXPECT_TRUE(c.signal_timing.fail_on_violation);
  EXPECT_EQ(c.strategy.type, "top_k");
  EXPECT_EQ(c.strategy.k, 2);
  EXPECT_EQ(c.strategy.rebalance_every, 5);
  EXPECT_EQ(c.strategy.weight_per_asset, 0.25);
  EXPECT_EQ(c.strategy.min_confidence, 0.6);
  ASSERT_EQ(c.strategy.context_filters.size(), 2u);
  EXPECT_EQ(c.strategy.context_filters[0].field, "vix");
  EXPECT_EQ(c.strategy.context_filters[0].op, "<");
  EXPECT_EQ(c.strategy.context_filters[0].value, 20.0);
  EXPECT_EQ(c.strategy.context_filters[1].field, "spy_return");
  EXPECT_EQ(c.strategy.context_filters[1].op, ">=");
  EXPECT_EQ(c.strategy.context_filters[1].value, -0.02);
  EXPECT_EQ(c.universe.assets, (std::vector<std::string>{"AAA", "BBB"}));
  EXPECT_EQ(c.universe.start, Timestamp::from_civil(2024, 1, 3));
  EXPECT_EQ(c.universe.end, Timestamp::from_civil(2024, 2, 1));
  EXPECT_EQ(c.output.dir, dir_ / "out/run1");
  EXPECT_EQ(c.output.formats, (std::vector<std::string>{"parquet", "csv"}));
  EXPECT_FALSE(c.output.report);
  ASSERT_TRUE(c.features.has_value());
  EXPECT_EQ(c.features->source.path, dir_ / "data/features.parquet");
}

TEST_F(ConfigTest, FormatIsInferredFromTheExtension) {
  const auto c = load("data_sources: {prices: data/prices.csv, signals: data/signals.parquet}\n");
  EXPECT_EQ(c.data_sources.prices.format, "csv");
  EXPECT_EQ(c.data_sources.signals->format, "parquet");
}

TEST_F(ConfigTest, EnvironmentVariablesExpand) {
  ::setenv("ML4T_TEST_DATA", (dir_ / "data").c_str(), 1);
  ::unsetenv("ML4T_TEST_UNSET");
  const auto c = load(
      "data_sources:\n"
      "  prices: {path: \"${ML4T_TEST_DATA}/prices.parquet\"}\n"
      "  signals: {path: \"${ML4T_TEST_UNSET:-data}/signals.parquet\"}\n"
      "execution: {initial_capital: \"${ML4T_TEST_UNSET:-5000}\"}\n");
  EXPECT_EQ(c.data_sources.prices.path, dir_ / "data/prices.parquet");
  EXPECT_EQ(c.data_sources.signals->path, dir_ / "data/signals.parquet");
  EXPECT_EQ(c.execution.initial_capital, 5000.0);
}

TEST_F(ConfigTest, OverridesApplyBeforeValidation) {
  const auto c = load(kBase, {"execution.initial_capital=50000", "execution.commission.type=percentage",
                              "execution.commission.rate=0.001", "universe.assets=[AAA, BBB]", "strategy.entry=0.7"});
  EXPECT_EQ(c.execution.initial_capital, 50000.0);
  EXPECT_EQ(c.execution.commission.type, CommissionType::kPercentage);
  EXPECT_EQ(c.execution.commission.rate, 0.001);
  EXPECT_EQ(c.universe.assets, (std::vector<std::string>{"AAA", "BBB"}));
  EXPECT_EQ(c.strategy.entry, 0.7);
}

TEST_F(ConfigTest, FileLoadingResolvesPathsAgainstTheConfigFolder) {
  const fs::path file = dir_ / "cfg.yaml";
  std::ofstream(file) << kBase;
  const auto c = BacktestConfig::from_yaml(file);
  EXPECT_EQ(c.data_sources.prices.path, dir_ / "data/prices.parquet");
  EXPECT_EQ(c.source_file, file);
  // JSON is YAML: the same config in JSON loads the same.
  const fs::path json = dir_ / "cfg.json";
  std::ofstream(json) << R"({"data_sources": {"prices": {"path": "data/prices.parquet"},
                            "signals": {"path": "data/signals.parquet"}},
                           "execution": {"initial_capital": 1234.5}})";
  const auto j = BacktestConfig::from_json(json);
  EXPECT_EQ(j.data_sources.prices.path, dir_ / "data/prices.parquet");
  EXPECT_EQ(j.execution.initial_capital, 1234.5);
}

TEST_F(ConfigTest, ToJsonParsesBackWithEveryResolvedValue) {
  const auto c = load(std::string(kBase) +
                      "execution: {initial_capital: 0.1, commission: {type: fixed, rate: 2}}\n"
                      "risk_rules: {max_vix: 30}\n"
                      "strategy: {context_filters: [\"vix < 20\"]}\n");
  const YAML::Node j = YAML::Load(c.to_json());
  EXPECT_EQ(j["execution"]["initial_capital"].as<double>(), 0.1);
  EXPECT_EQ(j["execution"]["commission"]["type"].as<std::string>(), "fixed");
  EXPECT_EQ(j["execution"]["commission"]["rate"].as<double>(), 2.0);
  EXPECT_EQ(j["data_sources"]["prices"]["path"].as<std::string>(), (dir_ / "data/prices.parquet").string());
  EXPECT_TRUE(j["data_sources"]["context"]["asset_column"].IsNull());
  EXPECT_TRUE(j["risk_rules"]["min_vix"].IsNull());
  EXPECT_EQ(j["risk_rules"]["max_vix"].as<double>(), 30.0);
  EXPECT_EQ(j["strategy"]["context_filters"][0].as<std::string>(), "vix < 20");
  EXPECT_EQ(j["signal_timing"]["lag"].as<int>(), 1);
  const YAML::Node y = YAML::Load(c.to_yaml());
  EXPECT_EQ(y["execution"]["initial_capital"].as<double>(), 0.1);
  EXPECT_EQ(y["output"]["formats"][0].as<std::string>(), "parquet");
}

// The resolved dump (summary.json's `config`) is itself a valid config: loading it gives
// the same config back, for every mode and strategy type, so a run can be repeated from it.
TEST_F(ConfigTest, ResolvedDumpLoadsBackUnchanged) {
  for (const std::string& extra : {
           std::string("signal_timing: {mode: next_bar}\n"),
           std::string("signal_timing: {mode: strict}\n"),
           std::string("signal_timing: {mode: custom, lag: 3}\n"
                       "risk_rules: {min_vix: 10, max_vix: 30, stop_loss: 0.02}\n"
                       "strategy: {type: top_k, k: 2, side: both, context_filters: [\"vix < 20\"]}\n"),
           std::string("data_quality: {bad_data: warn}\n"
                       "strategy: {type: signal_threshold, side: both, short_entry: 0.2, min_confidence: 0.5}\n"
                       "universe: {assets: [AAA], start: 2024-01-01, end: 2024-06-30}\n"
                       "execution: {commission: {type: per_share, rate: 0.005, minimum: 1}}\n"),
           std::string("features: {type: precomputed, path: data/features.parquet, columns: [rsi_14]}\n"),
       }) {
    SCOPED_TRACE(extra);
    const auto first = load(std::string(kBase) + extra);
    for (const bool json : {false, true}) {
      const std::string dump = json ? first.to_json() : first.to_yaml();
      const auto again = load(dump);
      EXPECT_EQ(json ? again.to_json() : again.to_yaml(), dump);
      EXPECT_EQ(again.signal_timing.lag, first.signal_timing.lag);
    }
  }
}

// ---- every validation error class ----

TEST_F(ConfigTest, SyntaxErrorNamesLineAndColumn) {
  const auto msg = error_of("data_sources:\n  prices: [unclosed\n");
  EXPECT_THAT(msg, HasSubstr("test.yaml:3:1: cannot parse the config"));
  EXPECT_THAT(msg, HasSubstr("fix the YAML/JSON syntax"));
}

TEST_F(ConfigTest, RootMustBeAMapping) {
  EXPECT_THAT(error_of("- a\n- b\n"), HasSubstr("test.yaml: the config must be a mapping with keys \"data_sources\""));
}

TEST_F(ConfigTest, WrongTypeSaysExpectedAndGot) {
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {commission: {type: percentage, rate: abc}}\n"),
              HasSubstr("execution.commission.rate: expected a number, got \"abc\""));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {allow_short: maybe}\n"),
              HasSubstr("execution.allow_short: expected true or false, got \"maybe\""));
  EXPECT_THAT(error_of(std::string(kBase) + "risk_rules: {max_positions: 2.5}\n"),
              HasSubstr("risk_rules.max_positions: expected a whole number, got \"2.5\""));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {initial_capital: [1, 2]}\n"),
              HasSubstr("execution.initial_capital: expected a number, got a list"));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: 5\n"),
              HasSubstr("execution: expected a mapping of \"initial_capital\""));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {initial_capital: .nan}\n"),
              HasSubstr("execution.initial_capital: expected a number, got \".nan\""));
}

TEST_F(ConfigTest, UnknownKeySuggestsTheClosest) {
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {comission: {rate: 0.1}}\n"),
              HasSubstr("execution.comission: unknown key; did you mean \"commission\"?"));
  EXPECT_THAT(error_of(std::string(kBase) + "risk_rule: {}\n"),
              HasSubstr("risk_rule: unknown key; did you mean \"risk_rules\"?"));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {zzzzzz: 1}\n"),
              HasSubstr("execution.zzzzzz: unknown key; expected one of \"initial_capital\", \"commission\""));
}

TEST_F(ConfigTest, UnknownValueSuggestsTheClosest) {
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {commission: {type: per_shares, rate: 0.01}}\n"),
              HasSubstr("execution.commission.type: unknown value \"per_shares\"; did you mean \"per_share\"?"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {type: momentum}\n"),
              HasSubstr("strategy.type: unknown value \"momentum\"; use one of \"signal_threshold\", \"top_k\""));
}

TEST_F(ConfigTest, DataQualityPolicies) {
  auto c = load(std::string(kBase) + "data_quality: {bad_data: warn, mixed_time_zones: naive_is_utc}\n");
  EXPECT_EQ(c.data_quality.bad_data, "warn");
  EXPECT_EQ(c.data_quality.mixed_time_zones, "naive_is_utc");
  const YAML::Node j = YAML::Load(c.to_json());
  EXPECT_EQ(j["data_quality"]["bad_data"].as<std::string>(), "warn");
  EXPECT_EQ(j["data_quality"]["mixed_time_zones"].as<std::string>(), "naive_is_utc");
  c = load(kBase);
  EXPECT_EQ(c.data_quality.bad_data, "error");
  EXPECT_EQ(c.data_quality.mixed_time_zones, "error");
  EXPECT_FALSE(YAML::Load(c.to_json())["data_quality"]);  // written only when set
  EXPECT_THAT(error_of(std::string(kBase) + "data_quality: {bad_data: dorp}\n"),
              HasSubstr("data_quality.bad_data: unknown value \"dorp\"; did you mean \"drop\"?"));
  EXPECT_THAT(error_of(std::string(kBase) + "data_quality: {mixed_timezones: error}\n"),
              HasSubstr("data_quality.mixed_timezones: unknown key; did you mean \"mixed_time_zones\"?"));
}

TEST_F(ConfigTest, UndefinedEnvironmentVariable) {
  ::unsetenv("ML4T_TEST_NOPE");
  EXPECT_THAT(error_of("data_sources: {prices: {path: \"${ML4T_TEST_NOPE}/prices.parquet\"}}\n"),
              HasSubstr("data_sources.prices.path: environment variable ML4T_TEST_NOPE is not defined; export "
                        "ML4T_TEST_NOPE=... or write ${ML4T_TEST_NOPE:-default}"));
  EXPECT_THAT(error_of(std::string(kBase) + "output: {dir: \"${oops\"}\n"),
              HasSubstr("output.dir: unterminated \"${\" in \"${oops\""));
}

TEST_F(ConfigTest, MissingFiles) {
  EXPECT_THAT(error_of("data_sources: {prices: {path: data/nope.parquet}, signals: data/signals.parquet}\n"),
              HasSubstr(fmt::format("data_sources.prices.path: file not found: {}; check the path (relative paths "
                                    "are resolved against {})",
                                    (dir_ / "data/nope.parquet").string(), dir_.string())));
  EXPECT_THAT(error_of("data_sources: {prices: {path: nodir/*.parquet}, signals: data/signals.parquet}\n"),
              HasSubstr("data_sources.prices.path: folder " + (dir_ / "nodir").string() + " of the pattern"));
  EXPECT_THAT(error_of("data_sources: {signals: data/signals.parquet}\n"),
              HasSubstr("data_sources.prices: missing; add the price file"));
  EXPECT_THAT(error_of("execution: {}\n"), HasSubstr("data_sources: missing; add data_sources:"));
  EXPECT_THAT(error_of("data_sources: {prices: {format: parquet}, signals: data/signals.parquet}\n"),
              HasSubstr("data_sources.prices.path: missing; add the data file"));
}

TEST_F(ConfigTest, MissingConfigFile) {
  try {
    BacktestConfig::from_yaml(dir_ / "absent.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("config file " + (dir_ / "absent.yaml").string() + " not found"));
  }
}

TEST_F(ConfigTest, UnknownFormat) {
  EXPECT_THAT(error_of("data_sources: {prices: data/prices.dat, signals: data/signals.parquet}\n"),
              HasSubstr("data_sources.prices.format: cannot tell the format of \"prices.dat\" from its name; add "
                        "format: parquet or format: csv"));
}

TEST_F(ConfigTest, OutOfRangeValues) {
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {initial_capital: -5}\n"),
              HasSubstr("execution.initial_capital: -5 is out of range; use a value > 0"));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {commission: {type: percentage, rate: 1}}\n"),
              HasSubstr("execution.commission.rate: 1 is out of range; use a value >= 0 and < 1"));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {slippage: {type: percentage, rate: 1.5}}\n"),
              HasSubstr("execution.slippage.rate: 1.5 is out of range; use a value >= 0 and < 1"));
  EXPECT_THAT(error_of(std::string(kBase) + "risk_rules: {min_vix: 25, max_vix: 15}\n"),
              HasSubstr("risk_rules.max_vix: 15 is below min_vix 25; make max_vix >= min_vix"));
  EXPECT_THAT(error_of(std::string(kBase) + "risk_rules: {stop_loss: 1}\n"),
              HasSubstr("risk_rules.stop_loss: 1 is out of range; use a value >= 0 and < 1"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {k: 0}\n"),
              HasSubstr("strategy.k: 0 is out of range; use a value >= 1"));
  EXPECT_THAT(error_of(std::string(kBase) + "signal_timing: {mode: custom, lag: -1}\n"),
              HasSubstr("signal_timing.lag: -1 is out of range; use a value between 0 and 100000"));
}

TEST_F(ConfigTest, CrossFieldRules) {
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {entry: 0.5, exit: 0.7}\n"),
              HasSubstr("strategy.exit: 0.7 is above entry 0.5"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {side: both, short_entry: 0.3, short_exit: 0.2}\n"),
              HasSubstr("strategy.short_exit: 0.2 is below short_entry 0.3"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {side: both, short_entry: 0.55}\n"),
              HasSubstr("strategy.short_exit: 0.5 (from exit) is below short_entry 0.55"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {side: both}\n"),
              HasSubstr("strategy.short_entry: missing for side both; add short_entry"));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {allow_short: false}\nstrategy: {side: short, short_entry: "
                                            "0.3}\n"),
              HasSubstr("strategy.side: \"short\" sells short but execution.allow_short is false"));
  EXPECT_THAT(error_of(std::string(kBase) + "signal_timing: {mode: strict, lag: 2}\n"),
              HasSubstr("signal_timing.lag: applies only to mode custom"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {signal: alpha}\n"),
              HasSubstr("strategy.signal: \"alpha\" is not among the listed signal/feature columns"));
  EXPECT_THAT(error_of("data_sources: {prices: data/prices.parquet}\n"),
              HasSubstr("strategy.signal: \"ml_pred\" needs a signals source"));
  EXPECT_THAT(error_of("data_sources: {prices: data/prices.parquet, signals: data/signals.parquet}\n"
                       "risk_rules: {max_vix: 30}\n"),
              HasSubstr("risk_rules.max_vix: needs the market context field \"vix\"; add data_sources.context"));
  EXPECT_THAT(error_of(std::string(kBase) + "universe: {start: 2024-03-01, end: 2024-02-01}\n"),
              HasSubstr("universe.end: 2024-02-01T00:00:00Z is before start 2024-03-01T00:00:00Z"));
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {commission: {rate: 0.01}}\n"),
              HasSubstr("execution.commission.type: missing while rate is set"));
}

TEST_F(ConfigTest, BadListsDatesFiltersAndFormats) {
  EXPECT_THAT(error_of(std::string(kBase) + "universe: {assets: [AAA, AAA]}\n"),
              HasSubstr("universe.assets: \"AAA\" is listed twice"));
  EXPECT_THAT(error_of(std::string(kBase) + "universe: {start: yesterday}\n"),
              HasSubstr("universe.start: expected a date like 2024-01-02 or 2024-01-02T09:30:00Z, got \"yesterday\""));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {context_filters: [\"vix <\"]}\n"),
              HasSubstr("strategy.context_filters[0]: cannot read rule \"vix <\""));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {context_filters: [\"vix ~ 20\"]}\n"),
              HasSubstr("strategy.context_filters[0]: unknown operator \"~\""));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {context_filters: [\"vix < high\"]}\n"),
              HasSubstr("strategy.context_filters[0]: expected a number to compare with, got \"high\""));
  EXPECT_THAT(error_of(std::string(kBase) + "output: {formats: [parquet, xlsx]}\n"),
              HasSubstr("output.formats: unknown format \"xlsx\"; use parquet and/or csv"));
}

TEST_F(ConfigTest, MoreMalformedValues) {
  EXPECT_THAT(error_of(std::string(kBase) + "execution: {initial_capital: nan}\n"),
              HasSubstr("execution.initial_capital: expected a finite number, got \"nan\""));
  EXPECT_THAT(error_of(std::string(kBase) + "output: {dir: \"${1BAD}\"}\n"),
              HasSubstr("output.dir: bad variable reference \"${1BAD}\"; write ${NAME} or ${NAME:-default}"));
  EXPECT_THAT(error_of(std::string(kBase) + "universe: {assets: {a: 1}}\n"),
              HasSubstr("universe.assets: expected a list of names, got a mapping"));
  EXPECT_THAT(error_of(std::string(kBase) + "universe: {assets: [AAA, [B]]}\n"),
              HasSubstr("universe.assets[1]: expected a name, got a list"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {signal: \"\"}\n"),
              HasSubstr("strategy.signal: must not be empty; remove the key to use the default"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {context_filters: [{field: vix, op: \"<\"}]}\n"),
              HasSubstr("strategy.context_filters[0]: needs field, op and value"));
  EXPECT_THAT(error_of(std::string(kBase) + "strategy: {context_filters: \"vix < 20\"}\n"),
              HasSubstr("strategy.context_filters: expected a list of rules like \"vix < 20\", got \"vix < 20\""));
  EXPECT_THAT(error_of(std::string(kBase) + "features: {type: callable, path: data/features.parquet}\n"),
              HasSubstr("features.type: unknown value \"callable\"; use one of \"precomputed\""));
  EXPECT_THAT(error_of("data_sources: {prices: [a, b], signals: data/signals.parquet}\n"),
              HasSubstr("data_sources.prices: expected a file path or a mapping of \"path\""));
  EXPECT_THAT(error_of("data_sources: {prices: {path: \"\"}, signals: data/signals.parquet}\n"),
              HasSubstr("data_sources.prices.path: must not be empty; give the data file"));
}

TEST_F(ConfigTest, BadOverrides) {
  EXPECT_THAT(error_of(kBase, {"execution.initial_capital"}),
              HasSubstr("--set execution.initial_capital: expected key.path=value"));
  EXPECT_THAT(error_of(kBase, {"data_sources.prices.path.x=1"}),
              HasSubstr("data_sources.prices.path is not a mapping, so it has no key \"x\""));
  EXPECT_THAT(error_of(kBase, {"execution.initial_capitol=5"}),
              HasSubstr("execution.initial_capitol: unknown key; did you mean \"initial_capital\"?"));
  EXPECT_THAT(error_of(kBase, {"execution..rate=5"}), HasSubstr("empty part in the key path"));
}

TEST_F(ConfigTest, EveryProblemIsReportedAtOnce) {
  ::unsetenv("ML4T_TEST_NOPE");
  const auto msg = error_of(
      "data_sources:\n"
      "  prices: {path: data/missing.parquet}\n"
      "  signals: {path: \"${ML4T_TEST_NOPE}/s.parquet\"}\n"
      "  context: data/context.parquet\n"
      "execution: {initial_capital: -1, commission: {type: percentage, rate: abc}, slipage: {}}\n"
      "risk_rules: {min_vix: 30, max_vix: 10}\n");
  EXPECT_THAT(msg, HasSubstr("invalid configuration test.yaml (6 problems):"));
  EXPECT_THAT(msg, HasSubstr("data_sources.prices.path: file not found"));
  EXPECT_THAT(msg, HasSubstr("data_sources.signals.path: environment variable ML4T_TEST_NOPE is not defined"));
  EXPECT_THAT(msg, HasSubstr("execution.initial_capital: -1 is out of range"));
  EXPECT_THAT(msg, HasSubstr("execution.commission.rate: expected a number, got \"abc\""));
  EXPECT_THAT(msg, HasSubstr("execution.slipage: unknown key; did you mean \"slippage\"?"));
  EXPECT_THAT(msg, HasSubstr("risk_rules.max_vix: 10 is below min_vix 30"));
}

TEST(EditDistance, CountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("comission", "commission"), 1u);  // one insertion
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);        // k->s, e->i, +g
}

}  // namespace
}  // namespace ml4t::backtest
