#include "ml4t/backtest/core/market_event.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace ml4t::backtest {
namespace {

class BatchFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    aapl_ = symbols_.intern("AAPL");
    msft_ = symbols_.intern("MSFT");
    const auto t0 = Timestamp::parse("2025-01-15T09:30:00Z");
    const uint32_t g0 = batch_.begin_group(t0);
    batch_.set_context(g0, FieldId{0}, 18.5);
    const uint32_t r0 = batch_.add_row(aapl_, Bar{150.0, 152.0, 149.5, 151.5, 1e6});
    batch_.set_signal(r0, FieldId{0}, 0.85);
    batch_.set_signal(r0, FieldId{1}, 0.92);
    const uint32_t r1 = batch_.add_row(msft_, Bar{400.0, 401.0, 398.0, 399.0, 5e5});
    batch_.set_signal(r1, FieldId{0}, 0.10);  // confidence missing
    batch_.begin_group(t0 + std::chrono::minutes(1));  // context missing
    batch_.add_row(aapl_, Bar{151.5, 151.6, 151.0, 151.2, 2e5});
  }
  Schema schema_{{"ml_pred", "confidence"}, {"vix"}};
  SymbolTable symbols_;
  Batch batch_{&schema_, &symbols_};
  AssetId aapl_ = 0, msft_ = 0;
};

// add_rows + set_row (how the columnar feed appends a group) gives the same rows as
// add_row: bars as set, signals missing until set.
TEST_F(BatchFixture, AddRowsAppendsAGroupAtOnce) {
  const uint32_t g = batch_.begin_group(Timestamp::parse("2025-01-15T09:32:00Z"));
  const uint32_t first = batch_.add_rows(2);
  ASSERT_EQ(first, 3u);
  ASSERT_EQ(batch_.num_rows(), 5u);
  batch_.set_row(first, msft_, Bar{10.0, 11.0, 9.0, 10.5, 7.0});
  batch_.set_row(first + 1, aapl_, Bar{20.0, 21.0, 19.0, 20.5, 8.0});
  batch_.set_signal(first + 1, FieldId{1}, 0.5);
  EXPECT_EQ(batch_.group_begin(g), 3u);
  EXPECT_EQ(batch_.group_end(g), 5u);
  const MarketEvent a(batch_, first, g), b(batch_, first + 1, g);
  EXPECT_EQ(a.asset(), msft_);
  EXPECT_EQ(a.open(), 10.0);
  EXPECT_EQ(a.high(), 11.0);
  EXPECT_EQ(a.low(), 9.0);
  EXPECT_EQ(a.close(), 10.5);
  EXPECT_EQ(a.volume(), 7.0);
  EXPECT_TRUE(std::isnan(a.signals()[FieldId{0}]));
  EXPECT_TRUE(std::isnan(a.signals()[FieldId{1}]));
  EXPECT_EQ(b.asset(), aapl_);
  EXPECT_EQ(b.close(), 20.5);
  EXPECT_TRUE(std::isnan(b.signals()[FieldId{0}]));
  EXPECT_EQ(b.signals()[FieldId{1}], 0.5);
  // Earlier rows are untouched.
  EXPECT_EQ(MarketEvent(batch_, 1, 0).signals()[FieldId{0}], 0.10);
}

TEST_F(BatchFixture, EventViewReadsRowAndGroup) {
  ASSERT_EQ(batch_.num_rows(), 3u);
  ASSERT_EQ(batch_.num_groups(), 2u);
  MarketEvent e(batch_, 0, 0);
  EXPECT_EQ(e.timestamp().to_string(), "2025-01-15T09:30:00Z");
  EXPECT_EQ(e.symbol(), "AAPL");
  EXPECT_EQ(e.open(), 150.0);
  EXPECT_EQ(e.high(), 152.0);
  EXPECT_EQ(e.low(), 149.5);
  EXPECT_EQ(e.close(), 151.5);
  EXPECT_EQ(e.volume(), 1e6);
  EXPECT_EQ(e.signals()[schema_.signal_id("ml_pred")], 0.85);
  EXPECT_EQ(e.signals().get("confidence", 0.0), 0.92);
  EXPECT_EQ(e.context().get("vix", 15.0), 18.5);
}

TEST_F(BatchFixture, MissingValuesFallBackToDefault) {
  MarketEvent msft(batch_, 1, 0);
  EXPECT_TRUE(std::isnan(msft.signals()[FieldId{1}]));
  EXPECT_EQ(msft.signals().get("confidence", 0.5), 0.5);
  EXPECT_FALSE(msft.signals().contains("confidence"));
  EXPECT_TRUE(msft.signals().contains("ml_pred"));
  EXPECT_EQ(msft.signals().get("no_such_field", -1.0), -1.0);
  MarketEvent later(batch_, 2, 1);
  EXPECT_EQ(later.context().get("vix", 15.0), 15.0);
  EXPECT_TRUE(std::isnan(later.context().get("vix")));
}

TEST_F(BatchFixture, GroupIteratesItsEventsInOrder) {
  TimestampGroup g0(batch_, 0);
  EXPECT_EQ(g0.size(), 2u);
  std::vector<std::string> seen;
  for (const MarketEvent& e : g0) seen.push_back(e.symbol());
  EXPECT_EQ(seen, (std::vector<std::string>{"AAPL", "MSFT"}));
  EXPECT_EQ(g0[1].close(), 399.0);
  TimestampGroup g1(batch_, 1);
  EXPECT_EQ(g1.size(), 1u);
  EXPECT_EQ(g1.row_begin(), 2u);
  EXPECT_EQ(g1.timestamp() - g0.timestamp(), std::chrono::minutes(1));
}

TEST_F(BatchFixture, ClearKeepsSchemaShape) {
  batch_.clear();
  EXPECT_TRUE(batch_.empty());
  EXPECT_EQ(batch_.num_groups(), 0u);
  batch_.begin_group(Timestamp::from_seconds(0));
  const auto r = batch_.add_row(aapl_, Bar{1, 1, 1, 1, 1});
  EXPECT_TRUE(std::isnan(batch_.signal_column(FieldId{0})[r]));
}

}  // namespace
}  // namespace ml4t::backtest
