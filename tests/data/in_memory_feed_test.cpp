#include "ml4t/backtest/data/in_memory_feed.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {
namespace {

std::unique_ptr<InMemoryDataFeed> three_bars() {
  const auto t0 = Timestamp::parse("2024-01-02");
  const auto t1 = Timestamp::parse("2024-01-03");
  InMemoryDataFeed::Builder builder({"ml_pred"}, {"vix"});
  // Added out of order: the builder sorts by (timestamp, symbol).
  builder.add_bar(t1, "AAPL", Bar{11, 12, 10, 11.5, 100}, {0.7});
  builder.add_bar(t0, "MSFT", Bar{20, 21, 19, 20.5, 200}, {0.2});
  builder.add_bar(t0, "AAPL", Bar{10, 11, 9, 10.5, 100}, {0.6});
  builder.add_context(t0, {18.0});
  return builder.build();
}

TEST(InMemoryDataFeed, YieldsEventsInTimestampAssetOrder) {
  auto feed = three_bars();
  std::vector<std::string> seen;
  for (const MarketEvent& e : *feed) {
    seen.push_back(e.timestamp().date_string() + " " + e.symbol() + " " + std::to_string(e.signals().get("ml_pred")));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"2024-01-02 AAPL 0.600000", "2024-01-02 MSFT 0.200000",
                                            "2024-01-03 AAPL 0.700000"}));
  EXPECT_TRUE(feed->is_exhausted());
}

TEST(InMemoryDataFeed, GroupsAndEventsInterleave) {
  auto feed = three_bars();
  EXPECT_FALSE(feed->is_exhausted());
  auto first = feed->next_event();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->symbol(), "AAPL");
  EXPECT_EQ(first->context().get("vix", 0.0), 18.0);
  // next_group skips the rest of the current group and returns the next whole one.
  auto group = feed->next_group();
  ASSERT_TRUE(group.valid());
  EXPECT_EQ(group.timestamp(), Timestamp::parse("2024-01-03"));
  EXPECT_EQ(group.size(), 1u);
  EXPECT_EQ(group.context().get("vix", -1.0), -1.0);
  EXPECT_TRUE(feed->is_exhausted());
  EXPECT_FALSE(feed->next_event());
  EXPECT_FALSE(feed->next_group().valid());
  feed->rewind();
  EXPECT_EQ(feed->next_group().size(), 2u);
}

TEST(InMemoryDataFeed, RejectsDuplicateBars) {
  InMemoryDataFeed::Builder builder;
  builder.add_bar(Timestamp::parse("2024-01-02"), "AAPL", Bar{1, 1, 1, 1, 1});
  builder.add_bar(Timestamp::parse("2024-01-02"), "AAPL", Bar{2, 2, 2, 2, 2});
  try {
    builder.build();
    FAIL();
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(), "duplicate bar for asset AAPL at 2024-01-02T00:00:00Z; keep one bar per (timestamp, asset)");
  }
}

TEST(InMemoryDataFeed, RejectsTooManySignalValues) {
  InMemoryDataFeed::Builder builder({"a"});
  EXPECT_THROW(builder.add_bar(Timestamp::parse("2024-01-02"), "X", Bar{}, {1.0, 2.0}), ConfigError);
}

}  // namespace
}  // namespace ml4t::backtest

namespace ml4t::backtest {
namespace {

TEST(InMemoryDataFeed, CollectCopiesRemainingGroups) {
  auto source = three_bars();
  source->next_group();  // the first timestamp is consumed already
  auto copy = InMemoryDataFeed::collect(*source);
  EXPECT_EQ(copy->schema(), source->schema());
  ASSERT_EQ(copy->batch().num_groups(), 1u);
  auto group = copy->next_group();
  EXPECT_EQ(group.timestamp(), Timestamp::parse("2024-01-03"));
  EXPECT_EQ(group[0].symbol(), "AAPL");
  EXPECT_EQ(group[0].close(), 11.5);
  EXPECT_EQ(group[0].signals().get("ml_pred"), 0.7);
  EXPECT_TRUE(std::isnan(group.context().get("vix")));
}

}  // namespace
}  // namespace ml4t::backtest
