// Result files read back through DuckDB: first the file's columns (LIMIT 0), checked
// against what the caller expects, then one query casting each column to its canonical
// type. CSV is read as text for timestamps (the writer's exact ISO-8601 UTC form, parsed
// by Timestamp::parse) and with DuckDB's typed reader for the rest.
#include "ml4t/backtest/results/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

bool is_csv(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".csv";
}

std::string_view kind_name(ResultColumnKind kind) {
  switch (kind) {
    case ResultColumnKind::kTimestamp: return "a timestamp";
    case ResultColumnKind::kDouble: return "a number";
    case ResultColumnKind::kInt: return "an integer";
    case ResultColumnKind::kText: return "text";
    case ResultColumnKind::kBool: return "a boolean";
  }
  return "?";
}

bool is_integer(duck::ColumnType t) {
  using T = duck::ColumnType;
  return t == T::kInt8 || t == T::kInt16 || t == T::kInt32 || t == T::kInt64 || t == T::kUInt8 || t == T::kUInt16 ||
         t == T::kUInt32 || t == T::kUInt64;
}

// Whether a Parquet column of type `t` can hold `kind` without losing anything.
bool fits(ResultColumnKind kind, duck::ColumnType t) {
  switch (kind) {
    case ResultColumnKind::kTimestamp: return duck::is_timestamp(t);
    case ResultColumnKind::kDouble: return duck::is_numeric(t);
    case ResultColumnKind::kInt: return is_integer(t);
    case ResultColumnKind::kText: return t == duck::ColumnType::kVarchar;
    case ResultColumnKind::kBool: return t == duck::ColumnType::kBoolean;
  }
  return false;
}

// The SQL producing `spec`'s canonical physical type from the file's column.
std::string select_expression(const ResultColumnSpec& spec, bool csv) {
  const std::string q = duck::quote_identifier(spec.name);
  switch (spec.kind) {
    case ResultColumnKind::kTimestamp: return csv ? q : fmt::format("epoch_ns({})", q);
    case ResultColumnKind::kDouble: return fmt::format("CAST({} AS DOUBLE)", q);
    case ResultColumnKind::kInt: return fmt::format("CAST({} AS BIGINT)", q);
    case ResultColumnKind::kText: return fmt::format("CAST({} AS VARCHAR)", q);
    case ResultColumnKind::kBool: return fmt::format("CAST({} AS BOOLEAN)", q);
  }
  return q;
}

std::string_view csv_type(ResultColumnKind kind) {
  switch (kind) {
    case ResultColumnKind::kTimestamp: return "VARCHAR";
    case ResultColumnKind::kDouble: return "DOUBLE";
    case ResultColumnKind::kInt: return "BIGINT";
    case ResultColumnKind::kText: return "VARCHAR";
    case ResultColumnKind::kBool: return "BOOLEAN";
  }
  return "VARCHAR";
}

// read_parquet(...) or read_csv(...) over the file; for CSV with the expected columns'
// types (all of them text when `types` is empty).
std::string reader_sql(const fs::path& file, const std::vector<ResultColumnSpec>& types) {
  const std::string path = duck::quote_literal(file.string());
  if (!is_csv(file)) return fmt::format("read_parquet({})", path);
  if (types.empty()) return fmt::format("read_csv({}, header = true, all_varchar = true)", path);
  std::string struct_text;
  for (const auto& c : types) {
    struct_text += fmt::format("{}{}: {}", struct_text.empty() ? "" : ", ", duck::quote_literal(c.name),
                               duck::quote_literal(csv_type(c.kind)));
  }
  return fmt::format("read_csv({}, header = true, auto_detect = true, types = {{{}}})", path, struct_text);
}

// Checks the file has every expected column (of a fitting type, for Parquet).
void check_columns(duck::Connection& con, const fs::path& file, const std::vector<ResultColumnSpec>& columns) {
  const bool csv = is_csv(file);
  auto head = con.query(fmt::format("SELECT * FROM {} LIMIT 0", reader_sql(file, {})),
                        fmt::format("reading the columns of {}", file.string()));
  std::vector<std::string> found;
  std::vector<duck::ColumnType> types;
  for (size_t i = 0; i < head.column_count(); ++i) {
    found.push_back(head.column_name(i));
    types.push_back(head.column_type(i));
  }
  for (const auto& spec : columns) {
    const auto it = std::find(found.begin(), found.end(), spec.name);
    if (it == found.end()) {
      throw DataError(fmt::format("{} has no column \"{}\" (columns found: [{}]); is this a results folder written by "
                                  "ml4t-backtest (run, write_results or Results.to_parquet)?",
                                  file.string(), spec.name, fmt::join(found, ", ")));
    }
    const auto type = types[static_cast<size_t>(it - found.begin())];
    if (!csv && !fits(spec.kind, type)) {
      throw DataError(fmt::format("{}: column \"{}\" is {} but should hold {}; rewrite the file with ml4t-backtest",
                                  file.string(), spec.name, duck::type_name(type), kind_name(spec.kind)));
    }
  }
}

void append_value(ResultColumn& col, const duck::DataChunk& chunk, size_t c, size_t row, const fs::path& file,
                  size_t data_row) {
  const uint64_t* valid = chunk.validity(c);
  const bool ok = duck::DataChunk::is_valid(valid, row);
  switch (col.kind) {
    case ResultColumnKind::kDouble:
      col.doubles.push_back(ok ? chunk.data<double>(c)[row] : std::numeric_limits<double>::quiet_NaN());
      return;
    case ResultColumnKind::kText:
      col.texts.emplace_back(ok ? chunk.string_at(c, row) : std::string_view());
      return;
    default:
      break;
  }
  if (!ok) {
    throw DataError(fmt::format("{}: data row {} has no value in column \"{}\" ({} is required there)", file.string(),
                                data_row, col.name, kind_name(col.kind)));
  }
  if (col.kind == ResultColumnKind::kBool) {
    col.ints.push_back(chunk.data<bool>(c)[row] ? 1 : 0);
  } else if (col.kind == ResultColumnKind::kTimestamp && is_csv(file)) {
    const std::string_view text = chunk.string_at(c, row);
    try {
      col.ints.push_back(Timestamp::parse(text).nanos());
    } catch (const Error& e) {
      throw DataError(fmt::format("{}: line {}, column \"{}\": '{}' is not an ISO-8601 timestamp ({})", file.string(),
                                  data_row + 1, col.name, text, e.what()));
    }
  } else {
    col.ints.push_back(chunk.data<int64_t>(c)[row]);
  }
}

}  // namespace

ResultTable read_result_table(const fs::path& file, const std::vector<ResultColumnSpec>& columns) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw DataError(fmt::format("{}: no such file; a results folder holds summary.json and equity/trades/fills/orders "
                                "as .parquet or .csv",
                                file.string()));
  }
  duck::Database db(duck::DatabaseOptions{"", "", 1});
  duck::Connection con(db);
  check_columns(con, file, columns);
  ResultTable table;
  if (columns.empty()) return table;
  std::string select;
  for (const auto& spec : columns) {
    select += fmt::format("{}{}", select.empty() ? "" : ", ", select_expression(spec, is_csv(file)));
  }
  auto result = con.stream(fmt::format("SELECT {} FROM {}", select, reader_sql(file, columns)),
                           fmt::format("reading {}", file.string()));
  for (const auto& spec : columns) table.columns.push_back(ResultColumn{spec.name, spec.kind, {}, {}, {}});
  while (auto chunk = result.fetch()) {
    for (size_t row = 0; row < chunk.size(); ++row) {
      const size_t data_row = table.rows + row + 1;  // 1-based; a CSV's header is line 1
      for (size_t c = 0; c < table.columns.size(); ++c) append_value(table.columns[c], chunk, c, row, file, data_row);
    }
    table.rows += chunk.size();
  }
  return table;
}

}  // namespace ml4t::backtest
