// Golden tests of the account model (docs/account.md): cash vs margin buying power,
// leverage, margin calls under both policies, financing accruals (borrow fees flat and
// from a schedule, margin and credit interest, day counts) and hard-to-borrow rejects.
// Each expectation has its arithmetic next to it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine_test_support.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/account_inputs.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::make_feed;
using testing::run_script;
using testing::Script;
using testing::Series;

std::vector<Bar> flat_bars(int n, double price) { return std::vector<Bar>(n, Bar{price, price, price, price, 1e6}); }

EngineConfig margin_config() {
  EngineConfig c;
  c.account.type = AccountType::kMargin;
  return c;
}

TEST(AccountModel, DefaultsAreRegTLike) {
  AccountConfig a;
  EXPECT_EQ(initial_margin_rate(a), 1.0);  // cash account: no leverage
  a.type = AccountType::kMargin;
  EXPECT_EQ(initial_margin_rate(a), 0.5);  // Reg-T initial margin
  a.leverage = 4;
  EXPECT_EQ(initial_margin_rate(a), 0.25);  // 1 / leverage when only leverage is set
  a.initial_margin = 0.4;
  EXPECT_EQ(initial_margin_rate(a), 0.4);  // both: the stricter, max(0.4, 1/4)
}

TEST(AccountModel, MarginAccountBuysOnCreditUpToItsLeverage) {
  // 1500 shares filled at b1's open 102 cost 153,000 on 100,000 of equity.
  auto step = [](Script& s, int bar) {
    if (bar == 0) s.order(0, 1500);
  };
  {
    auto feed = make_feed({{"A", testing::kBars, {}}});
    const Results r = run_script(*feed, step);  // cash account
    ASSERT_EQ(r.orders.size(), 1u);
    EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
    EXPECT_NE(r.orders[0].reason.find("equity minus gross exposure"), std::string::npos) << r.orders[0].reason;
  }
  {
    auto feed = make_feed({{"A", testing::kBars, {}}});
    const Results r = run_script(*feed, step, margin_config());
    // Free equity after: 100,000 - 0.5 x 153,000 = 23,500 >= 0.
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_EQ(r.equity_curve[1].cash, 100'000.0 - 153'000.0);  // a debit balance of 53,000
    EXPECT_EQ(r.equity_curve[1].equity, 100'000.0 + 1500 * (103.0 - 102.0));
  }
  // 2000 shares = 204,000: 100,000 - 0.5 x 204,000 = -2,000 < 0, rejected ...
  auto big = [](Script& s, int bar) {
    if (bar == 0) s.order(0, 2000);
  };
  {
    auto feed = make_feed({{"A", testing::kBars, {}}});
    const Results r = run_script(*feed, big, margin_config());
    ASSERT_EQ(r.orders.size(), 1u);
    EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
    EXPECT_NE(r.orders[0].reason.find("needs 102000.00 but 100000.00 is available"), std::string::npos)
        << r.orders[0].reason;
    EXPECT_NE(r.orders[0].reason.find("equity minus 0.5 x gross exposure"), std::string::npos) << r.orders[0].reason;
  }
  // ... but fits with leverage 2.5 (initial margin 0.4): 100,000 - 0.4 x 204,000 = 18,400.
  {
    auto feed = make_feed({{"A", testing::kBars, {}}});
    EngineConfig c = margin_config();
    c.account.leverage = 2.5;
    const Results r = run_script(*feed, big, c);
    EXPECT_EQ(r.fills.size(), 1u);
  }
}

// Two longs bought at 100 on margin; at b2's close A is at 30, B at 95.
std::unique_ptr<InMemoryDataFeed> crash_feed() {
  const std::vector<Bar> a = {{100, 100, 100, 100, 1e6}, {100, 100, 100, 100, 1e6}, {100, 100, 30, 30, 1e6},
                              {30, 30, 30, 30, 1e6}};
  const std::vector<Bar> b = {{100, 100, 100, 100, 1e6}, {100, 100, 100, 100, 1e6}, {100, 100, 95, 95, 1e6},
                              {95, 95, 95, 95, 1e6}};
  return make_feed({{"A", a, {}}, {"B", b, {}}});
}

TEST(MarginCall, LiquidatesTheLargestLoserFirstUntilMaintenanceIsMet) {
  auto feed = crash_feed();
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          s.order(0, 1000);  // 100,000
          s.order(1, 950);   // 95,000: free = 100,000 - 0.5 x 195,000 = 2,500
        }
      },
      margin_config());
  // b2 close: cash -95,000; equity = -95,000 + 30,000 + 90,250 = 25,250 < 0.25 x 120,250
  // = 30,062.5: a call. A's loss (-70,000) is larger than B's (-4,750): A is sold at 30.
  // Then gross 90,250 needs 22,562.5 and equity is still 25,250: met, B stays.
  ASSERT_EQ(r.fills.size(), 3u);
  EXPECT_EQ(r.fills[2].asset, 0u);
  EXPECT_EQ(r.fills[2].price, 30.0);
  EXPECT_EQ(r.fills[2].timestamp, day(2));
  ASSERT_EQ(r.trades.size(), 2u);
  EXPECT_EQ(r.trades[0].exit_reason, ExitReason::kMarginCall);
  EXPECT_EQ(r.trades[0].pnl, -70'000.0);
  EXPECT_TRUE(r.trades[1].open);  // B
  EXPECT_EQ(r.equity_curve[2].cash, -65'000.0);
  EXPECT_EQ(r.equity_curve[2].equity, 25'250.0);
  EXPECT_EQ(r.orders[2].reason, "margin_call");
}

TEST(MarginCall, RejectNewKeepsPositionsAndRejectsAddedExposure) {
  auto feed = crash_feed();
  EngineConfig c = margin_config();
  c.account.margin_call = MarginCallPolicy::kRejectNew;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          s.order(0, 1000);
          s.order(1, 950);
        }
        if (bar == 2) {
          s.order(1, 10);   // adds exposure: rejected while in the call
          s.order(0, -100); // reduces A: accepted
        }
      },
      c);
  ASSERT_EQ(r.orders.size(), 4u);
  EXPECT_EQ(r.orders[2].status, OrderStatus::kRejected);
  EXPECT_NE(r.orders[2].reason.find("margin call: at the last close equity 25250.00 was below the maintenance "
                                    "margin 30062.50"),
            std::string::npos)
      << r.orders[2].reason;
  EXPECT_EQ(r.orders[3].status, OrderStatus::kFilled);
  EXPECT_EQ(r.fills.size(), 3u);  // the two buys and the reduction, no liquidation
}

TEST(Financing, ShortHeldThirtyDaysAtFivePercentPaysTheExactFee) {
  // 100 shares short at 50 = 5,000 of short value; each night costs
  // 5,000 x 0.05 / 360 = 0.69444...; filled at day 1's open, covered at day 31's open:
  // 30 nights, 30 x 5,000 x 0.05 / 360 = 20.8333...
  auto feed = make_feed({{"A", flat_bars(32, 50), {}}});
  EngineConfig c;
  c.financing.borrow_rate = 0.05;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, -100);
        if (bar == 30) s.order(0, 100);
      },
      c);
  ASSERT_EQ(r.cashflows.size(), 30u);
  const double nightly = 5000.0 * 0.05 / 360.0;
  double total = 0;
  for (const CashFlow& f : r.cashflows) {
    EXPECT_EQ(f.type, CashFlowType::kBorrowFee);
    EXPECT_EQ(f.asset, 0u);
    EXPECT_EQ(f.amount, -nightly);
    EXPECT_EQ(f.balance, 5000.0);
    EXPECT_EQ(f.rate, 0.05);
    EXPECT_EQ(f.days, 1);
    total += f.amount;
  }
  EXPECT_EQ(r.cashflows.front().timestamp, day(1));
  EXPECT_EQ(r.cashflows.back().timestamp, day(30));
  EXPECT_NEAR(total, -20.833333333333, 1e-9);
  // In the equity curve: the point of each close carries that night's fee.
  EXPECT_EQ(r.equity_curve[1].equity, 100'000.0 - nightly);
  EXPECT_NEAR(r.final_equity, 100'000.0 - 20.833333333333, 1e-9);
  EXPECT_EQ(r.final_equity, r.equity_curve.back().equity);
  // Trades stay the price P&L: financing is in cashflows and the equity curve.
  ASSERT_EQ(r.trades.size(), 1u);
  EXPECT_EQ(r.trades[0].pnl, 0.0);
}

TEST(Financing, WeekendsAccrueCalendarDaysAndActual365Counts) {
  // Friday 2024-01-05 to Monday 2024-01-08: one session boundary of 3 days.
  InMemoryDataFeed::Builder b({}, {});
  for (int d : {3, 4, 7, 8}) b.add_bar(day(d), "A", Bar{50, 50, 50, 50, 1e6}, {});
  auto feed = b.build();
  EngineConfig c;
  c.financing.borrow_rate = 0.05;
  c.financing.day_count = DayCount::kActual365;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, -100);  // fills Friday's open
      },
      c);
  ASSERT_EQ(r.cashflows.size(), 2u);
  EXPECT_EQ(r.cashflows[0].timestamp, day(4));
  EXPECT_EQ(r.cashflows[0].days, 3);
  EXPECT_EQ(r.cashflows[0].amount, -5000.0 * 0.05 * (3 / 365.0));
  EXPECT_EQ(r.cashflows[1].days, 1);
}

TEST(Financing, MarginAndCreditInterestOnTheCashBalance) {
  {
    // Long 1500 at 100 on margin: cash -50,000 pays 8% / 360 a night.
    auto feed = make_feed({{"A", flat_bars(3, 100), {}}});
    EngineConfig c = margin_config();
    c.financing.margin_interest_rate = 0.08;
    c.financing.credit_interest_rate = 0.03;
    const Results r = run_script(
        *feed,
        [](Script& s, int bar) {
          if (bar == 0) s.order(0, 1500);
        },
        c);
    // Night 0 -> 1: all cash (100,000) earns credit; night 1 -> 2: the debit pays.
    ASSERT_EQ(r.cashflows.size(), 2u);
    EXPECT_EQ(r.cashflows[0].type, CashFlowType::kCreditInterest);
    EXPECT_EQ(r.cashflows[0].amount, 100'000.0 * 0.03 / 360.0);
    EXPECT_EQ(r.cashflows[1].type, CashFlowType::kMarginInterest);
    EXPECT_DOUBLE_EQ(r.cashflows[1].balance, -50'000.0 + 100'000.0 * 0.03 / 360.0);
    EXPECT_EQ(r.cashflows[1].amount, r.cashflows[1].balance * 0.08 / 360.0);
  }
  for (const ShortProceeds proceeds : {ShortProceeds::kHeld, ShortProceeds::kCredited}) {
    // Short 100 at 50: cash 105,000. Held proceeds earn nothing: 100,000 earns credit;
    // credited ones do: 105,000.
    auto feed = make_feed({{"A", flat_bars(3, 50), {}}});
    EngineConfig c;
    c.account.short_proceeds = proceeds;
    c.financing.credit_interest_rate = 0.03;
    const Results r = run_script(
        *feed,
        [](Script& s, int bar) {
          if (bar == 0) s.order(0, -100);
        },
        c);
    ASSERT_EQ(r.cashflows.size(), 2u);
    const double base = proceeds == ShortProceeds::kHeld ? 100'000.0 : 105'000.0;
    EXPECT_DOUBLE_EQ(r.cashflows[1].balance, base + 100'000.0 * 0.03 / 360.0);
  }
}

std::filesystem::path write_file(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::path(ML4T_TEST_TMP) / "account_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

TEST(BorrowSchedule, PointInTimeRatesAndHardToBorrowRejects) {
  const auto path = write_file("borrow.csv",
                               "timestamp,asset_id,rate,available\n"
                               "2024-01-01,A,0.02,true\n"
                               "2024-01-04,A,0.10,true\n"
                               "2024-01-01,B,0.01,false\n"
                               "2024-01-01,C,0.40,true\n");
  auto feed = make_feed({{"A", flat_bars(6, 50), {}}, {"B", flat_bars(6, 50), {}}, {"C", flat_bars(6, 50), {}}});
  EngineConfig c;
  c.financing.borrow_rate = 0.05;
  c.financing.borrow_schedule = path;
  c.financing.hard_to_borrow_rate = 0.25;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          s.order(0, -100);
          s.order(1, -100);  // not available
          s.order(2, -100);  // 40% > 25%
        }
      },
      c);
  ASSERT_EQ(r.orders.size(), 3u);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kRejected);
  EXPECT_NE(r.orders[1].reason.find("hard to borrow: B is not available to borrow"), std::string::npos)
      << r.orders[1].reason;
  EXPECT_NE(r.orders[1].reason.find("borrow.csv row 3"), std::string::npos) << r.orders[1].reason;
  EXPECT_EQ(r.orders[2].status, OrderStatus::kRejected);
  EXPECT_NE(r.orders[2].reason.find("borrow rate at 2024-01-01T00:00:00Z is 0.4"), std::string::npos)
      << r.orders[2].reason;
  // Nights from days 1, 2 at 2%; from day 3 the 10% row (stamped day 3 = 2024-01-04) applies.
  ASSERT_EQ(r.cashflows.size(), 4u);
  EXPECT_EQ(r.cashflows[0].rate, 0.02);
  EXPECT_EQ(r.cashflows[1].rate, 0.02);
  EXPECT_EQ(r.cashflows[2].rate, 0.10);
  EXPECT_EQ(r.cashflows[2].timestamp, day(3));
  EXPECT_EQ(r.cashflows[2].amount, -5000.0 * 0.10 / 360.0);
}

TEST(BorrowSchedule, BadFilesNameTheRowAndTheFix) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    const auto path = write_file("bad_borrow.csv", text);
    try {
      (void)read_borrow_schedule(path);
      ADD_FAILURE() << "no error for " << text;
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("timestamp,asset_id,rate\n2024-01-01,A,0.02\n2024-01-01,A,0.03\n",
               "overlapping schedules: ");
  expect_error("timestamp,asset_id,rate\n2024-01-01,A,0.02\n2024-01-01,A,0.03\n", "row 1 and ");
  expect_error("timestamp,asset_id,rate\n2024-01-01,A,-0.02\n", "row 1 (A at 2024-01-01T00:00:00Z) has rate -0.02");
  expect_error("timestamp,asset_id,fee\n2024-01-01,A,0.02\n", "has no \"rate\" column");
}

TEST(AccountConfigChecks, OutOfRangeValuesNameTheKey) {
  auto expect_error = [](EngineConfig c, const std::string& needle) {
    auto feed = make_feed({{"A", flat_bars(2, 50), {}}});
    Script s([](Script&, int) {});
    try {
      BacktestEngine engine(*feed, s, c);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  EngineConfig c = margin_config();
  c.account.maintenance_margin = 0.6;
  expect_error(c, "account.maintenance_margin: 0.6 is above the initial margin 0.5");
  c = margin_config();
  c.account.initial_margin = 1.5;
  expect_error(c, "account.initial_margin: 1.5 is out of range");
  c = EngineConfig{};
  c.financing.borrow_rate = -0.01;
  expect_error(c, "financing.borrow_rate: -0.01 is out of range");
}

}  // namespace
}  // namespace ml4t::backtest
