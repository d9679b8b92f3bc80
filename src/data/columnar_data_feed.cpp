#include "ml4t/backtest/data/columnar_data_feed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <future>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "data/one_value_per_stamp.hpp"
#include "data/source_scan.hpp"
#include "data/timing_check.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/feature_provider.hpp"

namespace ml4t::backtest {

namespace {

using detail::ResolvedSource;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Nanoseconds per unit of the timestamp type a scan streams (see scan_sql: VARCHAR is
// cast to TIMESTAMPTZ and DATE to TIMESTAMP, both microseconds).
int64_t ns_per_unit(duck::ColumnType source_type) {
  switch (source_type) {
    case duck::ColumnType::kTimestampNs:
      return 1;
    case duck::ColumnType::kTimestampMs:
      return 1'000'000;
    case duck::ColumnType::kTimestampS:
      return 1'000'000'000;
    default:
      return 1000;
  }
}

// One streaming scan: a connection of its own (DuckDB allows one open stream per
// connection), the current chunk, and the chunk's timestamps converted to ns. With
// `with_origin` the scan ends with each row's file and row number (scan_sql's
// with_origin).
class Cursor {
 public:
  void open(duck::Database& db, const ResolvedSource& src, const std::string& sql, bool with_origin = false) {
    con_ = std::make_unique<duck::Connection>(db);
    detail::prepare_connection(*con_);
    src_ = &src;
    extra_ = with_origin ? 2 : 0;
    scale_ = ns_per_unit(src.ts_type);
    result_ =
        std::make_unique<duck::Result>(con_->stream(sql, fmt::format("reading {} {}", src.role, src.description)));
    ts_.reserve(2048);
  }
  bool is_open() const { return result_ != nullptr; }

  /// Make row() point at a row; false at the end of the scan.
  bool ensure() {
    if (row_ < size_) return true;
    if (done_) return false;
    chunk_ = result_->fetch();
    if (!chunk_ || chunk_.size() == 0) {
      done_ = true;
      size_ = row_ = 0;
      chunk_ = duck::DataChunk();
      return false;
    }
    size_ = chunk_.size();
    row_ = 0;
    ts_.resize(size_);
    const auto* raw = chunk_.data<int64_t>(0);
    if (const uint64_t* valid = chunk_.validity(0)) {
      for (size_t r = 0; r < size_; ++r) {
        if (!duck::DataChunk::is_valid(valid, r)) {
          throw DataError(fmt::format("{}: a row of {} has no timestamp (NULL in column \"{}\"); remove or fill it",
                                      src_->role, src_->description, src_->ts_column));
        }
      }
    }
    for (size_t r = 0; r < size_; ++r) {
      if (__builtin_mul_overflow(raw[r], scale_, &ts_[r])) {
        throw DataError(detail::timestamp_out_of_range(src_->role, src_->ts_column, src_->description));
      }
    }
    columns_ = chunk_.column_count();
    values_.resize(columns_);
    validity_.resize(columns_);
    for (size_t c = 2; c + extra_ < columns_; ++c) {
      values_[c] = chunk_.data<double>(c);
      validity_[c] = chunk_.validity(c);
    }
    asset_valid_ = chunk_.validity(1);
    assets_ = duck::StringColumn(chunk_.data<char>(1));
    if (extra_ > 0) {
      file_index_ = chunk_.data<int64_t>(columns_ - 2);
      file_rows_ = chunk_.data<int64_t>(columns_ - 1);
    }
    return true;
  }
  int64_t ts() const { return ts_[row_]; }
  size_t row() const { return row_; }
  void advance() { ++row_; }
  bool asset_null() const { return !duck::DataChunk::is_valid(asset_valid_, row_); }
  std::string_view asset() const { return assets_[row_]; }
  const char* asset_record() const { return assets_.record(row_); }
  /// Value column `i` (0-based among the values) of the current row; NaN when NULL.
  double value(size_t i) const {
    const size_t c = i + 2;
    return duck::DataChunk::is_valid(validity_[c], row_) ? values_[c][row_] : kMissing;
  }
  /// The current row's file (index in ResolvedSource::files); with_origin only.
  uint32_t file_id() const { return static_cast<uint32_t>(file_index_[row_]); }
  /// The current row's 0-based row in its file (-1 when unknown); with_origin only.
  int64_t file_row() const { return file_rows_[row_]; }
  duck::Connection& connection() { return *con_; }

 private:
  std::unique_ptr<duck::Connection> con_;
  std::unique_ptr<duck::Result> result_;
  const ResolvedSource* src_ = nullptr;
  duck::DataChunk chunk_;
  std::vector<int64_t> ts_;
  std::vector<const double*> values_;
  std::vector<const uint64_t*> validity_;
  const uint64_t* asset_valid_ = nullptr;
  duck::StringColumn assets_{nullptr};
  size_t row_ = 0, size_ = 0, columns_ = 0, extra_ = 0;
  int64_t scale_ = 1000;
  bool done_ = false;
  const int64_t* file_index_ = nullptr;
  const int64_t* file_rows_ = nullptr;
};

// The latest visible values per key (asset, or 0 for market-wide) and, per key, a short
// queue of values waiting out their lag. A value pushed when the key has seen `n` bars
// becomes visible at bar n + lag; values with the same visibility collapse (the newer
// row wins), so a queue never holds more than lag + 1 entries.
class AsOfState {
 public:
  AsOfState(size_t fields, int lag) : fields_(fields), lag_(static_cast<uint64_t>(lag)), cap_(lag_ + 1) {}

  void ensure_key(size_t key) {
    if (key < keys_) return;
    const size_t keys = std::max(key + 1, keys_ * 2);
    latest_.resize(keys * fields_, kMissing);
    if (lag_ > 0) {
      qvis_.resize(keys * cap_, 0);
      qval_.resize(keys * cap_ * fields_, kMissing);
      qhead_.resize(keys, 0);
      qsize_.resize(keys, 0);
    }
    keys_ = keys;
  }
  /// Store `values` for `key`, first visible at bar index `seen + lag`.
  /// `key` must be below a size given to ensure_key.
  template <typename Fill>
  void push(size_t key, uint64_t seen, Fill&& fill) {
    if (lag_ == 0) {
      fill(&latest_[key * fields_]);
      return;
    }
    const uint64_t vis = seen + lag_;
    uint32_t& size = qsize_[key];
    const uint32_t head = qhead_[key];
    if (size > 0) {
      const size_t back = key * cap_ + wrap(head + size - 1);
      if (qvis_[back] == vis) {
        fill(&qval_[back * fields_]);
        return;
      }
    }
    const size_t slot = key * cap_ + wrap(head + size);
    qvis_[slot] = vis;
    fill(&qval_[slot * fields_]);
    ++size;
  }
  /// Make every value due at bar index `bar` visible, and return the visible values.
  const double* settle(size_t key, uint64_t bar) {
    if (lag_ > 0) {
      uint32_t& size = qsize_[key];
      uint32_t& head = qhead_[key];
      while (size > 0 && qvis_[key * cap_ + head] <= bar) {
        const double* src = &qval_[(key * cap_ + head) * fields_];
        std::copy(src, src + fields_, &latest_[key * fields_]);
        head = static_cast<uint32_t>(wrap(head + 1));
        --size;
      }
    }
    return &latest_[key * fields_];
  }
  size_t fields() const { return fields_; }

 private:
  // i % cap_ for i < 2 * cap_, without a division (this runs per value row).
  uint64_t wrap(uint64_t i) const { return i >= cap_ ? i - cap_ : i; }

  size_t fields_;
  uint64_t lag_;
  uint64_t cap_;
  size_t keys_ = 0;
  std::vector<double> latest_;
  std::vector<uint64_t> qvis_;
  std::vector<double> qval_;
  std::vector<uint32_t> qhead_, qsize_;
};

// Guesses the next asset id from the previous one (data usually cycles the assets in
// the same order every timestamp) and confirms the guess by comparing DuckDB's 16-byte
// string record with the guess's (two integer compares for symbols up to 12 bytes).
class AssetResolver {
 public:
  /// The id of the current row's asset (runs once per row of every source: the
  /// confirmed guess stays inline, the lookup is out of line).
  [[gnu::always_inline]] AssetId resolve(SymbolTable& symbols, const Cursor& cur) {
    const char* record = cur.asset_record();
    const AssetId guess = prev_ == kNoAsset ? first_ : (prev_ < next_.size() ? next_[prev_] : kNoAsset);
    if (guess != kNoAsset && matches(symbols, guess, record, cur)) [[likely]] return remember(guess);
    return lookup(symbols, cur.asset());
  }
  /// A new run (timestamp group) starts: guess the previous run's first asset.
  void reset_run() { prev_ = kNoAsset; }

 private:
  struct Key {
    uint64_t lo = 0, hi = 0;
    bool inline_record = false;
  };
  [[gnu::noinline]] AssetId lookup(SymbolTable& symbols, std::string_view symbol) {
    const AssetId id = symbols.intern(symbol);
    learn(id, symbol);
    return remember(id);
  }
  bool matches(const SymbolTable& symbols, AssetId id, const char* record, const Cursor& cur) const {
    const Key& key = keys_[id];
    if (key.inline_record) {
      uint64_t lo, hi;
      std::memcpy(&lo, record, 8);
      std::memcpy(&hi, record + 8, 8);
      return lo == key.lo && hi == key.hi;
    }
    return symbols.names()[id] == cur.asset();
  }
  void learn(AssetId id, std::string_view symbol) {
    if (id >= keys_.size()) keys_.resize(std::max<size_t>(id + 1, keys_.size() * 2));
    Key& key = keys_[id];
    if (symbol.size() > duck::StringColumn::kInlineLength) return;
    char rec[duck::StringColumn::kRecordSize] = {};
    const auto length = static_cast<uint32_t>(symbol.size());
    std::memcpy(rec, &length, 4);
    std::memcpy(rec + 4, symbol.data(), symbol.size());
    std::memcpy(&key.lo, rec, 8);
    std::memcpy(&key.hi, rec + 8, 8);
    key.inline_record = true;
  }
  AssetId remember(AssetId id) {
    if (prev_ == kNoAsset) {
      first_ = id;
    } else {
      if (prev_ >= next_.size()) next_.resize(std::max<size_t>(prev_ + 1, next_.size() * 2), kNoAsset);
      next_[prev_] = id;
    }
    prev_ = id;
    return id;
  }
  std::vector<AssetId> next_;
  std::vector<Key> keys_;  //!< per asset id this resolver has seen
  AssetId prev_ = kNoAsset;
  AssetId first_ = kNoAsset;
};

// Row groups of a Parquet source in scan order: their sizes, whether their timestamp
// ranges overlap (then the source is certainly unsorted), and per row group the
// smallest timestamp of any later row group (ns; INT64_MAX after the last).
struct RowGroupPlan {
  std::vector<int64_t> rows;
  std::vector<int64_t> later_min_ns;
  bool overlapping = false;
};

// The plan from the Parquet footers (no row data), or nullopt when statistics are
// missing or cannot be read as timestamps.
std::optional<RowGroupPlan> row_group_plan(duck::Connection& con, const ResolvedSource& src) {
  if (src.csv || src.files.empty() || !duck::is_timestamp(src.ts_type)) return std::nullopt;
  try {
    std::string list;
    for (size_t i = 0; i < src.files.size(); ++i) list += (i ? ", " : "") + duck::quote_literal(src.files[i]);
    auto result = con.query(fmt::format(
        "SELECT file_name, row_group_id, row_group_num_rows, epoch_us(CAST(stats_min_value AS TIMESTAMPTZ)), "
        "epoch_us(CAST(stats_max_value AS TIMESTAMPTZ)) FROM parquet_metadata([{}]) WHERE path_in_schema = {}",
        list, duck::quote_literal(src.ts_column)));
    struct Group {
      size_t file;
      int64_t id, rows, min_us, max_us;
    };
    std::vector<Group> groups;
    std::map<std::string, size_t, std::less<>> file_index;
    for (size_t i = 0; i < src.files.size(); ++i) file_index.emplace(src.files[i], i);
    while (auto chunk = result.fetch()) {
      for (size_t r = 0; r < chunk.size(); ++r) {
        for (size_t c = 3; c < 5; ++c) {
          if (!duck::DataChunk::is_valid(chunk.validity(c), r)) return std::nullopt;  // no statistics
        }
        auto it = file_index.find(chunk.string_at(0, r));
        if (it == file_index.end()) return std::nullopt;
        groups.push_back(Group{it->second, chunk.data<int64_t>(1)[r], chunk.data<int64_t>(2)[r],
                               chunk.data<int64_t>(3)[r], chunk.data<int64_t>(4)[r]});
      }
    }
    std::sort(groups.begin(), groups.end(),
              [](const Group& a, const Group& b) { return a.file != b.file ? a.file < b.file : a.id < b.id; });
    RowGroupPlan plan;
    plan.later_min_ns.assign(groups.size(), std::numeric_limits<int64_t>::max());
    for (size_t k = 0; k < groups.size(); ++k) {
      plan.rows.push_back(groups[k].rows);
      if (k + 1 < groups.size() && groups[k].max_us > groups[k + 1].min_us) plan.overlapping = true;
    }
    // Statistics are truncated to microseconds: a floor, so the horizon stays safe.
    for (size_t k = groups.size(); k-- > 1;) {
      plan.later_min_ns[k - 1] = std::min(plan.later_min_ns[k], groups[k].min_us * 1000);
    }
    return plan;
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Checks in a background thread that a Parquet source's timestamps never decrease,
// one row group at a time, while the feed already streams it. A timestamp group T may
// be used once every row group holding rows <= T is verified: the rows after a
// verified prefix that ends a row group are >= the smallest later row-group minimum
// (the horizon). So sorted files start at once instead of after a full pre-scan, and
// an unsorted file is noticed before any wrong event is produced.
class OrderWatch {
 public:
  OrderWatch(duck::Database& db, const ResolvedSource& src, RowGroupPlan plan) : plan_(std::move(plan)) {
    thread_ = std::thread([this, &db, sql = detail::timestamp_sql(src, {}, false)] { run(db, sql); });
  }
  ~OrderWatch() {
    stop_ = true;
    thread_.join();
  }
  OrderWatch(const OrderWatch&) = delete;
  OrderWatch& operator=(const OrderWatch&) = delete;

  /// Wait until every row stamped <= ts is verified to be in order (true), or the
  /// source turned out unsorted (false).
  bool wait_safe(int64_t ts) {
    if (ts < horizon_.load(std::memory_order_acquire)) return true;
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return ts < horizon_.load() || failed_ || error_; });
    if (error_) std::rethrow_exception(error_);
    return ts < horizon_.load();
  }

 private:
  void run(duck::Database& db, const std::string& sql) {
    try {
      duck::Connection con(db);
      detail::prepare_connection(con);
      auto result = con.stream(sql, "checking the timestamp order");
      size_t group = 0;
      int64_t left = plan_.rows.empty() ? 0 : plan_.rows[0];
      int64_t prev = std::numeric_limits<int64_t>::min();
      while (!stop_) {
        auto chunk = result.fetch();
        if (!chunk || chunk.size() == 0) break;
        const auto* ts = chunk.data<int64_t>(0);
        const size_t n = chunk.size();
        bool ok = ts[0] >= prev;
        for (size_t r = 1; r < n; ++r) ok &= ts[r] >= ts[r - 1];
        if (!ok) return finish(false);
        prev = ts[n - 1];
        // Publish the horizon of each row group this chunk completes.
        int64_t taken = static_cast<int64_t>(n);
        int64_t horizon = std::numeric_limits<int64_t>::min();
        while (taken > 0 && group < plan_.rows.size()) {
          const int64_t step = std::min(taken, left);
          taken -= step;
          left -= step;
          if (left == 0) {
            horizon = plan_.later_min_ns[group];
            if (++group < plan_.rows.size()) left = plan_.rows[group];
          }
        }
        if (horizon != std::numeric_limits<int64_t>::min()) publish(horizon);
      }
      if (!stop_) publish(std::numeric_limits<int64_t>::max());
    } catch (...) {
      const std::lock_guard lock(mutex_);
      error_ = std::current_exception();
      cv_.notify_all();
    }
  }
  void publish(int64_t horizon) {
    const std::lock_guard lock(mutex_);
    horizon_.store(horizon, std::memory_order_release);
    cv_.notify_all();
  }
  void finish(bool ok) {
    const std::lock_guard lock(mutex_);
    failed_ = !ok;
    cv_.notify_all();
  }

  RowGroupPlan plan_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<int64_t> horizon_{std::numeric_limits<int64_t>::min()};
  std::atomic<bool> stop_{false};
  bool failed_ = false;
  std::exception_ptr error_;
};

struct StagedRow {
  AssetId asset;
  Bar bar;
};

void default_warning(const std::string& message) { std::cerr << "warning: " << message << '\n'; }

}  // namespace

// ------------------------------------------------------------------ Impl

struct ColumnarDataFeed::Impl {
  // A streamed source of per-asset and/or market-wide values.
  struct ValueSource {
    ResolvedSource src;
    Cursor cursor;
    bool sorted_by_duckdb = false;
    int64_t last_ts = std::numeric_limits<int64_t>::min();  //!< latest stamp consumed
    int64_t bound = std::numeric_limits<int64_t>::min();    //!< every row <= bound consumed
    std::unique_ptr<OrderWatch> watch;                      //!< order check running alongside
    std::vector<size_t> asset_values;                       //!< value indexes that are per-asset fields
    std::vector<size_t> market_values;                      //!< value indexes that are market-wide fields
    uint32_t signal_offset = 0;                             //!< FieldId of its first per-asset field
    uint32_t context_offset = 0;                            //!< FieldId of its first market field
    std::unique_ptr<AsOfState> per_asset;
    std::unique_ptr<AsOfState> market;
    AssetResolver resolver;
    bool market_only = false;  //!< context source: every row is market-wide
    detail::OneValuePerStamp one_per_stamp;  //!< context: refuse two values for one stamp
    // Signal-timing validation (SignalTiming::validate) of this source's per-asset rows.
    struct Consumed {
      AssetId id;
      uint32_t file;
      int64_t stamp;
      int64_t row;
    };
    std::unique_ptr<detail::TimingCheck> timing;
    std::vector<Consumed> consumed;  //!< rows of one advance call, checked once it can no longer restart
  };

  ColumnarFeedOptions options;
  std::shared_ptr<duck::Database> database;
  duck::Database& db;
  duck::Connection con;
  Schema schema;
  SymbolTable symbols;
  std::unique_ptr<Batch> batches[2];
  int current_batch = 0;
  ResolvedSource prices;
  Cursor price_cursor;
  std::unique_ptr<OrderWatch> price_watch;
  bool prices_sorted_by_duckdb = false;
  std::vector<bool> price_present;  //!< open, high, low, close, volume present
  std::vector<std::unique_ptr<ValueSource>> sources;
  std::shared_ptr<FeatureProvider> slow_provider;  //!< called per event (not streamed)
  uint32_t slow_signal_offset = 0, slow_context_offset = 0;
  std::vector<double> scratch;
  int lag = 1;
  detail::ScanFilter filter;        //!< prices: assets and the whole time range
  detail::ScanFilter value_filter;  //!< signals, features, context: assets and the range end

  bool started = false;
  bool naive_times = true;       //!< the prices' timestamps have no time zone
  bool integer_volume = false;  //!< the prices' volume column has an integer type
  bool finished = false;
  bool pending = false;  //!< batches[current_batch ^ 1] holds a built, unserved group
  int64_t last_ts = std::numeric_limits<int64_t>::min();
  int64_t emitted_ts = std::numeric_limits<int64_t>::min();  //!< time of the last group served
  uint64_t groups = 0;
  uint64_t dropped = 0;
  uint64_t rows_read = 0;
  std::vector<uint64_t> bars_seen;      //!< per asset
  std::vector<uint8_t> has_values;      //!< per asset: a signal/feature row arrived
  std::vector<int64_t> first_value_ts;  //!< per asset: its first signal/feature stamp
  std::vector<int64_t> bar_ts_ring;     //!< per asset: last lag+1 bar times (slow provider)
  std::vector<int64_t> group_ts_ring;   //!< last lag+1 group times (slow provider)
  std::vector<AssetId> verified_next;   //!< price asset order transitions known increasing
  std::vector<StagedRow> staged;
  AssetResolver price_resolver;
  std::vector<detail::TimingCheck*> timing_checks;  //!< of the sources with a timing check
  std::vector<uint64_t> bar_group;  //!< per asset: 1 + the last group with a bar of it (timing checks)
  int64_t range_start = std::numeric_limits<int64_t>::min();

  explicit Impl(ColumnarFeedOptions opts)
      : options(std::move(opts)),
        database(detail::shared_database(options.memory_limit, options.temp_directory, options.threads)),
        db(*database),
        con(db) {
    detail::prepare_connection(con);
    if (!options.on_warning) options.on_warning = default_warning;
    if (options.timing.mode == SignalTimingMode::kCustom && options.timing.lag < 0) {
      throw ConfigError(fmt::format("signal timing: CUSTOM lag must be >= 0 bars (got {})", options.timing.lag));
    }
    lag = options.timing.lag_bars();
    if (options.start && options.end && *options.start > *options.end) {
      throw ConfigError(fmt::format("time range: start {} is after end {}; swap them", options.start->to_string(),
                                    options.end->to_string()));
    }
    filter.assets = options.assets;
    filter.start = options.start;
    if (options.start) range_start = options.start->nanos();
    filter.end = options.end;
    // Values stamped before the range start still apply to its first bars, so only the
    // end of the range is pushed into the value scans.
    value_filter.assets = options.assets;
    value_filter.end = options.end;

    detail::SourceRequirements req;
    req.role = "prices";
    req.required_fields = {"open", "high", "low", "close"};
    req.optional_fields = {"volume"};
    req.values_are_required_only = true;
    prices = detail::resolve_source(con, options.prices, req, &filter);
    price_present = prices.present;
    naive_times = !detail::timestamps_zoned(con, prices);
    for (size_t i = 0; i < prices.field_names.size(); ++i) {
      if (prices.field_names[i] != "volume") continue;
      const duck::ColumnType t = prices.value_types[i];
      integer_volume = duck::is_numeric(t) && t != duck::ColumnType::kFloat && t != duck::ColumnType::kDouble &&
                       t != duck::ColumnType::kDecimal;
    }

    if (options.signals) {
      detail::SourceRequirements sreq;
      sreq.role = "signals";
      add_source(detail::resolve_source(con, *options.signals, sreq, &value_filter), {}, false,
                 options.timing.validate);
    }
    if (options.feature_provider) {
      if (const DataSource* fs = options.feature_provider->streamable_source()) {
        detail::SourceRequirements freq;
        freq.role = "features";
        auto src = detail::resolve_source(con, *fs, freq, &value_filter);
        add_source(std::move(src), options.feature_provider->market_feature_names(), false, options.timing.validate);
      } else {
        slow_provider = options.feature_provider;
        slow_signal_offset = static_cast<uint32_t>(schema.num_signals());
        for (const auto& name : slow_provider->feature_names()) schema.add_signal(name);
        slow_context_offset = static_cast<uint32_t>(schema.num_context());
        for (const auto& name : slow_provider->market_feature_names()) schema.add_context(name);
      }
    }
    if (options.context) {
      detail::SourceRequirements creq;
      creq.role = "context";
      creq.asset_required = false;
      auto src = detail::resolve_source(con, *options.context, creq, &value_filter);
      src.asset_column.clear();  // market-wide by definition: keyed by timestamp alone
      add_source(std::move(src), {}, true, false);
    }
    batches[0] = std::make_unique<Batch>(&schema, &symbols);
    batches[1] = std::make_unique<Batch>(&schema, &symbols);
  }

  void add_source(ResolvedSource src, const std::vector<std::string>& market_names, bool market_only,
                  bool check_timing) {
    auto vs = std::make_unique<ValueSource>();
    if (check_timing) {
      vs->timing = std::make_unique<detail::TimingCheck>(symbols, vs->src.files, lag, options.timing_examples);
      timing_checks.push_back(vs->timing.get());
    }
    vs->market_only = market_only;
    vs->signal_offset = static_cast<uint32_t>(schema.num_signals());
    vs->context_offset = static_cast<uint32_t>(schema.num_context());
    for (size_t i = 0; i < src.field_names.size(); ++i) {
      const bool market =
          market_only || std::find(market_names.begin(), market_names.end(), src.field_names[i]) != market_names.end();
      if (market) {
        vs->market_values.push_back(i);
        schema.add_context(src.field_names[i]);
      } else {
        vs->asset_values.push_back(i);
        schema.add_signal(src.field_names[i]);
      }
    }
    for (const auto& name : market_names) {
      if (std::find(src.field_names.begin(), src.field_names.end(), name) == src.field_names.end()) {
        throw DataError(fmt::format("{}: market-wide column \"{}\" is not in {} (columns found: [{}])", src.role, name,
                                    src.description, detail::join_names(src.all_columns)));
      }
    }
    if (!vs->asset_values.empty()) vs->per_asset = std::make_unique<AsOfState>(vs->asset_values.size(), lag);
    if (!vs->market_values.empty()) {
      vs->market = std::make_unique<AsOfState>(vs->market_values.size(), lag);
      vs->market->ensure_key(0);
    }
    vs->src = std::move(src);
    sources.push_back(std::move(vs));
  }

  // ---------------------------------------------------------------- start

  // True when the scan's timestamps never decrease (reads the timestamp column only).
  bool timestamps_sorted(const ResolvedSource& src, const detail::ScanFilter& f, bool filter_assets) {
    duck::Connection c(db);
    detail::prepare_connection(c);
    auto result = c.stream(detail::timestamp_sql(src, f, filter_assets),
                           fmt::format("checking the order of {} {}", src.role, src.description));
    int64_t prev = std::numeric_limits<int64_t>::min();
    while (auto chunk = result.fetch()) {
      const auto* ts = chunk.data<int64_t>(0);
      const size_t n = chunk.size();
      if (n == 0) break;
      // Branch-free scan of the chunk; NULL slots hold garbage but NULL timestamps
      // are rejected while streaming anyway.
      bool ok = ts[0] >= prev;
      for (size_t r = 1; r < n; ++r) ok &= ts[r] >= ts[r - 1];
      if (!ok) return false;
      prev = ts[n - 1];
    }
    return true;
  }

  bool needs_sort(const ResolvedSource& src, const detail::ScanFilter& f, bool filter_assets) {
    switch (options.order) {
      case OrderCheck::kSort:
        return true;
      case OrderCheck::kAssumeSorted:
        return false;
      case OrderCheck::kAuto:
        return !timestamps_sorted(src, f, filter_assets);
    }
    return true;
  }

  void start() {
    started = true;
    if (options.mixed_time_zones == MixedTimeZones::kError) {
      std::vector<const ResolvedSource*> all{&prices};
      for (const auto& vs : sources) all.push_back(&vs->src);
      for (const ResolvedSource* src : all) {
        if (auto message = detail::mixed_time_zones(con, *src); !message.empty()) throw DataError(message);
      }
    }
    // How each source gets into timestamp order. Under kAuto an unfiltered Parquet source
    // whose row groups do not overlap streams at once, checked alongside (OrderWatch);
    // overlapping row groups mean unsorted (ORDER BY); anything else gets a pre-scan of
    // its timestamps. The pre-scans run side by side.
    enum class Plan { kSort, kStream, kWatch, kPrescan };
    auto choose = [&](const ResolvedSource& src, bool unfiltered, std::optional<RowGroupPlan>& rg) {
      if (options.order == OrderCheck::kSort) return Plan::kSort;
      if (options.order == OrderCheck::kAssumeSorted) return Plan::kStream;
      if (unfiltered) rg = row_group_plan(con, src);
      if (!rg) return Plan::kPrescan;
      return rg->overlapping ? Plan::kSort : Plan::kWatch;
    };
    const size_t n = sources.size() + 1;
    std::vector<Plan> plans(n);
    std::vector<std::optional<RowGroupPlan>> rg_plans(n);
    plans[0] = choose(prices, filter.assets.empty() && !filter.start && !filter.end, rg_plans[0]);
    for (size_t i = 1; i < n; ++i) {
      const auto& vs = *sources[i - 1];
      const bool unfiltered = (vs.market_only || value_filter.assets.empty()) && !value_filter.end;
      plans[i] = choose(vs.src, unfiltered, rg_plans[i]);
    }
    std::vector<std::future<bool>> checks(n);
    for (size_t i = 0; i < n; ++i) {
      if (plans[i] != Plan::kPrescan) continue;
      const ResolvedSource* src = i == 0 ? &prices : &sources[i - 1]->src;
      const detail::ScanFilter* f = i == 0 ? &filter : &value_filter;
      const bool assets = i == 0 || !sources[i - 1]->market_only;
      checks[i] =
          std::async(std::launch::async, [this, src, f, assets] { return !timestamps_sorted(*src, *f, assets); });
    }
    std::exception_ptr error;
    for (size_t i = 0; i < n; ++i) {
      if (plans[i] != Plan::kPrescan) continue;
      try {
        plans[i] = checks[i].get() ? Plan::kSort : Plan::kStream;
      } catch (...) {
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
    prices_sorted_by_duckdb = plans[0] == Plan::kSort;
    if (plans[0] == Plan::kWatch) price_watch = std::make_unique<OrderWatch>(db, prices, std::move(*rg_plans[0]));
    price_cursor.open(db, prices, detail::scan_sql(prices, filter, prices_sorted_by_duckdb));
    for (size_t i = 1; i < n; ++i) {
      auto& vs = *sources[i - 1];
      vs.sorted_by_duckdb = plans[i] == Plan::kSort;
      if (plans[i] == Plan::kWatch) vs.watch = std::make_unique<OrderWatch>(db, vs.src, std::move(*rg_plans[i]));
      vs.cursor.open(db, vs.src,
                     detail::scan_sql(vs.src, value_filter, vs.sorted_by_duckdb, !vs.market_only, vs.timing != nullptr),
                     vs.timing != nullptr);
    }
  }

  // A watched source turned out unsorted. Everything used so far was verified, so
  // re-read the rest (rows after `after`) sorted by DuckDB.
  void restart(Cursor& cursor, const ResolvedSource& src, const detail::ScanFilter& base, int64_t after,
               bool filter_assets, bool with_origin = false) {
    detail::ScanFilter f = base;
    if (after != std::numeric_limits<int64_t>::min()) f.after = Timestamp::from_nanos(after);
    cursor = Cursor();
    cursor.open(db, src, detail::scan_sql(src, f, true, filter_assets, with_origin), with_origin);
  }

  void restart_prices(uint64_t rows_in_group) {
    price_watch.reset();
    prices_sorted_by_duckdb = true;
    rows_read -= rows_in_group;
    staged.clear();
    last_ts = emitted_ts;
    restart(price_cursor, prices, filter, emitted_ts, true);
  }

  void restart_source(ValueSource& vs) {
    vs.watch.reset();
    vs.sorted_by_duckdb = true;
    vs.last_ts = vs.bound;
    restart(vs.cursor, vs.src, value_filter, vs.bound, !vs.market_only, vs.timing != nullptr);
  }

  // ---------------------------------------------------------------- per asset state

  // Runs for every row of every source: the check inline, the growth out of line.
  void ensure_asset(AssetId id) {
    if (id >= bars_seen.size()) [[unlikely]]
      grow_assets(id);
  }
  [[gnu::noinline]] void grow_assets(AssetId id) {
    const size_t n = std::max<size_t>(id + 1, bars_seen.size() * 2);
    bars_seen.resize(n, 0);
    has_values.resize(n, 0);
    first_value_ts.resize(n, 0);
    verified_next.resize(n, kNoAsset);
    if (slow_provider) bar_ts_ring.resize(n * static_cast<size_t>(lag + 1), 0);
    if (!timing_checks.empty()) bar_group.resize(n, 0);
    for (auto* check : timing_checks) check->ensure_assets(n);
    for (auto& vs : sources) {
      if (vs->per_asset) vs->per_asset->ensure_key(n - 1);
    }
  }

  // Consume every value row stamped at or before `ts` into the as-of states.
  void advance_values(int64_t ts) {
    for (auto& vsp : sources) advance_source(*vsp, ts, false);
  }

  // `tail`: after the last bar, read the rest for the timing check only.
  void advance_source(ValueSource& vs, int64_t ts, bool tail) {
    Cursor& cur = vs.cursor;
    if (vs.watch && !vs.watch->wait_safe(ts)) restart_source(vs);
    vs.consumed.clear();
    while (cur.ensure() && cur.ts() <= ts) {
      if (cur.ts() < vs.last_ts) {
        if (!vs.watch) not_sorted(vs.src, Timestamp::from_nanos(cur.ts()), Timestamp::from_nanos(vs.last_ts));
        // Rows of this call re-read in order land on the same bar: they collapse.
        restart_source(vs);
        vs.consumed.clear();  // and are checked once
        continue;
      }
      vs.last_ts = cur.ts();
      if (vs.market_only || cur.asset_null()) {
        if (vs.market_only) check_one_value_per_stamp(vs);
        if (vs.market && !tail) {
          vs.market->push(0, groups, [&](double* out) {
            for (size_t i = 0; i < vs.market_values.size(); ++i) out[i] = cur.value(vs.market_values[i]);
          });
        }
      } else if (vs.per_asset || vs.timing) {
        const AssetId id = vs.resolver.resolve(symbols, cur);
        ensure_asset(id);
        if (vs.timing) vs.consumed.push_back({id, cur.file_id(), cur.ts(), cur.file_row()});
        if (vs.per_asset && !tail) {
          if (!has_values[id]) {
            has_values[id] = 1;
            first_value_ts[id] = cur.ts();
          }
          vs.per_asset->push(id, bars_seen[id], [&](double* out) {
            for (size_t i = 0; i < vs.asset_values.size(); ++i) out[i] = cur.value(vs.asset_values[i]);
          });
        }
      }
      cur.advance();
    }
    vs.bound = ts;
    if (vs.timing) check_consumed(vs, ts);
  }

  // The rows just consumed while building the group at `ts`: an asset's next bar is
  // the first at or after the row's stamp; it is exactly on it when the asset is in
  // this group and the stamp is `ts`.
  void check_consumed(ValueSource& vs, int64_t ts) {
    const uint64_t this_group = groups + 1;
    for (const auto& c : vs.consumed) {
      const bool on_bar = c.stamp == ts && bar_group[c.id] == this_group;
      vs.timing->value(c.id, c.stamp, bars_seen[c.id], on_bar, c.stamp < range_start, c.file, c.row);
    }
    vs.consumed.clear();
  }

  void check_one_value_per_stamp(ValueSource& vs) {
    // A context source's values are all market-wide, in file order: field_names[i] names value i.
    const Cursor& cur = vs.cursor;
    vs.one_per_stamp.check(
        cur.ts(), vs.market_values.size(), [&](size_t i) { return cur.value(vs.market_values[i]); }, vs.src.role,
        vs.src.description, vs.src.field_names);
  }

  [[noreturn]] void not_sorted(const ResolvedSource& src, Timestamp ts, Timestamp after) {
    throw DataError(
        fmt::format("{}: {} is not in timestamp order ({} comes after {}) although it was taken as "
                    "sorted; use order: sort (OrderCheck::kSort) or rewrite the data with "
                    "`ml4t-backtest data optimize`",
                    src.role, src.description, ts.to_string(), after.to_string()));
  }

  // ---------------------------------------------------------------- bad rows

  void bad_row(int64_t ts, AssetId id, const Bar& bar, std::string_view problem) {
    const std::string& symbol = symbols.names()[id];
    std::string message =
        fmt::format("prices: bad bar for asset {} at {}: {} (open={}, high={}, low={}, close={}, volume={})", symbol,
                    Timestamp::from_nanos(ts).to_string(), problem, bar.open, bar.high, bar.low, bar.close, bar.volume);
    reject(message, ts, symbol, "fix or remove the row");
  }

  void reject(std::string message, int64_t ts, const std::string& symbol, std::string_view fix) {
    ++dropped;
    if (options.bad_data == BadDataPolicy::kError) {
      const std::string where = detail::locate_row(con, prices, Timestamp::from_nanos(ts), symbol);
      throw DataError(fmt::format("{}{}; {}, or set bad_data: drop|warn to skip such rows", message,
                                  where.empty() ? "" : " in " + where, fix));
    }
    if (options.bad_data == BadDataPolicy::kWarn) options.on_warning(message + " (row skipped)");
  }

  static std::string_view check_bar(const Bar& b) {
    // One combined test on the happy path; NaN fails every comparison.
    const bool ok = (b.low > 0) & (b.high >= b.low) & (b.high < kInf) & (b.open >= b.low) & (b.open <= b.high) &
                    (b.close >= b.low) & (b.close <= b.high) & !(b.volume < 0) &
                    (b.volume < kInf || b.volume != b.volume);
    if (ok) return {};
    const double p[4] = {b.open, b.high, b.low, b.close};
    for (double v : p) {
      if (std::isnan(v)) return "a price is missing or NaN";
      if (std::isinf(v)) return "a price is infinite";
      if (v <= 0) return "a price is zero or negative";
    }
    if (b.high < b.low) return "high < low";
    if (b.open < b.low || b.open > b.high) return "open outside [low, high]";
    if (b.close < b.low || b.close > b.high) return "close outside [low, high]";
    return "volume is negative or infinite";
  }

  // ---------------------------------------------------------------- groups

  // Build the next timestamp group into `batch`; false at the end of the prices.
  bool build(Batch& batch) {
    Cursor& cur = price_cursor;
    while (true) {
      if (!cur.ensure()) return false;
      const int64_t ts = cur.ts();
      if (ts <= last_ts) {
        if (!price_watch) not_sorted(prices, Timestamp::from_nanos(ts), Timestamp::from_nanos(last_ts));
        restart_prices(0);
        continue;
      }
      last_ts = ts;
      const uint64_t rows_before = rows_read;
      // Stage the group's rows (a group may span chunks).
      staged.clear();
      bool in_order = true;
      AssetId prev = kNoAsset;
      price_resolver.reset_run();
      while (cur.ensure() && cur.ts() == ts) {
        ++rows_read;
        if (cur.asset_null()) {
          ++dropped;
          if (options.bad_data == BadDataPolicy::kError) {
            throw DataError(
                fmt::format("prices: a bar at {} in {} has no asset (NULL in column \"{}\"); fill it "
                            "or set bad_data: drop|warn",
                            Timestamp::from_nanos(ts).to_string(), prices.description, prices.asset_column));
          }
          cur.advance();
          continue;
        }
        const AssetId id = price_resolver.resolve(symbols, cur);
        ensure_asset(id);
        Bar bar;
        size_t v = 0;
        bar.open = cur.value(v++);
        bar.high = cur.value(v++);
        bar.low = cur.value(v++);
        bar.close = cur.value(v++);
        if (price_present[4]) bar.volume = cur.value(v);
        cur.advance();
        if (prev != kNoAsset && verified_next[prev] != id) {
          const int cmp = symbols.names()[prev].compare(symbols.names()[id]);
          if (cmp < 0) {
            verified_next[prev] = id;
          } else {
            in_order = false;  // sorted (and checked for duplicates) below
          }
        }
        if (const auto problem = check_bar(bar); !problem.empty()) {
          bad_row(ts, id, bar, problem);
          continue;
        }
        staged.push_back(StagedRow{id, bar});
        prev = id;
      }
      if (price_watch && !price_watch->wait_safe(ts)) {
        restart_prices(rows_read - rows_before);
        continue;
      }
      if (!in_order) sort_group(ts);
      if (staged.empty()) continue;  // every bar of this timestamp was dropped
      emit(batch, ts);
      return true;
    }
  }

  void sort_group(int64_t ts) {
    const auto& names = symbols.names();
    std::stable_sort(staged.begin(), staged.end(),
                     [&](const StagedRow& a, const StagedRow& b) { return names[a.asset] < names[b.asset]; });
    size_t out = 0;
    for (size_t i = 0; i < staged.size(); ++i) {
      if (out > 0 && staged[out - 1].asset == staged[i].asset) {
        reject(fmt::format("prices: duplicate bar for asset {} at {} (keep one bar per (timestamp, asset))",
                           names[staged[i].asset], Timestamp::from_nanos(ts).to_string()),
               ts, names[staged[i].asset], "remove the duplicate");
        continue;  // keep the first
      }
      staged[out++] = staged[i];
    }
    staged.resize(out);
  }

  void emit(Batch& batch, int64_t ts) {
    if (!timing_checks.empty()) {
      for (const StagedRow& row : staged) bar_group[row.asset] = groups + 1;
    }
    advance_values(ts);
    batch.clear();
    emitted_ts = ts;
    const uint32_t g = batch.begin_group(Timestamp::from_nanos(ts));
    const uint64_t group_index = groups++;
    for (auto& vsp : sources) {
      if (!vsp->market) continue;
      const double* v = vsp->market->settle(0, group_index);
      for (size_t f = 0; f < vsp->market_values.size(); ++f) {
        batch.set_context(g, FieldId{static_cast<uint32_t>(vsp->context_offset + f)}, v[f]);
      }
    }
    if (slow_provider) slow_context(batch, g, ts, group_index);
    // All rows of the group at once: one resize per column instead of a push_back per value.
    uint32_t r = batch.add_rows(staged.size());
    for (const StagedRow& row : staged) {
      batch.set_row(r, row.asset, row.bar);
      const uint64_t bar_index = bars_seen[row.asset]++;
      for (auto* check : timing_checks) check->bar(row.asset, bar_index, ts);
      for (auto& vsp : sources) {
        if (!vsp->per_asset) continue;
        const double* v = vsp->per_asset->settle(row.asset, bar_index);
        const uint32_t off = vsp->signal_offset;
        for (size_t f = 0; f < vsp->asset_values.size(); ++f) {
          batch.set_signal(r, FieldId{static_cast<uint32_t>(off + f)}, v[f]);
        }
      }
      if (slow_provider) slow_signals(batch, r, row.asset, ts, bar_index);
      ++r;
    }
  }

  // The feature provider is asked as of the bar `lag` bars back: a value stamped t is
  // visible at bar i exactly when t <= time of bar i - lag (same rule as the streams).
  void slow_signals(Batch& batch, uint32_t r, AssetId id, int64_t ts, uint64_t bar_index) {
    const size_t cap = static_cast<size_t>(lag) + 1;
    bar_ts_ring[id * cap + bar_index % cap] = ts;
    const size_t n = slow_provider->feature_names().size();
    if (n == 0 || bar_index < static_cast<uint64_t>(lag)) return;
    const int64_t asof = bar_ts_ring[id * cap + (bar_index - static_cast<uint64_t>(lag)) % cap];
    scratch.assign(n, kMissing);
    slow_provider->get_features(symbols.names()[id], Timestamp::from_nanos(asof), scratch);
    for (size_t f = 0; f < n; ++f)
      batch.set_signal(r, FieldId{static_cast<uint32_t>(slow_signal_offset + f)}, scratch[f]);
  }

  void slow_context(Batch& batch, uint32_t g, int64_t ts, uint64_t group_index) {
    const size_t cap = static_cast<size_t>(lag) + 1;
    if (group_ts_ring.empty()) group_ts_ring.assign(cap, 0);
    group_ts_ring[group_index % cap] = ts;
    const size_t n = slow_provider->market_feature_names().size();
    if (n == 0 || group_index < static_cast<uint64_t>(lag)) return;
    const int64_t asof = group_ts_ring[(group_index - static_cast<uint64_t>(lag)) % cap];
    scratch.assign(n, kMissing);
    slow_provider->get_market_features(Timestamp::from_nanos(asof), scratch);
    for (size_t f = 0; f < n; ++f)
      batch.set_context(g, FieldId{static_cast<uint32_t>(slow_context_offset + f)}, scratch[f]);
  }

  // A timing violation under fail_on_violation: no more events; the rest of the data
  // is only read to count and describe every violation, then the error is thrown.
  [[noreturn]] void stop_on_timing_violation(Batch& spare) {
    while (build(spare)) {
    }
    finish();
    throw SignalTimingViolation("signal timing: a violation was seen but not reported");  // not reached
  }

  // End of the prices: the timing reports (the values stamped after the last bar read
  // now), then values for assets that never had a bar are bad input.
  void finish_timing() {
    if (timing_checks.empty()) return;
    for (auto& vsp : sources) {
      if (vsp->timing) advance_source(*vsp, std::numeric_limits<int64_t>::max() - 1, true);
    }
    std::vector<TimingReport> reports;
    for (auto& vsp : sources) {
      if (!vsp->timing) continue;
      reports.push_back(vsp->timing->finish(bars_seen));
      const TimingReport& report = reports.back();
      if (options.timing.fail_on_violation && !report.is_valid) {
        throw SignalTimingViolation(
            detail::timing_violation_error(report, options.timing, vsp->src.description, prices.description));
      }
    }
    size_t i = 0;
    for (auto& vsp : sources) {
      if (!vsp->timing) continue;
      const TimingReport& report = reports[i++];
      if (options.on_timing_report) {
        options.on_timing_report(report);
      } else if (!report.is_valid) {
        options.on_warning(fmt::format("signal timing report for {}: {} problem(s); first: {}", vsp->src.description,
                                       report.total, report.violations.front().message));
      }
    }
  }

  void finish() {
    finished = true;
    finish_timing();
    for (AssetId id = 0; id < has_values.size() && id < symbols.size(); ++id) {
      if (!has_values[id] || bars_seen[id] > 0) continue;
      const std::string message = fmt::format(
          "signals/features: asset {} has values (first stamped {}) but no price bars{}; check the asset names "
          "or the asset filter",
          symbols.names()[id], Timestamp::from_nanos(first_value_ts[id]).to_string(),
          (options.start || options.end) ? " in the time range" : "");
      ++dropped;
      if (options.bad_data == BadDataPolicy::kError) {
        throw DataError(message + ", or set bad_data: drop|warn to ignore them");
      }
      if (options.bad_data == BadDataPolicy::kWarn) options.on_warning(message);
    }
  }

  bool timing_violated() const {
    for (const auto* check : timing_checks) {
      if (check->violated()) return true;
    }
    return false;
  }

  bool prefetch() {
    if (pending) return true;
    if (finished) return false;
    if (!started) start();
    Batch& next = *batches[current_batch ^ 1];
    if (build(next)) {
      if (options.timing.fail_on_violation && timing_violated()) stop_on_timing_violation(next);
      pending = true;
      return true;
    }
    finish();
    return false;
  }
};

// ------------------------------------------------------------------ ColumnarDataFeed

ColumnarDataFeed::ColumnarDataFeed(ColumnarFeedOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
ColumnarDataFeed::~ColumnarDataFeed() = default;

const Schema& ColumnarDataFeed::schema() const { return impl_->schema; }
const SymbolTable& ColumnarDataFeed::symbols() const { return impl_->symbols; }
const ColumnarFeedOptions& ColumnarDataFeed::options() const { return impl_->options; }

bool ColumnarDataFeed::naive_timestamps() const { return impl_->naive_times; }

bool ColumnarDataFeed::integer_volume() const { return impl_->integer_volume; }

bool ColumnarDataFeed::started() const { return impl_->started; }
uint64_t ColumnarDataFeed::dropped_rows() const { return impl_->dropped; }
uint64_t ColumnarDataFeed::rows_read() const { return impl_->rows_read; }
bool ColumnarDataFeed::sorted_by_duckdb() const {
  bool any = impl_->prices_sorted_by_duckdb;
  for (const auto& vs : impl_->sources) any = any || vs->sorted_by_duckdb;
  return any;
}

TimestampGroup ColumnarDataFeed::fetch_group() {
  if (!impl_->prefetch()) return {};
  impl_->pending = false;
  impl_->current_batch ^= 1;
  return TimestampGroup(*impl_->batches[impl_->current_batch], 0);
}

bool ColumnarDataFeed::has_more_groups() { return impl_->prefetch(); }

// ------------------------------------------------------------------ conveniences

namespace {

ColumnarFeedOptions parquet_options(std::string path, std::string asset, std::optional<std::string> signals,
                                    SignalTiming timing) {
  ColumnarFeedOptions o;
  o.prices = DataSource(std::move(path));
  o.prices.format = "parquet";
  if (!asset.empty()) o.assets = {std::move(asset)};
  if (signals) {
    o.signals = DataSource(std::move(*signals));
    o.signals->format = "parquet";
  }
  o.timing = timing;
  return o;
}

ColumnarFeedOptions csv_options(std::string path, std::vector<std::string> assets, std::optional<std::string> signals,
                                SignalTiming timing) {
  ColumnarFeedOptions o;
  o.prices = DataSource(std::move(path));
  o.prices.format = "csv";
  o.assets = std::move(assets);
  if (signals) {
    o.signals = DataSource(std::move(*signals));
    o.signals->format = "csv";
  }
  o.timing = timing;
  return o;
}

}  // namespace

ParquetDataFeed::ParquetDataFeed(std::string path, std::string asset, std::optional<std::string> signals_path,
                                 SignalTiming timing)
    : ColumnarDataFeed(parquet_options(std::move(path), std::move(asset), std::move(signals_path), timing)) {}

CSVDataFeed::CSVDataFeed(std::string path, std::vector<std::string> assets, std::optional<std::string> signals_path,
                         SignalTiming timing)
    : ColumnarDataFeed(csv_options(std::move(path), std::move(assets), std::move(signals_path), timing)) {}

}  // namespace ml4t::backtest
