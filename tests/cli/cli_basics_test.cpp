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

#include <fstream>
#include <regex>
#include <string>
#include <vector>

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
                        Case{"optimize", {}},
                        Case{"inspect", {}},
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
  for (const char* sub : {"run", "validate", "generate", "optimize", "inspect", "events"}) {
    EXPECT_THAT(top.out, HasSubstr(sub));
  }
  // No subcommand, an unknown one or an unknown option: usage errors (exit 2).
  EXPECT_EQ(cli(dir, "").code, 2);
  EXPECT_EQ(cli(dir, "frobnicate").code, 2);
  EXPECT_EQ(cli(dir, "run --no-such-option x.yaml").code, 2);
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

TEST(CliBasics, ProgressBarOnlyOnATerminal) {
  const fs::path dir = testing::scratch_dir();
  SampleDataOptions o;
  o.out_dir = dir / "data";
  o.symbols = 3;
  o.days = 40;
  o.threads = 1;
  generate_sample_data(o);
  const fs::path cfg = dir / "cfg.yaml";
  std::ofstream(cfg) << "data_sources: {prices: data/prices.parquet, signals: data/signals.parquet}\n"
                        "output: {formats: [csv], report: false}\n";

  int code = -1;
  const std::string bar =
      run_on_terminal({"run", cfg.string(), "--out", (dir / "a").string()}, dir / "a.stdout", code);
  ASSERT_EQ(code, 0) << bar;
  // 3 assets x 40 days = 120 events; the bar is redrawn in place and ends complete.
  EXPECT_THAT(bar, HasSubstr("\r[##############################] 100.0% 120 events"));
  EXPECT_TRUE(std::regex_search(bar, std::regex(R"(120 events  [0-9]+ events/s  ETA 00:00  2024-)"))) << bar;
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

}  // namespace
}  // namespace ml4t::backtest
