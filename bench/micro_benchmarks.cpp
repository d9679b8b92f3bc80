// Micro benchmarks of the per-event hot paths: reading an event's view, looking up a
// signal by FieldId and by name, the engine's per-event cost with market-order fills,
// and the metrics over a year of minute equity points.
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

template <typename S>
void BM_EngineRun(benchmark::State& state) {
  auto feed = make_feed(static_cast<int>(state.range(0)), 390);
  for (auto _ : state) {
    feed->rewind();
    S strategy;
    EngineConfig config;
    config.execution.initial_capital = 1e9;
    BacktestEngine engine(*feed, strategy, config);
    benchmark::DoNotOptimize(engine.run());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(feed->batch().num_rows()));
}
BENCHMARK_TEMPLATE(BM_EngineRun, Flat)->Arg(250)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_EngineRun, Churn)->Arg(250)->Unit(benchmark::kMillisecond);

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
