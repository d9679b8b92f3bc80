// Parameter sweeps: one config, many parameter sets, one backtest per set; the sets
// that read the same data share one pass over it (one read feeding many engines). Every task is the same run_backtest a single `ml4t-backtest run CONFIG --set
// key=value ...` does, so its final equity and metrics are bit-identical to that run.
//
// Output folder:
//   sweep.parquet, sweep.csv   one row per finished task, in plan order
//   tasks/<task_id>/           summary.json (and result files with keep_results)
//   manifest.json              every task, its status and timing, the version
// A task is finished when tasks/<task_id>/summary.json exists; the task id is a stable
// hash of the data identity (input paths, sizes, mtimes) and the resolved config, so a
// resumed sweep skips exactly the tasks whose inputs and parameters did not change.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/sweep/parameter_space.hpp"

namespace ml4t::backtest {

/// One backtest of a sweep.
struct SweepTask {
  std::string id;      //!< 16 hex digits, see task_id()
  size_t index = 0;    //!< position in the parameter space
  ParameterSet params;  //!< the swept values
  /// The whole --set list: the sweep's base overrides, then the parameters.
  std::vector<std::string> overrides;
  BacktestConfig config;  //!< loaded and validated
};

/// What a sweep runs: the config file, the overrides common to every task and the tasks.
struct SweepPlan {
  std::filesystem::path config_file;          //!< the config every task loads
  std::vector<std::string> base_overrides;    //!< --set values common to every task
  ParameterSpace space;                       //!< what the grid file described
  std::vector<SweepTask> tasks;               //!< one per parameter set, in space order
};

/// Load and check every parameter set's config before anything runs: each config is
/// loaded with base_overrides + its parameters, its strategy and engine are built
/// against the data's schema (one feed opened per distinct set of data sources). Throws
/// one ConfigError (or DataError when the data cannot be opened) listing every problem,
/// each prefixed with the parameters that caused it.
SweepPlan plan_sweep(const std::filesystem::path& config_file, const std::vector<std::string>& base_overrides,
                     ParameterSpace space);

/// A stable hash of what a task's results depend on: the input files (role, path, size,
/// mtime) and the resolved config (output.dir left out). 16 lowercase hex digits.
std::string task_id(const BacktestConfig& config);

/// How one task went.
struct TaskOutcome {
  std::string id;    //!< the task's id
  size_t index = 0;  //!< its position in the plan
  /// "done" (ran now), "resumed" (finished earlier), "failed", "interrupted", "pending".
  std::string status = "pending";
  double seconds = 0;  //!< the run's wall time (for resumed tasks, as recorded then)
  std::string error;   //!< for failed tasks
};

/// How to run a plan.
struct SweepOptions {
  std::filesystem::path out;  //!< the output folder
  int workers = 0;            //!< threads; 0 = all cores
  /// Most tasks one read of the data feeds (tasks reading the same data share a pass,
  /// see reads_same_data); 0 = as many as spreads the tasks evenly over the workers,
  /// up to 32. 1 = every task reads the data itself.
  int engines_per_pass = 0;
  /// Run only chunk `chunk` of `chunks` (1-based): the tasks whose plan index i has
  /// i % chunks == chunk - 1, for Slurm job arrays or GNU parallel, all into one `out`.
  /// A chunk keeps the tasks finished in `out` (as with resume), writes
  /// out/chunks/K-of-N.json (chunk K of N) instead of the manifest, and no tables.
  int chunk = 0;
  int chunks = 0;  //!< 0 = the whole sweep
  /// Run nothing: gather the finished tasks in `out` into the tables and the manifest
  /// (the tasks still missing stay "pending").
  bool collect = false;
  bool resume = false;        //!< keep finished tasks of an earlier run in `out`
  bool overwrite = false;     //!< delete an earlier sweep's files in `out` first
  bool keep_results = false;  //!< write every task's result files, not only summary.json
  std::string version;        //!< ml4t-backtest version for summaries and the manifest
  /// Stops the sweep (tasks in flight end with Interrupted) when it becomes true.
  const std::atomic<bool>* cancel = nullptr;
  /// Called (under a lock, in completion order) when a task ends: its outcome, how many
  /// tasks have ended, how many there are.
  std::function<void(const SweepTask&, const TaskOutcome&, size_t ended, size_t total)> on_task;
  /// Called (under a lock) when a pass starts: its index, how many passes, its tasks.
  std::function<void(size_t pass, size_t passes, size_t tasks)> on_pass;
};

/// What run_sweep did.
struct SweepSummary {
  std::vector<TaskOutcome> outcomes;  //!< in plan order
  size_t ran = 0;          //!< tasks run now
  size_t resumed = 0;      //!< tasks kept from an earlier run
  size_t failed = 0;       //!< tasks that threw
  size_t interrupted = 0;  //!< tasks stopped or not started by cancellation
  size_t data_passes = 0;  //!< reads of the data (each feeding the engines of one pass)
  size_t pending = 0;      //!< tasks not run (another chunk's, or missing at --collect)
  std::vector<std::filesystem::path> tables;  //!< sweep.parquet, sweep.csv
  double seconds = 0;  //!< wall time of the whole sweep
};

/// Check `options.out` before planning: refuse a non-empty folder that is not an earlier
/// sweep unless `overwrite`; refuse an earlier sweep unless `resume` or `overwrite`.
void check_sweep_output(const SweepOptions& options);

/// Run every unfinished task of the plan on `workers` threads, then write the tables
/// and the manifest. A failed task does not stop the others (see SweepSummary::failed);
/// a cancelled sweep writes what finished and throws Interrupted.
SweepSummary run_sweep(const SweepPlan& plan, const SweepOptions& options);

/// The plan of the sweep in `out` again (for --collect), from the out/sweep-plan.json
/// every sweep writes: the same config, overrides and parameter sets, planned and
/// checked as they were (the data files must still be there).
SweepPlan plan_sweep_again(const std::filesystem::path& out);

/// Run one task on the calling thread into options.out/tasks/<id>/ (summary.json, and
/// the result files with keep_results): what each worker thread of run_sweep does, and
/// what a Dask worker calls for one task. Never throws; the outcome says how it went.
TaskOutcome run_sweep_task(const SweepTask& task, const SweepOptions& options);

/// Run tasks that read the same data over one read of it (run_backtests_in_one_pass),
/// each into options.out/tasks/<id>/ as run_sweep_task does: what a worker thread of
/// run_sweep does with a pass. Never throws; outcomes in the order of `tasks`.
std::vector<TaskOutcome> run_sweep_pass(const std::vector<const SweepTask*>& tasks, const SweepOptions& options);

/// How run_sweep groups tasks into passes: tasks (indices into `tasks`) that read the
/// same data, in plan order, at most `engines_per_pass` (0 = auto, see SweepOptions)
/// per pass, spread evenly so that `workers` threads stay busy.
std::vector<std::vector<size_t>> plan_passes(const std::vector<const SweepTask*>& tasks, size_t workers,
                                             int engines_per_pass);

/// One cell of the sweep table: null, a number, an integer or text.
using SweepCell = std::variant<std::monostate, double, int64_t, std::string>;

/// The sweep table as values, exactly what sweep.parquet holds.
struct SweepTable {
  std::vector<std::string> columns;          //!< task_id, swept keys, final_equity, metrics
  std::vector<std::vector<SweepCell>> rows;  //!< one per finished task, in plan order
};

/// The sweep table of the plan's finished tasks in `dir`, read from their summaries.
SweepTable read_sweep_table(const SweepPlan& plan, const std::filesystem::path& dir);

/// sweep.html: `tasks` as a sortable table and a heatmap of a chosen metric over two of
/// its `swept_keys` (the columns after task_id), plus `folds` after a walk-forward (or
/// nullptr). Self-contained: the page loads nothing else.
std::string render_sweep_html(const SweepTable& tasks, size_t swept_keys, const SweepTable* folds,
                              const std::string& title);

/// Write `dir`/sweep.html (staged, then renamed) with render_sweep_html.
std::filesystem::path write_sweep_html(const std::filesystem::path& dir, const SweepTable& tasks, size_t swept_keys,
                                       const SweepTable* folds, const std::string& title);

/// The summary columns of sweep.parquet after the swept keys, in order.
const std::vector<std::string>& sweep_metric_columns();

/// Read the sweep table of finished tasks back from their summaries and write
/// `dir`/sweep.parquet and sweep.csv. Returns the written paths.
std::vector<std::filesystem::path> write_sweep_tables(const SweepPlan& plan, const std::filesystem::path& dir);

}  // namespace ml4t::backtest
