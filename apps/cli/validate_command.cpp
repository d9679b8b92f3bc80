// `ml4t-backtest validate CONFIG`: check a config, its data files' schemas, the strategy
// against the data, and print the signal-timing report, without running a backtest.
// The timing check streams the data once (no strategy): a progress line on a terminal.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <optional>

#include "commands.hpp"
#include "progress_bar.hpp"
#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::cli {

namespace {

// The config and its data checked, with a progress line on a terminal while the data
// streams (the timing check reads it once).
ConfigCheck check_with_progress(const BacktestConfig& config, bool quiet) {
  if (quiet || ::isatty(STDERR_FILENO) != 1) return check_config(config);
  std::optional<ProgressBar> bar;
  RunHooks hooks;
  hooks.progress = [&bar, &config](uint64_t events, Timestamp now) {
    if (!bar) bar.emplace(count_price_rows(config), "validating");
    bar->update(events, now);
  };
  try {
    ConfigCheck check = check_config(config, hooks);
    if (bar) bar->finish();
    return check;
  } catch (...) {
    if (bar) bar->finish();
    throw;
  }
}

void print_check(const BacktestConfig& config, const ConfigCheck& check, const std::string& path) {
  fmt::print("config: {} is valid\n", path);
  fmt::print("data files:\n");
  for (const auto& f : check.files) {
    fmt::print("  {:<9} {} ({})\n", f.role, f.path.string(), format_bytes(f.bytes));
  }
  fmt::print("signal fields: {}\n",
             check.signal_fields.empty() ? "-" : fmt::format("{}", fmt::join(check.signal_fields, ", ")));
  fmt::print("context fields: {}\n",
             check.context_fields.empty() ? "-" : fmt::format("{}", fmt::join(check.context_fields, ", ")));
  fmt::print("strategy: {} on \"{}\" ({})\n", config.strategy.type, config.strategy.signal,
             config_name(config.strategy.side));
  if (!check.timing) {
    fmt::print("signal timing: not checked (signal_timing.validate is false or there are no signals)\n");
    return;
  }
  const auto& report = *check.timing;
  fmt::print("signal timing ({}, lag {} bar{}): ", config.signal_timing.mode, config.signal_timing.lag,
             config.signal_timing.lag == 1 ? "" : "s");
  if (report.violations.empty()) {
    fmt::print("no problems\n");
    return;
  }
  fmt::print("{} problem(s)\n", report.total);
  constexpr size_t kShown = 10;
  const size_t shown = std::min(kShown, report.violations.size());
  for (size_t i = 0; i < shown; ++i) fmt::print("  {}\n", report.violations[i].message);
  if (report.total > shown) fmt::print("  ... and {} more\n", report.total - shown);
}

}  // namespace

void register_validate(CLI::App& app) {
  struct Args {
    std::string config;
    std::vector<std::string> sets;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "validate", "Check a config, the schemas of its data files and the signal timing, without running");
  cmd->add_option("config", args->config, "Config file (YAML or JSON)")->required();
  cmd->add_option("--set", args->sets, "Override a config value: key.path=value (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--quiet", args->quiet, "Print nothing but errors (the exit code tells)");
  cmd->callback([args] {
    const BacktestConfig config = BacktestConfig::from_yaml(args->config, args->sets);
    const ConfigCheck check = check_with_progress(config, args->quiet);
    if (!args->quiet) print_check(config, check, args->config);
    if (check.timing && !check.timing->is_valid && config.signal_timing.fail_on_violation) {
      throw SignalTimingViolation(fmt::format(
          "{} signal timing problem(s) in {} (signal_timing.fail_on_violation is true); first: {}; fix the signal "
          "timestamps or set signal_timing.fail_on_violation: false",
          check.timing->total, args->config, check.timing->violations.front().message));
    }
  });
}

}  // namespace ml4t::backtest::cli
