#include "ml4t/backtest/data/optimize.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <fstream>
#include <system_error>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "data/optimize_inputs.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

// ------------------------------------------------------------------ input resolution

namespace detail {

namespace {

bool has_glob_chars(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

bool is_parquet_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".parquet" || ext == ".pq" || ext == ".parq") return true;
  if (ext == ".csv" || ext == ".tsv" || ext == ".txt" || ext == ".gz") return false;
  // Unknown extension: Parquet files start with the magic "PAR1".
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> magic{};
  in.read(magic.data(), magic.size());
  return in && std::string_view(magic.data(), magic.size()) == "PAR1";
}

// Numbers compare by value, so hive partitions month=2 come before month=10.
bool natural_less(const fs::path& a, const fs::path& b) {
  const std::string x = a.string(), y = b.string();
  size_t i = 0, j = 0;
  while (i < x.size() && j < y.size()) {
    if (std::isdigit(static_cast<unsigned char>(x[i])) && std::isdigit(static_cast<unsigned char>(y[j]))) {
      size_t ie = i, je = j;
      while (ie < x.size() && std::isdigit(static_cast<unsigned char>(x[ie]))) ++ie;
      while (je < y.size() && std::isdigit(static_cast<unsigned char>(y[je]))) ++je;
      const std::string_view dx = std::string_view(x).substr(i, ie - i), dy = std::string_view(y).substr(j, je - j);
      const size_t lx = dx.find_first_not_of('0'), ly = dy.find_first_not_of('0');
      const std::string_view nx = lx == std::string_view::npos ? "" : dx.substr(lx);
      const std::string_view ny = ly == std::string_view::npos ? "" : dy.substr(ly);
      if (nx.size() != ny.size()) return nx.size() < ny.size();
      if (nx != ny) return nx < ny;
      i = ie;
      j = je;
    } else {
      if (x[i] != y[j]) return x[i] < y[j];
      ++i;
      ++j;
    }
  }
  if ((x.size() - i) != (y.size() - j)) return (x.size() - i) < (y.size() - j);
  return x < y;
}

std::string path_list(const std::vector<fs::path>& paths) {
  std::string out = "[";
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i > 0) out += ", ";
    out += duck::quote_literal(paths[i].string());
  }
  return out + "]";
}

}  // namespace

std::vector<fs::path> InputFiles::all() const {
  std::vector<fs::path> out = parquet;
  out.insert(out.end(), csv.begin(), csv.end());
  return out;
}

std::string InputFiles::describe() const {
  const auto files = all();
  std::string out;
  for (size_t i = 0; i < files.size() && i < 3; ++i) out += (i > 0 ? ", " : "") + files[i].string();
  if (files.size() > 3) out += fmt::format(" and {} more", files.size() - 3);
  return out;
}

InputFiles resolve_inputs(duck::Connection& con, const std::vector<std::string>& patterns) {
  if (patterns.empty()) throw ConfigError("no input given; pass one or more Parquet/CSV files, globs or directories");
  std::vector<fs::path> files;
  auto glob = [&](const std::string& pattern) {
    std::vector<fs::path> found;
    auto result = con.query(fmt::format("SELECT file FROM glob({}) ORDER BY file", duck::quote_literal(pattern)),
                            fmt::format("expanding the glob {}", pattern));
    for (auto chunk = result.fetch(); chunk; chunk = result.fetch()) {
      for (size_t r = 0; r < chunk.size(); ++r) found.emplace_back(std::string(chunk.string_at(0, r)));
    }
    return found;
  };
  for (const auto& pattern : patterns) {
    std::error_code ec;
    if (fs::is_directory(pattern, ec)) {
      // A dataset directory (e.g. hive partitions year=2024/month=1/...).
      auto found = glob((fs::path(pattern) / "**" / "*.parquet").string());
      auto csv = glob((fs::path(pattern) / "**" / "*.csv").string());
      found.insert(found.end(), csv.begin(), csv.end());
      if (found.empty()) {
        throw DataError(fmt::format("directory {} holds no .parquet or .csv file; point to the data files or the "
                                    "dataset's top directory",
                                    pattern));
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (has_glob_chars(pattern)) {
      auto found = glob(pattern);
      if (found.empty()) {
        throw DataError(fmt::format("the glob {} matches no file; check the pattern and the working directory",
                                    pattern));
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (!fs::is_regular_file(pattern, ec)) {
      throw DataError(fmt::format("input file {} not found; check the path (relative paths start at the working "
                                  "directory {})",
                                  pattern, fs::current_path().string()));
    } else {
      files.emplace_back(pattern);
    }
  }
  InputFiles out;
  for (const auto& file : files) {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (!ec) out.bytes += size;
    (is_parquet_file(file) ? out.parquet : out.csv).push_back(file);
  }
  for (auto* list : {&out.parquet, &out.csv}) {
    std::sort(list->begin(), list->end(), natural_less);
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  return out;
}

std::string read_sql(const InputFiles& files, bool with_filename) {
  const char* filename = with_filename ? ", filename=true" : "";
  std::string sql;
  if (!files.parquet.empty()) {
    sql = fmt::format("SELECT * FROM read_parquet({}, union_by_name=true{})", path_list(files.parquet), filename);
  }
  if (!files.csv.empty()) {
    if (!sql.empty()) sql += " UNION ALL BY NAME ";
    sql += fmt::format("SELECT * FROM read_csv({}, union_by_name=true{})", path_list(files.csv), filename);
  }
  return sql;
}

std::vector<duck::ColumnSpec> describe_columns(duck::Connection& con, const std::string& sql,
                                               const std::string& context) {
  auto result = con.query(fmt::format("SELECT * FROM ({}) LIMIT 0", sql), context);
  std::vector<duck::ColumnSpec> columns;
  for (size_t c = 0; c < result.column_count(); ++c) {
    columns.push_back({result.column_name(c), result.column_type(c)});
  }
  return columns;
}

const duck::ColumnSpec& require_column(const std::vector<duck::ColumnSpec>& columns, const std::string& column,
                                       const InputFiles& files, std::string_view role, std::string_view option) {
  for (const auto& c : columns) {
    if (c.name == column) return c;
  }
  std::string found;
  for (const auto& c : columns) found += (found.empty() ? "" : ", ") + c.name;
  throw DataError(fmt::format("{} column '{}' not found in {}; columns found: {}; name the right column with {}", role,
                              column, files.describe(), found, option));
}

}  // namespace detail

// ------------------------------------------------------------------ options

Compression parse_compression(std::string_view text) {
  if (text == "zstd") return Compression::kZstd;
  if (text == "snappy") return Compression::kSnappy;
  if (text == "gzip") return Compression::kGzip;
  if (text == "lz4") return Compression::kLz4;
  if (text == "uncompressed" || text == "none") return Compression::kUncompressed;
  throw ConfigError(fmt::format("unknown compression '{}'; use zstd, snappy, gzip, lz4 or uncompressed", text));
}

std::string_view to_string(Compression compression) {
  switch (compression) {
    case Compression::kZstd: return "zstd";
    case Compression::kSnappy: return "snappy";
    case Compression::kGzip: return "gzip";
    case Compression::kLz4: return "lz4";
    case Compression::kUncompressed: return "uncompressed";
  }
  return "?";
}

PartitionBy parse_partition_by(std::string_view text) {
  if (text == "none") return PartitionBy::kNone;
  if (text == "year") return PartitionBy::kYear;
  if (text == "month") return PartitionBy::kMonth;
  throw ConfigError(fmt::format("unknown partitioning '{}'; use none, year or month", text));
}

std::string_view to_string(PartitionBy partition_by) {
  switch (partition_by) {
    case PartitionBy::kNone: return "none";
    case PartitionBy::kYear: return "year";
    case PartitionBy::kMonth: return "month";
  }
  return "?";
}

std::string hive_partition_filter(PartitionBy partition_by, Timestamp begin, Timestamp end) {
  if (partition_by == PartitionBy::kNone) return {};
  // Civil year/month of a range end in UTC, from its date string (YYYY-MM-DD).
  auto key = [partition_by](Timestamp ts) {
    const std::string date = ts.date_string();
    const int year = std::stoi(date.substr(0, date.size() - 6));
    const int month = std::stoi(date.substr(date.size() - 5, 2));
    return partition_by == PartitionBy::kYear ? year : year * 100 + month;
  };
  const std::string column = partition_by == PartitionBy::kYear ? "\"year\"" : "\"year\" * 100 + \"month\"";
  // Timestamp::min()/max() stand for an open end of the range.
  const bool open_begin = begin == Timestamp::min(), open_end = end == Timestamp::max();
  if (open_begin && open_end) return {};
  if (open_begin) return fmt::format("({} <= {})", column, key(end));
  if (open_end) return fmt::format("({} >= {})", column, key(begin));
  return fmt::format("({} BETWEEN {} AND {})", column, key(begin), key(end));
}

// ------------------------------------------------------------------ writer

namespace {

std::string compression_sql(const OptimizeOptions& options) {
  switch (options.compression) {
    case Compression::kZstd: return "zstd";
    case Compression::kSnappy: return "snappy";
    case Compression::kGzip: return "gzip";
    case Compression::kLz4: return "lz4_raw";
    case Compression::kUncompressed: return "uncompressed";
  }
  return "zstd";
}

void check_options(const OptimizeOptions& options) {
  if (options.level) {
    if (options.compression != Compression::kZstd) {
      throw ConfigError(fmt::format("a compression level applies only to zstd, not {}; drop --level or use "
                                    "--compression zstd",
                                    to_string(options.compression)));
    }
    if (*options.level < 1 || *options.level > 22) {
      throw ConfigError(fmt::format("zstd level {} is out of range; use 1 (fastest) to 22 (smallest)", *options.level));
    }
  }
  if (options.row_group_size == 0) throw ConfigError("row group size 0 is not valid; use a positive number of rows");
  if (options.timestamp_column.empty()) throw ConfigError("the timestamp column name is empty; pass its name");
}

std::vector<fs::path> list_outputs(const fs::path& output) {
  std::vector<fs::path> out;
  if (fs::is_directory(output)) {
    for (const auto& entry : fs::recursive_directory_iterator(output)) {
      if (entry.is_regular_file()) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
  } else if (fs::exists(output)) {
    out.push_back(output);
  }
  return out;
}

}  // namespace

OptimizeSummary write_optimized_parquet(const std::vector<std::string>& inputs, const fs::path& output,
                                        const OptimizeOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  check_options(options);
  if (output.empty()) throw ConfigError("no output path given; pass --out PATH");
  std::error_code ec;
  if (fs::exists(output, ec) && !options.overwrite) {
    throw OutputError(fmt::format("output {} already exists; remove it or pass --overwrite to replace it",
                                  output.string()));
  }

  duck::Database db(duck::DatabaseOptions{options.memory_limit, options.temp_directory, 0});
  duck::Connection con(db);
  // year()/month() of a TIMESTAMPTZ follow the session time zone: partitions are UTC.
  con.execute("SET TimeZone = 'UTC'", "setting the time zone to UTC");

  OptimizeSummary summary;
  const auto files = detail::resolve_inputs(con, inputs);
  summary.inputs = files.all();
  summary.input_bytes = files.bytes;
  const std::string source = detail::read_sql(files);
  const auto columns =
      detail::describe_columns(con, source, fmt::format("reading the schema of {}", files.describe()));

  const auto& ts = detail::require_column(columns, options.timestamp_column, files, "timestamp",
                                          "--timestamp-column (OptimizeOptions::timestamp_column)");
  if (!duck::is_timestamp(ts.type)) {
    throw DataError(fmt::format("timestamp column '{}' in {} has type {}, expected TIMESTAMP, TIMESTAMPTZ or DATE; "
                                "convert it, or name the right column with --timestamp-column",
                                ts.name, files.describe(), duck::type_name(ts.type)));
  }
  std::string order_by = duck::quote_identifier(ts.name);
  if (!options.asset_column.empty()) {
    const auto& asset = detail::require_column(
        columns, options.asset_column, files, "asset",
        "--asset-column (OptimizeOptions::asset_column; an empty name for market-wide data without assets)");
    order_by += ", " + duck::quote_identifier(asset.name);
  }
  // Input that is itself hive-partitioned brings its own year/month keys: they are
  // recomputed from the timestamp. Any other column named like a partition key clashes.
  std::vector<std::string> exclude;
  if (options.partition_by != PartitionBy::kNone) {
    for (const std::string key : {"year", "month"}) {
      for (const auto& c : columns) {
        if (c.name != key) continue;
        const auto all = files.all();
        const bool hive_key = std::any_of(all.begin(), all.end(), [&](const fs::path& file) {
          return std::any_of(file.begin(), file.end(),
                             [&](const fs::path& part) { return part.string().rfind(key + "=", 0) == 0; });
        });
        if (hive_key) {
          exclude.push_back(duck::quote_identifier(key));
        } else if (key == "year" || options.partition_by == PartitionBy::kMonth) {
          throw DataError(fmt::format("{} already has a column '{}', which the {} partitioning would replace; rename "
                                      "or drop it, or use --partition-by none",
                                      files.describe(), key, to_string(options.partition_by)));
        }
      }
    }
  }

  // Categorical columns become ENUMs: Parquet then always stores them as a dictionary
  // of the distinct strings plus small indices, whatever their cardinality.
  std::string replace;
  for (size_t i = 0; i < options.categorical.size(); ++i) {
    const auto& column = detail::require_column(columns, options.categorical[i], files, "categorical",
                                                "--categorical (OptimizeOptions::categorical)");
    if (column.type != duck::ColumnType::kVarchar) {
      throw DataError(fmt::format("categorical column '{}' in {} has type {}; only VARCHAR (string) columns can be "
                                  "dictionary-encoded, drop it from --categorical",
                                  column.name, files.describe(), duck::type_name(column.type)));
    }
    const std::string type_name = fmt::format("ml4t_categorical_{}", i);
    const std::string quoted = duck::quote_identifier(column.name);
    con.execute(fmt::format("CREATE TYPE {} AS ENUM (SELECT DISTINCT {} FROM ({}) WHERE {} IS NOT NULL ORDER BY 1)",
                            type_name, quoted, source, quoted),
                fmt::format("collecting the values of categorical column '{}'", column.name));
    replace += fmt::format("{}CAST({} AS {}) AS {}", replace.empty() ? "" : ", ", quoted, type_name, quoted);
  }

  std::string select = "SELECT *";
  for (size_t i = 0; i < exclude.size(); ++i) select += (i == 0 ? " EXCLUDE (" : ", ") + exclude[i];
  if (!exclude.empty()) select += ")";
  if (!replace.empty()) select += fmt::format(" REPLACE ({})", replace);
  std::string copy_options = fmt::format("FORMAT parquet, COMPRESSION {}, ROW_GROUP_SIZE {}", compression_sql(options),
                                         options.row_group_size);
  if (options.level) copy_options += fmt::format(", COMPRESSION_LEVEL {}", *options.level);
  const std::string quoted_ts = duck::quote_identifier(ts.name);
  const std::string writing = fmt::format("writing {} from {}", output.string(), files.describe());

  // A row without a timestamp has no place in time order (nor in a partition).
  {
    auto result = con.query(fmt::format("SELECT count(*) FROM ({}) WHERE {} IS NULL", source, quoted_ts),
                            fmt::format("counting null timestamps in {}", files.describe()));
    const auto chunk = result.fetch();
    const int64_t nulls = chunk && chunk.size() > 0 ? chunk.data<int64_t>(0)[0] : 0;
    if (nulls > 0) {
      throw DataError(fmt::format("timestamp column '{}' in {} has {} null value(s); every row needs a timestamp: "
                                  "drop or fill those rows",
                                  ts.name, files.describe(), nulls));
    }
  }

  // Write next to the output, then rename: readers never see a half-written dataset.
  const fs::path parent = output.has_parent_path() ? output.parent_path() : fs::path(".");
  fs::create_directories(parent, ec);
  const fs::path temp = parent / fmt::format(".{}.tmp-{}", output.filename().string(), ::getpid());
  const fs::path sorted = parent / fmt::format(".{}.sorted-{}.parquet", output.filename().string(), ::getpid());
  auto copy = [&](const std::string& sql) {
    auto result = con.query(sql, writing);
    const auto chunk = result.fetch();
    return chunk && chunk.size() > 0 ? static_cast<uint64_t>(chunk.data<int64_t>(0)[0]) : 0;
  };
  fs::remove_all(temp, ec);
  try {
    if (options.partition_by == PartitionBy::kNone) {
      summary.rows = copy(fmt::format("COPY ({} FROM ({}) ORDER BY {}) TO {} ({})", select, source, order_by,
                                      duck::quote_literal(temp.string()), copy_options));
    } else {
      // DuckDB's PARTITION_BY writer does not keep the sort order inside a partition's
      // file, so: sort once into a scratch file, then write each partition from a time
      // range of it (row-group statistics make each range read only its own rows).
      copy(fmt::format("COPY (SELECT * FROM ({}) ORDER BY {}) TO {} (FORMAT parquet, COMPRESSION zstd, "
                       "COMPRESSION_LEVEL 1)",
                       source, order_by, duck::quote_literal(sorted.string())));
      const bool by_month = options.partition_by == PartitionBy::kMonth;
      std::vector<std::pair<int64_t, int64_t>> keys;  // (year, month or 0)
      {
        auto result = con.query(fmt::format("SELECT DISTINCT year({0})::BIGINT AS y, {1}::BIGINT AS m FROM "
                                            "read_parquet({2}) ORDER BY y, m",
                                            quoted_ts, by_month ? fmt::format("month({})", quoted_ts) : "0",
                                            duck::quote_literal(sorted.string())),
                                writing);
        for (auto chunk = result.fetch(); chunk; chunk = result.fetch()) {
          for (size_t r = 0; r < chunk.size(); ++r) keys.emplace_back(chunk.data<int64_t>(0)[r], chunk.data<int64_t>(1)[r]);
        }
      }
      const std::string ts_type(duck::type_name(ts.type));
      for (const auto& [year, month] : keys) {
        const std::string lo = by_month ? fmt::format("{:04}-{:02}-01", year, month) : fmt::format("{:04}-01-01", year);
        const std::string hi = by_month ? (month == 12 ? fmt::format("{:04}-01-01", year + 1)
                                                       : fmt::format("{:04}-{:02}-01", year, month + 1))
                                        : fmt::format("{:04}-01-01", year + 1);
        fs::path dir = temp / fmt::format("year={}", year);
        if (by_month) dir /= fmt::format("month={}", month);
        fs::create_directories(dir);
        summary.rows += copy(fmt::format(
            "COPY ({0} FROM read_parquet({1}) WHERE {2} >= CAST({3} AS {4}) AND {2} < CAST({5} AS {4}) ORDER BY {6}) "
            "TO {7} ({8})",
            select, duck::quote_literal(sorted.string()), quoted_ts, duck::quote_literal(lo), ts_type,
            duck::quote_literal(hi), order_by, duck::quote_literal((dir / "data_0.parquet").string()), copy_options));
      }
      fs::remove(sorted, ec);
    }
    if (fs::exists(output)) fs::remove_all(output);
    fs::rename(temp, output);
  } catch (const std::filesystem::filesystem_error& e) {
    fs::remove_all(temp, ec);
    fs::remove(sorted, ec);
    throw OutputError(fmt::format("cannot write {}: {}; check the directory exists and is writable", output.string(),
                                  e.what()));
  } catch (...) {
    fs::remove_all(temp, ec);
    fs::remove(sorted, ec);
    throw;
  }

  summary.outputs = list_outputs(output);
  for (const auto& file : summary.outputs) summary.output_bytes += fs::file_size(file);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace ml4t::backtest
