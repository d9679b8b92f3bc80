// The command line itself: --version, --help on every subcommand, and the progress bar,
// which goes to stderr only when stderr is a terminal (a pseudo-terminal here) and
// never to stdout, and not with --quiet.
#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

testing::CliRun cli(const fs::path& scratch, const std::string& args) {
  return testing::run_captured(scratch, fmt::format("{} {}", ML4T_CLI, args));
}

TEST(CliBasics, VersionPrintsTheProjectVersion) {
  const auto r = cli(testing::scratch_dir(), "--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, fmt::format("ml4t-backtest {}\n", ML4T_VERSION));
}

TEST(CliBasics, HelpOnEverySubcommand) {
  const fs::path dir = testing::scratch_dir();
  struct Case {
    const char* command;
    std::vector<const char*> mentions;
  };
  for (const Case& c : {Case{"run", {"--out", "--set", "--format", "--overwrite", "--quiet", "config"}},
                        Case{"validate", {"--set", "config"}},
                        Case{"generate", {"--out"}},
                        Case{"data", {"optimize", "inspect"}},
                        Case{"data optimize", {"--out", "--partition-by"}},
                        Case{"data inspect", {"--json"}},
                        Case{"events", {}},
                        Case{"bench", {}}}) {
    SCOPED_TRACE(c.command);
    const auto r = cli(dir, fmt::format("{} --help", c.command));
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr(fmt::format("ml4t-backtest {}", c.command)));
    EXPECT_THAT(r.out, HasSubstr("--help"));
    for (const char* m : c.mentions) EXPECT_THAT(r.out, HasSubstr(m));
  }
  const auto top = cli(dir, "--help");
  EXPECT_EQ(top.code, 0);
  for (const char* sub : {"\n  run ", "\n  validate ", "\n  generate ", "\n  data ", "\n  events ", "\n  sweep "}) {
    EXPECT_THAT(top.out, HasSubstr(sub));
  }
  // bench is a developer tool, in its own section at the end; the data tools are under `data`.
  EXPECT_THAT(top.out, ::testing::ContainsRegex("\nDeveloper:\n  bench +Measure"));
  EXPECT_LT(top.out.find("\n  data "), top.out.find("Developer:"));
  EXPECT_THAT(top.out, Not(HasSubstr("\n  optimize ")));
  EXPECT_THAT(top.out, Not(HasSubstr("\n  inspect ")));
  // No subcommand, an unknown one or an unknown option: usage errors (exit 2).
  EXPECT_EQ(cli(dir, "").code, 2);
  EXPECT_EQ(cli(dir, "frobnicate").code, 2);
  const auto unknown = cli(dir, "run --no-such-option x.yaml");
  EXPECT_EQ(unknown.code, 2);
  // Like every other error: an `error:` line naming the culprit, then where help is.
  EXPECT_EQ(unknown.err, "error: The following argument was not expected: --no-such-option\n"
                         "run 'ml4t-backtest --help' (or 'ml4t-backtest <command> --help') for usage\n");
  EXPECT_THAT(cli(dir, "frobnicate").err, HasSubstr("error: "));
  EXPECT_EQ(cli(dir, "data").code, 2);  // `data` needs optimize or inspect
}

// The old top-level names still work, with a one-line note on stderr, and do what the
// new ones do.
TEST(CliBasics, OldOptimizeAndInspectNamesStillWorkWithANote) {
  const fs::path dir = testing::scratch_dir();
  ASSERT_EQ(cli(dir, fmt::format("generate --out {}/d --symbols 2 --days 5", dir.string())).code, 0);
  const std::string file = (dir / "d/prices.parquet").string();
  const auto now = cli(dir, "data inspect " + file);
  const auto old = cli(dir, "inspect " + file);
  ASSERT_EQ(now.code, 0) << now.err;
  ASSERT_EQ(old.code, 0) << old.err;
  EXPECT_EQ(old.out, now.out);
  EXPECT_EQ(now.err, "");
  EXPECT_EQ(old.err, "note: `ml4t-backtest inspect` is now `ml4t-backtest data inspect`; the old name will be removed\n");
  const auto opt = cli(dir, fmt::format("optimize {} --out {}/o.parquet", file, dir.string()));
  ASSERT_EQ(opt.code, 0) << opt.err;
  EXPECT_EQ(opt.err,
            "note: `ml4t-backtest optimize` is now `ml4t-backtest data optimize`; the old name will be removed\n");
  EXPECT_TRUE(fs::exists(dir / "o.parquet"));
}

// Runs the CLI with stderr (and stdin) on a pseudo-terminal and stdout in `stdout_file`;
// returns what appeared on the terminal and sets `code`.
std::string run_on_terminal(const std::vector<std::string>& args, const fs::path& stdout_file, int& code) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return "forkpty failed";
  if (pid == 0) {
    const int fd = ::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, STDOUT_FILENO);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(ML4T_CLI));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(ML4T_CLI, argv.data());
    ::_exit(127);
  }
  std::string terminal;
  char buffer[4096];
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 120'000) <= 0) break;  // a hung child fails below, not here
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child has closed the terminal
    terminal.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return terminal;
}

// A scratch folder with 3 assets x 40 days of sample data in data/.
fs::path scratch_dir_with_sample_data() {
  const fs::path dir = testing::scratch_dir();
  SampleDataOptions o;
  o.out_dir = dir / "data";
  o.symbols = 3;
  o.days = 40;
  o.threads = 1;
  generate_sample_data(o);
  return dir;
}

TEST(CliBasics, ProgressBarOnlyOnATerminal) {
  const fs::path dir = scratch_dir_with_sample_data();
  const fs::path cfg = dir / "cfg.yaml";
  std::ofstream(cfg) << "data_sources: {prices: data/prices.parquet, signals: data/signals.parquet}\n"
                        "output: {formats: [csv], report: false}\n";

  int code = -1;
  const std::string bar =
      run_on_terminal({"run", cfg.string(), "--out", (dir / "a").string()}, dir / "a.stdout", code);
  ASSERT_EQ(code, 0) << bar;
  // 3 assets x 40 days = 120 events; the bar is redrawn in place and ends complete.
  EXPECT_THAT(bar, HasSubstr("\r[##############################] 100.0% 120 events"));
  // Then the rate (a whole number of events/s), the ETA and the time reached.
  const std::string count = "120 events  ", rest = " events/s  ETA 00:00  2024-";
  const size_t at = bar.rfind(count);
  ASSERT_NE(at, std::string::npos) << bar;
  size_t i = at + count.size();
  const size_t digits = i;
  while (i < bar.size() && std::isdigit(static_cast<unsigned char>(bar[i]))) ++i;
  EXPECT_GT(i, digits) << bar;
  EXPECT_EQ(bar.substr(i, rest.size()), rest) << bar;
  // The writing phase ends with its own line: every row copy written (the CSV tables:
  // 40 equity points plus the trades, fills and orders).
  EXPECT_THAT(bar, HasSubstr("\rwriting results [##############################] 100.0% "));
  {  // "100.0% N of N rows": every row written
    const std::string done = "writing results [##############################] 100.0% ";
    const size_t from = bar.rfind(done);
    ASSERT_NE(from, std::string::npos) << bar;
    std::istringstream line(bar.substr(from + done.size()));
    uint64_t written = 0, total = 0;
    std::string of, rows;
    line >> written >> of >> total >> rows;
    EXPECT_EQ(of, "of") << bar;
    EXPECT_EQ(rows.substr(0, 4), "rows") << bar;
    EXPECT_GT(total, 40u) << bar;
    EXPECT_EQ(written, total) << bar;
  }
  const std::string out = testing::read_file(dir / "a.stdout");
  EXPECT_THAT(out, HasSubstr("backtest: 120 events, 3 assets"));
  EXPECT_THAT(out, HasSubstr("final equity"));
  EXPECT_THAT(out, Not(HasSubstr("events/s")));
  EXPECT_EQ(out.find('\r'), std::string::npos);

  // --quiet: nothing at all on the terminal or stdout.
  const std::string quiet =
      run_on_terminal({"run", cfg.string(), "--out", (dir / "b").string(), "--quiet"}, dir / "b.stdout", code);
  ASSERT_EQ(code, 0) << quiet;
  EXPECT_EQ(quiet, "");
  EXPECT_EQ(testing::read_file(dir / "b.stdout"), "");

  // Not a terminal: no bar (stderr to a file).
  const auto piped = cli(dir, fmt::format("run {} --out {}/c", cfg.string(), dir.string()));
  ASSERT_EQ(piped.code, 0) << piped.err;
  EXPECT_EQ(piped.err, "");
  EXPECT_EQ(testing::read_file(dir / "a/equity.csv"), testing::read_file(dir / "c/equity.csv"));
}

TEST(CliBasics, ValidateShowsProgressWhileItStreamsTheData) {
  const fs::path dir = scratch_dir_with_sample_data();
  const fs::path cfg = dir / "cfg.yaml";
  std::ofstream(cfg) << "data_sources: {prices: data/prices.parquet, signals: data/signals.parquet}\n";
  int code = -1;
  const std::string bar = run_on_terminal({"validate", cfg.string()}, dir / "v.stdout", code);
  ASSERT_EQ(code, 0) << bar;
  // The timing check streams 3 assets x 40 days = 120 events; the line ends complete.
  EXPECT_THAT(bar, HasSubstr("\rvalidating [##############################] 100.0% 120 events"));
  EXPECT_THAT(testing::read_file(dir / "v.stdout"), HasSubstr("signal timing (next_bar, lag 1 bar): no problems"));

  // --quiet: nothing on the terminal or stdout; the exit code tells.
  EXPECT_EQ(run_on_terminal({"validate", cfg.string(), "--quiet"}, dir / "q.stdout", code), "");
  EXPECT_EQ(code, 0);
  EXPECT_EQ(testing::read_file(dir / "q.stdout"), "");
  // Not a terminal: no progress line.
  const auto piped = cli(dir, "validate " + cfg.string());
  EXPECT_EQ(piped.code, 0);
  EXPECT_EQ(piped.err, "");
  // Nothing to check (validation off): the data is not streamed, no line either.
  EXPECT_EQ(run_on_terminal({"validate", cfg.string(), "--set", "signal_timing.validate=false"}, dir / "o.stdout",
                            code)
                .find("validating"),
            std::string::npos);
}

// summary.json from a real run: every input file with its size and modification time
// (checked against stat(2)), rows, assets and time range (checked against DuckDB),
// version, events and every metric by name.
TEST(CliBasics, SummaryDescribesTheRunAndItsInputs) {
  const fs::path dir = scratch_dir_with_sample_data();
  const fs::path cfg = dir / "cfg.yaml";
  std::ofstream(cfg) << "data_sources:\n  prices: data/prices.parquet\n  signals: data/signals.parquet\n"
                        "  context: data/context.parquet\n"
                        "execution: {initial_capital: 50000}\n";
  const auto r = cli(dir, fmt::format("run {} --out {}/o --quiet", cfg.string(), dir.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  const YAML::Node s = YAML::Load(testing::read_file(dir / "o/summary.json"));

  const YAML::Node files = s["data"]["files"];
  ASSERT_EQ(files.size(), 3u);
  const char* roles[] = {"prices", "signals", "context"};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(roles[i]);
    const fs::path file = dir / "data" / (std::string(roles[i]) + ".parquet");
    EXPECT_EQ(files[i]["role"].as<std::string>(), roles[i]);
    EXPECT_EQ(files[i]["path"].as<std::string>(), file.string());
    EXPECT_EQ(files[i]["bytes"].as<uint64_t>(), fs::file_size(file));
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    std::tm utc{};
    ::gmtime_r(&st.st_mtim.tv_sec, &utc);
    char second[32];
    std::strftime(second, sizeof second, "%Y-%m-%dT%H:%M:%S", &utc);
    EXPECT_EQ(files[i]["modified"].as<std::string>().substr(0, 19), second);
  }

  duck::Database db;
  duck::Connection con(db);
  auto res = con.query(fmt::format(
      "SELECT count(*)::BIGINT, count(DISTINCT asset_id)::BIGINT, epoch_ms(min(timestamp))::BIGINT, "
      "epoch_ms(max(timestamp))::BIGINT FROM read_parquet({})",
      duck::quote_literal((dir / "data/prices.parquet").string())));
  auto chunk = res.fetch();
  EXPECT_EQ(s["data"]["rows"].as<int64_t>(), chunk.data<int64_t>(0)[0]);
  EXPECT_EQ(s["data"]["rows"].as<int64_t>(), 120);  // 3 assets x 40 days
  EXPECT_EQ(s["data"]["assets"].as<int64_t>(), chunk.data<int64_t>(1)[0]);
  EXPECT_EQ(s["data"]["start"].as<std::string>(),
            Timestamp::from_nanos(chunk.data<int64_t>(2)[0] * 1'000'000).to_string());
  EXPECT_EQ(s["data"]["end"].as<std::string>(), Timestamp::from_nanos(chunk.data<int64_t>(3)[0] * 1'000'000).to_string());

  EXPECT_EQ(s["version"].as<std::string>(), ML4T_VERSION);
  EXPECT_EQ(s["strategy"].as<std::string>(), "signal_threshold on ml_pred");
  EXPECT_EQ(s["events"].as<int64_t>(), 120);
  EXPECT_GT(s["elapsed_seconds"].as<double>(), 0.0);
  EXPECT_EQ(s["config"]["execution"]["initial_capital"].as<double>(), 50000.0);
  EXPECT_EQ(s["config"]["data_sources"]["context"]["path"].as<std::string>(),
            (dir / "data/context.parquet").string());
  // total_return agrees with final_equity and the initial capital.
  EXPECT_DOUBLE_EQ(s["total_return"].as<double>(), s["final_equity"].as<double>() / 50000.0 - 1.0);
  EXPECT_EQ(s["num_trades"].as<int64_t>(), s["metrics"]["num_trades"].as<int64_t>());
  for (const char* key : {"total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown",
                          "max_drawdown_duration_bars", "calmar", "win_rate", "profit_factor", "avg_win", "avg_loss",
                          "exposure", "turnover", "num_trades", "periods_per_year"}) {
    EXPECT_TRUE(s["metrics"][key].IsDefined()) << key;
  }
}

}  // namespace
}  // namespace ml4t::backtest
