// The execution rule switches (docs/execution.md, "Execution profiles"), one golden test
// per switch with both of its values, the arithmetic next to each expectation, and the
// presets the profiles set. Bars b0..b4 of engine_test_support.hpp:
//   b0 o100 h101 l99 c100 | b1 o102 h104 l101 c103 | b2 o105 h106 l104 c105
//   b3 o104 h105 l100 c101 | b4 o101 h102 l99 c100  (volume 1000 each)
#include <gtest/gtest.h>

#include "engine_test_support.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::kBars;
using testing::make_feed;
using testing::run_script;
using testing::Script;

EngineConfig with_capital(double capital) {
  EngineConfig config;
  config.execution.initial_capital = capital;
  return config;
}

// Capital 10,000. b0: buy 50 AAA -> b1 at 102 = 5,100, cash 4,900. b1: buy 50 BBB
// (order 2) first, then sell the 50 AAA (order 3). At b2 (open 105 both):
//  exits_first: sell 50 AAA at 105 -> cash 10,150; buy 50 BBB at 105 = 5,250 -> cash 4,900.
//  submission: the buy comes first: 5,250 > 4,900 -> rejected; then the sell -> cash 10,150.
Results rebalance(OrderSequence sequence) {
  auto feed = make_feed({{"AAA", kBars, {}}, {"BBB", kBars, {}}});
  EngineConfig config = with_capital(10'000);
  config.execution.rules.order_sequence = sequence;
  return run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 50);
        if (bar == 1) {
          s.order(1, 50);
          s.order(0, -50);
        }
      },
      config);
}

TEST(ExecutionRules, OrderSequenceExitsFirstFreesCashForEntries) {
  const Results r = rebalance(OrderSequence::kExitsFirst);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[2].status, OrderStatus::kFilled);
  EXPECT_EQ(r.equity_curve[2].cash, 4'900);
}

TEST(ExecutionRules, OrderSequenceSubmissionChecksCashInPlacementOrder) {
  const Results r = rebalance(OrderSequence::kSubmission);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kRejected);
  EXPECT_EQ(r.orders[2].status, OrderStatus::kFilled);
  EXPECT_EQ(r.equity_curve[2].cash, 10'150);
}

// Capital 10,000, 0.1% commission; buy 120 at b1's open 102 = 12,240 + 12.24.
Results oversized(CashCheck check) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  EngineConfig config = with_capital(10'000);
  config.execution.commission = {CommissionType::kPercentage, 0.001, 0};
  config.execution.rules.cash_check = check;
  return run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 120);
      },
      config);
}

TEST(ExecutionRules, CashCheckRejectRefusesTheFill) {
  const Results r = oversized(CashCheck::kReject);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kRejected);
  EXPECT_TRUE(r.fills.empty());
}

TEST(ExecutionRules, CashCheckResizeBuysWhatTheCashPaysFor) {
  // 97 x 102 = 9,894 + 9.894 = 9,903.894 <= 10,000; 98 x 102 = 9,996 + 9.996 = 10,005.996 > 10,000.
  const Results r = oversized(CashCheck::kResize);
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.fills[0].quantity, 97);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[0].quantity, 120);
  EXPECT_NE(r.orders[0].reason.find("resized from 120 to 97"), std::string::npos) << r.orders[0].reason;
  EXPECT_EQ(r.equity_curve[1].cash, 10'000 - (9'894 + 0.001 * 9'894));  // cash -= qty x price + commission
}

TEST(ExecutionRules, CashCheckNoneLetsCashGoNegative) {
  // 10,000 - 12,240 - 12.24 = -2,252.24.
  const Results r = oversized(CashCheck::kNone);
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.fills[0].quantity, 120);
  EXPECT_EQ(r.equity_curve[1].cash, 10'000 - (12'240 + 0.001 * 12'240));
}

// Hold 12 (bought at b0), then at b1 order_target_quantity(10.7): fills at b2.
double after_target(TargetRounding rounding) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  EngineConfig config;
  config.execution.rules.target_rounding = rounding;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 12);
        if (bar == 1) s.order_target_quantity(0, 10.7);
      },
      config);
  double held = 0;
  for (const Fill& f : r.fills) held += f.side == Side::kBuy ? f.quantity : -f.quantity;
  return held;
}

TEST(ExecutionRules, TargetRoundingTargetNeverTradesPastTheTarget) {
  // floor(10.7) = 10 -> sell 2.
  EXPECT_EQ(after_target(TargetRounding::kTarget), 10);
}

TEST(ExecutionRules, TargetRoundingDifferenceTruncatesTheTrade) {
  // 10.7 - 12 = -1.3 -> toward zero -1 -> sell 1 (backtrader's int(diff // price) on value).
  EXPECT_EQ(after_target(TargetRounding::kDifference), 11);
}

// At b0: order 12, then order_target_quantity(12) in the same bar.
double target_after_open_order(bool nets) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  EngineConfig config;
  config.execution.rules.target_nets_open_orders = nets;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) {
          s.order(0, 12);
          s.order_target_quantity(0, 12);
        }
      },
      config);
  double held = 0;
  for (const Fill& f : r.fills) held += f.quantity;
  return held;
}

TEST(ExecutionRules, TargetNettingCountsOpenOrders) {
  // 12 - (0 + 12 open) = 0: no second order.
  EXPECT_EQ(target_after_open_order(true), 12);
}

TEST(ExecutionRules, TargetNettingOffStacksOrders) {
  // 12 - 0 = 12 more: 24 in all (zipline's documented pitfall, backtrader's getposition).
  EXPECT_EQ(target_after_open_order(false), 24);
}

// Long 10 from b0 (b1 open 102); at b1 a 5% trailing sell stop, its reference starting
// at b1's close 103. b2: level 103 x 0.95 = 97.85, low 104: no fill; then the reference
// takes b2's high 106 (high_low) or its close 105 (close).
//  high_low: b3 level 106 x 0.95 = 100.7, low 100 -> fills at 100.7 at b3.
//  close:    b3 level 105 x 0.95 = 99.75, low 100: no fill; close 101 < 105 keeps it;
//            b4 open 101, low 99 -> fills at 99.75 at b4.
Fill trailing_exit(TrailReference reference) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  EngineConfig config;
  config.execution.rules.trail_reference = reference;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10);
        if (bar == 1) s.order_trailing_stop(0, -10, 0.05);
      },
      config);
  EXPECT_EQ(r.fills.size(), 2u);
  return r.fills.back();
}

TEST(ExecutionRules, TrailReferenceHighLowTrailsTheHigh) {
  const Fill f = trailing_exit(TrailReference::kHighLow);
  EXPECT_EQ(f.timestamp, day(3));
  EXPECT_EQ(f.price, 106 * (1.0 - 0.05));
}

TEST(ExecutionRules, TrailReferenceCloseTrailsTheClose) {
  const Fill f = trailing_exit(TrailReference::kClose);
  EXPECT_EQ(f.timestamp, day(4));
  EXPECT_EQ(f.price, 105 * (1.0 - 0.05));
}

TEST(ExecutionRules, TrailReferenceCloseAlsoDrivesTheTrailingStopRule) {
  // risk_rules.trailing_stop 0.05, long 10 from b1 (102): high-water starts at 102.
  // b2: level 96.9, low 104; high-water -> 106 (high) or 105 (close).
  // b3 low 100: high_low 100.7 hit; close 99.75 not hit. b4 low 99: close 99.75 hit.
  for (const auto& [reference, exit_day, level] :
       {std::tuple{TrailReference::kHighLow, 3, 106 * (1 - 0.05)}, std::tuple{TrailReference::kClose, 4, 105 * (1 - 0.05)}}) {
    auto feed = make_feed({{"AAA", kBars, {}}});
    EngineConfig config;
    config.risk_rules.trailing_stop = 0.05;
    config.execution.rules.trail_reference = reference;
    const Results r = run_script(
        *feed,
        [](Script& s, int bar) {
          if (bar == 0) s.order(0, 10);
        },
        config);
    ASSERT_EQ(r.fills.size(), 2u);
    EXPECT_EQ(r.fills[1].timestamp, day(exit_day));
    EXPECT_EQ(r.fills[1].price, level);
  }
}

// per_share 0.01 with minimum 1, volume cap 1/16 (62 shares per bar): 100 shares fill as
// 62 at b1 and 38 at b2.
//  per_order: max(0.62, 1) = 1, then max(1.00, 1) - 1 = 0  -> 1 in all.
//  per_fill:  max(0.62, 1) = 1, then max(0.38, 1) = 1      -> 2 in all.
std::pair<double, double> split_commissions(CommissionMinimum minimum) {
  auto feed = make_feed({{"AAA", kBars, {}}});
  EngineConfig config;
  config.execution.max_volume_participation = 0.0625;
  config.execution.commission = {CommissionType::kPerShare, 0.01, 1.0};
  config.execution.rules.commission_minimum = minimum;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 100);
      },
      config);
  EXPECT_EQ(r.fills.size(), 2u);
  return {r.fills[0].commission, r.fills[1].commission};
}

TEST(ExecutionRules, CommissionMinimumPerOrder) {
  EXPECT_EQ(split_commissions(CommissionMinimum::kPerOrder), std::pair(1.0, 0.0));
}

TEST(ExecutionRules, CommissionMinimumPerFill) {
  EXPECT_EQ(split_commissions(CommissionMinimum::kPerFill), std::pair(1.0, 1.0));
}

TEST(ExecutionRules, MarketFillPriceOpenOrClose) {
  // A market buy placed at b0 fills at b1: its open 102, or its close 103.
  for (const auto& [price_rule, expected] :
       {std::pair{MarketFillPrice::kOpen, 102.0}, std::pair{MarketFillPrice::kClose, 103.0}}) {
    auto feed = make_feed({{"AAA", kBars, {}}});
    EngineConfig config;
    config.execution.rules.market_fill_price = price_rule;
    const Results r = run_script(
        *feed,
        [](Script& s, int bar) {
          if (bar == 0) s.order(0, 10);
        },
        config);
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_EQ(r.fills[0].timestamp, day(1));
    EXPECT_EQ(r.fills[0].price, expected);
  }
}

// Placed at b0: a buy limit 103.5 and a sell stop 101.5.
//  ohlc:  limit: b1 opens at 102 <= 103.5 -> fills at the open 102 (b1);
//         stop: b1 opens 102 > 101.5, low 101 <= 101.5 -> fills at 101.5 (b1).
//  close: limit: b1's close 103 <= 103.5 -> fills at 103 (b1);
//         stop: closes 103, 105 stay above; b3's close 101 <= 101.5 -> fills at 101 (b3).
TEST(ExecutionRules, TriggerPriceOhlcOrClose) {
  struct Case {
    TriggerPrice trigger;
    double limit_price, stop_price;
    int stop_day;
  };
  for (const Case& c : {Case{TriggerPrice::kOhlc, 102, 101.5, 1}, Case{TriggerPrice::kClose, 103, 101, 3}}) {
    auto feed = make_feed({{"AAA", kBars, {}}, {"BBB", kBars, {}}});
    EngineConfig config;
    config.execution.rules.trigger_price = c.trigger;
    const Results r = run_script(
        *feed,
        [](Script& s, int bar) {
          if (bar == 0) {
            s.order(0, 10, OrderType::kLimit, 103.5);
            s.order(1, -10, OrderType::kStop, Strategy::kNoPrice, 101.5);
          }
        },
        config);
    ASSERT_EQ(r.fills.size(), 2u);
    EXPECT_EQ(r.fills[0].asset, 0u);
    EXPECT_EQ(r.fills[0].price, c.limit_price);
    EXPECT_EQ(r.fills[1].price, c.stop_price);
    EXPECT_EQ(r.fills[1].timestamp, day(c.stop_day));
  }
}

TEST(ExecutionRules, TriggerPriceCloseTurnsAStopLimitIntoALimit) {
  // Buy stop 104 limit 104.5 at b0. close: b1 close 103 < 104; b2 close 105 >= 104
  // triggers it, but 105 > 104.5: no fill; b3 close 101 <= 104.5 -> fills at 101.
  auto feed = make_feed({{"AAA", kBars, {}}});
  EngineConfig config;
  config.execution.rules.trigger_price = TriggerPrice::kClose;
  const Results r = run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 10, OrderType::kStopLimit, 104.5, 104);
      },
      config);
  ASSERT_EQ(r.fills.size(), 1u);
  EXPECT_EQ(r.fills[0].timestamp, day(3));
  EXPECT_EQ(r.fills[0].price, 101);
}

// profile backtrader, capital 10,000. b0: buy 50 AAA -> b1 at 102: cash 4,900. At b1
// (closes 103): buy 50 BBB (order 2), then buy 1 CCC (order 3).
//  checksubmit true: at b2, before matching, at the creation price 103: 4,900 - 5,150 =
//    -250 < 0 -> order 2 rejected; the running cash stays -250: -250 - 103 = -353 < 0 ->
//    order 3 rejected too.
//  checksubmit false: at b2's open 105: order 2 needs 5,250 > 4,900 -> rejected at the
//    fill; order 3 needs 105 -> filled, cash 4,795.
Results checksubmit_case(bool checksubmit) {
  auto feed = make_feed({{"AAA", kBars, {}}, {"BBB", kBars, {}}, {"CCC", kBars, {}}});
  EngineConfig config = with_capital(10'000);
  config.execution.backtrader.checksubmit = checksubmit;
  apply_execution_profile(config.execution, ExecutionProfile::kBacktrader);
  return run_script(
      *feed,
      [](Script& s, int bar) {
        if (bar == 0) s.order(0, 50);
        if (bar == 1) {
          s.order(1, 50);
          s.order(2, 1);
        }
      },
      config);
}

TEST(ExecutionProfiles, BacktraderChecksubmitRejectsAgainstARunningCashAtCreationPrices) {
  const Results r = checksubmit_case(true);
  EXPECT_EQ(r.orders[0].status, OrderStatus::kFilled);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kRejected);
  EXPECT_NE(r.orders[1].reason.find("margin at submission"), std::string::npos) << r.orders[1].reason;
  EXPECT_EQ(r.orders[2].status, OrderStatus::kRejected);
  EXPECT_EQ(r.equity_curve[2].cash, 4'900);
}

TEST(ExecutionProfiles, BacktraderWithoutChecksubmitChecksAtTheFillOnly) {
  const Results r = checksubmit_case(false);
  EXPECT_EQ(r.orders[1].status, OrderStatus::kRejected);
  EXPECT_NE(r.orders[1].reason.find("insufficient buying power"), std::string::npos) << r.orders[1].reason;
  EXPECT_EQ(r.orders[2].status, OrderStatus::kFilled);
  EXPECT_EQ(r.equity_curve[2].cash, 4'795);
}

TEST(ExecutionProfiles, EachProfileSetsItsDocumentedSwitches) {
  struct Row {
    ExecutionProfile profile;
    ExecutionRules rules;
    FillTiming timing;
  };
  using OS = OrderSequence;
  using CC = CashCheck;
  using TR = TargetRounding;
  using TRef = TrailReference;
  using CM = CommissionMinimum;
  using MP = MarketFillPrice;
  using TP = TriggerPrice;
  const Row rows[] = {
      {ExecutionProfile::kDefault,
       {OS::kExitsFirst, CC::kReject, TR::kTarget, true, TRef::kHighLow, CM::kPerOrder, MP::kOpen, TP::kOhlc},
       FillTiming::kNextBar},
      {ExecutionProfile::kBacktrader,
       {OS::kSubmission, CC::kReject, TR::kDifference, false, TRef::kClose, CM::kPerFill, MP::kOpen, TP::kOhlc},
       FillTiming::kNextBar},
      {ExecutionProfile::kVectorbt,
       {OS::kSubmission, CC::kResize, TR::kDifference, false, TRef::kHighLow, CM::kPerOrder, MP::kClose, TP::kOhlc},
       FillTiming::kSameBarClose},
      {ExecutionProfile::kZipline,
       {OS::kSubmission, CC::kNone, TR::kDifference, false, TRef::kHighLow, CM::kPerOrder, MP::kClose, TP::kClose},
       FillTiming::kNextBar},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(rule_names::kProfile[static_cast<int>(row.profile)]);
    ExecutionConfig e;
    apply_execution_profile(e, row.profile);
    EXPECT_EQ(e.profile, row.profile);
    EXPECT_EQ(e.fill_timing, row.timing);
    EXPECT_EQ(e.rules.order_sequence, row.rules.order_sequence);
    EXPECT_EQ(e.rules.cash_check, row.rules.cash_check);
    EXPECT_EQ(e.rules.target_rounding, row.rules.target_rounding);
    EXPECT_EQ(e.rules.target_nets_open_orders, row.rules.target_nets_open_orders);
    EXPECT_EQ(e.rules.trail_reference, row.rules.trail_reference);
    EXPECT_EQ(e.rules.commission_minimum, row.rules.commission_minimum);
    EXPECT_EQ(e.rules.market_fill_price, row.rules.market_fill_price);
    EXPECT_EQ(e.rules.trigger_price, row.rules.trigger_price);
    // No profile touches the costs by itself.
    EXPECT_EQ(e.commission.type, CommissionType::kNone);
  }
}

TEST(ExecutionProfiles, ZiplineDefaultCostsAreItsBlotterDefaults) {
  ExecutionConfig e;
  e.zipline.default_costs = true;
  apply_execution_profile(e, ExecutionProfile::kZipline);
  EXPECT_EQ(e.commission.type, CommissionType::kPerShare);
  EXPECT_EQ(e.commission.rate, 0.001);
  EXPECT_EQ(e.slippage.type, SlippageType::kPercentage);
  EXPECT_EQ(e.slippage.rate, 0.0005);  // 5 basis points
  EXPECT_EQ(e.max_volume_participation, 0.1);
}

}  // namespace
}  // namespace ml4t::backtest
