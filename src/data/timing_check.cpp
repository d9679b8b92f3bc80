#include "data/timing_check.hpp"

#include <algorithm>
#include <numeric>

namespace ml4t::backtest::detail {

TimingCheck::TimingCheck(const SymbolTable& symbols, const std::vector<std::string>& files, int lag,
                         size_t max_examples)
    : symbols_(symbols), files_(files), lag_(static_cast<uint64_t>(lag)), max_examples_(max_examples) {}

const std::string& TimingCheck::file_name(uint32_t file) const {
  static const std::string kUnknown;
  return file < files_.size() ? files_[file] : kUnknown;
}

void TimingCheck::ensure_assets(size_t n) {
  if (n > assets_.size()) {
    assets_.resize(n);
    pending_.resize(n, 0);
  }
}

TimingCheck::Example TimingCheck::example_at(AssetId id, int64_t stamp, uint64_t bars, uint32_t file,
                                             int64_t row) const {
  Example e;
  e.stamp = stamp;
  e.row = row;
  e.bar_index = bars;
  e.use_index = bars + lag_;
  e.asset = id;
  e.file = file;
  return e;
}

void TimingCheck::value(AssetId id, int64_t stamp, uint64_t bars, bool on_bar, bool before_range, uint32_t file,
                        int64_t row) {
  AssetState& a = assets_[id];
  // The stream is in timestamp order, so the rows of one (stamp, asset) come together.
  if (stamp == a.last_stamp) [[unlikely]] {
    violated_ = true;
    if (!a.duplicate_counted) {
      a.duplicate_counted = true;
      ++counts_[static_cast<int>(Kind::kDuplicate)];
      Example e = example_at(id, stamp, bars, file, row);
      e.kind = Kind::kDuplicate;
      e.kind_known = true;
      add_example(e);
    } else {
      update_duplicate(id, stamp, file, row);
    }
  } else {
    a.last_stamp = stamp;
    a.duplicate_counted = false;
  }
  if (on_bar || before_range) [[likely]]
    return;
  // On none of the asset's bars: which kind depends on whether the asset gets another
  // bar (not_on_bar, or before_first_bar for its first) or not (after_last_bar, or
  // unknown_asset when it never has one).
  violated_ = true;
  ++a.unresolved;
  pending_[id] = 1;
  add_example(example_at(id, stamp, bars, file, row));
}

void TimingCheck::settle(AssetId id, uint64_t index, int64_t ts) {
  AssetState& a = assets_[id];
  const Kind kind = index > 0 ? Kind::kNotOnBar : Kind::kBeforeFirstBar;
  counts_[static_cast<int>(kind)] += a.unresolved;
  a.unresolved = 0;
  for (int32_t slot = a.awaiting; slot != kNil;) {
    Example& e = examples_[slot];
    const int32_t next = e.next;
    if (!e.kind_known && e.bar_index == index) {
      e.kind = kind;
      e.kind_known = true;
    }
    if (e.use_index == index) {
      e.used = ts;
      unlink(slot);
    }
    slot = next;
  }
  pending_[id] = a.awaiting != kNil;
}

bool TimingCheck::key_less(const Example& a, const Example& b) const {
  if (a.asset != b.asset) {
    const auto& names = symbols_.names();
    return names[a.asset] < names[b.asset];
  }
  return a.stamp < b.stamp;
}

void TimingCheck::add_example(Example e) {
  if (max_examples_ == 0) return;
  auto worse = [this](int32_t x, int32_t y) { return key_less(examples_[x], examples_[y]); };
  if (heap_.size() >= max_examples_) {
    // Keep the first max_examples_ in (asset, stamp) order, like ORDER BY ... LIMIT.
    if (!key_less(e, examples_[heap_.front()])) return;
    std::pop_heap(heap_.begin(), heap_.end(), worse);
    const int32_t out = heap_.back();
    heap_.pop_back();
    if (examples_[out].linked) unlink(out);
    free_.push_back(out);
  }
  int32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    examples_[slot] = e;
  } else {
    slot = static_cast<int32_t>(examples_.size());
    examples_.push_back(e);
  }
  heap_.push_back(slot);
  std::push_heap(heap_.begin(), heap_.end(), worse);
  link(slot);  // every new example waits for at least its use bar
}

void TimingCheck::link(int32_t slot) {
  Example& e = examples_[slot];
  AssetState& a = assets_[e.asset];
  e.prev = kNil;
  e.next = a.awaiting;
  if (a.awaiting != kNil) examples_[a.awaiting].prev = slot;
  a.awaiting = slot;
  e.linked = true;
  pending_[e.asset] = 1;
}

void TimingCheck::unlink(int32_t slot) {
  Example& e = examples_[slot];
  if (e.prev != kNil) {
    examples_[e.prev].next = e.next;
  } else {
    assets_[e.asset].awaiting = e.next;
  }
  if (e.next != kNil) examples_[e.next].prev = e.prev;
  e.prev = e.next = kNil;
  e.linked = false;
}

void TimingCheck::update_duplicate(AssetId id, int64_t stamp, uint32_t file, int64_t row) {
  // Like GROUP BY ts, asset: the largest row number and the first file name.
  for (int32_t slot = assets_[id].awaiting; slot != kNil; slot = examples_[slot].next) {
    Example& e = examples_[slot];
    if (e.kind != Kind::kDuplicate || e.stamp != stamp) continue;
    e.row = std::max(e.row, row);
    if (file_name(file) < file_name(e.file)) e.file = file;
    return;
  }
}

TimingReport TimingCheck::finish(const std::vector<uint64_t>& bars_seen) {
  auto has_bars = [&](AssetId id) { return id < bars_seen.size() && bars_seen[id] > 0; };
  for (AssetId id = 0; id < assets_.size(); ++id) {
    if (assets_[id].unresolved == 0) continue;
    counts_[static_cast<int>(has_bars(id) ? Kind::kAfterLastBar : Kind::kUnknownAsset)] += assets_[id].unresolved;
    assets_[id].unresolved = 0;
  }
  TimingReport report;
  report.total = std::accumulate(std::begin(counts_), std::end(counts_), uint64_t{0});
  report.is_valid = report.total == 0;
  std::vector<int32_t> kept = heap_;
  for (int32_t slot : kept) {
    Example& e = examples_[slot];
    if (!e.kind_known) e.kind = has_bars(e.asset) ? Kind::kAfterLastBar : Kind::kUnknownAsset;
  }
  const auto& names = symbols_.names();
  std::sort(kept.begin(), kept.end(), [&](int32_t x, int32_t y) {
    const Example& a = examples_[x];
    const Example& b = examples_[y];
    if (a.asset != b.asset) return names[a.asset] < names[b.asset];
    if (a.stamp != b.stamp) return a.stamp < b.stamp;
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.file != b.file) return file_name(a.file) < file_name(b.file);
    return a.row < b.row;
  });
  report.violations.reserve(kept.size());
  for (int32_t slot : kept) {
    const Example& e = examples_[slot];
    TimingViolation v;
    v.kind = e.kind;
    v.asset = names[e.asset];
    v.signal_time = Timestamp::from_nanos(e.stamp);
    if (e.used != kNone) v.used_at = Timestamp::from_nanos(e.used);
    v.file = file_name(e.file);
    v.row = e.row;
    v.message = describe_violation(v, static_cast<int>(lag_));
    report.violations.push_back(std::move(v));
  }
  return report;
}

}  // namespace ml4t::backtest::detail
