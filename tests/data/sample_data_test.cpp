#include "ml4t/backtest/data/sample_data.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double scalar(duck::Connection& con, const std::string& sql) {
  auto result = con.query("SELECT (" + sql + ")::DOUBLE");
  auto chunk = result.fetch();
  return chunk.data<double>(0)[0];
}

TEST(SampleData, DefaultShapeAndInvariants) {
  SampleDataOptions options;
  options.out_dir = testing::scratch_dir();
  const auto summary = generate_sample_data(options);
  EXPECT_EQ(summary.bars, 5u * 60u);
  EXPECT_EQ(summary.timestamps, 60u);
  EXPECT_EQ(summary.symbols, (std::vector<std::string>{"AAPL", "AMZN", "GOOGL", "MSFT", "NVDA"}));
  EXPECT_EQ(summary.first.to_string(), "2024-01-02T00:00:00Z");
  // 60 weekdays from Tue 2024-01-02: 12 weeks end on Mon 2024-03-25.
  EXPECT_EQ(summary.last.to_string(), "2024-03-25T00:00:00Z");
  ASSERT_EQ(summary.files.size(), 4u);
  EXPECT_EQ(summary.files[3].rows, 60u);

  duck::Database db;
  duck::Connection con(db);
  const std::string prices = "'" + (options.out_dir / "prices.parquet").string() + "'";
  const std::string signals = "'" + (options.out_dir / "signals.parquet").string() + "'";
  EXPECT_EQ(scalar(con, "SELECT count(*) FROM " + prices + " WHERE NOT (low <= least(open, close) AND "
                     "greatest(open, close) <= high AND low > 0 AND volume > 0)"), 0);
  EXPECT_EQ(scalar(con, "SELECT count(*) FROM " + prices + " WHERE dayofweek(timestamp) IN (0, 6)"), 0);
  // Sorted by (timestamp, asset): each row is after the one before.
  EXPECT_EQ(scalar(con, "SELECT count(*) FROM (SELECT timestamp, asset_id, lag(timestamp) OVER w AS pt, "
                     "lag(asset_id) OVER w AS pa FROM read_parquet(" + prices + ", file_row_number = true) "
                     "WINDOW w AS (ORDER BY file_row_number)) WHERE pt IS NOT NULL AND (timestamp, asset_id) <= (pt, pa)"), 0);
  EXPECT_EQ(scalar(con, "SELECT count(*) FROM " + signals + " WHERE ml_pred NOT BETWEEN 0 AND 1 OR "
                     "confidence NOT BETWEEN 0.5 AND 1"), 0);
}

TEST(SampleData, SameSeedSameBytesOtherSeedOtherData) {
  SampleDataOptions options;
  options.symbols = 3;
  options.days = 10;
  options.frequency = BarFrequency::kHourly;
  const auto base = testing::scratch_dir();
  options.out_dir = base / "a";
  generate_sample_data(options);
  options.out_dir = base / "b";
  generate_sample_data(options);
  options.out_dir = base / "c";
  options.seed = 7;
  generate_sample_data(options);
  for (const char* name : {"prices.parquet", "signals.parquet", "features.parquet", "context.parquet"}) {
    EXPECT_EQ(read_bytes(base / "a" / name), read_bytes(base / "b" / name)) << name;
    EXPECT_NE(read_bytes(base / "a" / name), read_bytes(base / "c" / name)) << name;
  }
}

TEST(SampleData, IntradayBarsFollowTheSession) {
  SampleDataOptions options;
  options.out_dir = testing::scratch_dir();
  options.symbols = 2;
  options.days = 2;
  options.frequency = BarFrequency::kMinute;
  const auto summary = generate_sample_data(options);
  EXPECT_EQ(summary.bars, 2u * 2u * 390u);
  EXPECT_EQ(summary.first.to_string(), "2024-01-02T14:30:00Z");
  EXPECT_EQ(summary.last.to_string(), "2024-01-03T20:59:00Z");
  // Every bar inside 14:30-21:00 UTC, one per minute: 390 distinct times a day, each
  // with both assets.
  duck::Database db;
  duck::Connection con(db);
  con.execute("SET TimeZone = 'UTC'");
  const std::string prices = "'" + (options.out_dir / "prices.parquet").string() + "'";
  EXPECT_EQ(scalar(con, "SELECT count(*) FROM " + prices +
                            " WHERE hour(timestamp) * 60 + minute(timestamp) NOT BETWEEN 870 AND 1259 "
                            "OR second(timestamp) <> 0"),
            0);
  EXPECT_EQ(scalar(con, "SELECT count(*) FROM (SELECT CAST(timestamp AS DATE) AS d, count(DISTINCT timestamp) AS n, "
                        "count(*) AS rows FROM " + prices + " GROUP BY d) WHERE n = 390 AND rows = 780"),
            2);
}

// RSI(14) and ATR(20) recomputed here from the prices file (Wilder's smoothing) must
// match the features file: the generator's indicators are point-in-time.
TEST(SampleData, FeaturesMatchAnIndependentRecomputation) {
  SampleDataOptions options;
  options.out_dir = testing::scratch_dir();
  options.symbols = 2;
  options.days = 40;
  generate_sample_data(options);
  duck::Database db;
  duck::Connection con(db);
  auto result = con.query("SELECT p.asset_id, p.high, p.low, p.close, f.rsi_14, f.atr_20 FROM '" +
                          (options.out_dir / "prices.parquet").string() + "' p JOIN '" +
                          (options.out_dir / "features.parquet").string() +
                          "' f USING (timestamp, asset_id) ORDER BY asset_id, timestamp");
  struct State {
    std::vector<double> high, low, close;
  };
  std::map<std::string, State> by_asset;
  std::map<std::string, std::vector<std::pair<double, double>>> features;
  while (auto chunk = result.fetch()) {
    for (size_t r = 0; r < chunk.size(); ++r) {
      auto& s = by_asset[std::string(chunk.string_at(0, r))];
      s.high.push_back(chunk.data<double>(1)[r]);
      s.low.push_back(chunk.data<double>(2)[r]);
      s.close.push_back(chunk.data<double>(3)[r]);
      const double rsi = duck::DataChunk::is_valid(chunk.validity(4), r) ? chunk.data<double>(4)[r] : NAN;
      const double atr = duck::DataChunk::is_valid(chunk.validity(5), r) ? chunk.data<double>(5)[r] : NAN;
      features[std::string(chunk.string_at(0, r))].emplace_back(rsi, atr);
    }
  }
  ASSERT_EQ(by_asset.size(), 2u);
  for (const auto& [asset, s] : by_asset) {
    const auto& f = features[asset];
    ASSERT_EQ(f.size(), 40u);
    // RSI: plain averages of the first 14 changes, then Wilder smoothing.
    double gain = 0, loss = 0;
    for (size_t i = 1; i <= 14; ++i) {
      const double d = s.close[i] - s.close[i - 1];
      gain += std::max(d, 0.0) / 14;
      loss += std::max(-d, 0.0) / 14;
    }
    for (size_t i = 0; i < 14; ++i) EXPECT_TRUE(std::isnan(f[i].first)) << asset << " bar " << i;
    EXPECT_NEAR(f[14].first, 100 - 100 / (1 + gain / loss), 1e-9);
    for (size_t i = 15; i < 40; ++i) {
      const double d = s.close[i] - s.close[i - 1];
      gain = (gain * 13 + std::max(d, 0.0)) / 14;
      loss = (loss * 13 + std::max(-d, 0.0)) / 14;
      EXPECT_NEAR(f[i].first, 100 - 100 / (1 + gain / loss), 1e-9) << asset << " bar " << i;
    }
    // ATR: mean of the first 20 true ranges, then Wilder smoothing.
    double atr = s.high[0] - s.low[0];
    for (size_t i = 1; i < 20; ++i) {
      atr += std::max({s.high[i] - s.low[i], std::abs(s.high[i] - s.close[i - 1]), std::abs(s.low[i] - s.close[i - 1])});
    }
    atr /= 20;
    EXPECT_TRUE(std::isnan(f[18].second));
    EXPECT_NEAR(f[19].second, atr, 1e-9);
    for (size_t i = 20; i < 40; ++i) {
      const double tr = std::max({s.high[i] - s.low[i], std::abs(s.high[i] - s.close[i - 1]),
                                  std::abs(s.low[i] - s.close[i - 1])});
      atr = (atr * 19 + tr) / 20;
      EXPECT_NEAR(f[i].second, atr, 1e-9);
    }
  }
}

// The signal's honest edge is small; the same signal seen one bar early is a leak.
TEST(SampleData, SignalHasSmallHonestEdgeAndALeakWouldBeLarge) {
  SampleDataOptions options;
  options.out_dir = testing::scratch_dir();
  options.symbols = 20;
  options.days = 250;
  generate_sample_data(options);
  duck::Database db;
  duck::Connection con(db);
  const std::string joined =
      "(SELECT s.asset_id, s.timestamp, s.ml_pred, lead(s.ml_pred) OVER w AS next_pred, "
      "ln(lead(p.close) OVER w / p.close) AS next_return FROM '" + (options.out_dir / "signals.parquet").string() +
      "' s JOIN '" + (options.out_dir / "prices.parquet").string() +
      "' p USING (timestamp, asset_id) WINDOW w AS (PARTITION BY asset_id ORDER BY timestamp))";
  const double honest = scalar(con, "SELECT corr(ml_pred, next_return) FROM " + joined);
  const double leaked = scalar(con, "SELECT corr(next_pred, next_return) FROM " + joined);
  EXPECT_GT(honest, 0.01);
  EXPECT_LT(honest, 0.15);
  EXPECT_GT(leaked, 0.4);
}

TEST(SampleData, RejectsBadOptions) {
  SampleDataOptions options;
  options.out_dir = testing::scratch_dir();
  options.symbols = 0;
  EXPECT_THROW(generate_sample_data(options), ConfigError);
  options.symbols = 1;
  options.days = 0;
  EXPECT_THROW(generate_sample_data(options), ConfigError);
  EXPECT_THROW(parse_bar_frequency("5min"), ConfigError);
}

}  // namespace
}  // namespace ml4t::backtest
