// Dataset inspection: what a price/signal/feature file or dataset holds (schema, rows,
// assets, time range, sortedness, duplicate bars, nulls, Parquet layout), so a user can
// check data before a backtest and see whether `optimize` would help.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

/// Which columns hold the timestamp and the asset.
struct InspectOptions {
  /// Name of the timestamp column.
  std::string timestamp_column = "timestamp";
  std::string asset_column = "asset_id";  //!< empty for market-wide data keyed by time alone
  size_t max_asset_names = 10;            //!< how many asset names to list
  /// DuckDB memory limit, e.g. "512MB"; empty = DuckDB's default (80% of RAM). Counting
  /// duplicates of unsorted data groups every key and spills past this limit.
  std::string memory_limit;
  std::string temp_directory;  //!< where DuckDB spills; empty = its default
};

/// One column of the dataset.
struct ColumnInfo {
  /// Column name.
  std::string name;
  std::string type;  //!< DuckDB's SQL type ("DOUBLE", "TIMESTAMP WITH TIME ZONE", ...)
  /// Number of null values.
  uint64_t nulls = 0;
};

/// One file of the dataset.
struct FileInfo {
  /// Path of the file.
  std::filesystem::path path;
  std::string format;  //!< "parquet" or "csv"
  /// Size on disk.
  uint64_t bytes = 0;
  /// Rows in the file.
  uint64_t rows = 0;
  uint64_t row_groups = 0;   //!< Parquet only
  std::string compression;   //!< Parquet only: the codecs of its column chunks ("ZSTD", "SNAPPY,UNCOMPRESSED")
};

/// Where the data first breaks (timestamp, asset) order, in read order (files in natural
/// path order, rows in file order).
struct OrderBreak {
  /// File holding the out-of-order row.
  std::filesystem::path file;
  uint64_t row = 0;  //!< 1-based data row within `file`
  /// Timestamp of the out-of-order row.
  Timestamp timestamp;
  /// Asset of the out-of-order row.
  std::string asset;
  Timestamp previous_timestamp;  //!< the row before it (possibly in the previous file)
  /// Asset of the row before it.
  std::string previous_asset;
};

/// What inspect_dataset found.
struct DatasetInfo {
  /// Every file read, in read order.
  std::vector<FileInfo> files;
  /// Total size on disk.
  uint64_t bytes = 0;
  /// The columns (union over files).
  std::vector<ColumnInfo> columns;
  /// Total rows.
  uint64_t rows = 0;
  bool has_timestamp = false;  //!< the timestamp column exists and has a time type
  bool has_asset = false;      //!< the asset column exists
  uint64_t assets = 0;         //!< distinct non-null assets
  std::vector<std::string> asset_names;  //!< the first max_asset_names, sorted
  /// First timestamp (null timestamps ignored).
  std::optional<Timestamp> first, last;  //!< time range (null timestamps ignored)
  bool sorted = false;                  //!< rows in non-decreasing (timestamp, asset) order
  std::optional<OrderBreak> order_break;  //!< the first row out of order
  /// Rows beyond the first of each (timestamp, asset) key (3 bars of one key count 2).
  uint64_t duplicates = 0;
};

/// Inspect `paths` (files, globs or a dataset directory; Parquet or CSV). Reads every
/// row once, streaming (memory stays bounded). Missing timestamp or asset columns are
/// reported (has_timestamp/has_asset false), not errors. Throws DataError for a missing
/// file, an empty glob or an unreadable file.
DatasetInfo inspect_dataset(const std::vector<std::string>& paths, const InspectOptions& options = {});

/// A human-readable multi-line report.
std::string format_text(const DatasetInfo& info, const InspectOptions& options = {});
/// The same as one JSON object (timestamps as ISO-8601 strings).
std::string format_json(const DatasetInfo& info);

}  // namespace ml4t::backtest
