#include "sweep/table_file.hpp"

#include <fmt/format.h>

#include <cmath>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

std::string_view sql_type(TableColumn::Kind kind) {
  switch (kind) {
    case TableColumn::Kind::kDouble:
      return "DOUBLE";
    case TableColumn::Kind::kInt:
      return "BIGINT";
    case TableColumn::Kind::kText:
      return "VARCHAR";
    case TableColumn::Kind::kTimestamp:
      return "TIMESTAMPTZ";
  }
  return "VARCHAR";
}

void append_cell(duck::Appender& app, const TableColumn& column, const TableCell& cell) {
  const bool ts = column.kind == TableColumn::Kind::kTimestamp;
  if (std::holds_alternative<std::monostate>(cell)) {
    app.append_null();
    if (ts) app.append_null();
  } else if (const auto* d = std::get_if<double>(&cell)) {
    std::isnan(*d) ? app.append_null() : app.append(*d);
  } else if (const auto* i = std::get_if<int64_t>(&cell)) {
    app.append(*i);
  } else if (const auto* s = std::get_if<std::string>(&cell)) {
    app.append(std::string_view(*s));
  } else {
    const auto t = std::get<TimestampCell>(cell);
    app.append_timestamp_ns(t.nanos);
    app.append(std::string_view(Timestamp::from_nanos(t.nanos).to_string()));
  }
}

}  // namespace

std::vector<fs::path> write_table_files(const fs::path& dir, const std::string& stem,
                                        const std::vector<TableColumn>& columns,
                                        const std::vector<std::vector<TableCell>>& rows) {
  duck::Database db(duck::DatabaseOptions{"", "", 1});
  duck::Connection con(db);
  // Timestamp columns are stored twice: TIMESTAMPTZ for Parquet, ISO text for CSV (so
  // the CSV does not depend on DuckDB's TimeZone setting), as the results writer does.
  std::string create = "CREATE TABLE t (", parquet_cols, csv_cols;
  for (size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    const std::string sep = i == 0 ? "" : ", ";
    const std::string q = duck::quote_identifier(c.name);
    create += fmt::format("{}{} {}", sep, q, sql_type(c.kind));
    parquet_cols += sep + q;
    if (c.kind == TableColumn::Kind::kTimestamp) {
      const std::string iso = duck::quote_identifier(c.name + "__iso");
      create += fmt::format(", {} VARCHAR", iso);
      csv_cols += fmt::format("{}{} AS {}", sep, iso, q);
    } else {
      csv_cols += sep + q;
    }
  }
  create += ")";
  con.execute(create, fmt::format("creating the {} table", stem));
  {
    duck::Appender app(con, "t");
    for (const auto& row : rows) {
      for (size_t i = 0; i < columns.size(); ++i) append_cell(app, columns[i], row.at(i));
      app.end_row();
    }
    app.close();
  }
  std::vector<fs::path> written;
  const std::vector<std::pair<std::string, std::string>> formats = {
      {".parquet", "FORMAT parquet, COMPRESSION zstd"}, {".csv", "FORMAT csv, HEADER true"}};
  for (const auto& [ext, options] : formats) {
    const fs::path file = dir / (stem + ext);
    const fs::path tmp = dir / fmt::format(".{}{}.tmp", stem, ext);
    const std::string& cols = ext == ".csv" ? csv_cols : parquet_cols;
    con.execute(fmt::format("COPY (SELECT {} FROM t) TO {} ({})", cols, duck::quote_literal(tmp.string()), options),
                fmt::format("writing {}", file.string()));
    std::error_code ec;
    fs::rename(tmp, file, ec);
    if (ec) throw OutputError(fmt::format("cannot rename {} to {}: {}", tmp.string(), file.string(), ec.message()));
    written.push_back(file);
  }
  return written;
}

}  // namespace ml4t::backtest
