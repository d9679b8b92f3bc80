// Writing rows a C++ producer makes straight into a Parquet or CSV file through DuckDB,
// as they come: the data layer's door for result files (no SQL outside this folder).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"

namespace ml4t::backtest::duck {

/// The file formats export_rows writes.
enum class ExportFormat { kParquet, kCsv };

/// Write every row the producer makes to `path`: Parquet (zstd, row groups of 122880
/// rows) or CSV with a header row. DuckDB pulls one chunk at a time and writes as it
/// goes, so memory holds about one row group, not the table; rows keep their order and
/// the bytes depend only on the rows. Blocks until the producer returns 0. Opens its own
/// connection on `db`, so several exports may run at once on different threads. Throws
/// DataError (with `context`) when DuckDB or the producer fails.
void export_rows(Database& db, std::vector<ColumnSpec> columns, std::function<std::unique_ptr<ChunkProducer>()> factory,
                 const std::string& path, ExportFormat format, std::string_view context);

}  // namespace ml4t::backtest::duck
