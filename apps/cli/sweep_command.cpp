// `ml4t-backtest sweep CONFIG --grid GRID.yaml --out DIR`: one backtest per parameter
// set of the grid file, on all cores; every set is checked before anything runs.
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "commands.hpp"
#include "interrupt_handlers.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/sweep/sweep.hpp"
#include "ml4t/backtest/sweep/walk_forward.hpp"

namespace ml4t::backtest::cli {

namespace {

std::atomic<bool> g_sweep_cancel{false};

extern "C" void on_sweep_signal(int) { g_sweep_cancel.store(true); }

template <typename Args>
void run_walk_forward_command(const Args& args) {
  const WalkForwardSpec spec = parse_walk_forward(args.walk_forward);
  const Selection selection = parse_selection(args.select);
  if (args.resume || args.keep_results) {
    throw ConfigError("--walk-forward runs every fold afresh: --resume and --keep-results apply to plain sweeps only");
  }
  const std::filesystem::path out = std::filesystem::absolute(args.out);
  std::error_code ec;
  if (std::filesystem::exists(out, ec) && !std::filesystem::is_empty(out, ec) && !args.overwrite) {
    throw ConfigError(fmt::format("--out {}: the folder is not empty; choose a new folder, or add --overwrite to "
                                  "replace its folds and oos_equity tables",
                                  out.string()));
  }
  const SweepPlan plan = plan_sweep(args.config, args.sets, load_parameter_space(args.grid));
  g_sweep_cancel.store(false);
  auto old_int = std::signal(SIGINT, on_sweep_signal);
  const auto result = run_walk_forward(plan, spec, selection, out, args.workers, &g_sweep_cancel);
  std::signal(SIGINT, old_int);
  if (args.quiet) return;
  for (size_t k = 0; k < result.folds.size(); ++k) {
    const auto& f = result.folds[k];
    fmt::print("fold {}: train {} .. {}, test {} .. {}: chose {} (train {} {}), test final equity {}\n", k,
               f.train_first.to_string(), f.train_last.to_string(), f.test_first.to_string(),
               f.test_last.to_string(), plan.tasks[f.chosen].params.describe(), selection.metric, f.train_score,
               f.test_values[0] ? fmt::format("{:.2f}", *f.test_values[0]) : std::string("-"));
  }
  if (!result.oos_equity.empty()) {
    fmt::print("out-of-sample equity: {:.2f} after {} bars in {} fold(s)\n", result.oos_equity.back().second,
               result.oos_equity.size(), result.folds.size());
  }
  for (const auto& t : result.tables) fmt::print("table: {}\n", t.string());
}

}  // namespace

void register_sweep(CLI::App& app) {
  struct Args {
    std::string config, grid, out, walk_forward, select = "sharpe";
    std::vector<std::string> sets;
    int workers = 0, engines_per_pass = 0;
    bool resume = false, overwrite = false, keep_results = false, quiet = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("sweep",
                                 "Run one backtest per parameter set of a grid file (grid, random or list) on all "
                                 "cores; write one table row per task");
  cmd->footer(
      "Examples:\n"
      "  ml4t-backtest sweep config.yaml --grid grid.yaml --out sweep_out\n"
      "  ml4t-backtest sweep config.yaml --grid grid.yaml --out sweep_out --resume   # run only unfinished tasks\n"
      "grid.yaml holds one of:\n"
      "  grid:   {strategy.entry: [0.6, 0.7], strategy.size_pct: [0.05, 0.1]}      # every combination\n"
      "  random: {n: 50, seed: 1, space: {strategy.entry: {uniform: [0.5, 0.9]}}}   # seeded draws\n"
      "  list:   [{strategy.entry: 0.7}, {strategy.entry: 0.8, strategy.exit: 0.4}]\n"
      "Output: DIR/sweep.parquet and DIR/sweep.csv (task_id, one column per swept key, final_equity and the summary\n"
      "metrics), DIR/tasks/<task_id>/summary.json, DIR/manifest.json. See docs/sweeps.md.");
  cmd->add_option("config", args->config, "Config file (YAML or JSON)")->required();
  cmd->add_option("--grid", args->grid, "Grid file: grid, random or list of config key paths and values")->required();
  cmd->add_option("--out", args->out, "Output folder")->required();
  cmd->add_option("--set", args->sets, "Override a config value for every task: key.path=value (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--workers", args->workers,
                  "Threads; each reads the data once for the tasks it runs together; 0 = all cores")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--engines-per-pass", args->engines_per_pass,
                  "Most tasks one read of the data feeds (tasks reading the same data share it); 0 = spread the "
                  "tasks evenly over the workers, up to 32; 1 = every task reads the data itself")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--resume", args->resume, "Keep the finished tasks of an earlier sweep in --out; run the rest");
  cmd->add_flag("--overwrite", args->overwrite, "Delete an earlier sweep in --out and start over");
  cmd->add_flag("--keep-results", args->keep_results,
                "Write every task's result files (tables, report) to DIR/tasks/<task_id>/, not only summary.json");
  cmd->add_option("--walk-forward", args->walk_forward,
                  "Walk-forward instead of one sweep: train=N,test=N[,step=N][,gap=N][,anchored] in bars; per fold "
                  "the grid runs on the train window and the --select winner on the test window");
  cmd->add_option("--select", args->select,
                  "Walk-forward: the metric that picks each fold's parameters, METRIC[:max|:min] (default max)")
      ->capture_default_str();
  cmd->add_flag("--quiet", args->quiet, "Print nothing but errors");
  cmd->callback([args] {
    if (!args->walk_forward.empty()) return run_walk_forward_command(*args);
    if (args->resume && args->overwrite) {
      throw ConfigError("--resume and --overwrite exclude each other: --resume keeps finished tasks, --overwrite "
                        "deletes them");
    }
    SweepOptions options;
    options.out = args->out.empty() ? std::filesystem::path() : std::filesystem::absolute(args->out);
    options.workers = args->workers;
    options.engines_per_pass = args->engines_per_pass;
    options.resume = args->resume;
    options.overwrite = args->overwrite;
    options.keep_results = args->keep_results;
    options.version = ML4T_VERSION;
    check_sweep_output(options);  // refuse now, before planning reads any data
    const SweepPlan plan = plan_sweep(args->config, args->sets, load_parameter_space(args->grid));

    g_sweep_cancel.store(false);
    options.cancel = &g_sweep_cancel;
    const ScopedInterruptHandlers interrupt_handlers(on_sweep_signal);
    if (!args->quiet) {
      options.on_task = [](const SweepTask& task, const TaskOutcome& outcome, size_t ended, size_t total) {
        if (outcome.status == "failed") {
          fmt::print(stderr, "[{}/{}] task {} ({}) failed: {}\n", ended, total, task.id, task.params.describe(),
                     outcome.error);
        } else if (outcome.status == "done") {
          fmt::print(stderr, "[{}/{}] task {} ({}) done in {:.2f} s\n", ended, total, task.id, task.params.describe(),
                     outcome.seconds);
        }
        std::fflush(stderr);
      };
      options.on_pass = [](size_t pass, size_t passes, size_t tasks) {
        fmt::print(stderr, "pass {}/{}: {} task(s) over one read of the data\n", pass + 1, passes, tasks);
        std::fflush(stderr);
      };
    }
    const SweepSummary summary = run_sweep(plan, options);
    if (!args->quiet) {
      fmt::print("sweep: {} task(s): {} run, {} resumed, {} failed, in {:.2f} s on {} worker(s)\n",
                 plan.tasks.size(), summary.ran, summary.resumed, summary.failed, summary.seconds,
                 args->workers > 0 ? fmt::format("{}", args->workers) : std::string("all-core"));
      for (const auto& t : summary.tables) fmt::print("table: {}\n", t.string());
    }
    if (summary.failed > 0) {
      throw DataError(fmt::format("{} of {} task(s) failed (see the messages above and {}/manifest.json); fix the "
                                  "cause and rerun with --resume to run only those",
                                  summary.failed, plan.tasks.size(), options.out.string()));
    }
  });
}

}  // namespace ml4t::backtest::cli
