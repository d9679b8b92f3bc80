// The look-ahead guard: on the sample data, signal_threshold on the honest ml_pred
// (stamped t, seen at bar t, traded at bar t+1's open) makes a modest return; the same
// strategy fed the value stamped t+1 at bar t (a one-bar leak) makes an absurd one. If
// an engine change ever let orders fill on the bar the strategy saw, or a feed change
// shifted signals early, the honest run would jump into the absurd range and fail.
#include <gtest/gtest.h>

#include <filesystem>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/data/in_memory_feed.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

// Bars with ml_pred attached by (timestamp, asset) — STRICT — or, for the leak, the
// value stamped at the asset's next bar.
std::unique_ptr<InMemoryDataFeed> load(const std::filesystem::path& dir, bool leak) {
  duck::Database db;
  duck::Connection con(db);
  const std::string prices = duck::quote_literal((dir / "prices.parquet").string());
  const std::string signals = duck::quote_literal((dir / "signals.parquet").string());
  const std::string pred = leak ? "lead(s.ml_pred) OVER (PARTITION BY p.asset_id ORDER BY p.timestamp)" : "s.ml_pred";
  auto result = con.query(
      "SELECT epoch_us(p.timestamp), p.asset_id, p.open, p.high, p.low, p.close, "
      "CAST(p.volume AS DOUBLE), " +
          pred + " FROM read_parquet(" + prices + ") p JOIN read_parquet(" + signals +
          ") s USING (timestamp, asset_id) "
          "ORDER BY p.timestamp, p.asset_id",
      "loading sample data");
  InMemoryDataFeed::Builder builder({"ml_pred"});
  while (auto chunk = result.fetch()) {
    const auto* ts = chunk.data<int64_t>(0);
    const auto* validity = chunk.validity(7);
    for (size_t i = 0; i < chunk.size(); ++i) {
      const double p = duck::DataChunk::is_valid(validity, i) ? chunk.data<double>(7)[i] : kMissing;
      builder.add_bar(Timestamp::from_micros(ts[i]), chunk.string_at(1, i),
                      Bar{chunk.data<double>(2)[i], chunk.data<double>(3)[i], chunk.data<double>(4)[i],
                          chunk.data<double>(5)[i], chunk.data<double>(6)[i]},
                      {p});
    }
  }
  return builder.build();
}

Results run_spec(InMemoryDataFeed& feed, const StrategySpec& spec) {
  feed.rewind();
  auto strategy = make_builtin_strategy(spec, feed.schema());
  BacktestEngine engine(feed, *strategy, EngineConfig{});
  return engine.run();
}

TEST(LookAhead, HonestSignalIsModestAndALeakedOneIsAbsurd) {
  const auto dir = testing::scratch_dir();
  SampleDataOptions options;
  options.out_dir = dir;
  options.symbols = 20;
  options.days = 250;
  options.threads = 1;
  generate_sample_data(options);

  auto honest_feed = load(dir, false);
  auto leaked_feed = load(dir, true);
  // signal_threshold on ml_pred: enter > 0.6, exit < 0.5, 10% of equity per entry.
  const Results honest = run_spec(*honest_feed, StrategySpec{});
  const Results leaked = run_spec(*leaked_feed, StrategySpec{});
  std::printf("honest: total_return %.4f sharpe %.2f trades %lld; leaked: total_return %.4f sharpe %.2f trades %lld\n",
              honest.metrics.total_return, honest.metrics.sharpe, static_cast<long long>(honest.metrics.num_trades),
              leaked.metrics.total_return, leaked.metrics.sharpe, static_cast<long long>(leaked.metrics.num_trades));
  EXPECT_GT(honest.metrics.num_trades, 100);
  EXPECT_GT(honest.metrics.total_return, -0.25);
  EXPECT_LT(honest.metrics.total_return, 0.40);
  EXPECT_GT(leaked.metrics.total_return, 2.0);
  EXPECT_GT(leaked.metrics.sharpe, 5.0);

  // The cross-sectional strategy too: top 3 long, bottom 3 short, rebalanced every bar.
  StrategySpec top;
  top.type = "top_k";
  top.k = 3;
  top.side = StrategySide::kBoth;
  top.gross_exposure = 0.9;
  const Results honest_top = run_spec(*honest_feed, top);
  const Results leaked_top = run_spec(*leaked_feed, top);
  std::printf("top_k honest: total_return %.4f sharpe %.2f; leaked: total_return %.4f sharpe %.2f\n",
              honest_top.metrics.total_return, honest_top.metrics.sharpe, leaked_top.metrics.total_return,
              leaked_top.metrics.sharpe);
  EXPECT_GT(honest_top.metrics.total_return, -0.30);
  EXPECT_LT(honest_top.metrics.total_return, 0.50);
  EXPECT_GT(leaked_top.metrics.total_return, 5.0);
}

}  // namespace
}  // namespace ml4t::backtest
