// Micro benchmarks of the per-event hot paths: reading an event's view, looking up a
// signal by FieldId and by name, the engine's per-event cost (flat and with an order
// per event), the broker's fill of a market order, the portfolio mark, and the metrics
// over a year of minute equity points.
//
//   scripts/build -DML4T_BUILD_BENCHMARKS=ON && build/bench/ml4t_micro_benchmarks
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <cmath>

#include "ml4t/backtest/data/in_memory_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/strategy.hpp"
#include "ml4t/backtest/results/metrics.hpp"

namespace ml4t::backtest {
namespace {

// A day of minute bars for `assets` assets with two signals and one context field.
std::unique_ptr<InMemoryDataFeed> make_feed(int assets, int bars) {
  InMemoryDataFeed::Builder builder({"ml_pred", "confidence"}, {"vix"});
  const auto t0 = Timestamp::parse("2024-01-02T14:30:00Z");
  for (int b = 0; b < bars; ++b) {
    const auto ts = t0 + std::chrono::minutes(b);
    builder.add_context(ts, {18.0 + std::sin(b * 0.01)});
    for (int a = 0; a < assets; ++a) {
      const double price = 100.0 + a + std::sin((a + 1) * b * 0.001);
      builder.add_bar(ts, fmt::format("A{}", 1000 + a), Bar{price, price * 1.001, price * 0.999, price, 1e5},
                      {0.5 + 0.5 * std::sin(b * 0.05 + a), 0.8});
    }
  }
  return builder.build();
}

void BM_EventViewAccess(benchmark::State& state) {
  auto feed = make_feed(250, 100);
  const Batch& batch = feed->batch();
  for (auto _ : state) {
    double sum = 0;
    for (uint32_t g = 0; g < batch.num_groups(); ++g) {
      for (const MarketEvent& e : TimestampGroup(batch, g)) sum += e.open() + e.high() + e.low() + e.close() + e.volume();
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.num_rows()));
}
BENCHMARK(BM_EventViewAccess);

void BM_SignalLookupByFieldId(benchmark::State& state) {
  auto feed = make_feed(250, 100);
  const Batch& batch = feed->batch();
  const FieldId pred = feed->schema().signal_id("ml_pred");
  for (auto _ : state) {
    double sum = 0;
    for (uint32_t g = 0; g < batch.num_groups(); ++g) {
      for (const MarketEvent& e : TimestampGroup(batch, g)) sum += e.signals()[pred];
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.num_rows()));
}
BENCHMARK(BM_SignalLookupByFieldId);

void BM_SignalLookupByName(benchmark::State& state) {
  auto feed = make_feed(250, 100);
  const Batch& batch = feed->batch();
  for (auto _ : state) {
    double sum = 0;
    for (uint32_t g = 0; g < batch.num_groups(); ++g) {
      for (const MarketEvent& e : TimestampGroup(batch, g)) sum += e.signals().get("confidence", 0.0);
    }
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.num_rows()));
}
BENCHMARK(BM_SignalLookupByName);

// Flat strategy: the engine's fixed per-event cost (mark to market, dispatch).
class Flat final : public Strategy {};

// Trades every asset every bar: a market order per event, filled at the next open.
class Churn final : public Strategy {
 public:
  void on_market_data(const MarketEvent& event, const FieldValues&) override {
    order(event.asset(), position(event.asset()) > 0 ? -10.0 : 10.0);
  }
};

// Capital large enough that no order is ever rejected for buying power.
EngineConfig unconstrained_config() {
  EngineConfig config;
  config.execution.initial_capital = 1e9;
  return config;
}

template <typename S>
void BM_EngineRun(benchmark::State& state) {
  auto feed = make_feed(static_cast<int>(state.range(0)), 390);
  for (auto _ : state) {
    feed->rewind();
    S strategy;
    BacktestEngine engine(*feed, strategy, unconstrained_config());
    benchmark::DoNotOptimize(engine.run());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(feed->batch().num_rows()));
}
BENCHMARK_TEMPLATE(BM_EngineRun, Flat)->Arg(250)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_EngineRun, Churn)->Arg(250)->Unit(benchmark::kMillisecond);

// Broker fill of a market order: one asset, and every bar the strategy places a market
// order that fills at the next bar's open (alternately opening and closing a position),
// with per-share commission and percentage slippage. Items are fills: each includes the
// order entry checks, the fill, the cost model, the fill/order records and, on every
// second fill, a closed round trip.
class FillEveryBar final : public Strategy {
 public:
  void on_market_data(const MarketEvent& event, const FieldValues&) override {
    if (open_orders(event.asset()) == 0) order(event.asset(), position(event.asset()) > 0 ? -100.0 : 100.0);
  }
};

void BM_BrokerFillMarketOrder(benchmark::State& state) {
  auto feed = make_feed(1, 20'000);
  int64_t fills = 0;
  for (auto _ : state) {
    feed->rewind();
    FillEveryBar strategy;
    EngineConfig config = unconstrained_config();
    config.execution.commission = {CommissionType::kPerShare, 0.005, 1.0};
    config.execution.slippage = {SlippageType::kPercentage, 0.0005};
    BacktestEngine engine(*feed, strategy, config);
    const Results results = engine.run();
    fills += static_cast<int64_t>(results.fills.size());
    benchmark::DoNotOptimize(results.final_equity);
  }
  state.SetItemsProcessed(fills);
}
BENCHMARK(BM_BrokerFillMarketOrder)->Unit(benchmark::kMillisecond);

// Portfolio mark: 250 open positions valued at their last close. The strategy opens a
// position in every asset on the first bar and asks for equity() once per timestamp;
// the engine marks again for the equity curve. equity() is memoised until a fill or new
// marks, and every timestamp brings new marks, so both are full marks: items are
// position marks (2 x 250 per timestamp). The engine's per-event work (250 events per
// timestamp) is included, so this is a lower bound on the mark's own speed; compare
// with BM_EngineRun<Flat>, the same run without positions.
class HoldAndMark final : public Strategy {
 public:
  void on_market_data(const MarketEvent& event, const FieldValues&) override {
    if (position(event.asset()) == 0 && open_orders(event.asset()) == 0) order(event.asset(), 10.0);
  }
  void on_timestamp(const TimestampGroup&) override { sum_ += equity(); }
  double sum_ = 0;
};

void BM_PortfolioMark(benchmark::State& state) {
  const int assets = 250, bars = 390;
  auto feed = make_feed(assets, bars);
  for (auto _ : state) {
    feed->rewind();
    HoldAndMark strategy;
    BacktestEngine engine(*feed, strategy, unconstrained_config());
    benchmark::DoNotOptimize(engine.run().final_equity);
    benchmark::DoNotOptimize(strategy.sum_);
  }
  state.SetItemsProcessed(state.iterations() * 2 * assets * bars);
}
BENCHMARK(BM_PortfolioMark)->Unit(benchmark::kMillisecond);

void BM_Metrics(benchmark::State& state) {
  std::vector<EquityPoint> curve;
  const auto t0 = Timestamp::parse("2024-01-02T14:30:00Z");
  double peak = 0;
  for (int i = 0; i < 98'280; ++i) {  // a year of minute bars
    EquityPoint p;
    p.timestamp = t0 + std::chrono::minutes(i);
    p.equity = 1e6 * (1.0 + 0.1 * std::sin(i * 1e-4) + 1e-6 * i);
    peak = std::max(peak, p.equity);
    p.drawdown = p.equity / peak - 1;
    curve.push_back(p);
  }
  for (auto _ : state) benchmark::DoNotOptimize(compute_metrics(curve, {}, {}, 0, 1e6));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(curve.size()));
}
BENCHMARK(BM_Metrics)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ml4t::backtest

BENCHMARK_MAIN();
