// run_backtests_in_one_pass: configs that differ in strategy, execution or risk rules
// run over one read of their data and give what run_backtest gives each of them; data
// that differs is refused; a signal-timing violation with fail_on_violation fails every
// config of the pass; a config whose strategy cannot be built fails alone.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "data/feed_fixtures.hpp"
#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;

struct OnePassRunner : ::testing::Test {
  static void SetUpTestSuite() {
    // Generated once for every process of the suite (ctest runs each test in its own):
    // into a private folder, then renamed into place.
    data_ = fs::path(ML4T_TEST_TMP) / "OnePassRunner.data";
    if (fs::exists(data_)) return;
    const fs::path tmp = data_.string() + fmt::format(".tmp{}", ::getpid());
    SampleDataOptions s;
    s.out_dir = tmp;
    s.threads = 1;
    generate_sample_data(s);
    std::error_code ec;
    fs::rename(tmp, data_, ec);
    fs::remove_all(tmp, ec);
  }
  static BacktestConfig config(const std::string& rest) {
    return BacktestConfig::from_string("data_sources: {prices: prices.parquet, signals: signals.parquet}\n" + rest,
                                       data_);
  }
  static fs::path data_;
};
fs::path OnePassRunner::data_;

std::vector<RunHooks> no_hooks(size_t n) { return std::vector<RunHooks>(n); }

TEST_F(OnePassRunner, EachConfigGetsWhatRunBacktestGivesIt) {
  const std::vector<BacktestConfig> configs = {
      config("strategy: {entry: 0.6, exit: 0.45, size_pct: 0.2}\n"),
      config("strategy: {entry: 0.7, exit: 0.5, size_pct: 0.1}\nexecution: {commission: {type: percentage, rate: "
             "0.001}}\n"),
      config("strategy: {entry: 0.55, exit: 0.4, size_pct: 0.3}\nrisk_rules: {stop_loss: 0.03}\n"),
  };
  std::vector<const BacktestConfig*> pointers;
  for (const auto& c : configs) pointers.push_back(&c);
  const std::vector<SharedPassRun> shared = run_backtests_in_one_pass(pointers, no_hooks(3));
  ASSERT_EQ(shared.size(), 3u);
  for (size_t i = 0; i < configs.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_FALSE(shared[i].error);
    ASSERT_TRUE(shared[i].run.has_value());
    const BacktestRun alone = run_backtest(configs[i]);
    const Results& r = shared[i].run->results;
    EXPECT_EQ(r.final_equity, alone.results.final_equity);  // bit-identical
    EXPECT_EQ(r.events, 300u);                               // 5 assets x 60 days
    EXPECT_EQ(r.fills.size(), alone.results.fills.size());
    EXPECT_EQ(r.trades.size(), alone.results.trades.size());
    EXPECT_EQ(r.metrics.sharpe, alone.results.metrics.sharpe);
    EXPECT_EQ(r.metrics.max_drawdown, alone.results.metrics.max_drawdown);
    EXPECT_EQ(shared[i].run->info.rows, alone.info.rows);
    EXPECT_EQ(shared[i].run->info.strategy, alone.info.strategy);
    EXPECT_EQ(shared[i].run->info.config_json, alone.info.config_json);
  }
  // Different parameters really gave different backtests.
  EXPECT_NE(shared[0].run->results.final_equity, shared[1].run->results.final_equity);
}

TEST_F(OnePassRunner, ConfigsThatReadOtherDataAreRefused) {
  const BacktestConfig a = config("strategy: {entry: 0.6}\n");
  const BacktestConfig b = config("strategy: {entry: 0.6}\nuniverse: {assets: [AAA]}\n");
  EXPECT_TRUE(reads_same_data(a, config("strategy: {entry: 0.8}\nrisk_rules: {stop_loss: 0.1}\n")));
  EXPECT_FALSE(reads_same_data(a, b));
  EXPECT_FALSE(reads_same_data(a, config("strategy: {entry: 0.6}\nsignal_timing: {mode: strict}\n")));
  try {
    run_backtests_in_one_pass({&a, &b}, no_hooks(2));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("config 1 reads other data than config 0"), std::string::npos) << e.what();
  }
}

TEST_F(OnePassRunner, AStrategyThatCannotBeBuiltFailsAlone) {
  const BacktestConfig good = config("strategy: {entry: 0.6}\n");
  const BacktestConfig bad = config("strategy: {entry: 0.6, signal: no_such_signal}\n");
  const std::vector<SharedPassRun> shared = run_backtests_in_one_pass({&bad, &good}, no_hooks(2));
  ASSERT_TRUE(shared[0].error);
  EXPECT_THROW(std::rethrow_exception(shared[0].error), ConfigError);
  ASSERT_TRUE(shared[1].run.has_value());
  EXPECT_EQ(shared[1].run->results.final_equity, run_backtest(good).results.final_equity);
}

TEST(OnePassTiming, AViolationWithFailOnViolationFailsEveryConfigOfThePass) {
  const fs::path dir = testing::scratch_dir();
  testing::copy_to(dir / "p.parquet",
                   "SELECT TIMESTAMP '2024-01-02' + to_days(d) AS timestamp, 'A' AS asset_id, 10.0 AS open, 11.0 AS "
                   "high, 9.0 AS low, 10.0 AS close, 100.0 AS volume FROM range(4) r(d)");
  testing::copy_to(dir / "s.parquet",
                   "SELECT * FROM (VALUES (TIMESTAMP '2024-01-03 12:00', 'A', 0.9)) v(timestamp, asset_id, ml_pred)");
  const auto make = [&](double entry) {
    return BacktestConfig::from_string(
        fmt::format("data_sources: {{prices: p.parquet, signals: s.parquet}}\n"
                    "signal_timing: {{validate: true, fail_on_violation: true}}\n"
                    "strategy: {{type: signal_threshold, signal: ml_pred, entry: {}, exit: 0.5}}\n",
                    entry),
        dir);
  };
  const BacktestConfig a = make(0.6), b = make(0.8);
  const std::vector<SharedPassRun> shared = run_backtests_in_one_pass({&a, &b}, no_hooks(2));
  for (const auto& s : shared) {
    ASSERT_TRUE(s.error);
    EXPECT_THROW(std::rethrow_exception(s.error), SignalTimingViolation);
  }
}

}  // namespace
}  // namespace ml4t::backtest
