// The runner's signal-timing check: inside the run's own pass (report after the run, or
// SignalTimingViolation with fail_on_violation), and check_config streaming the data
// once with progress.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "data/feed_fixtures.hpp"
#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using testing::copy_to;

// 4 days of bars for A and B; signals for A and B with one stamp between bars (A, day 2
// at noon), one duplicate (B, day 3) and, in a feature file, a stamp after the last bar.
struct RunnerTiming : ::testing::Test {
  void SetUp() override {
    dir = testing::scratch_dir();
    copy_to(dir / "p.parquet",
            "SELECT TIMESTAMP '2024-01-02' + to_days(d) AS timestamp, a AS asset_id, 10.0 AS open, 11.0 AS high, "
            "9.0 AS low, 10.0 AS close, 100.0 AS volume FROM range(4) r(d), (VALUES ('A'), ('B')) x(a) ORDER BY 1, 2");
    copy_to(dir / "s.parquet",
            "SELECT * FROM (VALUES (TIMESTAMP '2024-01-02', 'A', 0.9), (TIMESTAMP '2024-01-03 12:00', 'A', 0.9), "
            "(TIMESTAMP '2024-01-04', 'B', 0.1), (TIMESTAMP '2024-01-04', 'B', 0.2)) v(timestamp, asset_id, ml_pred)");
    copy_to(dir / "f.parquet",
            "SELECT * FROM (VALUES (TIMESTAMP '2024-01-02', 'A', 50.0), (TIMESTAMP '2024-01-09', 'A', 60.0)) "
            "v(timestamp, asset_id, rsi)");
  }
  BacktestConfig config(const std::string& timing) const {
    return BacktestConfig::from_string(
        "data_sources: {prices: p.parquet, signals: s.parquet}\n"
        "features: {path: f.parquet}\n"
        "signal_timing: " + timing + "\n"
        "strategy: {type: signal_threshold, signal: ml_pred, entry: 0.6, exit: 0.5}\n",
        dir);
  }
  fs::path dir;
};

TEST_F(RunnerTiming, TheReportComesOnceAfterTheRunWithBothSources) {
  std::vector<TimingReport> reports;
  RunHooks hooks;
  hooks.on_timing_report = [&](const TimingReport& r) { reports.push_back(r); };
  const BacktestRun run = run_backtest(config("{validate: true, fail_on_violation: false}"), hooks);
  EXPECT_EQ(run.results.events, 8u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_FALSE(reports[0].is_valid);
  EXPECT_EQ(reports[0].total, 3u);
  ASSERT_EQ(reports[0].violations.size(), 3u);
  // Signals first (in asset, time order), then the feature file.
  EXPECT_EQ(reports[0].violations[0].kind, TimingViolation::Kind::kNotOnBar);
  EXPECT_EQ(reports[0].violations[1].kind, TimingViolation::Kind::kDuplicate);
  EXPECT_EQ(reports[0].violations[2].kind, TimingViolation::Kind::kAfterLastBar);
  EXPECT_EQ(reports[0].violations[2].file, (dir / "f.parquet").string());

  reports.clear();
  run_backtest(config("{validate: false}"), hooks);
  EXPECT_TRUE(reports.empty());
}

TEST_F(RunnerTiming, FailOnViolationStopsTheRun) {
  bool reported = false;
  RunHooks hooks;
  hooks.on_timing_report = [&](const TimingReport&) { reported = true; };
  try {
    run_backtest(config("{validate: true, fail_on_violation: true}"), hooks);
    FAIL() << "no error";
  } catch (const SignalTimingViolation& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("signal timing (NEXT_BAR, lag 1 bars): 2 violation(s) in {} "
                                                     "against {}",
                                                     (dir / "s.parquet").string(), (dir / "p.parquet").string())),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(reported);
}

TEST_F(RunnerTiming, CheckConfigStreamsTheDataOnceWithProgress) {
  std::vector<uint64_t> progress;
  RunHooks hooks;
  hooks.progress = [&](uint64_t events, Timestamp) { progress.push_back(events); };
  hooks.progress_every = 3;
  const ConfigCheck check = check_config(config("{validate: true, fail_on_violation: true}"), hooks);
  ASSERT_TRUE(check.timing.has_value());
  EXPECT_EQ(check.timing->total, 3u);  // a report, not an error: validate decides
  // Groups of 2 events: after 4 (>= 3), then 8 (>= 4 + 3), then the end.
  EXPECT_EQ(progress, (std::vector<uint64_t>{4, 8, 8}));
  EXPECT_EQ(signal_timing_report(config("{validate: true}")).total, 3u);

  progress.clear();
  EXPECT_FALSE(check_config(config("{validate: false}"), hooks).timing.has_value());
  EXPECT_TRUE(progress.empty());  // nothing to check: the data is not streamed
}

TEST_F(RunnerTiming, CheckConfigCanBeInterrupted) {
  std::atomic<bool> cancel{true};
  RunHooks hooks;
  hooks.cancel = &cancel;
  EXPECT_THROW(check_config(config("{validate: true}"), hooks), Interrupted);
}

}  // namespace
}  // namespace ml4t::backtest
