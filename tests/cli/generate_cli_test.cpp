// The generate command end to end: summary line, files, determinism, usage errors.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

testing::CliRun generate(const fs::path& scratch, const std::string& args) {
  return testing::run_captured(scratch, fmt::format("{} generate {}", ML4T_CLI, args));
}

TEST(GenerateCli, WritesTheFourFilesAndSummarisesThem) {
  const auto dir = testing::scratch_dir();
  // Hourly bars: 7 a day from 14:30 UTC; 3 weekdays from Tue 2024-01-02.
  const auto r = generate(dir, fmt::format("--out {} --symbols 2 --days 3 --freq 1h --seed 9", (dir / "a").string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, HasSubstr("generated 42 bars: 2 assets x 21 timestamps (2024-01-02T14:30:00Z .. "
                               "2024-01-04T20:30:00Z), 1h bars, seed 9 in "));
  for (const auto& [name, rows] : {std::pair{"prices", 42}, std::pair{"signals", 42}, std::pair{"features", 42},
                                   std::pair{"context", 21}}) {
    const auto path = (dir / "a" / (std::string(name) + ".parquet")).string();
    EXPECT_TRUE(fs::exists(path)) << path;
    EXPECT_THAT(r.out, MatchesRegex(fmt::format("(.|\n)*  {} +{} rows(.|\n)*", path, rows))) << r.out;
  }
  EXPECT_FALSE(fs::exists(dir / "a" / "prices.parquet.tmp"));
  // Same seed, same bytes.
  ASSERT_EQ(generate(dir, fmt::format("--out {} --symbols 2 --days 3 --freq 1h --seed 9", (dir / "b").string())).code,
            0);
  for (const char* name : {"prices.parquet", "signals.parquet", "features.parquet", "context.parquet"}) {
    EXPECT_EQ(testing::read_file(dir / "a" / name), testing::read_file(dir / "b" / name)) << name;
  }
}

TEST(GenerateCli, UsageErrorsExitTwo) {
  const auto dir = testing::scratch_dir();
  const auto out = (dir / "x").string();
  auto r = generate(dir, fmt::format("--out {} --start 2024-13-01", out));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--start: cannot parse timestamp \"2024-13-01\": no such calendar date"));
  r = generate(dir, fmt::format("--out {} --freq 5min", out));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--freq"));
  r = generate(dir, fmt::format("--out {} --symbols 0", out));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--symbols"));
  r = generate(dir, "--symbols 3");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--out is required"));
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace ml4t::backtest
