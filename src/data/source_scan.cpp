#include "data/source_scan.hpp"

#include "data/file_diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::detail {

namespace fs = std::filesystem;

namespace {

bool has_glob(std::string_view path) { return path.find_first_of("*?[") != std::string_view::npos; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string format_of(std::string_view path) {
  const std::string p = lower(path);
  if (ends_with(p, ".parquet") || ends_with(p, ".pq") || ends_with(p, ".parq")) return "parquet";
  if (ends_with(p, ".csv") || ends_with(p, ".csv.gz") || ends_with(p, ".tsv") || ends_with(p, ".txt")) return "csv";
  return "";
}

std::vector<std::string> glob_files(duck::Connection& con, const std::string& pattern) {
  std::vector<std::string> files;
  auto result = con.query(fmt::format("SELECT file FROM glob({}) ORDER BY file", duck::quote_literal(pattern)),
                          fmt::format("listing {}", pattern));
  while (auto chunk = result.fetch()) {
    for (size_t r = 0; r < chunk.size(); ++r) files.emplace_back(chunk.string_at(0, r));
  }
  return files;
}

// The position of `name` in `columns`: exact match first, then case-insensitive (CSV
// headers such as "Close" are common).
std::optional<size_t> find_column(const std::vector<std::string>& columns, std::string_view name) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == name) return i;
  }
  const std::string wanted = lower(name);
  for (size_t i = 0; i < columns.size(); ++i) {
    if (lower(columns[i]) == wanted) return i;
  }
  return std::nullopt;
}

bool is_value_type(duck::ColumnType type) { return duck::is_numeric(type) || type == duck::ColumnType::kBoolean; }

bool is_time_type(duck::ColumnType type) {
  return duck::is_timestamp(type) || type == duck::ColumnType::kDate || type == duck::ColumnType::kVarchar;
}

// A timestamp as a SQL literal of the column's own type, so DuckDB can push the
// comparison into the scan (row-group statistics, partitions).
std::string time_literal(const ResolvedSource& src, Timestamp ts) {
  std::string text = ts.to_string();  // 2024-01-02T09:30:00[.fff]Z
  if (!text.empty() && text.back() == 'Z') text.pop_back();
  std::replace(text.begin(), text.end(), 'T', ' ');
  switch (src.ts_type) {
    case duck::ColumnType::kTimestampTz:
      return fmt::format("CAST('{}+00' AS TIMESTAMPTZ)", text);
    case duck::ColumnType::kTimestampNs:
      return fmt::format("CAST('{}' AS TIMESTAMP_NS)", text);
    case duck::ColumnType::kTimestampMs:
      return fmt::format("CAST('{}' AS TIMESTAMP_MS)", text);
    case duck::ColumnType::kTimestampS:
      return fmt::format("CAST('{}' AS TIMESTAMP_S)", text);
    case duck::ColumnType::kTimestamp:
      return fmt::format("CAST('{}' AS TIMESTAMP)", text);
    default:
      return fmt::format("CAST('{}+00' AS TIMESTAMPTZ)", text);
  }
}

// The timestamp column as the scan selects it (and sorts and filters it).
std::string ts_select(const ResolvedSource& src) {
  const std::string col = duck::quote_identifier(src.ts_column);
  switch (src.ts_type) {
    case duck::ColumnType::kVarchar:
      return fmt::format("CAST({} AS TIMESTAMPTZ)", col);
    case duck::ColumnType::kDate:
      return fmt::format("CAST({} AS TIMESTAMP)", col);
    default:
      return col;
  }
}

std::string reader_call(const ResolvedSource& src, std::string_view extra) {
  return fmt::format("{}{})", src.reader.substr(0, src.reader.size() - 1), extra);
}

}  // namespace

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out;
}

namespace {

// DuckDB's CSV sniffer reads a file whose rows disagree on their number of fields as
// one text column. Reading it again with the delimiter fixed and rejects stored names
// the first bad line.
std::string ragged_csv(duck::Connection& con, const std::string& role, const std::string& list,
                       const std::string& description) {
  const std::string fix =
      "every row needs as many fields as the header (look for a missing or extra comma, or quote fields that "
      "contain commas)";
  try {
    con.execute(fmt::format("SELECT count(*) FROM read_csv({}, header = true, delim = ',', store_rejects = true)", list));
    auto result = con.query(
        "SELECT s.file_path, e.line::BIGINT, e.error_message FROM reject_errors e JOIN reject_scans s "
        "USING (scan_id, file_id) ORDER BY e.line LIMIT 1");
    auto chunk = result.fetch();
    if (chunk && chunk.size() > 0) {
      return fmt::format("{}: {} line {}: {}; {}", role, chunk.string_at(0, 0), chunk.data<int64_t>(1)[0],
                         chunk.string_at(2, 0), fix);
    }
  } catch (const Error&) {
  }
  return fmt::format("{}: cannot split {} into columns; {}", role, description, fix);
}

}  // namespace

std::shared_ptr<duck::Database> shared_database(const std::string& memory_limit, const std::string& temp_directory,
                                                int threads) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, std::string, int>, std::weak_ptr<duck::Database>> live;
  const std::lock_guard lock(mutex);
  auto& slot = live[{memory_limit, temp_directory, threads}];
  if (auto db = slot.lock()) return db;
  duck::DatabaseOptions options;
  options.memory_limit = memory_limit;
  options.temp_directory = temp_directory;
  options.threads = threads;
  auto db = std::make_shared<duck::Database>(options);
  slot = db;
  return db;
}

void prepare_connection(duck::Connection& con) {
  // Naive times are UTC (DESIGN.md); with ICU loaded the session zone would otherwise
  // be the machine's.
  con.execute("SET TimeZone = 'UTC'", "setting the session time zone");
}

namespace {

// (year, month) of a hive file path; month 0 when the path has no month= part.
std::optional<std::pair<int, int>> partition_of(const std::string& file) {
  std::optional<int> year;
  int month = 0;
  for (const auto& part : fs::path(file).parent_path()) {
    const std::string s = part.string();
    try {
      if (s.rfind("year=", 0) == 0) year = std::stoi(s.substr(5));
      if (s.rfind("month=", 0) == 0) month = std::stoi(s.substr(6));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (!year) return std::nullopt;
  return std::pair{*year, month};
}

// Sort key of a hive file path: the partition values, numerically where they are numbers.
std::vector<std::pair<int64_t, std::string>> partition_order(const std::string& file) {
  std::vector<std::pair<int64_t, std::string>> key;
  for (const auto& part : fs::path(file)) {
    const std::string s = part.string();
    const auto eq = s.find('=');
    if (eq == std::string::npos) continue;
    const std::string value = s.substr(eq + 1);
    int64_t number = 0;
    bool numeric = !value.empty() && value.size() < 18;
    for (char c : value) {
      if (c < '0' || c > '9') {
        numeric = false;
        break;
      }
      number = number * 10 + (c - '0');
    }
    key.emplace_back(numeric ? number : INT64_MAX, numeric ? "" : value);
  }
  key.emplace_back(0, file);
  return key;
}

std::pair<int, int> year_month(Timestamp t) {
  const std::string d = t.date_string();
  return {std::stoi(d.substr(0, 4)), std::stoi(d.substr(5, 2))};
}

// Keep the files whose partition can hold rows in [start, end].
std::vector<std::string> prune_files(const std::vector<std::string>& files, const ScanFilter& filter) {
  std::vector<std::string> kept;
  for (const auto& f : files) {
    auto p = partition_of(f);
    bool keep = true;
    if (p) {
      const auto [y, m] = *p;
      if (filter.start) {
        const auto [sy, sm] = year_month(*filter.start);
        keep &= y > sy || (y == sy && (m == 0 || m >= sm));
      }
      if (filter.end) {
        const auto [ey, em] = year_month(*filter.end);
        keep &= y < ey || (y == ey && (m == 0 || m <= em));
      }
    }
    if (keep) kept.push_back(f);
  }
  // Nothing in range: keep one file so the query still binds (the WHERE yields no rows).
  if (kept.empty() && !files.empty()) kept.push_back(files.front());
  return kept;
}

}  // namespace

ResolvedSource resolve_source(duck::Connection& con, const DataSource& source, const SourceRequirements& req,
                              const ScanFilter* prune) {
  ResolvedSource src;
  src.role = req.role;
  src.description = join_names(source.paths);
  if (source.paths.empty()) {
    throw ConfigError(fmt::format("{}: no path given; set a file, a list of files, a glob or a folder", req.role));
  }
  std::string format = lower(source.format);
  if (!format.empty() && format != "parquet" && format != "csv") {
    throw ConfigError(fmt::format("{}: unknown format \"{}\"; use parquet or csv", req.role, source.format));
  }
  std::vector<std::string> patterns;
  std::string first_file;
  for (const auto& path : source.paths) {
    if (has_glob(path)) {
      auto files = glob_files(con, path);
      if (files.empty()) {
        throw DataError(
            fmt::format("{}: no files match the glob \"{}\"; check the path and the pattern", req.role, path));
      }
      if (first_file.empty()) first_file = files.front();
      src.files.insert(src.files.end(), files.begin(), files.end());
      patterns.push_back(path);
    } else if (fs::is_directory(path)) {
      // A folder is a (possibly hive-partitioned) dataset: every data file below it.
      std::string ext = format.empty() ? "parquet" : format;
      std::string pattern = (fs::path(path) / "**" / ("*." + ext)).string();
      auto files = glob_files(con, pattern);
      if (files.empty() && format.empty()) {
        pattern = (fs::path(path) / "**" / "*.csv").string();
        files = glob_files(con, pattern);
      }
      if (files.empty()) {
        throw DataError(fmt::format("{}: folder \"{}\" holds no .{} files; point to the dataset's root folder",
                                    req.role, path, ext));
      }
      if (first_file.empty()) first_file = files.front();
      src.files.insert(src.files.end(), files.begin(), files.end());
      src.hive = true;
      patterns.push_back(pattern);
    } else {
      if (!fs::exists(path)) {
        check_path_reachable(req.role, path);  // a symlink loop or a permission is not "not found"
        throw DataError(fmt::format("{}: file \"{}\" not found; check the path (relative paths start at {})", req.role,
                                    path, fs::current_path().string()));
      }
      if (first_file.empty()) first_file = path;
      src.files.push_back(path);
      patterns.push_back(path);
    }
  }
  if (format.empty()) format = format_of(first_file);
  if (format.empty()) {
    throw ConfigError(fmt::format("{}: cannot tell the format of \"{}\" from its name; set format: parquet or csv",
                                  req.role, first_file));
  }
  src.csv = format == "csv";
  for (const auto& file : src.files) check_input_file(req.role, file, src.csv);  // before DuckDB misreads it
  if (src.hive) {
    for (const auto& part : fs::path(first_file).parent_path()) {
      const std::string s = part.string();
      if (auto eq = s.find('='); eq != std::string::npos && eq > 0) src.partition_keys.push_back(s.substr(0, eq));
    }
    if (src.partition_keys.empty()) src.hive = false;
  }
  if (src.hive) {
    // Partition folders in time order (month=10 after month=9, not after month=1), so a
    // dataset sorted within its files is sorted as a whole and needs no ORDER BY.
    std::stable_sort(src.files.begin(), src.files.end(), [](const std::string& a, const std::string& b) {
      return partition_order(a) < partition_order(b);
    });
    // DuckDB opens the first file of a list to bind the query, whatever the filter, so
    // partitions outside the range are pruned here, from the paths.
    if (prune && (prune->start || prune->end)) src.files = prune_files(src.files, *prune);
    patterns = src.files;
  }
  std::string list = "[";
  for (size_t i = 0; i < patterns.size(); ++i) list += (i ? ", " : "") + duck::quote_literal(patterns[i]);
  list += "]";
  if (src.csv) {
    std::string formats;
    if (!source.timestamp_format.empty()) {
      const std::string f = duck::quote_literal(source.timestamp_format);
      formats = fmt::format(", timestampformat = {0}, dateformat = {0}", f);
    }
    src.reader_options = fmt::format(", header = true, hive_partitioning = {}{}", src.hive, formats);
    src.reader = fmt::format("read_csv({}{})", list, src.reader_options);
  } else {
    // By name: partitions whose column sets differ keep every column (checked per file below).
    src.reader_options =
        fmt::format(", hive_partitioning = {}{}", src.hive, src.files.size() > 1 ? ", union_by_name = true" : "");
    src.reader = fmt::format("read_parquet({}{})", list, src.reader_options);
  }

  // Schema only: LIMIT 0 reads the footer (Parquet) or sniffs a sample (CSV).
  const std::string what = src.csv ? "CSV" : "Parquet";
  std::vector<duck::ColumnType> types;
  std::vector<std::string> type_names;
  try {
    auto result = con.query(fmt::format("SELECT * FROM {} LIMIT 0", src.reader));
    for (size_t c = 0; c < result.column_count(); ++c) {
      src.all_columns.push_back(result.column_name(c));
      types.push_back(result.column_type(c));
      type_names.push_back(result.column_type_name(c));
    }
  } catch (const DataError& e) {
    throw DataError(
        fmt::format("{}: cannot read {} as {}: {}. Check that it is a complete {} file (not truncated, "
                    "not another format), or set format",
                    req.role, src.description, what, e.what(), what));
  }
  if (src.csv && src.all_columns.size() == 1 && src.all_columns[0].find(',') != std::string::npos) {
    throw DataError(ragged_csv(con, req.role, list, src.description));
  }
  auto found = [&] { return fmt::format("columns found: [{}]", join_names(src.all_columns)); };
  auto wrong_type = [&](size_t c, std::string_view expected) {
    return DataError(
        fmt::format("{}: column \"{}\" of {} has type {}; expected {}. Fix the file or map another "
                    "column",
                    req.role, src.all_columns[c], src.description, type_names[c], expected));
  };

  auto ts = find_column(src.all_columns, source.timestamp_column);
  if (!ts) {
    throw DataError(fmt::format("{}: {} has no timestamp column \"{}\" ({}); set timestamp_column to the right name",
                                req.role, src.description, source.timestamp_column, found()));
  }
  if (!is_time_type(types[*ts])) throw wrong_type(*ts, "a timestamp, date or ISO-8601 text");
  src.ts_column = src.all_columns[*ts];
  src.ts_type = types[*ts];
  if (src.csv && source.timestamp_format.empty()) {
    check_unambiguous_dates(con, req.role, src.files.front(), src.ts_column);  // 01/12/2021: Jan 12 or Dec 1?
  }

  std::optional<size_t> asset;
  if (!source.asset_column.empty()) asset = find_column(src.all_columns, source.asset_column);
  if (!asset && req.asset_required) {
    throw DataError(fmt::format("{}: {} has no asset column \"{}\" ({}); set asset_column to the right name", req.role,
                                src.description, source.asset_column, found()));
  }
  if (asset) {
    if (types[*asset] != duck::ColumnType::kVarchar && !duck::is_numeric(types[*asset])) {
      throw wrong_type(*asset, "text (the asset symbol)");
    }
    src.asset_column = src.all_columns[*asset];
  }

  for (const auto& [from, to] : source.rename) {
    if (!find_column(src.all_columns, from)) {
      throw ConfigError(fmt::format("{}: rename maps column \"{}\" to \"{}\" but {} has no such column ({})", req.role,
                                    from, to, src.description, found()));
    }
  }
  // Field name of each file column after the mapping.
  std::vector<std::string> field_of(src.all_columns.size());
  for (size_t c = 0; c < src.all_columns.size(); ++c) {
    field_of[c] = src.all_columns[c];
    for (const auto& [from, to] : source.rename) {
      if (src.all_columns[c] == from || lower(src.all_columns[c]) == lower(from)) field_of[c] = to;
    }
  }
  auto take = [&](size_t c) {
    if (!is_value_type(types[c])) throw wrong_type(c, "a number");
    src.value_columns.push_back(src.all_columns[c]);
    src.value_types.push_back(types[c]);
    src.field_names.push_back(field_of[c]);
  };
  auto is_key = [&](size_t c) {
    if (c == *ts || (asset && c == *asset)) return true;
    return std::find(src.partition_keys.begin(), src.partition_keys.end(), src.all_columns[c]) !=
           src.partition_keys.end();
  };

  if (req.values_are_required_only) {
    auto want = [&](const std::string& field, bool required) {
      auto c = find_column(field_of, field);
      src.present.push_back(c.has_value());
      if (!c) {
        if (!required) return;
        throw DataError(fmt::format("{}: {} has no \"{}\" column ({}); rename the right column to \"{}\"", req.role,
                                    src.description, field, found(), field));
      }
      take(*c);
      src.field_names.back() = field;
    };
    for (const auto& f : req.required_fields) want(f, true);
    for (const auto& f : req.optional_fields) want(f, false);
  } else if (!source.columns.empty()) {
    for (const auto& name : source.columns) {
      auto c = find_column(src.all_columns, name);
      if (!c) {
        throw DataError(fmt::format("{}: {} has no column \"{}\" ({}); fix the column list", req.role, src.description,
                                    name, found()));
      }
      take(*c);
    }
  } else {
    for (size_t c = 0; c < src.all_columns.size(); ++c) {
      if (!is_key(c)) take(c);
    }
  }
  if (!src.csv) {
    std::vector<std::string> needed = src.value_columns;
    needed.push_back(src.ts_column);
    if (!src.asset_column.empty()) needed.push_back(src.asset_column);
    check_columns_in_every_file(con, req.role, src.files, needed);
  }
  return src;
}

std::string ts_ns_expression(const ResolvedSource& src) { return fmt::format("epoch_ns({})", ts_select(src)); }

std::string where_clause(const ResolvedSource& src, const ScanFilter& filter, bool filter_assets) {
  std::vector<std::string> terms;
  const std::string ts = ts_select(src);
  if (filter.start) terms.push_back(fmt::format("{} >= {}", ts, time_literal(src, *filter.start)));
  if (filter.end) terms.push_back(fmt::format("{} <= {}", ts, time_literal(src, *filter.end)));
  if (filter.after) terms.push_back(fmt::format("{} > {}", ts, time_literal(src, *filter.after)));
  // Hive partitions by year (and month) are pruned only by filters on those keys.
  auto has_key = [&](std::string_view key) {
    return std::find(src.partition_keys.begin(), src.partition_keys.end(), key) != src.partition_keys.end();
  };
  if (src.hive && has_key("year")) {
    const auto year_of = [](Timestamp t) { return std::stoi(t.date_string().substr(0, 4)); };
    if (filter.start) terms.push_back(fmt::format("CAST(\"year\" AS INTEGER) >= {}", year_of(*filter.start)));
    if (filter.end) terms.push_back(fmt::format("CAST(\"year\" AS INTEGER) <= {}", year_of(*filter.end)));
    if (has_key("month")) {
      const auto ym = [](Timestamp t) {
        const std::string d = t.date_string();
        return std::stoi(d.substr(0, 4)) * 12 + std::stoi(d.substr(5, 2));
      };
      const std::string key = "(CAST(\"year\" AS INTEGER) * 12 + CAST(\"month\" AS INTEGER))";
      if (filter.start) terms.push_back(fmt::format("{} >= {}", key, ym(*filter.start)));
      if (filter.end) terms.push_back(fmt::format("{} <= {}", key, ym(*filter.end)));
    }
  }
  if (filter_assets && !filter.assets.empty() && !src.asset_column.empty()) {
    std::string list;
    for (size_t i = 0; i < filter.assets.size(); ++i) list += (i ? ", " : "") + duck::quote_literal(filter.assets[i]);
    terms.push_back(
        fmt::format("(CAST({0} AS VARCHAR) IN ({1}) OR {0} IS NULL)", duck::quote_identifier(src.asset_column), list));
  }
  if (terms.empty()) return "";
  std::string out = " WHERE ";
  for (size_t i = 0; i < terms.size(); ++i) out += (i ? " AND " : "") + terms[i];
  return out;
}

std::string scan_sql(const ResolvedSource& src, const ScanFilter& filter, bool order_by, bool filter_assets,
                     bool with_origin) {
  std::string cols = ts_select(src);
  if (src.asset_column.empty()) {
    cols += ", NULL::VARCHAR";
  } else {
    cols += fmt::format(", CAST({} AS VARCHAR)", duck::quote_identifier(src.asset_column));
  }
  for (const auto& c : src.value_columns) cols += fmt::format(", CAST({} AS DOUBLE)", duck::quote_identifier(c));
  std::string reader = src.reader;
  if (with_origin) {
    // The files listed one by one, so that DuckDB's file_index is the index in src.files
    // (a number per row is cheap; a file name per row is a string copy per row).
    std::string files = "[";
    for (size_t i = 0; i < src.files.size(); ++i) files += (i ? ", " : "") + duck::quote_literal(src.files[i]);
    files += "]";
    cols += src.csv ? ", CAST(file_index AS BIGINT), -1::BIGINT" : ", CAST(file_index AS BIGINT), file_row_number";
    reader = fmt::format("{}({}{}{})", src.csv ? "read_csv" : "read_parquet", files, src.reader_options,
                         src.csv ? "" : ", file_row_number = true");
  }
  std::string sql = fmt::format("SELECT {} FROM {}{}", cols, reader, where_clause(src, filter, filter_assets));
  if (order_by) {
    // Every column is a sort key so that rows equal in (timestamp, asset) come out in
    // the same order on every run (DuckDB's sort is not stable).
    sql += " ORDER BY 1, 2";
    const size_t n = src.value_columns.size() + (with_origin ? 2 : 0);
    for (size_t i = 0; i < n; ++i) sql += fmt::format(", {}", i + 3);
  }
  return sql;
}

std::string timestamp_sql(const ResolvedSource& src, const ScanFilter& filter, bool filter_assets) {
  return fmt::format("SELECT {} FROM {}{}", ts_select(src), src.reader, where_clause(src, filter, filter_assets));
}

namespace {

// SQL: true when the text `t` ends in an explicit zone. The zone follows the time (after
// a ':MM' group, so the '-02' of a bare date does not count as an offset).
const std::string kZonedText =
    R"(regexp_matches(t, ':\d{2}(\.\d+)?\s*([Zz]|UTC|GMT|[+-]\d{2}(:?\d{2})?|[A-Za-z_]+/[A-Za-z_/+-]+)$'))";

}  // namespace

bool timestamps_zoned(duck::Connection& con, const ResolvedSource& src) {
  if (src.ts_type == duck::ColumnType::kTimestampTz) return true;
  if (src.ts_type != duck::ColumnType::kVarchar) return false;
  auto result = con.query(
      fmt::format("SELECT {} FROM (SELECT trim(CAST({} AS VARCHAR)) AS t FROM {}) WHERE t IS NOT NULL LIMIT 1",
                  kZonedText, duck::quote_identifier(src.ts_column), src.reader),
      fmt::format("reading the time zone of {} {}", src.role, src.description));
  auto chunk = result.fetch();
  return chunk && chunk.size() > 0 && chunk.data<bool>(0)[0];
}

std::string mixed_time_zones(duck::Connection& con, const ResolvedSource& src) {
  // CSV is read as text here: DuckDB's sniffer may type a mixed column as TIMESTAMPTZ,
  // silently taking the naive rows as UTC.
  if (!src.csv && src.ts_type != duck::ColumnType::kVarchar) return "";
  const std::string& zoned = kZonedText;
  const std::string asset =
      src.asset_column.empty() ? "NULL::VARCHAR" : fmt::format("CAST({} AS VARCHAR)", duck::quote_identifier(src.asset_column));
  auto result = con.query(
      fmt::format("SELECT min(t) FILTER (WHERE z), arg_min(a, t) FILTER (WHERE z), arg_min(f, t) FILTER (WHERE z), "
                  "min(t) FILTER (WHERE NOT z), arg_min(a, t) FILTER (WHERE NOT z), arg_min(f, t) FILTER (WHERE NOT z) "
                  "FROM (SELECT t, {} AS z, a, f FROM (SELECT trim(CAST({} AS VARCHAR)) AS t, {} AS a, filename AS f "
                  "FROM {}) WHERE t IS NOT NULL)",
                  zoned, duck::quote_identifier(src.ts_column), asset, reader_call(src, src.csv ? ", filename = true, all_varchar = true" : ", filename = true")),
      fmt::format("checking the time zones of {} {}", src.role, src.description));
  auto chunk = result.fetch();
  if (!chunk || chunk.size() == 0) return "";
  for (const size_t c : {size_t{0}, size_t{3}}) {
    if (!duck::DataChunk::is_valid(chunk.validity(c), 0)) return "";  // all zoned, or none
  }
  auto row = [&](size_t c) {
    const bool has_asset = duck::DataChunk::is_valid(chunk.validity(c + 1), 0);
    return fmt::format("\"{}\"{} in {}", chunk.string_at(c, 0),
                       has_asset ? fmt::format(" (asset {})", chunk.string_at(c + 1, 0)) : "", chunk.string_at(c + 2, 0));
  };
  return fmt::format(
      "{}: column \"{}\" mixes timestamps with a time zone, e.g. {}, and without one, e.g. {}; naive times would be "
      "read as UTC, which is wrong if they were written in local time. Write every timestamp with its UTC offset "
      "(or all in UTC), or set mixed_time_zones: naive_is_utc",
      src.role, src.ts_column, row(0), row(3));
}

std::string timestamp_out_of_range(std::string_view who, std::string_view column, std::string_view where) {
  return fmt::format("{}: a timestamp in column \"{}\" of {} is outside the range nanosecond timestamps can hold "
                     "(1677-09-21 .. 2262-04-11); fix the date (placeholders such as 9999-12-31 are a common cause) "
                     "or remove the row",
                     who, column, where);
}

std::string locate_row(duck::Connection& con, const ResolvedSource& src, Timestamp ts, const std::string& asset) {
  try {
    const std::string extra = src.csv ? ", filename = true" : ", filename = true, file_row_number = true";
    std::string sql = fmt::format("SELECT filename, {} FROM {} WHERE {} = {}", src.csv ? "-1::BIGINT" : "file_row_number",
                                  reader_call(src, extra), ts_ns_expression(src), ts.nanos());
    if (!src.asset_column.empty()) {
      sql += fmt::format(" AND CAST({} AS VARCHAR) = {}", duck::quote_identifier(src.asset_column),
                         duck::quote_literal(asset));
    }
    sql += " LIMIT 1";
    auto result = con.query(sql);
    auto chunk = result.fetch();
    if (!chunk || chunk.size() == 0) return "";
    const std::string file(chunk.string_at(0, 0));
    const int64_t row = chunk.data<int64_t>(1)[0];
    return row >= 0 ? fmt::format("{} row {}", file, row) : file;
  } catch (const Error&) {
    return "";
  }
}

}  // namespace ml4t::backtest::detail
