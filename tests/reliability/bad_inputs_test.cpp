// The bad-input catalog of docs/errors.md, end to end through the CLI: every bad file,
// config or output location ends in exit code 1 (data/runtime) or 2 (usage/config) -
// never a signal - with a message naming the file, column, timestamp or config path and
// the fix, and no result file appears. Inputs that are odd but well defined (unsorted
// rows, a BOM, explicit UTC offsets) must run.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

using testing::CliRun;
const auto& slurp = testing::read_file;

// `prefix` runs in the same shell first (e.g. "ulimit -f 1;").
CliRun cli(const fs::path& scratch, const std::string& args, const std::string& prefix = "") {
  return testing::run_captured(scratch, fmt::format("sh -c '{} exec {} {}'", prefix, ML4T_CLI, args));
}

// Three daily AAA bars; each case edits one line.
constexpr const char* kHeader = "timestamp,asset_id,open,high,low,close,volume\n";
constexpr const char* kBar1 = "2024-01-02 00:00:00,AAA,10,11,9,10.5,100\n";
constexpr const char* kBar2 = "2024-01-03 00:00:00,AAA,10.5,11,10,10.8,100\n";
constexpr const char* kBar3 = "2024-01-04 00:00:00,AAA,10.8,12,10,11,100\n";

// One paragraph on stderr starting with "error:": no blank line, no stack trace or abort.
void expect_one_paragraph(const std::string& err) {
  EXPECT_EQ(err.rfind("error: ", 0), 0u) << err;
  EXPECT_THAT(err, Not(HasSubstr("\n\n")));
  EXPECT_THAT(err, Not(HasSubstr("terminate called")));
  EXPECT_THAT(err, Not(HasSubstr("Aborted")));
  EXPECT_THAT(err, Not(HasSubstr("Stack Trace")));
}

class BadInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    write("sig.csv",
          "timestamp,asset_id,ml_pred\n2024-01-02 00:00:00,AAA,0.7\n2024-01-03 00:00:00,AAA,0.4\n"
          "2024-01-04 00:00:00,AAA,0.7\n");
  }

  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
    return dir_ / name;
  }

  fs::path config(const fs::path& prices, const std::string& extra = "", const std::string& signals = "") const {
    return write("cfg.yaml", fmt::format("data_sources:\n  prices: {}\n  signals: {}\n{}"
                                         "strategy: {{type: signal_threshold, entry: 0.6, exit: 0.5, size_pct: 0.2}}\n",
                                         prices.string(), signals.empty() ? (dir_ / "sig.csv").string() : signals,
                                         extra));
  }

  // `run` must fail with `code` and write nothing; returns stderr.
  std::string run_fails(const fs::path& cfg, int code, const std::string& prefix = "") const {
    const fs::path out = dir_ / "out";
    const auto r = cli(dir_, fmt::format("run {} --out {} --quiet", cfg.string(), out.string()), prefix);
    EXPECT_EQ(r.code, code) << r.err;
    EXPECT_THAT(r.err, HasSubstr("error: "));
    expect_one_paragraph(r.err);
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(!fs::exists(out) || fs::is_empty(out)) << "no result files may appear";
    return r.err;
  }

  // `run` must succeed; returns the equity table.
  std::string run_ok(const fs::path& cfg, const std::string& name) const {
    const auto r = cli(dir_, fmt::format("run {} --out {}/{} --format csv --quiet", cfg.string(), dir_.string(), name));
    EXPECT_EQ(r.code, 0) << r.err;
    return slurp(dir_ / name / "equity.csv");
  }

  fs::path dir_;
};

TEST_F(BadInputs, MissingFileIsAConfigError) {
  const auto cfg = config(dir_ / "absent.parquet");
  const auto err = run_fails(cfg, 2);
  EXPECT_THAT(err, HasSubstr(fmt::format("data_sources.prices.path: file not found: {}; check the path",
                                         (dir_ / "absent.parquet").string())));
  EXPECT_EQ(cli(dir_, "validate " + cfg.string()).code, 2);
}

TEST_F(BadInputs, EmptyTruncatedAndNonParquetFiles) {
  // A generated CSV copied to .parquet stands in for "another format"; the first half of
  // the sample Parquet file (its footer cut off) stands in for a truncated download.
  write("real.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const std::string real_parquet = slurp(testing::source_dir() / "fuzz/corpus/parquet_feed_fuzzer/daily.parquet");
  ASSERT_GT(real_parquet.size(), 1000u);
  struct Case {
    const char* name;
    std::string bytes;
    const char* duckdb_says;
  };
  {
    // Empty is said as such, before DuckDB's "too small to be a Parquet file".
    const auto file = write("empty.parquet", "");
    EXPECT_EQ(run_fails(config(file), 1),
              fmt::format("error: prices: {} is empty (0 bytes); re-create or re-export it\n", file.string()));
  }
  for (const Case& c : {Case{"text.parquet", slurp(dir_ / "real.csv"), "No magic bytes found"},
                        Case{"trunc.parquet", real_parquet.substr(0, real_parquet.size() / 2), "No magic bytes found"}}) {
    SCOPED_TRACE(c.name);
    const auto file = write(c.name, c.bytes);
    const auto err = run_fails(config(file), 1);
    EXPECT_THAT(err, HasSubstr(fmt::format("prices: cannot read {} as Parquet", file.string())));
    EXPECT_THAT(err, HasSubstr(c.duckdb_says));
    EXPECT_THAT(err, HasSubstr("Check that it is a complete Parquet file (not truncated, not another format)"));
    EXPECT_EQ(cli(dir_, "validate " + (dir_ / "cfg.yaml").string()).code, 1);
  }
}

TEST_F(BadInputs, CsvWithRaggedRow) {
  const auto file = write("ragged.csv", std::string(kHeader) + kBar1 + "2024-01-03 00:00:00,AAA,10.5,11,10,10.8\n" + kBar3);
  const auto err = run_fails(config(file), 1);
  EXPECT_THAT(err, HasSubstr(fmt::format("prices: {} line 3: Expected Number of Columns: 7 Found: 6; every row needs "
                                         "as many fields as the header",
                                         file.string())));
}

TEST_F(BadInputs, CsvWithBadNumberOrMistypedColumn) {
  for (const std::string bar2 : {"2024-01-03 00:00:00,AAA,10.5,11,10,abc,100\n"}) {
    const auto file = write("badnum.csv", std::string(kHeader) + kBar1 + bar2 + kBar3);
    const auto err = run_fails(config(file), 1);
    EXPECT_THAT(err, HasSubstr(fmt::format("prices: column \"close\" of {} has type VARCHAR; expected a number. "
                                           "Fix the file or map another column",
                                           file.string())));
  }
}

TEST_F(BadInputs, CsvWithByteOrderMarkRuns) {
  const auto plain = write("plain.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const std::string a = run_ok(config(plain), "plain");
  const auto bom = write("bom.csv", "\xEF\xBB\xBF" + std::string(kHeader) + kBar1 + kBar2 + kBar3);
  EXPECT_EQ(run_ok(config(bom), "bom"), a);
  EXPECT_NE(a, "");
}

TEST_F(BadInputs, MissingColumn) {
  const auto file = write("nocol.csv",
                          "timestamp,asset_id,open,high,low,volume\n2024-01-02 00:00:00,AAA,10,11,9,100\n");
  const auto err = run_fails(config(file), 1);
  EXPECT_THAT(err, HasSubstr(fmt::format("prices: {} has no \"close\" column (columns found: [timestamp, asset_id, "
                                         "open, high, low, volume]); rename the right column to \"close\"",
                                         file.string())));
}

TEST_F(BadInputs, DuplicateBar) {
  const auto file = write("dup.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3 + kBar2);
  const auto err = run_fails(config(file), 1);
  EXPECT_THAT(err, HasSubstr(fmt::format("prices: duplicate bar for asset AAA at 2024-01-03T00:00:00Z (keep one bar "
                                         "per (timestamp, asset)) in {};",
                                         file.string())));
}

TEST_F(BadInputs, BadPrices) {
  struct Case {
    const char* bar2;
    const char* problem;
  };
  for (const Case& c : {Case{"2024-01-03 00:00:00,AAA,10.5,11,10,nan,100\n", "a price is missing or NaN"},
                        Case{"2024-01-03 00:00:00,AAA,10.5,11,10,inf,100\n", "a price is infinite"},
                        Case{"2024-01-03 00:00:00,AAA,10.5,11,10,-10.8,100\n", "a price is zero or negative"},
                        Case{"2024-01-03 00:00:00,AAA,10.5,11,10,0,100\n", "a price is zero or negative"},
                        Case{"2024-01-03 00:00:00,AAA,10.5,9,10,10.8,100\n", "high < low"}}) {
    SCOPED_TRACE(c.bar2);
    const auto file = write("bad.csv", std::string(kHeader) + kBar1 + c.bar2 + kBar3);
    const auto err = run_fails(config(file), 1);
    EXPECT_THAT(err, HasSubstr(fmt::format("prices: bad bar for asset AAA at 2024-01-03T00:00:00Z: {}", c.problem)));
    EXPECT_THAT(err, HasSubstr(fmt::format("in {};", file.string())));
    EXPECT_THAT(err, HasSubstr("fix or remove the row"));
  }
  // data_quality.bad_data: warn skips the row with a warning; drop skips it silently.
  const auto file = write("bad.csv", std::string(kHeader) + kBar1 + "2024-01-03 00:00:00,AAA,10.5,9,10,10.8,100\n" + kBar3);
  for (const std::string policy : {"warn", "drop"}) {
    const auto r = cli(dir_, fmt::format("run {} --out {}/{} --quiet",
                                         config(file, "data_quality: {bad_data: " + policy + "}\n").string(),
                                         dir_.string(), policy));
    EXPECT_EQ(r.code, 0) << r.err;
    const std::string warning =
        "warning: prices: bad bar for asset AAA at 2024-01-03T00:00:00Z: high < low (open=10.5, high=9, low=10, "
        "close=10.8, volume=100) (row skipped)\n";
    EXPECT_EQ(r.err, policy == "warn" ? warning : "");
  }
}

TEST_F(BadInputs, OutOfOrderRowsAreSortedNotRejected) {
  const auto sorted = write("sorted.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const auto shuffled = write("shuffled.csv", std::string(kHeader) + kBar3 + kBar1 + kBar2);
  const std::string a = run_ok(config(sorted), "a");
  EXPECT_EQ(run_ok(config(shuffled), "b"), a);
  EXPECT_NE(a.find("2024-01-04"), std::string::npos);
}

TEST_F(BadInputs, ExplicitUtcOffsetsAreConvertedToUtc) {
  // 2024-01-03T05:00:00+05:00 is 2024-01-03T00:00:00Z: the same bars as kBar1..3.
  const auto plain = write("plain.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const auto mixed = write("mixed.csv", std::string(kHeader) + "2024-01-02T00:00:00Z,AAA,10,11,9,10.5,100\n" +
                                            "2024-01-03T05:00:00+05:00,AAA,10.5,11,10,10.8,100\n" +
                                            "2024-01-03T19:00:00-05:00,AAA,10.8,12,10,11,100\n");
  EXPECT_EQ(run_ok(config(mixed), "mixed"), run_ok(config(plain), "plain"));
}

TEST_F(BadInputs, NaiveAndZonedTextInOneColumn) {
  // The naive bar may be New York time or UTC: ambiguous, so the run stops.
  const auto mixed = write("mixed.csv", std::string(kHeader) + "2024-01-02T00:00:00Z,AAA,10,11,9,10.5,100\n" + kBar2 +
                                            "2024-01-04T00:00:00+00:00,AAA,10.8,12,10,11,100\n");
  const auto err = run_fails(config(mixed), 1);
  EXPECT_THAT(err, HasSubstr(fmt::format("prices: column \"timestamp\" mixes timestamps with a time zone, e.g. "
                                         "\"2024-01-02T00:00:00Z\" (asset AAA) in {}, and without one, e.g. "
                                         "\"2024-01-03 00:00:00\" (asset AAA) in {}",
                                         mixed.string(), mixed.string())));
  EXPECT_THAT(err, HasSubstr("Write every timestamp with its UTC offset (or all in UTC)"));
  // Declared UTC: the same bars as kBar1..3.
  const auto plain = write("plain.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  EXPECT_EQ(run_ok(config(mixed, "data_quality: {mixed_time_zones: naive_is_utc}\n"), "mixed"),
            run_ok(config(plain), "plain"));
}

TEST_F(BadInputs, MemoryLimitTooLowToReadACsv) {
  // DuckDB's CSV reader wants a ~30 MB buffer: under 16 MB it cannot start. The error must
  // name our setting, not DuckDB's list of SQL SETs.
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const auto err = run_fails(config(prices, "resources: {memory_limit: 16MB}\n"), 1);
  EXPECT_THAT(err, HasSubstr("Out of Memory Error: could not allocate block"));
  EXPECT_THAT(err, HasSubstr("; raise the memory limit (resources.memory_limit in the config, or --set "
                             "resources.memory_limit=4GB on run/validate/events, --memory-limit on inspect/optimize) "
                             "or leave it unset"));
  EXPECT_THAT(err, Not(HasSubstr("Possible solutions")));
  EXPECT_EQ(err.find('\n'), err.size() - 1) << "one line: " << err;
}

TEST_F(BadInputs, FarFutureDate) {
  // Stamps are int64 nanoseconds: 2262-04-11 is the last day they can hold. Both the
  // signal-timing query and the feed itself (validation off) must say so.
  const auto file = write("future.csv", std::string(kHeader) + kBar1 + kBar2 + "9999-12-31 00:00:00,AAA,10.8,12,10,11,100\n");
  for (const std::string extra : {"", "signal_timing: {validate: false}\n"}) {
    SCOPED_TRACE(extra);
    const auto err = run_fails(config(file, extra), 1);
    EXPECT_THAT(err, HasSubstr(fmt::format("a timestamp in column \"timestamp\" of {}", file.string())));
    EXPECT_THAT(err, HasSubstr("is outside the range nanosecond timestamps can hold (1677-09-21 .. 2262-04-11); fix "
                               "the date (placeholders such as 9999-12-31 are a common cause) or remove the row"));
  }
}

TEST_F(BadInputs, FarFutureDateInParquet) {
  // Regression for a parquet_feed_fuzzer finding (fuzz/corpus/parquet_feed_fuzzer/
  // regress_timestamp_overflow.parquet): a microsecond stamp beyond 2262 in a Parquet file.
  const fs::path file = dir_ / "overflow.parquet";
  fs::copy_file(testing::source_dir() / "fuzz/corpus/parquet_feed_fuzzer/regress_timestamp_overflow.parquet", file);
  for (const std::string extra : {"", "signal_timing: {validate: false}\n"}) {
    SCOPED_TRACE(extra);
    const auto cfg = config(file, extra);
    const auto err = run_fails(cfg, 1);
    EXPECT_THAT(err, HasSubstr(fmt::format("a timestamp in column \"timestamp\" of {}", file.string())));
    EXPECT_THAT(err, HasSubstr("is outside the range nanosecond timestamps can hold (1677-09-21 .. 2262-04-11)"));
    // validate streams no bars; only its signal-timing report reads every stamp.
    EXPECT_EQ(cli(dir_, "validate " + cfg.string()).code, extra.empty() ? 1 : 0);
  }
}

TEST_F(BadInputs, SignalsForUnknownAsset) {
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const auto sig = write("s.csv", "timestamp,asset_id,ml_pred\n2024-01-02 00:00:00,AAA,0.7\n2024-01-03 00:00:00,ZZZ,0.4\n");
  const auto err = run_fails(config(prices, "", sig.string()), 1);
  EXPECT_THAT(err, HasSubstr("signals/features: asset ZZZ has values (first stamped 2024-01-03T00:00:00Z) but no price "
                             "bars; check the asset names or the asset filter"));
}

TEST_F(BadInputs, SignalsWithDuplicateStamps) {
  // Not silent: a warning by default (the last row wins), an error with fail_on_violation.
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const auto sig = write("s.csv", "timestamp,asset_id,ml_pred\n2024-01-02 00:00:00,AAA,0.7\n2024-01-02 00:00:00,AAA,0.4\n");
  const auto warned = cli(dir_, fmt::format("run {} --out {}/w", config(prices, "", sig.string()).string(), dir_.string()));
  EXPECT_EQ(warned.code, 0) << warned.err;
  EXPECT_THAT(warned.err, HasSubstr("warning: signal timing report: 1 problem(s); first: asset AAA: more than one signal "
                                    "stamped 2024-01-02T00:00:00Z (the last row wins)"));
  const auto cfg = config(prices, "signal_timing: {fail_on_violation: true}\n", sig.string());
  const auto err = run_fails(cfg, 1);
  EXPECT_THAT(err, HasSubstr(fmt::format("1 violation(s) in {} against {}", sig.string(), prices.string())));
  EXPECT_THAT(err, HasSubstr("asset AAA: more than one signal stamped 2024-01-02T00:00:00Z"));
  EXPECT_THAT(err, HasSubstr("Fix: stamp each signal with the time of the bar it was computed from (or later), remove "
                             "duplicates"));
  const auto v = cli(dir_, "validate " + cfg.string());
  EXPECT_EQ(v.code, 1);
  EXPECT_THAT(v.err, HasSubstr("signal_timing.fail_on_violation is true"));
}

TEST_F(BadInputs, EmptyUniverseAfterFilters) {
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  for (const std::string extra : {"universe: {assets: [QQQ]}\n", "universe: {start: 2030-01-01}\n"}) {
    SCOPED_TRACE(extra);
    const auto err = run_fails(config(prices, extra), 1);
    EXPECT_THAT(err, HasSubstr("no price bars are left after the universe filters"));
    EXPECT_THAT(err, HasSubstr(prices.string()));
    EXPECT_THAT(err, HasSubstr("universe.assets"));
  }
}

TEST_F(BadInputs, ConfigTyposWrongTypesAndUndefinedVariables) {
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  struct Case {
    std::string extra;
    const char* says;
  };
  for (const Case& c : {Case{"executoin: {initial_capital: 5}\n", "executoin: unknown key; did you mean \"execution\"?"},
                        Case{"execution: {initial_capital: [1, 2]}\n",
                             "execution.initial_capital: expected a number, got a list"},
                        Case{"resources: {memory_limit: lots}\n",
                             "resources.memory_limit: \"lots\" is not a size; write e.g. 512MB or 4GB"},
                        Case{"output:\n  dir: ${ML4T_SURELY_UNDEFINED}/x\n",
                             "output.dir: environment variable ML4T_SURELY_UNDEFINED is not defined; export "
                             "ML4T_SURELY_UNDEFINED=... or write ${ML4T_SURELY_UNDEFINED:-default}"}}) {
    SCOPED_TRACE(c.extra);
    const auto cfg = config(prices, c.extra);
    const auto err = run_fails(cfg, 2);
    EXPECT_THAT(err, HasSubstr(fmt::format("error: invalid configuration {} (1 problem):", cfg.string())));
    EXPECT_THAT(err, HasSubstr(c.says));
    const auto v = cli(dir_, "validate " + cfg.string());
    EXPECT_EQ(v.code, 2);
    EXPECT_THAT(v.err, HasSubstr(c.says));
  }
}

TEST_F(BadInputs, ConfigThatIsADirectoryOrBinary) {
  fs::create_directories(dir_ / "cfgdir.yaml");
  auto err = run_fails(dir_ / "cfgdir.yaml", 2);
  EXPECT_THAT(err, HasSubstr(fmt::format("config file {} is a directory", (dir_ / "cfgdir.yaml").string())));
  std::string binary = "\x7f" "ELF\x02\x01\x01";
  for (int i = 0; i < 64; ++i) binary += static_cast<char>((i * 37) & 0xff);
  const auto bin = write("bin.yaml", binary);
  err = run_fails(bin, 2);
  EXPECT_THAT(err, HasSubstr(fmt::format("config file {} is binary, not YAML or JSON text", bin.string())));
  EXPECT_EQ(cli(dir_, "validate " + bin.string()).code, 2);
}

TEST_F(BadInputs, UnwritableOutputLocation) {
  // Tests run as root, so a read-only mode would not stop the write: a path below a
  // regular file cannot be created by anyone.
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const auto cfg = config(prices);
  write("afile", "x");
  const auto r = cli(dir_, fmt::format("run {} --out {}/afile/out --quiet", cfg.string(), dir_.string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr(fmt::format("error: cannot create output folder {0}/afile/out: {0}/afile is not a "
                                           "folder; choose a writable --out",
                                           dir_.string())));
  EXPECT_EQ(slurp(dir_ / "afile"), "x");
}

TEST_F(BadInputs, FullOutputLocation) {
  // RLIMIT_FSIZE of one 1 KiB block stands in for a full disk: writes fail with EFBIG.
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const auto err = run_fails(config(prices), 1, "ulimit -f 1;");
  EXPECT_THAT(err, HasSubstr(fmt::format("error: writing results into {} failed, nothing was written",
                                         (dir_ / "out").string())));
  EXPECT_THAT(err, HasSubstr("File too large"));
}

TEST_F(BadInputs, ExistingOutputFolder) {
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  const auto cfg = config(prices);
  fs::create_directories(dir_ / "o");
  write("o/summary.json", "earlier");
  const auto r = cli(dir_, fmt::format("run {} --out {}/o --quiet", cfg.string(), dir_.string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(fmt::format("error: output folder {}/o is not empty; pass --overwrite", dir_.string())));
  EXPECT_EQ(slurp(dir_ / "o/summary.json"), "earlier");
  EXPECT_EQ(fs::directory_iterator(dir_ / "o")->path().filename(), "summary.json");
}

TEST_F(BadInputs, ParquetColumnOfTheWrongType) {
  // close stored as text in a Parquet file.
  const fs::path file = dir_ / "typed.parquet";
  {
    duck::Database db;
    duck::Connection con(db);
    con.execute(fmt::format(
        "COPY (SELECT TIMESTAMP '2024-01-02' + INTERVAL (i) DAY AS timestamp, 'AAA' AS asset_id, 10.0 AS open, "
        "11.0 AS high, 9.0 AS low, '10.5' AS close, 100.0 AS volume FROM range(3) t(i)) TO {} (FORMAT parquet)",
        duck::quote_literal(file.string())));
  }
  const auto cfg = config(file);
  const auto err = run_fails(cfg, 1);
  EXPECT_THAT(err, HasSubstr(fmt::format("prices: column \"close\" of {} has type VARCHAR; expected a number. Fix the "
                                         "file or map another column",
                                         file.string())));
  EXPECT_EQ(cli(dir_, "validate " + cfg.string()).code, 1);
}

TEST_F(BadInputs, MissingSignalColumn) {
  const auto prices = write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3);
  // The config lists a confidence column the signals file does not have.
  const auto sig = write("s.csv", "timestamp,asset_id,ml_pred\n2024-01-02 00:00:00,AAA,0.7\n");
  const auto cfg2 = write("cfg2.yaml", fmt::format("data_sources:\n  prices: {}\n  signals: {{path: {}, columns: "
                                                   "[ml_pred, confidence]}}\n",
                                                   prices.string(), sig.string()));
  const auto err = run_fails(cfg2, 1);
  EXPECT_THAT(err, HasSubstr(sig.string()));
  EXPECT_THAT(err, HasSubstr("\"confidence\""));
  EXPECT_EQ(cli(dir_, "validate " + cfg2.string()).code, 1);
}

// Runs `run <cfg> --out <out>` inside a private mount namespace after `setup` (shell
// commands, e.g. a mount that needs no privileges outside the namespace), then lists
// everything left below `out`'s parent into listing.txt. nullopt when this machine does not
// allow mount namespaces.
std::optional<CliRun> run_in_mount_namespace(const fs::path& dir, const std::string& setup, const fs::path& cfg,
                                             const fs::path& out) {
  const std::string unshare = ::geteuid() == 0 ? "unshare -m" : "unshare -rm";
  if (std::system(fmt::format("{} true >/dev/null 2>&1", unshare).c_str()) != 0) return std::nullopt;
  std::ofstream(dir / "ns.sh") << fmt::format(
      "{setup} || exit 99\n"
      "{cli} run {cfg} --out {out} --quiet\n"
      "rc=$?\n"
      "find {parent} -mindepth 1 | sort >{dir}/listing.txt 2>&1\n"
      "exit $rc\n",
      fmt::arg("setup", setup), fmt::arg("cli", ML4T_CLI), fmt::arg("cfg", cfg.string()),
      fmt::arg("out", out.string()), fmt::arg("parent", out.parent_path().string()), fmt::arg("dir", dir.string()));
  auto r = testing::run_captured(dir, fmt::format("{} sh {}/ns.sh", unshare, dir.string()));
  if (r.code == 99) return std::nullopt;
  return r;
}

TEST_F(BadInputs, ReadOnlyOutputLocation) {
  // A read-only bind mount stops even root; found before the backtest runs.
  const auto cfg = config(write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3));
  const fs::path ro = dir_ / "ro";
  fs::create_directories(ro);
  const auto r = run_in_mount_namespace(
      dir_, fmt::format("mount --bind {0} {0} && mount -o remount,ro,bind {0}", ro.string()), cfg, ro / "out");
  if (!r) GTEST_SKIP() << "mount namespaces are not allowed here";
  EXPECT_EQ(r->code, 1) << r->err;
  EXPECT_EQ(r->err, fmt::format("error: cannot write results into {}/out: {} is not writable (Read-only file system); "
                                "choose a writable --out (or output.dir), or fix the folder's permissions\n",
                                ro.string(), ro.string()));
  EXPECT_EQ(slurp(dir_ / "listing.txt"), "");
}

TEST_F(BadInputs, FolderWithoutWritePermission) {
  // Root ignores permission bits, so as root the run drops to user nobody (setpriv).
  const auto cfg = config(write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3));
  const fs::path locked = dir_ / "locked";
  fs::create_directories(locked);
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  std::string as_user;
  if (::geteuid() == 0) {
    if (std::system("command -v setpriv >/dev/null 2>&1") != 0) GTEST_SKIP() << "running as root without setpriv";
    as_user = "setpriv --reuid=65534 --regid=65534 --clear-groups";
  }
  for (const fs::path& out : {locked, locked / "sub"}) {
    SCOPED_TRACE(out.string());
    const auto r = testing::run_captured(
        dir_, fmt::format("{} {} run {} --out {} --quiet", as_user, ML4T_CLI, cfg.string(), out.string()));
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_EQ(r.err, fmt::format("error: cannot write results into {}: {} is not writable (Permission denied); "
                                 "choose a writable --out (or output.dir), or fix the folder's permissions\n",
                                 out.string(), locked.string()));
    EXPECT_TRUE(fs::is_empty(locked));
  }
}

TEST_F(BadInputs, FullDisk) {
  // A 8 KiB tmpfs fills up while the results are written: nothing is left behind.
  const auto cfg = config(write("p.csv", std::string(kHeader) + kBar1 + kBar2 + kBar3));
  const fs::path full = dir_ / "full";
  fs::create_directories(full);
  const auto r =
      run_in_mount_namespace(dir_, fmt::format("mount -t tmpfs -o size=8k tmpfs {}", full.string()), cfg, full / "out");
  if (!r) GTEST_SKIP() << "mount namespaces are not allowed here (FullOutputLocation covers a file-size limit)";
  EXPECT_EQ(r->code, 1) << r->err;
  expect_one_paragraph(r->err);
  EXPECT_THAT(r->err, HasSubstr(fmt::format("error: writing results into {}/out failed, nothing was written",
                                            full.string())));
  EXPECT_THAT(r->err, HasSubstr("No space left on device"));
  EXPECT_EQ(slurp(dir_ / "listing.txt"), (full / "out").string() + "\n");  // the empty folder it created
  EXPECT_EQ(r->out, "");
}

}  // namespace
}  // namespace ml4t::backtest
