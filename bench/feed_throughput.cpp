// ColumnarDataFeed against a bare DuckDB streaming scan of the same columns (prices
// OHLCV + signals ml_pred/confidence) on the generated sample data. Not a unit test:
//   ml4t_feed_throughput DIR feed|feed-validate|bare [threads] [auto|sorted|sort]
// (feed-validate: the feed with the signal-timing check on, SignalTiming::validate).
// Prints construction time (first in the process and again), first-group latency,
// total time and events/s; run it under /usr/bin/time -v for the peak RSS.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace {

using ml4t::backtest::ColumnarDataFeed;
using ml4t::backtest::ColumnarFeedOptions;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

ColumnarFeedOptions options(const std::string& dir, int threads, const std::string& order, bool validate) {
  ColumnarFeedOptions o;
  o.timing.validate = validate;
  o.prices = dir + "/prices.parquet";
  o.signals = ml4t::backtest::DataSource(dir + "/signals.parquet");
  o.threads = threads;
  if (order == "sorted") o.order = ml4t::backtest::OrderCheck::kAssumeSorted;
  if (order == "sort") o.order = ml4t::backtest::OrderCheck::kSort;
  return o;
}

int run_feed(const std::string& dir, int threads, const std::string& order, bool validate) {
  const auto t0 = Clock::now();
  ColumnarDataFeed feed(options(dir, threads, order, validate));
  const auto t1 = Clock::now();
  { ColumnarDataFeed again(options(dir, threads, order, validate)); }
  const auto t1b = Clock::now();
  auto group = feed.next_group();
  const auto t2 = Clock::now();
  const auto pred = feed.schema().signal_id("ml_pred");
  const auto conf = feed.schema().signal_id("confidence");
  double checksum = 0;
  uint64_t events = 0;
  while (group.valid()) {
    const auto& b = group.batch();
    for (uint32_t r = group.row_begin(); r < group.row_end(); ++r) {
      checksum += b.open()[r] + b.high()[r] + b.low()[r] + b.close()[r] + b.volume()[r];
      const double p = b.signal_column(pred)[r];
      if (p == p) checksum += p + b.signal_column(conf)[r];
    }
    events += group.size();
    group = feed.next_group();
  }
  const auto t3 = Clock::now();
  const double iterate = seconds(t1b, t3);
  std::printf(
      "feed%s (%s): construct %.1f ms (again %.1f ms), first group %.1f ms, iterate %.3f s, %llu events, %.2f M "
      "events/s, sorted_by_duckdb=%d, checksum %.9g\n",
      validate ? "+validate" : "", order.c_str(), seconds(t0, t1) * 1e3, seconds(t1, t1b) * 1e3, seconds(t1b, t2) * 1e3, iterate,
      static_cast<unsigned long long>(events), static_cast<double>(events) / iterate / 1e6, feed.sorted_by_duckdb(),
      checksum);
  return 0;
}

int run_bare(const std::string& dir, int threads) {
  namespace duck = ml4t::backtest::duck;
  const auto t0 = Clock::now();
  duck::DatabaseOptions db_options;
  db_options.threads = threads;
  duck::Database db(db_options);
  duck::Connection con(db);
  double checksum = 0;
  uint64_t rows = 0;
  auto prices =
      con.stream("SELECT timestamp, asset_id, open, high, low, close, volume FROM '" + dir + "/prices.parquet'");
  while (auto c = prices.fetch()) {
    const auto* ts = c.data<int64_t>(0);
    const auto names = c.strings(1);
    const auto *o = c.data<double>(2), *h = c.data<double>(3), *l = c.data<double>(4), *cl = c.data<double>(5);
    const auto* v = c.data<int64_t>(6);
    for (size_t r = 0; r < c.size(); ++r) {
      checksum += o[r] + h[r] + l[r] + cl[r] + static_cast<double>(v[r]) + static_cast<double>(ts[r] & 1) +
                  static_cast<double>(names[r].size());
    }
    rows += c.size();
  }
  auto signals = con.stream("SELECT timestamp, asset_id, ml_pred, confidence FROM '" + dir + "/signals.parquet'");
  while (auto c = signals.fetch()) {
    const auto* ts = c.data<int64_t>(0);
    const auto names = c.strings(1);
    const auto *p = c.data<double>(2), *q = c.data<double>(3);
    for (size_t r = 0; r < c.size(); ++r) {
      checksum += p[r] + q[r] + static_cast<double>(ts[r] & 1) + static_cast<double>(names[r].size());
    }
  }
  const double total = seconds(t0, Clock::now());
  std::printf("bare: total %.3f s, %llu price rows, %.2f M rows/s, checksum %.9g\n", total,
              static_cast<unsigned long long>(rows), static_cast<double>(rows) / total / 1e6, checksum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DIR feed|feed-validate|bare [threads] [auto|sorted|sort]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1], mode = argv[2];
  const int threads = argc > 3 ? std::atoi(argv[3]) : 0;
  const std::string order = argc > 4 ? argv[4] : "auto";
  if (mode == "feed" || mode == "feed-validate") return run_feed(dir, threads, order, mode == "feed-validate");
  return run_bare(dir, threads);
}
