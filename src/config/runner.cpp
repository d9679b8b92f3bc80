// Config -> feed/engine options, input file listing, timing report and the run itself.
#include "ml4t/backtest/config/runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <system_error>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/feature_provider.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/config/strategy_factory.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

DataSource to_data_source(const SourceConfig& src) {
  DataSource ds;
  ds.paths = {src.path.string()};
  ds.format = src.format;
  ds.timestamp_column = src.timestamp_column;
  ds.timestamp_format = src.timestamp_format;
  ds.asset_column = src.asset_column;
  ds.columns = src.columns;
  return ds;
}

SignalTiming to_timing(const SignalTimingConfig& st) {
  SignalTiming t;
  t.mode = parse_signal_timing_mode(st.mode);
  t.lag = st.lag;
  t.validate = false;  // switched on by run_backtest/check_config, which collect the report
  t.fail_on_violation = st.fail_on_violation;
  return t;
}

std::optional<Timestamp> file_mtime(const fs::path& path) {
  std::error_code ec;
  const auto t = fs::last_write_time(path, ec);
  if (ec) return std::nullopt;
  const auto sys = std::chrono::file_clock::to_sys(t);
  return Timestamp::from_nanos(std::chrono::duration_cast<std::chrono::nanoseconds>(sys.time_since_epoch()).count());
}

void add_files(const std::string& role, const fs::path& path, std::vector<DataFileInfo>& out) {
  std::error_code ec;
  std::vector<fs::path> files;
  const std::string text = path.string();
  if (text.find_first_of("*?[") != std::string::npos) {
    // DuckDB expands globs the same way the feed's scan will.
    duck::Database db(duck::DatabaseOptions{"", "", 1});
    duck::Connection con(db);
    auto result = con.query(fmt::format("SELECT file FROM glob({}) ORDER BY file", duck::quote_literal(text)),
                            fmt::format("listing the files of {}", text));
    while (auto chunk = result.fetch()) {
      for (size_t r = 0; r < chunk.size(); ++r) files.emplace_back(std::string(chunk.string_at(0, r)));
    }
  } else if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
      if (entry.is_regular_file(ec)) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  for (const auto& f : files) {
    DataFileInfo info;
    info.role = role;
    info.path = f;
    info.bytes = fs::file_size(f, ec);
    if (ec) info.bytes = 0;
    info.modified = file_mtime(f);
    out.push_back(std::move(info));
  }
}

}  // namespace

namespace {

[[noreturn]] void throw_no_bars(const BacktestConfig& config, uint64_t dropped) {
  const auto& u = config.universe;
  const std::string prices = config.data_sources.prices.path.string();
  if (dropped > 0) {  // bad_data: drop|warn skipped them all: an empty run is no result
    throw DataError(fmt::format("every price bar of {} was dropped as bad ({} row(s) skipped by data_quality.bad_data: "
                                "{}), so there is nothing to backtest; set bad_data: error to see the first bad row, "
                                "and fix the data",
                                prices, dropped, config.data_quality.bad_data));
  }
  if (u.assets.empty() && !u.start && !u.end) {
    throw DataError(fmt::format("{} holds no price bars; check data_sources.prices", prices));
  }
  throw DataError(fmt::format(
      "no price bars are left after the universe filters (universe.assets: [{}], universe.start: {}, universe.end: {}) "
      "in {}; check universe.assets, universe.start and universe.end against the data (`ml4t-backtest data inspect {}` "
      "lists its assets and time range)",
      fmt::join(u.assets, ", "), u.start ? u.start->to_string() : "-", u.end ? u.end->to_string() : "-", prices,
      prices));
}

}  // namespace

ColumnarFeedOptions to_feed_options(const BacktestConfig& config) {
  ColumnarFeedOptions o;
  o.prices = to_data_source(config.data_sources.prices);
  if (config.data_sources.signals) o.signals = to_data_source(*config.data_sources.signals);
  if (config.data_sources.context) o.context = to_data_source(*config.data_sources.context);
  if (config.features) {
    o.feature_provider = std::make_shared<PrecomputedFeatureProvider>(to_data_source(config.features->source));
  }
  o.assets = config.universe.assets;
  o.start = config.universe.start;
  o.end = config.universe.end;
  o.timing = to_timing(config.signal_timing);
  o.memory_limit = config.resources.memory_limit;
  o.temp_directory = config.resources.temp_directory.string();
  o.threads = config.resources.threads;
  const auto& dq = config.data_quality;
  o.bad_data = dq.bad_data == "drop" ? BadDataPolicy::kDrop : dq.bad_data == "warn" ? BadDataPolicy::kWarn
                                                                                   : BadDataPolicy::kError;
  o.mixed_time_zones = dq.mixed_time_zones == "naive_is_utc" ? MixedTimeZones::kNaiveIsUtc : MixedTimeZones::kError;
  return o;
}

StreamOptions to_stream_options(const BacktestConfig& config) {
  StreamOptions o;
  o.periods_per_year = config.execution.periods_per_year;
  o.initial_capital = config.execution.initial_capital;
  return o;
}

EngineConfig to_engine_config(const BacktestConfig& config) {
  EngineConfig e;
  e.execution = config.execution;
  e.risk_rules = config.risk_rules;
  return e;
}

std::vector<DataFileInfo> describe_inputs(const BacktestConfig& config) {
  std::vector<DataFileInfo> out;
  add_files("prices", config.data_sources.prices.path, out);
  if (config.data_sources.signals) add_files("signals", config.data_sources.signals->path, out);
  if (config.features) add_files("features", config.features->source.path, out);
  if (config.data_sources.context) add_files("context", config.data_sources.context->path, out);
  return out;
}

std::vector<DataFileInfo> describe_inputs(const ColumnarFeedOptions& options) {
  std::vector<DataFileInfo> out;
  const auto add = [&out](const std::string& role, const DataSource* source) {
    if (source == nullptr) return;
    for (const auto& path : source->paths) add_files(role, path, out);
  };
  add("prices", &options.prices);
  add("signals", options.signals ? &*options.signals : nullptr);
  add("features", options.feature_provider ? options.feature_provider->streamable_source() : nullptr);
  add("context", options.context ? &*options.context : nullptr);
  return out;
}

RunInfo describe_run(const ColumnarDataFeed& feed, const Results& results, std::string strategy) {
  RunInfo info;
  info.files = describe_inputs(feed.options());
  info.strategy = std::move(strategy);
  info.rows = feed.rows_read();
  info.assets = feed.symbols().size();
  if (!results.equity_curve.empty()) {
    info.first = results.equity_curve.front().timestamp;
    info.last = results.equity_curve.back().timestamp;
  }
  info.elapsed_seconds = results.elapsed_seconds;
  return info;
}

namespace {

bool checks_timing(const BacktestConfig& config) {
  return config.signal_timing.validate && (config.data_sources.signals || config.features);
}

// Violations a run's or validate's report describes (they print the first few); the
// rest are counted. Keeps the report's memory small on badly stamped data.
constexpr size_t kRunTimingExamples = 1000;

// The feed options with the timing check on: its reports (signals, then a feature file)
// are merged into `report`.
ColumnarFeedOptions checked_feed_options(const BacktestConfig& config, TimingReport& report,
                                         size_t examples = kRunTimingExamples) {
  ColumnarFeedOptions o = to_feed_options(config);
  o.timing.validate = true;
  o.timing_examples = examples;
  o.on_timing_report = [&report](const TimingReport& part) {
    report.is_valid = report.is_valid && part.is_valid;
    report.total += part.total;
    report.violations.insert(report.violations.end(), part.violations.begin(), part.violations.end());
  };
  return o;
}

// Read a feed to its end without a strategy (what the timing check needs), with the
// hooks' progress and cancellation.
void stream_to_end(DataFeed& feed, const RunHooks& hooks) {
  const uint64_t every = std::max<uint64_t>(hooks.progress_every, 1);
  uint64_t events = 0, next_progress = every;
  Timestamp now = Timestamp::min();
  for (TimestampGroup group = feed.next_group(); group.valid(); group = feed.next_group()) {
    if (hooks.cancel != nullptr && hooks.cancel->load(std::memory_order_relaxed)) {
      throw Interrupted(fmt::format("validation interrupted at {} after {} events", group.timestamp().to_string(),
                                    events));
    }
    events += group.size();
    now = group.timestamp();
    if (hooks.progress && events >= next_progress) {
      hooks.progress(events, now);
      next_progress = events + every;
    }
  }
  if (hooks.progress && events > 0) hooks.progress(events, now);
}

}  // namespace

TimingReport signal_timing_report(const BacktestConfig& config, const RunHooks& hooks) {
  TimingReport report;
  if (!config.data_sources.signals && !config.features) return report;
  ColumnarFeedOptions o = checked_feed_options(config, report, ColumnarFeedOptions{}.timing_examples);
  o.timing.fail_on_violation = false;  // a report, never an error
  ColumnarDataFeed feed(std::move(o));
  stream_to_end(feed, hooks);
  return report;
}

TimingReport signal_timing_report(const BacktestConfig& config) { return signal_timing_report(config, RunHooks{}); }

ConfigCheck check_config(const BacktestConfig& config) { return check_config(config, RunHooks{}); }

ConfigCheck check_config(const BacktestConfig& config, const RunHooks& hooks) {
  ConfigCheck check;
  check.files = describe_inputs(config);
  TimingReport report;
  ColumnarFeedOptions options = checks_timing(config) ? checked_feed_options(config, report) : to_feed_options(config);
  options.timing.fail_on_violation = false;  // validate prints the report, then decides
  ColumnarDataFeed feed(std::move(options));
  check.signal_fields = feed.schema().signal_names();
  check.context_fields = feed.schema().context_names();
  // Building the strategy and the engine checks their fields (signals, confidence,
  // context filters, the risk rules' context field) against the feed's schema; neither
  // reads a row.
  auto strategy = make_strategy(config, feed.schema());
  BacktestEngine engine(feed, *strategy, to_engine_config(config));
  const auto& rr = config.risk_rules;
  if ((rr.min_vix || rr.max_vix) && !feed.schema().find_context(rr.context_field)) {
    throw ConfigError(
        fmt::format("risk_rules.context_field: the data has no market context field \"{}\" (needed by "
                    "min_vix/max_vix); known context fields: [{}]; add a context source with that "
                    "column or set risk_rules.context_field",
                    rr.context_field, fmt::join(feed.schema().context_names(), ", ")));
  }
  if (checks_timing(config)) {
    // The timing check runs in the feed's merge: stream it once, without the strategy.
    stream_to_end(feed, hooks);
    check.timing = std::move(report);
  }
  return check;
}

namespace {

// A run's description before it starts: inputs, config, strategy, title.
BacktestRun describe_new_run(const BacktestConfig& config) {
  BacktestRun run;
  run.info.files = describe_inputs(config);
  run.info.config_json = config.to_json();
  run.info.strategy = describe_strategy(config);
  run.info.title = config.source_file.empty() ? std::string("ml4t-backtest report")
                                              : fmt::format("Backtest: {}", config.source_file.filename().string());
  return run;
}

void attach_hooks(BacktestEngine& engine, const ColumnarDataFeed& feed, const RunHooks& hooks) {
  if (hooks.progress) engine.set_progress_callback(hooks.progress, std::max<uint64_t>(hooks.progress_every, 1));
  if (hooks.cancel) engine.set_cancel_flag(hooks.cancel);
  if (hooks.stream != nullptr) {
    hooks.stream->set_symbols(&feed.symbols().names());
    engine.set_result_sink(hooks.stream);
  }
}

// After the engine: the timing report, the empty-run check and the run's scalars.
void complete_run(BacktestRun& run, const BacktestConfig& config, const ColumnarDataFeed& feed, const RunHooks& hooks,
                  const TimingReport* timing) {
  if (hooks.stream != nullptr) hooks.stream->set_symbols(nullptr);  // the feed goes with the caller's scope
  if (timing != nullptr && hooks.on_timing_report) hooks.on_timing_report(*timing);
  if (run.results.events == 0) throw_no_bars(config, feed.dropped_rows());
  run.info.rows = feed.rows_read();
  run.info.assets = feed.symbols().size();
  if (hooks.stream != nullptr) {
    run.results.metrics = hooks.stream->metrics();
    run.info.first = hooks.stream->report_rows().first();
    run.info.last = hooks.stream->report_rows().last();
  } else if (!run.results.equity_curve.empty()) {
    run.info.first = run.results.equity_curve.front().timestamp;
    run.info.last = run.results.equity_curve.back().timestamp;
  }
}

// What decides how the data is read: the config without its strategy, execution, risk
// rules and output (which only the engine and the writer see).
std::string data_identity(const BacktestConfig& config) {
  BacktestConfig data = config;
  data.execution = ExecutionConfig{};
  data.risk_rules = RiskRules{};
  data.strategy = StrategySpec{};
  data.custom_strategy.reset();
  data.output = OutputConfig{};
  data.source_file.clear();
  return data.to_json();
}

}  // namespace

BacktestRun run_backtest(const BacktestConfig& config, const RunHooks& hooks) {
  BacktestRun run = describe_new_run(config);
  // The signal-timing check runs inside the feed's merge, in the run's own pass: with
  // fail_on_violation the feed throws SignalTimingViolation (before any result exists),
  // else the report reaches the hook once the run is done.
  TimingReport timing;
  const bool check_timing = checks_timing(config);
  ColumnarDataFeed feed(check_timing ? checked_feed_options(config, timing) : to_feed_options(config));
  auto strategy = make_strategy(config, feed.schema());
  BacktestEngine engine(feed, *strategy, to_engine_config(config));
  attach_hooks(engine, feed, hooks);
  run.results = engine.run();
  complete_run(run, config, feed, hooks, check_timing ? &timing : nullptr);
  return run;
}

bool reads_same_data(const BacktestConfig& a, const BacktestConfig& b) { return data_identity(a) == data_identity(b); }

std::vector<SharedPassRun> run_backtests_in_one_pass(const std::vector<const BacktestConfig*>& configs,
                                                     const std::vector<RunHooks>& hooks) {
  if (hooks.size() != configs.size()) {
    throw ConfigError(fmt::format("run_backtests_in_one_pass: {} config(s) but {} hook set(s); give one per config",
                                  configs.size(), hooks.size()));
  }
  std::vector<SharedPassRun> out(configs.size());
  if (configs.empty()) return out;
  const BacktestConfig& first = *configs.front();
  for (size_t i = 1; i < configs.size(); ++i) {
    if (!reads_same_data(first, *configs[i])) {
      throw ConfigError(fmt::format("run_backtests_in_one_pass: config {} reads other data than config 0 (data "
                                    "sources, features, universe, signal timing, data quality or resources differ); "
                                    "run it in a pass of its own",
                                    i));
    }
  }
  TimingReport timing;
  const bool check_timing = checks_timing(first);
  ColumnarDataFeed feed(check_timing ? checked_feed_options(first, timing) : to_feed_options(first));
  // Every strategy and engine is built before the pass; one that cannot be built fails
  // alone, as its run_backtest would.
  std::vector<BacktestRun> runs(configs.size());
  std::vector<StrategyPtr> strategies(configs.size());
  std::vector<std::unique_ptr<BacktestEngine>> engines(configs.size());
  std::vector<BacktestEngine*> in_pass;
  std::vector<size_t> index_of;
  for (size_t i = 0; i < configs.size(); ++i) {
    try {
      runs[i] = describe_new_run(*configs[i]);
      strategies[i] = make_strategy(*configs[i], feed.schema());
      engines[i] = std::make_unique<BacktestEngine>(feed, *strategies[i], to_engine_config(*configs[i]));
      attach_hooks(*engines[i], feed, hooks[i]);
      in_pass.push_back(engines[i].get());
      index_of.push_back(i);
    } catch (...) {
      out[i].error = std::current_exception();
    }
  }
  std::vector<PassOutcome> outcomes = run_in_one_pass(feed, in_pass);
  for (size_t k = 0; k < outcomes.size(); ++k) {
    const size_t i = index_of[k];
    try {
      if (outcomes[k].error) {
        if (hooks[i].stream != nullptr) hooks[i].stream->set_symbols(nullptr);
        std::rethrow_exception(outcomes[k].error);
      }
      runs[i].results = std::move(outcomes[k].results);
      complete_run(runs[i], *configs[i], feed, hooks[i], check_timing ? &timing : nullptr);
      out[i].run = std::move(runs[i]);
    } catch (...) {
      out[i].error = std::current_exception();
    }
  }
  return out;
}

std::optional<uint64_t> count_price_rows(const BacktestConfig& config) {
  try {
    const auto& p = config.data_sources.prices;
    std::string list;
    for (const auto& f : describe_inputs(config)) {
      if (f.role != "prices") continue;
      if (!list.empty()) list += ", ";
      list += duck::quote_literal(f.path.string());
    }
    if (list.empty()) return std::nullopt;
    std::string sql =
        fmt::format("SELECT count(*)::BIGINT FROM {}([{}])", p.format == "csv" ? "read_csv" : "read_parquet", list);
    std::vector<std::string> where;
    const std::string ts = duck::quote_identifier(p.timestamp_column);
    if (config.universe.start) {
      where.push_back(fmt::format("{} >= epoch_ms({})", ts, config.universe.start->nanos() / 1'000'000));
    }
    if (config.universe.end)
      where.push_back(fmt::format("{} <= epoch_ms({})", ts, config.universe.end->nanos() / 1'000'000));
    if (!config.universe.assets.empty() && !p.asset_column.empty()) {
      std::string in;
      for (const auto& a : config.universe.assets) in += (in.empty() ? "" : ", ") + duck::quote_literal(a);
      where.push_back(fmt::format("{} IN ({})", duck::quote_identifier(p.asset_column), in));
    }
    for (size_t i = 0; i < where.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + where[i];
    duck::Database db(duck::DatabaseOptions{"", "", 1});
    duck::Connection con(db);
    auto result = con.query(sql, "counting price rows");
    auto chunk = result.fetch();
    if (!chunk || chunk.size() == 0) return std::nullopt;
    return static_cast<uint64_t>(chunk.data<int64_t>(0)[0]);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace ml4t::backtest
