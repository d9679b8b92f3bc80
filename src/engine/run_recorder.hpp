// Where the run's records are kept: one function per record kind (orders, fills,
// trades, equity points), so an output sink has one place to hook into per kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "ml4t/backtest/engine/result_sink.hpp"
#include "ml4t/backtest/engine/run_results.hpp"

namespace ml4t::backtest::detail {

// With a ResultSink (BacktestEngine::set_result_sink) the rows go there instead of into
// Results: fills and trades at once, an equity point when the next one comes (the last
// may still be replaced), order records in id order once final (see flush_orders).
class RunRecorder {
 public:
  void set_sink(ResultSink* sink) { sink_ = sink; }
  bool streaming() const { return sink_ != nullptr; }

  /// A new order record, its id set (ids are 1-based and dense); the caller fills it in.
  OrderRecord& record_order() {
    OrderRecord& rec = results_.orders.emplace_back();
    rec.id = orders_flushed_ + results_.orders.size();
    return rec;
  }
  /// The record of order `id`, updated in place until the order's state is final.
  OrderRecord& order(uint64_t id) { return results_.orders[id - 1 - orders_flushed_]; }
  void record_fill(const Fill& fill) {
    if (sink_ != nullptr) {
      sink_->fill(fill);
    } else {
      results_.fills.push_back(fill);
    }
  }
  void record_trade(const Trade& trade) {
    if (sink_ != nullptr) {
      sink_->trade(trade);
    } else {
      results_.trades.push_back(trade);
    }
  }
  void record_cashflow(const CashFlow& flow) {
    if (sink_ != nullptr) {
      sink_->cashflow(flow);
    } else {
      results_.cashflows.push_back(flow);
    }
  }
  void record_equity(const EquityPoint& point) {
    if (sink_ != nullptr && !results_.equity_curve.empty()) {
      sink_->equity(results_.equity_curve.back());
      results_.equity_curve.clear();
    }
    results_.equity_curve.push_back(point);
  }
  /// With a sink: hand over the finished order records in id order, up to the oldest
  /// still working (`all`: every record, at the end). Only once a few hundred have piled
  /// up, so a run with one long-working order checks one record per timestamp.
  void flush_orders(bool all) {
    auto& records = results_.orders;
    if (!all && records.size() < 256) return;
    size_t done = 0;
    for (; done < records.size(); ++done) {
      const OrderStatus s = records[done].status;
      if (!all && (s == OrderStatus::kOpen || s == OrderStatus::kPartiallyFilled)) break;
      sink_->order(records[done]);
    }
    records.erase(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(done));
    orders_flushed_ += done;
  }
  /// With a sink, at the end: hand over the last equity point and every order record.
  void finish_stream() {
    for (const EquityPoint& p : results_.equity_curve) sink_->equity(p);
    results_.equity_curve.clear();
    flush_orders(true);
  }
  /// The last equity point is replaced when positions are closed at the end.
  void drop_last_equity() { results_.equity_curve.pop_back(); }
  bool has_equity() const { return !results_.equity_curve.empty(); }
  const EquityPoint& last_equity() const { return results_.equity_curve.back(); }

  /// The run's totals, and everything recorded.
  Results& results() { return results_; }

 private:
  Results results_;
  ResultSink* sink_ = nullptr;
  uint64_t orders_flushed_ = 0;  //!< order records already handed to sink_
};

}  // namespace ml4t::backtest::detail
