// Optimized Parquet writer: turns price/signal/feature files (Parquet or CSV, files or
// globs) into the layout the columnar feed reads fastest: sorted by (timestamp, asset),
// compressed, dictionary-encoded symbol columns, sized row groups and, optionally, hive
// partitions by year or month so a time-range query skips whole directories.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

/// Parquet compression codecs (DuckDB's writer).
enum class Compression { kZstd, kSnappy, kGzip, kLz4, kUncompressed };
/// Hive partitioning of the output: none (one file), by year, or by year and month.
enum class PartitionBy { kNone, kYear, kMonth };

/// "zstd", "snappy", "gzip", "lz4", "uncompressed"; throws ConfigError on anything else.
Compression parse_compression(std::string_view text);
std::string_view to_string(Compression compression);
/// "none", "year", "month"; throws ConfigError on anything else.
PartitionBy parse_partition_by(std::string_view text);
std::string_view to_string(PartitionBy partition_by);

/// How write_optimized_parquet lays out its output.
struct OptimizeOptions {
  /// Parquet codec.
  Compression compression = Compression::kZstd;
  std::optional<int> level;              //!< zstd level 1..22 (zstd only); empty = DuckDB's default (3)
  std::vector<std::string> categorical;  //!< string columns stored as a dictionary (ENUM)
  /// Rows per row group. DuckDB fills row groups in 2048-row vectors, so the effective
  /// size is this rounded up to a multiple of 2048.
  uint64_t row_group_size = 122880;
  /// Hive partitioning of the output.
  PartitionBy partition_by = PartitionBy::kNone;
  /// Name of the timestamp column (sort key and partition source).
  std::string timestamp_column = "timestamp";
  std::string asset_column = "asset_id";  //!< empty for market-wide data keyed by time alone
  bool overwrite = false;                  //!< replace an existing output
  std::string memory_limit;                //!< DuckDB memory limit (sorting spills past it)
  std::string temp_directory;              //!< where spills go
};

/// What write_optimized_parquet read and wrote.
struct OptimizeSummary {
  std::vector<std::filesystem::path> inputs;  //!< the files read (globs expanded)
  std::vector<std::filesystem::path> outputs;  //!< the files written
  /// Rows written.
  uint64_t rows = 0;
  /// Total size of the inputs.
  uint64_t input_bytes = 0;
  /// Total size of the outputs.
  uint64_t output_bytes = 0;
  /// Wall-clock time of the rewrite.
  double seconds = 0;
  /// input_bytes / output_bytes (0 when nothing was written).
  double ratio() const { return output_bytes == 0 ? 0.0 : static_cast<double>(input_bytes) / output_bytes; }
};

/// Read `inputs` (Parquet or CSV files or globs, unioned by column name), sort by
/// (timestamp, asset) and write `output`: one Parquet file, or with partitioning a
/// directory `output/year=YYYY[/month=M]/data_0.parquet` whose year/month columns are
/// the partition keys (the file bodies hold the other columns). The output appears only
/// when complete: it is written under a temporary name next to it and renamed.
/// Throws DataError for missing files, empty globs, unreadable files or a missing or
/// mistyped timestamp/asset column; ConfigError for bad options; OutputError when the
/// output exists (without `overwrite`) or cannot be written.
OptimizeSummary write_optimized_parquet(const std::vector<std::string>& inputs, const std::filesystem::path& output,
                                        const OptimizeOptions& options = {});

/// A SQL predicate on the hive partition columns (`year`, `month`) that keeps the
/// partitions overlapping [begin, end] (UTC). Add it to a query over a dataset written
/// with `partition_by` so DuckDB skips the other partitions' files entirely: a filter on
/// the timestamp column alone still opens every file. Timestamp::min()/max() mean an
/// open end. Empty for PartitionBy::kNone or a fully open range.
std::string hive_partition_filter(PartitionBy partition_by, Timestamp begin, Timestamp end);

}  // namespace ml4t::backtest
