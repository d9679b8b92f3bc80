// The engine's ResultSink hook: with a sink, the rows reach it in the order Results
// would hold them — orders by id even while an older order keeps working — and the
// metrics computed from them equal the in-memory run's bit for bit.
#include "ml4t/backtest/engine/result_sink.hpp"

#include <gtest/gtest.h>

#include "engine/engine_test_support.hpp"
#include "ml4t/backtest/engine/metrics.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::Script;

struct CollectingSink : ResultSink {
  void equity(const EquityPoint& p) override { curve.push_back(p); }
  void fill(const Fill& f) override { fills.push_back(f); }
  void trade(const Trade& t) override { trades.push_back(t); }
  void order(const OrderRecord& o) override {
    orders.push_back(o);
    if (orders.size() == 1) fills_before_first_order = fills.size();
  }
  std::vector<EquityPoint> curve;
  std::vector<Fill> fills;
  std::vector<Trade> trades;
  std::vector<OrderRecord> orders;
  size_t fills_before_first_order = 0;
};

// Two assets, 400 daily bars. Bar 0: a GTC buy limit at 1 that never fills, cancelled at
// bar 300 — every later order's row must wait for it. Every bar: one share of BBB bought
// or sold; every 7th bar a short sale that is rejected; positions closed at the end.
std::unique_ptr<InMemoryDataFeed> feed() {
  InMemoryDataFeed::Builder b({"ml_pred"}, {"vix"});
  for (int i = 0; i < 400; ++i) {
    const Bar& bar = testing::kBars[static_cast<size_t>(i) % testing::kBars.size()];
    b.add_bar(day(i), "AAA", bar, {});
    b.add_bar(day(i), "BBB", bar, {});
  }
  return b.build();
}

void script(Script& s, int bar) {
  if (bar == 0) s.order(0, 10, OrderType::kLimit, 1.0);
  if (bar == 300) s.cancel(1);
  s.order(1, bar % 2 == 0 ? 1 : -1);
  if (bar % 7 == 3) s.order(0, -15);  // short selling is off: rejected at once
}

EngineConfig config() {
  EngineConfig c;
  c.execution.commission = {CommissionType::kPerShare, 0.01, 1.0};
  c.execution.close_positions_at_end = true;
  c.execution.allow_short = false;
  return c;
}

TEST(ResultSink, GetsEveryRowInResultsOrder) {
  auto memory_feed = feed();
  const Results memory = testing::run_script(*memory_feed, script, config());

  auto streamed_feed = feed();
  Script strategy(script);
  BacktestEngine engine(*streamed_feed, strategy, config());
  CollectingSink sink;
  engine.set_result_sink(&sink);
  const Results streamed = engine.run();

  EXPECT_TRUE(streamed.equity_curve.empty());
  EXPECT_TRUE(streamed.fills.empty());
  EXPECT_TRUE(streamed.trades.empty());
  EXPECT_TRUE(streamed.orders.empty());
  EXPECT_EQ(streamed.final_equity, memory.final_equity);
  EXPECT_EQ(streamed.events, memory.events);

  ASSERT_EQ(sink.curve.size(), memory.equity_curve.size());
  for (size_t i = 0; i < sink.curve.size(); ++i) {
    EXPECT_EQ(sink.curve[i].timestamp, memory.equity_curve[i].timestamp) << i;
    EXPECT_EQ(sink.curve[i].equity, memory.equity_curve[i].equity) << i;
    EXPECT_EQ(sink.curve[i].drawdown, memory.equity_curve[i].drawdown) << i;
    EXPECT_EQ(sink.curve[i].gross_value, memory.equity_curve[i].gross_value) << i;
  }
  ASSERT_EQ(sink.fills.size(), memory.fills.size());
  for (size_t i = 0; i < sink.fills.size(); ++i) {
    EXPECT_EQ(sink.fills[i].order_id, memory.fills[i].order_id) << i;
    EXPECT_EQ(sink.fills[i].price, memory.fills[i].price) << i;
  }
  ASSERT_EQ(sink.trades.size(), memory.trades.size());
  for (size_t i = 0; i < sink.trades.size(); ++i) EXPECT_EQ(sink.trades[i].pnl, memory.trades[i].pnl) << i;

  // 400 market orders, 57 rejected short sales, the limit, and the closing order.
  ASSERT_EQ(memory.orders.size(), 400u + 57u + 1u + 1u);
  ASSERT_EQ(sink.orders.size(), memory.orders.size());
  for (size_t i = 0; i < sink.orders.size(); ++i) {
    const OrderRecord& a = sink.orders[i];
    const OrderRecord& b = memory.orders[i];
    EXPECT_EQ(a.id, i + 1);
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.status, b.status) << a.id;
    EXPECT_EQ(a.reason, b.reason) << a.id;
    EXPECT_EQ(a.filled_quantity, b.filled_quantity) << a.id;
    EXPECT_EQ(a.updated, b.updated) << a.id;
  }
  EXPECT_EQ(sink.orders[0].status, OrderStatus::kCancelled);
  EXPECT_EQ(sink.orders[0].updated, day(300));
  // No row could leave before the limit order was cancelled at bar 300 (its market
  // orders filled one bar later each: 300 fills by then).
  EXPECT_GE(sink.fills_before_first_order, 300u);

  // Metrics from the streamed rows: the in-memory run's, bit for bit.
  MetricsAccumulator acc(0, config().execution.initial_capital);
  for (const auto& p : sink.curve) acc.add(p);
  for (const auto& t : sink.trades) acc.add(t);
  for (const auto& f : sink.fills) acc.add(f);
  const Metrics m = acc.metrics();
  EXPECT_EQ(m.sharpe, memory.metrics.sharpe);
  EXPECT_EQ(m.sortino, memory.metrics.sortino);
  EXPECT_EQ(m.max_drawdown, memory.metrics.max_drawdown);
  EXPECT_EQ(m.max_drawdown_duration_bars, memory.metrics.max_drawdown_duration_bars);
  EXPECT_EQ(m.turnover, memory.metrics.turnover);
  EXPECT_EQ(m.num_trades, memory.metrics.num_trades);
  EXPECT_EQ(m.periods_per_year, memory.metrics.periods_per_year);
}

}  // namespace
}  // namespace ml4t::backtest
