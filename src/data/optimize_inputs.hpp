// Input resolution shared by `optimize` and `inspect`: expands files, globs and hive
// directories into a sorted file list, tells Parquet from CSV, and builds the DuckDB
// SELECT that reads them all as one table. Private to the data component.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"

namespace ml4t::backtest::detail {

/// The files behind a list of paths/globs, by format.
struct InputFiles {
  std::vector<std::filesystem::path> parquet;
  std::vector<std::filesystem::path> csv;
  uint64_t bytes = 0;
  /// All files, in read order (Parquet first, then CSV; each in natural path order,
  /// so month=2 comes before month=10).
  std::vector<std::filesystem::path> all() const;
  /// "a.parquet, b.parquet and 3 more", for messages.
  std::string describe() const;
};

/// Expand `patterns` (files, globs, directories). Throws DataError for a missing file,
/// a glob or directory that matches nothing.
InputFiles resolve_inputs(duck::Connection& con, const std::vector<std::string>& patterns);

/// A SELECT over every file (columns unioned by name). With `with_filename`, a column
/// `filename` names each row's file (for CSV and Parquet alike).
std::string read_sql(const InputFiles& files, bool with_filename = false);

/// The (name, type) of each column `sql` returns, without reading row data.
std::vector<duck::ColumnSpec> describe_columns(duck::Connection& con, const std::string& sql, const std::string& context);

/// Throws DataError unless `column` is among `columns` (message lists the columns found
/// and names the option that picks another column).
const duck::ColumnSpec& require_column(const std::vector<duck::ColumnSpec>& columns, const std::string& column,
                                       const InputFiles& files, std::string_view role, std::string_view option);

}  // namespace ml4t::backtest::detail
