// Resource bounds: a DuckDB memory_limit far below the data's size still runs, because
// the sort of an unsorted file spills to temp_directory; the events that come out are
// complete, in order and carry the right values.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kRows = 1'000'000;
constexpr int64_t kAssets = 500;  // 2000 one-minute timestamps x 500 assets
constexpr int64_t kBase = 1704067200LL * 1'000'000'000;  // 2024-01-01T00:00:00Z

// Row i is asset A<i % 500> at minute i / 500 with close 100 + (i % 97): the test can
// recompute every event's close from its (timestamp, asset) alone.
fs::path write_shuffled_prices(const fs::path& dir) {
  const fs::path file = dir / "shuffled.parquet";
  duck::Database db(duck::DatabaseOptions{"", "", 2});
  duck::Connection con(db);
  con.execute(fmt::format(
      "COPY (SELECT make_timestamp({base} // 1000 + (i // {n}) * 60000000) AS timestamp, 'A' || (i % {n}) AS asset_id,"
      " 100.0 + (i % 97) AS open, 101.0 + (i % 97) AS high, 99.0 + (i % 97) AS low, 100.0 + (i % 97) AS close,"
      " 1000.0 AS volume FROM range({rows}) t(i) ORDER BY hash(i)) TO {file} (FORMAT parquet, ROW_GROUP_SIZE 100000)",
      fmt::arg("base", kBase), fmt::arg("n", kAssets), fmt::arg("rows", kRows),
      fmt::arg("file", duck::quote_literal(file.string()))));
  return file;
}

TEST(ResourceLimits, UnsortedDataLargerThanTheMemoryLimitSpillsAndRuns) {
  const fs::path dir = testing::scratch_dir();
  const fs::path prices = write_shuffled_prices(dir);
  ColumnarFeedOptions options;
  options.prices = DataSource(prices.string());
  // ~1M rows x (8 B stamp + 16 B symbol + 5 x 8 B values) = 64 MB to sort in 32 MB.
  options.memory_limit = "64MB";
  options.temp_directory = (dir / "spill").string();
  options.threads = 1;
  ColumnarDataFeed feed(options);

  int64_t events = 0, bad_values = 0, out_of_order = 0;
  Timestamp last = Timestamp::from_nanos(0);
  while (auto e = feed.next_event()) {
    const int64_t minute = (e->timestamp().nanos() - kBase) / 60'000'000'000LL;
    const int64_t asset = std::stoll(e->symbol().substr(1));
    const int64_t i = minute * kAssets + asset;
    if (e->close() != 100.0 + static_cast<double>(i % 97)) ++bad_values;
    if (e->timestamp() < last) ++out_of_order;
    last = e->timestamp();
    ++events;
  }
  EXPECT_EQ(events, kRows);
  EXPECT_EQ(bad_values, 0);
  EXPECT_EQ(out_of_order, 0);
  EXPECT_TRUE(feed.sorted_by_duckdb());
  EXPECT_EQ(last.nanos(), kBase + (kRows / kAssets - 1) * 60'000'000'000LL);  // minute 1999
  // DuckDB creates its temp directory only when it spills.
  EXPECT_TRUE(fs::is_directory(dir / "spill"));
}

const auto& slurp = testing::read_file;

// The config's `resources` section reaches DuckDB: the same backtest under a 64 MB
// limit (spilling) and under DuckDB's default gives byte-identical results.
TEST(ResourceLimits, ConfigMemoryLimitRunsTheSameBacktest) {
  const fs::path dir = testing::scratch_dir();
  const fs::path prices = write_shuffled_prices(dir);
  {
    duck::Database db(duck::DatabaseOptions{"", "", 2});
    duck::Connection con(db);
    // One signal per bar, shuffled too: (i % 10) / 10 crosses the 0.6 / 0.5 thresholds.
    con.execute(fmt::format(
        "COPY (SELECT make_timestamp({base} // 1000 + (i // {n}) * 60000000) AS timestamp, 'A' || (i % {n}) AS asset_id,"
        " (i % 10) / 10.0 AS ml_pred FROM range({rows}) t(i) ORDER BY hash(i + 1)) TO {file} (FORMAT parquet)",
        fmt::arg("base", kBase), fmt::arg("n", kAssets), fmt::arg("rows", kRows),
        fmt::arg("file", duck::quote_literal((dir / "signals.parquet").string()))));
  }
  const std::string base = fmt::format(
      "data_sources:\n  prices: {}\n  signals: {}\nsignal_timing: {{validate: false}}\n"
      "strategy: {{type: signal_threshold, entry: 0.6, exit: 0.5, size_pct: 0.01}}\n"
      "output: {{formats: [csv], report: false}}\n",
      prices.string(), (dir / "signals.parquet").string());
  std::ofstream(dir / "limited.yaml") << base << "resources: {memory_limit: 64MB, temp_directory: spill, threads: 1}\n";
  std::ofstream(dir / "default.yaml") << base;
  for (const char* name : {"limited", "default"}) {
    const std::string cmd = fmt::format("{} run {}/{}.yaml --out {}/{} --quiet 2>{}/{}.err", ML4T_CLI, dir.string(),
                                        name, dir.string(), name, dir.string(), name);
    EXPECT_EQ(std::system(cmd.c_str()), 0) << slurp(dir / (std::string(name) + ".err"));
  }
  const std::string equity = slurp(dir / "limited/equity.csv");
  EXPECT_EQ(std::count(equity.begin(), equity.end(), '\n'), 1 + kRows / kAssets);  // header + 2000 stamps
  for (const char* f : {"equity.csv", "trades.csv", "fills.csv", "orders.csv"}) {
    EXPECT_EQ(slurp(dir / "limited" / f), slurp(dir / "default" / f)) << f;
  }
  EXPECT_NE(slurp(dir / "limited/fills.csv").find('\n'), std::string::npos);

  // Proof the limit is applied: 8 MB is too little even with spilling - a clear error
  // (exit 1), no results.
  std::ofstream(dir / "tiny.yaml") << base << "resources: {memory_limit: 8MB, temp_directory: spill, threads: 1}\n";
  const std::string cmd = fmt::format("{} run {}/tiny.yaml --out {}/tiny --quiet 2>{}/tiny.err", ML4T_CLI,
                                      dir.string(), dir.string(), dir.string());
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(slurp(dir / "tiny.err").find("Out of Memory Error"), std::string::npos) << slurp(dir / "tiny.err");
  EXPECT_FALSE(fs::exists(dir / "tiny"));
}

}  // namespace
}  // namespace ml4t::backtest
