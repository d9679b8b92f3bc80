// Small helpers shared by the engine's parts: signs, price validity, UTC days, share
// rounding tolerance and asset names for messages.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest::detail {

// Quantities computed as fractions of equity land a hair below a whole number
// (199.99999999997); this tolerance keeps them at 200 when rounding to shares.
inline constexpr double kShareEpsilon = 1e-9;

inline double sign_of(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

inline bool valid_price(double p) { return std::isfinite(p) && p > 0; }

/// Days since the epoch of the UTC date of `ts` (day orders expire by it).
inline int64_t utc_day(Timestamp ts) {
  constexpr int64_t kNanosPerDay = 86'400'000'000'000LL;
  const int64_t ns = ts.nanos();
  return ns >= 0 ? ns / kNanosPerDay : -((-ns + kNanosPerDay - 1) / kNanosPerDay);
}

/// The symbol of `asset` for messages, or "asset id N" when the feed has no such asset.
inline std::string asset_name(const SymbolTable& symbols, AssetId asset) {
  if (asset < symbols.size()) return symbols.name(asset);
  return fmt::format("asset id {}", asset);
}

}  // namespace ml4t::backtest::detail
