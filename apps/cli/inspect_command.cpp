// `ml4t-backtest data inspect`: describe a data file or dataset before a backtest.
#include <fmt/format.h>

#include "commands.hpp"
#include "ml4t/backtest/data/inspect.hpp"

namespace ml4t::backtest::cli {

CLI::App* register_inspect(CLI::App& app) {
  struct Args {
    std::vector<std::string> paths;
    std::string timestamp_column = "timestamp", asset_column = "asset_id";
    std::string memory_limit, temp_directory;
    size_t max_assets = 10;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "inspect",
      "Describe a data file, glob or dataset directory (Parquet or CSV): schema, rows, assets, time range, whether "
      "rows are sorted by (timestamp, asset) and where the first out-of-order row is, duplicate (timestamp, asset) "
      "rows, nulls per column, and Parquet row groups and compression. Reads every row once, streaming.");
  cmd->footer("Examples:\n  ml4t-backtest data inspect data/prices.parquet\n  ml4t-backtest data inspect 'raw/*.csv' --json\n"
              "  ml4t-backtest data inspect prices_ds/   (a hive-partitioned directory)");
  cmd->add_option("paths", args->paths, "Files, globs (quote them) or a dataset directory")->required();
  cmd->add_option("--timestamp-column", args->timestamp_column, "Name of the timestamp column")->capture_default_str();
  cmd->add_option("--asset-column", args->asset_column, "Name of the asset column (\"\" for none)")
      ->capture_default_str();
  cmd->add_option("--max-assets", args->max_assets, "How many asset names to list")->capture_default_str();
  cmd->add_option("--memory-limit", args->memory_limit,
                  "DuckDB memory limit, e.g. 2GB (counting duplicates of unsorted data spills beyond it)");
  cmd->add_option("--temp-directory", args->temp_directory, "Where DuckDB spills when the data does not fit");
  cmd->add_flag("--json", args->json, "Print one JSON object instead of text");
  cmd->callback([args] {
    InspectOptions options;
    options.timestamp_column = args->timestamp_column;
    options.asset_column = args->asset_column;
    options.max_asset_names = args->max_assets;
    options.memory_limit = args->memory_limit;
    options.temp_directory = args->temp_directory;
    const auto info = inspect_dataset(args->paths, options);
    if (args->json) {
      fmt::print("{}\n", format_json(info));
    } else {
      fmt::print("{}", format_text(info, options));
    }
  });
  return cmd;
}

}  // namespace ml4t::backtest::cli
