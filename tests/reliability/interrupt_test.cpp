// SIGINT / SIGTERM during a long `run`: the process stops within a second with a clear
// message and a non-zero code, leaves no temporaries in the output folder and does not
// touch the results an earlier run left there (even with --overwrite).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "ml4t/backtest/data/sample_data.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const auto& slurp = testing::read_file;

class Interrupt : public ::testing::TestWithParam<int> {
 protected:
  // 200 assets x 20 days x 390 one-minute bars = 1.56M bars: several seconds of work.
  static void SetUpTestSuite() {
    data_ = fs::path(ML4T_TEST_TMP) / "Interrupt.sample-data";
    if (!fs::exists(data_)) {
      const fs::path tmp = data_.string() + fmt::format(".tmp{}", ::getpid());
      SampleDataOptions o;
      o.out_dir = tmp;
      o.symbols = 200;
      o.days = 20;
      o.frequency = BarFrequency::kMinute;
      generate_sample_data(o);
      std::error_code ec;
      fs::rename(tmp, data_, ec);
      fs::remove_all(tmp, ec);
    }
  }
  static fs::path data_;
};

fs::path Interrupt::data_;

TEST_P(Interrupt, StopsWithinASecondAndKeepsEarlierResults) {
  const int sig = GetParam();
  const fs::path dir = testing::scratch_dir();
  const fs::path cfg = dir / "cfg.yaml";
  std::ofstream(cfg) << fmt::format(
      "data_sources:\n  prices: {0}/prices.parquet\n  signals: {0}/signals.parquet\n"
      "strategy: {{type: signal_threshold, entry: 0.6, exit: 0.5, size_pct: 0.2}}\n",
      data_.string());
  const fs::path out = dir / "out";
  fs::create_directories(out);
  std::ofstream(out / "summary.json") << "earlier run";
  const fs::path err_file = dir / "stderr.txt";

  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen(err_file.c_str(), "w", stderr);
    std::freopen("/dev/null", "w", stdout);
    ::execl(ML4T_CLI, ML4T_CLI, "run", cfg.c_str(), "--out", out.c_str(), "--overwrite", "--quiet",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Signal once the run has begun: its staging folder appears after the CLI has installed
  // its handlers (a fixed delay raced the CLI's start-up on a loaded machine, where the
  // signal's default action then killed it). Then give it a moment to get into the data.
  const auto started = std::chrono::steady_clock::now();
  auto staging_exists = [&] {
    for (const auto& e : fs::directory_iterator(out)) {
      if (e.path().filename().string().rfind(".ml4t-partial-", 0) == 0) return true;
    }
    return false;
  };
  while (!staging_exists() && std::chrono::steady_clock::now() - started < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(staging_exists()) << "the run did not start within 10 s";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(::kill(pid, sig), 0);
  const auto sent = std::chrono::steady_clock::now();
  int status = 0;
  pid_t done = 0;
  // Poll rather than block so a hung child fails the test instead of hanging it.
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - sent < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "the run did not stop within 10 s of the signal";
  }
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  EXPECT_LT(waited, 1.0) << "seconds from signal to exit";
  ASSERT_TRUE(WIFEXITED(status)) << "must exit, not die by the signal";
  EXPECT_EQ(WEXITSTATUS(status), 130);  // the CLI's "interrupted" code for either signal
  EXPECT_THAT(slurp(err_file), HasSubstr("interrupted: "));
  EXPECT_THAT(slurp(err_file), HasSubstr("no results were produced"));
  // Only the earlier run's file: no staging folder, no partial tables.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out)) names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"summary.json"});
  EXPECT_EQ(slurp(out / "summary.json"), "earlier run");
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& p) { return p.param == SIGINT ? "SIGINT" : "SIGTERM"; });

}  // namespace
}  // namespace ml4t::backtest
