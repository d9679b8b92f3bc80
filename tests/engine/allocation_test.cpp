// The hot loop does not allocate per event: counted with a replaced global operator
// new over whole runs (only output records — equity points, orders, fills — grow, and
// they grow geometrically).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>

#include "engine_test_support.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// Every non-aligned form is replaced so new/delete pairs stay matched (AddressSanitizer
// checks that).
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
// g++ 12 at -O2 with ASan (scripts/test --sanitize) flags free() of what the malloc-based
// operator new above returned as -Wmismatched-new-delete; the pairs do match.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace ml4t::backtest {
namespace {

// 20 assets x 2000 bars with a signal that flips every few bars.
std::unique_ptr<InMemoryDataFeed> big_feed() {
  InMemoryDataFeed::Builder b({"ml_pred"});
  for (int a = 0; a < 20; ++a) {
    char symbol[8];
    std::snprintf(symbol, sizeof symbol, "A%02d", a);
    for (int i = 0; i < 2000; ++i) {
      const double p = 100 + 10 * std::sin(0.05 * i + a);
      b.add_bar(testing::day(i), symbol, Bar{p, p + 1, p - 1, p, 1e6}, {0.5 + 0.4 * std::sin(0.7 * i + a)});
    }
  }
  return b.build();
}

class Flat : public Strategy {};

TEST(Allocation, FlatRunAllocatesOnlyForOutputs) {
  auto feed = big_feed();
  Flat flat;
  BacktestEngine engine(*feed, flat);
  const uint64_t before = g_allocations.load();
  const Results r = engine.run();
  const uint64_t n = g_allocations.load() - before;
  EXPECT_EQ(r.events, 40'000u);
  // The equity curve's geometric growth (~12) plus setup and the symbols copy (~30).
  EXPECT_LT(n, 100u) << n << " allocations";
}

TEST(Allocation, TradingRunAllocatesPerOrderNotPerEvent) {
  auto feed = big_feed();
  auto strategy = make_builtin_strategy(StrategySpec{}, feed->schema());
  BacktestEngine engine(*feed, *strategy);
  const uint64_t before = g_allocations.load();
  const Results r = engine.run();
  const uint64_t n = g_allocations.load() - before;
  ASSERT_GT(r.fills.size(), 1000u);
  // Geometric growth of the output vectors, plus each rejected order's reason text
  // (up to three strings: timestamp text, its buffer, the message): nothing per event.
  uint64_t rejected = 0;
  for (const auto& o : r.orders) rejected += o.status == OrderStatus::kRejected ? 1 : 0;
  EXPECT_LT(n, 3 * rejected + 200) << n << " allocations for " << r.orders.size() << " orders, " << rejected
                                   << " rejected";
}

}  // namespace
}  // namespace ml4t::backtest
