#include "ml4t/backtest/data/inspect.hpp"

#include <fmt/format.h>

#include <iterator>
#include <unordered_map>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "data/optimize_inputs.hpp"
#include "data/source_scan.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

struct Column {
  std::string name;
  duck::ColumnType type;
  std::string type_name;
};

// Nanoseconds since the epoch (UTC) of a time column, whatever its unit.
std::string epoch_ns_sql(const Column& column) {
  const std::string q = duck::quote_identifier(column.name);
  switch (column.type) {
    case duck::ColumnType::kTimestampNs:
    case duck::ColumnType::kTimestampTz: return fmt::format("epoch_ns({})", q);
    default: return fmt::format("epoch_ns(CAST({} AS TIMESTAMP))", q);
  }
}

const Column* find(const std::vector<Column>& columns, const std::string& name) {
  if (name.empty()) return nullptr;
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string path_list(const std::vector<fs::path>& paths) {
  std::string out = "[";
  for (size_t i = 0; i < paths.size(); ++i) out += (i > 0 ? ", " : "") + duck::quote_literal(paths[i].string());
  return out + "]";
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

}  // namespace

DatasetInfo inspect_dataset(const std::vector<std::string>& paths, const InspectOptions& options) {
  duck::Database db(duck::DatabaseOptions{options.memory_limit, options.temp_directory, 0});
  duck::Connection con(db);
  con.execute("SET TimeZone = 'UTC'", "setting the time zone to UTC");
  const auto files = detail::resolve_inputs(con, paths);
  const std::string source = detail::read_sql(files);
  const std::string where = files.describe();

  DatasetInfo info;
  info.bytes = files.bytes;
  std::vector<Column> columns;
  {
    auto result = con.query(fmt::format("SELECT * FROM ({}) LIMIT 0", source), fmt::format("reading the schema of {}", where));
    for (size_t c = 0; c < result.column_count(); ++c) {
      columns.push_back({result.column_name(c), result.column_type(c), result.column_type_name(c)});
    }
  }
  const Column* ts = find(columns, options.timestamp_column);
  if (ts != nullptr && !duck::is_timestamp(ts->type)) ts = nullptr;
  const Column* asset = find(columns, options.asset_column);
  info.has_timestamp = ts != nullptr;
  info.has_asset = asset != nullptr;
  const std::string ts_sql = ts ? epoch_ns_sql(*ts) : "NULL::BIGINT";
  const std::string asset_sql = asset ? fmt::format("CAST({} AS VARCHAR)", duck::quote_identifier(asset->name)) : "NULL::VARCHAR";

  // One pass of aggregates: rows, nulls per column, assets, time range. Duplicates are
  // counted below: in the streaming pass when the data is sorted (equal keys are then
  // adjacent), else with a GROUP BY that DuckDB can spill; a count(DISTINCT (ts, asset))
  // here would hold every key in memory (1.8 GB for 24.57M bars).
  std::string aggregates = "count(*)";
  for (const auto& c : columns) aggregates += fmt::format(", count(*) - count({})", duck::quote_identifier(c.name));
  aggregates += fmt::format(", count(DISTINCT {}), min({}), max({})", asset_sql, ts_sql, ts_sql);
  {
    duck::Result result = [&] {
      try {
        return con.query(fmt::format("SELECT {} FROM ({})", aggregates, source), fmt::format("scanning {}", where));
      } catch (const DataError& e) {
        // DuckDB's own words ("Could not convert Timestamp(US) to Timestamp(NS)") name
        // neither the column nor the fix; the feed reports the same stamp this way.
        const std::string_view what = e.what();
        if (ts == nullptr || what.find("Timestamp(NS)") == std::string_view::npos) throw;
        throw DataError(detail::timestamp_out_of_range("inspect", ts->name, where));
      }
    }();
    auto chunk = result.fetch();
    size_t col = 0;
    auto next = [&]() -> std::optional<int64_t> {
      const size_t c = col++;
      if (!duck::DataChunk::is_valid(chunk.validity(c), 0)) return std::nullopt;
      return chunk.data<int64_t>(c)[0];
    };
    info.rows = static_cast<uint64_t>(next().value_or(0));
    for (const auto& c : columns) info.columns.push_back({c.name, c.type_name, static_cast<uint64_t>(next().value_or(0))});
    info.assets = static_cast<uint64_t>(next().value_or(0));
    if (auto v = next()) info.first = Timestamp::from_nanos(*v);
    if (auto v = next()) info.last = Timestamp::from_nanos(*v);
  }
  if (asset) {
    auto result = con.query(fmt::format("SELECT DISTINCT {} AS a FROM ({}) WHERE a IS NOT NULL ORDER BY a LIMIT {}",
                                        asset_sql, source, options.max_asset_names),
                            fmt::format("listing the assets of {}", where));
    for (auto chunk = result.fetch(); chunk; chunk = result.fetch()) {
      for (size_t r = 0; r < chunk.size(); ++r) info.asset_names.emplace_back(chunk.string_at(0, r));
    }
  }

  // Per-file facts.
  const auto all = files.all();
  std::unordered_map<std::string, size_t> file_index;
  for (size_t i = 0; i < all.size(); ++i) {
    FileInfo file;
    file.path = all[i];
    file.format = i < files.parquet.size() ? "parquet" : "csv";
    std::error_code ec;
    file.bytes = fs::file_size(all[i], ec);
    info.files.push_back(file);
    file_index.emplace(all[i].string(), i);
  }
  if (!files.parquet.empty()) {
    auto result = con.query(
        fmt::format("SELECT f.file_name, f.num_row_groups, c.codecs FROM parquet_file_metadata({0}) f JOIN (SELECT "
                    "file_name, string_agg(DISTINCT compression, ',' ORDER BY compression) AS codecs FROM "
                    "parquet_metadata({0}) GROUP BY file_name) c USING (file_name)",
                    path_list(files.parquet)),
        fmt::format("reading the Parquet metadata of {}", where));
    for (auto chunk = result.fetch(); chunk; chunk = result.fetch()) {
      for (size_t r = 0; r < chunk.size(); ++r) {
        auto it = file_index.find(std::string(chunk.string_at(0, r)));
        if (it == file_index.end()) continue;
        info.files[it->second].row_groups = static_cast<uint64_t>(chunk.data<int64_t>(1)[r]);
        info.files[it->second].compression = std::string(chunk.string_at(2, r));
      }
    }
  }

  // Sortedness in read order, streaming: compare each row with the one before it.
  info.sorted = ts != nullptr;
  {
    auto result = con.stream(fmt::format("SELECT filename, {}, {} FROM ({})", ts_sql, asset_sql,
                                         detail::read_sql(files, /*with_filename=*/true)),
                             fmt::format("checking the order of {}", where));
    std::string current_file, previous_asset;
    size_t current = 0;
    uint64_t row_in_file = 0;
    bool have_previous = false;
    int64_t previous_ts = 0;
    for (auto chunk = result.fetch(); chunk; chunk = result.fetch()) {
      const int64_t* t = chunk.data<int64_t>(1);
      const uint64_t* t_valid = chunk.validity(1);
      const uint64_t* a_valid = chunk.validity(2);
      for (size_t r = 0; r < chunk.size(); ++r) {
        const std::string_view file = chunk.string_at(0, r);
        if (file != current_file) {
          current_file = file;
          auto it = file_index.find(current_file);
          current = it == file_index.end() ? 0 : it->second;
          row_in_file = 0;
        }
        ++row_in_file;
        ++info.files[current].rows;
        if (!ts || !duck::DataChunk::is_valid(t_valid, r) || info.order_break) continue;
        const std::string_view a = duck::DataChunk::is_valid(a_valid, r) ? chunk.string_at(2, r) : std::string_view();
        if (have_previous && t[r] == previous_ts && a == previous_asset) ++info.duplicates;
        if (have_previous && (t[r] < previous_ts || (t[r] == previous_ts && a < previous_asset))) {
          info.sorted = false;
          info.order_break = OrderBreak{all[current],
                                        row_in_file,
                                        Timestamp::from_nanos(t[r]),
                                        std::string(a),
                                        Timestamp::from_nanos(previous_ts),
                                        previous_asset};
        }
        have_previous = true;
        previous_ts = t[r];
        previous_asset.assign(a.data(), a.size());
      }
    }
  }
  if (ts && !info.sorted) {
    // Unsorted: duplicates need not be adjacent.
    const std::string keys = asset ? fmt::format("{}, {}", duck::quote_identifier(ts->name),
                                                 duck::quote_identifier(asset->name))
                                   : duck::quote_identifier(ts->name);
    auto result = con.query(fmt::format("SELECT coalesce(sum(n - 1), 0)::BIGINT FROM (SELECT count(*) AS n FROM ({}) "
                                        "WHERE {} IS NOT NULL GROUP BY {} HAVING count(*) > 1)",
                                        source, duck::quote_identifier(ts->name), keys),
                            fmt::format("counting duplicate keys in {}", where));
    info.duplicates = static_cast<uint64_t>(result.fetch().data<int64_t>(0)[0]);
  }
  return info;
}

std::string format_text(const DatasetInfo& info, const InspectOptions& options) {
  std::string out;
  auto line = [&out]<typename... Args>(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
    out += '\n';
  };
  line("files:      {} ({} bytes)", info.files.size(), info.bytes);
  for (const auto& f : info.files) {
    if (f.format == "parquet") {
      line("  {}  parquet  {} bytes  {} rows  {} row groups  {}", f.path.string(), f.bytes, f.rows, f.row_groups,
           f.compression);
    } else {
      line("  {}  csv  {} bytes  {} rows", f.path.string(), f.bytes, f.rows);
    }
  }
  line("rows:       {}", info.rows);
  line("columns:    {}", info.columns.size());
  for (const auto& c : info.columns) line("  {:<24} {:<28} nulls {}", c.name, c.type, c.nulls);
  if (info.has_asset) {
    std::string names;
    for (const auto& n : info.asset_names) names += (names.empty() ? "" : ", ") + n;
    if (info.assets > info.asset_names.size()) names += ", ...";
    line("assets:     {} ({})", info.assets, names);
  } else {
    line("assets:     no asset column '{}'", options.asset_column);
  }
  if (info.has_timestamp) {
    line("time range: {} .. {}", info.first ? info.first->to_string() : "-", info.last ? info.last->to_string() : "-");
    if (info.sorted) {
      line("sorted:     yes, by ({}, {})", options.timestamp_column, options.asset_column);
    } else if (info.order_break) {
      const auto& b = *info.order_break;
      line("sorted:     no; first out of order: {} row {} ({}, {}) after ({}, {})", b.file.string(), b.row,
           b.timestamp.to_string(), b.asset, b.previous_timestamp.to_string(), b.previous_asset);
    }
    line("duplicates: {} rows repeat a ({}, {}) key", info.duplicates, options.timestamp_column,
         info.has_asset ? options.asset_column : "-");
  } else {
    line("time range: no time-typed column '{}'", options.timestamp_column);
  }
  return out;
}

std::string format_json(const DatasetInfo& info) {
  std::string out = "{";
  out += fmt::format("\"bytes\": {}, \"rows\": {}, \"files\": [", info.bytes, info.rows);
  for (size_t i = 0; i < info.files.size(); ++i) {
    const auto& f = info.files[i];
    out += fmt::format("{}{{\"path\": {}, \"format\": \"{}\", \"bytes\": {}, \"rows\": {}", i ? ", " : "",
                       json_string(f.path.string()), f.format, f.bytes, f.rows);
    if (f.format == "parquet") {
      out += fmt::format(", \"row_groups\": {}, \"compression\": {}", f.row_groups, json_string(f.compression));
    }
    out += "}";
  }
  out += "], \"columns\": [";
  for (size_t i = 0; i < info.columns.size(); ++i) {
    const auto& c = info.columns[i];
    out += fmt::format("{}{{\"name\": {}, \"type\": {}, \"nulls\": {}}}", i ? ", " : "", json_string(c.name),
                       json_string(c.type), c.nulls);
  }
  out += "], \"assets\": ";
  if (info.has_asset) {
    out += fmt::format("{{\"count\": {}, \"first\": [", info.assets);
    for (size_t i = 0; i < info.asset_names.size(); ++i) out += (i ? ", " : "") + json_string(info.asset_names[i]);
    out += "]}";
  } else {
    out += "null";
  }
  auto ts_json = [](const std::optional<Timestamp>& t) { return t ? json_string(t->to_string()) : std::string("null"); };
  out += fmt::format(", \"first\": {}, \"last\": {}", ts_json(info.first), ts_json(info.last));
  if (info.has_timestamp) {
    out += fmt::format(", \"sorted\": {}, \"duplicates\": {}", info.sorted ? "true" : "false", info.duplicates);
  } else {
    out += ", \"sorted\": null, \"duplicates\": null";
  }
  out += ", \"first_out_of_order\": ";
  if (info.order_break) {
    const auto& b = *info.order_break;
    out += fmt::format(
        "{{\"file\": {}, \"row\": {}, \"timestamp\": {}, \"asset\": {}, \"previous_timestamp\": {}, "
        "\"previous_asset\": {}}}",
        json_string(b.file.string()), b.row, json_string(b.timestamp.to_string()), json_string(b.asset),
        json_string(b.previous_timestamp.to_string()), json_string(b.previous_asset));
  } else {
    out += "null";
  }
  return out + "}";
}

}  // namespace ml4t::backtest
