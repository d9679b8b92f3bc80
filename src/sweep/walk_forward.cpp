// Walk-forward: fold arithmetic, the train runs (every set, every fold, on the worker
// pool), the selection, the test runs and the stitched out-of-sample curve.
#include "ml4t/backtest/sweep/walk_forward.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "sweep/ledger.hpp"
#include "sweep/table_file.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

// "252" (bars) or "12M" (a duration: a whole number and one of h D W M Y).
struct Length {
  size_t bars = 0;
  std::optional<CalendarLength> time;
};

Length parse_length(std::string_view name, std::string_view value, std::string_view text) {
  Length out;
  const char* first = value.data();
  const char* last = value.data() + value.size();
  const bool has_unit = !value.empty() && std::string_view("hDWMYdwy").find(value.back()) != std::string_view::npos;
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(first, has_unit ? last - 1 : last, n);
  if (ec != std::errc() || end != (has_unit ? last - 1 : last) || n < 0) {
    const std::string why = !value.empty() && value.back() == 'm'
                                ? " (M is months; minutes are not a unit: give bars)"
                                : "";
    throw ConfigError(fmt::format("--walk-forward {}: {}={} is neither a whole number of bars nor a duration{}; write "
                                  "e.g. train=252 or train=12M (units: h, D, W, M, Y)",
                                  text, name, value, why));
  }
  if (!has_unit) {
    out.bars = static_cast<size_t>(n);
    return out;
  }
  const char unit = value.back() == 'd' ? 'D' : value.back() == 'w' ? 'W' : value.back() == 'y' ? 'Y' : value.back();
  out.time = CalendarLength{n, unit};
  return out;
}

// Run fn(0..n-1) on up to `workers` threads (0 = all cores); the first exception is
// rethrown after every thread has stopped.
template <typename Fn>
void parallel_for(size_t n, int workers, Fn fn) {
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t k = std::max<size_t>(1, std::min(n, workers > 0 ? static_cast<size_t>(workers) : cores));
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex lock;
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        fn(i);
      } catch (...) {
        const std::lock_guard guard(lock);
        if (!failure) failure = std::current_exception();
        next = n;  // stop handing out work
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t w = 1; w < k; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

// The bar clock the engine sees: the timestamps of the feed's groups.
std::vector<Timestamp> bar_times(const BacktestConfig& config, const std::atomic<bool>* cancel) {
  ColumnarDataFeed feed(to_feed_options(config));
  std::vector<Timestamp> out;
  for (TimestampGroup g = feed.next_group(); g.valid(); g = feed.next_group()) {
    if (cancel != nullptr && cancel->load()) throw Interrupted("walk-forward interrupted while reading the bars");
    out.push_back(g.timestamp());
  }
  return out;
}

std::vector<std::optional<double>> metric_values(const Results& r) {
  const Metrics& m = r.metrics;
  const std::vector<double> all = {r.final_equity,
                                   m.total_return,
                                   m.cagr,
                                   m.annual_volatility,
                                   m.sharpe,
                                   m.sortino,
                                   m.max_drawdown,
                                   static_cast<double>(m.max_drawdown_duration_bars),
                                   m.calmar,
                                   m.win_rate,
                                   m.profit_factor,
                                   m.avg_win,
                                   m.avg_loss,
                                   m.exposure,
                                   m.turnover,
                                   static_cast<double>(m.num_trades),
                                   m.periods_per_year};
  std::vector<std::optional<double>> out;
  // Non-finite values are null, as in summary.json (so folds and sweeps agree).
  for (const double v : all) out.push_back(std::isfinite(v) ? std::optional<double>(v) : std::nullopt);
  return out;
}

BacktestConfig window_config(const SweepPlan& plan, const SweepTask& task, Timestamp first, Timestamp last) {
  std::vector<std::string> overrides = task.overrides;
  overrides.push_back("universe.start=" + first.to_string());
  overrides.push_back("universe.end=" + last.to_string());
  return BacktestConfig::from_yaml(plan.config_file, overrides);
}

Results run_window(const SweepPlan& plan, const SweepTask& task, Timestamp first, Timestamp last,
                   const std::atomic<bool>* cancel) {
  RunHooks hooks;
  hooks.cancel = cancel;
  return run_backtest(window_config(plan, task, first, last), hooks).results;
}

}  // namespace

WalkForwardSpec parse_walk_forward(std::string_view text) {
  WalkForwardSpec spec;
  bool has_train = false, has_test = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (name == "anchored" && eq == std::string_view::npos) {
      spec.anchored = true;
    } else if (name == "train" || name == "test" || name == "step" || name == "gap") {
      const Length l = parse_length(name, value, text);
      auto& bars = name == "train" ? spec.train : name == "test" ? spec.test : name == "step" ? spec.step : spec.gap;
      auto& time = name == "train"  ? spec.train_time
                   : name == "test" ? spec.test_time
                   : name == "step" ? spec.step_time
                                    : spec.gap_time;
      bars = l.bars;
      time = l.time;
      has_train = has_train || name == "train";
      has_test = has_test || name == "test";
    } else {
      throw ConfigError(fmt::format("--walk-forward {}: unknown part \"{}\"; expected train=N,test=N[,step=N]"
                                    "[,gap=N][,anchored]",
                                    text, item));
    }
  }
  const bool timed = spec.train_time || spec.test_time || spec.step_time;
  if (timed) {
    if (!spec.train_time || !spec.test_time || (spec.step != 0 && !spec.step_time)) {
      throw ConfigError(fmt::format("--walk-forward {}: train, test and step are all bars or all durations (e.g. "
                                    "train=12M,test=3M,step=3M); only the gap may be either",
                                    text));
    }
    if (spec.train_time->count <= 0 || spec.test_time->count <= 0 || (spec.step_time && spec.step_time->count <= 0)) {
      throw ConfigError(fmt::format("--walk-forward {}: durations must be positive, e.g. train=12M,test=3M", text));
    }
    if (!spec.step_time) spec.step_time = spec.test_time;
    return spec;
  }
  if (!has_train || !has_test || spec.train == 0 || spec.test == 0) {
    throw ConfigError(fmt::format("--walk-forward {}: train and test must both be given and positive, e.g. "
                                  "train=252,test=63",
                                  text));
  }
  if (spec.step == 0) spec.step = spec.test;
  return spec;
}

std::vector<Fold> make_folds(size_t bars, const WalkForwardSpec& spec) {
  const size_t step = spec.step == 0 ? spec.test : spec.step;
  std::vector<Fold> folds;
  for (size_t k = 0;; ++k) {
    Fold f;
    f.train_begin = spec.anchored ? 0 : k * step;
    f.train_end = (spec.anchored ? 0 : k * step) + spec.train + (spec.anchored ? k * step : 0);
    f.test_begin = f.train_end + spec.gap;
    f.test_end = f.test_begin + spec.test;
    if (f.test_end > bars) break;
    folds.push_back(f);
  }
  if (folds.empty()) {
    throw ConfigError(fmt::format("--walk-forward: the data has {} bars, fewer than one fold needs (train {} + gap {} "
                                  "+ test {} = {}); use smaller windows",
                                  bars, spec.train, spec.gap, spec.test, spec.train + spec.gap + spec.test));
  }
  return folds;
}

Timestamp CalendarLength::after(Timestamp from, int64_t times) const {
  using namespace std::chrono;
  const int64_t n = count * times;
  constexpr int64_t kHour = 3'600'000'000'000LL;
  if (unit == 'h') return Timestamp::from_nanos(from.nanos() + n * kHour);
  if (unit == 'D' || unit == 'W') return Timestamp::from_nanos(from.nanos() + n * (unit == 'W' ? 7 : 1) * 24 * kHour);
  // Months and years on the civil calendar, the time of day kept, the day clamped.
  const sys_time<nanoseconds> tp{nanoseconds(from.nanos())};
  const sys_days day = floor<days>(tp);
  const year_month_day ymd{day};
  year_month_day moved = ymd + months(unit == 'Y' ? 12 * n : n);
  if (!moved.ok()) moved = moved.year() / moved.month() / last;
  return Timestamp::from_nanos((sys_days(moved) + (tp - day)).time_since_epoch().count());
}

std::vector<Fold> make_folds(const std::vector<Timestamp>& bars, const WalkForwardSpec& spec) {
  if (!spec.train_time) return make_folds(bars.size(), spec);
  if (bars.empty()) throw ConfigError("--walk-forward: the data has no bars");
  auto index_at = [&](Timestamp t) {  // first bar at or after t
    return static_cast<size_t>(std::lower_bound(bars.begin(), bars.end(), t) - bars.begin());
  };
  int64_t widest = 0;  // the longest spacing of the data: how far short of a window's end it may stop
  for (size_t i = 1; i < bars.size(); ++i) widest = std::max(widest, bars[i].nanos() - bars[i - 1].nanos());
  const Timestamp origin = bars.front();
  std::vector<Fold> folds;
  for (int64_t k = 0;; ++k) {
    const Timestamp train_start = spec.anchored ? origin : spec.step_time->after(origin, k);
    const Timestamp train_stop = spec.anchored ? spec.step_time->after(spec.train_time->after(origin), k)
                                               : spec.train_time->after(train_start);
    Fold f;
    f.train_begin = index_at(train_start);
    f.train_end = index_at(train_stop);
    const Timestamp test_start = spec.gap_time ? spec.gap_time->after(train_stop) : Timestamp::min();
    f.test_begin = spec.gap_time ? index_at(test_start) : f.train_end + spec.gap;
    const Timestamp test_from = spec.gap_time                  ? test_start
                                : spec.gap == 0                   ? train_stop
                                : f.test_begin < bars.size()      ? bars[f.test_begin]
                                                                  : train_stop;
    const Timestamp test_stop = spec.test_time->after(test_from);
    f.test_end = index_at(test_stop);
    if (f.test_begin >= bars.size() || test_stop.nanos() > bars.back().nanos() + widest) break;
    if (f.train_end > f.train_begin && f.test_end > f.test_begin) folds.push_back(f);
  }
  if (folds.empty()) {
    throw ConfigError(fmt::format("--walk-forward: the data ({} .. {}) is shorter than one fold (train, gap and test "
                                  "windows); use shorter windows",
                                  bars.front().to_string(), bars.back().to_string()));
  }
  return folds;
}

Selection parse_selection(std::string_view text) {
  Selection s;
  const size_t colon = text.find(':');
  s.metric = std::string(text.substr(0, colon));
  if (colon != std::string_view::npos) {
    const auto how = text.substr(colon + 1);
    if (how != "max" && how != "min") {
      throw ConfigError(fmt::format("--select {}: expected METRIC, METRIC:max or METRIC:min", text));
    }
    s.maximize = how == "max";
  }
  const auto& names = sweep_metric_columns();
  if (std::find(names.begin(), names.end(), s.metric) == names.end()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw ConfigError(fmt::format("--select {}: unknown metric \"{}\"; choose one of {}", text, s.metric, known));
  }
  return s;
}

namespace {

void write_walk_forward_tables(const SweepPlan& plan, const Selection& selection, WalkForwardResult& result,
                               const fs::path& out) {
  using K = TableColumn::Kind;
  std::vector<ParameterSet> sets;
  for (const auto& t : plan.tasks) sets.push_back(t.params);
  std::vector<TableColumn> columns = {{"fold", K::kInt},       {"train_start", K::kTimestamp},
                                      {"train_end", K::kTimestamp}, {"test_start", K::kTimestamp},
                                      {"test_end", K::kTimestamp},  {"task_id", K::kText}};
  const auto params = parameter_columns(plan.space, sets);
  columns.insert(columns.end(), params.begin(), params.end());
  columns.push_back({"train_" + selection.metric, K::kDouble});
  const auto metrics = metric_table_columns();
  columns.insert(columns.end(), metrics.begin(), metrics.end());
  std::vector<std::vector<TableCell>> rows;
  for (size_t k = 0; k < result.folds.size(); ++k) {
    const auto& f = result.folds[k];
    std::vector<TableCell> row = {static_cast<int64_t>(k),          TimestampCell{f.train_first.nanos()},
                                  TimestampCell{f.train_last.nanos()}, TimestampCell{f.test_first.nanos()},
                                  TimestampCell{f.test_last.nanos()},  plan.tasks[f.chosen].id};
    append_parameter_cells(params, plan.tasks[f.chosen].params, row);
    row.emplace_back(f.train_score);
    append_metric_cells(f.test_values, row);
    rows.push_back(std::move(row));
  }
  result.tables = write_table_files(out, "folds", columns, rows);
  std::vector<std::vector<TableCell>> curve;
  for (size_t i = 0; i < result.oos_equity.size(); ++i) {
    curve.push_back({TimestampCell{result.oos_equity[i].first.nanos()}, static_cast<int64_t>(result.oos_fold[i]),
                     result.oos_equity[i].second});
  }
  for (auto& p : write_table_files(out, "oos_equity",
                                   {{"timestamp", K::kTimestamp}, {"fold", K::kInt}, {"equity", K::kDouble}}, curve)) {
    result.tables.push_back(std::move(p));
  }
}

// sweep.html of a walk-forward: per parameter set its mean train score over the folds
// (the heatmap) and how often it was chosen; then the folds.
fs::path write_walk_forward_html(const SweepPlan& plan, const Selection& selection, const WalkForwardResult& result,
                                 const std::vector<std::optional<double>>& scores, const fs::path& out) {
  const size_t sets = plan.tasks.size();
  SweepTable tasks;
  tasks.columns = {"task_id"};
  for (const auto& k : plan.space.keys) tasks.columns.push_back(k);
  tasks.columns.push_back("mean_train_" + selection.metric);
  tasks.columns.push_back("times_chosen");
  for (size_t s = 0; s < sets; ++s) {
    std::vector<SweepCell> row = {plan.tasks[s].id};
    for (const auto& key : plan.space.keys) {
      SweepCell cell;
      for (const auto& [k, v] : plan.tasks[s].params.values) {
        if (k == key) cell = v;
      }
      row.push_back(cell);
    }
    double sum = 0;
    int64_t n = 0, chosen = 0;
    for (size_t k = 0; k < result.folds.size(); ++k) {
      if (const auto& v = scores[k * sets + s]) sum += *v, ++n;
      chosen += result.folds[k].chosen == s ? 1 : 0;
    }
    row.push_back(n > 0 ? SweepCell(sum / static_cast<double>(n)) : SweepCell());
    row.push_back(chosen);
    tasks.rows.push_back(std::move(row));
  }
  SweepTable folds;
  folds.columns = {"fold", "train_start", "train_end", "test_start", "test_end", "chosen", "train_" + selection.metric};
  for (const auto& c : sweep_metric_columns()) folds.columns.push_back(c);
  for (size_t k = 0; k < result.folds.size(); ++k) {
    const auto& f = result.folds[k];
    std::vector<SweepCell> row = {static_cast<int64_t>(k),    f.train_first.to_string(), f.train_last.to_string(),
                                  f.test_first.to_string(),   f.test_last.to_string(),
                                  plan.tasks[f.chosen].params.describe(), f.train_score};
    for (const auto& v : f.test_values) row.push_back(v ? SweepCell(*v) : SweepCell());
    folds.rows.push_back(std::move(row));
  }
  return write_sweep_html(out, tasks, plan.space.keys.size(), &folds,
                          "Walk-forward: " + plan.config_file.filename().string());
}

}  // namespace

WalkForwardResult run_walk_forward(const SweepPlan& plan, const WalkForwardSpec& spec, const Selection& selection,
                                   const fs::path& out, int workers, const std::atomic<bool>* cancel) {
  const std::vector<Timestamp> bars = bar_times(plan.tasks.front().config, cancel);
  const std::vector<Fold> folds = make_folds(bars, spec);
  const auto& names = sweep_metric_columns();
  const size_t metric = static_cast<size_t>(std::find(names.begin(), names.end(), selection.metric) - names.begin());
  const size_t sets = plan.tasks.size();

  // Every (fold, set) on its train window, on the pool.
  std::vector<std::optional<double>> scores(folds.size() * sets);
  parallel_for(scores.size(), workers, [&](size_t i) {
    const Fold& f = folds[i / sets];
    const Results r = run_window(plan, plan.tasks[i % sets], bars[f.train_begin], bars[f.train_end - 1], cancel);
    scores[i] = metric_values(r)[metric];
  });
  WalkForwardResult result;
  for (size_t k = 0; k < folds.size(); ++k) {
    FoldOutcome o;
    o.fold = folds[k];
    o.train_first = bars[o.fold.train_begin];
    o.train_last = bars[o.fold.train_end - 1];
    o.test_first = bars[o.fold.test_begin];
    o.test_last = bars[o.fold.test_end - 1];
    // The best score wins; null never wins; ties go to the earlier set (grid order).
    std::optional<size_t> best;
    for (size_t s = 0; s < sets; ++s) {
      const auto& v = scores[k * sets + s];
      if (!v) continue;
      if (!best || (selection.maximize ? *v > *scores[k * sets + *best] : *v < *scores[k * sets + *best])) best = s;
    }
    if (!best) {
      throw DataError(fmt::format("walk-forward fold {} (train {} .. {}): {} is undefined (NaN) for every parameter "
                                  "set; select by another metric or use a longer train window",
                                  k, o.train_first.to_string(), o.train_last.to_string(), selection.metric));
    }
    o.chosen = *best;
    o.train_score = *scores[k * sets + *best];
    result.folds.push_back(std::move(o));
  }
  // The chosen set of each fold on its test window.
  std::vector<Results> tests(folds.size());
  parallel_for(folds.size(), workers, [&](size_t k) {
    const auto& o = result.folds[k];
    tests[k] = run_window(plan, plan.tasks[o.chosen], o.test_first, o.test_last, cancel);
  });
  double level = tests.empty() ? 0 : tests.front().initial_capital;
  for (size_t k = 0; k < folds.size(); ++k) {
    result.folds[k].test_values = metric_values(tests[k]);
    const double scale = level / tests[k].initial_capital;
    for (const auto& p : tests[k].equity_curve) {
      result.oos_equity.emplace_back(p.timestamp, p.equity * scale);
      result.oos_fold.push_back(k);
    }
    if (!tests[k].equity_curve.empty()) level = result.oos_equity.back().second;
  }
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw OutputError(fmt::format("cannot create {}: {}", out.string(), ec.message()));
  write_walk_forward_tables(plan, selection, result, out);
  result.tables.push_back(write_walk_forward_html(plan, selection, result, scores, out));
  return result;
}

}  // namespace ml4t::backtest
