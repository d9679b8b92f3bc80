// Engine settings: execution (capital, costs, fill timing, share rounding, shorting),
// risk rules, and the built-in strategies' parameters. Plain structs with the defaults
// a user gets when a key is absent; BacktestConfig (config/) fills them from YAML/JSON
// and the engine reads them. Field names mirror the config keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ml4t/backtest/engine/account_config.hpp"

namespace ml4t::backtest {

/// When an order placed while the strategy sees bar t can first fill.
enum class FillTiming {
  kNextBar,        //!< at bar t+1 (market orders at its open): the default, no look-ahead
  kSameBarClose,   //!< at bar t's close: a look-ahead risk, opt-in only
};

enum class CommissionType { kNone, kPerShare, kPercentage, kFixed };

/// Commission per fill: per_share = rate x |qty| (at least `minimum` per order);
/// percentage = rate x notional; fixed = rate per order.
struct CommissionConfig {
  /// How commission is computed.
  CommissionType type = CommissionType::kNone;
  /// Per share, fraction of notional, or amount per order, by type.
  double rate = 0.0;
  double minimum = 0.0;  //!< minimum per order (per_share and percentage)
};

enum class SlippageType { kNone, kPercentage, kFixed, kVolumeShare };

/// Price slippage, always against the trade: percentage = price x rate; fixed = rate in
/// price units; volume_share = price x rate x (qty / bar volume) (impact grows with size).
struct SlippageConfig {
  /// How slippage is computed.
  SlippageType type = SlippageType::kNone;
  /// Fraction of price, price units, or impact coefficient, by type.
  double rate = 0.0;
};

/// The `execution` section: capital, costs, fill timing, share rounding, shorting.
struct ExecutionConfig {
  /// Starting cash.
  double initial_capital = 100'000.0;
  /// Commission per fill.
  CommissionConfig commission;
  /// Price slippage per fill.
  SlippageConfig slippage;
  /// When an order can first fill (next bar by default).
  FillTiming fill_timing = FillTiming::kNextBar;
  bool fractional_shares = false;     //!< false: quantities are floored to whole shares
  /// False: orders that would open a short position are rejected.
  bool allow_short = true;
  /// Max fraction of a bar's volume one order may take (0 = no limit); the rest fills
  /// on later bars (partial fills).
  double max_volume_participation = 0.0;
  bool close_positions_at_end = false;  //!< close open positions at the last bar's close
  /// Bars per year for annualized metrics; 0 = detect from the bar spacing.
  double periods_per_year = 0.0;
};

/// Risk rules: 0 or absent disables a rule.
struct RiskRules {
  double max_position_size = 0.0;   //!< max fraction of equity in one position
  double stop_loss = 0.0;           //!< exit when price falls this fraction from entry
  double take_profit = 0.0;         //!< exit when price rises this fraction from entry
  double trailing_stop = 0.0;       //!< exit when price falls this fraction from its high-water mark
  int max_positions = 0;            //!< max open positions at once
  double max_gross_exposure = 0.0;  //!< max sum(|position value|) / equity
  std::optional<double> min_vix;    //!< block new entries while context_field < min_vix
  std::optional<double> max_vix;    //!< block new entries while context_field > max_vix
  /// Context field min_vix/max_vix look at.
  std::string context_field = "vix";
};

/// Everything BacktestEngine needs besides the feed and the strategy.
struct EngineConfig {
  /// Capital, costs and fill rules.
  ExecutionConfig execution;
  /// Position and entry limits.
  RiskRules risk_rules;
  /// Cash or margin account, margin rates, margin-call policy.
  AccountConfig account;
  /// Borrow fees, margin and credit interest.
  FinancingConfig financing;
};

enum class StrategySide { kLong, kShort, kBoth };

/// A built-in strategy chosen by name, with its parameters.
struct StrategySpec {
  std::string type = "signal_threshold";  //!< "signal_threshold" or "top_k"
  /// Per-asset field the strategy trades on.
  std::string signal = "ml_pred";
  /// Long only, short only, or both.
  StrategySide side = StrategySide::kLong;
  // signal_threshold
  /// signal_threshold: enter long when the signal is above this.
  double entry = 0.6;
  /// signal_threshold: exit a long when the signal falls below this.
  double exit = 0.5;
  std::optional<double> short_entry;  //!< enter short below this (side short/both)
  std::optional<double> short_exit;   //!< cover a short above this (default: exit)
  double size_pct = 0.1;              //!< fraction of equity per entry
  // top_k
  /// top_k: how many assets per side.
  int k = 5;
  /// top_k: bars between rebalances.
  int rebalance_every = 1;
  /// top_k: fraction of equity per asset (default gross_exposure / k).
  std::optional<double> weight_per_asset;
  /// top_k: total |weight| when weight_per_asset is not set.
  double gross_exposure = 1.0;
  // filters
  /// New entries only when confidence_signal >= this.
  std::optional<double> min_confidence;
  /// Per-asset field min_confidence looks at.
  std::string confidence_signal = "confidence";
  /// Context rules: new entries only while every rule holds, e.g. {"vix", "<", 20}.
  struct ContextRule {
    /// Context field the rule tests.
    std::string field;
    std::string op;  //!< one of < <= > >= == !=
    /// Right-hand side of the comparison.
    double value = 0.0;
  };
  /// All must hold for a new entry.
  std::vector<ContextRule> context_filters;
};

}  // namespace ml4t::backtest
