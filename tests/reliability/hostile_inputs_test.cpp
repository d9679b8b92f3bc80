// Hostile files and arguments through the CLI (docs/errors.md, "Hostile input"): each class
// of issue 20 with the issue's own case and one of ours (another file, column or key).
// Every one must end in a one-paragraph error with exit 1 or 2, never a crash, a hang,
// DuckDB's advice, or a silently shorter/wronger run.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::CliRun;

CliRun cli(const fs::path& scratch, const std::string& args) {
  return testing::run_captured(scratch, fmt::format("sh -c 'exec {} {}'", ML4T_CLI, args));
}

void sh(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

constexpr const char* kHeader = "timestamp,asset_id,open,high,low,close,volume\n";

// `n` daily AAA bars from 2020-01-01 (n up to a few hundred thousand).
std::string bars(int n) {
  std::string out = kHeader;
  for (int i = 0; i < n; ++i) {
    const int y = 2000 + i / 360, m = 1 + (i / 30) % 12, d = 1 + i % 28;
    out += fmt::format("{:04d}-{:02d}-{:02d} {:02d}:00:00,AAA,10,11,9,10.5,100\n", y, m, d, i % 24);
  }
  return out;
}

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    write("sig.csv", "timestamp,asset_id,ml_pred\n2024-01-02 00:00:00,AAA,0.7\n2024-01-03 00:00:00,AAA,0.4\n");
    write("prices.csv", std::string(kHeader) + "2024-01-02 00:00:00,AAA,10,11,9,10.5,100\n" +
                            "2024-01-03 00:00:00,AAA,10.5,11,10,10.8,100\n");
  }

  fs::path write(const std::string& name, const std::string& text) const {
    fs::create_directories((dir_ / name).parent_path());
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }

  fs::path config(const std::string& prices, const std::string& signals = "sig.csv",
                  const std::string& extra = "") const {
    return write("cfg.yaml", fmt::format("data_sources:\n  prices: {{path: {}}}\n  signals: {{path: {}}}\n"
                                         "signal_timing: {{validate: false}}\n{}"
                                         "strategy: {{type: signal_threshold, entry: 0.6, exit: 0.5}}\n",
                                         prices, signals, extra));
  }

  // `run` fails with `code`, one paragraph, nothing written; returns stderr.
  std::string run_fails(int code, const std::string& extra_args = "") const {
    const auto r = cli(dir_, fmt::format("run {} --out {} --quiet {}", (dir_ / "cfg.yaml").string(),
                                         (dir_ / "out").string(), extra_args));
    EXPECT_EQ(r.code, code) << r.err;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    // Config errors (exit 2) list their problems one per line; others are one line.
    if (code == 1) {
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
    }
    EXPECT_THAT(r.err, Not(HasSubstr("\n\n")));
    for (const char* advice : {"Possible", "strict_mode", "ignore_errors", "sample_size", "union_by_name"}) {
      EXPECT_THAT(r.err, Not(HasSubstr(advice)));
    }
    EXPECT_FALSE(fs::exists(dir_ / "out") && !fs::is_empty(dir_ / "out"));
    return r.err;
  }

  fs::path dir_;
};

TEST_F(Hostile, TruncatedGzipIsRefusedNotReadShort) {
  write("big.csv", bars(30000));
  sh(fmt::format("cd {} && gzip -c big.csv > full.csv.gz && head -c 40000 full.csv.gz > cut.csv.gz", dir_.string()));
  config("full.csv.gz");
  EXPECT_EQ(cli(dir_, fmt::format("validate {}", (dir_ / "cfg.yaml").string())).code, 0);
  config("cut.csv.gz");
  EXPECT_THAT(run_fails(1), HasSubstr(fmt::format("error: prices: {}/cut.csv.gz ends in the middle of its gzip stream "
                                                  "(truncated after 40000 bytes",
                                                  dir_.string())));
  // Our own case: the signals file is the truncated one.
  sh(fmt::format("cd {} && gzip -c sig.csv | head -c 30 > sig.csv.gz", dir_.string()));
  config("prices.csv", "sig.csv.gz");
  EXPECT_THAT(run_fails(1), HasSubstr("error: signals: " + (dir_ / "sig.csv.gz").string() + " ends in the middle"));
}

TEST_F(Hostile, CompressionAndNameDisagree) {
  sh(fmt::format("cd {} && gzip -c prices.csv > gz.csv", dir_.string()));
  config("gz.csv");
  EXPECT_EQ(run_fails(1), fmt::format("error: prices: {}/gz.csv holds gzip-compressed bytes but its name does not say "
                                      "so; rename it to end in .csv.gz (or decompress it)\n",
                                      dir_.string()));
  // Our own case: plain text named .csv.gz.
  sh(fmt::format("cd {} && cp prices.csv plain.csv.gz", dir_.string()));
  config("plain.csv.gz");
  EXPECT_THAT(run_fails(1), HasSubstr("plain.csv.gz is named as gzip-compressed but is not"));
}

TEST_F(Hostile, EncodingsOtherThanUtf8) {
  write("u16.csv", std::string("\xff\xfe") + "t\0i\0m\0e\0\n\0");
  config("u16.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("u16.csv is UTF-16 text (it starts with a UTF-16 byte order mark); CSV files "
                                      "must be UTF-8: convert it, e.g. iconv -f UTF-16 -t UTF-8"));
  write("latin1.csv", std::string(kHeader) + "2024-01-02 00:00:00,Caf\xe9,10,11,9,10.5,100\n");
  config("latin1.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("latin1.csv line 2 is not UTF-8 text (byte 0xe9 at offset 69"));
  // Our own case: a Windows-1252 curly quote in the third line of the signals file.
  write("sig1252.csv", "timestamp,asset_id,ml_pred\n2024-01-02 00:00:00,AAA,0.7\n2024-01-03 00:00:00,\x93"
                       "AAA\x94,0.4\n");
  config("prices.csv", "sig1252.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("error: signals: " + (dir_ / "sig1252.csv").string() + " line 3 is not UTF-8"));
}

TEST_F(Hostile, EmptyAndHeaderOnlyFiles) {
  write("empty.csv", "");
  config("empty.csv");
  EXPECT_EQ(run_fails(1), fmt::format("error: prices: {} is empty (0 bytes); re-create or re-export it\n",
                                      (dir_ / "empty.csv").string()));
  write("header.csv", kHeader);
  config("header.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("header.csv has a header line but no rows"));
  // Our own case: a header-only signals file without a final newline.
  write("sighdr.csv", "timestamp,asset_id,ml_pred");
  config("prices.csv", "sighdr.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("error: signals: " + (dir_ / "sighdr.csv").string() + " has a header line"));
}

TEST_F(Hostile, SymlinkLoopIsNotNotFound) {
  fs::create_symlink(dir_ / "loop_b", dir_ / "loop_a");
  fs::create_symlink(dir_ / "loop_a", dir_ / "loop_b");
  config("loop_a");
  EXPECT_THAT(run_fails(2), HasSubstr("data_sources.prices.path: cannot open " + (dir_ / "loop_a").string() +
                                      ": it is a symbolic link loop; point the path at the real file"));
  config("prices.csv", "loop_b");  // our own case: the signals path
  EXPECT_THAT(run_fails(2), HasSubstr("data_sources.signals.path: cannot open " + (dir_ / "loop_b").string()));
}

TEST_F(Hostile, BadValueBeyondTheSniffedRows) {
  // DuckDB infers types from the first 20480 rows; a bad value after them used to come
  // back as a 26-line DuckDB message.
  std::string text = bars(30000);
  text.replace(text.rfind(",10.5,"), 6, ",abc,");
  write("late.csv", text);
  config("late.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("line 30001, column \"close\": \"abc\" is not a number like the rows before it; "
                                      "fix or remove that value"));
  // Our own case: the volume column of the same last row.
  text = bars(30000);
  text.replace(text.rfind(",100\n"), 5, ",lots\n");
  write("late_volume.csv", text);
  config("late_volume.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("line 30001, column \"volume\": \"lots\" is not a number"));
}

TEST_F(Hostile, PartitionsWithDifferentColumns) {
  duck::Database db;
  duck::Connection con(db);
  auto part = [&](const std::string& file, const std::string& date, bool volume, bool pred) {
    fs::create_directories((dir_ / file).parent_path());
    con.execute(fmt::format("COPY (SELECT TIMESTAMP '{}' AS timestamp, 'AAA' AS asset_id, 10.0 AS open, 11.0 AS "
                            "high, 9.0 AS low, 10.5 AS close{}{}) TO {} (FORMAT parquet)",
                            date, volume ? ", 100.0 AS volume" : "", pred ? ", 0.7 AS ml_pred" : "",
                            duck::quote_literal((dir_ / file).string())));
  };
  part("p/year=2020/a.parquet", "2020-01-02", false, true);  // the first file lacks volume
  part("p/year=2021/b.parquet", "2021-01-04", true, true);
  config("p", "p", "");
  EXPECT_THAT(run_fails(1), HasSubstr("error: prices: column \"volume\" is in 1 of the 2 files but not in " +
                                      (dir_ / "p/year=2020/a.parquet").string() +
                                      ": every file of a source needs the same columns"));
  // Our own case: the second of three signal files lacks the signal column.
  part("q/year=2020/a.parquet", "2020-01-02", true, true);
  part("q/year=2021/b.parquet", "2021-01-04", true, false);
  part("q/year=2022/c.parquet", "2022-01-04", true, true);
  config("q", "q", "");
  EXPECT_THAT(run_fails(1), HasSubstr("column \"ml_pred\" is in 2 of the 3 files but not in " +
                                      (dir_ / "q/year=2021/b.parquet").string()));
}

TEST_F(Hostile, EmptyArgumentsAreRefused) {
  config("prices.csv");
  auto r = cli(dir_, fmt::format("run {} --out \"\"", (dir_ / "cfg.yaml").string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "error: --out: empty path; give the output folder, or leave --out out to use output.dir\n");
  EXPECT_THAT(run_fails(2, "--set execution.initial_capital="),
              HasSubstr("--set execution.initial_capital=: empty value (an unset shell variable?)"));
  // Our own case: an empty value for a string key through validate.
  r = cli(dir_, fmt::format("validate {} --set strategy.signal=", (dir_ / "cfg.yaml").string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--set strategy.signal=: empty value"));
}

TEST_F(Hostile, AmountsBeyondTheEnginesArithmetic) {
  config("prices.csv", "sig.csv", "execution: {initial_capital: 1e18}\n");
  EXPECT_THAT(run_fails(2), HasSubstr("execution.initial_capital: 1e18 is out of range; use a value > 0 and <= "
                                      "10000000000000"));
  config("prices.csv", "sig.csv", "risk_rules: {take_profit: 1e7}\n");  // our own case
  EXPECT_THAT(run_fails(2), HasSubstr("risk_rules.take_profit: 1e7 is out of range; use a value >= 0 and <= 1000000"));
  config("prices.csv", "sig.csv", "risk_rules: {max_positions: 99999999999}\n");  // too large, not "not whole"
  EXPECT_THAT(run_fails(2), HasSubstr("risk_rules.max_positions: 99999999999 is too large a number"));
}

TEST_F(Hostile, AliasBombAndDuplicateKeysThroughTheCli) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += fmt::format("{0}: &{0} [*{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}, *{1}]\n", c,
                        static_cast<char>(c - 1));
  }
  write("bomb.yaml", bomb);
  auto r = cli(dir_, "validate " + (dir_ / "bomb.yaml").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("the config expands to more than 1000000 values once its aliases"));
  write("dup.yaml", "data_sources: {prices: {path: prices.csv}}\noutput: {dir: a}\noutput: {dir: b}\n");
  r = cli(dir_, "validate " + (dir_ / "dup.yaml").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("dup.yaml:3:1: duplicate key \"output\" (first given on line 2)"));
}

TEST_F(Hostile, AmbiguousDayMonthDatesNeedAFormat) {
  write("dm.csv", std::string(kHeader) + "01/12/2021,AAA,10,11,9,10.5,100\n02/12/2021,AAA,10,11,9,10.5,100\n");
  write("dm_sig.csv", "timestamp,asset_id,ml_pred\n01/12/2021,AAA,0.7\n02/12/2021,AAA,0.4\n");
  config("dm.csv", "dm_sig.csv");
  EXPECT_EQ(run_fails(1), fmt::format("error: prices: column \"timestamp\" of {} holds dates like \"01/12/2021\", "
                                      "which read both day-first (%d/%m/%Y) and month-first (%m/%d/%Y); say which: "
                                      "set timestamp_format: \"%d/%m/%Y\" (or \"%m/%d/%Y\") on this source\n",
                                      (dir_ / "dm.csv").string()));
  // Given the format, the first bar is 1 December (day-first), not 12 January.
  write("cfg.yaml", "data_sources:\n  prices: {path: dm.csv, timestamp_format: \"%d/%m/%Y\"}\n"
                    "  signals: {path: dm_sig.csv, timestamp_format: \"%d/%m/%Y\"}\nsignal_timing: {validate: "
                    "false}\n");
  const auto r = cli(dir_, fmt::format("run {} --out {}/ok --format csv --quiet", (dir_ / "cfg.yaml").string(),
                                       dir_.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(testing::read_file(dir_ / "ok/equity.csv"), HasSubstr("\n2021-12-01T00:00:00Z,"));
  // Our own case: month-first dates with dashes in the signals file only.
  write("md_sig.csv", "timestamp,asset_id,ml_pred\n12-01-2021,AAA,0.7\n12-02-2021,AAA,0.4\n");
  config("prices.csv", "md_sig.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("error: signals: column \"timestamp\" of " + (dir_ / "md_sig.csv").string() +
                                      " holds dates like \"12-01-2021\", which read both day-first (%d-%m-%Y) and "
                                      "month-first (%m-%d-%Y)"));
}

TEST_F(Hostile, ContextWithTwoValuesForOneStamp) {
  auto with_context = [&](const std::string& ctx) {
    write("cfg.yaml", fmt::format("data_sources:\n  prices: {{path: prices.csv}}\n  signals: {{path: sig.csv}}\n"
                                  "  context: {{path: {}}}\nsignal_timing: {{validate: false}}\n",
                                  ctx));
  };
  write("ctx.csv", "timestamp,vix,spy_return\n2024-01-02 00:00:00,15,0.01\n2024-01-02 00:00:00,25,0.01\n"
                   "2024-01-03 00:00:00,16,0.02\n");
  with_context("ctx.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("error: context: two rows of " + (dir_ / "ctx.csv").string() +
                                      " are stamped 2024-01-02T00:00:00Z with different values of \"vix\" (15 and "
                                      "25); market-wide values need one row per timestamp"));
  // Our own case: the second stamp, the second column.
  write("ctx2.csv", "timestamp,vix,spy_return\n2024-01-02 00:00:00,15,0.01\n2024-01-03 00:00:00,16,0.02\n"
                    "2024-01-03 00:00:00,16,-0.5\n");
  with_context("ctx2.csv");
  EXPECT_THAT(run_fails(1), HasSubstr("stamped 2024-01-03T00:00:00Z with different values of \"spy_return\" (0.02 "
                                      "and -0.5)"));
  // A repeated identical row is one value: it runs.
  write("ctx3.csv", "timestamp,vix\n2024-01-02 00:00:00,15\n2024-01-02 00:00:00,15\n");
  with_context("ctx3.csv");
  EXPECT_EQ(cli(dir_, fmt::format("run {} --out {}/ok --quiet", (dir_ / "cfg.yaml").string(), dir_.string())).code, 0);
}

TEST_F(Hostile, DropThatDropsEveryBarSaysSo) {
  write("allbad.csv", std::string(kHeader) + "2024-01-02 00:00:00,AAA,10,9,11,10.5,100\n" +
                          "2024-01-03 00:00:00,AAA,-1,11,9,10.5,100\n");
  config("allbad.csv", "sig.csv", "data_quality: {bad_data: drop}\n");
  EXPECT_EQ(run_fails(1), fmt::format("error: every price bar of {} was dropped as bad (2 row(s) skipped by "
                                      "data_quality.bad_data: drop), so there is nothing to backtest; set bad_data: "
                                      "error to see the first bad row, and fix the data\n",
                                      (dir_ / "allbad.csv").string()));
  // Our own case: warn instead of drop, three bars priced zero.
  write("allnan.csv", std::string(kHeader) + "2024-01-02 00:00:00,AAA,0,0,0,0,100\n" +
                          "2024-01-03 00:00:00,AAA,0,0,0,0,100\n2024-01-04 00:00:00,AAA,0,0,0,0,100\n");
  config("allnan.csv", "sig.csv", "data_quality: {bad_data: warn}\n");
  const auto r = cli(dir_, fmt::format("run {} --out {}/o2", (dir_ / "cfg.yaml").string(), dir_.string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("(3 row(s) skipped by data_quality.bad_data: warn)"));
}

TEST_F(Hostile, GenerateRefusesDatesPast2262) {
  auto r = cli(dir_, fmt::format("generate --out {}/g --start 2262-03-01 --days 60", dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--start 2262-03-01T00:00:00Z with --days 60 runs past 2262-04-11"));
  EXPECT_FALSE(fs::exists(dir_ / "g" / "prices.parquet"));
  // Our own case: an early start with so many days that the end passes 2262.
  r = cli(dir_, fmt::format("generate --out {}/g --start 2200-01-03 --days 20000", dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("with --days 20000 runs past 2262-04-11"));
}

}  // namespace
}  // namespace ml4t::backtest
