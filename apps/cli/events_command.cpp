// `ml4t-backtest events CONFIG`: print the first events exactly as a strategy sees them
// — OHLCV, per-asset signals and market context after the point-in-time joins — to
// check a data setup before running it.
#include <fmt/format.h>

#include <cmath>

#include "commands.hpp"
#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace ml4t::backtest::cli {

namespace {

std::string format_fields(const FieldValues& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values.value(i);
    out += fmt::format("{}{}={}", i ? " " : "", values.name(i), std::isnan(v) ? "NaN" : fmt::format("{:.6g}", v));
  }
  return out.empty() ? "-" : out;
}

}  // namespace

void register_events(CLI::App& app) {
  struct Args {
    std::string config;
    std::vector<std::string> sets;
    int limit = 10;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("events", "Print the first events of a config's data as the strategy sees them "
                                           "(OHLCV, signals and context after the point-in-time joins)");
  cmd->add_option("config", args->config, "Config file (YAML or JSON)")->required();
  cmd->add_option("--limit,-n", args->limit, "Number of events to print")->capture_default_str()->check(CLI::Range(1, 1000000));
  cmd->add_option("--set", args->sets, "Override a config value: key.path=value (repeatable)")->allow_extra_args(false);
  cmd->callback([args] {
    const BacktestConfig config = BacktestConfig::from_yaml(args->config, args->sets);
    ColumnarDataFeed feed(to_feed_options(config));
    int shown = 0;
    for (TimestampGroup group = feed.next_group(); group.valid() && shown < args->limit; group = feed.next_group()) {
      fmt::print("{}  context: {}\n", group.timestamp().to_string(), format_fields(group.context()));
      for (const MarketEvent& e : group) {
        if (shown++ >= args->limit) break;
        fmt::print("  {:<8} open={:.4f} high={:.4f} low={:.4f} close={:.4f} volume={:.0f}  signals: {}\n", e.symbol(),
                   e.open(), e.high(), e.low(), e.close(), e.volume(), format_fields(e.signals()));
      }
    }
  });
}

}  // namespace ml4t::backtest::cli
