// ColumnarDataFeed: the file-backed feed (the reference's PolarsDataFeed). Prices,
// signals, features and market-wide context come from Parquet or CSV files (a file, a
// list, a glob or a hive-partitioned folder). Each source is its own DuckDB streaming
// scan in timestamp order; the feed merge-joins the streams in C++ and attaches
// signals/features/context to bars point-in-time with a lag in bars (SignalTiming).
// Construction reads only file schemas; the first next_* starts streaming.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ml4t/backtest/data/data_feed.hpp"
#include "ml4t/backtest/data/signal_timing.hpp"

namespace ml4t::backtest {

class FeatureProvider;

/// Where one kind of data comes from and how its columns are named.
struct DataSource {
  /// Files, globs (`data/*.parquet`) or a hive-partitioned folder (`data/` with
  /// `year=2024/...` below it; read with hive_partitioning). At least one.
  std::vector<std::string> paths;
  /// "parquet" or "csv"; empty = from the first path's extension (folders: parquet).
  std::string format;
  /// Timestamp column: TIMESTAMP (naive = UTC), TIMESTAMPTZ, TIMESTAMP_S/_MS/_NS, DATE or
  /// ISO-8601 text. Text with offsets is converted to UTC (offsets may differ per row);
  /// text without an offset is UTC.
  std::string timestamp_column = "timestamp";
  /// CSV only: strptime format of the timestamp text (e.g. "%d/%m/%Y"); empty = detected.
  /// Required when the detected format puts day and month in an ambiguous order.
  std::string timestamp_format;
  /// Column with the asset symbol; empty = the source has no asset column (context).
  std::string asset_column = "asset_id";
  /// Value columns to read (file names); empty = every column except timestamp/asset
  /// (and, for prices, except non-OHLCV columns: prices read only OHLCV).
  std::vector<std::string> columns;
  /// File column name -> field name (e.g. {"Close", "close"}, {"pred", "ml_pred"}).
  std::map<std::string, std::string> rename;

  DataSource() = default;
  /// A single file, glob or folder with the default column names.
  DataSource(std::string path) : paths{std::move(path)} {}    // NOLINT: implicit on purpose
  /// A single file, glob or folder with the default column names.
  DataSource(const char* path) : paths{std::string(path)} {}  // NOLINT: implicit on purpose
};

/// What to do with a bad row (bad prices, duplicate bars, signals for unknown assets).
enum class BadDataPolicy {
  kError,  //!< throw DataError naming file, row/timestamp, asset and the fix (default)
  kDrop,   //!< skip the row silently (counted in ColumnarDataFeed::dropped_rows())
  kWarn,   //!< skip the row and report it through FeedOptions::on_warning
};

/// What to do with text timestamps of which some carry a time zone (a UTC offset, `Z`, a
/// zone name) and some do not (CSV files, or text columns in Parquet).
enum class MixedTimeZones {
  kError,       //!< throw DataError naming a row of each kind and the fix (default)
  kNaiveIsUtc,  //!< read the naive ones as UTC, like any naive time
};

/// How the feed makes sure a source is in timestamp order (within a timestamp the feed
/// orders assets by symbol itself).
enum class OrderCheck {
  /// Never emit a wrong order, sort only when needed. An unfiltered Parquet source whose
  /// row groups' timestamp ranges do not overlap streams at once while a background scan
  /// of its timestamps checks each row group before the feed uses it; if a row group
  /// turns out unsorted, the rest is re-read with ORDER BY. Overlapping row groups mean
  /// ORDER BY from the start. Other sources (CSV, filtered, no statistics) get a
  /// pre-scan of their timestamps first.
  kAuto,
  kSort,          //!< always ORDER BY in DuckDB (spills to temp_directory when large)
  kAssumeSorted,  //!< trust the files; a timestamp going backwards throws DataError
};

/// Everything a ColumnarDataFeed needs. Plain data: fill what you need.
struct ColumnarFeedOptions {
  DataSource prices;                                  //!< required: timestamp, asset, open, high, low, close, volume
  std::optional<DataSource> signals;                  //!< per-asset values (ML predictions...)
  std::optional<DataSource> context;                  //!< market-wide values keyed by timestamp alone
  std::shared_ptr<FeatureProvider> feature_provider;  //!< per-asset features (+ market rows)
  std::vector<std::string> assets;                    //!< asset filter; empty = every asset
  /// First bar time (inclusive). Bars before it do not exist for the feed: values
  /// stamped earlier are visible from an asset's first bar in range plus the lag (never
  /// earlier than in a run over all the data). Value sources are read from their start.
  std::optional<Timestamp> start;
  std::optional<Timestamp> end;  //!< last bar time (inclusive)
  SignalTiming timing;           //!< lag rule for signals, features and context
  /// What to do with bad price rows.
  BadDataPolicy bad_data = BadDataPolicy::kError;
  /// What to do when a source mixes text timestamps with and without a time zone
  /// (checked when the feed starts: one extra pass over the timestamp column of CSV
  /// sources and of text timestamp columns).
  MixedTimeZones mixed_time_zones = MixedTimeZones::kError;
  /// How the timestamp order of each source is ensured.
  OrderCheck order = OrderCheck::kAuto;
  std::string memory_limit;    //!< DuckDB memory limit, e.g. "1GB"; empty = default
  std::string temp_directory;  //!< DuckDB spill folder; empty = default
  int threads = 0;             //!< DuckDB threads; 0 = all cores
  /// Receives data-quality warnings (kWarn); default prints to stderr.
  std::function<void(const std::string&)> on_warning;
  /// With timing.validate: receives the signal-timing report of each checked source (the
  /// signals, then a feature file) when the stream ends, empty or not. Unset: a
  /// non-empty report goes to on_warning as one line (unless fail_on_violation throws).
  std::function<void(const TimingReport&)> on_timing_report;
  /// Violations a timing report describes one by one, the first in (asset, time) order;
  /// the rest are only counted (TimingReport::total). Each costs a few hundred bytes.
  size_t timing_examples = 100000;
};

/// The file-backed DataFeed. Events come in (timestamp, symbol) order. Price rows are
/// checked while streaming (bad_data policy): prices must be finite and > 0 with
/// low <= open, close <= high; volume, when present, >= 0; one bar per (timestamp,
/// asset). Signals/features for assets that never get a bar are reported at the end.
/// Non-copyable; hold it by unique_ptr or on the stack.
class ColumnarDataFeed : public DataFeed {
 public:
  /// Validates paths, formats, column names and types (file metadata only; reads no
  /// rows). Throws ConfigError for bad options, DataError for missing/unreadable files,
  /// missing columns (listing the columns found) or wrong column types.
  explicit ColumnarDataFeed(ColumnarFeedOptions options);
  ~ColumnarDataFeed() override;
  ColumnarDataFeed(const ColumnarDataFeed&) = delete;
  ColumnarDataFeed& operator=(const ColumnarDataFeed&) = delete;

  const Schema& schema() const override;
  const SymbolTable& symbols() const override;
  /// True when the prices' timestamp column has no time zone (TIMESTAMP, DATE, text
  /// without an offset); known at construction.
  bool naive_timestamps() const override;
  /// True when the prices' volume column has an integer type.
  bool integer_volume() const override;
  /// True once reading has started (a next_*, is_exhausted or iteration).
  bool started() const;
  /// The options the feed was built with.
  const ColumnarFeedOptions& options() const;

  /// Rows skipped under BadDataPolicy::kDrop/kWarn so far.
  uint64_t dropped_rows() const;
  /// Price rows read so far.
  uint64_t rows_read() const;
  /// True when DuckDB sorts (or re-sorts the rest of) a source because it was not in
  /// timestamp order; known after the first next_*.
  bool sorted_by_duckdb() const;

  struct Impl;

 protected:
  TimestampGroup fetch_group() override;
  bool has_more_groups() override;

 private:
  std::unique_ptr<Impl> impl_;
};

/// One asset's prices (plus optional signals) from a Parquet file, glob or folder:
/// the reference's `PolarsDataFeed(price_path, asset_id)`.
class ParquetDataFeed : public ColumnarDataFeed {
 public:
  /// Prices of `asset` from `path` (Parquet), plus signals from `signals_path` if given.
  ParquetDataFeed(std::string path, std::string asset, std::optional<std::string> signals_path = std::nullopt,
                  SignalTiming timing = {});
};

/// Prices (plus optional signals) from CSV files; `assets` empty = all assets.
class CSVDataFeed : public ColumnarDataFeed {
 public:
  /// Prices of `assets` (empty = all) from CSV `path`, plus signals from `signals_path` if given.
  explicit CSVDataFeed(std::string path, std::vector<std::string> assets = {},
                       std::optional<std::string> signals_path = std::nullopt, SignalTiming timing = {});
};

}  // namespace ml4t::backtest
