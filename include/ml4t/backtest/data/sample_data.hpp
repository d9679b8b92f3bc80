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

struct SampleDataOptions {
  std::filesystem::path out_dir;                               //!< created if missing
  int symbols = 5;                                             //!< number of assets
  Timestamp start = Timestamp::from_civil(2024, 1, 2);         //!< first day (weekends skipped)
  int days = 60;                                               //!< trading days (weekdays)
  BarFrequency frequency = BarFrequency::kDaily;
  uint64_t seed = 42;
  int threads = 0;  //!< DuckDB threads for compression; 0 = all cores
};

struct SampleFile {
  std::filesystem::path path;
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

struct SampleDataSummary {
  std::vector<SampleFile> files;  //!< prices, signals, features, context
  std::vector<std::string> symbols;
  uint64_t bars = 0;
  uint64_t timestamps = 0;
  Timestamp first;
  Timestamp last;
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
