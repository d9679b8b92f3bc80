#include "ml4t/backtest/data/columnar_data_feed.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "data/feed_fixtures.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/optimize.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

using testing::copy_to;
using testing::drain;
using testing::Flat;
using testing::keys;
using testing::same;
using testing::scratch_dir;
using testing::write_text;

// One bar row for VALUES: open = close, high = close + 1, low = close / 2, volume 100.
std::string bar(const std::string& hhmm, const std::string& asset, double close) {
  return fmt::format("('2024-01-02 {}:00', '{}', {}, {}, {}, {}, 100)", hhmm, asset, close, close + 1, close / 2,
                     close);
}

std::string prices_select(const std::vector<std::string>& rows) {
  std::string values;
  for (size_t i = 0; i < rows.size(); ++i) values += (i ? ", " : "") + rows[i];
  return "SELECT CAST(t AS TIMESTAMP) AS timestamp, a AS asset_id, CAST(o AS DOUBLE) AS open, CAST(h AS DOUBLE) AS "
         "high, CAST(l AS DOUBLE) AS low, CAST(c AS DOUBLE) AS close, CAST(v AS BIGINT) AS volume FROM (VALUES " +
         values + ") AS x(t, a, o, h, l, c, v)";
}

// Signal rows ('HH:MM[:SS]', 'asset', value) -> timestamp, asset_id, ml_pred.
std::string signals_select(const std::vector<std::tuple<std::string, std::string, std::string>>& rows) {
  std::string values;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& [t, a, v] = rows[i];
    values += fmt::format("{}('2024-01-02 {}', '{}', {})", i ? ", " : "", t.size() == 5 ? t + ":00" : t, a, v);
  }
  return "SELECT CAST(t AS TIMESTAMP) AS timestamp, a AS asset_id, CAST(v AS DOUBLE) AS ml_pred FROM (VALUES " +
         values + ") AS x(t, a, v)";
}

// The reference example: AAPL bars at 10:00, 10:01, 10:02; one signal stamped 10:00.
struct ReferenceExample : ::testing::Test {
  void SetUp() override {
    dir = scratch_dir();
    copy_to(dir / "prices.parquet",
            prices_select({bar("10:00", "AAPL", 100), bar("10:01", "AAPL", 101), bar("10:02", "AAPL", 102)}));
    copy_to(dir / "signals.parquet", signals_select({{"10:00", "AAPL", "0.8"}}));
  }
  std::vector<Flat> run(SignalTimingMode mode, int lag = 1) {
    ColumnarFeedOptions o;
    o.prices = (dir / "prices.parquet").string();
    o.signals = DataSource((dir / "signals.parquet").string());
    o.timing.mode = mode;
    o.timing.lag = lag;
    ColumnarDataFeed feed(o);
    return drain(feed);
  }
  std::filesystem::path dir;
};

TEST_F(ReferenceExample, StrictShowsTheSignalOnItsOwnBar) {
  const auto e = run(SignalTimingMode::kStrict);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].time, "2024-01-02T10:00:00Z");
  EXPECT_EQ(e[0].signals[0], 0.8);
  EXPECT_EQ(e[1].signals[0], 0.8);  // as-of: stays visible
  EXPECT_EQ(e[2].signals[0], 0.8);
}

TEST_F(ReferenceExample, NextBarShowsItOneBarLater) {
  const auto e = run(SignalTimingMode::kNextBar);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_TRUE(std::isnan(e[0].signals[0]));  // 10:00: not yet
  EXPECT_EQ(e[1].signals[0], 0.8);           // 10:01
  EXPECT_EQ(e[2].signals[0], 0.8);
}

TEST_F(ReferenceExample, CustomLagOfTwoBars) {
  const auto e = run(SignalTimingMode::kCustom, 2);
  EXPECT_TRUE(std::isnan(e[0].signals[0]));
  EXPECT_TRUE(std::isnan(e[1].signals[0]));
  EXPECT_EQ(e[2].signals[0], 0.8);
}

TEST_F(ReferenceExample, ConstructionReadsNoRowsAndIsLazy) {
  ColumnarFeedOptions o;
  o.prices = (dir / "prices.parquet").string();
  ColumnarDataFeed feed(o);
  EXPECT_EQ(feed.rows_read(), 0u);
  EXPECT_EQ(feed.symbols().size(), 0u);
  auto g = feed.next_group();
  ASSERT_TRUE(g.valid());
  EXPECT_EQ(feed.symbols().size(), 1u);
  EXPECT_EQ(g[0].close(), 100.0);
  EXPECT_EQ(g[0].high(), 101.0);
  EXPECT_EQ(g[0].low(), 50.0);
  EXPECT_EQ(g[0].volume(), 100.0);
}

TEST_F(ReferenceExample, RowsAreReadAtTheFirstNextNotAtConstruction) {
  ColumnarFeedOptions o;
  o.prices = (dir / "prices.parquet").string();
  o.signals = DataSource((dir / "signals.parquet").string());
  ColumnarDataFeed feed(o);
  // Replace both files after construction: the feed must stream the new rows, so it
  // cannot have read (or cached) any row before.
  copy_to(dir / "prices.parquet", prices_select({bar("11:00", "MSFT", 7), bar("11:01", "MSFT", 8)}));
  copy_to(dir / "signals.parquet", signals_select({{"11:00", "MSFT", "0.25"}}));
  const auto e = drain(feed);
  EXPECT_EQ(keys(e), (std::vector<std::string>{"MSFT@11:00", "MSFT@11:01"}));
  EXPECT_EQ(e[0].close, 7.0);
  EXPECT_TRUE(std::isnan(e[0].signals[0]));  // NEXT_BAR
  EXPECT_EQ(e[1].signals[0], 0.25);

  // A file removed after construction fails at the first next, naming the file.
  ColumnarDataFeed gone(o);
  std::filesystem::remove(dir / "prices.parquet");
  try {
    gone.next_event();
    FAIL();
  } catch (const DataError& err) {
    EXPECT_NE(std::string(err.what()).find((dir / "prices.parquet").string()), std::string::npos) << err.what();
  }
}

TEST(ColumnarDataFeed, UnsortedInputComesOutInTimestampThenSymbolOrder) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet",
          prices_select({bar("10:01", "MSFT", 21), bar("10:00", "MSFT", 20), bar("10:01", "AAPL", 11),
                         bar("10:00", "AAPL", 10), bar("10:00", "GOOG", 30)}));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  EXPECT_EQ(keys(e), (std::vector<std::string>{"AAPL@10:00", "GOOG@10:00", "MSFT@10:00", "AAPL@10:01", "MSFT@10:01"}));
  EXPECT_EQ(e[4].close, 21.0);
  EXPECT_TRUE(feed.sorted_by_duckdb());
}

TEST(ColumnarDataFeed, SortedTimestampsAreNotResortedAndTiesAreOrderedBySymbol) {
  const auto dir = scratch_dir();
  // Timestamps ascending (so no ORDER BY) but symbols within 10:00 out of order: the
  // feed orders the group itself.
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "MSFT", 20), bar("10:00", "AAPL", 10),
                                            bar("10:01", "AAPL", 11), bar("10:01", "MSFT", 21)}));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  EXPECT_FALSE(feed.sorted_by_duckdb());
  EXPECT_EQ(keys(e), (std::vector<std::string>{"AAPL@10:00", "MSFT@10:00", "AAPL@10:01", "MSFT@10:01"}));
}

TEST(ColumnarDataFeed, LagCountsBarsOfTheSameAsset) {
  const auto dir = scratch_dir();
  // B has no bar at 10:01: its signal from 10:00 waits for B's next bar, 10:02.
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:00", "B", 2), bar("10:01", "A", 1),
                                            bar("10:02", "A", 1), bar("10:02", "B", 2)}));
  copy_to(dir / "s.parquet", signals_select({{"10:00", "A", "0.1"}, {"10:00", "B", "0.2"}}));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.signals = DataSource((dir / "s.parquet").string());
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  ASSERT_EQ(keys(e), (std::vector<std::string>{"A@10:00", "B@10:00", "A@10:01", "A@10:02", "B@10:02"}));
  EXPECT_TRUE(std::isnan(e[0].signals[0]));
  EXPECT_TRUE(std::isnan(e[1].signals[0]));
  EXPECT_EQ(e[2].signals[0], 0.1);
  EXPECT_EQ(e[3].signals[0], 0.1);
  EXPECT_EQ(e[4].signals[0], 0.2);
}

TEST(ColumnarDataFeed, OffBarStampsAttachToTheNextBarPlusLag) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:01", "A", 1), bar("10:02", "A", 1)}));
  copy_to(dir / "s.parquet", signals_select({{"10:00:30", "A", "0.5"}}));
  for (auto [mode, first_visible] :
       {std::pair{SignalTimingMode::kStrict, 1}, std::pair{SignalTimingMode::kNextBar, 2}}) {
    ColumnarFeedOptions o;
    o.prices = (dir / "p.parquet").string();
    o.signals = DataSource((dir / "s.parquet").string());
    o.timing.mode = mode;
    ColumnarDataFeed feed(o);
    const auto e = drain(feed);
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE(same(e[static_cast<size_t>(i)].signals[0], i >= first_visible ? 0.5 : kMissing))
          << "mode " << to_string(mode) << " bar " << i;
    }
  }
}

TEST(ColumnarDataFeed, NewerValuesReplaceOlderOnesAfterTheirOwnLag) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet",
          prices_select({bar("10:00", "A", 1), bar("10:01", "A", 1), bar("10:02", "A", 1), bar("10:03", "A", 1)}));
  // 10:00 -> 1, 10:01 -> 2 (and a NULL at 10:02, which hides the older value).
  copy_to(dir / "s.parquet", signals_select({{"10:00", "A", "1"}, {"10:01", "A", "2"}, {"10:02", "A", "NULL"}}));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.signals = DataSource((dir / "s.parquet").string());
  o.timing.mode = SignalTimingMode::kNextBar;
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_TRUE(std::isnan(e[0].signals[0]));
  EXPECT_EQ(e[1].signals[0], 1.0);
  EXPECT_EQ(e[2].signals[0], 2.0);
  EXPECT_TRUE(std::isnan(e[3].signals[0]));
}

TEST(ColumnarDataFeed, UnsortedSignalsAreSortedAndTakenAsSortedTheyFail) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:01", "A", 1), bar("10:02", "A", 1)}));
  copy_to(dir / "s.parquet", signals_select({{"10:01", "A", "2"}, {"10:00", "A", "1"}}));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.signals = DataSource((dir / "s.parquet").string());
  o.timing.mode = SignalTimingMode::kStrict;
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  EXPECT_TRUE(feed.sorted_by_duckdb());
  EXPECT_EQ(e[0].signals[0], 1.0);
  EXPECT_EQ(e[1].signals[0], 2.0);
  o.order = OrderCheck::kAssumeSorted;
  ColumnarDataFeed trusting(o);
  try {
    drain(trusting);
    FAIL();
  } catch (const DataError& err) {
    EXPECT_NE(std::string(err.what()).find("signals: " + (dir / "s.parquet").string() + " is not in timestamp order"),
              std::string::npos)
        << err.what();
  }
}

TEST(ColumnarDataFeed, MissingSignalsAreNaNAndGetFallsBack) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:00", "B", 1)}));
  copy_to(dir / "s.parquet", signals_select({{"10:00", "A", "0.3"}}));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.signals = DataSource((dir / "s.parquet").string());
  o.timing.mode = SignalTimingMode::kStrict;
  ColumnarDataFeed feed(o);
  auto g = feed.next_group();
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].signals().get("ml_pred", 0.0), 0.3);
  EXPECT_EQ(g[1].signals().get("ml_pred", -1.0), -1.0);
  EXPECT_EQ(feed.schema().signal_names(), std::vector<std::string>{"ml_pred"});
}

TEST(ColumnarDataFeed, ContextFollowsTheLagOnTheSequenceOfTimestamps) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet",
          prices_select({bar("10:00", "A", 1), bar("10:00", "B", 1), bar("10:01", "A", 1), bar("10:02", "B", 1)}));
  copy_to(
      dir / "c.parquet",
      "SELECT CAST(t AS TIMESTAMP) AS timestamp, CAST(v AS DOUBLE) AS vix FROM (VALUES ('2024-01-02 10:00:00', 20), "
      "('2024-01-02 10:01:00', 21)) x(t, v)");
  for (auto [mode, expected] :
       {std::pair{SignalTimingMode::kStrict, std::vector<double>{20, 20, 21, 21}},
        std::pair{SignalTimingMode::kNextBar, std::vector<double>{kMissing, kMissing, 20, 21}}}) {
    ColumnarFeedOptions o;
    o.prices = (dir / "p.parquet").string();
    o.context = DataSource((dir / "c.parquet").string());
    o.timing.mode = mode;
    ColumnarDataFeed feed(o);
    EXPECT_EQ(feed.schema().context_names(), std::vector<std::string>{"vix"});
    const auto e = drain(feed);
    ASSERT_EQ(e.size(), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(same(e[i].context[0], expected[i])) << to_string(mode) << " " << i;
  }
}

TEST(ColumnarDataFeed, ContextWithACustomLagAndOffBarStamps) {
  const auto dir = scratch_dir();
  // Timestamps (groups): 10:00 (A, B), 10:01 (A), 10:02 (B), 10:03 (A).
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:00", "B", 1), bar("10:01", "A", 1),
                                            bar("10:02", "B", 1), bar("10:03", "A", 1)}));
  // 20 at 10:00 (group 0); 21 at 10:01:30, between groups 1 and 2.
  copy_to(dir / "c.parquet",
          "SELECT CAST(t AS TIMESTAMP) AS timestamp, CAST(v AS DOUBLE) AS vix FROM (VALUES ('2024-01-02 10:00:00', "
          "20), ('2024-01-02 10:01:30', 21)) x(t, v)");
  // 20 is due at group 0 + lag, 21 at group 2 + lag (the first group at or after 10:01:30).
  for (auto [lag, expected] : {std::pair{0, std::vector<double>{20, 20, 20, 21, 21}},
                               std::pair{2, std::vector<double>{kMissing, kMissing, kMissing, 20, 20}},
                               std::pair{1, std::vector<double>{kMissing, kMissing, 20, 20, 21}}}) {
    ColumnarFeedOptions o;
    o.prices = (dir / "p.parquet").string();
    o.context = DataSource((dir / "c.parquet").string());
    o.timing.mode = SignalTimingMode::kCustom;
    o.timing.lag = lag;
    ColumnarDataFeed feed(o);
    const auto e = drain(feed);
    ASSERT_EQ(keys(e), (std::vector<std::string>{"A@10:00", "B@10:00", "A@10:01", "B@10:02", "A@10:03"}));
    for (size_t i = 0; i < e.size(); ++i) EXPECT_TRUE(same(e[i].context[0], expected[i])) << "lag " << lag << " " << i;
  }
}

TEST(ColumnarDataFeed, AssetFilterAndTimeRange) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:00", "B", 2), bar("10:00", "C", 3),
                                            bar("10:01", "A", 4), bar("10:01", "B", 5), bar("10:01", "C", 6),
                                            bar("10:02", "A", 7), bar("10:02", "B", 8), bar("10:02", "C", 9)}));
  // B's signal is filtered out with B's bars (else it would be a signal without bars).
  copy_to(dir / "s.parquet", signals_select({{"10:00", "A", "0.1"}, {"10:00", "B", "0.2"}, {"10:00", "C", "0.3"}}));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.signals = DataSource((dir / "s.parquet").string());
  o.assets = {"A", "C"};
  o.start = Timestamp::parse("2024-01-02T10:01:00Z");
  o.end = Timestamp::parse("2024-01-02T10:01:59Z");
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  EXPECT_EQ(keys(e), (std::vector<std::string>{"A@10:01", "C@10:01"}));
  EXPECT_EQ(e[0].close, 4.0);
  EXPECT_EQ(e[1].close, 6.0);
  // Signals stamped before the range start still count; the lag counts bars inside the
  // range (A's first bar in range is bar 0, so NEXT_BAR shows it from bar 1 on).
  EXPECT_TRUE(std::isnan(e[0].signals[0]));
  EXPECT_EQ(feed.symbols().size(), 2u);
}

TEST(ColumnarDataFeed, ColumnMappingAndOtherTimestampTypes) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet",
          "SELECT CAST(t AS TIMESTAMPTZ) AS \"Date\", a AS ticker, o AS \"Open\", o + 1 AS \"High\", o - 1 AS \"Low\", "
          "o AS px_last, CAST(5 AS INTEGER) AS vol FROM (VALUES ('2024-01-02 10:00:00+00', 'X', 10.0), "
          "('2024-01-02 04:01:00-06', 'X', 11.0)) v(t, a, o)");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.prices.timestamp_column = "Date";
  o.prices.asset_column = "ticker";
  o.prices.rename = {{"px_last", "close"}, {"vol", "volume"}};
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1].time, "2024-01-02T10:01:00Z");  // 04:01-06:00 is 10:01 UTC
  EXPECT_EQ(e[1].close, 11.0);
  EXPECT_EQ(e[1].high, 12.0);
  EXPECT_EQ(e[1].volume, 5.0);
  EXPECT_EQ(e[0].symbol, "X");
}

TEST(ColumnarDataFeed, SignalColumnSelectionAndMapping) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:01", "A", 2)}));
  copy_to(dir / "s.parquet",
          "SELECT TIMESTAMP '2024-01-02 10:00:00' AS ts, 'A' AS sym, 0.75 AS pred, 0.9 AS confidence, 'x' AS note");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.timing.mode = SignalTimingMode::kStrict;
  DataSource s((dir / "s.parquet").string());
  s.timestamp_column = "ts";
  s.asset_column = "sym";
  s.columns = {"pred"};
  s.rename = {{"pred", "ml_pred"}};
  o.signals = s;
  ColumnarDataFeed feed(o);
  EXPECT_EQ(feed.schema().signal_names(), std::vector<std::string>{"ml_pred"});
  const auto e = drain(feed);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].signals, std::vector<double>{0.75});
  EXPECT_EQ(e[1].signals, std::vector<double>{0.75});

  // Without a column list every non-key column is a value: the text column is refused.
  o.signals->columns.clear();
  try {
    ColumnarDataFeed all(o);
    FAIL();
  } catch (const DataError& err) {
    EXPECT_EQ(std::string(err.what()), "signals: column \"note\" of " + (dir / "s.parquet").string() +
                                           " has type VARCHAR; expected a number. Fix the file or map another column");
  }
  o.signals->columns = {"pred", "conf"};
  try {
    ColumnarDataFeed missing(o);
    FAIL();
  } catch (const DataError& err) {
    EXPECT_EQ(std::string(err.what()), "signals: " + (dir / "s.parquet").string() +
                                           " has no column \"conf\" (columns found: [ts, sym, pred, confidence, "
                                           "note]); fix the column list");
  }
}

TEST(ColumnarDataFeed, NanosecondAndDateTimestamps) {
  const auto dir = scratch_dir();
  copy_to(dir / "ns.parquet",
          "SELECT CAST('2024-01-02 10:00:00.123456789' AS TIMESTAMP_NS) AS timestamp, 'A' AS asset_id, 1.0 AS open, "
          "1.0 AS high, 1.0 AS low, 1.0 AS close, 1 AS volume");
  copy_to(dir / "d.parquet",
          "SELECT DATE '2024-01-03' AS timestamp, 'A' AS asset_id, 1.0 AS open, 1.0 AS high, 1.0 AS low, 1.0 AS close");
  ColumnarFeedOptions o;
  o.prices = (dir / "ns.parquet").string();
  ColumnarDataFeed ns(o);
  EXPECT_EQ(drain(ns)[0].time, "2024-01-02T10:00:00.123456789Z");
  o.prices = (dir / "d.parquet").string();
  ColumnarDataFeed d(o);
  const auto e = drain(d);
  EXPECT_EQ(e[0].time, "2024-01-03T00:00:00Z");
  EXPECT_TRUE(std::isnan(e[0].volume));  // no volume column: missing
}

TEST(ColumnarDataFeed, CsvInput) {
  const auto dir = scratch_dir();
  write_text(dir / "p.csv",
             "timestamp,asset_id,open,high,low,close,volume\n"
             "2024-01-02 10:01:00,B,5,6,4,5.5,10\n"
             "2024-01-02 10:00:00,A,1,2,0.5,1.5,20\n"
             "2024-01-02 10:00:00,B,4,5,3,4.5,30\n");
  CSVDataFeed feed((dir / "p.csv").string());
  const auto e = drain(feed);
  EXPECT_EQ(keys(e), (std::vector<std::string>{"A@10:00", "B@10:00", "B@10:01"}));
  EXPECT_EQ(e[2].close, 5.5);
  EXPECT_EQ(e[1].volume, 30.0);
}

TEST(ColumnarDataFeed, GlobListAndHivePartitionedFolder) {
  const auto dir = scratch_dir();
  copy_to(dir / "a.parquet", prices_select({bar("10:00", "A", 1), bar("10:01", "A", 2)}));
  copy_to(dir / "b.parquet", prices_select({bar("10:00", "B", 3), bar("10:01", "B", 4)}));
  ColumnarFeedOptions o;
  o.prices = (dir / "*.parquet").string();
  ColumnarDataFeed glob(o);
  EXPECT_EQ(keys(drain(glob)), (std::vector<std::string>{"A@10:00", "B@10:00", "A@10:01", "B@10:01"}));

  o.prices.paths = {(dir / "b.parquet").string(), (dir / "a.parquet").string()};
  ColumnarDataFeed list(o);
  EXPECT_EQ(keys(drain(list)), (std::vector<std::string>{"A@10:00", "B@10:00", "A@10:01", "B@10:01"}));

  // A hive dataset partitioned by year: a range inside 2024 reads only year=2024.
  const auto hive = dir / "hive";
  copy_to(hive,
          "SELECT *, year(timestamp) AS year FROM (" +
              prices_select({fmt::format("('2023-06-01 10:00:00', 'A', 1, 1, 1, 1, 1)"),
                             fmt::format("('2024-06-01 10:00:00', 'A', 2, 2, 2, 2, 1)")}) +
              ")",
          "FORMAT parquet, PARTITION_BY (year)");
  ColumnarFeedOptions h;
  h.prices = hive.string();
  h.start = Timestamp::parse("2024-01-01");
  ColumnarDataFeed part(h);
  // Corrupt the 2023 partition after construction (which reads the schema only): if
  // the range pushdown did not prune it, streaming would fail.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(hive / "year=2023")) {
    if (entry.is_regular_file()) write_text(entry.path(), "not parquet");
  }
  const auto e = drain(part);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].close, 2.0);
  EXPECT_EQ(e[0].time, "2024-06-01T10:00:00Z");
}

TEST(ColumnarDataFeed, HivePartitionsAreReadInTimeOrderWithoutASort) {
  const auto dir = scratch_dir();
  // month=10 sorts before month=2 as text; the feed orders partitions numerically.
  copy_to(dir / "hive",
          "SELECT *, year(timestamp) AS year, month(timestamp) AS month FROM (" +
              prices_select({"('2024-02-01 10:00:00', 'A', 2, 2, 2, 2, 1)",
                             "('2024-10-01 10:00:00', 'A', 10, 10, 10, 10, 1)",
                             "('2024-09-01 10:00:00', 'A', 9, 9, 9, 9, 1)"}) +
              ")",
          "FORMAT parquet, PARTITION_BY (year, month)");
  ColumnarFeedOptions o;
  o.prices = (dir / "hive").string();
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].close, 2.0);
  EXPECT_EQ(e[1].close, 9.0);
  EXPECT_EQ(e[2].close, 10.0);
  EXPECT_FALSE(feed.sorted_by_duckdb());
  // A range in September and October reads those months only: the February partition
  // is corrupted after construction and never opened.
  o.start = Timestamp::parse("2024-09-01");
  ColumnarDataFeed ranged(o);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "hive" / "year=2024" / "month=2")) {
    if (entry.is_regular_file()) write_text(entry.path(), "not parquet");
  }
  const auto in_range = drain(ranged);
  ASSERT_EQ(in_range.size(), 2u);
  EXPECT_EQ(in_range[0].close, 9.0);
  EXPECT_EQ(in_range[1].close, 10.0);
  // Without the range the corrupted partition is read and named.
  o.start.reset();
  try {
    ColumnarDataFeed all(o);
    drain(all);
    FAIL();
  } catch (const DataError& err) {
    EXPECT_NE(std::string(err.what()).find("month=2"), std::string::npos) << err.what();
  }
}

TEST(ColumnarDataFeed, ReadsAnOptimizedMonthPartitionedDatasetSkippingOtherMonths) {
  const auto dir = scratch_dir();
  // Unsorted input: A and B on the 1st of every month of 2024, close = month.
  copy_to(dir / "in.parquet",
          "SELECT TIMESTAMP '2024-01-01 10:00:00' + to_months(m) AS timestamp, a AS asset_id, m + 1.0 AS open, "
          "m + 1.0 AS high, m + 1.0 AS low, m + 1.0 AS close, 100 AS volume FROM range(12) r(m), "
          "(VALUES ('B'), ('A')) v(a) ORDER BY hash(m, a)");
  OptimizeOptions opt;
  opt.partition_by = PartitionBy::kMonth;
  opt.categorical = {"asset_id"};
  write_optimized_parquet({(dir / "in.parquet").string()}, dir / "ds", opt);
  ColumnarFeedOptions o;
  o.prices = (dir / "ds").string();
  o.start = Timestamp::parse("2024-03-01");
  o.end = Timestamp::parse("2024-04-30");
  ColumnarDataFeed feed(o);
  // Every other month's file is corrupted after construction: pruned ones are never opened.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "ds")) {
    const std::string path = entry.path().string();
    if (entry.is_regular_file() && path.find("month=3/") == std::string::npos &&
        path.find("month=4/") == std::string::npos) {
      write_text(entry.path(), "not parquet");
    }
  }
  const auto e = drain(feed);
  EXPECT_EQ(keys(e), (std::vector<std::string>{"A@10:00", "B@10:00", "A@10:00", "B@10:00"}));
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].time, "2024-03-01T10:00:00Z");
  EXPECT_EQ(e[0].close, 3.0);
  EXPECT_EQ(e[3].time, "2024-04-01T10:00:00Z");
  EXPECT_EQ(e[3].close, 4.0);
  EXPECT_FALSE(feed.sorted_by_duckdb());  // the optimized layout streams without a sort
}

// 6144 one-minute bars of asset A, in three row groups of 2048. `layout` orders rows
// inside the file: "sorted", "shuffled" (row groups in time order, each reversed) or
// "overlapping" (row groups interleave in time).
void write_minutes(const std::filesystem::path& path, const std::string& layout, const std::string& value_columns) {
  std::string order = "t";
  if (layout == "shuffled") order = "t // 2048, t DESC";
  if (layout == "overlapping") order = "t % 3, t";
  copy_to(path,
          "SELECT TIMESTAMP '2024-01-02 00:00:00' + to_minutes(t) AS timestamp, 'A' AS asset_id, " + value_columns +
              " FROM range(6144) r(t) ORDER BY " + order,
          "FORMAT parquet, ROW_GROUP_SIZE 2048");
}

TEST(ColumnarDataFeed, SortedRowGroupsStreamAtOnceAndShuffledOnesAreCaughtAndSorted) {
  const auto dir = scratch_dir();
  const std::string ohlc = "t + 1.0 AS open, t + 1.0 AS high, t + 1.0 AS low, t + 1.0 AS close";
  for (const std::string layout : {"sorted", "shuffled", "overlapping"}) {
    write_minutes(dir / ("p_" + layout + ".parquet"), layout, ohlc);
    write_minutes(dir / ("s_" + layout + ".parquet"), layout, "CAST(t AS DOUBLE) AS minute");
  }
  for (const std::string prices : {"sorted", "shuffled", "overlapping"}) {
    for (const std::string signals : {"sorted", "shuffled", "overlapping"}) {
      ColumnarFeedOptions o;
      o.prices = (dir / ("p_" + prices + ".parquet")).string();
      o.signals = DataSource((dir / ("s_" + signals + ".parquet")).string());
      o.timing.mode = SignalTimingMode::kStrict;
      ColumnarDataFeed feed(o);
      const auto e = drain(feed);
      ASSERT_EQ(e.size(), 6144u) << prices << "/" << signals;
      bool ok = true;
      for (size_t i = 0; i < e.size(); ++i) {
        // Bar i: close i + 1; its STRICT signal is the value stamped at minute i.
        ok = ok && e[i].close == static_cast<double>(i) + 1 && e[i].signals[0] == static_cast<double>(i);
      }
      EXPECT_TRUE(ok) << prices << "/" << signals;
      EXPECT_EQ(feed.sorted_by_duckdb(), prices != "sorted" || signals != "sorted") << prices << "/" << signals;
    }
  }
}

TEST(ColumnarDataFeed, GroupsSpanningChunkBoundaries) {
  const auto dir = scratch_dir();
  // 3 assets x 1000 timestamps = 3000 rows (chunks of 2048 split group 682), plus one
  // timestamp with 2500 assets (a group bigger than a chunk).
  copy_to(dir / "p.parquet",
          "SELECT TIMESTAMP '2024-01-02 00:00:00' + to_minutes(t) AS timestamp, 'S' || a AS asset_id, "
          "CAST(t AS DOUBLE) + 1 AS open, CAST(t AS DOUBLE) + 2 AS high, CAST(t AS DOUBLE) + 1 AS low, "
          "CAST(t AS DOUBLE) + 1 AS close, a AS volume FROM range(1000) r(t), range(3) q(a) "
          "UNION ALL SELECT TIMESTAMP '2024-01-03 00:00:00', 'Z' || lpad(CAST(a AS VARCHAR), 4, '0'), 1, 1, 1, 1, a "
          "FROM range(2500) q(a) ORDER BY 1, 2");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  ColumnarDataFeed feed(o);
  size_t groups = 0;
  double close_sum = 0;
  while (true) {
    auto g = feed.next_group();
    if (!g.valid()) break;
    if (groups < 1000) {
      ASSERT_EQ(g.size(), 3u) << "group " << groups;
      EXPECT_EQ(g[0].symbol(), "S0");
      EXPECT_EQ(g[2].symbol(), "S2");
      EXPECT_EQ(g[1].close(), static_cast<double>(groups) + 1);
    } else {
      ASSERT_EQ(g.size(), 2500u);
      EXPECT_EQ(g[2499].symbol(), "Z2499");
      EXPECT_EQ(g[2499].volume(), 2499.0);
    }
    for (auto e : g) close_sum += e.close();
    ++groups;
  }
  EXPECT_EQ(groups, 1001u);
  // sum over t of 3 (t + 1) = 3 * 1000 * 1001 / 2 = 1501500, plus 2500 x 1.
  EXPECT_EQ(close_sum, 1501500.0 + 2500.0);
  EXPECT_TRUE(feed.is_exhausted());
}

TEST(ColumnarDataFeed, IsExhaustedDoesNotInvalidateTheCurrentEvent) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:01", "A", 2)}));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  ColumnarDataFeed feed(o);
  auto first = feed.next_event();
  ASSERT_TRUE(first);
  EXPECT_FALSE(feed.is_exhausted());  // looks ahead one group
  EXPECT_EQ(first->close(), 1.0);
  auto second = feed.next_event();
  EXPECT_EQ(second->close(), 2.0);
  EXPECT_TRUE(feed.is_exhausted());
  EXPECT_FALSE(feed.next_event());
}

TEST(ColumnarDataFeed, EmptyFileGivesAnEmptyFeed) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1)}) + " WHERE false");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  ColumnarDataFeed feed(o);
  EXPECT_TRUE(feed.is_exhausted());
  EXPECT_FALSE(feed.next_group().valid());
}

TEST(ColumnarDataFeed, ParquetDataFeedForOneAsset) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices_select({bar("10:00", "A", 1), bar("10:00", "B", 2), bar("10:01", "B", 3)}));
  copy_to(dir / "s.parquet", signals_select({{"10:00", "B", "0.7"}}));
  ParquetDataFeed feed((dir / "p.parquet").string(), "B", (dir / "s.parquet").string());
  const auto e = drain(feed);
  EXPECT_EQ(keys(e), (std::vector<std::string>{"B@10:00", "B@10:01"}));
  EXPECT_TRUE(std::isnan(e[0].signals[0]));
  EXPECT_EQ(e[1].signals[0], 0.7);
}

}  // namespace
}  // namespace ml4t::backtest
