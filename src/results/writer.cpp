// summary.json through JsonWriter; the tables and report through ResultStreamWriter
// (see stream_writer.cpp), which stages the files and renames them into place.
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

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/results/report.hpp"
#include "ml4t/backtest/results/stream_writer.hpp"

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

const std::vector<std::string>& result_file_names() {
  static const std::vector<std::string> names = {"summary.json",   "report.html", "equity.parquet", "equity.csv",
                                                 "trades.parquet", "trades.csv",  "fills.parquet",  "fills.csv",
                                                 "orders.parquet", "orders.csv",  "cashflows.parquet",
                                                 "cashflows.csv"};
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
  // The same path as a streamed run, fed from the vectors: the files are byte-identical.
  StreamOptions stream;
  stream.remove_created_dir = false;  // a failed write keeps the (empty) folder it made
  ResultStreamWriter writer(dir, options, stream);
  try {
    writer.set_symbols(&results.symbols);
    for (const auto& p : results.equity_curve) writer.equity(p);
    for (const auto& t : results.trades) writer.trade(t);
    for (const auto& f : results.fills) writer.fill(f);
    for (const auto& o : results.orders) writer.order(o);
    for (const auto& f : results.cashflows) writer.cashflow(f);
  } catch (const OutputError&) {
    throw;
  } catch (const Error& e) {
    throw OutputError(fmt::format("writing results into {} failed, nothing was written: {}", dir.string(), e.what()));
  }
  return writer.finish(results, info);
}

}  // namespace ml4t::backtest
