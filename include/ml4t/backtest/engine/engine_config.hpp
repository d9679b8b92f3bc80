// Engine settings: execution (capital, costs, fill timing, share rounding, shorting),
// risk rules, and the built-in strategies' parameters. Plain structs with the defaults
// a user gets when a key is absent; BacktestConfig (config/) fills them from YAML/JSON
// and the engine reads them. Field names mirror the config keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  CommissionType type = CommissionType::kNone;
  double rate = 0.0;
  double minimum = 0.0;  //!< minimum per order (per_share and percentage)
};

enum class SlippageType { kNone, kPercentage, kFixed, kVolumeShare };

/// Price slippage, always against the trade: percentage = price x rate; fixed = rate in
/// price units; volume_share = price x rate x (qty / bar volume) (impact grows with size).
struct SlippageConfig {
  SlippageType type = SlippageType::kNone;
  double rate = 0.0;
};

struct ExecutionConfig {
  double initial_capital = 100'000.0;
  CommissionConfig commission;
  SlippageConfig slippage;
  FillTiming fill_timing = FillTiming::kNextBar;
  bool fractional_shares = false;     //!< false: quantities are floored to whole shares
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
  std::string context_field = "vix";
};

enum class StrategySide { kLong, kShort, kBoth };

/// A built-in strategy chosen by name, with its parameters.
struct StrategySpec {
  std::string type = "signal_threshold";  //!< "signal_threshold" or "top_k"
  std::string signal = "ml_pred";
  StrategySide side = StrategySide::kLong;
  // signal_threshold
  double entry = 0.6;
  double exit = 0.5;
  std::optional<double> short_entry;  //!< enter short below this (side short/both)
  std::optional<double> short_exit;   //!< cover a short above this (default: exit)
  double size_pct = 0.1;              //!< fraction of equity per entry
  // top_k
  int k = 5;
  int rebalance_every = 1;
  std::optional<double> weight_per_asset;
  double gross_exposure = 1.0;
  // filters
  std::optional<double> min_confidence;
  std::string confidence_signal = "confidence";
  /// Context rules: new entries only while every rule holds, e.g. {"vix", "<", 20}.
  struct ContextRule {
    std::string field;
    std::string op;  //!< one of < <= > >= == !=
    double value = 0.0;
  };
  std::vector<ContextRule> context_filters;
};

}  // namespace ml4t::backtest
