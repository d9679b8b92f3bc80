// Internal: market-wide values (context) must have one value per timestamp. A context
// file with two different rows for one stamp would otherwise have its later row win
// silently, and which one is "later" depends on how DuckDB ordered equal stamps.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest::detail {

class OneValuePerStamp {
 public:
  /// Record the market-wide row at `ts` (`fields` values, read by `value(i)`); throw
  /// DataError naming `role`, `file`, the stamp, the field and both values when a row
  /// with the same stamp held a different value. Equal repeats are harmless.
  template <typename Value>
  void check(int64_t ts, size_t fields, Value&& value, const std::string& role, const std::string& file,
             const std::vector<std::string>& names) {
    if (ts != ts_) {
      ts_ = ts;
      row_.resize(fields);
      for (size_t i = 0; i < fields; ++i) row_[i] = value(i);
      return;
    }
    for (size_t i = 0; i < fields; ++i) {
      const double v = value(i);
      const bool same = v == row_[i] || (std::isnan(v) && std::isnan(row_[i]));
      if (same) continue;
      throw DataError(fmt::format(
          "{}: two rows of {} are stamped {} with different values of \"{}\" ({} and {}); market-wide values need "
          "one row per timestamp: remove one of them",
          role, file, Timestamp::from_nanos(ts).to_string(), i < names.size() ? names[i] : std::string("?"), row_[i],
          v));
    }
  }

 private:
  int64_t ts_ = std::numeric_limits<int64_t>::min();
  std::vector<double> row_;
};

}  // namespace ml4t::backtest::detail
