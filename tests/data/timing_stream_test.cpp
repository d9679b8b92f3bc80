// The signal-timing check inside the feed's merge: exact counts and messages for each
// kind of violation, and the same report as the SQL report it replaced (an ASOF join,
// tests/data/timing_sql_oracle.hpp) on hand-built and generated data.
#include <gtest/gtest.h>

#include "data/feed_fixtures.hpp"
#include "data/timing_sql_oracle.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/data/feature_provider.hpp"
#include "ml4t/backtest/data/signal_timing.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using testing::copy_to;
using testing::same_report;
using testing::sql_timing_report;
using K = TimingViolation::Kind;

Timestamp at(const char* hhmmss) { return Timestamp::parse(std::string("2024-01-02T") + hhmmss + "Z"); }

SignalTiming lag_of(int lag) {
  SignalTiming t;
  t.mode = SignalTimingMode::kCustom;
  t.lag = lag;
  return t;
}

// Prices from "HH:MM:SS asset" pairs, one bar each (OHLC 1).
std::string bars_sql(const std::string& values) {
  return "SELECT CAST('2024-01-02 ' || t AS TIMESTAMP) AS timestamp, a AS asset_id, 1.0 AS open, 1.0 AS high, "
         "1.0 AS low, 1.0 AS close FROM (VALUES " +
         values + ") x(t, a)";
}
std::string signals_sql(const std::string& values) {
  return "SELECT CAST('2024-01-02 ' || t AS TIMESTAMP) AS timestamp, a AS asset_id, 0.5 AS ml_pred FROM (VALUES " +
         values + ") x(t, a)";
}

struct TimingStream : ::testing::Test {
  void SetUp() override {
    dir = testing::scratch_dir();
    // A: 10:00, 10:01, 10:02; B: 10:00, 10:02.
    copy_to(prices(), bars_sql("('10:00:00', 'A'), ('10:01:00', 'A'), ('10:02:00', 'A'), ('10:00:00', 'B'), "
                               "('10:02:00', 'B')"));
  }
  fs::path prices() const { return dir / "p.parquet"; }
  fs::path signals() const { return dir / "s.parquet"; }
  TimingReport streamed(int lag) const {
    return validate_signal_timing(signals().string(), prices().string(), lag_of(lag), false);
  }
  // The streamed report equals the SQL report under lags 0..3.
  void expect_same_as_sql() const {
    for (int lag = 0; lag <= 3; ++lag) {
      SCOPED_TRACE("lag " + std::to_string(lag));
      EXPECT_TRUE(same_report(streamed(lag), sql_timing_report(signals().string(), prices().string(), lag_of(lag))));
    }
  }
  fs::path dir;
};

TEST_F(TimingStream, NotOnBarCountsEveryRowAndNamesTheBarItIsUsedAt) {
  // A 10:00:30 and 10:00:40 both attach to A's 10:01 bar (index 1); B 10:01 attaches to
  // B's 10:02 (index 1), B's last bar, so with lag 1 it is never used.
  copy_to(signals(), signals_sql("('10:00:00', 'A'), ('10:00:30', 'A'), ('10:00:40', 'A'), ('10:01:00', 'B')"));
  const auto r = streamed(1);
  EXPECT_EQ(r.total, 3u);
  ASSERT_EQ(r.violations.size(), 3u);
  EXPECT_EQ(r.violations[0].kind, K::kNotOnBar);
  EXPECT_EQ(r.violations[0].used_at, at("10:02:00"));
  EXPECT_EQ(r.violations[0].row, 1);
  EXPECT_EQ(r.violations[1].signal_time, at("10:00:40"));
  EXPECT_EQ(r.violations[1].row, 2);
  EXPECT_EQ(r.violations[2].message,
            "asset B: signal stamped 2024-01-02T10:01:00Z is not on a bar of B (never used with lag 1); a join on "
            "exact or rounded-down timestamps would use it too early");
  const auto strict = streamed(0);
  EXPECT_EQ(strict.violations[0].used_at, at("10:01:00"));
  EXPECT_EQ(strict.violations[2].used_at, at("10:02:00"));
  expect_same_as_sql();
}

TEST_F(TimingStream, DuplicatesCountOncePerStampWithTheLastRow) {
  // Three rows of A 10:01 (rows 1..3) are one duplicate, reported with the last row;
  // B 10:00 twice is another. Rows on a bar are no other violation.
  copy_to(signals(), signals_sql("('10:00:00', 'A'), ('10:01:00', 'A'), ('10:01:00', 'A'), ('10:01:00', 'A'), "
                                 "('10:00:00', 'B'), ('10:00:00', 'B')"));
  const auto r = streamed(1);
  EXPECT_EQ(r.total, 2u);
  ASSERT_EQ(r.violations.size(), 2u);
  EXPECT_EQ(r.violations[0].kind, K::kDuplicate);
  EXPECT_EQ(r.violations[0].row, 3);
  EXPECT_EQ(r.violations[0].used_at, at("10:02:00"));
  EXPECT_EQ(r.violations[0].message, "asset A: more than one signal stamped 2024-01-02T10:01:00Z (the last row wins)");
  EXPECT_EQ(r.violations[1].asset, "B");
  EXPECT_EQ(r.violations[1].row, 5);
  EXPECT_EQ(r.violations[1].used_at, at("10:02:00"));
  expect_same_as_sql();
}

TEST_F(TimingStream, DuplicatesOffTheBarsAreAlsoCountedPerRow) {
  // Two rows at A 10:00:30: one duplicate and two not_on_bar rows.
  copy_to(signals(), signals_sql("('10:00:30', 'A'), ('10:00:30', 'A')"));
  const auto r = streamed(1);
  EXPECT_EQ(r.total, 3u);
  ASSERT_EQ(r.violations.size(), 3u);
  EXPECT_EQ(r.violations[0].kind, K::kNotOnBar);
  EXPECT_EQ(r.violations[1].kind, K::kNotOnBar);
  EXPECT_EQ(r.violations[2].kind, K::kDuplicate);
  expect_same_as_sql();
}

TEST_F(TimingStream, AfterTheLastBarIncludingRowsAfterEveryBar) {
  // A 10:02:30 is after A's last bar (10:02); B 10:01:30 is before B's last bar (10:02),
  // so not_on_bar. B 10:03 and A 10:05 come after every bar of the data: they are read
  // at the end of the stream.
  copy_to(signals(), signals_sql("('10:01:30', 'B'), ('10:02:30', 'A'), ('10:03:00', 'B'), ('10:05:00', 'A')"));
  const auto r = streamed(1);
  EXPECT_EQ(r.total, 4u);
  ASSERT_EQ(r.violations.size(), 4u);
  EXPECT_EQ(r.violations[0].kind, K::kAfterLastBar);
  EXPECT_EQ(r.violations[0].message,
            "asset A: signal stamped 2024-01-02T10:02:30Z is after the asset's last bar (never used)");
  EXPECT_FALSE(r.violations[0].used_at);
  EXPECT_EQ(r.violations[1].kind, K::kAfterLastBar);
  EXPECT_EQ(r.violations[1].row, 3);
  EXPECT_EQ(r.violations[2].kind, K::kNotOnBar);
  EXPECT_EQ(r.violations[3].kind, K::kAfterLastBar);
  expect_same_as_sql();
}

TEST_F(TimingStream, UnknownAssetsCountEveryRow) {
  copy_to(signals(), signals_sql("('09:00:00', 'C'), ('10:00:00', 'C'), ('10:09:00', 'C'), ('10:00:00', 'A')"));
  const auto r = streamed(1);
  EXPECT_EQ(r.total, 3u);
  ASSERT_EQ(r.violations.size(), 3u);
  for (const auto& v : r.violations) EXPECT_EQ(v.kind, K::kUnknownAsset);
  EXPECT_EQ(r.violations[0].message, "asset C: signal stamped 2024-01-02T09:00:00Z but the prices have no bars for C");
  EXPECT_EQ(r.violations[2].row, 2);
  expect_same_as_sql();
}

TEST_F(TimingStream, BeforeTheFirstBar) {
  copy_to(signals(), signals_sql("('09:59:00', 'A'), ('09:00:00', 'B'), ('10:00:00', 'B')"));
  const auto r = streamed(1);
  EXPECT_EQ(r.total, 2u);
  ASSERT_EQ(r.violations.size(), 2u);
  EXPECT_EQ(r.violations[0].kind, K::kBeforeFirstBar);
  EXPECT_EQ(r.violations[0].message,
            "asset A: signal stamped 2024-01-02T09:59:00Z is before the asset's first bar (used at the bar "
            "2024-01-02T10:01:00Z)");
  EXPECT_EQ(r.violations[1].used_at, at("10:02:00"));
  expect_same_as_sql();
}

TEST_F(TimingStream, AlignedSignalsAreValid) {
  copy_to(signals(), signals_sql("('10:00:00', 'A'), ('10:02:00', 'A'), ('10:02:00', 'B')"));
  const auto r = streamed(1);
  EXPECT_TRUE(r.is_valid);
  EXPECT_EQ(r.total, 0u);
  EXPECT_TRUE(r.violations.empty());
  expect_same_as_sql();
}

TEST_F(TimingStream, CsvSignalsHaveTheFileButNoRowNumber) {
  testing::write_text(dir / "s.csv",
                      "timestamp,asset_id,ml_pred\n2024-01-02 10:00:30,A,1\n2024-01-02 10:00:00,B,1\n"
                      "2024-01-02 10:00:00,B,2\n");
  const auto r = validate_signal_timing((dir / "s.csv").string(), prices().string(), SignalTiming{}, false);
  ASSERT_EQ(r.total, 2u);
  EXPECT_EQ(r.violations[0].file, (dir / "s.csv").string());
  EXPECT_EQ(r.violations[0].row, -1);
  EXPECT_TRUE(same_report(r, sql_timing_report((dir / "s.csv").string(), prices().string(), SignalTiming{})));
}

TEST_F(TimingStream, SeveralFilesNameTheFileOfEachRow) {
  fs::create_directories(dir / "sig");
  copy_to(dir / "sig" / "a.parquet", signals_sql("('10:00:00', 'A'), ('10:00:30', 'A')"));
  copy_to(dir / "sig" / "b.parquet", signals_sql("('10:01:00', 'A'), ('10:01:30', 'A'), ('10:01:00', 'B')"));
  const std::string glob = (dir / "sig" / "*.parquet").string();
  const auto r = validate_signal_timing(glob, prices().string(), SignalTiming{}, false);
  ASSERT_EQ(r.total, 3u);
  EXPECT_EQ(r.violations[0].file, (dir / "sig" / "a.parquet").string());
  EXPECT_EQ(r.violations[0].row, 1);
  EXPECT_EQ(r.violations[1].file, (dir / "sig" / "b.parquet").string());
  EXPECT_EQ(r.violations[1].row, 1);
  EXPECT_EQ(r.violations[2].asset, "B");
  EXPECT_TRUE(same_report(r, sql_timing_report(glob, prices().string(), SignalTiming{})));
}

TEST_F(TimingStream, UnsortedSignalsAreCheckedOnceEach) {
  // Sorted by DuckDB first (or re-read sorted): no row is seen twice, so no false duplicate.
  copy_to(signals(), signals_sql("('10:02:00', 'A'), ('10:00:30', 'A'), ('10:00:00', 'B'), ('10:01:00', 'A'), "
                                 "('10:00:00', 'A')"));
  const auto r = streamed(1);
  EXPECT_EQ(r.total, 1u);
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].row, 1);
  expect_same_as_sql();
}

TEST_F(TimingStream, TheAssetFilterLimitsBothSides) {
  copy_to(signals(), signals_sql("('10:00:30', 'A'), ('10:00:30', 'B'), ('10:00:00', 'C')"));
  const auto r = validate_signal_timing(signals().string(), prices().string(), SignalTiming{}, false, {"B"});
  ASSERT_EQ(r.total, 1u);
  EXPECT_EQ(r.violations[0].asset, "B");
  EXPECT_TRUE(same_report(r, sql_timing_report(signals().string(), prices().string(), SignalTiming{}, {"B"})));
}

TEST(TimingStreamGenerated, SameAsTheSqlReportOnGeneratedData) {
  // 7 assets with irregular bars (each minute kept with probability ~0.7, asset G never),
  // 2000 signal rows at random seconds (some on bars, some between, some duplicated,
  // some after the end), deterministic (hash of the row number).
  const fs::path dir = testing::scratch_dir();
  copy_to(dir / "p.parquet",
          "SELECT TIMESTAMP '2024-01-02 10:00:00' + to_minutes(m) AS timestamp, a AS asset_id, 1.0 AS open, "
          "1.0 AS high, 1.0 AS low, 1.0 AS close FROM range(0, 120) r(m), (VALUES ('A'), ('B'), ('C'), ('D'), ('E'), "
          "('F')) x(a) WHERE hash(m, a) % 10 < 7 ORDER BY 1, 2");
  copy_to(dir / "s.parquet",
          "SELECT TIMESTAMP '2024-01-02 09:58:00' + to_seconds(CASE WHEN hash(i, 'on') % 2 = 0 THEN "
          "CAST(hash(i) % 126 AS BIGINT) * 60 ELSE CAST(hash(i) % 7560 AS BIGINT) END) AS timestamp, "
          "['A', 'B', 'C', 'D', 'E', 'F', 'G'][1 + CAST(hash(i, 'a') % 7 AS BIGINT)] AS asset_id, i * 0.001 AS ml_pred "
          "FROM range(0, 2000) r(i) ORDER BY 1");
  const DataSource signals((dir / "s.parquet").string());
  const DataSource prices((dir / "p.parquet").string());
  for (int lag : {0, 1, 3}) {
    SCOPED_TRACE("lag " + std::to_string(lag));
    const auto sql = sql_timing_report(signals, prices, lag_of(lag));
    // Every kind occurs, so the comparison covers each.
    for (K kind : {K::kNotOnBar, K::kDuplicate, K::kAfterLastBar, K::kUnknownAsset, K::kBeforeFirstBar}) {
      EXPECT_TRUE(std::any_of(sql.violations.begin(), sql.violations.end(),
                              [&](const TimingViolation& v) { return v.kind == kind; }))
          << to_string(kind);
    }
    EXPECT_TRUE(same_report(validate_signal_timing(signals, prices, lag_of(lag), false), sql));
  }
}

TEST(TimingStreamGenerated, KeepsTheFirstExamplesInAssetOrderAndCountsTheRest) {
  // 100 bars of one asset on whole minutes, 100050 signals at odd seconds over 3 assets:
  // more violations than the report describes.
  const fs::path dir = testing::scratch_dir();
  copy_to(dir / "p.parquet",
          "SELECT TIMESTAMP '2024-01-02 10:00:00' + to_minutes(m) AS timestamp, a AS asset_id, 1.0 AS open, "
          "1.0 AS high, 1.0 AS low, 1.0 AS close FROM range(0, 100) r(m), (VALUES ('X'), ('Y'), ('Z')) v(a) "
          "ORDER BY 1, 2");
  copy_to(dir / "s.parquet",
          "SELECT TIMESTAMP '2024-01-02 10:00:00' + to_microseconds(i * 59000) AS timestamp, "
          "['Z', 'Y', 'X'][1 + i % 3] AS asset_id, 0.5 AS ml_pred FROM range(1, 100051) r(i) ORDER BY 1");
  const DataSource signals((dir / "s.parquet").string());
  const DataSource prices((dir / "p.parquet").string());
  const auto r = validate_signal_timing(signals, prices, SignalTiming{}, false);
  // Every row but one (i = 60000, Z at 10:59:00 exactly) is between two bars.
  EXPECT_EQ(r.violations.size(), detail::kMaxTimingExamples);
  EXPECT_EQ(r.total, 100049u);
  EXPECT_EQ(r.violations.front().asset, "X");
  EXPECT_EQ(r.violations.back().asset, "Z");
  EXPECT_TRUE(same_report(r, sql_timing_report(signals, prices, SignalTiming{})));
}

// ------------------------------------------------------------------ in the feed

struct TimingInTheFeed : TimingStream {
  ColumnarFeedOptions options(bool fail) const {
    ColumnarFeedOptions o;
    o.prices = prices().string();
    o.signals = DataSource(signals().string());
    o.timing.validate = true;
    o.timing.fail_on_violation = fail;
    return o;
  }
};

TEST_F(TimingInTheFeed, AViolationStopsTheEventsAndTheErrorCountsTheWholeFile) {
  // Found while building the second group (10:01); the 10:02 rows are counted too.
  copy_to(signals(), signals_sql("('10:00:00', 'A'), ('10:00:30', 'A'), ('10:01:30', 'A'), ('10:02:00', 'B'), "
                                 "('10:02:00', 'B'), ('10:09:00', 'B')"));
  ColumnarDataFeed feed(options(true));
  ASSERT_TRUE(feed.next_group().valid());  // 10:00
  try {
    feed.next_group();
    FAIL() << "no error";
  } catch (const SignalTimingViolation& e) {
    EXPECT_EQ(std::string(e.what()),
              "signal timing (NEXT_BAR, lag 1 bars): 4 violation(s) in " + signals().string() + " against " +
                  prices().string() +
                  "; first 4:\n"
                  "  - asset A: signal stamped 2024-01-02T10:00:30Z is not on a bar of A (used at the bar "
                  "2024-01-02T10:02:00Z with lag 1); a join on exact or rounded-down timestamps would use it too "
                  "early [" + signals().string() + " row 1]\n"
                  "  - asset A: signal stamped 2024-01-02T10:01:30Z is not on a bar of A (never used with lag 1); a "
                  "join on exact or rounded-down timestamps would use it too early [" + signals().string() +
                  " row 2]\n"
                  "  - asset B: more than one signal stamped 2024-01-02T10:02:00Z (the last row wins) [" +
                  signals().string() + " row 4]\n"
                  "  - asset B: signal stamped 2024-01-02T10:09:00Z is after the asset's last bar (never used) [" +
                  signals().string() + " row 5]\n"
                  "Fix: stamp each signal with the time of the bar it was computed from (or later), remove duplicates "
                  "and rows for unknown assets, or run with validate_signal_timing off to accept them");
  }
  EXPECT_FALSE(feed.next_group().valid());  // nothing more after the error
}

TEST_F(TimingInTheFeed, AViolationKnownOnlyAtTheEndFailsAtTheEnd) {
  copy_to(signals(), signals_sql("('10:00:00', 'A'), ('10:05:00', 'A')"));
  ColumnarDataFeed feed(options(true));
  for (int g = 0; g < 3; ++g) ASSERT_TRUE(feed.next_group().valid());
  EXPECT_THROW(feed.next_group(), SignalTimingViolation);
}

TEST_F(TimingInTheFeed, WithoutFailTheReportComesAtTheEndAndTheEventsAreUnchanged) {
  copy_to(signals(), signals_sql("('10:00:00', 'A'), ('10:00:30', 'A'), ('10:05:00', 'A')"));
  auto o = options(false);
  std::vector<TimingReport> reports;
  o.on_timing_report = [&](const TimingReport& r) { reports.push_back(r); };
  ColumnarDataFeed checked(o);
  const auto events = testing::drain(checked);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].total, 2u);
  o.timing.validate = false;
  ColumnarDataFeed unchecked(o);
  const auto plain = testing::drain(unchecked);
  ASSERT_EQ(events.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(events[i].time, plain[i].time);
    EXPECT_EQ(events[i].symbol, plain[i].symbol);
    EXPECT_TRUE(testing::same(events[i].signals[0], plain[i].signals[0]));
  }
  EXPECT_EQ(reports.size(), 1u);  // validate off: no report
}

TEST_F(TimingInTheFeed, SignalsAndAFeatureFileGetAReportEach) {
  copy_to(signals(), signals_sql("('10:00:30', 'A')"));
  copy_to(dir / "f.parquet", signals_sql("('10:00:00', 'B'), ('10:00:00', 'B'), ('10:01:30', 'B')"));
  auto o = options(false);
  o.feature_provider = std::make_shared<PrecomputedFeatureProvider>([&] {
    DataSource f((dir / "f.parquet").string());
    f.rename = {{"ml_pred", "rsi"}};
    return f;
  }());
  std::vector<TimingReport> reports;
  o.on_timing_report = [&](const TimingReport& r) { reports.push_back(r); };
  ColumnarDataFeed feed(o);
  testing::drain(feed);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].total, 1u);
  EXPECT_EQ(reports[1].total, 2u);
  EXPECT_EQ(reports[1].violations[0].kind, K::kDuplicate);
  EXPECT_EQ(reports[1].violations[1].kind, K::kNotOnBar);
  EXPECT_EQ(reports[1].violations[1].file, (dir / "f.parquet").string());
}

TEST_F(TimingInTheFeed, TheReportDescribesAsManyAsAskedAndCountsTheRest) {
  // B 10:00:30 arrives with A 10:00:30 and is dropped for A 10:01:30, which comes first in
  // (asset, time) order; A 10:05 (read at the end) is not among the first two.
  copy_to(signals(), signals_sql("('10:00:30', 'B'), ('10:00:30', 'A'), ('10:01:30', 'A'), ('10:05:00', 'A')"));
  auto o = options(false);
  o.timing_examples = 2;
  TimingReport report;
  o.on_timing_report = [&](const TimingReport& r) { report = r; };
  ColumnarDataFeed feed(o);
  testing::drain(feed);
  EXPECT_EQ(report.total, 4u);
  ASSERT_EQ(report.violations.size(), 2u);
  EXPECT_EQ(report.violations[0].signal_time, at("10:00:30"));
  EXPECT_EQ(report.violations[0].asset, "A");
  EXPECT_EQ(report.violations[0].used_at, at("10:02:00"));
  EXPECT_EQ(report.violations[1].signal_time, at("10:01:30"));
  EXPECT_FALSE(report.violations[1].used_at);
}

TEST_F(TimingInTheFeed, StampsBeforeTheRangeStartAreCheckedForDuplicatesOnly) {
  // With start 10:01 the 10:00 bars are not read: the 09:30 and 10:00:30 stamps cannot be
  // placed against them (they are visible from the first bars in range, as always).
  copy_to(signals(), signals_sql("('09:30:00', 'A'), ('10:00:30', 'A'), ('10:00:30', 'A'), ('10:01:30', 'A')"));
  auto o = options(false);
  o.start = at("10:01:00");
  TimingReport report;
  o.on_timing_report = [&](const TimingReport& r) { report = r; };
  ColumnarDataFeed feed(o);
  testing::drain(feed);
  EXPECT_EQ(report.total, 2u);
  ASSERT_EQ(report.violations.size(), 2u);
  EXPECT_EQ(report.violations[0].kind, K::kDuplicate);
  EXPECT_EQ(report.violations[0].used_at, at("10:02:00"));
  EXPECT_EQ(report.violations[1].kind, K::kNotOnBar);
  EXPECT_EQ(report.violations[1].signal_time, at("10:01:30"));
}

}  // namespace
}  // namespace ml4t::backtest
