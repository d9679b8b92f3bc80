// FeatureProvider: per-asset features and market-wide context from somewhere other than
// the signals file. PrecomputedFeatureProvider holds precomputed values (a file or
// in-memory columns; rows with a null asset are market-wide) and is streamed by
// ColumnarDataFeed like any other source; CallableFeatureProvider calls user functions
// per (asset, timestamp) and per timestamp (the slow path, for live-like features).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace ml4t::backtest {

/// Source of per-asset features and market-wide features. Values come back in the order
/// of feature_names() / market_feature_names(); missing values are NaN.
class FeatureProvider {
 public:
  virtual ~FeatureProvider() = default;

  /// Names of the per-asset features (they become signal fields of the feed).
  virtual const std::vector<std::string>& feature_names() const = 0;
  /// Names of the market-wide features (they become context fields of the feed).
  virtual const std::vector<std::string>& market_feature_names() const = 0;

  /// Fill `out` (size feature_names().size()) with the features of `asset` at `ts`.
  virtual void get_features(std::string_view asset, Timestamp ts, std::span<double> out) = 0;
  /// Fill `out` (size market_feature_names().size()) with the market features at `ts`.
  virtual void get_market_features(Timestamp ts, std::span<double> out) = 0;

  /// Convenience: the features as a vector.
  std::vector<double> get_features(std::string_view asset, Timestamp ts);
  /// Convenience: the market features as a vector.
  std::vector<double> get_market_features(Timestamp ts);

  /// A file source the feed can stream and merge instead of calling get_* per event
  /// (nullptr = call get_* per event).
  virtual const DataSource* streamable_source() const { return nullptr; }
};

/// Precomputed values with as-of lookups (the latest row at or before the timestamp),
/// O(log n) by binary search over sorted vectors.
class PrecomputedFeatureProvider : public FeatureProvider {
 public:
  /// From a file source. Rows whose asset is null are market-wide. `market_columns`
  /// are the market-wide feature columns; every other value column is per-asset.
  /// Without `market_columns`, the columns with values only on market-wide rows are the
  /// market-wide ones (Parquet whose asset column has no nulls by its statistics needs
  /// no read; otherwise one aggregate scan of the file), and a column with values on both
  /// kinds of rows is a DataError asking for market_columns. Reads the file schema now;
  /// direct get_* lookups load the rows on first use.
  explicit PrecomputedFeatureProvider(DataSource source,
                                      std::optional<std::vector<std::string>> market_columns = std::nullopt);

  /// In-memory columns: one entry per row. `assets[i]` empty = a market-wide row.
  /// `features` and `market` map a name to a column of values (same length as times).
  PrecomputedFeatureProvider(std::vector<Timestamp> times, std::vector<std::string> assets,
                             std::map<std::string, std::vector<double>> features,
                             std::map<std::string, std::vector<double>> market = {});

  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  const std::vector<std::string>& market_feature_names() const override { return market_names_; }
  using FeatureProvider::get_features;
  using FeatureProvider::get_market_features;
  void get_features(std::string_view asset, Timestamp ts, std::span<double> out) override;
  void get_market_features(Timestamp ts, std::span<double> out) override;
  const DataSource* streamable_source() const override { return source_ ? &*source_ : nullptr; }

 private:
  struct Series {
    std::vector<Timestamp> times;  //!< sorted
    std::vector<double> values;    //!< row-major [row][field]
  };
  void load();
  void lookup(const Series& series, size_t width, Timestamp ts, std::span<double> out) const;

  std::optional<DataSource> source_;
  std::vector<std::string> feature_names_;
  std::vector<std::string> market_names_;
  bool loaded_ = false;
  std::unordered_map<std::string, Series> per_asset_;
  Series market_;
};

/// Calls user functions; results may be cached per (asset, timestamp).
class CallableFeatureProvider : public FeatureProvider {
 public:
  /// Per-asset function: the values of feature_names() for (asset, ts).
  using ComputeFn = std::function<std::vector<double>(std::string_view asset, Timestamp ts)>;
  /// Market-wide function: the values of market_feature_names() at ts.
  using ComputeMarketFn = std::function<std::vector<double>(Timestamp ts)>;

  /// `compute_fn` returns values in the order of `feature_names`; `compute_market_fn`
  /// (optional) in the order of `market_names`. With `cache`, each (asset, ts) is
  /// computed once.
  CallableFeatureProvider(std::vector<std::string> feature_names, ComputeFn compute_fn,
                          std::vector<std::string> market_names = {}, ComputeMarketFn compute_market_fn = {},
                          bool cache = false);

  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  const std::vector<std::string>& market_feature_names() const override { return market_names_; }
  using FeatureProvider::get_features;
  using FeatureProvider::get_market_features;
  void get_features(std::string_view asset, Timestamp ts, std::span<double> out) override;
  void get_market_features(Timestamp ts, std::span<double> out) override;

  /// Calls of the user functions so far (for tests of the cache).
  uint64_t calls() const { return calls_; }

 private:
  std::vector<std::string> feature_names_;
  std::vector<std::string> market_names_;
  ComputeFn compute_fn_;
  ComputeMarketFn compute_market_fn_;
  bool cache_;
  uint64_t calls_ = 0;
  std::map<std::pair<std::string, int64_t>, std::vector<double>> cache_values_;
  std::map<int64_t, std::vector<double>> cache_market_;
};

}  // namespace ml4t::backtest
