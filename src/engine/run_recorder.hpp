// Where the run's records are kept: one function per record kind (orders, fills,
// trades, equity points), so an output sink has one place to hook into per kind.
#pragma once

#include <cstdint>
#include <utility>

#include "ml4t/backtest/engine/run_results.hpp"

namespace ml4t::backtest::detail {

class RunRecorder {
 public:
  /// A new order record, its id set (ids are 1-based and dense); the caller fills it in.
  OrderRecord& record_order() {
    OrderRecord& rec = results_.orders.emplace_back();
    rec.id = results_.orders.size();
    return rec;
  }
  /// The record of order `id`, updated in place until the order's state is final.
  OrderRecord& order(uint64_t id) { return results_.orders[id - 1]; }
  void record_fill(const Fill& fill) { results_.fills.push_back(fill); }
  void record_trade(const Trade& trade) { results_.trades.push_back(trade); }
  void record_equity(const EquityPoint& point) { results_.equity_curve.push_back(point); }
  /// The last equity point is replaced when positions are closed at the end.
  void drop_last_equity() { results_.equity_curve.pop_back(); }
  bool has_equity() const { return !results_.equity_curve.empty(); }
  const EquityPoint& last_equity() const { return results_.equity_curve.back(); }

  /// The run's totals, and everything recorded.
  Results& results() { return results_; }

 private:
  Results results_;
};

}  // namespace ml4t::backtest::detail
