// Bad input for ColumnarDataFeed: every case gives a DataError/ConfigError naming the
// file, column, row or timestamp and asset, and the fix.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "data/feed_fixtures.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

using testing::copy_to;
using testing::drain;
using testing::scratch_dir;
using testing::write_text;

// Prices with one row per (time, asset, o, h, l, c).
std::string prices(const std::string& values) {
  return "SELECT CAST(t AS TIMESTAMP) AS timestamp, a AS asset_id, CAST(o AS DOUBLE) AS open, CAST(h AS DOUBLE) AS "
         "high, CAST(l AS DOUBLE) AS low, CAST(c AS DOUBLE) AS close, 100 AS volume FROM (VALUES " +
         values + ") AS x(t, a, o, h, l, c)";
}

const char* kGood = "('2024-01-02 10:00:00', 'A', 10, 11, 9, 10)";

// The message of the error `f` throws as E (fails the test when it does not throw).
template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception";
  return "";
}

#define EXPECT_HAS(message, part) EXPECT_NE((message).find(part), std::string::npos) << (message)

std::string feed_error(const std::filesystem::path& path, BadDataPolicy policy = BadDataPolicy::kError) {
  return error_of<DataError>([&] {
    ColumnarFeedOptions o;
    o.prices = path.string();
    o.bad_data = policy;
    ColumnarDataFeed feed(o);
    drain(feed);
  });
}

TEST(FeedBadInput, MissingFileAndEmptyGlob) {
  const auto dir = scratch_dir();
  auto m = feed_error(dir / "nope.parquet");
  EXPECT_HAS(m, "prices: file \"" + (dir / "nope.parquet").string() + "\" not found");
  m = feed_error(dir / "*.parquet");
  EXPECT_HAS(m, "no files match the glob");
  EXPECT_HAS(m, (dir / "*.parquet").string());
}

TEST(FeedBadInput, NotParquetAndTruncatedParquet) {
  const auto dir = scratch_dir();
  write_text(dir / "text.parquet", "timestamp,asset_id\n2024-01-02,A\n");
  auto m = feed_error(dir / "text.parquet");
  EXPECT_HAS(m, "cannot read " + (dir / "text.parquet").string() + " as Parquet");
  EXPECT_HAS(m, "not truncated");

  copy_to(dir / "good.parquet", prices(kGood));
  const auto size = std::filesystem::file_size(dir / "good.parquet");
  std::filesystem::copy_file(dir / "good.parquet", dir / "cut.parquet");
  std::filesystem::resize_file(dir / "cut.parquet", size / 2);
  m = feed_error(dir / "cut.parquet");
  EXPECT_HAS(m, "cannot read " + (dir / "cut.parquet").string() + " as Parquet");
}

TEST(FeedBadInput, MissingRequiredColumnListsTheColumnsFound) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet",
          "SELECT TIMESTAMP '2024-01-02 10:00:00' AS timestamp, 'A' AS asset_id, 1.0 AS open, "
          "1.0 AS high, 1.0 AS low, 5 AS volume");
  const auto m = feed_error(dir / "p.parquet");
  EXPECT_HAS(m, "has no \"close\" column (columns found: [timestamp, asset_id, open, high, low, volume])");
  EXPECT_HAS(m, "rename the right column to \"close\"");

  copy_to(dir / "q.parquet", "SELECT TIMESTAMP '2024-01-02 10:00:00' AS ts, 'A' AS asset_id");
  EXPECT_HAS(feed_error(dir / "q.parquet"), "no timestamp column \"timestamp\" (columns found: [ts, asset_id])");
}

TEST(FeedBadInput, WrongColumnType) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet",
          "SELECT TIMESTAMP '2024-01-02 10:00:00' AS timestamp, 'A' AS asset_id, 1.0 AS open, "
          "1.0 AS high, 1.0 AS low, '1.0' AS close");
  EXPECT_HAS(feed_error(dir / "p.parquet"),
             "column \"close\" of " + (dir / "p.parquet").string() + " has type VARCHAR; expected a number");
  copy_to(dir / "q.parquet",
          "SELECT 5 AS timestamp, 'A' AS asset_id, 1.0 AS open, 1.0 AS high, 1.0 AS low, "
          "1.0 AS close");
  EXPECT_HAS(feed_error(dir / "q.parquet"),
             "column \"timestamp\" of " + (dir / "q.parquet").string() + " has type INTEGER; expected a timestamp");
}

TEST(FeedBadInput, DuplicateBarsErrorOrDropTheLaterRow) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices(std::string(kGood) + ", ('2024-01-02 10:00:00', 'A', 20, 21, 19, 20), " +
                                    "('2024-01-02 10:01:00', 'A', 10, 11, 9, 10)"));
  EXPECT_HAS(feed_error(dir / "p.parquet"), "duplicate bar for asset A at 2024-01-02T10:00:00Z");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.bad_data = BadDataPolicy::kDrop;
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].close, 10.0);  // the first of the duplicates is kept
  EXPECT_EQ(feed.dropped_rows(), 1u);
}

TEST(FeedBadInput, BadPricesNameTheRowAndTheProblem) {
  const auto dir = scratch_dir();
  struct Case {
    std::string row;
    std::string problem;
  };
  const std::vector<Case> cases = {
      {"('2024-01-02 10:01:00', 'B', CAST('NaN' AS DOUBLE), 11, 9, 10)", "a price is missing or NaN"},
      {"('2024-01-02 10:01:00', 'B', 10, CAST('inf' AS DOUBLE), 9, 10)", "a price is infinite"},
      {"('2024-01-02 10:01:00', 'B', 0, 11, 0, 10)", "a price is zero or negative"},
      {"('2024-01-02 10:01:00', 'B', 10, 11, -9, 10)", "a price is zero or negative"},
      {"('2024-01-02 10:01:00', 'B', 10, 9, 11, 10)", "high < low"},
      {"('2024-01-02 10:01:00', 'B', 12, 11, 9, 10)", "open outside [low, high]"},
      {"('2024-01-02 10:01:00', 'B', 10, 11, 9, 8)", "close outside [low, high]"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto path = dir / fmt::format("p{}.parquet", i);
    copy_to(path, prices(std::string(kGood) + ", " + cases[i].row));
    const auto m = feed_error(path);
    EXPECT_HAS(m, "prices: bad bar for asset B at 2024-01-02T10:01:00Z: " + cases[i].problem);
    EXPECT_HAS(m, path.string() + " row 1");  // file and 0-based row
    EXPECT_HAS(m, "set bad_data: drop|warn");
  }
}

TEST(FeedBadInput, WarnPolicySkipsTheRowAndReports) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices(std::string(kGood) + ", ('2024-01-02 10:01:00', 'A', 10, 9, 11, 10)"));
  std::vector<std::string> warnings;
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.bad_data = BadDataPolicy::kWarn;
  o.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  ColumnarDataFeed feed(o);
  EXPECT_EQ(drain(feed).size(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_HAS(warnings[0], "bad bar for asset A at 2024-01-02T10:01:00Z: high < low");
}

TEST(FeedBadInput, BadRowsAreFoundWhileStreamingNotAtConstruction) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet",
          prices(std::string(kGood) + ", ('2024-01-02 10:01:00', 'A', CAST('NaN' AS DOUBLE), 11, 9, 10)"));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  ColumnarDataFeed feed(o);  // no throw: no rows read yet
  auto first = feed.next_event();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->close(), 10.0);
  EXPECT_THROW(feed.next_event(), DataError);
}

// Options for a feed of the good prices (p.parquet) and signals written by `signals_sql`
// (s.parquet), both in `dir`.
ColumnarFeedOptions good_prices_with_signals(const std::filesystem::path& dir, const std::string& signals_sql) {
  copy_to(dir / "p.parquet", prices(kGood));
  copy_to(dir / "s.parquet", signals_sql);
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.signals = DataSource((dir / "s.parquet").string());
  return o;
}

TEST(FeedBadInput, SignalsForAssetsWithoutPrices) {
  const auto dir = scratch_dir();
  auto o = good_prices_with_signals(
      dir, "SELECT TIMESTAMP '2024-01-02 10:00:00' AS timestamp, 'ZZZ' AS asset_id, 0.5 AS ml_pred");
  const auto m = error_of<DataError>([&] {
    ColumnarDataFeed feed(o);
    drain(feed);
  });
  EXPECT_HAS(m, "asset ZZZ has values (first stamped 2024-01-02T10:00:00Z) but no price bars");
  std::vector<std::string> warnings;
  o.bad_data = BadDataPolicy::kWarn;
  o.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  ColumnarDataFeed feed(o);
  EXPECT_EQ(drain(feed).size(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_HAS(warnings[0], "asset ZZZ");
}

TEST(FeedBadInput, DifferentUtcOffsetsAreConvertedToUtc) {
  // Text timestamps that all carry a zone are instants (e.g. New York across a DST
  // change): each is converted to UTC.
  const auto dir = scratch_dir();
  write_text(dir / "p.csv",
             "timestamp,asset_id,open,high,low,close\n"
             "2024-01-02 10:00:00+00:00,A,1,1,1,1\n"
             "2024-01-02 05:01:00-05:00,A,2,2,2,2\n"
             "2024-01-02 11:02:00+01:00,A,3,3,3,3\n");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.csv").string();
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[1].time, "2024-01-02T10:01:00Z");
  EXPECT_EQ(e[2].time, "2024-01-02T10:02:00Z");
}

TEST(FeedBadInput, NaiveTextNextToZonedTextIsAnErrorUnlessTakenAsUtc) {
  // A file mixing naive text with text carrying an offset is ambiguous (the naive rows
  // may be local time): an error naming one row of each kind, unless the caller says
  // naive means UTC.
  const auto dir = scratch_dir();
  write_text(dir / "p.csv",
             "timestamp,asset_id,open,high,low,close\n"
             "2024-01-02 10:00:00,A,1,1,1,1\n"
             "2024-01-02 05:01:00-05:00,A,2,2,2,2\n");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.csv").string();
  const auto m = error_of<DataError>([&] {
    ColumnarDataFeed feed(o);
    drain(feed);
  });
  EXPECT_EQ(m, "prices: column \"timestamp\" mixes timestamps with a time zone, e.g. \"2024-01-02 05:01:00-05:00\" "
               "(asset A) in " + (dir / "p.csv").string() + ", and without one, e.g. \"2024-01-02 10:00:00\" (asset A) in " +
               (dir / "p.csv").string() + "; naive times would be read as UTC, which is wrong if they were written in "
               "local time. Write every timestamp with its UTC offset (or all in UTC), or set mixed_time_zones: "
               "naive_is_utc");

  o.mixed_time_zones = MixedTimeZones::kNaiveIsUtc;
  ColumnarDataFeed feed(o);
  const auto e = drain(feed);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].time, "2024-01-02T10:00:00Z");
  EXPECT_EQ(e[1].time, "2024-01-02T10:01:00Z");
}

TEST(FeedBadInput, MixedZonesInSignalsAndTextParquetColumnsAreCaughtToo) {
  const auto dir = scratch_dir();
  // 'Z' is a zone; a bare date is not (its "-02" is no offset).
  auto o = good_prices_with_signals(dir,
                                    "SELECT t AS timestamp, 'A' AS asset_id, 0.5 AS ml_pred FROM (VALUES "
                                    "('2024-01-02T09:00:00Z'), ('2024-01-02')) x(t)");
  const auto m = error_of<DataError>([&] {
    ColumnarDataFeed feed(o);
    drain(feed);
  });
  EXPECT_HAS(m, "signals: column \"timestamp\" mixes timestamps with a time zone, e.g. \"2024-01-02T09:00:00Z\"");
  EXPECT_HAS(m, "without one, e.g. \"2024-01-02\" (asset A) in " + (dir / "s.parquet").string());
  // Only dates, or only zoned text with different offsets: nothing to report.
  write_text(dir / "dates.csv", "timestamp,asset_id,open,high,low,close\n2024-01-02,A,1,1,1,1\n2024-01-03,A,1,1,1,1\n");
  ColumnarFeedOptions d;
  d.prices = (dir / "dates.csv").string();
  ColumnarDataFeed dates(d);
  EXPECT_EQ(drain(dates).size(), 2u);
}

TEST(FeedBadInput, ConfigurationMistakes) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices(kGood));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.timing.mode = SignalTimingMode::kCustom;
  o.timing.lag = -1;
  EXPECT_HAS(error_of<ConfigError>([&] { ColumnarDataFeed f(o); }), "CUSTOM lag must be >= 0 bars (got -1)");
  o.timing = {};
  o.start = Timestamp::parse("2024-02-01");
  o.end = Timestamp::parse("2024-01-01");
  EXPECT_HAS(error_of<ConfigError>([&] { ColumnarDataFeed f(o); }), "start 2024-02-01T00:00:00Z is after end");
  o.start.reset();
  o.end.reset();
  write_text(dir / "p.dat", "x");
  o.prices = (dir / "p.dat").string();
  EXPECT_HAS(error_of<ConfigError>([&] { ColumnarDataFeed f(o); }), "set format: parquet or csv");
  o.prices = (dir / "p.parquet").string();
  o.prices.rename = {{"nope", "close"}};
  EXPECT_HAS(error_of<ConfigError>([&] { ColumnarDataFeed f(o); }), "rename maps column \"nope\"");
}

TEST(FeedBadInput, DuckDbSettingsReachDuckDb) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices(kGood));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.memory_limit = "lots";
  EXPECT_HAS(error_of<ConfigError>([&] { ColumnarDataFeed f(o); }), "memory_limit = \"lots\" is not valid");
  o.memory_limit = "64MB";
  o.temp_directory = (dir / "spill").string();
  o.threads = 1;
  ColumnarDataFeed feed(o);
  EXPECT_EQ(drain(feed).size(), 1u);
}

TEST(FeedBadInput, TimeGoingBackwardsInFilesTakenAsSortedIsCaught) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices("('2024-01-02 10:01:00', 'A', 10, 11, 9, 10), " + std::string(kGood)));
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.order = OrderCheck::kAssumeSorted;
  const auto m = error_of<DataError>([&] {
    ColumnarDataFeed feed(o);
    drain(feed);
  });
  EXPECT_HAS(m, "is not in timestamp order (2024-01-02T10:00:00Z comes after 2024-01-02T10:01:00Z)");
}

TEST(FeedBadInput, NullAssetInPrices) {
  const auto dir = scratch_dir();
  copy_to(dir / "p.parquet", prices(std::string(kGood) + ", ('2024-01-02 10:01:00', NULL, 10, 11, 9, 10)"));
  EXPECT_HAS(feed_error(dir / "p.parquet"), "a bar at 2024-01-02T10:01:00Z in " + (dir / "p.parquet").string() +
                                                " has no asset (NULL in column \"asset_id\")");
}

}  // namespace
}  // namespace ml4t::backtest
