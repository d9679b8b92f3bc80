// The account rules beyond a fill's buying-power check (which the portfolio does): the
// margin call checked at each close (liquidate the largest losers first, or reject new
// exposure), the hard-to-borrow check on new shorts, and the financing accrued at each
// session close — borrow fees on shorts (flat or from a point-in-time schedule), margin
// interest on a debit balance and interest on a cash credit — as cash-flow rows. See
// docs/account.md.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/portfolio.hpp"
#include "engine/run_recorder.hpp"
#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/data/account_inputs.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"

namespace ml4t::backtest::detail {

class Broker;
class Market;

/// One asset's borrow terms from a point in time on.
struct BorrowTerms {
  Timestamp from;
  double rate = 0;
  bool available = true;
  std::string where;  //!< file and row, for the rejection reason
};

class Account {
 public:
  Account(const EngineConfig& config, Portfolio& portfolio, RunRecorder& recorder, const SymbolTable& symbols);

  /// Grow the per-asset tables to the feed's assets (their borrow schedules).
  void resize(size_t assets);
  /// Whether anything happens at session boundaries (financing configured).
  bool accrues() const { return accrues_; }
  /// The first group of a new timestamp (before its fills): when it opens a new session,
  /// charge the financing of the balances held since the last session's close, stamped
  /// at that close, and replace that close's equity point.
  void begin_group(Timestamp now, int64_t session_day);
  /// At the close, before the equity point: a margin account below maintenance margin is
  /// in a margin call; with the liquidate policy positions are closed at this close.
  void check_margin(Broker& broker, const Market& market);
  /// Why an order that adds exposure (to `after`, signed) must be rejected now, or "".
  std::string entry_rejection(AssetId asset, double after, Timestamp now) const;

 private:
  void accrue(Timestamp at, int64_t days);
  /// The borrow terms of `asset` at `t` (point in time), or nullptr for the flat rate.
  const BorrowTerms* terms(AssetId asset, Timestamp t) const;
  double year_fraction(int64_t days) const;
  std::string name(AssetId asset) const { return asset_name(symbols_, asset); }

  const AccountConfig& account_;
  const FinancingConfig& financing_;
  Portfolio& portfolio_;
  RunRecorder& recorder_;
  const SymbolTable& symbols_;
  bool accrues_ = false;
  bool in_call_ = false;
  double call_equity_ = 0, call_required_ = 0;  //!< for the rejection reason
  int64_t last_day_ = 0;
  Timestamp last_close_;
  bool started_ = false;
  std::unordered_map<std::string, std::vector<BorrowTerms>> schedule_by_symbol_;
  std::vector<const std::vector<BorrowTerms>*> schedule_;  //!< per AssetId; nullptr = flat rate
};

}  // namespace ml4t::backtest::detail
