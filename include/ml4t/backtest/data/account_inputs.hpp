// The account's side inputs: a borrow-rate schedule (timestamp, asset_id, rate[,
// available]) and a corporate-actions file (timestamp, asset_id, type, ratio, amount,
// price). Small Parquet or CSV files read whole through DuckDB and checked row by row;
// every error names the file, the row and the fix.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

/// One row of a borrow schedule: the asset's rate from `from` on (until its next row).
struct BorrowRateRow {
  /// From when the rate applies.
  Timestamp from;
  /// The asset's symbol.
  std::string asset;
  double rate = 0;         //!< annual borrow fee (0.05 = 5%)
  bool available = true;   //!< false: the asset cannot be borrowed (new shorts are rejected)
  std::string where;       //!< "file row N", for messages
};

/// Read a borrow schedule, sorted by (asset, from). Throws DataError naming file and row
/// for a missing column, a missing or negative rate, or two rows of one asset at one
/// timestamp (overlapping schedules).
std::vector<BorrowRateRow> read_borrow_schedule(const std::filesystem::path& path);

enum class CorporateActionType { kSplit, kDividend, kDelist };

/// One corporate action, effective at the first bar at or after `timestamp` (the ex-date).
struct CorporateAction {
  /// The ex-date (or the delisting date).
  Timestamp timestamp;
  /// The asset's symbol.
  std::string asset;
  /// split, dividend or delist.
  CorporateActionType type = CorporateActionType::kSplit;
  double ratio = 0;    //!< split: new shares per old share (2 = 2-for-1)
  double amount = 0;   //!< dividend: cash per share
  double price = 0;    //!< delist: closing price (0 = the last close)
  std::string where;   //!< "file row N", for messages
};

/// Read a corporate-actions file, sorted by (timestamp, asset, file order). Throws
/// DataError naming file and row for an unknown type, a split ratio <= 0, a dividend
/// amount that is missing or negative, or a delisting price < 0.
std::vector<CorporateAction> read_corporate_actions(const std::filesystem::path& path);

}  // namespace ml4t::backtest
