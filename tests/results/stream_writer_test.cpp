// Streamed results (ResultStreamWriter as the engine's sink) against the in-memory path:
// the same files byte for byte on the sample configs and a high-turnover minute run,
// whatever the batch size; memory bounded by the batches (checked by counting, not by
// timing); a failed or abandoned run leaves nothing and keeps earlier results; and the
// row-by-row metrics and chart reduction against independent computations.
#include "ml4t/backtest/results/stream_writer.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "ml4t/backtest/results/metrics.hpp"
#include "ml4t/backtest/results/report.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

int64_t count_rows(const fs::path& parquet) {
  duck::Database db;
  duck::Connection con(db);
  auto r = con.query(fmt::format("SELECT count(*)::BIGINT FROM read_parquet({})", duck::quote_literal(parquet.string())));
  return r.fetch().data<int64_t>(0)[0];
}

// A sample dataset, generated once per test process (renamed into place: ctest runs
// tests in parallel processes).
fs::path sample_data(const std::string& name, int symbols, int days, BarFrequency freq) {
  const fs::path data = fs::path(ML4T_TEST_TMP) / ("StreamWriter." + name);
  if (!fs::exists(data)) {
    const fs::path tmp = data.string() + fmt::format(".tmp{}", ::getpid());
    SampleDataOptions o;
    o.out_dir = tmp;
    o.symbols = symbols;
    o.days = days;
    o.frequency = freq;
    o.threads = 1;
    generate_sample_data(o);
    std::error_code ec;
    fs::rename(tmp, data, ec);
    fs::remove_all(tmp, ec);
  }
  return data;
}

WriteOptions every_file() {
  WriteOptions o;
  o.parquet = true;
  o.csv = true;
  o.report = true;
  return o;
}

// The config's run kept in memory and written by write_results (the Python/API path).
void write_in_memory(const BacktestConfig& config, const fs::path& out) {
  BacktestRun run = run_backtest(config);
  run.info.version = "test";
  run.info.elapsed_seconds = 0;
  run.results.elapsed_seconds = 0;  // 0 in both: the files must not differ by timing
  write_results(run.results, out, every_file(), run.info);
}

// The same run streamed (the CLI's path). Returns the writer's stats.
StreamStats write_streamed(const BacktestConfig& config, const fs::path& out, size_t batch_rows) {
  StreamOptions stream = to_stream_options(config);
  stream.batch_rows = batch_rows;
  ResultStreamWriter writer(out, every_file(), stream);
  RunHooks hooks;
  hooks.stream = &writer;
  BacktestRun run = run_backtest(config, hooks);
  EXPECT_TRUE(run.results.fills.empty());  // the rows went to the files, not to memory
  EXPECT_TRUE(run.results.orders.empty());
  EXPECT_TRUE(run.results.equity_curve.empty());
  run.info.version = "test";
  run.info.elapsed_seconds = 0;
  run.results.elapsed_seconds = 0;  // 0 in both: the files must not differ by timing
  writer.finish(run.results, run.info);
  return writer.stats();
}

void expect_same_files(const fs::path& a, const fs::path& b, const std::string& except = "") {
  ASSERT_EQ(entries(a), entries(b));
  EXPECT_EQ(entries(a).size(), 12u);  // summary, report, 5 tables x 2 formats
  for (const auto& name : entries(a)) {
    if (name == except) continue;
    EXPECT_TRUE(slurp(a / name) == slurp(b / name)) << name << " differs";
  }
}

TEST(StreamWriter, SampleConfigsWriteTheSameFilesAsTheInMemoryPath) {
  const fs::path data = sample_data("sample", 5, 60, BarFrequency::kDaily);
  ::setenv("ML4T_DATA", data.c_str(), 1);
  const fs::path dir = testing::scratch_dir();
  for (const char* example : {"single_asset_ml", "multi_asset_context", "top_k_cross_sectional"}) {
    SCOPED_TRACE(example);
    const auto config =
        BacktestConfig::from_yaml(testing::source_dir() / "examples" / (std::string(example) + ".yaml"));
    write_in_memory(config, dir / example / "memory");
    write_streamed(config, dir / example / "streamed", 7);  // tiny batches: many hand-overs
    expect_same_files(dir / example / "memory", dir / example / "streamed");
  }
  ::unsetenv("ML4T_DATA");
}

// 20 assets x 5 days of minute bars traded hard: thousands of fills, several batches.
BacktestConfig high_turnover(const fs::path& dir) {
  const fs::path data = sample_data("minute", 20, 5, BarFrequency::kMinute);
  std::ofstream(dir / "cfg.yaml") << fmt::format(
      "data_sources:\n  prices: {0}/prices.parquet\n  signals: {0}/signals.parquet\n"
      "execution: {{commission: {{type: per_share, rate: 0.005, minimum: 1.0}}, slippage: {{type: percentage, "
      "rate: 0.0005}}}}\n"
      "risk_rules: {{stop_loss: 0.02}}\n"
      "strategy: {{type: signal_threshold, signal: ml_pred, entry: 0.7, exit: 0.3, size_pct: 0.002}}\n",
      data.string());
  return BacktestConfig::from_yaml(dir / "cfg.yaml");
}

TEST(StreamWriter, HighTurnoverRunIsTheSameWhateverTheBatchSize) {
  const fs::path dir = testing::scratch_dir();
  const BacktestConfig config = high_turnover(dir);
  write_in_memory(config, dir / "memory");
  const StreamStats small = write_streamed(config, dir / "small", 100);
  write_streamed(config, dir / "default", StreamOptions{}.batch_rows);
  BacktestConfig one_thread = config;  // DuckDB reading on one thread: the same bytes
  one_thread.resources.threads = 1;
  write_streamed(one_thread, dir / "one-thread", StreamOptions{}.batch_rows);
  expect_same_files(dir / "memory", dir / "small");
  expect_same_files(dir / "memory", dir / "default");
  expect_same_files(dir / "memory", dir / "one-thread", "summary.json");  // its config differs
  const int64_t fills = count_rows(dir / "memory" / "fills.parquet");
  EXPECT_GT(fills, 2000);  // enough rows for many batches of 100
  EXPECT_EQ(small.rows_written, small.rows_pushed);
}

TEST(StreamWriter, BuffersAtMostTheQueuedBatches) {
  const fs::path dir = testing::scratch_dir();
  StreamOptions stream;
  stream.batch_rows = 100;
  stream.queue_depth = 2;
  const uint64_t rows = 200'000;
  std::vector<std::string> names = {"AAA", "BBB"};
  {
    ResultStreamWriter writer(dir / "out", every_file(), stream);
    writer.set_symbols(&names);
    for (uint64_t i = 0; i < rows; ++i) {
      Fill f;
      f.order_id = i + 1;
      f.timestamp = Timestamp::from_civil(2024, 1, 2) + std::chrono::seconds(static_cast<int64_t>(i));
      f.asset = static_cast<AssetId>(i % 2);
      f.quantity = 1;
      f.price = 100 + static_cast<double>(i % 7);
      writer.fill(f);
    }
    Results scalars;
    scalars.symbols = names;
    writer.finish(scalars, RunInfo{});
    const StreamStats s = writer.stats();
    // Two files (Parquet + CSV), each: its queue (2 batches), the batch DuckDB is reading
    // and the one being handed over.
    EXPECT_LE(s.peak_buffered_rows, 2u * (2 + 2) * 100);
    EXPECT_GE(s.peak_buffered_rows, 100u);
    EXPECT_EQ(s.rows_pushed, 2 * rows);
    EXPECT_EQ(s.rows_written, 2 * rows);
  }
  EXPECT_EQ(count_rows(dir / "out" / "fills.parquet"), static_cast<int64_t>(rows));
  EXPECT_EQ(count_rows(dir / "out" / "equity.parquet"), 0);
}

TEST(StreamWriter, AnAbandonedRunLeavesNothingAndKeepsEarlierResults) {
  const fs::path dir = testing::scratch_dir();
  // A folder the writer created: gone again.
  {
    ResultStreamWriter writer(dir / "new", every_file());
    writer.equity({Timestamp::from_civil(2024, 1, 2), 100, 0, 100, 0});
  }
  EXPECT_FALSE(fs::exists(dir / "new"));
  // Earlier results, replaced only by a finished run: intact, and no staging or lock.
  fs::create_directories(dir / "old");
  std::ofstream(dir / "old" / "summary.json") << "earlier run";
  WriteOptions o = every_file();
  o.overwrite = true;
  {
    ResultStreamWriter writer(dir / "old", o);
    for (int i = 0; i < 50'000; ++i) writer.fill(Fill{});
  }
  EXPECT_EQ(entries(dir / "old"), std::vector<std::string>{"summary.json"});
  EXPECT_EQ(slurp(dir / "old" / "summary.json"), "earlier run");
}

TEST(StreamWriter, AFailedRunLeavesNothingBehind) {
  const fs::path dir = testing::scratch_dir();
  const BacktestConfig config = high_turnover(dir);
  fs::create_directories(dir / "out");
  std::ofstream(dir / "out" / "summary.json") << "earlier run";
  WriteOptions o = every_file();
  o.overwrite = true;
  std::atomic<bool> cancel{false};
  {
    StreamOptions small;
    small.batch_rows = 50;  // batches handed to the writer threads before the interruption
    ResultStreamWriter writer(dir / "out", o, small);
    RunHooks hooks;
    hooks.stream = &writer;
    hooks.cancel = &cancel;
    hooks.progress_every = 1000;
    hooks.progress = [&](uint64_t events, Timestamp) {
      if (events >= 20'000) cancel = true;  // interrupted half way, rows already streamed
    };
    EXPECT_THROW(run_backtest(config, hooks), Interrupted);
    EXPECT_GT(writer.stats().rows_pushed, 0u);
  }
  EXPECT_EQ(entries(dir / "out"), std::vector<std::string>{"summary.json"});
  EXPECT_EQ(slurp(dir / "out" / "summary.json"), "earlier run");
}

TEST(StreamWriter, AWriterFailureStopsTheRunWithTheCause) {
  const fs::path dir = testing::scratch_dir();
  ResultStreamWriter writer(dir / "out", every_file());
  OrderRecord bad;
  bad.id = 7;
  bad.reason = "\xff\xfe";  // not UTF-8
  writer.order(bad);
  try {
    writer.finish(Results{}, RunInfo{});
    FAIL() << "finish succeeded";
  } catch (const OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("order 7: reason"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nothing was written"), std::string::npos) << e.what();
  }
  // A name that is not UTF-8 is refused when it is first used.
  std::vector<std::string> names = {"\xc3\x28"};
  ResultStreamWriter second(dir / "out2", every_file());
  EXPECT_THROW(second.set_symbols(&names), DataError);
}

TEST(MetricsAccumulator, DetectsTheFrequencyAsTheMedianSpacingDoes) {
  // Irregular spacings (minutes, hours, days, a repeat): the factor of the median
  // spacing, worked out with nth_element by detect_periods_per_year.
  const Timestamp t0 = Timestamp::from_civil(2024, 1, 2);
  const int64_t minutes[] = {1, 1, 60, 5, 1440, 0, 30, 1, 10080, 60, 60, 240, 2, 2, 1, 43200, 15};
  for (size_t n = 2; n <= std::size(minutes) + 1; ++n) {
    std::vector<EquityPoint> curve;
    Timestamp t = t0;
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) t = t + std::chrono::minutes(minutes[i - 1]);
      curve.push_back({t, 100, 0, 100 + static_cast<double>(i % 3), 0});
    }
    MetricsAccumulator acc;
    for (const auto& p : curve) acc.add(p);
    EXPECT_EQ(acc.metrics().periods_per_year, detect_periods_per_year(curve)) << n << " points";
  }
}

TEST(SeriesSketch, KeepsEachBucketsFirstMinimumAndMaximum) {
  for (const size_t n : {5ul, 1000ul, 1001ul, 2500ul, 100'000ul}) {
    SCOPED_TRACE(n);
    std::vector<double> values(n);
    for (size_t i = 0; i < n; ++i) values[i] = std::round(100 * std::sin(static_cast<double>(i) * 0.37));  // ties
    SeriesSketch sketch;
    for (const double v : values) sketch.add(v);
    // Independently: the smallest power-of-two width giving at most 2 x kBuckets buckets.
    size_t width = 1;
    while ((n + width - 1) / width > 2 * SeriesSketch::kBuckets) width *= 2;
    std::vector<std::pair<size_t, double>> expected;
    for (size_t lo = 0; lo < n; lo += width) {
      const size_t hi = std::min(n, lo + width);
      size_t imin = lo, imax = lo;
      for (size_t i = lo; i < hi; ++i) {
        if (values[i] < values[imin]) imin = i;
        if (values[i] > values[imax]) imax = i;
      }
      expected.emplace_back(std::min(imin, imax), values[std::min(imin, imax)]);
      if (imin != imax) expected.emplace_back(std::max(imin, imax), values[std::max(imin, imax)]);
    }
    EXPECT_EQ(sketch.points(), expected);
    EXPECT_LE(sketch.points().size(), 4 * SeriesSketch::kBuckets);
    EXPECT_EQ(sketch.min(), *std::min_element(values.begin(), values.end()));
    EXPECT_EQ(sketch.max(), *std::max_element(values.begin(), values.end()));
  }
}

}  // namespace
}  // namespace ml4t::backtest
