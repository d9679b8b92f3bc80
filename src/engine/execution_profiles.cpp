// The execution profiles as presets of the rule switches. Each value below is taken from
// the framework's own source; docs/execution.md ("Execution profiles") names the file
// and function of every row.
#include "ml4t/backtest/engine/engine_config.hpp"

namespace ml4t::backtest {

namespace {

// zipline's SimulationBlotter defaults for equities (finance/blotter/simulation_blotter.py):
// PerShare(cost=0.001, min_trade_cost=0) and FixedBasisPointsSlippage(5 bp, volume_limit=0.1).
void apply_zipline_default_costs(ExecutionConfig& e) {
  e.commission = {CommissionType::kPerShare, 0.001, 0.0};
  e.slippage = {SlippageType::kPercentage, 0.0005};
  e.max_volume_participation = 0.1;
}

}  // namespace

void apply_execution_profile(ExecutionConfig& e, ExecutionProfile profile) {
  e.profile = profile;
  ExecutionRules& r = e.rules;
  r = ExecutionRules{};
  switch (profile) {
    case ExecutionProfile::kDefault:
      return;
    case ExecutionProfile::kBacktrader:
      // BackBroker.next: one pass over `pending` in acceptance order; _execute rejects
      // (Margin) an opening fill that takes cash below 0.
      r.order_sequence = OrderSequence::kSubmission;
      r.cash_check = CashCheck::kReject;
      // Strategy.order_target_value: size = int((target - value) // price), open orders ignored.
      r.target_rounding = TargetRounding::kDifference;
      r.target_nets_open_orders = false;
      // _try_exec_stop: order.trailadjust(pclose).
      r.trail_reference = TrailReference::kClose;
      // CommInfoBase.getcommission is called per execution.
      r.commission_minimum = CommissionMinimum::kPerFill;
      r.market_fill_price = MarketFillPrice::kOpen;
      r.trigger_price = TriggerPrice::kOhlc;
      return;
    case ExecutionProfile::kVectorbt:
      // from_signals: price=close of the signal bar; columns in call_seq 'default' order;
      // buy_nb cuts the size to the cash (allow_partial=True).
      e.fill_timing = FillTiming::kSameBarClose;
      r.order_sequence = OrderSequence::kSubmission;
      r.cash_check = CashCheck::kResize;
      r.target_rounding = TargetRounding::kDifference;
      r.target_nets_open_orders = false;
      r.trail_reference = TrailReference::kHighLow;
      r.commission_minimum = CommissionMinimum::kPerOrder;
      r.market_fill_price = MarketFillPrice::kClose;
      r.trigger_price = TriggerPrice::kOhlc;
      return;
    case ExecutionProfile::kZipline:
      // SimulationBlotter.get_transactions / SlippageModel.simulate: per asset, orders in
      // placement order, triggered by and filled at the bar's close; no cash check.
      r.order_sequence = OrderSequence::kSubmission;
      r.cash_check = CashCheck::kNone;
      // TradingAlgorithm.round_order(target - position); open orders are not counted.
      r.target_rounding = TargetRounding::kDifference;
      r.target_nets_open_orders = false;
      r.trail_reference = TrailReference::kHighLow;  // zipline has no trailing stop
      r.commission_minimum = CommissionMinimum::kPerOrder;  // calculate_per_unit_commission
      r.market_fill_price = MarketFillPrice::kClose;
      r.trigger_price = TriggerPrice::kClose;
      if (e.zipline.default_costs) apply_zipline_default_costs(e);
      return;
  }
}

}  // namespace ml4t::backtest
