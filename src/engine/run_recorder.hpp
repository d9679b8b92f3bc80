// Where the run's records are kept: one function per record kind (orders, fills,
// trades, equity points), so an output sink has one place to hook into per kind.
#pragma once

#include <cstdint>
#include <utility>

#include "ml4t/backtest/engine/run_results.hpp"

namespace ml4t::backtest::detail {

class RunRecorder {
 public:
  /// A new order record; returns its id (ids are 1-based and dense).
  uint64_t record_order(OrderRecord rec) {
    rec.id = results_.orders.size() + 1;
    results_.orders.push_back(std::move(rec));
    return results_.orders.back().id;
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
