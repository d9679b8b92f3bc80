#include "ml4t/backtest/data/multi_source_clock.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "data/feed_fixtures.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/data/feature_provider.hpp"
#include "ml4t/backtest/data/in_memory_feed.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

Timestamp day(unsigned d) { return Timestamp::from_civil(2024, 1, d); }
Bar bar(double close) { return Bar{close, close + 1, close - 1, close, 100}; }

// "ts symbol close" per event, in merged order.
std::vector<std::string> drain(DataFeed& feed) {
  std::vector<std::string> out;
  for (const MarketEvent& e : feed) out.push_back(fmt::format("{} {} {}", e.timestamp().date_string(), e.symbol(), e.close()));
  return out;
}

TEST(MultiSourceClock, InterleavesSourcesByTimestampIntoOneGroupPerTimestamp) {
  auto a = InMemoryDataFeed::Builder().add_bar(day(2), "AAA", bar(1)).add_bar(day(4), "AAA", bar(2)).build();
  auto b = InMemoryDataFeed::Builder().add_bar(day(3), "BBB", bar(10)).add_bar(day(4), "BBB", bar(20)).build();
  MultiSourceClock clock;
  clock.add_source(std::move(a));
  clock.add_source(std::move(b));
  std::vector<std::pair<std::string, size_t>> groups;
  for (auto g = clock.next_group(); g.valid(); g = clock.next_group()) groups.emplace_back(g.timestamp().date_string(), g.size());
  // Day 2: AAA only; day 3: BBB only; day 4: both sources in one group.
  EXPECT_THAT(groups, ::testing::ElementsAre(std::pair<std::string, size_t>{"2024-01-02", 1},
                                             std::pair<std::string, size_t>{"2024-01-03", 1},
                                             std::pair<std::string, size_t>{"2024-01-04", 2}));
  EXPECT_TRUE(clock.is_exhausted());
  EXPECT_FALSE(clock.next_group().valid());
  EXPECT_FALSE(clock.next_event().has_value());
  // Merged ids in order of first appearance.
  EXPECT_THAT(clock.symbols().names(), ::testing::ElementsAre("AAA", "BBB"));
}

TEST(MultiSourceClock, TiesGoByPriorityThenFirstSymbol) {
  MultiSourceClock clock;
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "S0", bar(1)).build(), 5);  // sequence 0
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "S1", bar(2)).build(), 1);  // sequence 1
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "S2", bar(3)).build(), 5);  // sequence 2
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "S3", bar(4)).build(), 1);  // sequence 3
  // Priority 1 first (S1 then S3 by symbol), then priority 5 (S0 then S2).
  EXPECT_THAT(drain(clock), ::testing::ElementsAre("2024-01-02 S1 2", "2024-01-02 S3 4", "2024-01-02 S0 1",
                                                   "2024-01-02 S2 3"));
  EXPECT_THAT(clock.symbols().names(), ::testing::ElementsAre("S1", "S3", "S0", "S2"));
}

TEST(MultiSourceClock, KeepsEachSourcesOrderWithinAGroup) {
  auto a = InMemoryDataFeed::Builder().add_bar(day(2), "ZZZ", bar(1)).add_bar(day(2), "AAA", bar(2)).build();
  auto b = InMemoryDataFeed::Builder().add_bar(day(2), "MMM", bar(3)).build();
  MultiSourceClock clock;
  clock.add_source(std::move(b));
  clock.add_source(std::move(a));
  // Source a's group starts with AAA, before b's MMM, though b was added first; a's rows
  // stay in its own (symbol-sorted) order.
  EXPECT_THAT(drain(clock), ::testing::ElementsAre("2024-01-02 AAA 2", "2024-01-02 ZZZ 1", "2024-01-02 MMM 3"));
}

// Sources with gaps and late starts, each with its own view of the context.
std::vector<std::unique_ptr<DataFeed>> gappy_sources() {
  std::vector<std::unique_ptr<DataFeed>> out;
  out.push_back(InMemoryDataFeed::Builder({"s"}, {"vix"})
                    .add_bar(day(3), "CCC", bar(30), {3.0})
                    .add_context(day(3), {13.0})
                    .add_bar(day(4), "CCC", bar(31), {3.1})
                    .add_context(day(4), {14.0})
                    .build());
  out.push_back(InMemoryDataFeed::Builder({"s"}, {"vix"})
                    .add_bar(day(2), "AAA", bar(10), {1.0})
                    .add_context(day(2), {11.0})
                    .add_bar(day(4), "AAA", bar(11), {1.1})
                    .add_context(day(4), {99.0})
                    .build());
  out.push_back(InMemoryDataFeed::Builder({"s"}, {"vix"})
                    .add_bar(day(2), "BBB", bar(20), {2.0})
                    .add_context(day(2), {12.0})
                    .add_bar(day(3), "BBB", bar(21), {2.1})
                    .add_context(day(3), {23.0})
                    .build());
  return out;
}

// "day symbol close s vix" per event, and the symbol table.
std::vector<std::string> drain_with_context(MultiSourceClock& clock) {
  std::vector<std::string> out;
  for (const MarketEvent& e : clock) {
    out.push_back(fmt::format("{} {} {} {} {}", e.timestamp().date_string(), e.symbol(), e.close(),
                              e.signals().get("s"), e.context().get("vix")));
  }
  for (const auto& name : clock.symbols().names()) out.push_back(name);
  return out;
}

TEST(MultiSourceClock, TheOrderOfAddingChangesNothing) {
  const std::vector<std::vector<size_t>> orders{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {2, 0, 1}};
  std::vector<std::vector<std::string>> runs;
  for (const auto& order : orders) {
    auto sources = gappy_sources();
    MultiSourceClock clock;
    for (size_t i : order) clock.add_source(std::move(sources[i]));
    runs.push_back(drain_with_context(clock));
  }
  // Context from the source whose first symbol sorts first among those with a bar at the
  // timestamp: day 2 AAA (11), day 3 BBB (23, not CCC's 13), day 4 AAA (99).
  EXPECT_THAT(runs[0], ::testing::ElementsAre("2024-01-02 AAA 10 1 11", "2024-01-02 BBB 20 2 11",
                                              "2024-01-03 BBB 21 2.1 23", "2024-01-03 CCC 30 3 23",
                                              "2024-01-04 AAA 11 1.1 99", "2024-01-04 CCC 31 3.1 99", "AAA", "BBB",
                                              "CCC"));
  for (size_t k = 1; k < runs.size(); ++k) EXPECT_EQ(runs[k], runs[0]) << "order #" << k;
}

// Per-asset ColumnarDataFeeds over one file: read as one scan, with the context of the
// universe feed (as-of on the merged timeline), whatever the order of the feeds.
struct SharedScanTest : ::testing::Test {
  void SetUp() override {
    dir = testing::scratch_dir();
    // Days 2..5; BBB starts on day 3, CCC misses day 4. Close = 10 * k + day (AAA k=1, ...).
    testing::copy_to(dir / "prices.parquet",
                     "SELECT CAST(DATE '2024-01-01' + INTERVAL (d) DAY AS TIMESTAMP) AS timestamp, a AS asset_id, "
                     "CAST(10 * k + d + 1 AS DOUBLE) AS open, CAST(10 * k + d + 2 AS DOUBLE) AS high, "
                     "CAST(10 * k + d AS DOUBLE) AS low, CAST(10 * k + d + 1 AS DOUBLE) AS close, 100 AS volume "
                     "FROM (VALUES ('AAA', 1), ('BBB', 2), ('CCC', 3)) x(a, k), range(1, 5) r(d) "
                     "WHERE NOT (a = 'BBB' AND d = 1) AND NOT (a = 'CCC' AND d = 3) ORDER BY 1, 2");
    // vix stamped each day: 100 + day.
    testing::copy_to(dir / "context.parquet",
                     "SELECT CAST(DATE '2024-01-01' + INTERVAL (d) DAY AS TIMESTAMP) AS timestamp, "
                     "CAST(100 + d + 1 AS DOUBLE) AS vix FROM range(1, 5) r(d)");
  }
  ColumnarFeedOptions options(std::vector<std::string> assets) const {
    ColumnarFeedOptions o;
    o.prices = (dir / "prices.parquet").string();
    o.context = DataSource((dir / "context.parquet").string());
    o.assets = std::move(assets);
    return o;
  }
  std::filesystem::path dir;
};

std::vector<std::string> flat_keys(DataFeed& feed) {
  std::vector<std::string> out;
  for (const MarketEvent& e : feed) {
    out.push_back(fmt::format("{} {} {} {}", e.timestamp().date_string(), e.symbol(), e.close(), e.context().get("vix")));
  }
  return out;
}

TEST_F(SharedScanTest, PerAssetFeedsShareOneScanAndTheUniverseContext) {
  ColumnarDataFeed universe(options({}));
  const auto expected = flat_keys(universe);
  // NEXT_BAR on the merged timeline: day d sees vix stamped d-1 (100 + d - 1), BBB's
  // first bar (day 3) included, though it is BBB's first bar.
  ASSERT_THAT(expected, ::testing::ElementsAre("2024-01-02 AAA 12 nan", "2024-01-02 CCC 32 nan",
                                               "2024-01-03 AAA 13 102", "2024-01-03 BBB 23 102",
                                               "2024-01-03 CCC 33 102", "2024-01-04 AAA 14 103",
                                               "2024-01-04 BBB 24 103", "2024-01-05 AAA 15 104",
                                               "2024-01-05 BBB 25 104", "2024-01-05 CCC 35 104"));
  for (const std::vector<std::string>& order :
       {std::vector<std::string>{"AAA", "BBB", "CCC"}, std::vector<std::string>{"CCC", "BBB", "AAA"}}) {
    std::vector<std::unique_ptr<ColumnarDataFeed>> feeds;
    MultiSourceClock clock;
    for (const auto& a : order) {
      feeds.push_back(std::make_unique<ColumnarDataFeed>(options({a})));
      clock.add_source(*feeds.back());
    }
    EXPECT_EQ(clock.num_scans(), 3u);
    EXPECT_EQ(flat_keys(clock), expected);
    EXPECT_EQ(clock.num_sources(), 3u);
    EXPECT_EQ(clock.num_scans(), 1u);
    for (const auto& f : feeds) EXPECT_EQ(f->rows_read(), 0u);  // never read: the shared scan was
    EXPECT_TRUE(clock.naive_timestamps());
  }
}

TEST_F(SharedScanTest, FeedsWithOtherSettingsOrPrioritiesKeepTheirOwnScan) {
  ColumnarDataFeed a(options({"AAA"}));
  auto b_options = options({"BBB"});
  b_options.timing.mode = SignalTimingMode::kStrict;
  ColumnarDataFeed b(b_options);
  ColumnarDataFeed c(options({"CCC"}));
  MultiSourceClock clock;
  clock.add_source(a);
  clock.add_source(b);
  clock.add_source(c, 1);
  EXPECT_EQ(flat_keys(clock).size(), 10u);
  EXPECT_EQ(clock.num_scans(), 3u);
}

TEST_F(SharedScanTest, AnAssetListedByTwoFeedsIsAConfigError) {
  ColumnarDataFeed a(options({"AAA", "BBB"}));
  ColumnarDataFeed b(options({"BBB"}));
  MultiSourceClock clock;
  clock.add_source(a);
  clock.add_source(b);
  try {
    clock.next_group();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "MultiSourceClock: feeds #0 and #1 both read asset BBB from " +
                                         (dir / "prices.parquet").string() + "; give each asset to one feed");
  }
}

TEST(MultiSourceClock, MergesSchemasAsUnionWithMissingAsNaN) {
  auto a = InMemoryDataFeed::Builder({"pred", "mom"}, {"vix"})
               .add_bar(day(2), "AAA", bar(1), {0.5, 0.1})
               .add_context(day(2), {20.0})
               .build();
  auto b = InMemoryDataFeed::Builder({"mom", "vol"}, {"spx", "vix"})
               .add_bar(day(2), "BBB", bar(2), {0.2, 0.3})
               .add_context(day(2), {4000.0, 99.0})
               .add_bar(day(3), "BBB", bar(3), {0.4, 0.6})
               .add_context(day(3), {4100.0, 21.0})
               .build();
  MultiSourceClock clock;
  clock.add_source(std::move(a));
  clock.add_source(std::move(b));
  EXPECT_THAT(clock.schema().signal_names(), ::testing::ElementsAre("pred", "mom", "vol"));
  EXPECT_THAT(clock.schema().context_names(), ::testing::ElementsAre("vix", "spx"));

  auto g = clock.next_group();
  ASSERT_TRUE(g.valid());
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].symbol(), "AAA");
  EXPECT_EQ(g[0].signals().get("pred"), 0.5);
  EXPECT_EQ(g[0].signals().get("mom"), 0.1);
  EXPECT_TRUE(std::isnan(g[0].signals().get("vol")));
  EXPECT_EQ(g[1].symbol(), "BBB");
  EXPECT_TRUE(std::isnan(g[1].signals().get("pred")));
  EXPECT_EQ(g[1].signals().get("mom"), 0.2);
  EXPECT_EQ(g[1].signals().get("vol"), 0.3);
  // vix from the first source with a value (a: 20, not b's 99); spx only from b.
  EXPECT_EQ(g.context().get("vix"), 20.0);
  EXPECT_EQ(g.context().get("spx"), 4000.0);

  g = clock.next_group();
  ASSERT_TRUE(g.valid());
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].close(), 3.0);
  EXPECT_EQ(g[0].signals().get("vol"), 0.6);
  EXPECT_EQ(g.context().get("vix"), 21.0);  // a has no bar on day 3, so b's value
  EXPECT_EQ(g.context().get("spx"), 4100.0);
  EXPECT_FALSE(clock.next_group().valid());
}

TEST(MultiSourceClock, EmptyFeedsAndNoSources) {
  MultiSourceClock none;
  EXPECT_TRUE(none.is_exhausted());
  EXPECT_FALSE(none.next_group().valid());

  MultiSourceClock clock;
  clock.add_source(InMemoryDataFeed::Builder().build());
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(5), "AAA", bar(7)).build());
  clock.add_source(InMemoryDataFeed::Builder().build());
  EXPECT_FALSE(clock.is_exhausted());
  EXPECT_THAT(drain(clock), ::testing::ElementsAre("2024-01-05 AAA 7"));
  EXPECT_TRUE(clock.is_exhausted());
}

TEST(MultiSourceClock, NonOwnedSourcesAndBarValues) {
  auto a = InMemoryDataFeed::Builder().add_bar(day(2), "AAA", Bar{1, 4, 0.5, 2, 1000}).build();
  MultiSourceClock clock;
  clock.add_source(*a);
  auto e = clock.next_event();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->open(), 1.0);
  EXPECT_EQ(e->high(), 4.0);
  EXPECT_EQ(e->low(), 0.5);
  EXPECT_EQ(e->close(), 2.0);
  EXPECT_EQ(e->volume(), 1000.0);
  EXPECT_EQ(e->timestamp(), day(2));
}

TEST(MultiSourceClock, SameAssetFromTwoSourcesAtOneTimestampIsADataError) {
  MultiSourceClock clock;
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "AAA", bar(1)).build());
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "AAA", bar(2)).build());
  try {
    clock.next_group();
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "MultiSourceClock: asset AAA has two bars at 2024-01-02T00:00:00Z (source #1 repeats a bar of an earlier source); "
              "give each asset to one source only, or drop the duplicate bars");
  }
}

TEST(MultiSourceClock, AddingSourcesAfterReadingOrANullFeedIsAConfigError) {
  MultiSourceClock clock;
  EXPECT_THROW(clock.add_source(std::unique_ptr<DataFeed>()), ConfigError);
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "AAA", bar(1)).build());
  clock.next_group();
  try {
    clock.add_source(InMemoryDataFeed::Builder().build());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("add every source before the first read"));
  }
}

TEST(MultiSourceClock, ReusesItsBatchInSteadyState) {
  InMemoryDataFeed::Builder ba, bb;
  for (unsigned d = 1; d <= 28; ++d) {
    ba.add_bar(day(d), "AAA", bar(d));
    bb.add_bar(day(d), "BBB", bar(100 + d));
  }
  MultiSourceClock clock;
  clock.add_source(ba.build());
  clock.add_source(bb.build());
  auto g = clock.next_group();
  const Batch* batch = &g.batch();
  const double* close_data = g.batch().close().data();
  size_t groups = 1;
  double sum = 0;
  for (; g.valid(); g = clock.next_group()) {
    EXPECT_EQ(&g.batch(), batch);
    EXPECT_EQ(g.batch().close().data(), close_data);  // no reallocation after the first group
    ASSERT_EQ(g.size(), 2u);
    sum += g[0].close() + g[1].close();
    ++groups;
  }
  EXPECT_EQ(groups, 29u);
  // sum over d=1..28 of d + (100 + d) = 2 * 406 + 2800 = 3612.
  EXPECT_EQ(sum, 3612.0);
}

}  // namespace
}  // namespace ml4t::backtest
