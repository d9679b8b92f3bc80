// The optimize and inspect commands end to end: exit codes, printed summaries, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <string>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Run {
  int code = -1;
  std::string output;  // stdout and stderr
};

Run run_cli(const std::string& args) {
  Run run;
  FILE* pipe = ::popen(fmt::format("{} {} 2>&1", ML4T_CLI, args).c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

fs::path write_fixture(const fs::path& dir) {
  duck::Database db;
  duck::Connection con(db);
  const auto path = dir / "in.csv";
  // Three bars, the last out of order.
  con.execute(fmt::format("COPY (SELECT * FROM (VALUES (TIMESTAMP '2024-01-02 00:00:00', 'BBB', 2.0), (TIMESTAMP "
                          "'2024-01-03 00:00:00', 'AAA', 3.0), (TIMESTAMP '2024-01-02 00:00:00', 'AAA', 1.0)) "
                          "t(\"timestamp\", asset_id, \"close\")) TO {} (HEADER)",
                          duck::quote_literal(path.string())));
  return path;
}

TEST(OptimizeInspectCli, OptimizeThenInspect) {
  const auto dir = testing::scratch_dir();
  const auto in = write_fixture(dir);
  auto before = run_cli(fmt::format("data inspect {}", in.string()));
  EXPECT_EQ(before.code, 0) << before.output;
  EXPECT_THAT(before.output, HasSubstr(fmt::format("sorted:     no; first out of order: {} row 3 "
                                                   "(2024-01-02T00:00:00Z, AAA) after (2024-01-03T00:00:00Z, AAA)",
                                                   in.string())));

  const auto out = dir / "out.parquet";
  auto opt = run_cli(fmt::format("data optimize {} --out {} --categorical asset_id --compression zstd --level 7",
                                 in.string(), out.string()));
  EXPECT_EQ(opt.code, 0) << opt.output;
  EXPECT_THAT(opt.output, HasSubstr(fmt::format("input:  1 file(s), {} B ({} bytes)\n", fs::file_size(in),
                                                fs::file_size(in))));
  EXPECT_THAT(opt.output, HasSubstr("rows:   3\n"));
  EXPECT_THAT(opt.output, HasSubstr("x (input / output), zstd compression"));

  auto after = run_cli(fmt::format("data inspect {} --json", out.string()));
  EXPECT_EQ(after.code, 0) << after.output;
  EXPECT_THAT(after.output, HasSubstr(R"("rows": 3, )"));
  EXPECT_THAT(after.output, HasSubstr(R"("assets": {"count": 2, "first": ["AAA", "BBB"]})"));
  EXPECT_THAT(after.output, HasSubstr(R"("sorted": true, "duplicates": 0, "first_out_of_order": null})"));
  EXPECT_THAT(after.output, HasSubstr(R"("compression": "ZSTD")"));
}

TEST(OptimizeInspectCli, PartitionedOutputIsADirectory) {
  const auto dir = testing::scratch_dir();
  const auto in = write_fixture(dir);
  auto opt = run_cli(fmt::format("data optimize {} --out {} --partition-by year", in.string(), (dir / "ds").string()));
  EXPECT_EQ(opt.code, 0) << opt.output;
  EXPECT_TRUE(fs::exists(dir / "ds" / "year=2024" / "data_0.parquet"));
  // A second run needs --overwrite.
  auto again = run_cli(fmt::format("data optimize {} --out {} --partition-by year", in.string(), (dir / "ds").string()));
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.output, HasSubstr("already exists; remove it or pass --overwrite"));
  auto forced =
      run_cli(fmt::format("data optimize {} --out {} --partition-by month --overwrite", in.string(), (dir / "ds").string()));
  EXPECT_EQ(forced.code, 0) << forced.output;
  EXPECT_TRUE(fs::exists(dir / "ds" / "year=2024" / "month=1" / "data_0.parquet"));
  EXPECT_FALSE(fs::exists(dir / "ds" / "year=2024" / "data_0.parquet"));
}

TEST(OptimizeInspectCli, RepeatedCategoricalOptions) {
  const auto dir = testing::scratch_dir();
  const auto in = write_fixture(dir);
  const auto out = dir / "out.parquet";
  // --categorical takes one column per occurrence, so the input after it stays positional.
  auto opt = run_cli(fmt::format("data optimize --categorical asset_id {} --out {}", in.string(), out.string()));
  EXPECT_EQ(opt.code, 0) << opt.output;
  auto bad = run_cli(fmt::format("data optimize {} --out {} --categorical asset_id --categorical close --overwrite",
                                 in.string(), out.string()));
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.output, HasSubstr("categorical column 'close'"));
}

TEST(OptimizeInspectCli, ErrorsAndExitCodes) {
  const auto dir = testing::scratch_dir();
  const auto in = write_fixture(dir);
  auto missing = run_cli(fmt::format("data inspect {}", (dir / "none.parquet").string()));
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.output, HasSubstr(fmt::format("error: input file {} not found", (dir / "none.parquet").string())));

  auto column = run_cli(fmt::format("data optimize {} --out {} --timestamp-column ts", in.string(), (dir / "o.parquet").string()));
  EXPECT_EQ(column.code, 1);
  EXPECT_THAT(column.output, HasSubstr("error: timestamp column 'ts' not found in"));
  EXPECT_THAT(column.output, HasSubstr("columns found: timestamp, asset_id, close"));

  auto codec = run_cli(fmt::format("data optimize {} --out {} --compression brotli", in.string(), (dir / "o.parquet").string()));
  EXPECT_EQ(codec.code, 2);
  auto level = run_cli(fmt::format("data optimize {} --out {} --compression gzip --level 3", in.string(),
                                   (dir / "o.parquet").string()));
  EXPECT_EQ(level.code, 2);
  EXPECT_THAT(level.output, HasSubstr("error: a compression level applies only to zstd, not gzip"));
  auto no_out = run_cli(fmt::format("data optimize {}", in.string()));
  EXPECT_EQ(no_out.code, 2);
  EXPECT_FALSE(fs::exists(dir / "o.parquet"));
}

TEST(OptimizeInspectCli, InspectNamesAFarFutureStampAndTheFix) {
  // A 9999-12-31 placeholder cannot be a nanosecond timestamp; inspect must say which
  // column and file, as run does, not DuckDB's bare conversion error.
  const auto dir = testing::scratch_dir();
  const auto csv = dir / "future.csv";
  std::FILE* f = std::fopen(csv.string().c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("timestamp,asset_id,close\n2024-01-02 00:00:00,AAA,1.0\n9999-12-31 00:00:00,AAA,2.0\n", f);
  std::fclose(f);
  const fs::path parquet = testing::source_dir() / "fuzz/corpus/parquet_feed_fuzzer/regress_timestamp_overflow.parquet";
  for (const fs::path& file : {csv, parquet}) {
    SCOPED_TRACE(file.string());
    const auto run = run_cli(fmt::format("data inspect {}", file.string()));
    EXPECT_EQ(run.code, 1);
    EXPECT_THAT(run.output, HasSubstr(fmt::format("error: inspect: a timestamp in column \"timestamp\" of {} is "
                                                  "outside the range nanosecond timestamps can hold (1677-09-21 .. "
                                                  "2262-04-11); fix the date",
                                                  file.string())));
    EXPECT_THAT(run.output, ::testing::Not(HasSubstr("Conversion Error")));
  }
}

TEST(OptimizeInspectCli, HelpDescribesTheOptions) {
  auto opt = run_cli("data optimize --help");
  EXPECT_EQ(opt.code, 0);
  for (const char* option : {"--out", "--compression", "--level", "--categorical", "--row-group-size", "--partition-by",
                             "--timestamp-column", "--asset-column", "--overwrite", "Examples:"}) {
    EXPECT_THAT(opt.output, HasSubstr(option));
  }
  auto inspect = run_cli("data inspect --help");
  EXPECT_EQ(inspect.code, 0);
  EXPECT_THAT(inspect.output, HasSubstr("--json"));
  EXPECT_THAT(inspect.output, HasSubstr("first out-of-order row"));
}

}  // namespace
}  // namespace ml4t::backtest
