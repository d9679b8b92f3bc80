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

/// Which framework's documented rules a run follows (docs/execution.md, "Execution
/// profiles"). A profile is only a preset of the ExecutionRules switches below.
enum class ExecutionProfile { kDefault, kBacktrader, kVectorbt, kZipline };

/// In what order a bar's working orders are matched.
enum class OrderSequence {
  kExitsFirst,  //!< orders reducing a position first, then entries, each in placement order
  kSubmission,  //!< all in placement order (backtrader, zipline, vectorbt's column order)
};

/// What happens at a fill the buying power cannot pay for.
enum class CashCheck {
  kReject,  //!< the order is rejected with a reason (ours, backtrader)
  kResize,  //!< the fill is cut to what the cash affords, the rest dropped (vectorbt)
  kNone,    //!< no check: cash may go negative (zipline)
};

/// How order_target_percent/order_target_quantity round to whole shares.
enum class TargetRounding {
  kTarget,      //!< round the target toward zero, then order the difference (ours)
  kDifference,  //!< round the difference toward zero (backtrader, zipline)
};

/// The price a trailing stop (and the trailing_stop risk rule) trails.
enum class TrailReference {
  kHighLow,  //!< a sell trails each bar's high, a buy its low (ours, vectorbt)
  kClose,    //!< each bar's close (backtrader's trailadjust(close))
};

/// Whether commission minimums apply per order or to every fill.
enum class CommissionMinimum {
  kPerOrder,  //!< partial fills together pay at least the minimum (ours, zipline)
  kPerFill,   //!< each fill pays at least the minimum (backtrader)
};

/// The price of a market order on the bar it fills (fill_timing: next_bar).
enum class MarketFillPrice {
  kOpen,   //!< the bar's open (ours, backtrader)
  kClose,  //!< the bar's close (zipline's daily mode)
};

/// What limit, stop and stop-limit orders are tested and filled against.
enum class TriggerPrice {
  kOhlc,   //!< open, high, low (gaps fill at the open) (ours, backtrader, vectorbt stops)
  kClose,  //!< only the close, and they fill there (zipline)
};

/// The rule switches a profile sets; each can be set on its own under
/// `execution.rules` (applied after the profile).
struct ExecutionRules {
  OrderSequence order_sequence = OrderSequence::kExitsFirst;  //!< which of a bar's orders are matched first
  CashCheck cash_check = CashCheck::kReject;  //!< what an order the cash cannot pay for does
  TargetRounding target_rounding = TargetRounding::kTarget;  //!< order_target_*: what is rounded to shares
  /// order_target_*: subtract what open orders for the asset will still trade.
  bool target_nets_open_orders = true;
  TrailReference trail_reference = TrailReference::kHighLow;  //!< the price a trailing stop follows
  CommissionMinimum commission_minimum = CommissionMinimum::kPerOrder;  //!< where the commission minimum applies
  MarketFillPrice market_fill_price = MarketFillPrice::kOpen;  //!< the bar price a market order fills at
  TriggerPrice trigger_price = TriggerPrice::kOhlc;  //!< the bar prices that trigger stops and limits
};

/// backtrader-only options (`execution.backtrader`).
struct BacktraderOptions {
  /// BackBroker(checksubmit=True), backtrader's default: before a bar's matching, the
  /// orders placed since the last bar are pseudo-executed in placement order at their
  /// creation price against a running cash; those that take it below 0 are rejected.
  bool checksubmit = true;
};

/// zipline-only options (`execution.zipline`).
struct ZiplineOptions {
  /// Use zipline's default equity costs when `commission`/`slippage`/participation are
  /// not set: PerShare(0.001, min 0), FixedBasisPointsSlippage(5 bp, volume_limit 0.1).
  bool default_costs = false;
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
  /// The preset the rules came from (recorded; the engine reads only `rules`).
  ExecutionProfile profile = ExecutionProfile::kDefault;
  /// The rule switches (a profile's preset, then individual overrides).
  ExecutionRules rules;
  BacktraderOptions backtrader;  //!< used when profile is backtrader
  ZiplineOptions zipline;        //!< used when profile is zipline
};

/// Set the switches of `profile` on `execution` (vectorbt also sets fill_timing:
/// same_bar_close; zipline with zipline.default_costs also its cost models). Apply it
/// before individual overrides: config keys set after it win.
void apply_execution_profile(ExecutionConfig& execution, ExecutionProfile profile);

/// Config names of the profiles and switch values, in enum order (the config keys and
/// the result files use them).
namespace rule_names {
inline constexpr const char* kProfile[] = {"default", "backtrader", "vectorbt", "zipline"};  //!< ExecutionProfile
inline constexpr const char* kOrderSequence[] = {"exits_first", "submission"};  //!< OrderSequence
inline constexpr const char* kCashCheck[] = {"reject", "resize", "none"};  //!< CashCheck
inline constexpr const char* kTargetRounding[] = {"target", "difference"};  //!< TargetRounding
inline constexpr const char* kTrailReference[] = {"high_low", "close"};  //!< TrailReference
inline constexpr const char* kCommissionMinimum[] = {"per_order", "per_fill"};  //!< CommissionMinimum
inline constexpr const char* kMarketFillPrice[] = {"open", "close"};  //!< MarketFillPrice
inline constexpr const char* kTriggerPrice[] = {"ohlc", "close"};  //!< TriggerPrice
}  // namespace rule_names

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
