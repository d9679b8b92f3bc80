// `ml4t-backtest data optimize`: rewrite price/signal/feature files as sorted, compressed,
// optionally partitioned Parquet that the columnar feed reads fastest.
#include <fmt/format.h>

#include "commands.hpp"
#include "ml4t/backtest/data/optimize.hpp"

namespace ml4t::backtest::cli {

CLI::App* register_optimize(CLI::App& app) {
  struct Args {
    std::vector<std::string> inputs, categorical;
    std::string out, compression = "zstd", partition_by = "none";
    std::optional<int> level;
    uint64_t row_group_size = 122880;
    std::string timestamp_column = "timestamp", asset_column = "asset_id";
    std::string memory_limit, temp_directory;
    bool overwrite = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "optimize",
      "Rewrite Parquet/CSV data as optimized Parquet: sorted by (timestamp, asset), compressed, symbol columns "
      "dictionary-encoded, sized row groups, optionally hive-partitioned by year or month. The output appears only "
      "when complete (written under a temporary name, then renamed).");
  cmd->footer(
      "Examples:\n"
      "  ml4t-backtest data optimize raw/*.csv --out prices.parquet --categorical asset_id\n"
      "  ml4t-backtest data optimize prices.parquet --out prices_ds --partition-by month --compression zstd --level 9\n"
      "A dataset partitioned by month is a directory year=YYYY/month=M/data_0.parquet; readers that filter on the\n"
      "year/month keys skip the other partitions entirely. Rows keep all their columns; duplicate (timestamp, asset)\n"
      "rows are kept as they are (find them with `ml4t-backtest data inspect`).");
  cmd->add_option("inputs", args->inputs, "Input files, globs (quote them) or dataset directories; Parquet or CSV")
      ->required();
  cmd->add_option("--out,-o", args->out, "Output Parquet file, or directory when partitioning")->required();
  cmd->add_option("--compression", args->compression, "Codec: zstd, snappy, gzip, lz4 or uncompressed")
      ->capture_default_str()
      ->check(CLI::IsMember({"zstd", "snappy", "gzip", "lz4", "uncompressed"}));
  cmd->add_option("--level", args->level, "zstd compression level, 1 (fastest) to 22 (smallest); zstd only")
      ->check(CLI::Range(1, 22));
  cmd->add_option("--categorical", args->categorical,
                  "String column to store as a dictionary (ENUM), e.g. asset_id; repeat for more columns")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--row-group-size", args->row_group_size,
                  "Rows per row group (DuckDB rounds up to a multiple of 2048)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--partition-by", args->partition_by, "Hive partitioning: none, year or month")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "year", "month"}));
  cmd->add_option("--timestamp-column", args->timestamp_column, "Name of the timestamp column")->capture_default_str();
  cmd->add_option("--asset-column", args->asset_column,
                  "Name of the asset column (\"\" for market-wide data keyed by time alone)")
      ->capture_default_str();
  cmd->add_option("--memory-limit", args->memory_limit, "DuckDB memory limit, e.g. 2GB (the sort spills beyond it)");
  cmd->add_option("--temp-directory", args->temp_directory, "Where DuckDB spills when sorting more than fits");
  cmd->add_flag("--overwrite", args->overwrite, "Replace the output if it exists");
  cmd->callback([args] {
    OptimizeOptions options;
    options.compression = parse_compression(args->compression);
    options.level = args->level;
    options.categorical = args->categorical;
    options.row_group_size = args->row_group_size;
    options.partition_by = parse_partition_by(args->partition_by);
    options.timestamp_column = args->timestamp_column;
    options.asset_column = args->asset_column;
    options.memory_limit = args->memory_limit;
    options.temp_directory = args->temp_directory;
    options.overwrite = args->overwrite;
    const auto summary = write_optimized_parquet(args->inputs, args->out, options);
    fmt::print("input:  {} file(s), {} ({} bytes)\n", summary.inputs.size(), format_bytes(summary.input_bytes),
               summary.input_bytes);
    fmt::print("output: {} file(s), {} ({} bytes) at {}\n", summary.outputs.size(), format_bytes(summary.output_bytes),
               summary.output_bytes, args->out);
    fmt::print("rows:   {}\n", summary.rows);
    fmt::print("ratio:  {:.2f}x (input / output), {} compression, {:.2f} s\n", summary.ratio(),
               to_string(options.compression), summary.seconds);
  });
  return cmd;
}

}  // namespace ml4t::backtest::cli
