#include "ml4t/backtest/data/signal_timing.hpp"

#include <gtest/gtest.h>

#include "data/feed_fixtures.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/data/feature_provider.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

using testing::copy_to;
using testing::drain;
using testing::scratch_dir;

Timestamp at(const char* hhmmss) { return Timestamp::parse(std::string("2024-01-02T") + hhmmss + "Z"); }

struct TimingReportTest : ::testing::Test {
  void SetUp() override {
    dir = scratch_dir();
    // A: bars 10:00, 10:01, 10:02; B: bars 10:00, 10:01.
    copy_to(dir / "p.parquet",
            "SELECT CAST(t AS TIMESTAMP) AS timestamp, a AS asset_id, 1.0 AS open, 1.0 AS high, 1.0 AS low, "
            "1.0 AS close FROM (VALUES ('2024-01-02 10:00:00', 'A'), ('2024-01-02 10:01:00', 'A'), "
            "('2024-01-02 10:02:00', 'A'), ('2024-01-02 10:00:00', 'B'), ('2024-01-02 10:01:00', 'B')) x(t, a)");
    // Rows 0..6 in this order.
    copy_to(dir / "s.parquet",
            "SELECT CAST(t AS TIMESTAMP) AS timestamp, a AS asset_id, 0.5 AS ml_pred FROM (VALUES "
            "('2024-01-02 10:00:00', 'A'), ('2024-01-02 10:00:30', 'A'), ('2024-01-02 10:05:00', 'A'), "
            "('2024-01-02 10:01:00', 'B'), ('2024-01-02 10:01:00', 'B'), ('2024-01-02 10:00:00', 'C'), "
            "('2024-01-02 09:59:00', 'B')) x(t, a)");
  }
  std::filesystem::path dir;
};

TEST_F(TimingReportTest, ReportsEveryKindWithTheBarItWouldBeUsedAt) {
  SignalTiming timing;  // NEXT_BAR
  const auto report = validate_signal_timing((dir / "s.parquet").string(), (dir / "p.parquet").string(), timing, false);
  EXPECT_FALSE(report.is_valid);
  ASSERT_EQ(report.violations.size(), 5u);
  using K = TimingViolation::Kind;
  const auto& v = report.violations;
  // A 10:00:30: first A bar at/after it is 10:01 (index 1); NEXT_BAR uses index 2 = 10:02.
  EXPECT_EQ(v[0].kind, K::kNotOnBar);
  EXPECT_EQ(v[0].asset, "A");
  EXPECT_EQ(v[0].signal_time, at("10:00:30"));
  EXPECT_EQ(v[0].used_at, at("10:02:00"));
  EXPECT_EQ(v[0].row, 1);
  EXPECT_EQ(v[0].file, (dir / "s.parquet").string());
  EXPECT_NE(v[0].message.find("not on a bar of A"), std::string::npos) << v[0].message;
  EXPECT_EQ(v[1].kind, K::kAfterLastBar);
  EXPECT_EQ(v[1].signal_time, at("10:05:00"));
  EXPECT_FALSE(v[1].used_at);
  EXPECT_EQ(v[1].row, 2);
  // B 09:59: before B's first bar (10:00, index 0); NEXT_BAR uses 10:01.
  EXPECT_EQ(v[2].kind, K::kBeforeFirstBar);
  EXPECT_EQ(v[2].asset, "B");
  EXPECT_EQ(v[2].used_at, at("10:01:00"));
  EXPECT_EQ(v[2].row, 6);
  // B 10:01 twice: B has no bar after 10:01, so with NEXT_BAR it is never used.
  EXPECT_EQ(v[3].kind, K::kDuplicate);
  EXPECT_EQ(v[3].signal_time, at("10:01:00"));
  EXPECT_FALSE(v[3].used_at);
  EXPECT_EQ(v[4].kind, K::kUnknownAsset);
  EXPECT_EQ(v[4].asset, "C");
  EXPECT_EQ(v[4].row, 5);
}

TEST_F(TimingReportTest, StrictUsesTheFirstBarAtOrAfterTheStamp) {
  SignalTiming timing;
  timing.mode = SignalTimingMode::kStrict;
  const auto report = validate_signal_timing((dir / "s.parquet").string(), (dir / "p.parquet").string(), timing, false);
  ASSERT_EQ(report.violations.size(), 5u);
  EXPECT_EQ(report.violations[0].used_at, at("10:01:00"));
  EXPECT_EQ(report.violations[3].used_at, at("10:01:00"));
}

TEST_F(TimingReportTest, FailOnViolationThrowsNamingTheFirstOffenders) {
  try {
    validate_signal_timing((dir / "s.parquet").string(), (dir / "p.parquet").string(), SignalTiming{}, true);
    FAIL();
  } catch (const SignalTimingViolation& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("signal timing (NEXT_BAR, lag 1 bars): 5 violation(s)"), std::string::npos) << m;
    EXPECT_NE(m.find("asset A: signal stamped 2024-01-02T10:00:30Z is not on a bar of A"), std::string::npos) << m;
    EXPECT_NE(m.find("s.parquet row 1]"), std::string::npos) << m;
  }
}

TEST_F(TimingReportTest, AlignedSignalsAreValidAndTheFeedRunsTheCheckWhenAsked) {
  copy_to(dir / "ok.parquet", "SELECT TIMESTAMP '2024-01-02 10:00:00' AS timestamp, 'A' AS asset_id, 0.5 AS ml_pred");
  EXPECT_TRUE(validate_signal_timing((dir / "ok.parquet").string(), (dir / "p.parquet").string(), {}, true).is_valid);

  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.signals = DataSource((dir / "s.parquet").string());
  o.bad_data = BadDataPolicy::kDrop;  // C has no bars
  o.timing.validate = true;
  ColumnarDataFeed feed(o);
  EXPECT_THROW(feed.next_event(), SignalTimingViolation);

  o.timing.fail_on_violation = false;  // validated, reported as a warning, run continues
  std::vector<std::string> warnings;
  o.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  ColumnarDataFeed lenient(o);
  EXPECT_EQ(drain(lenient).size(), 5u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "signal timing report for " + (dir / "s.parquet").string() +
                             ": 5 problem(s); first: asset A: signal stamped 2024-01-02T10:00:30Z is not on a bar "
                             "of A (used at the bar 2024-01-02T10:02:00Z with lag 1); a join on exact or rounded-down "
                             "timestamps would use it too early");
}

TEST_F(TimingReportTest, FeatureFilesAreValidatedToo) {
  copy_to(dir / "f.parquet", "SELECT TIMESTAMP '2024-01-02 10:00:30' AS timestamp, 'A' AS asset_id, 50.0 AS rsi");
  ColumnarFeedOptions o;
  o.prices = (dir / "p.parquet").string();
  o.feature_provider = std::make_shared<PrecomputedFeatureProvider>(DataSource((dir / "f.parquet").string()));
  o.timing.validate = true;
  ColumnarDataFeed feed(o);
  // The check runs in the merge: the 10:00 group is clean and served; building the 10:01
  // group consumes the 10:00:30 row, which is on no bar of A.
  ASSERT_TRUE(feed.next_group().valid());
  try {
    feed.next_group();
    FAIL();
  } catch (const SignalTimingViolation& e) {
    EXPECT_NE(std::string(e.what()).find("1 violation(s) in " + (dir / "f.parquet").string()), std::string::npos)
        << e.what();
  }
}

TEST_F(TimingReportTest, CustomLagMovesTheBarItIsUsedAt) {
  SignalTiming timing;
  timing.mode = SignalTimingMode::kCustom;
  timing.lag = 1;  // same as NEXT_BAR
  auto report = validate_signal_timing((dir / "s.parquet").string(), (dir / "p.parquet").string(), timing, false);
  ASSERT_EQ(report.violations.size(), 5u);
  EXPECT_EQ(report.violations[0].used_at, at("10:02:00"));
  EXPECT_EQ(report.violations[2].used_at, at("10:01:00"));
  timing.lag = 2;  // A 10:00:30 -> index 1 + 2 = 3: A has 3 bars, never used; B 09:59 -> index 2: none
  report = validate_signal_timing((dir / "s.parquet").string(), (dir / "p.parquet").string(), timing, false);
  ASSERT_EQ(report.violations.size(), 5u);
  EXPECT_FALSE(report.violations[0].used_at);
  EXPECT_FALSE(report.violations[2].used_at);
  EXPECT_NE(report.violations[0].message.find("(never used with lag 2)"), std::string::npos)
      << report.violations[0].message;
}

TEST(SignalTimingMode, ParseAndLag) {
  EXPECT_EQ(parse_signal_timing_mode("STRICT"), SignalTimingMode::kStrict);
  EXPECT_EQ(parse_signal_timing_mode("next_bar"), SignalTimingMode::kNextBar);
  EXPECT_EQ(parse_signal_timing_mode("Custom"), SignalTimingMode::kCustom);
  EXPECT_THROW(parse_signal_timing_mode("later"), ConfigError);
  SignalTiming t;
  EXPECT_EQ(t.lag_bars(), 1);  // NEXT_BAR is the default
  t.mode = SignalTimingMode::kCustom;
  t.lag = 3;
  EXPECT_EQ(t.lag_bars(), 3);
  t.mode = SignalTimingMode::kStrict;
  EXPECT_EQ(t.lag_bars(), 0);
}

}  // namespace
}  // namespace ml4t::backtest
