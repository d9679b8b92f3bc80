// Internal: the signal-timing validation that runs inside the feed's merge. The feed
// tells it every value row it consumes (asset, stamp, how many bars the asset has had,
// whether the asset has a bar at exactly that stamp) and every bar it serves; from that
// it counts the violations validate_signal_timing reports and keeps the first examples
// in (asset, stamp) order. Memory: a few bytes per asset plus the examples kept.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/data/signal_timing.hpp"

namespace ml4t::backtest::detail {

/// Violations validate_signal_timing describes one by one (the rest are counted); the
/// default of ColumnarFeedOptions::timing_examples.
constexpr size_t kMaxTimingExamples = 100000;

/// One source's timing check (signals, or a feature file).
class TimingCheck {
 public:
  /// `files`: the source's files (a row's file is an index into them). `lag`: bars a
  /// value waits (SignalTiming::lag_bars). `max_examples`: violations kept with their
  /// details; every violation is counted.
  TimingCheck(const SymbolTable& symbols, const std::vector<std::string>& files, int lag, size_t max_examples);

  /// Per-asset state for asset ids below `n`.
  void ensure_assets(size_t n);

  /// A value row of asset `id` stamped `stamp`, consumed when the asset has had `bars`
  /// bars (its next bar is the first at or after the stamp). `on_bar`: the asset has a
  /// bar at exactly `stamp`. `before_range`: stamped before the feed's time range, whose
  /// bars are not read, so only duplicates are checked.
  void value(AssetId id, int64_t stamp, uint64_t bars, bool on_bar, bool before_range, uint32_t file, int64_t row);

  /// Bar number `index` (0-based) of asset `id` is served, stamped `ts`.
  void bar(AssetId id, uint64_t index, int64_t ts) {
    if (pending_[id]) [[unlikely]]
      settle(id, index, ts);
  }

  /// True once any violation has been seen (some are classified only later).
  bool violated() const { return violated_; }

  /// The report at the end of the stream: `bars_seen[id]` is the asset's bar count.
  TimingReport finish(const std::vector<uint64_t>& bars_seen);

 private:
  using Kind = TimingViolation::Kind;
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  static constexpr int32_t kNil = -1;

  struct AssetState {
    int64_t last_stamp = kNone;  //!< latest stamp of the asset
    uint32_t unresolved = 0;     //!< rows since the asset's last bar that are on none of its bars
    bool duplicate_counted = false;  //!< last_stamp is already counted as a duplicate
    int32_t awaiting = kNil;         //!< first example waiting for a bar of this asset
  };
  struct Example {
    int64_t stamp = 0;
    int64_t used = kNone;      //!< the bar the value is used at, once known
    int64_t row = -1;
    uint64_t bar_index = 0;    //!< the asset's first bar at or after the stamp
    uint64_t use_index = 0;    //!< bar_index + lag
    AssetId asset = 0;
    uint32_t file = 0;
    Kind kind = Kind::kNotOnBar;
    bool kind_known = false;   //!< not_on_bar/before_first_bar vs after_last_bar/unknown_asset
    bool linked = false;       //!< in the asset's awaiting list
    int32_t prev = kNil, next = kNil;
  };

  void settle(AssetId id, uint64_t index, int64_t ts);
  /// A row of `file` stamped `stamp` for asset `id`, `bars` of its bars seen so far.
  Example example_at(AssetId id, int64_t stamp, uint64_t bars, uint32_t file, int64_t row) const;
  void add_example(Example e);
  void link(int32_t slot);
  void unlink(int32_t slot);
  bool key_less(const Example& a, const Example& b) const;  //!< (asset symbol, stamp) order
  void update_duplicate(AssetId id, int64_t stamp, uint32_t file, int64_t row);

  const SymbolTable& symbols_;
  const std::string& file_name(uint32_t file) const;

  const std::vector<std::string>& files_;
  uint64_t lag_;
  size_t max_examples_;
  bool violated_ = false;
  uint64_t counts_[5] = {};  //!< by TimingViolation::Kind
  std::vector<AssetState> assets_;
  std::vector<uint8_t> pending_;  //!< per asset: unresolved rows or awaiting examples
  std::vector<Example> examples_;  //!< slots
  std::vector<int32_t> free_;      //!< free slots
  std::vector<int32_t> heap_;      //!< kept slots, a max-heap by key_less (the worst on top)
};

/// The sentence of a violation (TimingViolation::message) under `lag` bars.
std::string describe_violation(const TimingViolation& v, int lag);

/// The SignalTimingViolation text for a non-empty report of `source` against `prices`
/// (descriptions as in messages): the total, the first few offenders and the fix.
std::string timing_violation_error(const TimingReport& report, const SignalTiming& timing, std::string_view source,
                                   std::string_view prices);

}  // namespace ml4t::backtest::detail
