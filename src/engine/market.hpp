// The bars of the timestamp being processed, by asset: which assets have a bar now and
// where it is in the batch. The loop fills it once per timestamp; broker and risk rules
// read it.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/fill_rules.hpp"
#include "ml4t/backtest/core/market_event.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest::detail {

class Market {
 public:
  void resize(size_t assets) {
    if (assets > slots_.size()) slots_.resize(assets);
  }
  /// A new timestamp group: the sequence advances; assets get their bars through place().
  void begin_group(const TimestampGroup& group) {
    ++seq_;
    group_ = group;
    now_ = group.timestamp();
  }
  void place(AssetId asset, uint32_t row) { slots_[asset] = {seq_, row}; }
  /// The feed may reuse its batch once exhausted: drop the view of the last group.
  void end() { group_ = TimestampGroup(); }

  /// Whether `asset` has a bar at the current timestamp.
  bool has_bar(AssetId asset) const { return slots_[asset].seq == seq_; }
  /// Its bar's prices; only when has_bar(asset).
  BarPrices prices(AssetId asset) const {
    const Batch& b = group_.batch();
    const uint32_t row = slots_[asset].row;
    return {b.open()[row], b.high()[row], b.low()[row], b.close()[row]};
  }
  double volume(AssetId asset) const { return group_.batch().volume()[slots_[asset].row]; }
  /// The current timestamp's value of a context field (NaN outside a group).
  double context(FieldId field) const {
    if (!group_.valid()) return kMissing;
    return group_.batch().context_column(field)[group_.group()];
  }

  /// 1-based sequence of the current group; 0 before the first.
  uint64_t seq() const { return seq_; }
  Timestamp now() const { return now_; }
  const TimestampGroup& group() const { return group_; }

 private:
  struct Slot {
    uint64_t seq = 0;  //!< group sequence of the asset's latest bar
    uint32_t row = 0;  //!< its row in the current batch when seq is current
  };
  std::vector<Slot> slots_;
  uint64_t seq_ = 0;
  Timestamp now_;
  TimestampGroup group_;
};

}  // namespace ml4t::backtest::detail
