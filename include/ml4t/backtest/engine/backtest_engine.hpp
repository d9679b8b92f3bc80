// BacktestEngine: drives a Strategy over a DataFeed, one timestamp group at a time —
// fill pending orders against the new bars, apply the position risk rules, mark the
// portfolio at the close, then let the strategy see the bars and queue new orders —
// and returns the Results (equity curve, trades, fills, orders, metrics). Runs are
// deterministic: the same feed, strategy and config give bit-identical results.
// Fill and cost semantics are documented in docs/execution.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>

#include "ml4t/backtest/data/data_feed.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/strategy.hpp"
#include "ml4t/backtest/engine/result_sink.hpp"
#include "ml4t/backtest/engine/run_results.hpp"

namespace ml4t::backtest {

namespace detail {
class EngineCore;
}

/// Runs one backtest. The feed and strategy must outlive the engine.
class BacktestEngine {
 public:
  /// Called every `progress_every` events and once at the end: events done so far and
  /// the timestamp being processed.
  using ProgressCallback = std::function<void(uint64_t events, Timestamp now)>;

  /// Throws ConfigError on an invalid config (negative capital, rates out of range, ...) or
  /// when min_vix/max_vix name a context field the feed does not have. Reads no data.
  BacktestEngine(DataFeed& feed, Strategy& strategy, EngineConfig config = {});
  ~BacktestEngine();
  BacktestEngine(const BacktestEngine&) = delete;
  BacktestEngine& operator=(const BacktestEngine&) = delete;

  /// Report progress through `callback` about every `every_events` events.
  void set_progress_callback(ProgressCallback callback, uint64_t every_events = 100'000);
  /// Stop the run (throwing Interrupted) once `*flag` becomes true; checked per timestamp.
  void set_cancel_flag(const std::atomic<bool>* flag);
  /// Hand every equity point, fill, trade and finished order to `sink` as the run goes
  /// instead of collecting them: run() then returns Results with empty row vectors and
  /// no metrics (the sink sees every row; see ResultStreamWriter). Memory stays bounded
  /// by the open orders, not the number of fills. `sink` must outlive run().
  void set_result_sink(ResultSink* sink);

  /// Run the backtest over the whole feed. Call once. Throws DataError on bad bars (NaN
  /// or non-positive prices, time going backwards) and Interrupted when cancelled.
  Results run();

 private:
  friend struct OnePass;
  std::unique_ptr<detail::EngineCore> core_;
};

/// How one engine of a shared pass ended: its results, or the error that stopped it.
struct PassOutcome {
  Results results;           //!< as BacktestEngine::run() would have returned them
  std::exception_ptr error;  //!< set when this engine failed (then results are empty)
};

/// Run several engines over ONE read of the feed they were all built on: each timestamp
/// group is read and merged once and handed to every engine in turn, so K backtests of
/// the same data cost one scan plus K engines (what a sweep does). Each engine's results
/// are bit-identical to its own run() on a fresh feed: engines share nothing but the
/// read-only group views. An engine that throws (bad bar, interrupted, a strategy's
/// error) drops out with its error and the others go on; an error of the feed itself
/// (unreadable data, a signal-timing violation with fail_on_violation) ends every engine
/// still running with that error. Throws ConfigError when an engine was built on
/// another feed or was run before. Each engine's cancel flag and progress callback work
/// as in run().
std::vector<PassOutcome> run_in_one_pass(DataFeed& feed, const std::vector<BacktestEngine*>& engines);

}  // namespace ml4t::backtest
