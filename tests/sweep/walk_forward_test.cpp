// Walk-forward: the fold arithmetic on a hand-checked case, the option parsing, and an
// end-to-end run whose choices and out-of-sample numbers are recomputed with plain
// `ml4t-backtest run` calls on the same windows.
#include "ml4t/backtest/sweep/walk_forward.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fstream>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::vector<std::string> folds_text(const std::vector<Fold>& folds) {
  std::vector<std::string> out;
  for (const auto& f : folds) {
    out.push_back(fmt::format("[{},{}) [{},{})", f.train_begin, f.train_end, f.test_begin, f.test_end));
  }
  return out;
}

// 20 bars, train 8, test 4, gap 1, step 4 (by hand):
//   fold 0: train bars 0..7,  bar 8 skipped,  test 9..12
//   fold 1: train bars 4..11, bar 12 skipped, test 13..16
//   fold 2 would test 17..20, past the last bar 19: dropped.
TEST(WalkForward, RollingFoldsByHand) {
  EXPECT_EQ(folds_text(make_folds(20, parse_walk_forward("train=8,test=4,gap=1"))),
            (std::vector<std::string>{"[0,8) [9,13)", "[4,12) [13,17)"}));
}

TEST(WalkForward, AnchoredFoldsAllStartAtBarZero) {
  EXPECT_EQ(folds_text(make_folds(20, parse_walk_forward("train=8,test=4,anchored"))),
            (std::vector<std::string>{"[0,8) [8,12)", "[0,12) [12,16)", "[0,16) [16,20)"}));
}

TEST(WalkForward, AStepShorterThanTheTestWindowOverlapsTests) {
  EXPECT_EQ(folds_text(make_folds(12, parse_walk_forward("train=6,test=4,step=2"))),
            (std::vector<std::string>{"[0,6) [6,10)", "[2,8) [8,12)"}));
}

// Daily bars for every day of 2024 (bar i is day i of the year): month starts are bars
// 0 31 60 91 121 152 182 213 244 274 305 335, and 2025-01-01 would be bar 366.
// train=3M,test=1M (step 1M): fold k trains on months k..k+2 and tests on month k+3; the
// last test month is December (its end, 2025-01-01, is within one bar spacing of the
// last bar), so 9 folds.
TEST(WalkForward, DurationFoldsByHand) {
  std::vector<Timestamp> bars;
  const int64_t day = 86'400'000'000'000LL;
  for (int d = 0; d < 366; ++d) bars.push_back(Timestamp::from_nanos(Timestamp::from_civil(2024, 1, 1).nanos() + d * day));
  const std::vector<size_t> m = {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366};
  std::vector<std::string> expected;
  for (size_t k = 0; k + 4 < m.size(); ++k) {
    expected.push_back(fmt::format("[{},{}) [{},{})", m[k], m[k + 3], m[k + 3], m[k + 4]));
  }
  EXPECT_EQ(folds_text(make_folds(bars, parse_walk_forward("train=3M,test=1M"))), expected);
  // Anchored, a 5-day gap, 2-month steps: train [Jan 1, Apr 1 + 2k months), test from 5
  // days after the train end for one month.
  EXPECT_EQ(folds_text(make_folds(bars, parse_walk_forward("train=3M,test=1M,step=2M,gap=5D,anchored"))),
            (std::vector<std::string>{"[0,91) [96,126)", "[0,152) [157,187)", "[0,213) [218,249)",
                                      "[0,274) [279,310)"}));
  // A gap in bars with durations: 2 bars skipped, the test month counted from there.
  EXPECT_EQ(folds_text(make_folds(bars, parse_walk_forward("train=10M,test=1M,gap=2"))),
            (std::vector<std::string>{"[0,305) [307,337)"}));
  // Calendar months clamp the day: Jan 31 + 1M is Feb 29 (2024), + 1Y of Feb 29 is Feb 28.
  EXPECT_EQ((CalendarLength{1, 'M'}).after(Timestamp::from_civil(2024, 1, 31, 9, 30)), Timestamp::from_civil(2024, 2, 29, 9, 30));
  EXPECT_EQ((CalendarLength{1, 'Y'}).after(Timestamp::from_civil(2024, 2, 29)), Timestamp::from_civil(2025, 2, 28));
  EXPECT_EQ((CalendarLength{2, 'W'}).after(Timestamp::from_civil(2024, 1, 1)), Timestamp::from_civil(2024, 1, 15));
  EXPECT_EQ((CalendarLength{6, 'h'}).after(Timestamp::from_civil(2024, 1, 1, 20)), Timestamp::from_civil(2024, 1, 2, 2));
}

TEST(WalkForward, BadSpecsAreRefusedWithTheFix) {
  auto message = [](const std::string& text) {
    try {
      parse_walk_forward(text);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message("train=252"), HasSubstr("train and test must both be given and positive"));
  EXPECT_THAT(message("train=12m,test=3M"), HasSubstr("(M is months; minutes are not a unit: give bars)"));
  EXPECT_THAT(message("train=12M,test=63"), HasSubstr("train, test and step are all bars or all durations"));
  EXPECT_THAT(message("train=12M,test=0M"), HasSubstr("durations must be positive"));
  EXPECT_THAT(message("train=5,test=2,purge=1"), HasSubstr("unknown part \"purge=1\""));
  try {
    make_folds(10, parse_walk_forward("train=8,test=4"));
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the data has 10 bars, fewer than one fold needs (train 8 + gap 0 + test 4 = 12)"));
  }
  EXPECT_THROW(parse_selection("sharp"), ConfigError);
  EXPECT_THROW(parse_selection("sharpe:up"), ConfigError);
  EXPECT_FALSE(parse_selection("turnover:min").maximize);
  EXPECT_TRUE(parse_selection("sharpe").maximize);
}

// Rows of a query as text cells.
std::vector<std::vector<std::string>> query(const std::string& sql) {
  duck::Database db;
  duck::Connection con(db);
  auto res = con.query(fmt::format("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({})", sql));
  std::vector<std::vector<std::string>> out;
  while (auto chunk = res.fetch()) {
    for (size_t r = 0; r < chunk.size(); ++r) {
      std::vector<std::string> row;
      for (size_t c = 0; c < chunk.column_count(); ++c) row.emplace_back(chunk.string_at(c, r));
      out.push_back(std::move(row));
    }
  }
  return out;
}

TEST(WalkForwardCli, ChoicesAndOutOfSampleResultsMatchPlainRuns) {
  const fs::path dir = testing::scratch_dir();
  SampleDataOptions o;
  o.out_dir = dir / "data";
  o.threads = 1;
  o.symbols = 3;
  generate_sample_data(o);  // 60 daily bars
  std::ofstream(dir / "cfg.yaml") << fmt::format(
      "data_sources:\n  prices: {0}/prices.parquet\n  signals: {0}/signals.parquet\n"
      "strategy: {{type: signal_threshold, entry: 0.6, exit: 0.5, size_pct: 0.2}}\n",
      (dir / "data").string());
  std::ofstream(dir / "grid.yaml") << "grid: {strategy.entry: [0.55, 0.6, 0.7]}\n";
  const auto r = testing::run_captured(
      dir, fmt::format("{} sweep {}/cfg.yaml --grid {}/grid.yaml --out {}/wf --walk-forward train=20,test=10,gap=2 "
                       "--select total_return",
                       ML4T_CLI, dir.string(), dir.string(), dir.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  // 60 bars: folds test bars 22..31, 32..41, 42..51 (the next would end at 62 > 60).
  const std::string days = fmt::format(
      "SELECT DISTINCT epoch_ms(timestamp) d FROM read_parquet({}) ORDER BY d",
      duck::quote_literal((dir / "data/prices.parquet").string()));
  const auto bars = query(days);
  ASSERT_EQ(bars.size(), 60u);
  const auto folds = query(fmt::format(
      "SELECT CAST(fold AS VARCHAR), epoch_ms(train_start), epoch_ms(train_end), epoch_ms(test_start), "
      "epoch_ms(test_end), CAST(\"strategy.entry\" AS VARCHAR), CAST(train_total_return AS VARCHAR), "
      "CAST(final_equity AS VARCHAR) FROM read_parquet({}) ORDER BY fold",
      duck::quote_literal((dir / "wf/folds.parquet").string())));
  ASSERT_EQ(folds.size(), 3u);
  // A bar's epoch milliseconds as the ISO text --set universe.start takes.
  auto iso = [](const std::string& ms) { return Timestamp::from_nanos(std::stoll(ms) * 1'000'000).to_string(); };
  double level = 100000;  // the default initial capital: the stitched curve starts there
  for (size_t k = 0; k < 3; ++k) {
    const size_t train_begin = 10 * k, test_begin = 10 * k + 22;
    EXPECT_EQ(folds[k][1], bars[train_begin][0]);
    EXPECT_EQ(folds[k][2], bars[train_begin + 19][0]);
    EXPECT_EQ(folds[k][3], bars[test_begin][0]);
    EXPECT_EQ(folds[k][4], bars[test_begin + 9][0]);
    // The choice: the best total_return among plain runs on the train window.
    std::string best;
    double best_return = -1e300;
    for (const char* entry : {"0.55", "0.6", "0.7"}) {
      const fs::path out = dir / fmt::format("train{}_{}", k, entry);
      const auto run = testing::run_captured(
          dir, fmt::format("{} run {}/cfg.yaml --set strategy.entry={} --set universe.start={} --set universe.end={} "
                           "--out {} --quiet",
                           ML4T_CLI, dir.string(), entry, iso(folds[k][1]), iso(folds[k][2]), out.string()));
      ASSERT_EQ(run.code, 0) << run.err;
      const double ret = YAML::LoadFile((out / "summary.json").string())["metrics"]["total_return"].as<double>();
      if (ret > best_return) {
        best_return = ret;
        best = entry;
      }
    }
    EXPECT_EQ(folds[k][5], best) << "fold " << k;
    // The out-of-sample result: a plain run of the choice on the test window.
    const fs::path out = dir / fmt::format("test{}", k);
    const auto run = testing::run_captured(
        dir, fmt::format("{} run {}/cfg.yaml --set strategy.entry={} --set universe.start={} --set universe.end={} "
                         "--out {} --quiet",
                         ML4T_CLI, dir.string(), best, iso(folds[k][3]), iso(folds[k][4]), out.string()));
    ASSERT_EQ(run.code, 0) << run.err;
    const double final_equity = YAML::LoadFile((out / "summary.json").string())["final_equity"].as<double>();
    EXPECT_EQ(std::stod(folds[k][7]), final_equity);
    level *= final_equity / 100000;
  }
  // The stitched curve ends at the product of the folds' growth.
  const auto last = query(fmt::format("SELECT equity, fold FROM read_parquet({}) ORDER BY timestamp DESC LIMIT 1",
                                      duck::quote_literal((dir / "wf/oos_equity.parquet").string())));
  EXPECT_DOUBLE_EQ(std::stod(last[0][0]), level);
  EXPECT_EQ(last[0][1], "2");
  EXPECT_EQ(query(fmt::format("SELECT count(*) FROM read_parquet({})",
                              duck::quote_literal((dir / "wf/oos_equity.parquet").string())))[0][0],
            "30");
}

}  // namespace
}  // namespace ml4t::backtest
