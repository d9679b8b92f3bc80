// Walk-forward analysis: the bars are cut into folds (a train window, a gap, a test
// window); in each fold every parameter set runs on the train window, the best by a
// metric is chosen, and only that one runs on the test window. The test windows never
// overlap, so their results chained together are an out-of-sample equity curve.
//
//   rolling:  train [k*step, k*step+train)          test [train_end+gap, train_end+gap+test)
//   anchored: train [0, train+k*step)               (the same test windows)
// Folds whose test window would run past the last bar are dropped (no partial folds).
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/sweep/sweep.hpp"

namespace ml4t::backtest {

/// A calendar length: `count` hours (h), days (D), weeks (W), months (M) or years (Y).
/// Months and years are calendar ones (2024-01-31 + 1M = 2024-02-29, clamped).
struct CalendarLength {
  int64_t count = 0;  //!< how many units
  char unit = 'D';    //!< 'h', 'D', 'W', 'M' or 'Y'
  /// `from` moved forward by `times` lengths.
  Timestamp after(Timestamp from, int64_t times = 1) const;
};

/// Window sizes in bars (timestamps of the price data), or in calendar time: train,
/// test and step are all bars or all durations (`train=12M,test=3M`); the gap may be
/// either.
struct WalkForwardSpec {
  size_t train = 0;  //!< bars in a train window (the first, when anchored)
  size_t test = 0;   //!< bars in a test window
  size_t step = 0;  //!< 0 = test (back-to-back test windows)
  /// Bars skipped between train and test (purge/embargo, see docs/sweeps.md).
  size_t gap = 0;
  bool anchored = false;  //!< train windows all start at bar 0
  /// Durations instead of bar counts (then train/test/step above are unused): windows
  /// are [start, start + length) in time from the first bar, start moving by `step_time`.
  std::optional<CalendarLength> train_time;
  std::optional<CalendarLength> test_time;  //!< the test window as a duration
  std::optional<CalendarLength> step_time;  //!< how far each fold moves (default test_time)
  std::optional<CalendarLength> gap_time;  //!< the gap as a duration (else `gap` bars)
};

/// Parse "train=252,test=63[,step=63][,gap=5][,anchored]". Throws ConfigError.
WalkForwardSpec parse_walk_forward(std::string_view text);

/// One fold, as bar indices [begin, end).
struct Fold {
  size_t train_begin = 0;  //!< first train bar
  size_t train_end = 0;    //!< one past the last train bar
  size_t test_begin = 0;   //!< first test bar
  size_t test_end = 0;     //!< one past the last test bar
};

/// The folds of `bars` bars. Throws ConfigError when not even one fits.
std::vector<Fold> make_folds(size_t bars, const WalkForwardSpec& spec);

/// The folds over these bar times: by bar counts as above, or, with durations, each
/// window holding the bars with start <= t < end. A fold is kept when both its windows
/// hold bars and the data reaches the end of its test window (a bar at or after it, or
/// the last bar within the longest spacing between two bars of the data: a weekend or
/// holiday before the end does not drop it). Throws ConfigError when no fold fits.
std::vector<Fold> make_folds(const std::vector<Timestamp>& bars, const WalkForwardSpec& spec);

/// Which metric picks a fold's parameters: "sharpe" or "sharpe:max" maximizes,
/// "turnover:min" minimizes. Any of sweep_metric_columns().
struct Selection {
  std::string metric = "sharpe";  //!< a sweep_metric_columns() name
  bool maximize = true;           //!< false: the smallest value wins
};
Selection parse_selection(std::string_view text);

/// What one fold chose and how it did out of sample.
struct FoldOutcome {
  Fold fold;  //!< its bar indices
  Timestamp train_first;  //!< first train bar time
  Timestamp train_last;   //!< last train bar time
  Timestamp test_first;   //!< first test bar time
  Timestamp test_last;    //!< last test bar time
  size_t chosen = 0;            //!< index into the plan's tasks
  double train_score = 0;       //!< the selection metric of the chosen set on the train window
  std::vector<std::optional<double>> test_values;  //!< final_equity + metrics (sweep_metric_columns())
};

/// The whole walk-forward.
struct WalkForwardResult {
  std::vector<FoldOutcome> folds;  //!< in time order
  /// Stitched out-of-sample equity: each test window's curve scaled to start where the
  /// previous one ended (fold 0 starts at the initial capital).
  std::vector<std::pair<Timestamp, double>> oos_equity;
  std::vector<size_t> oos_fold;  //!< fold of each oos_equity point
  std::vector<std::filesystem::path> tables;  //!< folds.parquet/.csv, oos_equity.parquet/.csv
};

/// Run the walk-forward of `plan` (its tasks are the candidate parameter sets) and write
/// `out`/folds.parquet|csv and `out`/oos_equity.parquet|csv. `workers` as for sweeps.
WalkForwardResult run_walk_forward(const SweepPlan& plan, const WalkForwardSpec& spec, const Selection& selection,
                                   const std::filesystem::path& out, int workers,
                                   const std::atomic<bool>* cancel = nullptr);

}  // namespace ml4t::backtest
