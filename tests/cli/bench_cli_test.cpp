// `bench` on the small dataset (39,000 bars): every step runs, every figure the issue
// names is reported (events/s, wall time, peak RSS, feed construction, first-event
// latency, the ratios to the scan), and the backtest from Parquet and the one in memory
// are the same backtest. No timing thresholds: wall times depend on the machine.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;

TEST(BenchCli, SmallDatasetReportsEveryFigure) {
  const fs::path dir = testing::scratch_dir();
  const fs::path json = dir / "bench.json";
  const auto r = testing::run_captured(dir, fmt::format("{} bench --datasets small --runs 1 --cache-dir {} --json {}",
                                                        ML4T_CLI, (dir / "cache").string(), json.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* column : {"events/s", "peak RSS", "time/scan", "rate/scan", "fills", "CPU s"}) {
    EXPECT_NE(r.out.find(column), std::string::npos) << column << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("feed construction"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("first event"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("load average"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir / "cache" / "small" / "prices.parquet"));

  const YAML::Node report = YAML::LoadFile(json.string());
  EXPECT_EQ(report["runs"].as<int>(), 1);
  const YAML::Node results = report["results"];
  ASSERT_EQ(results.size(), 7u);
  std::map<std::string, YAML::Node> by_step;
  for (size_t i = 0; i < results.size(); ++i) {
    const YAML::Node row = results[i];
    EXPECT_EQ(row["dataset"].as<std::string>(), "small");
    by_step[row["step"].as<std::string>()] = row;
  }
  ASSERT_EQ(by_step.size(), 7u);
  const double scan_rate = by_step["scan"]["events_per_second"].as<double>();
  for (const char* step : {"scan", "feed", "backtest", "memory", "turnover", "run", "run-turnover"}) {
    const YAML::Node row = by_step[step];
    // 20 assets x 5 days x 390 minute bars, every one of them seen by every step.
    EXPECT_EQ(row["events"].as<double>(), 39000) << step;
    EXPECT_GT(row["seconds"].as<double>(), 0) << step;
    EXPECT_GT(row["peak_rss_mb"].as<double>(), 1) << step;
    EXPECT_GT(row["process_cpu_seconds"].as<double>(), 0) << step;
    const double rate = row["events_per_second"].as<double>();
    EXPECT_NEAR(rate, 39000 / row["seconds"].as<double>(), rate * 1e-6 + 1) << step;
    const double ratio = rate / scan_rate;
    EXPECT_NEAR(row["rate_ratio_to_scan"].as<double>(), ratio, ratio * 1e-4) << step;
    const double time_ratio = row["seconds"].as<double>() / by_step["scan"]["seconds"].as<double>();
    EXPECT_NEAR(row["ratio_to_scan"].as<double>(), time_ratio, time_ratio * 1e-4) << step;
  }
  const YAML::Node feed = by_step["feed"];
  EXPECT_GT(feed["construct_ms"].as<double>(), 0);
  EXPECT_GT(feed["construct_again_ms"].as<double>(), 0);
  // Latency counts from the start of construction, so it includes it.
  EXPECT_GE(feed["first_event_ms"].as<double>(), feed["construct_ms"].as<double>());
  // The same backtest from Parquet and from memory: same fills, same final equity.
  EXPECT_GT(by_step["backtest"]["fills"].as<double>(), 0);
  EXPECT_EQ(by_step["backtest"]["fills"].as<double>(), by_step["memory"]["fills"].as<double>());
  EXPECT_EQ(by_step["backtest"]["final_equity"].as<double>(), by_step["memory"]["final_equity"].as<double>());
  // The workload trades all through the data with realistic equity: it must not burn its
  // $1M in the first days and then idle (which would measure no trading).
  const YAML::Node backtest = by_step["backtest"];
  const double fills = backtest["fills"].as<double>();
  EXPECT_GT(backtest["fills_second_half"].as<double>(), 0.25 * fills);
  EXPECT_GT(backtest["min_equity"].as<double>(), 900'000);
  EXPECT_GT(backtest["final_equity"].as<double>(), 900'000);
  EXPECT_LT(backtest["final_equity"].as<double>(), 1'100'000);
  EXPECT_NE(r.out.find("signal_threshold entry 0.965 / exit 0.045, 1% of equity per entry: final equity"),
            std::string::npos)
      << r.out;
  // The whole `run` process (default settings, every file written) runs the same backtests
  // as the in-process steps: same fills (counted in its fills file), same final equity.
  EXPECT_EQ(by_step["run"]["fills"].as<double>(), fills);
  EXPECT_EQ(by_step["run"]["final_equity"].as<double>(), backtest["final_equity"].as<double>());
  const YAML::Node turnover = by_step["turnover"];
  EXPECT_GT(turnover["fills"].as<double>(), 10 * fills);  // the high-turnover workload trades far more
  EXPECT_EQ(by_step["run-turnover"]["fills"].as<double>(), turnover["fills"].as<double>());
  EXPECT_EQ(by_step["run-turnover"]["final_equity"].as<double>(), turnover["final_equity"].as<double>());
  for (const char* step : {"run", "run-turnover"}) {
    EXPECT_GT(by_step[step]["engine_seconds"].as<double>(), 0) << step;
    EXPECT_LE(by_step[step]["engine_seconds"].as<double>(), by_step[step]["seconds"].as<double>()) << step;
  }
  EXPECT_TRUE(fs::exists(dir / "cache" / "small" / "out-run-turnover" / "report.html"));
  EXPECT_NE(r.out.find("entry 0.7 / exit 0.3, 0.2% of equity per entry: final equity"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("the whole `ml4t-backtest run` process with default settings"), std::string::npos) << r.out;
}

TEST(BenchCli, SweepStepRuns100ConfigsAndComparesWithOneRun) {
  const fs::path dir = testing::scratch_dir();
  const fs::path json = dir / "bench.json";
  const auto r = testing::run_captured(
      dir, fmt::format("{} bench --datasets small --steps run,sweep --runs 1 --cache-dir {} --json {}", ML4T_CLI,
                       (dir / "cache").string(), json.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  const YAML::Node results = YAML::LoadFile(json.string())["results"];
  ASSERT_EQ(results.size(), 2u);
  const YAML::Node sweep = results[1];
  EXPECT_EQ(sweep["step"].as<std::string>(), "sweep");
  EXPECT_EQ(sweep["tasks"].as<double>(), 100);
  EXPECT_EQ(sweep["events"].as<double>(), 100 * 39000.0);  // every task saw every bar
  EXPECT_GT(sweep["peak_rss_mb"].as<double>(), 1);
  EXPECT_NE(r.out.find("100 configs of the run workload"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x the time of one `run` process"), std::string::npos) << r.out;
  const std::string grid = testing::read_file(dir / "cache" / "small" / "bench-sweep-grid.yaml");
  EXPECT_NE(grid.find("strategy.entry: [0.875, 0.885, 0.895, 0.905, 0.915, 0.925, 0.935, 0.945, 0.955, 0.965]"),
            std::string::npos)
      << grid;
  EXPECT_NE(grid.find("risk_rules.stop_loss: [0.010, 0.015, 0.020, 0.025, 0.030, 0.035, 0.040, 0.045, 0.050, 0.055]"),
            std::string::npos)
      << grid;
}

TEST(BenchCli, StepNeedsToKnowItsDataset) {
  // bench-step picks the backtest's thresholds from the dataset: a folder not named after
  // one needs --dataset.
  const fs::path dir = testing::scratch_dir();
  const auto r = testing::run_captured(
      dir, fmt::format("{} bench-step --step backtest --data {}", ML4T_CLI, (dir / "mydata").string()));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("the folder name \"mydata\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pass --dataset minute, daily or small"), std::string::npos) << r.err;
}

TEST(BenchCli, UnknownStepOrDatasetIsAClearError) {
  const fs::path dir = testing::scratch_dir();
  auto r = testing::run_captured(dir, fmt::format("{} bench --datasets small --steps scan,bogus", ML4T_CLI));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("unknown step \"bogus\""), std::string::npos) << r.err;
  r = testing::run_captured(dir, fmt::format("{} bench --datasets hourly", ML4T_CLI));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("unknown benchmark dataset \"hourly\""), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ml4t::backtest
