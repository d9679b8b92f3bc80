// Output folder claims: one writer per folder (in this or another process), leftovers of
// a writer killed by SIGKILL cleaned by the next one, and messages that name the caller's
// own overwrite switch.
#include "ml4t/backtest/results/output_claim.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/results/writer.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string claim_error(const fs::path& dir, bool overwrite, const std::string& hint) {
  try {
    OutputClaim claim(dir, overwrite, hint);
  } catch (const OutputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected the claim on " << dir << " to fail";
  return {};
}

TEST(OutputClaim, SecondClaimOnTheSameFolderFails) {
  const fs::path dir = testing::scratch_dir() / "out";
  {
    OutputClaim first(dir, false, "--overwrite");
    EXPECT_TRUE(fs::is_directory(first.staging()));
    EXPECT_EQ(claim_error(dir, true, "--overwrite"),
              fmt::format("output folder {} is being written by another run (process {}); wait for it to finish, or "
                          "choose another output folder",
                          dir.string(), ::getpid()));
  }
  // Released: the lock file and the staging folder are gone, the folder is empty again.
  EXPECT_TRUE(entries(dir).empty());
  EXPECT_NO_THROW(OutputClaim(dir, false, "--overwrite"));
}

TEST(OutputClaim, NonEmptyFolderNamesTheCallersSwitch) {
  const fs::path dir = testing::scratch_dir();
  std::ofstream(dir / "summary.json") << "{}";
  EXPECT_EQ(claim_error(dir, false, "overwrite=True"),
            fmt::format("output folder {} is not empty; pass overwrite=True to replace earlier results, or choose "
                        "another output folder",
                        dir.string()));
  EXPECT_THAT(entries(dir), ::testing::ElementsAre("summary.json"));  // nothing left behind by the refusal
}

TEST(OutputClaim, WriterKilledBySigkillDoesNotBlockTheNextRun) {
  const fs::path dir = testing::scratch_dir() / "killed";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    OutputClaim claim(dir, false, "--overwrite");
    std::ofstream(claim.staging() / "equity.parquet") << "half written";
    [[maybe_unused]] const ssize_t n = ::write(ready[1], "x", 1);
    for (;;) ::pause();
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  EXPECT_THAT(claim_error(dir, false, "--overwrite"), HasSubstr(fmt::format("(process {})", child)));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  const std::string leftover = fmt::format(".ml4t-partial-{}", child);
  EXPECT_TRUE(fs::exists(dir / leftover));
  // A plain check (as `run` makes before the backtest) does not count the dead writer's
  // staging folder and removes it; the claim then succeeds without --overwrite.
  EXPECT_NO_THROW(check_output_dir(dir, false));
  EXPECT_FALSE(fs::exists(dir / leftover));
  EXPECT_NO_THROW(OutputClaim(dir, false, "--overwrite"));
}

TEST(OutputClaim, OverwriteRemovesEveryStagingLeftover) {
  // Our own case: a leftover whose pid is alive (reused by another process) is still
  // removed once the folder is claimed, since no writer can hold it without the claim.
  const fs::path dir = testing::scratch_dir();
  const fs::path leftover = dir / fmt::format(".ml4t-partial-{}", ::getppid());
  fs::create_directories(leftover);
  std::ofstream(dir / "trades.parquet") << "old";
  {
    OutputClaim claim(dir, true, "--overwrite");
    EXPECT_FALSE(fs::exists(leftover));
  }
  EXPECT_THAT(entries(dir), ::testing::ElementsAre("trades.parquet"));
}

TEST(OutputClaim, WriterEntriesDoNotCountAsContent) {
  const fs::path dir = testing::scratch_dir();
  std::ofstream(dir / ".ml4t-lock") << "123";
  fs::create_directories(dir / ".ml4t-partial-1");
  EXPECT_TRUE(output_dir_is_empty(dir));
  std::ofstream(dir / ".hidden-user-file") << "x";
  EXPECT_FALSE(output_dir_is_empty(dir));
}

}  // namespace
}  // namespace ml4t::backtest
