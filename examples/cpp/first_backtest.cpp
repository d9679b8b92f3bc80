// A first backtest in C++: stream the generated sample data (prices, ML signals and
// market context) through a ColumnarDataFeed, trade a small ML-threshold strategy with a
// VIX filter, print the metrics and write the result files. docs/getting-started.md
// walks through it.
//
//   build/examples/first_backtest out/sample-data out/cpp-results
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>

#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/strategy.hpp"
#include "ml4t/backtest/results/writer.hpp"

namespace bt = ml4t::backtest;

// [doc:strategy]
// Long when the model is confident, flat when it is not, no new entries in stress.
class MlThreshold : public bt::Strategy {
 public:
  void on_start() override {
    // Resolve field names once; the per-event code indexes by FieldId.
    pred_ = schema().signal_id("ml_pred");
    confidence_ = schema().signal_id("confidence");
    vix_ = schema().find_context("vix");  // optional: the feed may have no context
  }

  void on_market_data(const bt::MarketEvent& event, const bt::FieldValues& context) override {
    const double pred = event.signals().get(pred_, 0.5);  // 0.5 when missing
    const double confidence = event.signals().get(confidence_, 0.0);
    const double vix = vix_ ? context.get(*vix_, 15.0) : 15.0;
    const double held = position(event.asset());
    if (held == 0 && pred > 0.6 && confidence > 0.5 && vix < 30 && open_orders(event.asset()) == 0) {
      buy_percent(event.asset(), 0.2, event.close());  // fills at the next bar's open
    } else if (held > 0 && pred < 0.5) {
      close_position(event.asset());
    }
  }

 private:
  bt::FieldId pred_, confidence_;
  std::optional<bt::FieldId> vix_;
};
// [doc:strategy]

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DATA_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path data = argv[1];
  try {
    // [doc:feed]
    bt::ColumnarFeedOptions options;
    options.prices = (data / "prices.parquet").string();
    options.signals = bt::DataSource((data / "signals.parquet").string());
    options.context = bt::DataSource((data / "context.parquet").string());
    options.context->asset_column = "";  // market-wide: keyed by timestamp alone
    options.timing.mode = bt::SignalTimingMode::kStrict;  // ml_pred stamped t uses bar t's close: seen on bar t
    bt::ColumnarDataFeed feed(options);  // reads file schemas only
    // [doc:feed]

    // [doc:run]
    bt::EngineConfig config;
    config.execution.initial_capital = 100'000;
    config.execution.commission = {bt::CommissionType::kPerShare, 0.005, 1.0};
    config.execution.slippage = {bt::SlippageType::kPercentage, 0.0005};
    config.risk_rules.stop_loss = 0.05;

    MlThreshold strategy;
    bt::BacktestEngine engine(feed, strategy, config);
    const bt::Results results = engine.run();

    const bt::Metrics& m = results.metrics;
    std::printf("events %llu, trades %lld, final equity %.2f\n", static_cast<unsigned long long>(results.events),
                static_cast<long long>(m.num_trades), results.final_equity);
    std::printf("total return %.4f, sharpe %.3f, max drawdown %.4f\n", m.total_return, m.sharpe, m.max_drawdown);

    // summary.json's provenance, as the CLI writes it: input files, version, elapsed time.
    bt::RunInfo info = bt::describe_run(feed, results, "MlThreshold (first_backtest.cpp)");
    info.title = "first_backtest.cpp";
    bt::WriteOptions write;
    write.csv = true;
    write.overwrite = true;
    for (const auto& path : bt::write_results(results, argv[2], write, info)) {
      std::printf("wrote %s\n", path.filename().string().c_str());
    }
    // [doc:run]
  } catch (const bt::ConfigError& e) {
    std::fprintf(stderr, "config error: %s\n", e.what());
    return 2;
  } catch (const bt::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
