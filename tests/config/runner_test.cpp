// Config -> feed and engine options, input listing (globs expanded), and a run through
// run_backtest compared with the same backtest built by hand from the C++ API.
#include "ml4t/backtest/config/runner.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <tuple>

#include "ml4t/backtest/data/sample_data.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;

TEST(Runner, MapsTheConfigOntoFeedAndEngineOptions) {
  const fs::path dir = testing::scratch_dir();
  for (const char* f : {"p/a.parquet", "p/b.parquet", "s.csv", "c.parquet"}) {
    fs::create_directories((dir / f).parent_path());
    std::ofstream(dir / f) << "0123456789";  // 10 bytes
  }
  const auto c = BacktestConfig::from_string(
      "data_sources:\n"
      "  prices: {path: \"p/*.parquet\", timestamp_column: ts, asset_column: sym}\n"
      "  signals: {path: s.csv, columns: [ml_pred]}\n"
      "  context: {path: c.parquet, columns: [vix]}\n"
      "execution: {initial_capital: 5000, commission: {type: fixed, rate: 1.5}}\n"
      "risk_rules: {stop_loss: 0.1}\n"
      "signal_timing: {mode: custom, lag: 2}\n"
      "universe: {assets: [A], start: 2024-01-05}\n",
      dir);
  const ColumnarFeedOptions o = to_feed_options(c);
  EXPECT_EQ(o.prices.paths, (std::vector<std::string>{(dir / "p/*.parquet").string()}));
  EXPECT_EQ(o.prices.format, "parquet");
  EXPECT_EQ(o.prices.timestamp_column, "ts");
  EXPECT_EQ(o.prices.asset_column, "sym");
  ASSERT_TRUE(o.signals.has_value());
  EXPECT_EQ(o.signals->format, "csv");
  EXPECT_EQ(o.signals->columns, (std::vector<std::string>{"ml_pred"}));
  ASSERT_TRUE(o.context.has_value());
  EXPECT_EQ(o.context->asset_column, "");
  EXPECT_EQ(o.assets, (std::vector<std::string>{"A"}));
  EXPECT_EQ(o.start, Timestamp::from_civil(2024, 1, 5));
  EXPECT_FALSE(o.end.has_value());
  EXPECT_EQ(o.timing.mode, SignalTimingMode::kCustom);
  EXPECT_EQ(o.timing.lag, 2);
  EXPECT_FALSE(o.timing.validate);  // the runner reports timing itself
  EXPECT_EQ(o.feature_provider, nullptr);
  EXPECT_EQ(o.bad_data, BadDataPolicy::kError);  // data_quality defaults
  EXPECT_EQ(o.mixed_time_zones, MixedTimeZones::kError);

  const EngineConfig e = to_engine_config(c);
  EXPECT_EQ(e.execution.initial_capital, 5000.0);
  EXPECT_EQ(e.execution.commission.type, CommissionType::kFixed);
  EXPECT_EQ(e.execution.commission.rate, 1.5);
  EXPECT_EQ(e.risk_rules.stop_loss, 0.1);

  const auto files = describe_inputs(c);
  ASSERT_EQ(files.size(), 4u);  // the glob expands to two price files
  EXPECT_EQ(files[0].role, "prices");
  EXPECT_EQ(files[0].path, dir / "p/a.parquet");
  EXPECT_EQ(files[1].path, dir / "p/b.parquet");
  EXPECT_EQ(files[2].role, "signals");
  EXPECT_EQ(files[3].role, "context");
  for (const auto& f : files) {
    EXPECT_EQ(f.bytes, 10u);
    EXPECT_TRUE(f.modified.has_value());
  }
}

TEST(Runner, DataQualityPoliciesReachTheFeed) {
  const fs::path dir = testing::scratch_dir();
  std::ofstream(dir / "p.parquet") << "x";
  std::ofstream(dir / "s.parquet") << "x";
  for (const auto& [bad, zones, policy, mixed] :
       {std::tuple{"drop", "naive_is_utc", BadDataPolicy::kDrop, MixedTimeZones::kNaiveIsUtc},
        std::tuple{"warn", "error", BadDataPolicy::kWarn, MixedTimeZones::kError},
        std::tuple{"error", "error", BadDataPolicy::kError, MixedTimeZones::kError}}) {
    const auto c = BacktestConfig::from_string(
        fmt::format("data_sources: {{prices: p.parquet, signals: s.parquet}}\n"
                    "data_quality: {{bad_data: {}, mixed_time_zones: {}}}\n",
                    bad, zones),
        dir);
    const ColumnarFeedOptions o = to_feed_options(c);
    EXPECT_EQ(o.bad_data, policy) << bad;
    EXPECT_EQ(o.mixed_time_zones, mixed) << zones;
  }
}

TEST(Runner, ConfigRunEqualsTheSameBacktestBuiltByHand) {
  const fs::path dir = testing::scratch_dir();
  SampleDataOptions s;
  s.out_dir = dir / "data";
  s.threads = 1;
  generate_sample_data(s);
  const auto c = BacktestConfig::from_string(
      "data_sources: {prices: data/prices.parquet, signals: data/signals.parquet}\n"
      "execution: {commission: {type: percentage, rate: 0.001}}\n"
      "strategy: {entry: 0.6, exit: 0.45, size_pct: 0.2}\n",
      dir);
  const BacktestRun run = run_backtest(c);

  ColumnarFeedOptions o;
  o.prices = (dir / "data/prices.parquet").string();
  o.signals = DataSource((dir / "data/signals.parquet").string());
  ColumnarDataFeed feed(o);
  StrategySpec spec;
  spec.entry = 0.6;
  spec.exit = 0.45;
  spec.size_pct = 0.2;
  auto strategy = make_builtin_strategy(spec, feed.schema());
  EngineConfig e;
  e.execution.commission = {CommissionType::kPercentage, 0.001, 0.0};
  const Results expected = BacktestEngine(feed, *strategy, e).run();

  EXPECT_EQ(run.results.events, expected.events);
  EXPECT_EQ(run.results.final_equity, expected.final_equity);  // bit-identical
  EXPECT_EQ(run.results.trades.size(), expected.trades.size());
  EXPECT_EQ(run.info.rows, 300u);  // 5 assets x 60 days
  EXPECT_EQ(run.info.assets, 5u);
  EXPECT_EQ(run.info.first, Timestamp::from_civil(2024, 1, 2));
  EXPECT_FALSE(run.info.config_json.empty());
  EXPECT_EQ(run.info.strategy, "signal_threshold on ml_pred");
  EXPECT_EQ(run.info.version, ML4T_VERSION);

  // A run by hand describes itself as the config run does: the same files, counts, range
  // and version (summary.json's provenance), plus the engine's own elapsed time.
  const RunInfo by_hand = describe_run(feed, expected, "MlThreshold (runner_test.cpp)");
  ASSERT_EQ(by_hand.files.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(by_hand.files[i].role, run.info.files[i].role);
    EXPECT_EQ(by_hand.files[i].path, run.info.files[i].path);
    EXPECT_EQ(by_hand.files[i].bytes, fs::file_size(run.info.files[i].path));
    EXPECT_EQ(by_hand.files[i].modified, run.info.files[i].modified);
  }
  EXPECT_EQ(by_hand.files[1].path, dir / "data/signals.parquet");
  EXPECT_EQ(std::tie(by_hand.rows, by_hand.assets, by_hand.first, by_hand.last),
            std::tie(run.info.rows, run.info.assets, run.info.first, run.info.last));
  EXPECT_EQ(by_hand.version, ML4T_VERSION);
  EXPECT_GT(expected.elapsed_seconds, 0.0);
  EXPECT_EQ(by_hand.elapsed_seconds, expected.elapsed_seconds);
  // A RunInfo left empty still gets the version and the engine's time.
  const std::string summary = summary_json(expected, RunInfo{});
  EXPECT_NE(summary.find(fmt::format("\"version\": \"{}\"", ML4T_VERSION)), std::string::npos) << summary;
  EXPECT_NE(summary.find(fmt::format("\"elapsed_seconds\": {}", expected.elapsed_seconds)), std::string::npos);
  EXPECT_NE(summary.find("\"strategy\": null"), std::string::npos);
}

}  // namespace
}  // namespace ml4t::backtest
