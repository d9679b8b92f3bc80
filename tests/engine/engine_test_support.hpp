// Helpers for engine tests: small hand-made feeds and a scripted strategy whose steps
// are lambdas, so a golden test reads as "at bar i, do this".
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ml4t/backtest/data/in_memory_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

namespace ml4t::backtest::testing {

/// Daily bars from 2024-01-01 (bar i at day i; weekends are fine for the engine).
inline Timestamp day(int i) { return Timestamp::from_civil(2024, 1, 1) + std::chrono::hours(24 * i); }

/// Five daily bars the golden tests work their expected values from, b0..b4.
//                                     open  high  low  close volume
inline const std::vector<Bar> kBars = {{100, 101, 99, 100, 1000},   // b0
                                       {102, 104, 101, 103, 1000},  // b1
                                       {105, 106, 104, 105, 1000},  // b2
                                       {104, 105, 100, 101, 1000},  // b3
                                       {101, 102, 99, 100, 1000}};  // b4

/// One asset's bars; `signals` (optional) one per bar.
struct Series {
  std::string symbol;
  std::vector<Bar> bars;
  std::vector<double> signal;  //!< ml_pred per bar (empty = none)
};

inline std::unique_ptr<InMemoryDataFeed> make_feed(const std::vector<Series>& series,
                                                   const std::vector<double>& vix = {}) {
  InMemoryDataFeed::Builder b({"ml_pred"}, {"vix"});
  for (const Series& s : series) {
    for (size_t i = 0; i < s.bars.size(); ++i) {
      b.add_bar(day(static_cast<int>(i)), s.symbol, s.bars[i],
                i < s.signal.size() ? std::vector<double>{s.signal[i]} : std::vector<double>{});
    }
  }
  for (size_t i = 0; i < vix.size(); ++i) b.add_context(day(static_cast<int>(i)), {vix[i]});
  return b.build();
}

/// A strategy whose on_timestamp runs `step(self, bar_index)`; the helpers are public.
class Script : public Strategy {
 public:
  using Step = std::function<void(Script&, int bar)>;
  explicit Script(Step step) : step_(std::move(step)) {}
  void on_timestamp(const TimestampGroup& /*group*/) override { step_(*this, bar_++); }
  void on_fill(const Fill& fill) override { fills_seen.push_back(fill); }

  using Strategy::buy_percent;
  using Strategy::cancel;
  using Strategy::cash;
  using Strategy::close_position;
  using Strategy::equity;
  using Strategy::open_orders;
  using Strategy::order;
  using Strategy::order_target_percent;
  using Strategy::order_target_quantity;
  using Strategy::order_trailing_stop;
  using Strategy::position;
  using Strategy::position_info;
  using Strategy::rebalance;
  using Strategy::sell_percent;

  std::vector<Fill> fills_seen;

 private:
  Step step_;
  int bar_ = 0;
};

/// Run `step` over `feed` with `config`.
inline Results run_script(InMemoryDataFeed& feed, Script::Step step, EngineConfig config = {}) {
  Script script(std::move(step));
  BacktestEngine engine(feed, script, std::move(config));
  return engine.run();
}

}  // namespace ml4t::backtest::testing
