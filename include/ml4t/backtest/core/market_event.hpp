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

  size_t size() const { return names_->size(); }
  bool empty() const { return names_->empty(); }
  const std::string& name(size_t i) const { return (*names_)[i]; }
  double value(size_t i) const { return (*columns_)[i][index_]; }

 private:
  const std::vector<std::string>* names_;
  const std::vector<std::vector<double>>* columns_;
  uint32_t index_;
};

/// One asset's bar at one timestamp, with signals and context.
class MarketEvent {
 public:
  MarketEvent(const Batch& batch, uint32_t row, uint32_t group) : batch_(&batch), row_(row), group_(group) {}

  Timestamp timestamp() const { return batch_->group_timestamp(group_); }
  AssetId asset() const { return batch_->asset()[row_]; }
  /// The asset's symbol (a lookup in the symbol table; prefer asset() in hot code).
  const std::string& symbol() const { return batch_->symbols().name(asset()); }
  double open() const { return batch_->open()[row_]; }
  double high() const { return batch_->high()[row_]; }
  double low() const { return batch_->low()[row_]; }
  double close() const { return batch_->close()[row_]; }
  double volume() const { return batch_->volume()[row_]; }
  Bar bar() const { return Bar{open(), high(), low(), close(), volume()}; }

  /// Per-asset values: ML signals and features.
  FieldValues signals() const {
    return FieldValues(batch_->schema().signal_names(), batch_->signal_matrix(), row_);
  }
  /// Market-wide values at this timestamp (VIX, index returns, regime, ...).
  FieldValues context() const {
    return FieldValues(batch_->schema().context_names(), batch_->context_matrix(), group_);
  }

  const Batch& batch() const { return *batch_; }
  uint32_t row() const { return row_; }
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
  TimestampGroup(const Batch& batch, uint32_t group) : batch_(&batch), group_(group) {}

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = MarketEvent;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(const Batch* batch, uint32_t row, uint32_t group) : batch_(batch), row_(row), group_(group) {}
    MarketEvent operator*() const { return MarketEvent(*batch_, row_, group_); }
    Iterator& operator++() {
      ++row_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++row_;
      return old;
    }
    bool operator==(const Iterator& other) const { return row_ == other.row_; }

   private:
    const Batch* batch_ = nullptr;
    uint32_t row_ = 0;
    uint32_t group_ = 0;
  };

  bool valid() const { return batch_ != nullptr; }
  Timestamp timestamp() const { return batch_->group_timestamp(group_); }
  size_t size() const { return batch_->group_end(group_) - batch_->group_begin(group_); }
  bool empty() const { return size() == 0; }
  /// The i-th event of the group.
  MarketEvent operator[](size_t i) const {
    return MarketEvent(*batch_, batch_->group_begin(group_) + static_cast<uint32_t>(i), group_);
  }
  Iterator begin() const { return Iterator(batch_, batch_->group_begin(group_), group_); }
  Iterator end() const { return Iterator(batch_, batch_->group_end(group_), group_); }
  FieldValues context() const {
    return FieldValues(batch_->schema().context_names(), batch_->context_matrix(), group_);
  }
  /// Row range of this group in the batch, for columnar access (batch().close()...).
  uint32_t row_begin() const { return batch_->group_begin(group_); }
  uint32_t row_end() const { return batch_->group_end(group_); }
  const Batch& batch() const { return *batch_; }
  uint32_t group() const { return group_; }

 private:
  const Batch* batch_ = nullptr;
  uint32_t group_ = 0;
};

}  // namespace ml4t::backtest
