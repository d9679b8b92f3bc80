// MarketEvent and TimestampGroup: cheap read-only views into a Batch. A MarketEvent is
// one asset's bar at one timestamp with its per-asset signals and the market-wide
// context; a TimestampGroup is the cross-section of all assets at one timestamp. Views
// are valid until the feed produces its next batch. No allocation, no map per event.
#pragma once

#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/core/batch.hpp"

namespace ml4t::backtest {

/// One row of a set of named fields (an event's signals, or a timestamp's context).
/// Index by FieldId in hot code; `get("name", default)` scans the (few) names.
class FieldValues {
 public:
  /// A view of row `index` of `columns`, whose names are `names` (both must outlive the view).
  FieldValues(const std::vector<std::string>& names, const std::vector<std::vector<double>>& columns, uint32_t index)
      : names_(&names), columns_(&columns), index_(index) {}

  /// The value of `field` (NaN when missing).
  double operator[](FieldId field) const { return (*columns_)[field.index][index_]; }
  /// The value of `field`, or `fallback` when it is missing.
  double get(FieldId field, double fallback) const {
    const double v = (*this)[field];
    return std::isnan(v) ? fallback : v;
  }
  /// The value of the field called `name`, or `fallback` when there is no such field or
  /// its value is missing (the reference's `signals.get("ml_pred", 0.0)`).
  double get(std::string_view name, double fallback = kMissing) const {
    for (size_t i = 0; i < names_->size(); ++i) {
      if ((*names_)[i] == name) return get(FieldId{static_cast<uint32_t>(i)}, fallback);
    }
    return fallback;
  }
  /// True when a field called `name` exists and its value is not missing.
  bool contains(std::string_view name) const { return !std::isnan(get(name)); }

  /// Number of fields (present or missing).
  size_t size() const { return names_->size(); }
  /// True when there are no fields.
  bool empty() const { return names_->empty(); }
  /// Name of the i-th field.
  const std::string& name(size_t i) const { return (*names_)[i]; }
  /// Value of the i-th field (NaN when missing).
  double value(size_t i) const { return (*columns_)[i][index_]; }

 private:
  const std::vector<std::string>* names_;
  const std::vector<std::vector<double>>* columns_;
  uint32_t index_;
};

/// One asset's bar at one timestamp, with signals and context.
class MarketEvent {
 public:
  /// A view of row `row` (in timestamp group `group`) of `batch`.
  MarketEvent(const Batch& batch, uint32_t row, uint32_t group) : batch_(&batch), row_(row), group_(group) {}

  /// The time of the bar (UTC).
  Timestamp timestamp() const { return batch_->group_timestamp(group_); }
  /// The asset's dense id in the feed's SymbolTable.
  AssetId asset() const { return batch_->asset()[row_]; }
  /// The asset's symbol (a lookup in the symbol table; prefer asset() in hot code).
  const std::string& symbol() const { return batch_->symbols().name(asset()); }
  /// Opening price.
  double open() const { return batch_->open()[row_]; }
  /// Highest price.
  double high() const { return batch_->high()[row_]; }
  /// Lowest price.
  double low() const { return batch_->low()[row_]; }
  /// Closing price.
  double close() const { return batch_->close()[row_]; }
  /// Traded volume (NaN when the source has none).
  double volume() const { return batch_->volume()[row_]; }
  /// Open, high, low, close and volume together.
  Bar bar() const { return Bar{open(), high(), low(), close(), volume()}; }

  /// Per-asset values: ML signals and features.
  FieldValues signals() const {
    return FieldValues(batch_->schema().signal_names(), batch_->signal_matrix(), row_);
  }
  /// Market-wide values at this timestamp (VIX, index returns, regime, ...).
  FieldValues context() const {
    return FieldValues(batch_->schema().context_names(), batch_->context_matrix(), group_);
  }

  /// The batch the event points into (for columnar access).
  const Batch& batch() const { return *batch_; }
  /// The event's row in batch().
  uint32_t row() const { return row_; }
  /// The event's timestamp group in batch().
  uint32_t group() const { return group_; }

 private:
  const Batch* batch_;
  uint32_t row_;
  uint32_t group_;
};

/// All events of one timestamp (the cross-section), in asset order of the feed.
class TimestampGroup {
 public:
  TimestampGroup() = default;
  /// A view of group `group` of `batch`; a default-constructed group is invalid (the end).
  TimestampGroup(const Batch& batch, uint32_t group) : batch_(&batch), group_(group) {}

  /// Iterates the events of the group in asset order.
  class Iterator {
   public:
    /// A forward iterator.
    using iterator_category = std::forward_iterator_tag;
    /// Dereferencing yields a MarketEvent by value (a cheap view).
    using value_type = MarketEvent;
    /// Distance type.
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    /// Positioned at row `row` of `batch`, in group `group`.
    Iterator(const Batch* batch, uint32_t row, uint32_t group) : batch_(batch), row_(row), group_(group) {}
    /// The event at the current row.
    MarketEvent operator*() const { return MarketEvent(*batch_, row_, group_); }
    /// Advance to the next event.
    Iterator& operator++() {
      ++row_;
      return *this;
    }
    /// Advance; return the old position.
    Iterator operator++(int) {
      Iterator old = *this;
      ++row_;
      return old;
    }
    /// Same position.
    bool operator==(const Iterator& other) const { return row_ == other.row_; }

   private:
    const Batch* batch_ = nullptr;
    uint32_t row_ = 0;
    uint32_t group_ = 0;
  };

  /// False for the end-of-feed group returned by DataFeed::next_group.
  bool valid() const { return batch_ != nullptr; }
  /// The group's timestamp (UTC).
  Timestamp timestamp() const { return batch_->group_timestamp(group_); }
  /// Number of events (assets with a bar at this timestamp).
  size_t size() const { return batch_->group_end(group_) - batch_->group_begin(group_); }
  /// True when the group has no events.
  bool empty() const { return size() == 0; }
  /// The i-th event of the group.
  MarketEvent operator[](size_t i) const {
    return MarketEvent(*batch_, batch_->group_begin(group_) + static_cast<uint32_t>(i), group_);
  }
  /// First event.
  Iterator begin() const { return Iterator(batch_, batch_->group_begin(group_), group_); }
  /// One past the last event.
  Iterator end() const { return Iterator(batch_, batch_->group_end(group_), group_); }
  /// Market-wide values at this timestamp.
  FieldValues context() const {
    return FieldValues(batch_->schema().context_names(), batch_->context_matrix(), group_);
  }
  /// Row range of this group in the batch, for columnar access (batch().close()...).
  uint32_t row_begin() const { return batch_->group_begin(group_); }
  /// One past the group's last row in batch().
  uint32_t row_end() const { return batch_->group_end(group_); }
  /// The batch the group points into.
  const Batch& batch() const { return *batch_; }
  /// The group's index in batch().
  uint32_t group() const { return group_; }

 private:
  const Batch* batch_ = nullptr;
  uint32_t group_ = 0;
};

}  // namespace ml4t::backtest
