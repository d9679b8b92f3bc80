// Where a run's rows go when they should not pile up in memory: the engine hands each
// equity point, fill, round-trip trade and finished order to a ResultSink as it is
// recorded (BacktestEngine::set_result_sink), instead of keeping them in Results.
#pragma once

#include "ml4t/backtest/engine/run_results.hpp"

namespace ml4t::backtest {

/// Receives result rows in the order Results would hold them: equity points by time,
/// fills and trades as they happen, orders by id (an order once its state is final, or
/// at the end of the run when it is still open). Called from the engine's thread.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  /// One point of the equity curve.
  virtual void equity(const EquityPoint& point) = 0;
  /// One fill.
  virtual void fill(const Fill& fill) = 0;
  /// One round trip (closed, or open at the end).
  virtual void trade(const Trade& trade) = 0;
  /// One order in its final state.
  virtual void order(const OrderRecord& order) = 0;
  /// One cash flow (financing, dividends), in time order. Ignored unless overridden.
  virtual void cashflow(const CashFlow& /*flow*/) {}
};

}  // namespace ml4t::backtest
