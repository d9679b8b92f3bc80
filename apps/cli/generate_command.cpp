// `ml4t-backtest generate`: write the deterministic sample dataset.
#include <fmt/format.h>

#include "commands.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/sample_data.hpp"

namespace ml4t::backtest::cli {

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KB", bytes / 1024.0);
  if (bytes < 1024ULL * 1024 * 1024) return fmt::format("{:.1f} MB", bytes / (1024.0 * 1024));
  return fmt::format("{:.2f} GB", bytes / (1024.0 * 1024 * 1024));
}

void register_generate(CLI::App& app) {
  struct Args {
    std::string out, start = "2024-01-02", freq = "1d";
    int symbols = 5, days = 60;
    uint64_t seed = 42;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("generate", "Write a deterministic sample dataset (prices, signals, features, "
                                             "context) as zstd Parquet");
  cmd->add_option("--out", args->out, "Output directory")->required();
  cmd->add_option("--symbols", args->symbols, "Number of assets")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--start", args->start, "First trading day (YYYY-MM-DD)")->capture_default_str();
  cmd->add_option("--days", args->days, "Number of trading days (weekdays)")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--freq", args->freq, "Bar frequency: 1d, 1h or 1min")->capture_default_str()
      ->check(CLI::IsMember({"1d", "1h", "1min"}));
  cmd->add_option("--seed", args->seed, "Random seed (same seed, same bytes)")->capture_default_str();
  cmd->callback([args] {
    SampleDataOptions options;
    options.out_dir = args->out;
    options.symbols = args->symbols;
    try {
      options.start = Timestamp::parse(args->start);
    } catch (const DataError& e) {
      throw ConfigError(fmt::format("--start: {}", e.what()));  // a usage error: exit code 2
    }
    options.days = args->days;
    options.frequency = parse_bar_frequency(args->freq);
    options.seed = args->seed;
    const auto summary = generate_sample_data(options);
    fmt::print("generated {} bars: {} assets x {} timestamps ({} .. {}), {} bars, seed {} in {:.2f} s\n", summary.bars,
               summary.symbols.size(), summary.timestamps, summary.first.to_string(), summary.last.to_string(),
               to_string(options.frequency), options.seed, summary.elapsed_seconds);
    for (const auto& file : summary.files) {
      fmt::print("  {:<40} {:>12} rows {:>10}\n", file.path.string(), file.rows, format_bytes(file.bytes));
    }
  });
}

}  // namespace ml4t::backtest::cli
