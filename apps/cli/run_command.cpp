// `ml4t-backtest run CONFIG`: load and validate the config, run the backtest, write the
// result files and print a compact metrics table.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <functional>
#include <thread>

#include "commands.hpp"
#include "interrupt_handlers.hpp"
#include "progress_bar.hpp"
#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/results/stream_writer.hpp"
#include "ml4t/backtest/results/writer.hpp"

namespace ml4t::backtest::cli {

namespace {

std::atomic<bool> g_cancel{false};

extern "C" void on_signal(int) { g_cancel.store(true); }

// After SIGINT/SIGTERM the engine stops at its next event, but DuckDB work before the
// first event (sorting, the timing report) does not look at the flag. Result files are
// only staged until the run ends, so after a short grace period the process may simply
// leave (dropping what is staged); once the staged results are being moved into place
// they are let finish.
class CancelWatchdog {
 public:
  explicit CancelWatchdog(std::function<void()> before_exit)
      : before_exit_(std::move(before_exit)), thread_([this] { watch(); }) {}
  ~CancelWatchdog() {
    {
      const std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  CancelWatchdog(const CancelWatchdog&) = delete;
  CancelWatchdog& operator=(const CancelWatchdog&) = delete;
  /// From here on a signal no longer ends the process early (taken under the lock, so
  /// the watchdog is either already leaving or will see it).
  void writing() {
    const std::lock_guard lock(mutex_);
    writing_ = true;
  }

 private:
  void watch() {
    using namespace std::chrono_literals;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, 20ms, [this] { return done_ || g_cancel.load(); })) {
    }
    if (done_ || wake_.wait_for(lock, 300ms, [this] { return done_; }) || writing_) return;
    if (before_exit_) before_exit_();
    fmt::print(stderr, "interrupted: stopped while reading the data; no results were produced\n");
    std::fflush(stderr);
    std::_Exit(130);
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  bool writing_ = false;
  std::function<void()> before_exit_;
  std::thread thread_;
};

void print_metrics(const BacktestRun& run, const std::filesystem::path& out, double elapsed) {
  const auto& r = run.results;
  const auto& m = r.metrics;
  auto line = [](std::string_view name, const std::string& value) { fmt::print("  {:<22}{:>16}\n", name, value); };
  auto pct = [](double v) { return std::isfinite(v) ? fmt::format("{:.2f}%", v * 100) : std::string("-"); };
  auto num = [](double v) { return std::isfinite(v) ? fmt::format("{:.2f}", v) : std::string("-"); };
  fmt::print("backtest: {} events, {} assets, {} .. {} in {:.2f} s\n", r.events, run.info.assets,
             run.info.first ? run.info.first->to_string() : "-", run.info.last ? run.info.last->to_string() : "-",
             elapsed);
  line("initial capital", fmt::format("{:.2f}", r.initial_capital));
  line("final equity", fmt::format("{:.2f}", r.final_equity));
  line("total return", pct(m.total_return));
  line("CAGR", pct(m.cagr));
  line("annual volatility", pct(m.annual_volatility));
  line("Sharpe", num(m.sharpe));
  line("Sortino", num(m.sortino));
  line("max drawdown", pct(m.max_drawdown));
  line("Calmar", num(m.calmar));
  line("trades", std::to_string(m.num_trades));
  line("win rate", pct(m.win_rate));
  line("profit factor", num(m.profit_factor));
  line("exposure", pct(m.exposure));
  fmt::print("results: {}\n", out.string());
}

}  // namespace

void register_run(CLI::App& app) {
  struct Args {
    std::string config, out, format;
    std::vector<std::string> sets;
    bool overwrite = false, quiet = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("run", "Run the backtest a YAML/JSON config describes and write its results");
  cmd->add_option("config", args->config, "Config file (YAML or JSON)")->required();
  cmd->add_option("--out", args->out, "Output folder (default: output.dir of the config)");
  cmd->add_option("--set", args->sets, "Override a config value: key.path=value (repeatable)")->allow_extra_args(false);
  cmd->add_option("--format", args->format, "Table format: parquet, csv or both (default: output.formats)")
      ->check(CLI::IsMember({"parquet", "csv", "both"}));
  cmd->add_flag("--overwrite", args->overwrite, "Replace earlier results in a non-empty output folder");
  cmd->add_flag("--quiet", args->quiet, "Print nothing but errors");
  cmd->callback([args, cmd] {
    const auto started = std::chrono::steady_clock::now();
    const BacktestConfig config = BacktestConfig::from_yaml(args->config, args->sets);
    if (cmd->count("--out") > 0 && args->out.empty()) {  // e.g. --out "$UNSET": never fall back silently
      throw ConfigError("--out: empty path; give the output folder, or leave --out out to use output.dir");
    }
    const std::filesystem::path out = args->out.empty() ? config.output.dir : std::filesystem::absolute(args->out);
    WriteOptions write;
    write.overwrite = args->overwrite;
    write.report = config.output.report;
    const auto& formats = config.output.formats;
    write.parquet = std::find(formats.begin(), formats.end(), "parquet") != formats.end();
    write.csv = std::find(formats.begin(), formats.end(), "csv") != formats.end();
    if (!args->format.empty()) {
      write.parquet = args->format != "csv";
      write.csv = args->format != "parquet";
    }
    try {
      check_output_dir(out, args->overwrite);  // refuse now, not after a long run
    } catch (const OutputError& e) {
      throw ConfigError(e.what());
    }
    check_output_writable(out);  // an unwritable place is a runtime error (exit 1), found before the run

    const bool tty = !args->quiet && ::isatty(STDERR_FILENO) == 1;
    std::optional<ProgressBar> bar;
    RunHooks hooks;
    if (tty) {
      bar.emplace(count_price_rows(config));
      hooks.progress = [&bar](uint64_t events, Timestamp now) { bar->update(events, now); };
    }
    hooks.on_timing_report = [&args, &bar](const TimingReport& report) {
      if (args->quiet || report.violations.empty()) return;
      if (bar) {  // the report comes at the end of the run: end the progress line first
        bar->finish();
        bar.reset();
      }
      fmt::print(stderr, "warning: signal timing report: {} problem(s); first: {}\n", report.total,
                 report.violations.front().message);
    };
    g_cancel.store(false);
    hooks.cancel = &g_cancel;
    // Handlers stay until the results are written: a signal then must not kill the
    // process half way through replacing earlier results.
    const ScopedInterruptHandlers interrupt_handlers(on_signal);
    // The result files are written while the run goes (staged until it ends), so
    // memory does not grow with the number of fills.
    ResultStreamWriter writer(out, write, to_stream_options(config));
    hooks.stream = &writer;
    CancelWatchdog watchdog([&writer] { writer.discard_now(); });
    BacktestRun run;
    try {
      run = run_backtest(config, hooks);
    } catch (...) {
      if (bar) bar->finish();
      throw;
    }
    if (bar) bar->finish();

    run.info.version = ML4T_VERSION;
    run.info.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    watchdog.writing();
    // What the writers have not caught up with yet: redrawn while it takes a while.
    const auto writing_started = std::chrono::steady_clock::now();
    bool drew = false;
    ResultStreamWriter::WriteProgress progress;
    if (tty) {
      progress = [&](uint64_t written, uint64_t total) {
        if (!drew && std::chrono::steady_clock::now() - writing_started < std::chrono::milliseconds(500)) return;
        drew = true;
        bar->update_writing(written, total);
      };
    }
    writer.finish(run.results, run.info, progress);
    if (tty) {  // the writing phase's final state, however short it was
      const StreamStats stats = writer.stats();
      bar->update_writing(stats.rows_written, stats.rows_pushed);
      bar->finish();
    }
    if (!args->quiet) print_metrics(run, out, run.info.elapsed_seconds);
  });
}

}  // namespace ml4t::backtest::cli
