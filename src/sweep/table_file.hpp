// A small table written as DIR/<stem>.parquet and DIR/<stem>.csv through DuckDB: an
// in-memory table filled by the appender, then COPY, every name quoted by the wrapper,
// each file staged under a hidden name and renamed into place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

namespace ml4t::backtest {

struct TableColumn {
  enum class Kind { kDouble, kInt, kText, kTimestamp };
  std::string name;
  Kind kind = Kind::kDouble;
};

/// A timestamp cell: nanoseconds since the epoch, UTC.
struct TimestampCell {
  int64_t nanos = 0;
};

/// One cell: null, a number, an integer, text or a timestamp (matching its column).
using TableCell = std::variant<std::monostate, double, int64_t, std::string, TimestampCell>;

/// Write `rows` (each with one cell per column) as `dir`/`stem`.parquet and .csv.
/// NaN becomes null. Timestamps are TIMESTAMPTZ in Parquet and exact ISO-8601 UTC text
/// in CSV. Returns the two paths. Throws OutputError/DataError.
std::vector<std::filesystem::path> write_table_files(const std::filesystem::path& dir, const std::string& stem,
                                                     const std::vector<TableColumn>& columns,
                                                     const std::vector<std::vector<TableCell>>& rows);

}  // namespace ml4t::backtest
