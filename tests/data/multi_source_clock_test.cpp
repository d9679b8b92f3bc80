#include "ml4t/backtest/data/multi_source_clock.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/in_memory_feed.hpp"

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

TEST(MultiSourceClock, TiesGoByPriorityThenSequence) {
  MultiSourceClock clock;
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "S0", bar(1)).build(), 5);  // sequence 0
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "S1", bar(2)).build(), 1);  // sequence 1
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "S2", bar(3)).build(), 5);  // sequence 2
  clock.add_source(InMemoryDataFeed::Builder().add_bar(day(2), "S3", bar(4)).build(), 1);  // sequence 3
  // Priority 1 first (S1 then S3 by sequence), then priority 5 (S0 then S2).
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
  // Source b (sequence 0) first; source a in its own (symbol-sorted) order.
  EXPECT_THAT(drain(clock), ::testing::ElementsAre("2024-01-02 MMM 3", "2024-01-02 AAA 2", "2024-01-02 ZZZ 1"));
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
