// One data pass, many engines: the tasks of a sweep that read the same data share one
// read of it, and each task's results stay bit-identical to a single run_backtest of its
// config (the independent reference: its own feed, read on its own).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "ml4t/backtest/sweep/parameter_space.hpp"
#include "ml4t/backtest/sweep/sweep.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SharedPass : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    SampleDataOptions s;
    s.out_dir = dir_ / "data";
    s.symbols = 6;
    s.days = 300;  // 1800 bars: several chunks of the shared stream
    generate_sample_data(s);
    std::ofstream(dir_ / "config.yaml") << "data_sources:\n"
                                           "  prices: {path: data/prices.parquet}\n"
                                           "  signals: {path: data/signals.parquet, columns: [ml_pred, confidence]}\n"
                                           "signal_timing: {mode: next_bar}\n"
                                           "strategy: {type: signal_threshold, signal: ml_pred, entry: 0.6, exit: "
                                           "0.5, size_pct: 0.2}\n";
  }

  SweepSummary sweep(const std::string& grid, const fs::path& out, int workers, int per_pass,
                     SweepPlan* plan_out = nullptr) {
    SweepPlan plan = plan_sweep(dir_ / "config.yaml", {}, parse_parameter_space(grid, "test grid"));
    SweepOptions o;
    o.out = out;
    o.workers = workers;
    o.engines_per_pass = per_pass;
    auto summary = run_sweep(plan, o);
    if (plan_out) *plan_out = std::move(plan);
    return summary;
  }

  // final_equity of tasks/<id>/summary.json, exact (written with 17 significant digits).
  static double final_equity(const fs::path& out, const std::string& id) {
    std::ifstream in(out / "tasks" / id / "summary.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("\"final_equity\": ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + 16));
  }

  fs::path dir_;
};

TEST_F(SharedPass, TasksOfTheSameDataShareOneReadAndEqualSingleRuns) {
  // 3 entries x 2 universe starts: two data sets, so two passes of three engines.
  SweepPlan plan;
  const auto summary =
      sweep("grid:\n  strategy.entry: [0.55, 0.6, 0.7]\n  universe.start: ['2024-01-01', '2024-03-01']\n",
            dir_ / "out", 2, 0, &plan);
  ASSERT_EQ(plan.tasks.size(), 6u);
  EXPECT_EQ(summary.ran, 6u);
  EXPECT_EQ(summary.data_passes, 2u);
  for (const auto& task : plan.tasks) {
    const BacktestRun single = run_backtest(task.config);
    ASSERT_GT(single.results.fills.size(), 2u) << task.params.describe();
    EXPECT_EQ(final_equity(dir_ / "out", task.id), single.results.final_equity) << task.params.describe();
  }
}

TEST_F(SharedPass, PassSizeAndWorkersChangeNothingButTheNumberOfReads) {
  const std::string grid = "grid:\n  strategy.entry: [0.52, 0.55, 0.6, 0.65, 0.7]\n";
  SweepPlan plan;
  const auto one_pass = sweep(grid, dir_ / "one", 2, 0, &plan);
  const auto small_passes = sweep(grid, dir_ / "small", 1, 2);
  const auto one_engine = sweep(grid, dir_ / "single", 3, 1);
  EXPECT_EQ(one_pass.data_passes, 1u);
  EXPECT_EQ(small_passes.data_passes, 3u);  // 2 + 2 + 1
  EXPECT_EQ(one_engine.data_passes, 5u);
  for (const auto& task : plan.tasks) {
    const double e = final_equity(dir_ / "one", task.id);
    EXPECT_GT(e, 0);
    EXPECT_EQ(final_equity(dir_ / "small", task.id), e);
    EXPECT_EQ(final_equity(dir_ / "single", task.id), e);
  }
}

// A data error found while the shared feed streams reaches every engine of the pass as the
// error of its own run.
TEST_F(SharedPass, AStreamErrorFailsEveryTaskOfThePassWithTheSingleRunsMessage) {
  std::ofstream(dir_ / "prices.csv") << "timestamp,asset_id,open,high,low,close,volume\n"
                                       "2024-01-02,AAA,10,11,9,10.5,100\n"
                                       "2024-01-03,AAA,10,11,9,10.2,100\n"
                                       "2024-01-04,AAA,10,11,9,-1,100\n"
                                       "2024-01-05,AAA,10,11,9,10.1,100\n";
  std::ofstream(dir_ / "signals.csv") << "timestamp,asset_id,ml_pred\n2024-01-02,AAA,0.9\n2024-01-03,AAA,0.9\n";
  std::ofstream(dir_ / "config.yaml") << "data_sources:\n  prices: {path: prices.csv}\n"
                                         "  signals: {path: signals.csv, columns: [ml_pred]}\n"
                                         "strategy: {type: signal_threshold, signal: ml_pred, entry: 0.6}\n";
  std::string single_error;
  SweepPlan plan;
  plan = plan_sweep(dir_ / "config.yaml", {}, parse_parameter_space("grid:\n  strategy.entry: [0.6, 0.7]\n", "g"));
  try {
    run_backtest(plan.tasks[0].config);
  } catch (const Error& e) {
    single_error = e.what();
  }
  ASSERT_THAT(single_error, HasSubstr("2024-01-04"));  // the bad bar, named
  SweepOptions o;
  o.out = dir_ / "bad-out";
  const auto summary = run_sweep(plan, o);
  EXPECT_EQ(summary.failed, 2u);
  for (const auto& outcome : summary.outcomes) EXPECT_EQ(outcome.error, single_error);
}

}  // namespace
}  // namespace ml4t::backtest
