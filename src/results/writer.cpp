// Result files through DuckDB (Appender into a temp table, then COPY), staged and
// renamed into place; summary.json through JsonWriter.
#include "ml4t/backtest/results/writer.hpp"

#include "ml4t/backtest/results/output_claim.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <functional>
#include <system_error>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/results/report.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------
// JsonWriter

std::string json_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          out += c;  // UTF-8 passes through unchanged
        }
    }
  }
  out += '"';
  return out;
}

void JsonWriter::newline() {
  if (indent_ <= 0) return;
  out_ += '\n';
  out_.append(stack_.size() * static_cast<size_t>(indent_), ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!stack_.empty()) {
    if (!stack_.back().first) out_ += ',';
    stack_.back().first = false;
    newline();
  }
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_ += '{';
  stack_.push_back({true, true});
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  const bool empty = stack_.back().first;
  stack_.pop_back();
  if (!empty) newline();
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_ += '[';
  stack_.push_back({true, false});
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  const bool empty = stack_.back().first;
  stack_.pop_back();
  if (!empty) newline();
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  before_value();
  out_ += json_quote(name);
  out_ += indent_ > 0 ? ": " : ":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  if (!std::isfinite(v)) return null();
  before_value();
  // fmt's default is the shortest text that reads back to the same double (500000, 0.1).
  out_ += fmt::format("{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t v) {
  before_value();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t v) {
  before_value();
  out_ += std::to_string(v);
  return *this;
}

JsonWriter& JsonWriter::value(bool v) {
  before_value();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view v) {
  before_value();
  out_ += json_quote(v);
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  before_value();
  // Re-indent a nested multi-line document so it lines up with its key.
  const std::string pad(stack_.size() * static_cast<size_t>(std::max(indent_, 0)), ' ');
  for (const char c : json) {
    out_ += c;
    if (c == '\n') out_ += pad;
  }
  return *this;
}

// ---------------------------------------------------------------------------------
// summary.json

double elapsed_seconds(const Results& results, const RunInfo& info) {
  return info.elapsed_seconds > 0 ? info.elapsed_seconds : results.elapsed_seconds;
}

std::string summary_json(const Results& results, const RunInfo& info) {
  const Metrics& m = results.metrics;
  JsonWriter w;
  w.begin_object();
  w.key("final_equity").value(results.final_equity);
  w.key("initial_capital").value(results.initial_capital);
  w.key("total_return").value(m.total_return);
  w.key("num_trades").value(m.num_trades);
  w.key("metrics").begin_object();
  w.key("total_return").value(m.total_return);
  w.key("cagr").value(m.cagr);
  w.key("annual_volatility").value(m.annual_volatility);
  w.key("sharpe").value(m.sharpe);
  w.key("sortino").value(m.sortino);
  w.key("max_drawdown").value(m.max_drawdown);
  w.key("max_drawdown_duration_bars").value(m.max_drawdown_duration_bars);
  w.key("calmar").value(m.calmar);
  w.key("win_rate").value(m.win_rate);
  w.key("profit_factor").value(m.profit_factor);
  w.key("avg_win").value(m.avg_win);
  w.key("avg_loss").value(m.avg_loss);
  w.key("exposure").value(m.exposure);
  w.key("turnover").value(m.turnover);
  w.key("num_trades").value(m.num_trades);
  w.key("periods_per_year").value(m.periods_per_year);
  w.end_object();
  w.key("config");
  if (info.config_json.empty()) {
    w.null();
  } else {
    w.raw(info.config_json);
  }
  w.key("data").begin_object();
  w.key("files").begin_array();
  for (const auto& f : info.files) {
    w.begin_object();
    w.key("role").value(f.role);
    w.key("path").value(f.path.string());
    w.key("bytes").value(f.bytes);
    w.key("modified");
    if (f.modified) {
      w.value(f.modified->to_string());
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  w.key("rows").value(info.rows);
  w.key("assets").value(info.assets);
  w.key("start");
  info.first ? w.value(info.first->to_string()) : w.null();
  w.key("end");
  info.last ? w.value(info.last->to_string()) : w.null();
  w.end_object();
  w.key("strategy");
  info.strategy.empty() ? w.null() : w.value(info.strategy);
  w.key("version").value(info.version);
  w.key("elapsed_seconds").value(elapsed_seconds(results, info));
  w.key("events").value(results.events);
  w.end_object();
  return w.str() + "\n";
}

// ---------------------------------------------------------------------------------
// Tables

namespace {

using duck::Appender;
using duck::Connection;

enum class Kind { kTimestamp, kDouble, kInt, kText, kBool };

struct Column {
  std::string name;
  Kind kind;
};

std::string_view sql_type(Kind kind) {
  switch (kind) {
    case Kind::kTimestamp:
      return "TIMESTAMPTZ";
    case Kind::kDouble:
      return "DOUBLE";
    case Kind::kInt:
      return "BIGINT";
    case Kind::kText:
      return "VARCHAR";
    case Kind::kBool:
      return "BOOLEAN";
  }
  return "VARCHAR";
}

// Appends one row's cells in column order. Timestamps go in twice: as TIMESTAMPTZ (for
// Parquet) and as exact ISO-8601 UTC text (for CSV, independent of DuckDB's TimeZone).
class RowSink {
 public:
  explicit RowSink(Appender& app) : app_(app) {}
  RowSink& ts(Timestamp t) {
    app_.append_timestamp_ns(t.nanos());
    app_.append(std::string_view(t.to_string()));
    return *this;
  }
  RowSink& num(double v) {
    if (std::isnan(v)) {
      app_.append_null();
    } else {
      app_.append(v);
    }
    return *this;
  }
  RowSink& integer(int64_t v) {
    app_.append(v);
    return *this;
  }
  RowSink& text(std::string_view v) {
    app_.append(v);
    return *this;
  }
  RowSink& flag(bool v) {
    app_.append(v);
    return *this;
  }
  void end() { app_.end_row(); }

 private:
  Appender& app_;
};

struct TableSpec {
  std::string name;
  std::vector<Column> columns;
  std::function<void(RowSink&)> fill;  // appends every row
};

std::string symbol_of(const Results& r, AssetId id) {
  if (id < r.symbols.size()) return r.symbols[id];
  return id == kNoAsset ? std::string() : fmt::format("#{}", id);
}

std::vector<TableSpec> table_specs(const Results& r) {
  std::vector<TableSpec> specs;
  specs.push_back({"equity",
                   {{"timestamp", Kind::kTimestamp},
                    {"cash", Kind::kDouble},
                    {"positions_value", Kind::kDouble},
                    {"equity", Kind::kDouble},
                    {"drawdown", Kind::kDouble}},
                   [&r](RowSink& s) {
                     for (const auto& p : r.equity_curve) {
                       s.ts(p.timestamp).num(p.cash).num(p.positions_value).num(p.equity).num(p.drawdown).end();
                     }
                   }});
  specs.push_back({"trades",
                   {{"asset", Kind::kText},
                    {"side", Kind::kText},
                    {"entry_time", Kind::kTimestamp},
                    {"exit_time", Kind::kTimestamp},
                    {"quantity", Kind::kDouble},
                    {"entry_price", Kind::kDouble},
                    {"exit_price", Kind::kDouble},
                    {"pnl", Kind::kDouble},
                    {"return", Kind::kDouble},
                    {"commission", Kind::kDouble},
                    {"slippage", Kind::kDouble},
                    {"bars_held", Kind::kInt},
                    {"exit_reason", Kind::kText},
                    {"open", Kind::kBool}},
                   [&r](RowSink& s) {
                     for (const auto& t : r.trades) {
                       s.text(symbol_of(r, t.asset))
                           .text(to_string(t.side))
                           .ts(t.entry_time)
                           .ts(t.exit_time)
                           .num(t.quantity)
                           .num(t.entry_price)
                           .num(t.exit_price)
                           .num(t.pnl)
                           .num(t.return_fraction)
                           .num(t.commission)
                           .num(t.slippage)
                           .integer(t.bars_held)
                           .text(to_string(t.exit_reason))
                           .flag(t.open)
                           .end();
                     }
                   }});
  specs.push_back({"fills",
                   {{"order_id", Kind::kInt},
                    {"timestamp", Kind::kTimestamp},
                    {"asset", Kind::kText},
                    {"side", Kind::kText},
                    {"quantity", Kind::kDouble},
                    {"price", Kind::kDouble},
                    {"commission", Kind::kDouble},
                    {"slippage", Kind::kDouble}},
                   [&r](RowSink& s) {
                     for (const auto& f : r.fills) {
                       s.integer(static_cast<int64_t>(f.order_id))
                           .ts(f.timestamp)
                           .text(symbol_of(r, f.asset))
                           .text(to_string(f.side))
                           .num(f.quantity)
                           .num(f.price)
                           .num(f.commission)
                           .num(f.slippage)
                           .end();
                     }
                   }});
  specs.push_back({"orders",
                   {{"id", Kind::kInt},
                    {"created", Kind::kTimestamp},
                    {"updated", Kind::kTimestamp},
                    {"asset", Kind::kText},
                    {"side", Kind::kText},
                    {"type", Kind::kText},
                    {"quantity", Kind::kDouble},
                    {"filled_quantity", Kind::kDouble},
                    {"limit_price", Kind::kDouble},
                    {"stop_price", Kind::kDouble},
                    {"status", Kind::kText},
                    {"reason", Kind::kText}},
                   [&r](RowSink& s) {
                     for (const auto& o : r.orders) {
                       s.integer(static_cast<int64_t>(o.id))
                           .ts(o.created)
                           .ts(o.updated)
                           .text(symbol_of(r, o.asset))
                           .text(to_string(o.side))
                           .text(to_string(o.type))
                           .num(o.quantity)
                           .num(o.filled_quantity)
                           .num(o.limit_price)
                           .num(o.stop_price)
                           .text(to_string(o.status))
                           .text(o.reason)
                           .end();
                     }
                   }});
  return specs;
}

void write_tables(const Results& results, const fs::path& staging, const WriteOptions& options) {
  duck::Database db(duck::DatabaseOptions{"", "", 1});
  Connection con(db);
  for (const auto& spec : table_specs(results)) {
    std::string create = fmt::format("CREATE TABLE {} (", duck::quote_identifier(spec.name));
    std::string parquet_cols, csv_cols;
    for (size_t i = 0; i < spec.columns.size(); ++i) {
      const auto& c = spec.columns[i];
      const std::string sep = i == 0 ? "" : ", ";
      const std::string q = duck::quote_identifier(c.name);
      create += fmt::format("{}{} {}", sep, q, sql_type(c.kind));
      parquet_cols += sep + q;
      if (c.kind == Kind::kTimestamp) {
        const std::string iso = duck::quote_identifier(c.name + "__iso");
        create += fmt::format(", {} VARCHAR", iso);
        csv_cols += fmt::format("{}{} AS {}", sep, iso, q);
      } else {
        csv_cols += sep + q;
      }
    }
    create += ")";
    con.execute(create, fmt::format("creating the {} table", spec.name));
    {
      Appender app(con, spec.name);
      RowSink sink(app);
      spec.fill(sink);
      app.close();
    }
    const std::string from = duck::quote_identifier(spec.name);
    if (options.parquet) {
      const fs::path file = staging / (spec.name + ".parquet");
      con.execute(fmt::format("COPY (SELECT {} FROM {}) TO {} (FORMAT parquet, COMPRESSION zstd)", parquet_cols, from,
                              duck::quote_literal(file.string())),
                  fmt::format("writing {}", file.string()));
    }
    if (options.csv) {
      const fs::path file = staging / (spec.name + ".csv");
      con.execute(fmt::format("COPY (SELECT {} FROM {}) TO {} (FORMAT csv, HEADER true)", csv_cols, from,
                              duck::quote_literal(file.string())),
                  fmt::format("writing {}", file.string()));
    }
  }
}

void write_text_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw OutputError(fmt::format("cannot create {}: check that the folder is writable", path.string()));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw OutputError(fmt::format("writing {} failed (disk full?)", path.string()));
}

}  // namespace

const std::vector<std::string>& result_file_names() {
  static const std::vector<std::string> names = {"summary.json",   "report.html", "equity.parquet", "equity.csv",
                                                 "trades.parquet", "trades.csv",  "fills.parquet",  "fills.csv",
                                                 "orders.parquet", "orders.csv"};
  return names;
}

void check_output_dir(const fs::path& dir, bool overwrite, const std::string& overwrite_hint) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return;
  if (!fs::is_directory(dir, ec)) {
    throw OutputError(fmt::format("output path {} exists and is not a folder; choose another --out", dir.string()));
  }
  remove_dead_staging(dir);  // a run killed while writing must not block this one
  if (!overwrite && !output_dir_is_empty(dir)) {
    throw OutputError(fmt::format(
        "output folder {} is not empty; pass {} to replace earlier results, or choose another output folder",
        dir.string(), overwrite_hint));
  }
}

void check_output_writable(const fs::path& dir) {
  std::error_code ec;
  fs::path existing = fs::absolute(dir, ec).lexically_normal();
  while (!fs::exists(existing, ec) && existing.has_relative_path()) existing = existing.parent_path();
  if (!fs::is_directory(existing, ec)) {
    throw OutputError(fmt::format("cannot create output folder {}: {} is not a folder; choose a writable --out (or "
                                  "output.dir)",
                                  dir.string(), existing.string()));
  }
  // access() answers for this process's real ids, as the writes will be made.
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    const std::error_code why(errno, std::generic_category());
    throw OutputError(fmt::format("cannot write results into {}: {} is not writable ({}); choose a writable --out "
                                  "(or output.dir), or fix the folder's permissions",
                                  dir.string(), existing.string(), why.message()));
  }
}

std::vector<fs::path> write_results(const Results& results, const fs::path& dir, const WriteOptions& options,
                                    const RunInfo& info) {
  check_output_dir(dir, options.overwrite, options.overwrite_hint);
  const OutputClaim claim(dir, options.overwrite, options.overwrite_hint);  // one writer per folder
  const fs::path& staging = claim.staging();
  std::error_code ec;

  std::vector<std::string> names;
  try {
    write_tables(results, staging, options);
    write_text_file(staging / "summary.json", summary_json(results, info));
    if (options.report) write_text_file(staging / "report.html", render_report_html(results, info));
  } catch (const Error& e) {
    throw OutputError(fmt::format("writing results into {} failed, nothing was written: {}", dir.string(), e.what()));
  }
  // Every file is complete: move them in (a rename replaces an earlier file of the same
  // name in one step, so each name always holds a whole file), then drop earlier result
  // files this run did not produce (e.g. the CSVs of an earlier --format both).
  std::vector<fs::path> written;
  for (const auto& entry : fs::directory_iterator(staging)) {
    const fs::path target = dir / entry.path().filename();
    fs::rename(entry.path(), target, ec);
    if (ec) {
      throw OutputError(fmt::format("moving {} into {} failed: {}", entry.path().string(), dir.string(), ec.message()));
    }
    written.push_back(target);
  }
  if (options.overwrite) {
    for (const auto& name : result_file_names()) {
      if (std::find(written.begin(), written.end(), dir / name) == written.end()) fs::remove(dir / name, ec);
    }
  }
  std::sort(written.begin(), written.end());
  return written;
}

}  // namespace ml4t::backtest
