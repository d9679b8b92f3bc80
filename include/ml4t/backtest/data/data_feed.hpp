// DataFeed: the interface the engine reads market data through. A feed yields whole
// timestamp groups (every asset's bar at one timestamp) in time order, or single
// events; it owns the Schema (field names -> FieldId) and the SymbolTable.
#pragma once

#include <iterator>
#include <optional>

#include "ml4t/backtest/core/market_event.hpp"

namespace ml4t::backtest {

/// A source of market events in (timestamp, asset) order.
class DataFeed {
 public:
  virtual ~DataFeed() = default;

  /// Signal, feature and context field names of every event.
  virtual const Schema& schema() const = 0;
  /// The assets seen so far (all of them once the feed is exhausted).
  virtual const SymbolTable& symbols() const = 0;
  /// True when the bars' timestamps came without a time zone (naive, read as UTC wall
  /// time). Timestamps are UTC nanoseconds either way; the Python module uses this to
  /// hand times back the way the user gave them.
  virtual bool naive_timestamps() const { return false; }
  /// True when the prices' volume column holds integers (the Python module then hands
  /// volumes back as int).
  virtual bool integer_volume() const { return false; }

  /// The next whole timestamp group, or an invalid group (`!valid()`) at the end. The
  /// view stays valid until the next call to next_group/next_event. Events of the
  /// current group not yet taken by next_event are skipped.
  TimestampGroup next_group();
  /// The next single event, or nullopt at the end (the reference's get_next_event).
  std::optional<MarketEvent> next_event();
  /// True when no event is left. May start reading (it looks ahead one group).
  bool is_exhausted();
  /// True once a read (next_group, next_event, is_exhausted, iteration) found the end.
  bool reached_end() const { return reached_end_; }
  /// For a reader about to consume the feed from where it stands (an engine run): throws
  /// ConfigError when the feed was already read to its end, where the run would
  /// otherwise see no event at all. A feed that never had an event passes.
  void expect_events_left() const;

  /// Range-for over single events: `for (const MarketEvent& e : feed)`.
  class EventIterator {
   public:
    /// A single-pass input iterator.
    using iterator_category = std::input_iterator_tag;
    /// Yields MarketEvent views.
    using value_type = MarketEvent;
    /// Distance type.
    using difference_type = std::ptrdiff_t;
    EventIterator() = default;
    /// Reads the first event of `feed`.
    explicit EventIterator(DataFeed* feed) : feed_(feed) { ++*this; }
    /// The current event (valid until the iterator advances).
    const MarketEvent& operator*() const { return *current_; }
    /// Member access to the current event.
    const MarketEvent* operator->() const { return &*current_; }
    /// Read the next event; becomes the end iterator when the feed is exhausted.
    EventIterator& operator++() {
      current_ = feed_->next_event();
      if (!current_) feed_ = nullptr;
      return *this;
    }
    /// Read the next event.
    void operator++(int) { ++*this; }
    /// Equal when both are at the end (or on the same feed).
    bool operator==(const EventIterator& other) const { return feed_ == other.feed_; }

   private:
    DataFeed* feed_ = nullptr;
    std::optional<MarketEvent> current_;
  };
  /// Start reading events (the feed is consumed as you go).
  EventIterator begin() { return EventIterator(this); }
  /// The end iterator.
  EventIterator end() { return EventIterator(); }

 protected:
  /// Produce the next group, or an invalid group at the end. Implementations may
  /// reuse their batch: the previous group's view is dead after this call.
  virtual TimestampGroup fetch_group() = 0;
  /// True when fetch_group would return a valid group (may prefetch).
  virtual bool has_more_groups() = 0;
  /// For feeds that can start again (InMemoryDataFeed::rewind): forget the end.
  void restart_reading();

 private:
  TimestampGroup current_;
  uint32_t next_row_ = 0;
  bool reached_end_ = false;
};

}  // namespace ml4t::backtest
