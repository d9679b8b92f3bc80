// Account settings: the `account` section (cash or margin account, leverage, initial and
// maintenance margin, what happens to short-sale proceeds, the margin-call policy) and
// the `financing` section (borrow fees on shorts, margin interest on debit balances,
// interest on cash credit, the day-count convention). Plain structs with the defaults a
// user gets when a key is absent; see docs/account.md for the rules they switch.
#pragma once

#include <filesystem>

namespace ml4t::backtest {

/// cash: no borrowing, free equity = equity - gross exposure (the engine's original
/// rule); margin: positions need only `initial_margin` of their value in equity.
enum class AccountType { kCash, kMargin };

/// credited: short-sale proceeds count as cash (they earn credit interest); held: the
/// broker holds them as collateral, so interest is computed on cash minus them.
enum class ShortProceeds { kHeld, kCredited };

/// What a margin account does when equity falls below maintenance margin at a close.
enum class MarginCallPolicy {
  kLiquidate,  //!< close positions, largest unrealized loss first, until the call is met
  kRejectNew,  //!< keep the positions, reject every order that adds exposure until it is met
};

/// Year fraction of an accrual over `days` calendar days: days / 360 or days / 365.
enum class DayCount { kActual360, kActual365 };

/// The `account` section.
struct AccountConfig {
  /// Cash (default, no leverage) or margin.
  AccountType type = AccountType::kCash;
  /// Max gross exposure / equity for a margin account; 0 = 1 / initial_margin (2 with the
  /// Reg-T-like default initial margin 0.5).
  double leverage = 0.0;
  /// Equity a margin account needs per unit of gross exposure when adding exposure; 0 =
  /// 1 / leverage when leverage is set, else 0.5 (Reg-T).
  double initial_margin = 0.0;
  /// Equity per unit of gross exposure below which a margin account is in a margin call
  /// (checked at each close); 0.25 by default (Reg-T-like).
  double maintenance_margin = 0.25;
  /// Whether short-sale proceeds count as cash for interest (default: held).
  ShortProceeds short_proceeds = ShortProceeds::kHeld;
  /// What a margin call does (default: liquidate).
  MarginCallPolicy margin_call = MarginCallPolicy::kLiquidate;
};

/// The `financing` section: annual rates accrued once per session close, on the balances
/// held over to the next session, for the calendar days until it.
struct FinancingConfig {
  /// Annual borrow fee on the market value of short positions (0.05 = 5%).
  double borrow_rate = 0.0;
  /// Per-asset, time-varying borrow rates: a Parquet/CSV file with columns timestamp,
  /// asset_id, rate and optionally available (bool). Looked up point in time; assets or
  /// times it does not cover use borrow_rate. Empty = none.
  std::filesystem::path borrow_schedule;
  /// A short whose current borrow rate is above this is hard to borrow: new shorts are
  /// rejected with the reason (0 = no threshold). `available: false` rejects too.
  double hard_to_borrow_rate = 0.0;
  /// Annual interest charged on a debit (negative) balance.
  double margin_interest_rate = 0.0;
  /// Annual interest paid on a credit (positive) balance.
  double credit_interest_rate = 0.0;
  /// Day-count convention of every accrual (default actual/360).
  DayCount day_count = DayCount::kActual360;
};

/// The equity per unit of gross exposure an account needs when it adds exposure: 1 for a
/// cash account; max(initial_margin, 1 / leverage) for a margin account, with the defaults
/// filled in.
double initial_margin_rate(const AccountConfig& account);

}  // namespace ml4t::backtest
