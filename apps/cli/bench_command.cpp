// `ml4t-backtest bench`: the end-to-end benchmark. It generates the standard datasets
// once (cached, deterministic) and measures, in one run, for each dataset:
//   scan      a bare DuckDB streaming scan of the columns the feed reads (the baseline)
//   feed      ColumnarDataFeed iteration touching every event's OHLCV and signals
//   backtest  a full backtest from Parquet (signal_threshold, per-share commission,
//             percentage slippage, stop loss) that trades all through the data
//   memory    the same backtest over data already in memory (load not timed)
//   turnover  a high-turnover backtest from Parquet (millions of fills on minute data),
//             engine only, results in memory
//   run       the whole `ml4t-backtest run` process on the backtest workload, with the
//             defaults a user gets: signal-timing validation on, every result file and
//             the report written
//   run-turnover  the same whole process on the high-turnover workload
//   sweep     the whole `ml4t-backtest sweep` process over 100 configs of the run
//             workload (10 entry thresholds x 10 stop losses), defaults otherwise; not in
//             the default steps (about 100 backtests): ask for it with --steps
// Each measurement runs in a child process (`bench-step`, or `run` itself) so its peak
// RSS is its own; the parent reads the child's one-line JSON report and its rusage.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "commands.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/data/in_memory_feed.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "ml4t/backtest/data/scan_baseline.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"

namespace ml4t::backtest::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct DatasetSpec {
  std::string name;
  int symbols;
  int days;
  BarFrequency frequency;
};

const std::vector<DatasetSpec>& standard_datasets() {
  static const std::vector<DatasetSpec> specs = {
      {"minute", 250, 252, BarFrequency::kMinute},  // 24,570,000 bars
      {"daily", 500, 2520, BarFrequency::kDaily},   // 1,260,000 bars
      {"small", 20, 5, BarFrequency::kMinute},      // 39,000 bars: a quick check
  };
  return specs;
}

const DatasetSpec& find_dataset(const std::string& name) {
  for (const auto& spec : standard_datasets()) {
    if (spec.name == name) return spec;
  }
  throw ConfigError(fmt::format("unknown benchmark dataset \"{}\"; use minute, daily or small", name));
}

// Generates a dataset unless the cache already holds it (a stamp records its spec).
fs::path ensure_dataset(const fs::path& cache_dir, const DatasetSpec& spec) {
  const fs::path dir = cache_dir / spec.name;
  const std::string stamp = fmt::format("{} symbols={} days={} freq={} seed=42 generator=1", spec.name, spec.symbols,
                                        spec.days, to_string(spec.frequency));
  {
    std::ifstream in(dir / ".stamp");
    std::string line;
    if (in && std::getline(in, line) && line == stamp) return dir;
  }
  fmt::print(stderr, "bench: generating dataset {} ({} assets x {} days, {}) into {} ...\n", spec.name, spec.symbols,
             spec.days, to_string(spec.frequency), dir.string());
  SampleDataOptions options;
  options.out_dir = dir;
  options.symbols = spec.symbols;
  options.days = spec.days;
  options.frequency = spec.frequency;
  const auto summary = generate_sample_data(options);
  fmt::print(stderr, "bench: generated {} bars in {:.1f} s\n", summary.bars, summary.elapsed_seconds);
  std::ofstream(dir / ".stamp") << stamp << "\n";
  return dir;
}

ColumnarFeedOptions feed_options(const fs::path& dir) {
  ColumnarFeedOptions options;
  options.prices = DataSource((dir / "prices.parquet").string());
  DataSource signals((dir / "signals.parquet").string());
  signals.columns = {"ml_pred", "confidence"};
  options.signals = signals;
  options.timing.mode = SignalTimingMode::kNextBar;
  return options;
}

// The backtest workload. The generated signal has no edge once NEXT_BAR timing delays it,
// so the strategy pays its costs out of the market's drift: costs and turnover are set so
// that equity stays in a realistic range and the strategy trades all through the data
// (a workload that loses its capital in a few weeks and then idles measures no trading).
// Costs: IB-style per-share commission ($0.0035, minimum $0.35) and 1 bp slippage.
EngineConfig bench_engine_config() {
  EngineConfig config;
  config.execution.initial_capital = 1'000'000;
  config.execution.commission = {CommissionType::kPerShare, 0.0035, 0.35};
  config.execution.slippage = {SlippageType::kPercentage, 0.0001};
  config.risk_rules.stop_loss = 0.02;
  return config;
}

// Thresholds are tuned per bar frequency, as a user would: a minute signal crosses 0.75
// every few bars, so entering there turns the book over every few minutes and costs
// eat the capital; minute bars enter only on extreme signals and hold until the signal
// turns clearly (hysteresis), daily bars use the usual 0.75 / 0.5.
StrategySpec bench_strategy(BarFrequency frequency) {
  StrategySpec spec;
  spec.type = "signal_threshold";
  spec.signal = "ml_pred";
  const bool intraday = frequency != BarFrequency::kDaily;
  spec.entry = intraday ? 0.965 : 0.75;
  spec.exit = intraday ? 0.045 : 0.5;
  spec.size_pct = 0.01;
  return spec;
}

// The high-turnover workload, as a user tuning for activity would write it: enter at 0.7,
// exit at 0.3, 0.2% of equity per entry, with the backtest workload's costs (per-share
// commission, 1 bp slippage, 2% stop loss). On the minute dataset it makes millions of
// fills. (With 5 bp slippage the costs drained the capital within months, after which
// entries rounded to zero shares and the workload stopped trading.)
StrategySpec turnover_strategy() {
  StrategySpec spec;
  spec.type = "signal_threshold";
  spec.signal = "ml_pred";
  spec.entry = 0.7;
  spec.exit = 0.3;
  spec.size_pct = 0.002;
  return spec;
}

bool is_whole_run(const std::string& step) { return step == "run" || step == "run-turnover"; }

// The sweep step's grid: 100 configs around the run workload.
constexpr int kSweepConfigs = 100;
fs::path write_sweep_grid(const fs::path& dir, const DatasetSpec& dataset) {
  const StrategySpec spec = bench_strategy(dataset.frequency);
  std::string entries, stops;
  for (int i = 0; i < 10; ++i) {
    entries += fmt::format("{}{:.3f}", i ? ", " : "", spec.entry - 0.09 + 0.01 * i);
    stops += fmt::format("{}{:.3f}", i ? ", " : "", 0.01 + 0.005 * i);
  }
  const fs::path path = dir / "bench-sweep-grid.yaml";
  std::ofstream(path) << fmt::format("grid:\n  strategy.entry: [{}]\n  risk_rules.stop_loss: [{}]\n", entries, stops);
  return path;
}

// The config `run` gets for a whole-process step: the step's workload, and nothing else
// set, so validation, outputs and the report are the defaults. Written with fmt: the
// values are numbers and the dataset's own absolute paths, quoted for YAML.
fs::path write_run_config(const fs::path& dir, const DatasetSpec& dataset, const std::string& step) {
  const bool turnover = step == "run-turnover";
  const StrategySpec spec = turnover ? turnover_strategy() : bench_strategy(dataset.frequency);
  const EngineConfig engine = bench_engine_config();
  const fs::path absolute = fs::absolute(dir);
  auto quoted = [](const fs::path& p) { return YAML::Dump(YAML::Node(p.string())); };
  const std::string text = fmt::format(
      "# written by ml4t-backtest bench for the {} step on {}\n"
      "data_sources:\n  prices: {}\n  signals: {{path: {}, columns: [ml_pred, confidence]}}\n"
      "signal_timing: {{mode: next_bar}}\n"
      "execution:\n  initial_capital: {}\n  commission: {{type: per_share, rate: {}, minimum: {}}}\n"
      "  slippage: {{type: percentage, rate: {}}}\n"
      "risk_rules: {{stop_loss: {}}}\n"
      "strategy: {{type: signal_threshold, signal: ml_pred, entry: {}, exit: {}, size_pct: {}}}\n",
      step, dataset.name, quoted(absolute / "prices.parquet"), quoted(absolute / "signals.parquet"),
      engine.execution.initial_capital, engine.execution.commission.rate, engine.execution.commission.minimum,
      engine.execution.slippage.rate, engine.risk_rules.stop_loss, spec.entry, spec.exit, spec.size_pct);
  const fs::path path = dir / fmt::format("bench-{}.yaml", step);
  std::ofstream(path) << text;
  return path;
}

// ---- the child side: one measurement, one JSON line on stdout

void run_step(const std::string& step, const fs::path& dir, const DatasetSpec& dataset) {
  std::map<std::string, double> report;
  const auto started = Clock::now();
  if (step == "scan") {
    const auto result = bare_scan(
        {{(dir / "prices.parquet").string(), {"timestamp", "asset_id", "open", "high", "low", "close", "volume"}},
         {(dir / "signals.parquet").string(), {"timestamp", "asset_id", "ml_pred", "confidence"}}});
    report["events"] = static_cast<double>(result.rows);
    report["checksum"] = result.checksum;
  } else if (step == "feed") {
    // Construction is the first thing the process does with DuckDB, so it includes
    // starting the DuckDB instance. First-event latency counts from the same start
    // (construction included) to the first timestamp group in hand.
    const auto constructed = Clock::now();
    ColumnarDataFeed feed(feed_options(dir));
    report["construct_ms"] = seconds_since(constructed) * 1e3;
    const FieldId pred = feed.schema().signal_id("ml_pred");
    const FieldId confidence = feed.schema().signal_id("confidence");
    double checksum = 0;
    uint64_t events = 0;
    bool first_seen = false;
    for (TimestampGroup group = feed.next_group(); group.valid(); group = feed.next_group()) {
      if (!first_seen) {
        report["first_event_ms"] = seconds_since(constructed) * 1e3;
        first_seen = true;
      }
      for (const MarketEvent& e : group) {
        const auto s = e.signals();
        const double p = s[pred], c = s[confidence];
        checksum += e.open() + e.high() + e.low() + e.close() + e.volume() + (p == p ? p : 0) + (c == c ? c : 0);
        ++events;
      }
    }
    report["events"] = static_cast<double>(events);
    report["checksum"] = checksum;
    report["seconds"] = seconds_since(started);
    // A second feed in the same process shares the DuckDB instance: the cost of
    // construction itself (file metadata and schema checks, no row data). Timed
    // after the run so it does not add to the iteration time.
    const auto again = Clock::now();
    { ColumnarDataFeed second(feed_options(dir)); }
    report["construct_again_ms"] = seconds_since(again) * 1e3;
  } else if (step == "backtest" || step == "memory" || step == "turnover") {
    ColumnarDataFeed file_feed(feed_options(dir));
    std::unique_ptr<InMemoryDataFeed> memory_feed;
    DataFeed* feed = &file_feed;
    if (step == "memory") {
      const auto load = Clock::now();
      memory_feed = InMemoryDataFeed::collect(file_feed);
      report["load_seconds"] = seconds_since(load);
      feed = memory_feed.get();
    }
    const bool turnover = step == "turnover";
    auto strategy =
        make_builtin_strategy(turnover ? turnover_strategy() : bench_strategy(dataset.frequency), feed->schema());
    const double cpu_started = thread_cpu_seconds();
    const auto run_started = Clock::now();
    BacktestEngine engine(*feed, *strategy, bench_engine_config());
    const Results results = engine.run();
    report["run_seconds"] = seconds_since(run_started);
    // The engine runs on this thread: its CPU time is the run's cost without the time
    // other processes took the core away (wall time is what the table reports).
    if (step == "memory") report["run_cpu_seconds"] = thread_cpu_seconds() - cpu_started;
    report["events"] = static_cast<double>(results.events);
    report["final_equity"] = results.final_equity;
    report["trades"] = static_cast<double>(results.trades.size());
    report["fills"] = static_cast<double>(results.fills.size());
    // Evidence that the workload trades all through the data with realistic equity:
    // fills in the second half of the period, and the lowest equity reached.
    if (!results.equity_curve.empty()) {
      const int64_t first = results.equity_curve.front().timestamp.nanos();
      const int64_t middle = first + (results.equity_curve.back().timestamp.nanos() - first) / 2;
      report["fills_second_half"] = static_cast<double>(std::count_if(
          results.fills.begin(), results.fills.end(), [&](const Fill& f) { return f.timestamp.nanos() > middle; }));
      double min_equity = results.equity_curve.front().equity;
      for (const auto& point : results.equity_curve) min_equity = std::min(min_equity, point.equity);
      report["min_equity"] = min_equity;
    }
  } else {
    throw ConfigError(fmt::format("unknown bench step \"{}\"; use scan, feed, backtest, memory or turnover", step));
  }
  // The feed step timed its iteration before building a second feed; memory times the run only.
  if (!report.count("seconds")) report["seconds"] = step == "memory" ? report["run_seconds"] : seconds_since(started);
  std::string line = "{";
  for (const auto& [key, value] : report)
    line += fmt::format("{}\"{}\": {:.17g}", line.size() > 1 ? ", " : "", key, value);
  fmt::print("{}}}\n", line);
}

// ---- the parent side

struct Measurement {
  std::map<std::string, double> values;
  double peak_rss_mb = 0;
  double cpu_seconds = 0;  //!< user + system time of the child, all its threads
};

// Runs `args` (argv[0] is this executable) in a child with stdout on a pipe; returns what
// it printed, its rusage and its wall time. `what` names the step in errors.
struct ChildRun {
  std::string out;
  rusage usage{};
  double wall_seconds = 0;
};

ChildRun run_child(const std::vector<std::string>& args, const std::string& what, const std::string& retry) {
  int out[2];
  if (pipe(out) != 0) throw Error("bench: cannot create a pipe");
  const auto started = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw Error("bench: cannot fork");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(out[1]);
  ChildRun run;
  char buffer[4096];
  ssize_t n;
  while ((n = read(out[0], buffer, sizeof buffer)) > 0) run.out.append(buffer, static_cast<size_t>(n));
  close(out[0]);
  int status = 0;
  wait4(pid, &status, 0, &run.usage);
  run.wall_seconds = seconds_since(started);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(fmt::format("bench: {} failed (exit status {}); run `{}` to see why", what,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1, retry));
  }
  return run;
}

// The whole `run` process: wall time measured here, events and final equity from its
// summary.json, fills counted in its fills file.
std::map<std::string, double> measure_whole_run(const ChildRun& child, const fs::path& out_dir) {
  std::map<std::string, double> values;
  values["seconds"] = child.wall_seconds;
  const YAML::Node summary = YAML::LoadFile((out_dir / "summary.json").string());
  values["events"] = summary["events"].as<double>();
  values["final_equity"] = summary["final_equity"].as<double>();
  values["engine_seconds"] = summary["elapsed_seconds"].as<double>();
  values["fills"] = static_cast<double>(bare_scan({{(out_dir / "fills.parquet").string(), {"timestamp"}}}).rows);
  return values;
}

Measurement measure_in_child(const std::string& step, const fs::path& dir, const DatasetSpec& dataset) {
  Measurement m;
  ChildRun child;
  if (step == "sweep") {
    const fs::path config = write_run_config(dir, dataset, "run");
    const fs::path grid = write_sweep_grid(dir, dataset);
    const fs::path out_dir = dir / "out-sweep";
    const std::vector<std::string> args = {"ml4t-backtest", "sweep",          config.string(), "--grid",
                                           grid.string(),   "--out",          out_dir.string(), "--overwrite",
                                           "--quiet"};
    child = run_child(args, fmt::format("step sweep on {}", dir.string()),
                      fmt::format("ml4t-backtest sweep {} --grid {} --out {} --overwrite", config.string(),
                                  grid.string(), out_dir.string()));
    m.values["seconds"] = child.wall_seconds;
    m.values["tasks"] = static_cast<double>(bare_scan({{(out_dir / "sweep.parquet").string(), {"task_id"}}}).rows);
    m.values["events"] = 0;
    for (const auto& task : fs::directory_iterator(out_dir / "tasks")) {
      m.values["events"] += YAML::LoadFile((task.path() / "summary.json").string())["events"].as<double>();
    }
  } else if (is_whole_run(step)) {
    const fs::path config = write_run_config(dir, dataset, step);
    const fs::path out_dir = dir / fmt::format("out-{}", step);
    const std::vector<std::string> args = {"ml4t-backtest",  "run",         config.string(), "--out",
                                           out_dir.string(), "--overwrite", "--quiet"};
    child = run_child(args, fmt::format("step {} on {}", step, dir.string()),
                      fmt::format("ml4t-backtest run {} --out {} --overwrite", config.string(), out_dir.string()));
    m.values = measure_whole_run(child, out_dir);
  } else {
    const std::vector<std::string> args = {"ml4t-backtest", "bench-step", "--step",    step,
                                           "--data",        dir.string(), "--dataset", dataset.name};
    child = run_child(
        args, fmt::format("step {} on {}", step, dir.string()),
        fmt::format("ml4t-backtest bench-step --step {} --data {} --dataset {}", step, dir.string(), dataset.name));
    const YAML::Node node = YAML::Load(child.out);
    for (const auto& kv : node) m.values[kv.first.as<std::string>()] = kv.second.as<double>();
  }
  m.peak_rss_mb = static_cast<double>(child.usage.ru_maxrss) / 1024.0;
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  m.cpu_seconds = tv(child.usage.ru_utime) + tv(child.usage.ru_stime);
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Args {
  std::vector<std::string> datasets = {"minute", "daily"};
  std::vector<std::string> steps = {"scan", "feed", "backtest", "memory", "turnover", "run", "run-turnover"};
  std::string cache_dir = ".cache/bench-data";
  std::string json_path = "out/bench.json";
  int runs = 3;
};

void run_bench(const Args& args) {
  struct Row {
    std::string dataset, step;
    double events, seconds, rss_mb;
    std::map<std::string, double> extra;
  };
  std::vector<Row> rows;
  // The machine's load, reported with the results: other work on it skews wall times.
  double load_before[3] = {0, 0, 0};
  if (getloadavg(load_before, 3) != 3) load_before[0] = -1;
  for (const auto& name : args.datasets) {
    const DatasetSpec& spec = find_dataset(name);
    const fs::path dir = ensure_dataset(args.cache_dir, spec);
    for (const auto& step : args.steps) {
      std::vector<double> seconds, rss;
      std::map<std::string, std::vector<double>> extras;
      double events = 0;
      for (int run = 0; run < args.runs; ++run) {
        fmt::print(stderr, "bench: {} {} run {}/{}\n", name, step, run + 1, args.runs);
        const Measurement m = measure_in_child(step, dir, spec);
        seconds.push_back(m.values.at("seconds"));
        rss.push_back(m.peak_rss_mb);
        extras["process_cpu_seconds"].push_back(m.cpu_seconds);
        events = m.values.at("events");
        for (const auto& [k, v] : m.values) extras[k].push_back(v);
      }
      Row row{name, step, events, median(seconds), median(rss), {}};
      for (const auto& [k, v] : extras) row.extra[k] = median(v);
      rows.push_back(row);
    }
  }
  double load_after[3] = {0, 0, 0};
  if (getloadavg(load_after, 3) != 3) load_after[0] = -1;
  auto scan_of = [&](const std::string& dataset) -> const Row* {
    for (const auto& r : rows) {
      if (r.dataset == dataset && r.step == "scan") return &r;
    }
    return nullptr;
  };
  auto rate = [](const Row& r) { return r.events / r.seconds; };
  // "time/scan" is the step's wall time over the scan's; "rate/scan" its events/s over
  // the scan's (the (c)/(a) and (b)/(a) ratios).
  // "CPU s" is the whole child process's user + system time (all threads, start-up and,
  // for memory, the untimed load included): the work done, whatever the machine's load.
  fmt::print("{:<8} {:<12} {:>12} {:>9} {:>12} {:>10} {:>9} {:>9} {:>9} {:>8}\n", "dataset", "step", "events",
             "seconds", "events/s", "peak RSS", "time/scan", "rate/scan", "fills", "CPU s");
  for (const auto& r : rows) {
    const Row* scan = scan_of(r.dataset);
    const auto fills = r.extra.find("fills");
    fmt::print("{:<8} {:<12} {:>12.0f} {:>9.3f} {:>12.0f} {:>7.0f} MB {:>9} {:>9} {:>9} {:>8.2f}\n", r.dataset, r.step,
               r.events, r.seconds, rate(r), r.rss_mb, scan ? fmt::format("{:.2f}x", r.seconds / scan->seconds) : "-",
               scan ? fmt::format("{:.2f}x", rate(r) / rate(*scan)) : "-",
               fills != r.extra.end() ? fmt::format("{:.0f}", fills->second) : "-", r.extra.at("process_cpu_seconds"));
    if (r.extra.count("construct_ms")) {
      fmt::print(
          "{:<22}feed construction {:.2f} ms (first in the process, DuckDB start included), {:.2f} ms "
          "(a second feed); first event {:.1f} ms after construction began\n",
          "", r.extra.at("construct_ms"), r.extra.at("construct_again_ms"), r.extra.at("first_event_ms"));
    }
    if (r.step == "backtest" && r.extra.count("final_equity")) {
      const StrategySpec spec = bench_strategy(find_dataset(r.dataset).frequency);
      fmt::print(
          "{:<22}signal_threshold entry {} / exit {}, {}% of equity per entry: final equity {:.0f} (lowest "
          "{:.0f}), {:.0f} of the fills in the second half of the period\n",
          "", spec.entry, spec.exit, spec.size_pct * 100, r.extra.at("final_equity"),
          r.extra.count("min_equity") ? r.extra.at("min_equity") : 0.0,
          r.extra.count("fills_second_half") ? r.extra.at("fills_second_half") : 0.0);
    }
    if (r.step == "turnover" || r.step == "run-turnover") {
      const StrategySpec spec = turnover_strategy();
      fmt::print(
          "{:<22}signal_threshold entry {} / exit {}, {}% of equity per entry: final equity "
          "{:.0f}\n",
          "", spec.entry, spec.exit, spec.size_pct * 100, r.extra.at("final_equity"));
    }
    if (is_whole_run(r.step)) {
      fmt::print(
          "{:<22}the whole `ml4t-backtest run` process with default settings (validation on, every result "
          "file and the report written); {:.3f} s of it before writing the results (validation, reading, the "
          "backtest)\n",
          "", r.extra.at("engine_seconds"));
    }
    if (r.step == "sweep") {
      const Row* one = nullptr;
      for (const auto& o : rows) {
        if (o.dataset == r.dataset && o.step == "run") one = &o;
      }
      fmt::print("{:<22}{:.0f} configs of the run workload (events: all tasks' together){}\n", "",
                 r.extra.at("tasks"),
                 one ? fmt::format("; {:.2f}x the time of one `run` process, {:.3f}x the time of {:.0f} of them",
                                   r.seconds / one->seconds, r.seconds / (one->seconds * r.extra.at("tasks")),
                                   r.extra.at("tasks"))
                     : std::string("; add the run step for the ratio to one run"));
    }
    if (r.extra.count("load_seconds")) {
      fmt::print(
          "{:<22}loading into memory took {:.3f} s (not timed); the run's CPU time {:.3f} s = {:.0f} "
          "events/s\n",
          "", r.extra.at("load_seconds"), r.extra.at("run_cpu_seconds"), r.events / r.extra.at("run_cpu_seconds"));
    }
  }
  fmt::print("load average: {:.2f} before, {:.2f} after ({} cores); medians of {} runs\n", load_before[0],
             load_after[0], sysconf(_SC_NPROCESSORS_ONLN), args.runs);
  // JSON report for tooling (written with fmt: numbers and fixed ASCII keys only).
  fs::path json_path(args.json_path);
  if (json_path.has_parent_path()) fs::create_directories(json_path.parent_path());
  std::string json = fmt::format(
      "{{\n  \"runs\": {},\n  \"cores\": {},\n  \"load_average_before\": {:.2f},\n"
      "  \"load_average_after\": {:.2f},\n  \"results\": [\n",
      args.runs, sysconf(_SC_NPROCESSORS_ONLN), load_before[0], load_after[0]);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const Row* scan = scan_of(r.dataset);
    json += fmt::format(
        "    {{\"dataset\": \"{}\", \"step\": \"{}\", \"events\": {:.0f}, \"seconds\": {:.9g}, "
        "\"events_per_second\": {:.0f}, \"peak_rss_mb\": {:.1f}, \"ratio_to_scan\": {:.6g}, "
        "\"rate_ratio_to_scan\": {:.6g}",
        r.dataset, r.step, r.events, r.seconds, rate(r), r.rss_mb, scan ? r.seconds / scan->seconds : 0.0,
        scan ? rate(r) / rate(*scan) : 0.0);
    for (const auto& [k, v] : r.extra) {
      if (k != "events" && k != "seconds") json += fmt::format(", \"{}\": {:.6g}", k, v);
    }
    json += i + 1 < rows.size() ? "},\n" : "}\n";
  }
  json += "  ]\n}\n";
  std::ofstream(json_path) << json;
  fmt::print("wrote {}\n", json_path.string());
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

void register_bench(CLI::App& app) {
  auto args = std::make_shared<Args>();
  auto datasets = std::make_shared<std::string>("minute,daily");
  auto steps = std::make_shared<std::string>("scan,feed,backtest,memory,turnover,run,run-turnover");
  auto* cmd = app.add_subcommand(
      "bench",
      "Measure events/s, wall time and peak RSS of a bare DuckDB scan, the feed, "
      "a backtest from Parquet and one in memory, a high-turnover backtest, and whole `run` processes at default "
      "settings, on generated datasets");
  cmd->add_option("--datasets", *datasets, "Comma-separated: minute (24.57M bars), daily (1.26M), small (39k)")
      ->capture_default_str();
  cmd->add_option("--steps", *steps,
                  "Comma-separated: scan, feed, backtest, memory, turnover, run, run-turnover, sweep (100 configs, "
                  "not in the default)")
      ->capture_default_str();
  cmd->add_option("--runs", args->runs, "Runs per measurement (the median is reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--cache-dir", args->cache_dir, "Where generated datasets are kept")->capture_default_str();
  cmd->add_option("--json", args->json_path, "Where to write the JSON report")->capture_default_str();
  cmd->callback([args, datasets, steps] {
    args->datasets = split_list(*datasets);
    args->steps = split_list(*steps);
    for (const auto& s : args->steps) {
      if (s != "scan" && s != "feed" && s != "backtest" && s != "memory" && s != "turnover" && s != "sweep" &&
          !is_whole_run(s)) {
        throw ConfigError(fmt::format(
            "--steps: unknown step \"{}\"; use scan, feed, backtest, memory, turnover, run, run-turnover, sweep", s));
      }
    }
    for (const auto& d : args->datasets) find_dataset(d);
    run_bench(*args);
  });

  auto step = std::make_shared<std::string>();
  auto data = std::make_shared<std::string>();
  auto dataset = std::make_shared<std::string>();
  auto* child = app.add_subcommand("bench-step", "One benchmark measurement (used by `bench`; prints one JSON line)");
  child->group("");  // hidden from --help
  child->add_option("--step", *step, "scan, feed, backtest, memory or turnover")->required();
  child->add_option("--data", *data, "Dataset folder")->required();
  child->add_option("--dataset", *dataset,
                    "Which standard dataset the folder holds (minute, daily or small; it sets the backtest's "
                    "thresholds); default: the folder's name");
  child->callback([step, data, dataset] {
    if (!dataset->empty()) return run_step(*step, *data, find_dataset(*dataset));
    const std::string name = fs::path(*data).filename().string();
    const DatasetSpec* spec = nullptr;
    try {
      spec = &find_dataset(name);
    } catch (const ConfigError&) {  // find_dataset knows the names; say where this one came from
      throw ConfigError(
          fmt::format("bench-step: the folder name \"{}\" of --data {} is not a benchmark dataset; "
                      "pass --dataset minute, daily or small",
                      name, *data));
    }
    run_step(*step, *data, *spec);
  });
}

}  // namespace ml4t::backtest::cli
