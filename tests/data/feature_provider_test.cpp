#include "ml4t/backtest/data/feature_provider.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "data/feed_fixtures.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

using testing::copy_to;
using testing::drain;
using testing::same;
using testing::scratch_dir;

Timestamp at(const char* hhmmss) { return Timestamp::parse(std::string("2024-01-02T") + hhmmss + "Z"); }

struct ProviderTest : ::testing::Test {
  void SetUp() override {
    dir = scratch_dir();
    copy_to(
        dir / "p.parquet",
        "SELECT CAST(t AS TIMESTAMP) AS timestamp, 'A' AS asset_id, 1.0 AS open, 1.0 AS high, 1.0 AS low, "
        "1.0 AS close FROM (VALUES ('2024-01-02 10:00:00'), ('2024-01-02 10:01:00'), ('2024-01-02 10:02:00')) x(t)");
    // Per-asset rsi and market-wide vix in one file; market rows have a NULL asset.
    copy_to(
        dir / "f.parquet",
        "SELECT CAST(t AS TIMESTAMP) AS timestamp, a AS asset_id, CAST(r AS DOUBLE) AS rsi, CAST(v AS DOUBLE) AS vix "
        "FROM (VALUES ('2024-01-02 10:00:00', 'A', 50, NULL), ('2024-01-02 10:00:00', NULL, NULL, 20), "
        "('2024-01-02 10:01:00', 'A', 55, NULL), ('2024-01-02 10:01:00', NULL, NULL, 21)) x(t, a, r, v)");
  }
  std::vector<testing::Flat> run(std::shared_ptr<FeatureProvider> provider, SignalTimingMode mode) {
    ColumnarFeedOptions o;
    o.prices = (dir / "p.parquet").string();
    o.feature_provider = std::move(provider);
    o.timing.mode = mode;
    ColumnarDataFeed feed(o);
    EXPECT_EQ(feed.schema().signal_names(), std::vector<std::string>{"rsi"});
    EXPECT_EQ(feed.schema().context_names(), std::vector<std::string>{"vix"});
    return drain(feed);
  }
  std::filesystem::path dir;
};

TEST_F(ProviderTest, PrecomputedFileIsStreamedWithMarketRowsAsContext) {
  auto provider = std::make_shared<PrecomputedFeatureProvider>(DataSource((dir / "f.parquet").string()),
                                                               std::vector<std::string>{"vix"});
  EXPECT_NE(provider->streamable_source(), nullptr);
  const auto strict = run(provider, SignalTimingMode::kStrict);
  ASSERT_EQ(strict.size(), 3u);
  EXPECT_EQ(strict[0].signals[0], 50.0);
  EXPECT_EQ(strict[1].signals[0], 55.0);
  EXPECT_EQ(strict[2].signals[0], 55.0);
  EXPECT_EQ(strict[0].context[0], 20.0);
  EXPECT_EQ(strict[2].context[0], 21.0);
  const auto next = run(provider, SignalTimingMode::kNextBar);
  EXPECT_TRUE(std::isnan(next[0].signals[0]));
  EXPECT_EQ(next[1].signals[0], 50.0);
  EXPECT_EQ(next[2].signals[0], 55.0);
  EXPECT_TRUE(std::isnan(next[0].context[0]));
  EXPECT_EQ(next[1].context[0], 20.0);
}

TEST_F(ProviderTest, PrecomputedDirectLookupsAreAsOf) {
  PrecomputedFeatureProvider provider(DataSource((dir / "f.parquet").string()), std::vector<std::string>{"vix"});
  EXPECT_EQ(provider.feature_names(), std::vector<std::string>{"rsi"});
  EXPECT_TRUE(std::isnan(provider.get_features("A", at("09:59:59"))[0]));
  EXPECT_EQ(provider.get_features("A", at("10:00:30"))[0], 50.0);
  EXPECT_EQ(provider.get_features("A", at("10:05:00"))[0], 55.0);
  EXPECT_TRUE(std::isnan(provider.get_features("B", at("10:05:00"))[0]));
  EXPECT_EQ(provider.get_market_features(at("10:01:00"))[0], 21.0);
}

TEST_F(ProviderTest, InMemoryProviderIsAskedAsOfTheBarLagBarsBack) {
  auto provider = std::make_shared<PrecomputedFeatureProvider>(
      std::vector<Timestamp>{at("10:00:00"), at("10:01:00"), at("10:00:00"), at("10:01:00")},
      std::vector<std::string>{"A", "A", "", ""},
      std::map<std::string, std::vector<double>>{{"rsi", {50, 55, kMissing, kMissing}}},
      std::map<std::string, std::vector<double>>{{"vix", {kMissing, kMissing, 20, 21}}});
  EXPECT_EQ(provider->streamable_source(), nullptr);
  EXPECT_EQ(provider->get_features("A", at("10:00:59"))[0], 50.0);
  // Slow path through the feed: same answers as the streamed file.
  const auto next = run(provider, SignalTimingMode::kNextBar);
  ASSERT_EQ(next.size(), 3u);
  EXPECT_TRUE(std::isnan(next[0].signals[0]));
  EXPECT_EQ(next[1].signals[0], 50.0);
  EXPECT_EQ(next[2].signals[0], 55.0);
  EXPECT_TRUE(same(next[0].context[0], kMissing));
  EXPECT_EQ(next[1].context[0], 20.0);
  EXPECT_EQ(next[2].context[0], 21.0);
}

TEST_F(ProviderTest, CallableProviderIsCalledPerEventWithOptionalCache) {
  // rsi = minutes past 10:00 of the time asked; vix = 100 + that.
  auto minutes = [](Timestamp ts) { return static_cast<double>((ts - at("10:00:00")).count() / 60'000'000'000LL); };
  auto provider = std::make_shared<CallableFeatureProvider>(
      std::vector<std::string>{"rsi"}, [&](std::string_view, Timestamp ts) { return std::vector<double>{minutes(ts)}; },
      std::vector<std::string>{"vix"}, [&](Timestamp ts) { return std::vector<double>{100 + minutes(ts)}; },
      /*cache=*/true);
  const auto strict = run(provider, SignalTimingMode::kStrict);
  ASSERT_EQ(strict.size(), 3u);
  EXPECT_EQ(strict[2].signals[0], 2.0);
  EXPECT_EQ(strict[2].context[0], 102.0);
  EXPECT_EQ(provider->calls(), 6u);  // 3 bars + 3 timestamps
  run(provider, SignalTimingMode::kStrict);
  EXPECT_EQ(provider->calls(), 6u);  // all cached
  const auto next = run(provider, SignalTimingMode::kNextBar);
  EXPECT_TRUE(std::isnan(next[0].signals[0]));
  EXPECT_EQ(next[2].signals[0], 1.0);  // asked as of 10:01

  // Without the cache every event and every timestamp calls the functions again.
  auto uncached = std::make_shared<CallableFeatureProvider>(
      std::vector<std::string>{"rsi"}, [&](std::string_view, Timestamp ts) { return std::vector<double>{minutes(ts)}; },
      std::vector<std::string>{"vix"}, [&](Timestamp ts) { return std::vector<double>{100 + minutes(ts)}; });
  EXPECT_EQ(run(uncached, SignalTimingMode::kStrict)[1].signals[0], 1.0);
  EXPECT_EQ(uncached->calls(), 6u);
  run(uncached, SignalTimingMode::kStrict);
  EXPECT_EQ(uncached->calls(), 12u);

  CallableFeatureProvider bad({"a"}, [](std::string_view, Timestamp) { return std::vector<double>{1, 2}; });
  EXPECT_THROW(bad.get_features("A", at("10:00:00")), ConfigError);
}

TEST_F(ProviderTest, MarketColumnMissingFromTheFile) {
  try {
    PrecomputedFeatureProvider provider(DataSource((dir / "f.parquet").string()), std::vector<std::string>{"spy"});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("market-wide column \"spy\" is not in"), std::string::npos) << e.what();
  }
}

TEST_F(ProviderTest, MarketColumnsOfAFileAreFoundFromItsNullAssetRows) {
  // f.parquet: rsi only on asset rows, vix only on market rows (asset NULL).
  PrecomputedFeatureProvider provider(DataSource((dir / "f.parquet").string()));
  EXPECT_EQ(provider.feature_names(), std::vector<std::string>{"rsi"});
  EXPECT_EQ(provider.market_feature_names(), std::vector<std::string>{"vix"});
  EXPECT_EQ(provider.get_market_features(at("10:05:00"))[0], 21.0);
  // The same as naming vix by hand: streamed as context.
  const auto strict = run(std::make_shared<PrecomputedFeatureProvider>(DataSource((dir / "f.parquet").string())),
                          SignalTimingMode::kStrict);
  ASSERT_EQ(strict.size(), 3u);
  EXPECT_EQ(strict[1].context[0], 21.0);
  EXPECT_EQ(strict[1].signals[0], 55.0);

  // An empty list says "no market columns": vix is per-asset (its market rows unused).
  PrecomputedFeatureProvider none(DataSource((dir / "f.parquet").string()), std::vector<std::string>{});
  EXPECT_EQ(none.feature_names(), (std::vector<std::string>{"rsi", "vix"}));

  // No null asset at all (Parquet statistics say so): every column per-asset.
  copy_to(dir / "g.parquet", "SELECT TIMESTAMP '2024-01-02 10:00:00' AS timestamp, 'A' AS asset_id, 1.0 AS x");
  PrecomputedFeatureProvider plain(DataSource((dir / "g.parquet").string()));
  EXPECT_EQ(plain.feature_names(), std::vector<std::string>{"x"});
  EXPECT_TRUE(plain.market_feature_names().empty());
}

TEST_F(ProviderTest, AColumnWithValuesOnBothKindsOfRowsNeedsMarketColumns) {
  copy_to(dir / "both.csv",
          "SELECT * FROM (VALUES (TIMESTAMP '2024-01-02 10:00:00', 'A', 1.0), (TIMESTAMP '2024-01-02 10:00:00', NULL, "
          "2.0)) x(timestamp, asset_id, vix)",
          "FORMAT csv, HEADER");
  try {
    PrecomputedFeatureProvider provider(DataSource((dir / "both.csv").string()));
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "features: column \"vix\" of " + (dir / "both.csv").string() +
                  " has values on market-wide rows (asset_id is null) and on per-asset rows; pass market_columns "
                  "naming the market-wide columns (the other columns' market rows are then ignored), or split the "
                  "file");
  }
}

}  // namespace
}  // namespace ml4t::backtest
