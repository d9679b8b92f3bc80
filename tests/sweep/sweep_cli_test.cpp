// `ml4t-backtest sweep` end to end on generated sample data: each row of sweep.parquet
// equals (bit for bit) the summary of `ml4t-backtest run --set ...` with the same
// values; the table does not depend on --workers; --resume runs only missing tasks;
// bad parameter sets are all reported before anything runs.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <string>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "ml4t/backtest/sweep/sweep.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::CliRun;
const auto& slurp = testing::read_file;

CliRun cli(const fs::path& scratch, const std::string& args) {
  return testing::run_captured(scratch, fmt::format("{} {}", ML4T_CLI, args));
}

// One column of sweep.parquet, row by row in file order, as text (DuckDB's cast).
std::vector<std::string> column(const fs::path& file, const std::string& name) {
  duck::Database db;
  duck::Connection con(db);
  auto res = con.query(fmt::format("SELECT CAST({} AS VARCHAR) FROM read_parquet({})", duck::quote_identifier(name),
                                   duck::quote_literal(file.string())));
  std::vector<std::string> out;
  while (auto chunk = res.fetch()) {
    for (size_t r = 0; r < chunk.size(); ++r) out.emplace_back(chunk.string_at(0, r));
  }
  return out;
}

// Row `row` of sweep.parquet: every metric column as a double (NaN for NULL).
std::vector<double> metric_row(const fs::path& file, size_t row) {
  duck::Database db;
  duck::Connection con(db);
  std::string cols;
  for (const auto& c : sweep_metric_columns()) {
    cols += fmt::format("{}coalesce(CAST({} AS DOUBLE), 'NaN'::DOUBLE)", cols.empty() ? "" : ", ",
                        duck::quote_identifier(c));
  }
  auto res = con.query(fmt::format("SELECT {} FROM read_parquet({}) LIMIT 1 OFFSET {}", cols,
                                   duck::quote_literal(file.string()), row));
  auto chunk = res.fetch();
  std::vector<double> out;
  for (size_t c = 0; c < sweep_metric_columns().size(); ++c) out.push_back(chunk.data<double>(c)[0]);
  return out;
}

// The same values from a single run's summary.json (null = NaN).
std::vector<double> summary_values(const fs::path& summary) {
  const YAML::Node root = YAML::LoadFile(summary.string());
  std::vector<double> out;
  for (const auto& c : sweep_metric_columns()) {
    const YAML::Node v = c == "final_equity" ? root["final_equity"] : root["metrics"][c];
    out.push_back(v.IsNull() ? std::nan("") : v.as<double>());
  }
  return out;
}

void expect_bit_equal(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(b[i])) {
      EXPECT_TRUE(std::isnan(a[i]) && std::isnan(b[i])) << what << " " << sweep_metric_columns()[i];
    } else {
      EXPECT_EQ(a[i], b[i]) << what << " " << sweep_metric_columns()[i];  // exact, not near
    }
  }
}

class SweepCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = fs::path(ML4T_TEST_TMP) / "SweepCli.sample-data";
    if (!fs::exists(data_)) {
      const fs::path tmp = data_.string() + fmt::format(".tmp{}", ::getpid());
      SampleDataOptions o;
      o.out_dir = tmp;
      o.threads = 1;
      generate_sample_data(o);
      std::error_code ec;
      fs::rename(tmp, data_, ec);
      fs::remove_all(tmp, ec);
    }
  }
  void SetUp() override {
    dir_ = testing::scratch_dir();
    config_ = dir_ / "cfg.yaml";
    std::ofstream(config_) << fmt::format(
        "data_sources:\n"
        "  prices: {0}/prices.parquet\n"
        "  signals: {0}/signals.parquet\n"
        "strategy: {{type: signal_threshold, entry: 0.6, exit: 0.5, size_pct: 0.2}}\n"
        "output: {{dir: {1}/unused}}\n",
        data_.string(), dir_.string());
  }
  fs::path grid(const std::string& text, const std::string& name = "grid.yaml") const {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  static fs::path data_;
  fs::path dir_, config_;
};
fs::path SweepCli::data_;

const char* kGrid = "grid:\n  strategy.entry: [0.55, 0.7]\n  strategy.size_pct: [0.1, 0.25]\n";

TEST_F(SweepCli, EveryRowIsBitIdenticalToASingleRunWithTheSameSetValues) {
  const auto r = cli(dir_, fmt::format("sweep {} --grid {} --out {}/s --workers 2 --set execution.initial_capital=50000",
                                       config_.string(), grid(kGrid).string(), dir_.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sweep: 4 task(s): 4 run, 0 resumed, 0 failed"));
  const fs::path table = dir_ / "s" / "sweep.parquet";
  EXPECT_EQ(column(table, "strategy.entry"), (std::vector<std::string>{"0.55", "0.55", "0.7", "0.7"}));
  EXPECT_EQ(column(table, "strategy.size_pct"), (std::vector<std::string>{"0.1", "0.25", "0.1", "0.25"}));
  const auto ids = column(table, "task_id");
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"0.55", "0.1"}, {"0.55", "0.25"}, {"0.7", "0.1"}, {"0.7", "0.25"}};
  std::set<std::string> distinct_equity;
  for (size_t i = 0; i < sets.size(); ++i) {
    const fs::path out = dir_ / fmt::format("run{}", i);
    const auto single = cli(dir_, fmt::format("run {} --set execution.initial_capital=50000 --set strategy.entry={} "
                                              "--set strategy.size_pct={} --out {} --quiet",
                                              config_.string(), sets[i].first, sets[i].second, out.string()));
    ASSERT_EQ(single.code, 0) << single.err;
    const auto expected = summary_values(out / "summary.json");
    expect_bit_equal(metric_row(table, i), expected, fmt::format("row {}", i));
    expect_bit_equal(summary_values(dir_ / "s" / "tasks" / ids[i] / "summary.json"), expected,
                     fmt::format("task {}", i));
    distinct_equity.insert(fmt::format("{}", expected[0]));
  }
  // The parameters matter (else equality above would prove little).
  EXPECT_EQ(distinct_equity.size(), 4u);
  // sweep.csv holds the same rows; without --keep-results a task folder has its summary only.
  const std::string csv = slurp(dir_ / "s" / "sweep.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "task_id,strategy.entry,strategy.size_pct,final_equity,total_return,cagr,annual_volatility,sharpe,sortino,"
            "max_drawdown,max_drawdown_duration_bars,calmar,win_rate,profit_factor,avg_win,avg_loss,exposure,turnover,"
            "num_trades,periods_per_year");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);
  EXPECT_FALSE(fs::exists(dir_ / "s" / "tasks" / ids[0] / "equity.parquet"));
}

TEST_F(SweepCli, MetricColumnsAreEveryMetricOfSummaryJson) {
  const auto r = cli(dir_, fmt::format("run {} --out {}/one --quiet", config_.string(), dir_.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  const YAML::Node root = YAML::LoadFile((dir_ / "one" / "summary.json").string());
  std::vector<std::string> keys = {"final_equity"};
  for (const auto& m : root["metrics"]) keys.push_back(m.first.as<std::string>());
  EXPECT_EQ(keys, sweep_metric_columns());
}

TEST_F(SweepCli, TheTableDoesNotDependOnTheNumberOfWorkers) {
  const auto g = grid(kGrid).string();
  ASSERT_EQ(cli(dir_, fmt::format("sweep {} --grid {} --out {}/w1 --workers 1 --quiet", config_.string(), g,
                                  dir_.string()))
                .code,
            0);
  ASSERT_EQ(cli(dir_, fmt::format("sweep {} --grid {} --out {}/w2 --workers 2 --quiet", config_.string(), g,
                                  dir_.string()))
                .code,
            0);
  const std::string one = slurp(dir_ / "w1" / "sweep.csv");
  EXPECT_FALSE(one.empty());
  EXPECT_EQ(one, slurp(dir_ / "w2" / "sweep.csv"));
}

TEST_F(SweepCli, TasksSharingOneReadOfTheDataGiveTheSameTable) {
  const auto g = grid(kGrid).string();
  const auto shared = cli(dir_, fmt::format("sweep {} --grid {} --out {}/shared --workers 1", config_.string(), g,
                                            dir_.string()));
  ASSERT_EQ(shared.code, 0) << shared.err;
  EXPECT_THAT(shared.err, HasSubstr("pass 1/1: 4 task(s) over one read of the data"));
  const auto alone = cli(dir_, fmt::format("sweep {} --grid {} --out {}/alone --workers 1 --engines-per-pass 1",
                                           config_.string(), g, dir_.string()));
  ASSERT_EQ(alone.code, 0) << alone.err;
  EXPECT_THAT(alone.err, HasSubstr("pass 4/4: 1 task(s)"));
  const std::string one = slurp(dir_ / "shared" / "sweep.csv");
  EXPECT_FALSE(one.empty());
  EXPECT_EQ(one, slurp(dir_ / "alone" / "sweep.csv"));
}

TEST_F(SweepCli, ResumeRunsOnlyTheMissingTasks) {
  const auto small = grid("grid: {strategy.entry: [0.55, 0.7]}\n", "small.yaml").string();
  const auto big = grid("grid: {strategy.entry: [0.55, 0.6, 0.7]}\n", "big.yaml").string();
  ASSERT_EQ(cli(dir_, fmt::format("sweep {} --grid {} --out {}/s", config_.string(), small, dir_.string())).code, 0);
  // An earlier sweep is never replaced by accident.
  const auto refused = cli(dir_, fmt::format("sweep {} --grid {} --out {}/s", config_.string(), big, dir_.string()));
  EXPECT_EQ(refused.code, 2);
  EXPECT_THAT(refused.err, HasSubstr("holds an earlier sweep; add --resume to run only its unfinished tasks, or "
                                     "--overwrite to start over"));
  const auto resumed =
      cli(dir_, fmt::format("sweep {} --grid {} --out {}/s --resume", config_.string(), big, dir_.string()));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("sweep: 3 task(s): 1 run, 2 resumed, 0 failed"));
  EXPECT_THAT(resumed.err, HasSubstr("strategy.entry=0.6) done"));
  EXPECT_THAT(resumed.err, ::testing::Not(HasSubstr("strategy.entry=0.55) done")));
  // The same table as a fresh sweep of the bigger grid.
  ASSERT_EQ(cli(dir_, fmt::format("sweep {} --grid {} --out {}/fresh", config_.string(), big, dir_.string())).code, 0);
  EXPECT_EQ(slurp(dir_ / "s" / "sweep.csv"), slurp(dir_ / "fresh" / "sweep.csv"));
  // The manifest lists every task with its status.
  const YAML::Node manifest = YAML::LoadFile((dir_ / "s" / "manifest.json").string());
  EXPECT_EQ(manifest["version"].as<std::string>(), ML4T_VERSION);
  EXPECT_EQ(manifest["total"].as<int>(), 3);
  EXPECT_EQ(manifest["finished"].as<int>(), 3);
  std::vector<std::string> statuses;
  for (const auto& t : manifest["tasks"]) statuses.push_back(t["status"].as<std::string>());
  EXPECT_EQ(statuses, (std::vector<std::string>{"resumed", "done", "resumed"}));
  EXPECT_EQ(manifest["tasks"][1]["params"]["strategy.entry"].as<std::string>(), "0.6");
  // --overwrite starts over: every task runs again.
  const auto again =
      cli(dir_, fmt::format("sweep {} --grid {} --out {}/s --overwrite", config_.string(), big, dir_.string()));
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("3 run, 0 resumed"));
}

TEST_F(SweepCli, TaskIdsFollowTheDataAndTheResolvedConfig) {
  const auto a = BacktestConfig::from_yaml(config_, {"strategy.entry=0.7"});
  const auto b = BacktestConfig::from_yaml(config_, {"strategy.entry=0.70"});  // the same value
  const auto c = BacktestConfig::from_yaml(config_, {"strategy.entry=0.71"});
  const auto d = BacktestConfig::from_yaml(config_, {"strategy.entry=0.7", "output.dir=elsewhere"});
  EXPECT_EQ(task_id(a).size(), 16u);
  EXPECT_EQ(task_id(a), task_id(b));
  EXPECT_NE(task_id(a), task_id(c));
  EXPECT_EQ(task_id(a), task_id(d));  // where a run would write does not change its results
  // A data file touched (new mtime) is new data: a resumed sweep reruns its tasks.
  fs::copy(data_, dir_ / "data", fs::copy_options::recursive);
  const auto e = BacktestConfig::from_yaml(config_, {"strategy.entry=0.7", "data_sources.prices=" +
                                                                               (dir_ / "data/prices.parquet").string()});
  const std::string before = task_id(e);
  fs::last_write_time(dir_ / "data/prices.parquet",
                      fs::last_write_time(dir_ / "data/prices.parquet") + std::chrono::seconds(5));
  EXPECT_NE(task_id(e), before);
}

TEST_F(SweepCli, EveryBadParameterSetIsReportedBeforeAnythingRuns) {
  const auto g = grid("list: [{strategy.entry: 0.7}, {strategy.entry: high}, {strategy.entyr: 0.5}, "
                      "{strategy.signal: nosuchcolumn}]\n");
  const auto r = cli(dir_, fmt::format("sweep {} --grid {} --out {}/s", config_.string(), g.string(), dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("3 of 4 parameter set(s) cannot run; nothing was run:"));
  EXPECT_THAT(r.err, HasSubstr("task 1 (strategy.entry=high)"));
  EXPECT_THAT(r.err, HasSubstr("task 2 (strategy.entyr=0.5)"));
  EXPECT_THAT(r.err, HasSubstr("task 3 (strategy.signal=nosuchcolumn)"));
  EXPECT_THAT(r.err, HasSubstr("nosuchcolumn"));
  EXPECT_FALSE(fs::exists(dir_ / "s"));
}

TEST_F(SweepCli, KeepResultsWritesEachTasksResultFiles) {
  const auto r = cli(dir_, fmt::format("sweep {} --grid {} --out {}/s --keep-results --quiet", config_.string(),
                                       grid("list: [{strategy.entry: 0.7}]\n").string(), dir_.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const auto id = column(dir_ / "s" / "sweep.parquet", "task_id").at(0);
  EXPECT_TRUE(fs::exists(dir_ / "s" / "tasks" / id / "equity.parquet"));
  EXPECT_TRUE(fs::exists(dir_ / "s" / "tasks" / id / "report.html"));
}

TEST_F(SweepCli, AFolderWithOtherFilesIsRefused) {
  fs::create_directories(dir_ / "s");
  std::ofstream(dir_ / "s" / "notes.txt") << "mine";
  const auto r = cli(dir_, fmt::format("sweep {} --grid {} --out {}/s --overwrite", config_.string(),
                                       grid(kGrid).string(), dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("the folder holds other files and no earlier sweep; choose an empty or new folder"));
  EXPECT_EQ(slurp(dir_ / "s" / "notes.txt"), "mine");
}



// --chunk k/K splits the tasks round-robin (task i to chunk i % K + 1) into one --out;
// --collect then writes the very table a plain sweep writes, and names missing tasks.
TEST_F(SweepCli, ChunksThenCollectGiveThePlainSweepsTable) {
  const auto g = grid(kGrid).string();
  auto r = cli(dir_, fmt::format("sweep {} --grid {} --out {}/plain --quiet", config_.string(), g, dir_.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  r = cli(dir_, fmt::format("sweep {} --grid {} --out {}/chunked --chunk 1/3", config_.string(), g, dir_.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  // Tasks 0 and 3 of 4 are chunk 1's; the other two are left.
  EXPECT_THAT(r.out, HasSubstr("sweep: 4 task(s): 2 run, 0 resumed, 0 failed"));
  EXPECT_THAT(r.out, HasSubstr("chunk 1 of 3: 2 task(s) left to the other chunks"));
  EXPECT_FALSE(fs::exists(dir_ / "chunked" / "sweep.parquet"));  // tables are --collect's
  EXPECT_TRUE(fs::exists(dir_ / "chunked" / "chunks" / "1-of-3.json"));

  r = cli(dir_, fmt::format("sweep --collect {}/chunked", dir_.string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("2 of 4 task(s) have no summary in"));
  EXPECT_THAT(r.err, HasSubstr("(strategy.entry=0.55, strategy.size_pct=0.25)"));  // task 1, chunk 2's
  EXPECT_EQ(column(dir_ / "chunked" / "sweep.parquet", "strategy.size_pct"), (std::vector<std::string>{"0.1", "0.25"}));

  for (const char* k : {"3/3", "2/3"}) {
    r = cli(dir_, fmt::format("sweep {} --grid {} --out {}/chunked --chunk {} --quiet", config_.string(), g,
                              dir_.string(), k));
    ASSERT_EQ(r.code, 0) << k << r.err;
  }
  r = cli(dir_, fmt::format("sweep --collect {}/chunked", dir_.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("collect: 4 of 4 task(s) finished"));
  EXPECT_EQ(slurp(dir_ / "chunked" / "sweep.csv"), slurp(dir_ / "plain" / "sweep.csv"));

  r = cli(dir_, fmt::format("sweep {} --grid {} --out {}/x --chunk 4/3", config_.string(), g, dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--chunk 4/3: k must be between 1 and K"));
  r = cli(dir_, fmt::format("sweep --collect {}", dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("no sweep-plan.json there: not a sweep folder"));
}

}  // namespace
}  // namespace ml4t::backtest
