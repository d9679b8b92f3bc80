// The portfolio and the trade journal as units (src/engine/portfolio.hpp,
// trade_journal.hpp): cash, average cost, realized P&L and round trips through open,
// add, partial close and a fill that crosses zero — docs/execution.md, "Portfolio and
// trades", with the arithmetic next to each value.
#include <gtest/gtest.h>

#include "engine/portfolio.hpp"
#include "engine/run_recorder.hpp"
#include "engine/trade_journal.hpp"

namespace ml4t::backtest::detail {
namespace {

Timestamp day(int i) { return Timestamp::from_civil(2024, 1, 1) + std::chrono::hours(24 * i); }

class PortfolioJournal : public ::testing::Test {
 protected:
  void SetUp() override {
    portfolio.start(10'000);
    portfolio.resize(1);
    journal.resize(1);
  }
  // A fill of `signed_qty` at `price` at bar `bar` (group sequence bar + 1).
  FillEffect fill(int bar, double signed_qty, double price, double commission) {
    const FillEffect e = portfolio.apply_fill(0, signed_qty, price, commission);
    journal.on_fill(0, e, signed_qty, price, commission, 0.0, ExitReason::kSignal, day(bar),
                    static_cast<uint64_t>(bar + 1));
    return e;
  }
  RunRecorder recorder;
  Portfolio portfolio;
  TradeJournal journal{recorder};
};

TEST_F(PortfolioJournal, OpenAddReduceAndCrossZero) {
  // Buy 10 at 100 (commission 1): opens; cash 10000 - 1000 - 1 = 8999.
  FillEffect e = fill(0, 10, 100, 1);
  EXPECT_TRUE(e.opened);
  EXPECT_FALSE(e.reduced);
  EXPECT_EQ(portfolio.cash(), 8999);
  // Buy 10 at 110: average cost (10 x 100 + 10 x 110) / 20 = 105; cash 8999 - 1101 = 7898.
  e = fill(1, 10, 110, 1);
  EXPECT_FALSE(e.opened);
  EXPECT_EQ(portfolio.position(0).avg_cost, 105);
  EXPECT_EQ(portfolio.position(0).qty, 20);
  EXPECT_EQ(portfolio.cash(), 7898);
  // Sell 5 at 120: realizes 5 x (120 - 105) = 75; cash 7898 + 600 - 1 = 8497.
  e = fill(2, -5, 120, 1);
  EXPECT_TRUE(e.reduced);
  EXPECT_EQ(e.closing, 5);
  EXPECT_EQ(e.gross, 75);
  EXPECT_FALSE(e.flattened);
  EXPECT_EQ(portfolio.position(0).qty, 15);
  EXPECT_EQ(portfolio.position(0).avg_cost, 105);  // reducing keeps the average cost
  EXPECT_EQ(portfolio.cash(), 8497);
  EXPECT_TRUE(recorder.results().trades.empty());
  // Sell 25 at 90 (commission 2): closes 15 (15 x (90 - 105) = -225) and opens a short of
  // 10 at 90; cash 8497 + 2250 - 2 = 10745.
  e = fill(3, -25, 90, 2);
  EXPECT_EQ(e.closing, 15);
  EXPECT_EQ(e.gross, -225);
  EXPECT_TRUE(e.flattened);
  EXPECT_EQ(e.opening, 10);
  EXPECT_TRUE(e.opened);
  EXPECT_EQ(portfolio.position(0).qty, -10);
  EXPECT_EQ(portfolio.position(0).avg_cost, 90);
  EXPECT_EQ(portfolio.cash(), 10745);
  // Realized, net of commission: 75 - 225 - (1 + 1 + 1 + 2) = -155.
  EXPECT_EQ(portfolio.position(0).realized, -155);

  // The long round trip: 20 in at 2100 / 20 = 105, 20 out at (600 + 1350) / 20 = 97.5,
  // commission 1 + 1 + 1 + 2 x 15/25 = 4.2 (the crossing fill's split pro rata), pnl
  // 75 - 225 - 4.2 = -154.2, return -154.2 / 2100, bars held 3 - 0.
  ASSERT_EQ(recorder.results().trades.size(), 1u);
  const Trade& t = recorder.results().trades[0];
  EXPECT_EQ(t.side, TradeSide::kLong);
  EXPECT_EQ(t.quantity, 20);
  EXPECT_EQ(t.entry_price, 105);
  EXPECT_EQ(t.exit_price, 97.5);
  EXPECT_DOUBLE_EQ(t.commission, 4.2);
  EXPECT_DOUBLE_EQ(t.pnl, -154.2);
  EXPECT_DOUBLE_EQ(t.return_fraction, -154.2 / 2100);
  EXPECT_EQ(t.bars_held, 3);
  EXPECT_EQ(t.entry_time, day(0));
  EXPECT_EQ(t.exit_time, day(3));
  EXPECT_FALSE(t.open);

  // The short still open at the end, marked at 85: exit price 85, gross (85 - 90) x -10 =
  // 50, commission 2 x 10/25 = 0.8, pnl 49.2; equity 10745 - 10 x 85 = 9895.
  portfolio.invalidate_equity();
  portfolio.set_mark(0, 85, 1000);
  EXPECT_EQ(portfolio.equity(), 9895);
  journal.finish(0, portfolio.position(0), ExitReason::kEndOfData, true, day(4), 5);
  ASSERT_EQ(recorder.results().trades.size(), 2u);
  const Trade& open = recorder.results().trades[1];
  EXPECT_EQ(open.side, TradeSide::kShort);
  EXPECT_TRUE(open.open);
  EXPECT_EQ(open.entry_price, 90);
  EXPECT_EQ(open.exit_price, 85);
  EXPECT_DOUBLE_EQ(open.commission, 0.8);
  EXPECT_DOUBLE_EQ(open.pnl, 49.2);
  EXPECT_EQ(open.bars_held, 1);
  EXPECT_EQ(open.exit_reason, ExitReason::kEndOfData);
}

TEST_F(PortfolioJournal, BuyingPowerIsEquityMinusGrossExposure) {
  // Cash 10000, flat: buying 99 at 100 with commission 1 needs 9901 <= 10000.
  double need = 0, available = 0;
  EXPECT_TRUE(portfolio.has_buying_power(0, 99, 100, 1, &need, &available));
  EXPECT_EQ(need, 9901);
  EXPECT_EQ(available, 10000);
  // 100 at 100 plus 1 commission needs 10001: refused.
  EXPECT_FALSE(portfolio.has_buying_power(0, 100, 100, 1, &need, &available));
  // Short 40 at 100: cash after 14000 - 2 x 4000 short exposure = 6000 >= 0: allowed;
  // short 60: 16000 - 2 x 6000 = 4000, allowed; short 101: 20100 - 20200 < 0, refused.
  EXPECT_TRUE(portfolio.has_buying_power(0, -40, 100, 0, &need, &available));
  EXPECT_TRUE(portfolio.has_buying_power(0, -60, 100, 0, &need, &available));
  EXPECT_FALSE(portfolio.has_buying_power(0, -101, 100, 0, &need, &available));
  // Reducing is always allowed: hold 10, sell 10 even with no cash left for commission.
  fill(0, 10, 100, 0);
  EXPECT_TRUE(portfolio.has_buying_power(0, -10, 1, 1e9, &need, &available));
}

}  // namespace
}  // namespace ml4t::backtest::detail
