// Sample-data generator: a deterministic synthetic market (prices, ML signals,
// features, market context) written as zstd Parquet sorted by (timestamp, asset).
// Small sizes make test fixtures; the 24.57M-bar minute set feeds the benchmarks.
// Generation streams through DuckDB, so memory stays flat whatever the size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

enum class BarFrequency { kDaily, kHourly, kMinute };

/// Parses "1d", "1h" or "1min" (ConfigError otherwise).
BarFrequency parse_bar_frequency(std::string_view text);
std::string_view to_string(BarFrequency frequency);

/// What generate_sample_data writes: how many assets, days and bars, where, and the seed.
struct SampleDataOptions {
  std::filesystem::path out_dir;                               //!< created if missing
  int symbols = 5;                                             //!< number of assets
  Timestamp start = Timestamp::from_civil(2024, 1, 2);         //!< first day (weekends skipped)
  int days = 60;                                               //!< trading days (weekdays)
  /// Bar spacing: daily, hourly (7 bars a day) or minute (390 a day).
  BarFrequency frequency = BarFrequency::kDaily;
  /// Random seed: the same seed gives the same bytes.
  uint64_t seed = 42;
  int threads = 0;  //!< DuckDB threads for compression; 0 = all cores
};

/// One file generate_sample_data wrote.
struct SampleFile {
  /// Where it is.
  std::filesystem::path path;
  /// Rows written.
  uint64_t rows = 0;
  /// Size on disk.
  uint64_t bytes = 0;
};

/// What generate_sample_data wrote.
struct SampleDataSummary {
  std::vector<SampleFile> files;  //!< prices, signals, features, context
  /// The asset symbols.
  std::vector<std::string> symbols;
  /// Price bars (assets x timestamps).
  uint64_t bars = 0;
  /// Distinct bar times.
  uint64_t timestamps = 0;
  /// First bar time.
  Timestamp first;
  /// Last bar time.
  Timestamp last;
  /// Wall-clock time of the generation.
  double elapsed_seconds = 0;
};

/// Write prices.parquet, signals.parquet, features.parquet and context.parquet into
/// options.out_dir. The same options always give byte-identical data.
///
/// The market: each asset's bar return is a unit shock z (half market factor, half
/// idiosyncratic) scaled by the asset's volatility. `ml_pred` (in [0,1]) stamped at bar
/// t is logistic(1.0 z_t + 0.1 z_{t+1} + noise): mostly the bar just seen (honest, no
/// edge), plus a small honest edge on the next bar. A correct engine makes modest
/// money on it; one that lets a strategy see the signal a bar early makes absurd money.
SampleDataSummary generate_sample_data(const SampleDataOptions& options);

}  // namespace ml4t::backtest
