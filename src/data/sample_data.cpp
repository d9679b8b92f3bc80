#include "ml4t/backtest/data/sample_data.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <numbers>
#include <limits>
#include <thread>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

BarFrequency parse_bar_frequency(std::string_view text) {
  if (text == "1d" || text == "daily") return BarFrequency::kDaily;
  if (text == "1h" || text == "hourly") return BarFrequency::kHourly;
  if (text == "1min" || text == "1m" || text == "minute") return BarFrequency::kMinute;
  throw ConfigError(fmt::format("unknown bar frequency \"{}\"; use 1d, 1h or 1min", text));
}

std::string_view to_string(BarFrequency frequency) {
  switch (frequency) {
    case BarFrequency::kDaily: return "1d";
    case BarFrequency::kHourly: return "1h";
    case BarFrequency::kMinute: return "1min";
  }
  return "?";
}

namespace {

// xoshiro256** seeded by splitmix64: small, fast, and the same stream on every
// platform and standard library (std::normal_distribution is not specified exactly).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  /// Uniform in (0, 1).
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  /// Standard normal (Box-Muller; the second value is discarded to keep draws simple).
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> state_{};
};

constexpr std::array<const char*, 30> kTickers = {
    "AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "META", "TSLA", "JPM", "V",   "JNJ",
    "WMT",  "PG",   "XOM",   "UNH",  "HD",   "MA",   "BAC",  "KO",  "PEP", "CVX",
    "ABBV", "MRK",  "COST",  "AVGO", "ADBE", "CSCO", "CRM",  "NFLX", "AMD", "INTC"};

std::vector<std::string> make_symbols(int n) {
  std::vector<std::string> symbols;
  for (int i = 0; i < n; ++i) {
    symbols.push_back(i < static_cast<int>(kTickers.size()) ? std::string(kTickers[i]) : fmt::format("SYM{:03}", i));
  }
  std::sort(symbols.begin(), symbols.end());  // rows are sorted by (timestamp, asset)
  return symbols;
}

int bars_per_day(BarFrequency f) {
  switch (f) {
    case BarFrequency::kDaily: return 1;
    case BarFrequency::kHourly: return 7;
    case BarFrequency::kMinute: return 390;
  }
  return 1;
}

// Bar start times within a day: midnight for daily bars; for intraday bars the US
// session 09:30-16:00 New York taken as 14:30-21:00 UTC all year (no DST shifts).
int64_t bar_offset_ns(BarFrequency f, int bar) {
  constexpr int64_t kMinute = 60'000'000'000LL;
  switch (f) {
    case BarFrequency::kDaily: return 0;
    case BarFrequency::kHourly: return (14 * 60 + 30 + 60 * bar) * kMinute;
    case BarFrequency::kMinute: return (14 * 60 + 30 + bar) * kMinute;
  }
  return 0;
}

// Every value of one (timestamp, asset) row, whatever file is being written.
struct SampleRow {
  int64_t ts_micros;
  double open, high, low, close;
  int64_t volume;
  double ml_pred, confidence;
  double rsi_14, atr_20;  // NaN during warm-up
};

struct SampleContext {
  double vix, spy_return, market_regime;
};

// The synthetic market, stepped one timestamp at a time. Each file's producer runs its
// own copy from the same seed, so the four files agree row for row.
class SampleMarket {
 public:
  SampleMarket(const SampleDataOptions& options, size_t num_assets)
      : options_(options), rng_(options.seed), bars_per_day_(bars_per_day(options.frequency)) {
    Rng params(options.seed ^ 0x5eedULL);
    assets_.resize(num_assets);
    for (auto& a : assets_) {
      const double annual_vol = 0.18 + 0.27 * params.uniform();
      a.bar_sigma = annual_vol / std::sqrt(252.0 * bars_per_day_);
      a.drift = 0.06 / (252.0 * bars_per_day_);
      a.close = std::round((20.0 + 480.0 * params.uniform()) * 100.0) / 100.0;
      a.base_volume = (2e5 + 5e6 * params.uniform()) / bars_per_day_;
    }
    day_ = first_weekday(options.start);
    draw_next_shocks();
    for (auto& a : assets_) a.z = a.z_next;
  }

  bool done() const { return day_index_ >= options_.days; }
  size_t num_assets() const { return assets_.size(); }

  /// Fill rows[i] for every asset at the current timestamp and the context, then advance.
  void step(std::vector<SampleRow>& rows, SampleContext& context) {
    const int64_t ts_ns = day_.nanos() + bar_offset_ns(options_.frequency, bar_);
    draw_next_shocks();
    const bool first_bar_of_day = bar_ == 0;
    double market_return = 0;
    rows.resize(assets_.size());
    for (size_t i = 0; i < assets_.size(); ++i) {
      AssetState& a = assets_[i];
      SampleRow& row = rows[i];
      row.ts_micros = ts_ns / 1000;
      // Overnight gaps are larger than the tiny gaps between consecutive minutes.
      const double gap_sigma = first_bar_of_day ? a.bar_sigma * 0.3 * std::sqrt(bars_per_day_) : a.bar_sigma * 0.05;
      const double gap = gap_sigma * rng_.normal();
      const double log_return = a.drift + a.bar_sigma * a.z;
      const double prev_close = a.close;
      row.open = prev_close * std::exp(gap);
      row.close = prev_close * std::exp(log_return);
      row.high = std::max(row.open, row.close) * std::exp(std::abs(rng_.normal()) * a.bar_sigma * 0.5);
      row.low = std::min(row.open, row.close) * std::exp(-std::abs(rng_.normal()) * a.bar_sigma * 0.5);
      row.volume = static_cast<int64_t>(std::llround(a.base_volume * (0.5 + rng_.uniform()) * (1.0 + std::abs(a.z))));
      // Honest signal: the bar just seen (no edge) plus a small edge on the next bar.
      const double score = 1.0 * a.z + 0.1 * a.z_next + 1.0 * rng_.normal();
      row.ml_pred = 1.0 / (1.0 + std::exp(-score));
      row.confidence = 0.5 + 0.5 * rng_.uniform();
      update_indicators(a, row, prev_close);
      market_return += std::exp(log_return) - 1.0;
      a.close = row.close;
      a.z = a.z_next;
    }
    market_return /= static_cast<double>(assets_.size());
    // VIX: mean-reverting around 18, up when the market falls.
    const double dt = 1.0 / bars_per_day_;
    vix_ += 0.05 * (18.0 - vix_) * dt - 1.2 * market_shock_ * std::sqrt(dt) + 0.6 * context_noise_ * std::sqrt(dt);
    vix_ = std::clamp(vix_, 9.0, 80.0);
    if (regime_draw_ < 0.02 * dt) regime_ = 1.0 - regime_;
    context = SampleContext{vix_, market_return, regime_};
    market_shock_ = market_shock_next_;
    advance_clock();
  }

 private:
  struct AssetState {
    double bar_sigma, drift, close, base_volume;
    double z = 0, z_next = 0;
    // Wilder RSI(14) and ATR(20) state.
    int changes = 0;
    double avg_gain = 0, avg_loss = 0, atr = 0;
    int true_ranges = 0;
  };

  static Timestamp first_weekday(Timestamp t) {
    using namespace std::chrono;
    auto day = floor<days>(t.time_point());
    while (weekday{sys_days{day}}.c_encoding() == 0 || weekday{sys_days{day}}.c_encoding() == 6) day += days{1};
    return Timestamp(time_point_cast<nanoseconds>(sys_days{day}));
  }

  void draw_next_shocks() {
    market_shock_next_ = rng_.normal();
    for (auto& a : assets_) a.z_next = 0.5 * market_shock_next_ + std::sqrt(0.75) * rng_.normal();
    context_noise_ = rng_.normal();
    regime_draw_ = rng_.uniform();
  }

  void update_indicators(AssetState& a, SampleRow& row, double prev_close) {
    constexpr int kRsi = 14, kAtr = 20;
    const bool has_prev = a.true_ranges > 0;
    const double tr = has_prev ? std::max({row.high - row.low, std::abs(row.high - prev_close),
                                           std::abs(row.low - prev_close)})
                               : row.high - row.low;
    ++a.true_ranges;
    if (a.true_ranges <= kAtr) {
      a.atr += tr / kAtr;  // the first ATR is the mean of the first 20 true ranges
    } else {
      a.atr = (a.atr * (kAtr - 1) + tr) / kAtr;
    }
    row.atr_20 = a.true_ranges >= kAtr ? a.atr : std::nan("");
    if (has_prev) {
      const double change = row.close - prev_close;
      const double gain = std::max(change, 0.0), loss = std::max(-change, 0.0);
      ++a.changes;
      if (a.changes <= kRsi) {
        a.avg_gain += gain / kRsi;
        a.avg_loss += loss / kRsi;
      } else {
        a.avg_gain = (a.avg_gain * (kRsi - 1) + gain) / kRsi;
        a.avg_loss = (a.avg_loss * (kRsi - 1) + loss) / kRsi;
      }
    }
    if (a.changes >= kRsi) {
      row.rsi_14 = a.avg_loss == 0 ? 100.0 : 100.0 - 100.0 / (1.0 + a.avg_gain / a.avg_loss);
    } else {
      row.rsi_14 = std::nan("");
    }
  }

  void advance_clock() {
    if (++bar_ < bars_per_day_) return;
    bar_ = 0;
    ++day_index_;
    day_ = first_weekday(day_ + std::chrono::hours(24));
  }

  SampleDataOptions options_;
  Rng rng_;
  int bars_per_day_;
  std::vector<AssetState> assets_;
  Timestamp day_;
  int day_index_ = 0;
  int bar_ = 0;
  double market_shock_ = 0, market_shock_next_ = 0, context_noise_ = 0, regime_draw_ = 0;
  double vix_ = 18.0, regime_ = 0.0;
};

enum class SampleKind { kPrices, kSignals, kFeatures, kContext };

std::vector<duck::ColumnSpec> columns_of(SampleKind kind) {
  using duck::ColumnType;
  switch (kind) {
    case SampleKind::kPrices:
      return {{"timestamp", ColumnType::kTimestampTz}, {"asset_id", ColumnType::kVarchar},
              {"open", ColumnType::kDouble},           {"high", ColumnType::kDouble},
              {"low", ColumnType::kDouble},            {"close", ColumnType::kDouble},
              {"volume", ColumnType::kInt64}};
    case SampleKind::kSignals:
      return {{"timestamp", ColumnType::kTimestampTz}, {"asset_id", ColumnType::kVarchar},
              {"ml_pred", ColumnType::kDouble},        {"confidence", ColumnType::kDouble}};
    case SampleKind::kFeatures:
      return {{"timestamp", ColumnType::kTimestampTz}, {"asset_id", ColumnType::kVarchar},
              {"rsi_14", ColumnType::kDouble},         {"atr_20", ColumnType::kDouble}};
    case SampleKind::kContext:
      return {{"timestamp", ColumnType::kTimestampTz}, {"vix", ColumnType::kDouble},
              {"spy_return", ColumnType::kDouble},     {"market_regime", ColumnType::kDouble}};
  }
  return {};
}

// Streams one file's rows into DuckDB, chunk by chunk, straight from the simulation.
class SampleProducer final : public duck::ChunkProducer {
 public:
  SampleProducer(const SampleDataOptions& options, const std::vector<std::string>& symbols, SampleKind kind)
      : market_(options, symbols.size()), symbols_(symbols), kind_(kind) {}

  size_t produce(duck::OutputChunk& out) override {
    const size_t capacity = out.capacity();
    size_t n = 0;
    while (n < capacity) {
      if (next_ >= pending_) {
        if (market_.done()) break;
        market_.step(rows_, context_);
        next_ = 0;
        pending_ = kind_ == SampleKind::kContext ? 1 : rows_.size();
      }
      write_row(out, n++);
      ++next_;
    }
    return n;
  }

 private:
  static void put(duck::OutputChunk& out, size_t column, size_t row, double value) {
    if (std::isnan(value)) {
      out.set_null(column, row);
    } else {
      out.column<double>(column)[row] = value;
    }
  }

  void write_row(duck::OutputChunk& out, size_t r) {
    if (kind_ == SampleKind::kContext) {
      out.column<int64_t>(0)[r] = rows_[0].ts_micros;
      out.column<double>(1)[r] = context_.vix;
      out.column<double>(2)[r] = context_.spy_return;
      out.column<double>(3)[r] = context_.market_regime;
      return;
    }
    const SampleRow& row = rows_[next_];
    out.column<int64_t>(0)[r] = row.ts_micros;
    out.set_string(1, r, symbols_[next_]);
    switch (kind_) {
      case SampleKind::kPrices:
        out.column<double>(2)[r] = row.open;
        out.column<double>(3)[r] = row.high;
        out.column<double>(4)[r] = row.low;
        out.column<double>(5)[r] = row.close;
        out.column<int64_t>(6)[r] = row.volume;
        break;
      case SampleKind::kSignals:
        out.column<double>(2)[r] = row.ml_pred;
        out.column<double>(3)[r] = row.confidence;
        break;
      case SampleKind::kFeatures:
        put(out, 2, r, row.rsi_14);
        put(out, 3, r, row.atr_20);
        break;
      case SampleKind::kContext: break;
    }
  }

  SampleMarket market_;
  const std::vector<std::string>& symbols_;
  SampleKind kind_;
  std::vector<SampleRow> rows_;
  SampleContext context_{};
  size_t next_ = 0, pending_ = 0;
};

}  // namespace

SampleDataSummary generate_sample_data(const SampleDataOptions& options) {
  if (options.symbols < 1) throw ConfigError(fmt::format("--symbols must be at least 1 (got {})", options.symbols));
  if (options.days < 1) throw ConfigError(fmt::format("--days must be at least 1 (got {})", options.days));
  if (options.out_dir.empty()) throw ConfigError("an output directory is required (--out DIR)");
  // Trading days are weekdays: the last one is at most days * 7/5 + 3 calendar days on.
  // Past 2262-04-11 the nanosecond clock would wrap to 1677, so refuse instead.
  const long double last_ns = static_cast<long double>(options.start.nanos()) +
                              (static_cast<long double>(options.days) * 7 / 5 + 4) * 86400e9L;
  if (last_ns > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    throw ConfigError(fmt::format("--start {} with --days {} runs past 2262-04-11, the last day nanosecond "
                                  "timestamps can hold; choose an earlier --start or fewer --days",
                                  options.start.to_string(), options.days));
  }
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) {
    throw OutputError(fmt::format("cannot create output directory {}: {}; choose a writable location",
                                  options.out_dir.string(), ec.message()));
  }

  SampleDataSummary summary;
  summary.symbols = make_symbols(options.symbols);
  const std::array<std::pair<SampleKind, const char*>, 4> outputs = {{{SampleKind::kPrices, "prices.parquet"},
                                                                      {SampleKind::kSignals, "signals.parquet"},
                                                                      {SampleKind::kFeatures, "features.parquet"},
                                                                      {SampleKind::kContext, "context.parquet"}}};
  duck::DatabaseOptions db_options;
  db_options.threads = options.threads;
  duck::Database db(db_options);
  // Each file is one single-threaded producer; write them two at a time so both cores
  // simulate while DuckDB compresses.
  std::vector<std::exception_ptr> errors(outputs.size());
  auto write_file = [&](size_t index) {
    try {
      const auto [kind, name] = outputs[index];
      duck::Connection con(db);
      const std::string function = fmt::format("ml4t_sample_{}", index);
      con.register_table_function(function, columns_of(kind), [&options, &summary, kind = kind] {
        return std::make_unique<SampleProducer>(options, summary.symbols, kind);
      });
      const auto path = options.out_dir / name;
      const auto tmp = options.out_dir / (std::string(name) + ".tmp");
      con.execute(fmt::format("COPY (SELECT * FROM {}()) TO {} (FORMAT parquet, COMPRESSION zstd, "
                              "ROW_GROUP_SIZE 122880)",
                              function, duck::quote_literal(tmp.string())),
                  fmt::format("writing {}", path.string()));
      std::filesystem::rename(tmp, path);
    } catch (...) {
      // A failed write (disk full, ...) must not leave its partial file behind.
      std::error_code ignored;
      std::filesystem::remove(options.out_dir / (std::string(outputs[index].second) + ".tmp"), ignored);
      errors[index] = std::current_exception();
    }
  };
  for (size_t i = 0; i < outputs.size(); i += 2) {
    std::thread second(write_file, i + 1);
    write_file(i);
    second.join();
  }
  for (auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }

  duck::Connection con(db);
  for (const auto& [kind, name] : outputs) {
    SampleFile file;
    file.path = options.out_dir / name;
    file.bytes = std::filesystem::file_size(file.path);
    auto result = con.query(fmt::format("SELECT num_rows FROM parquet_file_metadata({})",
                                        duck::quote_literal(file.path.string())));
    auto chunk = result.fetch();
    file.rows = static_cast<uint64_t>(chunk.data<int64_t>(0)[0]);
    summary.files.push_back(file);
  }
  auto range = con.query(fmt::format("SELECT epoch_us(min(timestamp)), epoch_us(max(timestamp)), count(*) FROM {}",
                                     duck::quote_literal(summary.files[3].path.string())));
  auto chunk = range.fetch();
  summary.first = Timestamp::from_micros(chunk.data<int64_t>(0)[0]);
  summary.last = Timestamp::from_micros(chunk.data<int64_t>(1)[0]);
  summary.timestamps = static_cast<uint64_t>(chunk.data<int64_t>(2)[0]);
  summary.bars = summary.files[0].rows;
  summary.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace ml4t::backtest
