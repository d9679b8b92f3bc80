// `run` and `validate` end to end on generated sample data: every example config runs,
// result files agree with summary.json, overrides and formats apply, and each failure
// class gives its exit code (2 usage/config, 1 data/runtime) and message, writing nothing.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <string>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

using testing::CliRun;
const auto& slurp = testing::read_file;

// Runs the CLI with stdout/stderr captured separately (neither is a terminal).
CliRun cli(const fs::path& scratch, const std::string& args, const std::string& env = "") {
  return testing::run_captured(scratch, fmt::format("{} {} {}", env, ML4T_CLI, args));
}

int64_t parquet_rows(const fs::path& file, const std::string& where = "true") {
  duck::Database db;
  duck::Connection con(db);
  auto res = con.query(
      fmt::format("SELECT count(*)::BIGINT FROM read_parquet({}) WHERE {}", duck::quote_literal(file.string()), where));
  return res.fetch().data<int64_t>(0)[0];
}

class RunCli : public ::testing::Test {
 protected:
  // One sample dataset (5 assets x 60 days) shared by every test.
  static void SetUpTestSuite() {
    data_ = fs::path(ML4T_TEST_TMP) / "RunCli.sample-data";
    if (!fs::exists(data_)) {
      // ctest runs tests in parallel processes: generate privately, then rename into place
      // (atomic; the loser of a race drops its copy).
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
  void SetUp() override { dir_ = testing::scratch_dir(); }

  std::string env() const { return fmt::format("ML4T_DATA={}", data_.string()); }

  // A minimal valid config in the scratch folder.
  fs::path write_config(const std::string& extra = "", const std::string& name = "cfg.yaml") const {
    const fs::path p = dir_ / name;
    std::ofstream(p) << fmt::format(
                            "data_sources:\n"
                            "  prices: {0}/prices.parquet\n"
                            "  signals: {0}/signals.parquet\n"
                            "strategy: {{type: signal_threshold, entry: 0.6, exit: 0.5, size_pct: 0.2}}\n",
                            data_.string())
                     << extra;
    return p;
  }

  static fs::path data_;
  fs::path dir_;
};

fs::path RunCli::data_;

TEST_F(RunCli, EveryExampleRunsAndItsFilesAgreeWithTheSummary) {
  struct Example {
    const char* name;
    int64_t events;
  };
  // 5 assets x 60 days; the single-asset example keeps AAPL only.
  for (const Example ex :
       {Example{"single_asset_ml", 60}, Example{"multi_asset_context", 300}, Example{"top_k_cross_sectional", 300}}) {
    SCOPED_TRACE(ex.name);
    const fs::path out = dir_ / ex.name;
    const auto r =
        cli(dir_, fmt::format("run {}/examples/{}.yaml --out {} --format both", ML4T_SOURCE_DIR, ex.name, out.string()),
            env());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr(fmt::format("backtest: {} events", ex.events)));
    EXPECT_THAT(r.out, HasSubstr("final equity"));
    EXPECT_THAT(r.out, HasSubstr("results: " + out.string()));
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << "no progress bar when stderr is not a terminal";
    const YAML::Node s = YAML::Load(slurp(out / "summary.json"));
    EXPECT_EQ(s["events"].as<int64_t>(), ex.events);
    // num_trades counts closed round trips; trades.parquet also lists the ones still open.
    EXPECT_EQ(s["num_trades"].as<int64_t>(), parquet_rows(out / "trades.parquet", "NOT open"));
    EXPECT_EQ(parquet_rows(out / "equity.parquet"), 60);  // one point per timestamp
    EXPECT_EQ(s["data"]["rows"].as<int64_t>(), ex.events);
    EXPECT_EQ(s["config"]["strategy"]["signal"].as<std::string>(), "ml_pred");
    EXPECT_EQ(s["data"]["files"][0]["path"].as<std::string>(), (data_ / "prices.parquet").string());
    for (const char* f : {"equity.csv", "trades.csv", "fills.csv", "orders.csv", "report.html"}) {
      EXPECT_TRUE(fs::exists(out / f)) << f;
    }
    // final_equity is the last equity point (columns: timestamp, cash, positions_value, equity, drawdown).
    const std::string csv = slurp(out / "equity.csv");
    const auto last_line = csv.substr(csv.rfind('\n', csv.size() - 2) + 1);
    EXPECT_THAT(last_line, HasSubstr(fmt::format(",{},", s["final_equity"].as<double>())));
  }
}

TEST_F(RunCli, SameInputsGiveIdenticalResults) {
  const auto cfg = write_config();
  ASSERT_EQ(cli(dir_, fmt::format("run {} --out {}/a --format csv --quiet", cfg.string(), dir_.string())).code, 0);
  ASSERT_EQ(cli(dir_, fmt::format("run {} --out {}/b --format csv --quiet", cfg.string(), dir_.string())).code, 0);
  for (const char* f : {"equity.csv", "trades.csv", "fills.csv", "orders.csv"}) {
    EXPECT_EQ(slurp(dir_ / "a" / f), slurp(dir_ / "b" / f)) << f;
  }
}

TEST_F(RunCli, OverridesFormatsAndQuiet) {
  const auto cfg = write_config();
  const auto r = cli(dir_, fmt::format("run {} --out {}/o --set execution.initial_capital=12345 --set "
                                       "universe.assets=[MSFT] --format csv --quiet",
                                       cfg.string(), dir_.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const YAML::Node s = YAML::Load(slurp(dir_ / "o/summary.json"));
  EXPECT_EQ(s["config"]["execution"]["initial_capital"].as<double>(), 12345.0);
  EXPECT_EQ(s["events"].as<int>(), 60);  // one asset x 60 days
  EXPECT_TRUE(fs::exists(dir_ / "o/equity.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "o/equity.parquet"));
}

TEST_F(RunCli, ConfigDefaultOutputDirIsBesideTheConfig) {
  const auto cfg = write_config("output: {dir: myresults, formats: [csv], report: false}\n");
  const auto r = cli(dir_, fmt::format("run {} --quiet", cfg.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "myresults/equity.csv"));
  EXPECT_FALSE(fs::exists(dir_ / "myresults/report.html"));
}

TEST_F(RunCli, InvalidConfigExitsTwoAndWritesNothing) {
  const auto cfg = write_config("execution: {commission: {type: percentage, rate: abc}, inital_capital: 5}\n");
  const auto r = cli(dir_, fmt::format("run {} --out {}/o", cfg.string(), dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(fmt::format("error: invalid configuration {} (2 problems):", cfg.string())));
  EXPECT_THAT(r.err, HasSubstr("execution.commission.rate: expected a number, got \"abc\""));
  EXPECT_THAT(r.err, HasSubstr("execution.inital_capital: unknown key; did you mean \"initial_capital\"?"));
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir_ / "o"));
  const auto v = cli(dir_, fmt::format("validate {}", cfg.string()));
  EXPECT_EQ(v.code, 2);
  EXPECT_THAT(v.err, HasSubstr("execution.commission.rate: expected a number"));
}

TEST_F(RunCli, UsageErrorsExitTwo) {
  EXPECT_EQ(cli(dir_, "run").code, 2);
  EXPECT_EQ(cli(dir_, fmt::format("run {} --format xlsx", write_config().string())).code, 2);
  const auto missing = cli(dir_, fmt::format("run {}/absent.yaml", dir_.string()));
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.err, HasSubstr(fmt::format("error: config file {}/absent.yaml not found", dir_.string())));
}

TEST_F(RunCli, NonEmptyOutputNeedsOverwrite) {
  const auto cfg = write_config();
  fs::create_directories(dir_ / "o");
  std::ofstream(dir_ / "o/keep.txt") << "keep";
  const auto r = cli(dir_, fmt::format("run {} --out {}/o", cfg.string(), dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(fmt::format("error: output folder {}/o is not empty; pass --overwrite", dir_.string())));
  EXPECT_FALSE(fs::exists(dir_ / "o/summary.json"));
  const auto ok = cli(dir_, fmt::format("run {} --out {}/o --overwrite --quiet", cfg.string(), dir_.string()));
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(fs::exists(dir_ / "o/summary.json"));
  EXPECT_EQ(slurp(dir_ / "o/keep.txt"), "keep");
}

TEST_F(RunCli, BadDataExitsOneAndWritesNothing) {
  std::ofstream(dir_ / "prices.parquet") << "this is not parquet";
  const fs::path cfg = dir_ / "bad.yaml";
  std::ofstream(cfg) << fmt::format("data_sources: {{prices: prices.parquet, signals: {}/signals.parquet}}\n",
                                    data_.string());
  const auto r = cli(dir_, fmt::format("run {} --out {}/o", cfg.string(), dir_.string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("error: "));
  EXPECT_THAT(r.err, HasSubstr((dir_ / "prices.parquet").string()));
  EXPECT_THAT(r.err, Not(HasSubstr("terminate called")));
  EXPECT_FALSE(fs::exists(dir_ / "o"));
  EXPECT_EQ(cli(dir_, fmt::format("validate {}", cfg.string())).code, 1);
}

TEST_F(RunCli, ValidatePrintsFilesFieldsAndTiming) {
  const fs::path cfg = dir_ / "v.yaml";
  std::ofstream(cfg) << fmt::format(
      "data_sources:\n  prices: {0}/prices.parquet\n  signals: {0}/signals.parquet\n  context: {0}/context.parquet\n"
      "risk_rules: {{max_vix: 30}}\n",
      data_.string());
  const auto r = cli(dir_, fmt::format("validate {}", cfg.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(fmt::format("config: {} is valid", cfg.string())));
  EXPECT_THAT(r.out, HasSubstr(fmt::format("  prices    {}/prices.parquet", data_.string())));
  EXPECT_THAT(r.out, HasSubstr("signal fields: ml_pred, confidence"));
  EXPECT_THAT(r.out, HasSubstr("context fields: vix, spy_return, market_regime"));
  EXPECT_THAT(r.out, HasSubstr("signal timing (next_bar, lag 1 bar): no problems"));
  EXPECT_FALSE(fs::exists(dir_ / "results"));  // validate writes nothing
}

TEST_F(RunCli, ValidateChecksFieldsAgainstTheData) {
  const fs::path cfg = dir_ / "f.yaml";
  std::ofstream(cfg) << fmt::format(
      "data_sources:\n  prices: {0}/prices.parquet\n  signals: {0}/signals.parquet\n"
      "  context: {{path: {0}/context.parquet, columns: [spy_return]}}\n"
      "risk_rules: {{max_vix: 30}}\n",
      data_.string());
  const auto r = cli(dir_, fmt::format("validate {}", cfg.string()));
  EXPECT_EQ(r.code, 2);
  // The engine or the runner reports it (whichever checks first); both name the field.
  EXPECT_THAT(r.err, HasSubstr("error: risk_rules.context_field: the "));
  EXPECT_THAT(r.err,
              HasSubstr("context field \"vix\" (needed by min_vix/max_vix); known context fields: [spy_return]"));
  const auto s = cli(dir_, fmt::format("validate {} --set strategy.signal=alpha", cfg.string()));
  EXPECT_EQ(s.code, 2);
  EXPECT_THAT(s.err, HasSubstr("strategy.signal"));
  EXPECT_THAT(s.err, HasSubstr("alpha"));
}

TEST_F(RunCli, SignalTimingViolationsWarnOrFail) {
  // Signals stamped at noon fall between the daily bars (stamped at midnight).
  std::ofstream(dir_ / "signals.csv") << "timestamp,asset_id,ml_pred\n"
                                         "2024-01-03T12:00:00Z,AAPL,0.9\n"
                                         "2024-01-04T12:00:00Z,AAPL,0.1\n";
  const fs::path cfg = dir_ / "t.yaml";
  std::ofstream(cfg) << fmt::format("data_sources: {{prices: {}/prices.parquet, signals: signals.csv}}\n",
                                    data_.string());
  const auto warn = cli(dir_, fmt::format("validate {}", cfg.string()));
  EXPECT_EQ(warn.code, 0) << warn.err;
  EXPECT_THAT(warn.out, HasSubstr("signal timing (next_bar, lag 1 bar): 2 problem(s)"));
  const auto run_warn = cli(dir_, fmt::format("run {} --out {}/w", cfg.string(), dir_.string()));
  EXPECT_EQ(run_warn.code, 0) << run_warn.err;
  EXPECT_THAT(run_warn.err, HasSubstr("warning: signal timing report: 2 problem(s)"));

  const auto fail = cli(dir_, fmt::format("validate {} --set signal_timing.fail_on_violation=true", cfg.string()));
  EXPECT_EQ(fail.code, 1);
  EXPECT_THAT(fail.err, HasSubstr("error: 2 signal timing problem(s)"));
  const auto run_fail = cli(
      dir_, fmt::format("run {} --out {}/f --set signal_timing.fail_on_violation=true", cfg.string(), dir_.string()));
  EXPECT_EQ(run_fail.code, 1);
  EXPECT_THAT(run_fail.err, HasSubstr("error: "));
  EXPECT_FALSE(fs::exists(dir_ / "f"));
}

}  // namespace
}  // namespace ml4t::backtest
