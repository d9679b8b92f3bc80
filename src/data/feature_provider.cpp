#include "ml4t/backtest/data/feature_provider.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "data/source_scan.hpp"
#include "ml4t/backtest/core/batch.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

std::vector<double> FeatureProvider::get_features(std::string_view asset, Timestamp ts) {
  std::vector<double> out(feature_names().size(), kMissing);
  get_features(asset, ts, out);
  return out;
}

std::vector<double> FeatureProvider::get_market_features(Timestamp ts) {
  std::vector<double> out(market_feature_names().size(), kMissing);
  get_market_features(ts, out);
  return out;
}

// ------------------------------------------------------------------ Precomputed

namespace {

detail::SourceRequirements feature_requirements() {
  detail::SourceRequirements req;
  req.role = "features";
  return req;
}

// True when the Parquet statistics show no null in the asset column (no market rows).
bool no_market_rows_by_statistics(duck::Connection& con, const detail::ResolvedSource& src) {
  if (src.csv || src.files.empty()) return false;
  std::string files;
  for (const auto& f : src.files) files += (files.empty() ? "" : ", ") + duck::quote_literal(f);
  auto result = con.query(fmt::format("SELECT count(*), count(stats_null_count), coalesce(sum(stats_null_count), 0) "
                                      "FROM parquet_metadata([{}]) WHERE path_in_schema = {}",
                                      files, duck::quote_literal(src.asset_column)),
                          fmt::format("reading the statistics of features {}", src.description));
  auto chunk = result.fetch();
  if (!chunk || chunk.size() == 0) return false;
  const int64_t groups = chunk.data<int64_t>(0)[0];
  const int64_t with_stats = chunk.data<int64_t>(1)[0];
  return groups > 0 && with_stats == groups && chunk.data<int64_t>(2)[0] == 0;
}

// The value columns that have values only on market-wide rows (null asset). One
// aggregate scan; a column with values on both kinds of rows is ambiguous.
std::vector<std::string> detect_market_columns(duck::Connection& con, const detail::ResolvedSource& src) {
  if (src.asset_column.empty() || src.value_columns.empty() || no_market_rows_by_statistics(con, src)) return {};
  const std::string asset = duck::quote_identifier(src.asset_column);
  std::string cols = fmt::format("count(*) FILTER (WHERE {} IS NULL)", asset);
  for (const auto& c : src.value_columns) {
    const std::string q = duck::quote_identifier(c);
    cols += fmt::format(", count({0}) FILTER (WHERE {1} IS NULL), count({0}) FILTER (WHERE {1} IS NOT NULL)", q, asset);
  }
  auto result = con.query(fmt::format("SELECT {} FROM {}", cols, src.reader),
                          fmt::format("finding the market-wide columns of features {}", src.description));
  auto chunk = result.fetch();
  if (!chunk || chunk.size() == 0 || chunk.data<int64_t>(0)[0] == 0) return {};
  std::vector<std::string> market;
  for (size_t i = 0; i < src.value_columns.size(); ++i) {
    const bool on_market_rows = chunk.data<int64_t>(1 + 2 * i)[0] > 0;
    const bool on_asset_rows = chunk.data<int64_t>(2 + 2 * i)[0] > 0;
    if (on_market_rows && on_asset_rows) {
      throw DataError(fmt::format(
          "features: column \"{}\" of {} has values on market-wide rows ({} is null) and on per-asset rows; pass "
          "market_columns naming the market-wide columns (the other columns' market rows are then ignored), or "
          "split the file",
          src.value_columns[i], src.description, src.asset_column));
    }
    if (on_market_rows) market.push_back(src.field_names[i]);
  }
  return market;
}

}  // namespace

PrecomputedFeatureProvider::PrecomputedFeatureProvider(DataSource source,
                                                       std::optional<std::vector<std::string>> market_given)
    : source_(std::move(source)) {
  const auto db = detail::shared_database("", "", 0);
  duck::Connection con(*db);
  detail::prepare_connection(con);
  const auto src = detail::resolve_source(con, *source_, feature_requirements());
  std::vector<std::string> market_columns = market_given ? std::move(*market_given) : detect_market_columns(con, src);
  for (const auto& name : market_columns) {
    if (std::find(src.field_names.begin(), src.field_names.end(), name) == src.field_names.end()) {
      throw DataError(fmt::format("features: market-wide column \"{}\" is not in {} (columns found: [{}])", name,
                                  src.description, detail::join_names(src.all_columns)));
    }
  }
  for (const auto& name : src.field_names) {
    if (std::find(market_columns.begin(), market_columns.end(), name) == market_columns.end()) {
      feature_names_.push_back(name);
    }
  }
  market_names_ = std::move(market_columns);
}

PrecomputedFeatureProvider::PrecomputedFeatureProvider(std::vector<Timestamp> times, std::vector<std::string> assets,
                                                       std::map<std::string, std::vector<double>> features,
                                                       std::map<std::string, std::vector<double>> market) {
  const size_t n = times.size();
  if (assets.size() != n) {
    throw ConfigError(
        fmt::format("PrecomputedFeatureProvider: {} timestamps but {} assets; give one per row", n, assets.size()));
  }
  auto check = [&](const auto& columns) {
    for (const auto& [name, values] : columns) {
      if (values.size() != n) {
        throw ConfigError(
            fmt::format("PrecomputedFeatureProvider: column \"{}\" has {} values for {} rows", name, values.size(), n));
      }
    }
  };
  check(features);
  check(market);
  for (const auto& [name, values] : features) feature_names_.push_back(name);
  for (const auto& [name, values] : market) market_names_.push_back(name);
  // Stable order by time so that, among equal stamps, the later row wins.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return times[a] < times[b]; });
  for (size_t i : order) {
    if (assets[i].empty()) {
      market_.times.push_back(times[i]);
      for (const auto& [name, values] : market) market_.values.push_back(values[i]);
    } else {
      Series& s = per_asset_[assets[i]];
      s.times.push_back(times[i]);
      for (const auto& [name, values] : features) s.values.push_back(values[i]);
    }
  }
  loaded_ = true;
}

void PrecomputedFeatureProvider::load() {
  const auto db = detail::shared_database("", "", 0);
  duck::Connection con(*db);
  detail::prepare_connection(con);
  const auto src = detail::resolve_source(con, *source_, feature_requirements());
  std::vector<size_t> feature_cols, market_cols;
  for (size_t i = 0; i < src.field_names.size(); ++i) {
    const bool market =
        std::find(market_names_.begin(), market_names_.end(), src.field_names[i]) != market_names_.end();
    (market ? market_cols : feature_cols).push_back(i);
  }
  // epoch_ns gives one unit whatever the column type; ORDER BY keeps equal stamps in
  // file order only by accident, so sort stably on the time alone below instead.
  std::string cols = detail::ts_ns_expression(src);
  cols += src.asset_column.empty() ? ", NULL::VARCHAR"
                                   : fmt::format(", CAST({} AS VARCHAR)", duck::quote_identifier(src.asset_column));
  for (const auto& c : src.value_columns) cols += fmt::format(", CAST({} AS DOUBLE)", duck::quote_identifier(c));
  auto result = con.stream(fmt::format("SELECT {} FROM {}", cols, src.reader),
                           fmt::format("loading features {}", src.description));
  while (auto chunk = result.fetch()) {
    const auto assets = chunk.strings(1);
    const uint64_t* asset_valid = chunk.validity(1);
    for (size_t r = 0; r < chunk.size(); ++r) {
      const Timestamp ts = Timestamp::from_nanos(chunk.data<int64_t>(0)[r]);
      auto value = [&](size_t i) {
        return duck::DataChunk::is_valid(chunk.validity(i + 2), r) ? chunk.data<double>(i + 2)[r] : kMissing;
      };
      if (!duck::DataChunk::is_valid(asset_valid, r)) {
        market_.times.push_back(ts);
        for (size_t c : market_cols) market_.values.push_back(value(c));
      } else {
        Series& s = per_asset_[std::string(assets[r])];
        s.times.push_back(ts);
        for (size_t c : feature_cols) s.values.push_back(value(c));
      }
    }
  }
  auto sort_series = [](Series& s, size_t width) {
    if (std::is_sorted(s.times.begin(), s.times.end())) return;
    std::vector<size_t> order(s.times.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.times[a] < s.times[b]; });
    Series sorted;
    for (size_t i : order) {
      sorted.times.push_back(s.times[i]);
      sorted.values.insert(sorted.values.end(), s.values.begin() + static_cast<ptrdiff_t>(i * width),
                           s.values.begin() + static_cast<ptrdiff_t>((i + 1) * width));
    }
    s = std::move(sorted);
  };
  for (auto& [asset, s] : per_asset_) sort_series(s, feature_cols.size());
  sort_series(market_, market_cols.size());
  loaded_ = true;
}

void PrecomputedFeatureProvider::lookup(const Series& series, size_t width, Timestamp ts, std::span<double> out) const {
  std::fill(out.begin(), out.end(), kMissing);
  // The latest row stamped at or before ts (the last of equal stamps).
  auto it = std::upper_bound(series.times.begin(), series.times.end(), ts);
  if (it == series.times.begin()) return;
  const size_t row = static_cast<size_t>(it - series.times.begin()) - 1;
  const size_t n = std::min(width, out.size());
  std::copy_n(series.values.begin() + static_cast<ptrdiff_t>(row * width), n, out.begin());
}

void PrecomputedFeatureProvider::get_features(std::string_view asset, Timestamp ts, std::span<double> out) {
  if (!loaded_) load();
  auto it = per_asset_.find(std::string(asset));
  if (it == per_asset_.end()) {
    std::fill(out.begin(), out.end(), kMissing);
    return;
  }
  lookup(it->second, feature_names_.size(), ts, out);
}

void PrecomputedFeatureProvider::get_market_features(Timestamp ts, std::span<double> out) {
  if (!loaded_) load();
  lookup(market_, market_names_.size(), ts, out);
}

// ------------------------------------------------------------------ Callable

CallableFeatureProvider::CallableFeatureProvider(std::vector<std::string> feature_names, ComputeFn compute_fn,
                                                 std::vector<std::string> market_names,
                                                 ComputeMarketFn compute_market_fn, bool cache)
    : feature_names_(std::move(feature_names)),
      market_names_(std::move(market_names)),
      compute_fn_(std::move(compute_fn)),
      compute_market_fn_(std::move(compute_market_fn)),
      cache_(cache) {
  if (!feature_names_.empty() && !compute_fn_) {
    throw ConfigError("CallableFeatureProvider: feature names given but no compute_fn");
  }
  if (!market_names_.empty() && !compute_market_fn_) {
    throw ConfigError("CallableFeatureProvider: market feature names given but no compute_market_fn");
  }
}

namespace {

void copy_result(const std::vector<double>& values, std::span<double> out, size_t expected, std::string_view what) {
  if (values.size() > expected) {
    throw ConfigError(
        fmt::format("CallableFeatureProvider: {} returned {} values for {} names; return one value per "
                    "name, in order",
                    what, values.size(), expected));
  }
  std::fill(out.begin(), out.end(), kMissing);
  std::copy_n(values.begin(), std::min(values.size(), out.size()), out.begin());
}

}  // namespace

void CallableFeatureProvider::get_features(std::string_view asset, Timestamp ts, std::span<double> out) {
  if (!compute_fn_) {
    std::fill(out.begin(), out.end(), kMissing);
    return;
  }
  if (cache_) {
    auto key = std::make_pair(std::string(asset), ts.nanos());
    auto it = cache_values_.find(key);
    if (it == cache_values_.end()) {
      ++calls_;
      it = cache_values_.emplace(std::move(key), compute_fn_(asset, ts)).first;
    }
    copy_result(it->second, out, feature_names_.size(), "compute_fn");
    return;
  }
  ++calls_;
  copy_result(compute_fn_(asset, ts), out, feature_names_.size(), "compute_fn");
}

void CallableFeatureProvider::get_market_features(Timestamp ts, std::span<double> out) {
  if (!compute_market_fn_) {
    std::fill(out.begin(), out.end(), kMissing);
    return;
  }
  if (cache_) {
    auto it = cache_market_.find(ts.nanos());
    if (it == cache_market_.end()) {
      ++calls_;
      it = cache_market_.emplace(ts.nanos(), compute_market_fn_(ts)).first;
    }
    copy_result(it->second, out, market_names_.size(), "compute_market_fn");
    return;
  }
  ++calls_;
  copy_result(compute_market_fn_(ts), out, market_names_.size(), "compute_market_fn");
}

}  // namespace ml4t::backtest
