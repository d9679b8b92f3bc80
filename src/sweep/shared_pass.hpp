// One data pass, many engines: the tasks of a sweep that read the same data (same
// sources, universe, time range, timing and data-quality rules) share one
// ColumnarDataFeed. A producer thread reads it once and hands out its timestamp groups
// in chunks; every task's engine reads them through its own replay feed, on its own
// thread, with at most `workers` engines computing at once. Memory is one feed, a few
// chunks (the producer stays a bounded number of chunks ahead of the slowest engine) and
// K portfolios; each engine sees exactly the groups (and the symbol table's growth) a
// single run's feed gives it, so its results are bit-identical to that run.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ml4t/backtest/results/writer.hpp"
#include "ml4t/backtest/sweep/sweep.hpp"

namespace ml4t::backtest::detail {

/// Write a finished task's summary (and, with keep_results, its result files).
void write_task_results(const SweepTask& task, const SweepOptions& options, const Results& results,
                        const RunInfo& info);

/// What decides the data a config's run reads: tasks with equal keys can share a pass.
std::string feed_key(const BacktestConfig& config);

/// Run `tasks` (equal feed_key) over one pass of their data; outcomes in task order.
/// Each finished task's summary (and result files) is written as run_sweep_task does;
/// `on_end` is called as each task ends (from its thread).
std::vector<TaskOutcome> run_shared_pass(const std::vector<const SweepTask*>& tasks, const SweepOptions& options,
                                         const std::function<void(size_t, const TaskOutcome&)>& on_end);

}  // namespace ml4t::backtest::detail
