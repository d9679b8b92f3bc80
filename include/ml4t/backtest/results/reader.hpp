// Reading result tables back: one equity/trades/fills/orders file (.parquet or .csv, as
// write_results produced it) into typed columns, through DuckDB, so the Python module can
// rebuild its DataFrames without pyarrow (Results.from_dir).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ml4t::backtest {

/// What a result column holds, and so which vector of ResultColumn carries it.
enum class ResultColumnKind {
  kTimestamp,  //!< `ints`: nanoseconds since the epoch, UTC
  kDouble,     //!< `doubles`: null = NaN
  kInt,        //!< `ints`
  kText,       //!< `texts`: null = ""
  kBool,       //!< `ints`: 0 or 1
};

/// One expected column of a result file.
struct ResultColumnSpec {
  /// The column's name in the file.
  std::string name;
  /// What it holds.
  ResultColumnKind kind;
};

/// One column read back.
struct ResultColumn {
  /// The column's name in the file.
  std::string name;
  /// What it holds.
  ResultColumnKind kind;
  /// kInt, kTimestamp and kBool values.
  std::vector<int64_t> ints;
  /// kDouble values.
  std::vector<double> doubles;
  /// kText values.
  std::vector<std::string> texts;
};

/// A result file read back: the expected columns, in the order asked for.
struct ResultTable {
  /// Rows read.
  size_t rows = 0;
  /// One entry per ResultColumnSpec.
  std::vector<ResultColumn> columns;
};

/// Read `file` (.parquet, or .csv with a header row) into `columns`. Columns of the file
/// that are not asked for are ignored; a missing column, a column of the wrong type or a
/// value that does not convert is a DataError naming the file, the column and (for CSV)
/// the line. CSV timestamps are the writer's ISO-8601 UTC text, parsed exactly.
ResultTable read_result_table(const std::filesystem::path& file, const std::vector<ResultColumnSpec>& columns);

}  // namespace ml4t::backtest
