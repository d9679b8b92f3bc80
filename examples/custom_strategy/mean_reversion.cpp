// A user's own C++ strategy: buy an asset after its RSI(14) falls below 30 while VIX is
// calm, sell when RSI recovers above 55. Runs on the sample data:
//   ml4t-backtest generate --out data && ./mean_reversion data
#include <cstdio>
#include <string>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

using namespace ml4t::backtest;

class RsiMeanReversion final : public Strategy {
 public:
  void on_market_data(const MarketEvent& event, const FieldValues& context) override {
    const double rsi = event.signals().get("rsi_14", 50.0);
    const double vix = context.get("vix", 15.0);
    const bool holding = position(event.asset()) > 0;
    if (!holding && rsi < 30.0 && vix < 25.0) {
      buy_percent(event.asset(), 0.10, event.close());
    } else if (holding && rsi > 55.0) {
      close_position(event.asset());
    }
  }
};

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DATA_DIR (made by `ml4t-backtest generate --out DATA_DIR`)\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  try {
    ColumnarFeedOptions options;
    options.prices = DataSource(dir + "/prices.parquet");
    options.signals = DataSource(dir + "/features.parquet");  // rsi_14, atr_20
    DataSource context(dir + "/context.parquet");
    context.asset_column = "";  // keyed by timestamp alone
    options.context = context;
    options.timing.mode = SignalTimingMode::kStrict;  // computed from the bar's own close
    ColumnarDataFeed feed(options);

    RsiMeanReversion strategy;
    EngineConfig config;
    config.execution.initial_capital = 100'000;
    config.execution.commission = {CommissionType::kPerShare, 0.005, 1.0};
    BacktestEngine engine(feed, strategy, config);
    const Results results = engine.run();
    std::printf("events %llu trades %lld final_equity %.2f total_return %.4f\n",
                static_cast<unsigned long long>(results.events), static_cast<long long>(results.metrics.num_trades),
                results.final_equity, results.metrics.total_return);
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
