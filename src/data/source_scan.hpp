// Internal: turns a DataSource into a checked DuckDB scan. Resolves files, globs and
// hive folders, reads the schema (metadata only), maps and type-checks the columns and
// writes the SELECT that streams (timestamp, asset, values...) for the feed, the timing
// validation and the feature provider.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace ml4t::backtest::detail {

/// Filters pushed into the SQL.
struct ScanFilter {
  std::vector<std::string> assets;
  std::optional<Timestamp> start;
  std::optional<Timestamp> end;
  std::optional<Timestamp> after;  //!< only rows strictly after this time (restarts)
};

/// What the caller needs from a source.
struct SourceRequirements {
  std::string role;                          //!< "prices", "signals", ... (for messages)
  std::vector<std::string> required_fields;  //!< field names that must exist (after rename)
  std::vector<std::string> optional_fields;  //!< read when present (e.g. volume)
  bool values_are_required_only = false;     //!< prices: read only required+optional fields
  bool asset_required = true;                //!< false: asset column may be absent
};

/// A DataSource checked against its files.
struct ResolvedSource {
  std::string role;
  std::string description;  //!< the paths as given, for messages
  bool csv = false;
  bool hive = false;
  std::string reader;  //!< read_parquet([...], ...) or read_csv([...], ...)
  std::string reader_options;  //!< what follows the file list in `reader` (", hive_partitioning = ...")
  std::vector<std::string> partition_keys;
  std::vector<std::string> all_columns;  //!< every column found, for messages
  std::string ts_column;
  duck::ColumnType ts_type = duck::ColumnType::kOther;
  std::string asset_column;                //!< empty when the source has none
  std::vector<std::string> value_columns;  //!< file names
  std::vector<duck::ColumnType> value_types;  //!< per value column, the file's type
  std::vector<std::string> field_names;    //!< after rename
  std::vector<bool> present;               //!< per required+optional field (prices)
  std::vector<std::string> files;          //!< every file (globs and folders expanded, hive partitions pruned)
};

/// A DuckDB instance with these settings, shared by every live user in the process:
/// starting an instance costs ~15 ms and a thread pool, so feeds, validation and
/// providers with the same settings share one.
std::shared_ptr<duck::Database> shared_database(const std::string& memory_limit, const std::string& temp_directory,
                                                int threads);
/// Settings every connection needs (time zone UTC).
void prepare_connection(duck::Connection& con);

/// Resolve paths and read the schema. Throws DataError / ConfigError with a fix. With
/// `prune`, files of a hive dataset whose year=/month= partition lies outside the time
/// range are dropped from the file list before anything is opened.
ResolvedSource resolve_source(duck::Connection& con, const DataSource& source, const SourceRequirements& req,
                              const ScanFilter* prune = nullptr);

/// SQL expression giving the timestamp as int64 nanoseconds since the epoch, UTC.
std::string ts_ns_expression(const ResolvedSource& src);
/// The WHERE clause (with leading " WHERE ") for a filter, or "".
std::string where_clause(const ResolvedSource& src, const ScanFilter& filter, bool filter_assets);
/// SELECT ts_ns, asset, value... FROM src WHERE ... [ORDER BY ts, asset]. Values are DOUBLE;
/// the asset is VARCHAR (NULL allowed). Without an asset column the second column is NULL.
/// `with_origin` adds the row's file (its index in src.files) and 0-based row in it (-1
/// for CSV) at the end, as BIGINTs.
std::string scan_sql(const ResolvedSource& src, const ScanFilter& filter, bool order_by, bool filter_assets = true,
                     bool with_origin = false);
/// SELECT ts_ns FROM src WHERE ... (the cheap sortedness pre-scan).
std::string timestamp_sql(const ResolvedSource& src, const ScanFilter& filter, bool filter_assets = true);

/// For a CSV source or one whose timestamps are text: "" when every row has an explicit zone (a UTC
/// offset, Z, UTC/GMT or a zone name) or none has one; else a sentence naming the column,
/// one row with and one without a zone (file, asset, text). Reads the timestamp column.
std::string mixed_time_zones(duck::Connection& con, const ResolvedSource& src);

/// True when the source's timestamps carry a time zone (TIMESTAMPTZ, or text with a UTC
/// offset, `Z` or a zone name: the first non-null row decides, mixed text being an error
/// or read as UTC by the mixed_time_zones rule); false for naive ones (TIMESTAMP*, DATE,
/// text without a zone). The Python module hands naive times back naive.
bool timestamps_zoned(duck::Connection& con, const ResolvedSource& src);

/// The error for a stamp that nanoseconds cannot hold: `who` names the source ("prices",
/// "inspect"), `column` and `where` the column and file(s).
std::string timestamp_out_of_range(std::string_view who, std::string_view column, std::string_view where);

/// The file and row of the row at (ts, asset) in a source, for error messages ("" when
/// it cannot be found). Slow path only.
std::string locate_row(duck::Connection& con, const ResolvedSource& src, Timestamp ts, const std::string& asset);

/// Join names as "a, b, c".
std::string join_names(const std::vector<std::string>& names);

}  // namespace ml4t::backtest::detail
