// Feeds and engines are single-use: a second run on a feed read to its end, or a second
// run() of an engine, is a clear ConfigError instead of a silent run with no events.
#include <gtest/gtest.h>

#include "data/feed_fixtures.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/data/in_memory_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/strategy.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

class Quiet : public Strategy {};

constexpr const char* kReadToTheEnd =
    "the feed has no events left: it was read to the end (by an earlier run or by iterating it); feeds are read "
    "once, so create a new feed for each run (an InMemoryDataFeed can be rewound)";

std::unique_ptr<InMemoryDataFeed> two_days() {
  InMemoryDataFeed::Builder builder;
  builder.add_bar(Timestamp::parse("2024-01-02"), "AAPL", Bar{10, 11, 9, 10.5, 100});
  builder.add_bar(Timestamp::parse("2024-01-03"), "AAPL", Bar{10.5, 12, 10, 11, 100});
  return builder.build();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

TEST(SingleUse, ASecondRunOnTheSameFeedIsRefused) {
  auto feed = two_days();
  Quiet s1, s2;
  BacktestEngine first(*feed, s1);
  EXPECT_EQ(first.run().events, 2u);
  BacktestEngine second(*feed, s2);
  EXPECT_EQ(error_of([&] { second.run(); }), kReadToTheEnd);
}

TEST(SingleUse, AFeedIteratedToTheEndIsRefused) {
  const auto dir = testing::scratch_dir();
  testing::copy_to(dir / "p.parquet",
                   "SELECT TIMESTAMP '2024-01-02' + to_days(d) AS timestamp, 'A' AS asset_id, 1.0 AS open, "
                   "1.0 AS high, 1.0 AS low, 1.0 AS close FROM range(3) r(d)");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  ColumnarDataFeed feed(o);
  EXPECT_EQ(testing::drain(feed).size(), 3u);
  EXPECT_TRUE(feed.reached_end());
  Quiet s;
  BacktestEngine engine(feed, s);
  EXPECT_EQ(error_of([&] { engine.run(); }), kReadToTheEnd);
}

TEST(SingleUse, APartlyReadFeedRunsTheRestAndARewoundFeedRunsAgain) {
  auto feed = two_days();
  ASSERT_TRUE(feed->next_group().valid());
  EXPECT_FALSE(feed->reached_end());
  Quiet s1;
  EXPECT_EQ(BacktestEngine(*feed, s1).run().events, 1u);  // the day left
  feed->rewind();
  EXPECT_FALSE(feed->reached_end());
  Quiet s2;
  EXPECT_EQ(BacktestEngine(*feed, s2).run().events, 2u);
}

TEST(SingleUse, AnEmptyFeedNeverReadRunsWithNoEvents) {
  InMemoryDataFeed::Builder builder;
  auto feed = builder.build();
  Quiet s;
  EXPECT_EQ(BacktestEngine(*feed, s).run().events, 0u);
}

TEST(SingleUse, AnEngineRunsOnce) {
  auto feed = two_days();
  Quiet s;
  BacktestEngine engine(*feed, s);
  engine.run();
  EXPECT_EQ(error_of([&] { engine.run(); }),
            "BacktestEngine::run() was called twice; create a new engine (and feed) per run");
}

}  // namespace
}  // namespace ml4t::backtest
