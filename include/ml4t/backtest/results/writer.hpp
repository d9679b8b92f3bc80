// Result files: summary.json, the equity/trades/fills/orders tables (Parquet and/or CSV,
// written through DuckDB) and report.html, all staged under temporary names and renamed
// into the output folder only when every file is complete, so a failed or interrupted
// run leaves no half-written results. Also a small JSON writer with proper escaping.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/core/version.hpp"
#include "ml4t/backtest/results/results.hpp"

namespace ml4t::backtest {

/// Builds JSON text. Doubles keep every bit (shortest round-trip form); NaN and
/// infinities become null, since JSON has no spelling for them.
class JsonWriter {
 public:
  /// Pretty-print with `indent` spaces per level (0 = one line).
  explicit JsonWriter(int indent = 2) : indent_(indent) {}
  /// Open an object.
  JsonWriter& begin_object();
  /// Close the current object.
  JsonWriter& end_object();
  /// Open an array.
  JsonWriter& begin_array();
  /// Close the current array.
  JsonWriter& end_array();
  /// The key of the next member of the current object.
  JsonWriter& key(std::string_view name);
  /// A number (NaN and infinities become null).
  JsonWriter& value(double v);
  /// An integer.
  JsonWriter& value(int64_t v);
  /// An unsigned integer.
  JsonWriter& value(uint64_t v);
  /// An integer.
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  /// true or false.
  JsonWriter& value(bool v);
  /// A string, escaped.
  JsonWriter& value(std::string_view v);
  /// A string, escaped.
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  /// A string, escaped.
  JsonWriter& value(const std::string& v) { return value(std::string_view(v)); }
  /// null.
  JsonWriter& null();
  /// Insert an already-rendered JSON value (e.g. a nested document).
  JsonWriter& raw(std::string_view json);
  /// The text so far.
  const std::string& str() const { return out_; }

 private:
  void before_value();
  void newline();
  std::string out_;
  int indent_;
  struct Level {
    bool first = true;
    bool object = false;
  };
  std::vector<Level> stack_;
  bool after_key_ = false;
};

/// `text` as a quoted JSON string.
std::string json_quote(std::string_view text);

/// One input file, as listed under summary.json's `data.files`.
struct DataFileInfo {
  std::string role;  //!< "prices", "signals", "features", "context"
  /// The file.
  std::filesystem::path path;
  /// Its size.
  uint64_t bytes = 0;
  /// Its modification time, when known.
  std::optional<Timestamp> modified;
};

/// What the run read and how it went, beyond Results (summary.json's provenance; the
/// same keys whoever ran it: the CLI, run_backtest, a BacktestEngine, Python).
struct RunInfo {
  std::string config_json;  //!< the resolved config as a JSON object; empty = null
  /// What traded: describe_strategy(config), or a Strategy's own description.
  std::string strategy;
  /// Every input file.
  std::vector<DataFileInfo> files;
  uint64_t rows = 0;  //!< price bars read
  /// Distinct assets with bars.
  uint64_t assets = 0;
  /// First bar time.
  std::optional<Timestamp> first, last;  //!< time range of the bars
  /// ml4t-backtest version.
  std::string version{ml4t::backtest::version()};
  /// Wall-clock time of the run; 0 = the engine's own (Results::elapsed_seconds).
  double elapsed_seconds = 0;
  std::string title = "ml4t-backtest report";  //!< report heading (e.g. the config file)
};

/// Which files write_results produces.
struct WriteOptions {
  /// Write the tables as Parquet.
  bool parquet = true;
  /// Write the tables as CSV.
  bool csv = false;
  bool report = true;  //!< report.html
  /// Replace earlier result files of the same names.
  bool overwrite = false;
  /// How the caller spells `overwrite` in messages (the Python module: "overwrite=True").
  std::string overwrite_hint = "--overwrite";
};

/// Throw OutputError unless `dir` is absent, empty, or `overwrite` is set. Call before
/// a run so a long backtest does not end in a refusal.
void check_output_dir(const std::filesystem::path& dir, bool overwrite,
                      const std::string& overwrite_hint = "--overwrite");

/// Throw OutputError when `dir` cannot be created or written by this process: the folder
/// (or, when it does not exist yet, its nearest existing ancestor) must be a writable
/// folder. Call before a run so a long backtest does not end in a failed write.
void check_output_writable(const std::filesystem::path& dir);

/// Write summary.json, equity/trades/fills/orders (.parquet and/or .csv) and report.html
/// into `dir` (created if missing). Files are staged in a hidden folder inside `dir` and
/// renamed into place at the end; on any failure nothing new is left behind. With
/// `overwrite`, earlier result files of these names are replaced (other files are kept).
/// Returns the written paths. Throws OutputError.
std::vector<std::filesystem::path> write_results(const Results& results, const std::filesystem::path& dir,
                                                 const WriteOptions& options, const RunInfo& info);

/// The summary.json document.
std::string summary_json(const Results& results, const RunInfo& info);

/// The run's wall-clock time: info.elapsed_seconds, or the engine's when that is 0.
double elapsed_seconds(const Results& results, const RunInfo& info);

/// Every file name write_results may produce (for overwrite and tests).
const std::vector<std::string>& result_file_names();

}  // namespace ml4t::backtest
