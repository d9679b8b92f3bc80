// Cash that moves without a fill: borrow fees on shorts, margin interest, interest on
// cash credit (accrued at each session close) and corporate-action cash. Each movement
// is one row of the `cashflows` result table and is in the equity curve.
#pragma once

#include <cstdint>
#include <string_view>

#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

enum class CashFlowType { kBorrowFee, kMarginInterest, kCreditInterest, kDividend };

/// One cash movement. Accruals are stamped at the session close they were charged at
/// and cover the calendar days until the next session.
struct CashFlow {
  /// When the cash moved (a session's last bar).
  Timestamp timestamp;
  /// The asset for borrow fees and dividends; kNoAsset for account interest.
  AssetId asset = kNoAsset;
  /// What it is.
  CashFlowType type = CashFlowType::kBorrowFee;
  double amount = 0;   //!< signed: > 0 credits cash, < 0 debits it
  double balance = 0;  //!< what it was computed on: short value, debit/credit balance, or shares
  double rate = 0;     //!< the annual rate, or the dividend per share
  int64_t days = 0;    //!< calendar days accrued (0 for dividends)
};

std::string_view to_string(CashFlowType type);

}  // namespace ml4t::backtest
