// From a validated BacktestConfig to a finished run: the feed options it maps to, the
// signal-timing report, the engine run with progress and cancellation, and what the
// result files need to know about the inputs (files, sizes, times). The CLI's `run`
// and `validate` are thin layers over this.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/data/signal_timing.hpp"
#include "ml4t/backtest/results/results.hpp"
#include "ml4t/backtest/results/stream_writer.hpp"
#include "ml4t/backtest/results/writer.hpp"

namespace ml4t::backtest {

/// The feed options a config describes (prices, signals, context, features provider,
/// universe, time range, signal timing). The timing check is left off (timing.validate
/// false): run_backtest/check_config switch it on and collect its report.
ColumnarFeedOptions to_feed_options(const BacktestConfig& config);

/// The engine settings a config describes.
EngineConfig to_engine_config(const BacktestConfig& config);

/// The input files of a config (globs and folders expanded), with size and mtime.
std::vector<DataFileInfo> describe_inputs(const BacktestConfig& config);

/// The input files of a feed's sources (prices, signals, context, a file-backed feature
/// provider), as describe_inputs(config) lists them.
std::vector<DataFileInfo> describe_inputs(const ColumnarFeedOptions& options);

/// summary.json's provenance for a run without a config (a BacktestEngine over `feed`,
/// after engine.run()): the feed's input files, rows read and assets, the time range, the
/// engine's elapsed time and `strategy` (what traded, e.g. "MyStrategy (my_strategy.cpp)").
/// Pass it to write_results so the files say the same as the CLI's.
RunInfo describe_run(const ColumnarDataFeed& feed, const Results& results, std::string strategy);

struct RunHooks;

/// The signal-timing report for the signals (and features) of a config under its
/// signal_timing mode: the feed streamed once without a strategy (progress and
/// cancellation from `hooks`). Never throws for violations (see TimingReport).
TimingReport signal_timing_report(const BacktestConfig& config, const RunHooks& hooks);
TimingReport signal_timing_report(const BacktestConfig& config);

/// What `validate` finds without running: the feed opened (file schemas and columns
/// checked), the strategy built against the feed's schema, and the timing report (the
/// feed streamed to its end, so bad price rows are found too).
struct ConfigCheck {
  /// Per-asset fields the feed will carry (signals and features).
  std::vector<std::string> signal_fields;
  /// Market-wide fields the feed will carry.
  std::vector<std::string> context_fields;
  /// The input files, globs expanded.
  std::vector<DataFileInfo> files;
  std::optional<TimingReport> timing;  //!< when signal_timing.validate and signals exist
};

/// Check a config against its data. Throws DataError/ConfigError on the first problem.
/// With the timing check on, the data is streamed once: `hooks` gives its progress and
/// cancellation (on_timing_report is not used).
ConfigCheck check_config(const BacktestConfig& config, const RunHooks& hooks);
ConfigCheck check_config(const BacktestConfig& config);

/// Callbacks and cancellation for run_backtest.
struct RunHooks {
  /// Progress: events done, timestamp now.
  std::function<void(uint64_t events, Timestamp now)> progress;
  /// Events between two progress calls.
  uint64_t progress_every = 50'000;
  /// When set and it becomes true, the run stops with Interrupted.
  const std::atomic<bool>* cancel = nullptr;
  /// Receives the timing report (when signal_timing.validate and there are signals or
  /// features) once the run is done, before run_backtest returns; with
  /// fail_on_violation a non-empty report throws instead.
  std::function<void(const TimingReport&)> on_timing_report;
  /// When set, the rows go to this writer as the run goes (made with to_stream_options
  /// of the same config) and the returned Results hold no rows: only the scalars and
  /// the metrics, which the writer computed. Memory then does not grow with the fills.
  ResultStreamWriter* stream = nullptr;
};

/// The metrics basis of a config (periods per year, initial capital) for a streamed run.
StreamOptions to_stream_options(const BacktestConfig& config);

/// What run_backtest returns: the results and what the output files need to know.
struct BacktestRun {
  /// Equity curve, trades, fills, orders and metrics.
  Results results;
  RunInfo info;  //!< all filled; elapsed_seconds is the engine's (the CLI adds its reading time)
};

/// Run the backtest a config describes. Throws SignalTimingViolation when the timing
/// check finds a violation and signal_timing.fail_on_violation is set (the events stop
/// there; the rest of the data is read only to count the violations); DataError on bad
/// data; Interrupted when `hooks.cancel` becomes true.
BacktestRun run_backtest(const BacktestConfig& config, const RunHooks& hooks = {});

/// True when two configs read the same data the same way (data sources, features,
/// universe, signal timing, data quality and resources alike), so their backtests can
/// share one read of it: they may differ only in strategy, execution, risk rules and
/// output.
bool reads_same_data(const BacktestConfig& a, const BacktestConfig& b);

/// How one config of a shared pass ended: its run, or the error run_backtest would
/// have thrown for it.
struct SharedPassRun {
  std::optional<BacktestRun> run;  //!< set when the backtest finished
  std::exception_ptr error;        //!< set otherwise
};

/// Run the backtests of several configs that read the same data (reads_same_data with
/// the first; else ConfigError) over ONE read of it (run_in_one_pass): one feed, one
/// merge and one signal-timing check, K strategies and engines. `hooks[i]` are config
/// i's (or empty for none; the cancel flag of any stops its engine). Each run is
/// bit-identical to run_backtest(configs[i], hooks[i]); a config whose backtest fails
/// does not stop the others, an error of the data ends them all with that error.
std::vector<SharedPassRun> run_backtests_in_one_pass(const std::vector<const BacktestConfig*>& configs,
                                                     const std::vector<RunHooks>& hooks);

/// Bars in the price source(s) within the config's time range and universe (a quick
/// DuckDB count, for the progress bar's ETA); nullopt when counting fails.
std::optional<uint64_t> count_price_rows(const BacktestConfig& config);

}  // namespace ml4t::backtest
