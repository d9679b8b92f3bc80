// `ml4t-backtest sweep CONFIG --grid GRID.yaml --out DIR`: one backtest per parameter
// set of the grid file, on all cores, the sets of the same data sharing one read of
// it; every set is checked before anything runs.
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>
#include <stdexcept>
#include <tuple>
#include <utility>

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

// "k/K" with 1 <= k <= K.
std::pair<int, int> parse_chunk(const std::string& text) {
  const auto slash = text.find('/');
  int k = 0, n = 0;
  try {
    size_t used_k = 0, used_n = 0;
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    k = std::stoi(text.substr(0, slash), &used_k);
    n = std::stoi(text.substr(slash + 1), &used_n);
    if (used_k != slash || used_n != text.size() - slash - 1) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw ConfigError(fmt::format("--chunk {}: expected k/K, e.g. --chunk 3/10 (chunk 3 of 10, numbered from 1)",
                                  text));
  }
  if (n < 1 || k < 1 || k > n) {
    throw ConfigError(fmt::format("--chunk {}: k must be between 1 and K, and K at least 1 (e.g. --chunk 1/{})", text,
                                  std::max(n, 1)));
  }
  return {k, n};
}

template <typename Args>
void run_collect_command(const Args& args) {
  if (!args.config.empty() || !args.grid.empty() || !args.chunk.empty() || !args.walk_forward.empty()) {
    throw ConfigError("--collect DIR takes no config, --grid, --chunk or --walk-forward: it reads DIR/sweep-plan.json");
  }
  SweepOptions options;
  options.out = std::filesystem::absolute(args.collect);
  options.collect = true;
  options.version = ML4T_VERSION;
  const SweepPlan plan = plan_sweep_again(options.out);
  const SweepSummary summary = run_sweep(plan, options);
  if (!args.quiet) {
    fmt::print("collect: {} of {} task(s) finished\n", summary.resumed, plan.tasks.size());
    for (const auto& t : summary.tables) fmt::print("table: {}\n", t.string());
  }
  if (summary.pending > 0) {
    std::string missing;
    size_t shown = 0;
    for (size_t i = 0; i < plan.tasks.size(); ++i) {
      if (summary.outcomes[i].status != "pending") continue;
      if (shown++ < 10) missing += fmt::format("\n  task {} ({})", plan.tasks[i].id, plan.tasks[i].params.describe());
    }
    if (shown > 10) missing += fmt::format("\n  ... and {} more", shown - 10);
    throw DataError(fmt::format("{} of {} task(s) have no summary in {} yet (their chunk has not run, or failed; see "
                                "{}/chunks/): the tables hold the rest{}",
                                summary.pending, plan.tasks.size(), options.out.string(), options.out.string(),
                                missing));
  }
}

// The folder holding the package ml4t/ that belongs to this CLI: the build tree's
// build/python, a `cmake --install` prefix's site-packages, pip's (the CLI sits in
// ml4t/backtest/_bin/); empty when none is there (the interpreter's own path then).
std::filesystem::path own_python_package_root() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
#ifdef ML4T_CLI_PACKAGE_ROOTS
  const std::string roots = ML4T_CLI_PACKAGE_ROOTS;
#else
  const std::string roots = "python";
#endif
  for (size_t start = 0; start <= roots.size();) {
    const size_t end = std::min(roots.find(':', start), roots.size());
    const fs::path root = (exe.parent_path() / roots.substr(start, end - start)).lexically_normal();
    start = end + 1;
    if (fs::is_regular_file(root / "ml4t" / "backtest" / "__init__.py", ec)) return root;
  }
  return {};
}

// --dask / --scheduler-file: the sweep runs through the Python module's Dask client
// (python3 -m ml4t.backtest.sweep), which sends each task to the cluster's workers and
// writes the same tables a local sweep writes.
template <typename Args>
void run_dask_command(const Args& args) {
  if (!args.chunk.empty() || !args.walk_forward.empty() || args.keep_results || args.engines_per_pass > 0) {
    throw ConfigError("--dask/--scheduler-file runs a plain sweep on the cluster: --chunk, --walk-forward, "
                      "--keep-results and --engines-per-pass do not apply");
  }
#ifdef ML4T_PYTHON_EXECUTABLE
  const char* env_python = std::getenv("ML4T_PYTHON");
  const std::string python = env_python != nullptr && *env_python != '\0' ? env_python : ML4T_PYTHON_EXECUTABLE;
#else
  const char* env_python = std::getenv("ML4T_PYTHON");
  if (env_python == nullptr || *env_python == '\0') {
    throw ConfigError("--dask needs the Python module ml4t.backtest, which this build of ml4t-backtest does not have "
                      "(built when python3-dev and pybind11-dev are installed: scripts/setup); or set ML4T_PYTHON to "
                      "a python3 that can import it");
  }
  const std::string python = env_python;
#endif
  std::vector<std::string> argv = {python, "-m", "ml4t.backtest.sweep", args.config, "--grid", args.grid,
                                   "--out", args.out};
  for (const auto& s : args.sets) argv.insert(argv.end(), {"--set", s});
  if (args.workers > 0) argv.insert(argv.end(), {"--workers", std::to_string(args.workers)});
  if (args.resume) argv.push_back("--resume");
  if (args.overwrite) argv.push_back("--overwrite");
  if (!args.dask.empty()) argv.insert(argv.end(), {"--dask", args.dask});
  if (!args.scheduler_file.empty()) argv.insert(argv.end(), {"--scheduler-file", args.scheduler_file});
  if (const auto root = own_python_package_root(); !root.empty()) {
    const char* old = std::getenv("PYTHONPATH");
    const std::string path = root.string() + (old != nullptr && *old != '\0' ? std::string(":") + old : "");
    setenv("PYTHONPATH", path.c_str(), 1);  // the package of this CLI first, also for the workers it starts
  }
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = 0;
  if (const int rc = posix_spawnp(&pid, python.c_str(), nullptr, nullptr, cargv.data(), environ); rc != 0) {
    throw ConfigError(fmt::format("--dask: cannot start {}: {}; install python3 (with python3-distributed) or set "
                                  "ML4T_PYTHON",
                                  python, std::strerror(rc)));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code == 2) throw ConfigError("the Dask sweep stopped with the error above");
  if (code != 0) {
    throw DataError(fmt::format("the Dask sweep (python3 -m ml4t.backtest.sweep) exited with status {}; see the "
                                "messages above (is the scheduler reachable, do the workers have the module?)",
                                code));
  }
}

}  // namespace

void register_sweep(CLI::App& app) {
  struct Args {
    std::string config, grid, out, walk_forward, select = "sharpe", chunk, collect, dask, scheduler_file;
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
      "  ml4t-backtest sweep config.yaml --grid grid.yaml --out sweep_out --chunk 2/8  # one job of 8, then:\n"
      "  ml4t-backtest sweep --collect sweep_out\n"
      "grid.yaml holds one of:\n"
      "  grid:   {strategy.entry: [0.6, 0.7], strategy.size_pct: [0.05, 0.1]}      # every combination\n"
      "  random: {n: 50, seed: 1, space: {strategy.entry: {uniform: [0.5, 0.9]}}}   # seeded draws\n"
      "  list:   [{strategy.entry: 0.7}, {strategy.entry: 0.8, strategy.exit: 0.4}]\n"
      "Output: DIR/sweep.parquet and DIR/sweep.csv (task_id, one column per swept key, final_equity and the summary\n"
      "metrics), DIR/tasks/<task_id>/summary.json, DIR/manifest.json. See docs/sweeps.md.");
  // Required unless --collect (checked in the callback, which names what is missing).
  cmd->add_option("config", args->config, "Config file (YAML or JSON)");
  cmd->add_option("--grid", args->grid, "Grid file: grid, random or list of config key paths and values");
  cmd->add_option("--out", args->out, "Output folder");
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
                  "Walk-forward instead of one sweep: train=N,test=N[,step=N][,gap=N][,anchored] in bars, or "
                  "durations (train=12M,test=3M; units h D W M Y); per fold "
                  "the grid runs on the train window and the --select winner on the test window");
  cmd->add_option("--select", args->select,
                  "Walk-forward: the metric that picks each fold's parameters, METRIC[:max|:min] (default max)")
      ->capture_default_str();
  cmd->add_option("--chunk", args->chunk,
                  "Run only chunk k of K (k/K, k from 1): tasks i with i % K == k-1, for Slurm job arrays or GNU "
                  "parallel; every chunk writes into the same --out, then `sweep --collect DIR` writes the tables");
  cmd->add_option("--collect", args->collect,
                  "Run nothing: gather the finished tasks of the sweep in DIR (all chunks) into sweep.parquet, "
                  "sweep.csv and manifest.json; exits 1 listing the tasks still missing");
  cmd->add_option("--dask", args->dask,
                  "Run the tasks on a Dask distributed cluster (tcp://HOST:PORT of its scheduler) through the Python "
                  "module; the tables are the same as a local sweep's");
  cmd->add_option("--scheduler-file", args->scheduler_file,
                  "Like --dask, with the scheduler's address read from its scheduler file (dask-scheduler "
                  "--scheduler-file, e.g. under Slurm)");
  cmd->add_flag("--quiet", args->quiet, "Print nothing but errors");
  cmd->callback([args] {
    if (!args->collect.empty()) return run_collect_command(*args);
    for (const auto& [value, what] : {std::pair{&args->config, "the config file (sweep CONFIG --grid GRID --out DIR)"},
                                      std::pair{&args->grid, "--grid GRID.yaml"}, std::pair{&args->out, "--out DIR"}}) {
      if (value->empty()) throw ConfigError(fmt::format("sweep: missing {}; see ml4t-backtest sweep --help", what));
    }
    if (!args->dask.empty() || !args->scheduler_file.empty()) return run_dask_command(*args);
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
    if (!args->chunk.empty()) std::tie(options.chunk, options.chunks) = parse_chunk(args->chunk);
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
      fmt::print("sweep: {} task(s): {} run, {} resumed, {} failed, in {:.2f} s on {} worker(s), {} data pass(es)\n",
                 plan.tasks.size(), summary.ran, summary.resumed, summary.failed, summary.seconds,
                 args->workers > 0 ? fmt::format("{}", args->workers) : std::string("all-core"), summary.data_passes);
      if (options.chunks > 0) {
        fmt::print("chunk {} of {}: {} task(s) left to the other chunks; when all are done: ml4t-backtest sweep "
                   "--collect {}\n",
                   options.chunk, options.chunks, summary.pending, options.out.string());
      }
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
