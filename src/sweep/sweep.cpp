// Planning (every config loaded and checked first), task ids, the worker pool, the
// ledger of finished tasks (their summary.json files) and the manifest.
#include "ml4t/backtest/sweep/sweep.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"
#include "ml4t/backtest/results/stream_writer.hpp"
#include "ml4t/backtest/results/writer.hpp"
#include "sweep/ledger.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

// FNV-1a, 64 bit: simple, fixed by its definition, the same on every platform.
uint64_t fnv1a(std::string_view text, uint64_t h = 0xcbf29ce484222325ULL) {
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// What decides a feed's schema: the sources and their columns.
std::string data_key(const BacktestConfig& c) {
  auto src = [](const SourceConfig& s) {
    return fmt::format("{}|{}|{}|{}|{}", s.path.string(), s.format, s.timestamp_column, s.asset_column,
                       fmt::join(s.columns, ","));
  };
  std::string key = src(c.data_sources.prices);
  if (c.data_sources.signals) key += "\n" + src(*c.data_sources.signals);
  if (c.data_sources.context) key += "\nctx " + src(*c.data_sources.context);
  if (c.features) key += "\nfeat " + src(c.features->source);
  return key;
}

// Strategy and engine built against the data's schema, as `validate` does (no row read).
void check_against_schema(const BacktestConfig& config, ColumnarDataFeed& feed) {
  auto strategy = make_builtin_strategy(config.strategy, feed.schema());
  BacktestEngine engine(feed, *strategy, to_engine_config(config));
}

}  // namespace

std::string task_id(const BacktestConfig& config) {
  std::string identity = "ml4t-sweep-task/1\n";
  for (const auto& f : describe_inputs(config)) {
    identity += fmt::format("{}\t{}\t{}\t{}\n", f.role, f.path.string(), f.bytes, f.modified ? f.modified->nanos() : 0);
  }
  BacktestConfig resolved = config;
  resolved.output.dir.clear();  // where a single run would write does not change its results
  resolved.source_file.clear();
  identity += resolved.to_json();
  return fmt::format("{:016x}", fnv1a(identity));
}

SweepPlan plan_sweep(const fs::path& config_file, const std::vector<std::string>& base_overrides,
                     ParameterSpace space) {
  SweepPlan plan;
  plan.config_file = config_file;
  plan.base_overrides = base_overrides;
  std::vector<std::string> problems;
  // One feed per distinct set of sources: opening it checks files and columns; building
  // each task's strategy against its schema checks the fields the task uses.
  std::map<std::string, std::shared_ptr<ColumnarDataFeed>> feeds;
  std::map<std::string, std::string> feed_errors;
  std::map<std::string, size_t> ids;
  for (size_t i = 0; i < space.sets.size(); ++i) {
    const ParameterSet& set = space.sets[i];
    const std::string who = fmt::format("task {} ({})", i, set.describe());
    SweepTask task;
    task.index = i;
    task.params = set;
    task.overrides = base_overrides;
    for (auto& o : set.overrides()) task.overrides.push_back(std::move(o));
    try {
      task.config = BacktestConfig::from_yaml(config_file, task.overrides);
      const std::string key = data_key(task.config);
      if (!feeds.count(key) && !feed_errors.count(key)) {
        try {
          feeds[key] = std::make_shared<ColumnarDataFeed>(to_feed_options(task.config));
        } catch (const Error& e) {
          feed_errors[key] = e.what();
          problems.push_back(fmt::format("{}: {}", who, e.what()));
          continue;
        }
      }
      if (feed_errors.count(key)) continue;  // reported once, for the first task using it
      check_against_schema(task.config, *feeds[key]);
      task.id = task_id(task.config);
      const auto [it, fresh] = ids.emplace(task.id, i);
      if (!fresh) {
        problems.push_back(fmt::format("{}: resolves to the same config as task {} (task id {}); drop one of them",
                                       who, it->second, task.id));
        continue;
      }
    } catch (const Error& e) {
      problems.push_back(fmt::format("{}: {}", who, e.what()));
      continue;
    }
    plan.tasks.push_back(std::move(task));
  }
  if (!problems.empty()) {
    const size_t shown = std::min<size_t>(problems.size(), 20);
    std::string text = fmt::format("{} of {} parameter set(s) cannot run; nothing was run:", problems.size(),
                                   space.sets.size());
    for (size_t i = 0; i < shown; ++i) {
      std::string indented = problems[i];  // a config's own multi-line message, indented under its task
      for (size_t at = indented.find('\n'); at != std::string::npos; at = indented.find('\n', at + 5)) {
        indented.replace(at, 1, "\n    ");
      }
      text += "\n  " + indented;
    }
    if (shown < problems.size()) text += fmt::format("\n  ... and {} more", problems.size() - shown);
    throw ConfigError(text);
  }
  plan.space = std::move(space);
  return plan;
}

SweepPlan plan_sweep_again(const fs::path& out) {
  PlanFile p = read_plan_file(out);
  return plan_sweep(p.config, p.overrides, std::move(p.space));
}

void check_sweep_output(const SweepOptions& options) {
  std::error_code ec;
  const fs::path& out = options.out;
  if (out.empty()) throw ConfigError("--out: empty path; give the sweep's output folder");
  if (options.chunks > 0) {
    if (options.chunk < 1 || options.chunk > options.chunks) {
      throw ConfigError(fmt::format("--chunk {}/{}: k must be between 1 and {} (chunks are numbered from 1)",
                                    options.chunk, options.chunks, options.chunks));
    }
    if (options.overwrite) {
      throw ConfigError("--chunk and --overwrite exclude each other: the chunks of one sweep share --out, and "
                        "--overwrite would delete the other chunks' tasks; clear the folder before starting the jobs");
    }
  }
  if (!fs::exists(out, ec) || fs::is_empty(out, ec)) return;
  if (!fs::is_directory(out, ec)) {
    throw ConfigError(fmt::format("--out {}: exists and is not a folder; choose a folder", out.string()));
  }
  const bool earlier_sweep =
      fs::exists(out / "manifest.json", ec) || fs::exists(out / "tasks", ec) || fs::exists(out / kPlanFile, ec);
  if (!earlier_sweep) {
    throw ConfigError(fmt::format("--out {}: the folder holds other files and no earlier sweep; choose an empty or "
                                  "new folder",
                                  out.string()));
  }
  if (!options.resume && !options.overwrite && options.chunks == 0 && !options.collect) {
    throw ConfigError(fmt::format("--out {}: holds an earlier sweep; add --resume to run only its unfinished tasks, "
                                  "or --overwrite to start over",
                                  out.string()));
  }
}

namespace {

// What a task writes into tasks/<id>/: summary.json, and with keep_results the result
// files its config asks for.
WriteOptions task_write_options(const SweepTask& task, const SweepOptions& options) {
  WriteOptions write;
  write.overwrite = true;  // a folder left by an interrupted task is replaced
  const auto& formats = task.config.output.formats;
  const bool keep = options.keep_results;
  write.parquet = keep && std::find(formats.begin(), formats.end(), "parquet") != formats.end();
  write.csv = keep && std::find(formats.begin(), formats.end(), "csv") != formats.end();
  write.report = keep && task.config.output.report;
  return write;
}

// The outcome of a task that threw `error`.
void record_error(TaskOutcome& outcome, const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Interrupted& e) {
    outcome.status = "interrupted";
    outcome.error = e.what();
  } catch (const std::exception& e) {
    outcome.status = "failed";
    outcome.error = e.what();
  }
}

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace

// One task on the calling thread: the run, then its summary (and result files) written
// to tasks/<id>/ through the results writer, staged and renamed there.
TaskOutcome run_sweep_task(const SweepTask& task, const SweepOptions& options) {
  TaskOutcome outcome;
  outcome.id = task.id;
  outcome.index = task.index;
  const auto started = std::chrono::steady_clock::now();
  try {
    RunHooks hooks;
    hooks.cancel = options.cancel;
    BacktestRun run = run_backtest(task.config, hooks);
    run.info.version = options.version;
    run.info.elapsed_seconds = seconds_since(started);
    write_results(run.results, task_dir(options.out, task.id), task_write_options(task, options), run.info);
    outcome.status = "done";
    outcome.seconds = run.info.elapsed_seconds;
  } catch (...) {
    record_error(outcome, std::current_exception());
  }
  if (outcome.status != "done") outcome.seconds = seconds_since(started);
  return outcome;
}

// The tasks of a pass stream their rows into their own writers (only the metrics when
// no file is kept), so a pass of K engines holds K portfolios, not K sets of rows.
std::vector<TaskOutcome> run_sweep_pass(const std::vector<const SweepTask*>& tasks, const SweepOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<TaskOutcome> outcomes(tasks.size());
  std::vector<std::unique_ptr<ResultStreamWriter>> writers(tasks.size());
  std::vector<const BacktestConfig*> configs;
  std::vector<RunHooks> hooks;
  std::vector<size_t> in_pass;  // positions in `tasks` of the configs handed to the pass
  for (size_t i = 0; i < tasks.size(); ++i) {
    outcomes[i].id = tasks[i]->id;
    outcomes[i].index = tasks[i]->index;
    try {
      writers[i] = std::make_unique<ResultStreamWriter>(task_dir(options.out, tasks[i]->id),
                                                        task_write_options(*tasks[i], options),
                                                        to_stream_options(tasks[i]->config));
      RunHooks h;
      h.cancel = options.cancel;
      h.stream = writers[i].get();
      hooks.push_back(std::move(h));
      configs.push_back(&tasks[i]->config);
      in_pass.push_back(i);
    } catch (...) {
      record_error(outcomes[i], std::current_exception());
    }
  }
  std::vector<SharedPassRun> runs;
  try {
    runs = run_backtests_in_one_pass(configs, hooks);
  } catch (...) {  // the pass could not start (its data cannot be opened): every task failed
    for (const size_t i : in_pass) record_error(outcomes[i], std::current_exception());
    runs.clear();
  }
  const double seconds = seconds_since(started);
  for (size_t k = 0; k < runs.size(); ++k) {
    const size_t i = in_pass[k];
    try {
      if (runs[k].error) std::rethrow_exception(runs[k].error);
      BacktestRun& run = *runs[k].run;
      run.info.version = options.version;
      run.info.elapsed_seconds = seconds;
      writers[i]->finish(run.results, run.info);
      outcomes[i].status = "done";
    } catch (...) {
      record_error(outcomes[i], std::current_exception());
    }
    writers[i].reset();  // without finish(): removes what it staged
  }
  for (auto& o : outcomes) o.seconds = seconds;
  return outcomes;
}

std::vector<std::vector<size_t>> plan_passes(const std::vector<const SweepTask*>& tasks, size_t workers,
                                             int engines_per_pass) {
  constexpr size_t kMostEnginesPerPass = 32;  // auto: bounds the pass's memory and keeps progress visible
  // Tasks reading the same data, in plan order (reads_same_data is an equivalence).
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < tasks.size(); ++i) {
    auto same = std::find_if(groups.begin(), groups.end(), [&](const std::vector<size_t>& g) {
      return reads_same_data(tasks[g.front()]->config, tasks[i]->config);
    });
    if (same == groups.end()) {
      groups.push_back({i});
    } else {
      same->push_back(i);
    }
  }
  workers = std::max<size_t>(workers, 1);
  std::vector<std::vector<size_t>> passes;
  for (const auto& group : groups) {
    const size_t n = group.size();
    size_t count = 0;  // passes for this group
    if (engines_per_pass > 0) {
      count = (n + engines_per_pass - 1) / engines_per_pass;
    } else {
      count = (n + kMostEnginesPerPass - 1) / kMostEnginesPerPass;
      count = std::min(n, (count + workers - 1) / workers * workers);  // a multiple of the workers when it can be
    }
    const size_t size = (n + count - 1) / count;
    for (size_t at = 0; at < n; at += size) {
      passes.emplace_back(group.begin() + static_cast<std::ptrdiff_t>(at),
                          group.begin() + static_cast<std::ptrdiff_t>(std::min(n, at + size)));
    }
  }
  return passes;
}

namespace {

void remove_earlier_sweep(const fs::path& out) {
  std::error_code ec;
  for (const char* name : {"tasks", "sweep.parquet", "sweep.csv", "manifest.json", "sweep.html", kPlanFile, "chunks"}) {
    fs::remove_all(out / name, ec);
    if (ec) throw OutputError(fmt::format("cannot remove {}: {}", (out / name).string(), ec.message()));
  }
}

}  // namespace

SweepSummary run_sweep(const SweepPlan& plan, const SweepOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  check_sweep_output(options);
  std::error_code ec;
  if (options.overwrite && !options.resume) remove_earlier_sweep(options.out);
  fs::create_directories(options.out / "tasks", ec);
  if (ec) {
    throw OutputError(fmt::format("cannot create {}: {}; check that the folder is writable",
                                  (options.out / "tasks").string(), ec.message()));
  }
  // A chunk (--chunk k/K) runs the tasks i with i % K == k - 1 and finds the others'
  // work as an earlier sweep's; --collect runs nothing and gathers what all chunks did.
  const bool chunked = options.chunks > 0;
  const bool keep_finished = options.resume || chunked || options.collect;
  const fs::path manifest = chunked ? options.out / "chunks" / fmt::format("{}-of-{}.json", options.chunk, options.chunks)
                                    : options.out / "manifest.json";
  if (chunked) fs::create_directories(manifest.parent_path(), ec);
  if (!options.collect) write_plan_file(plan, options.out);
  SweepSummary summary;
  summary.outcomes.resize(plan.tasks.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < plan.tasks.size(); ++i) {
    auto& o = summary.outcomes[i];
    o.id = plan.tasks[i].id;
    o.index = plan.tasks[i].index;
    if (keep_finished) {
      if (const auto recorded = read_task_summary(options.out, o.id)) {
        o.status = "resumed";
        o.seconds = recorded->elapsed_seconds;
        ++summary.resumed;
        continue;
      }
    }
    if (options.collect) continue;  // missing: stays "pending"
    if (chunked && i % static_cast<size_t>(options.chunks) != static_cast<size_t>(options.chunk - 1)) continue;
    todo.push_back(i);
  }
  write_manifest(plan, summary.outcomes, options, manifest);

  // Tasks reading the same data share a pass (one read, several engines); workers take
  // the next pass from a shared counter. Each task writes only its own folder, so the
  // threads share nothing but the counter and the outcome slots.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t wanted = options.workers > 0 ? static_cast<size_t>(options.workers) : cores;
  std::vector<const SweepTask*> todo_tasks;
  for (const size_t i : todo) todo_tasks.push_back(&plan.tasks[i]);
  const std::vector<std::vector<size_t>> passes = plan_passes(todo_tasks, wanted, options.engines_per_pass);
  const size_t workers = std::max<size_t>(1, std::min(passes.size(), wanted));
  summary.data_passes = passes.size();
  std::atomic<size_t> next{0};
  std::mutex lock;
  size_t ended = summary.resumed;
  auto work = [&] {
    for (size_t p = next++; p < passes.size(); p = next++) {
      std::vector<const SweepTask*> tasks;
      for (const size_t k : passes[p]) tasks.push_back(todo_tasks[k]);
      std::vector<TaskOutcome> outcomes;
      if (options.cancel != nullptr && options.cancel->load()) {
        for (const SweepTask* task : tasks) {
          TaskOutcome o;
          o.id = task->id;
          o.index = task->index;
          o.status = "interrupted";
          outcomes.push_back(std::move(o));
        }
      } else {
        if (options.on_pass) {
          const std::lock_guard guard(lock);
          options.on_pass(p, passes.size(), tasks.size());
        }
        outcomes = run_sweep_pass(tasks, options);
      }
      const std::lock_guard guard(lock);
      for (size_t j = 0; j < tasks.size(); ++j) {
        summary.outcomes[todo[passes[p][j]]] = outcomes[j];
        ++ended;
        if (options.on_task) options.on_task(*tasks[j], outcomes[j], ended, plan.tasks.size());
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  for (const auto& o : summary.outcomes) {
    if (o.status == "done") ++summary.ran;
    if (o.status == "failed") ++summary.failed;
    if (o.status == "interrupted") ++summary.interrupted;
  }
  for (const auto& o : summary.outcomes) summary.pending += o.status == "pending" ? 1 : 0;
  if (!chunked) {  // a chunk leaves the tables and the page to --collect
    summary.tables = write_sweep_tables(plan, options.out);
    summary.tables.push_back(write_sweep_html(options.out, read_sweep_table(plan, options.out), plan.space.keys.size(),
                                              nullptr, "Sweep: " + plan.config_file.filename().string()));
  }
  write_manifest(plan, summary.outcomes, options, manifest);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (summary.interrupted > 0) {
    throw Interrupted(fmt::format("sweep stopped: {} task(s) finished, {} not run; rerun with --resume to finish",
                                  summary.ran + summary.resumed, summary.interrupted));
  }
  return summary;
}

}  // namespace ml4t::backtest
