// The two feature providers side by side: precomputed features streamed from
// features.parquet (the fast path), and features computed by your own functions per
// (asset, timestamp) and per timestamp (the slow path, cached). Prints the values one
// event (the first asset's 25th bar) sees. docs/data-architecture.md includes it.
//
//   build/examples/feature_providers out/sample-data
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/data/feature_provider.hpp"

namespace bt = ml4t::backtest;

namespace {
// Prints the first event of the 25th timestamp (after the indicators' warm-up).
void print_event(bt::DataFeed& feed, const char* title) {
  bt::TimestampGroup group = feed.next_group();
  for (int i = 1; i < 25 && group.valid(); ++i) group = feed.next_group();
  if (!group.valid()) return;
  const bt::MarketEvent event = group[0];
  std::printf("%s: %s %s", title, event.symbol().c_str(), event.timestamp().date_string().c_str());
  const bt::FieldValues signals = event.signals();
  for (size_t i = 0; i < signals.size(); ++i) std::printf(" %s=%.4g", signals.name(i).c_str(), signals.value(i));
  const bt::FieldValues context = event.context();
  for (size_t i = 0; i < context.size(); ++i) std::printf(" | %s=%.4g", context.name(i).c_str(), context.value(i));
  std::printf("\n");
}
}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path data = argc > 1 ? argv[1] : "out/sample-data";
  try {
    // [doc:precomputed]
    bt::ColumnarFeedOptions fast;
    fast.prices = (data / "prices.parquet").string();
    fast.feature_provider =
        std::make_shared<bt::PrecomputedFeatureProvider>(bt::DataSource((data / "features.parquet").string()));
    bt::ColumnarDataFeed precomputed(fast);  // rsi_14, atr_20 become signal fields
    // [doc:precomputed]
    print_event(precomputed, "precomputed");

    // [doc:callable]
    auto provider = std::make_shared<bt::CallableFeatureProvider>(
        std::vector<std::string>{"symbol_length"},
        [](std::string_view asset, bt::Timestamp) { return std::vector<double>{double(asset.size())}; },
        std::vector<std::string>{"day_of_month"},
        [](bt::Timestamp ts) { return std::vector<double>{std::stod(ts.date_string().substr(8, 2))}; },
        /*cache=*/true);
    bt::ColumnarFeedOptions slow;
    slow.prices = (data / "prices.parquet").string();
    slow.feature_provider = provider;
    bt::ColumnarDataFeed computed(slow);  // calls the functions as bars stream by
    // [doc:callable]
    print_event(computed, "callable");
    std::printf("callable provider calls: %llu\n", static_cast<unsigned long long>(provider->calls()));
  } catch (const bt::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
