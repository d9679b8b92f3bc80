#include "ml4t/backtest/data/data_feed.hpp"

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

TimestampGroup DataFeed::next_group() {
  current_ = fetch_group();
  if (!current_.valid()) reached_end_ = true;
  // A group handed out whole counts as consumed by next_event too.
  next_row_ = current_.valid() ? current_.row_end() : 0;
  return current_;
}

std::optional<MarketEvent> DataFeed::next_event() {
  while (!current_.valid() || next_row_ >= current_.row_end()) {
    current_ = fetch_group();
    if (!current_.valid()) {
      reached_end_ = true;
      return std::nullopt;
    }
    next_row_ = current_.row_begin();
  }
  return MarketEvent(current_.batch(), next_row_++, current_.group());
}

bool DataFeed::is_exhausted() {
  if (current_.valid() && next_row_ < current_.row_end()) return false;
  if (has_more_groups()) return false;
  reached_end_ = true;
  return true;
}

void DataFeed::expect_events_left() const {
  if (!reached_end_) return;
  throw ConfigError(
      "the feed has no events left: it was read to the end (by an earlier run or by iterating it); feeds are read "
      "once, so create a new feed for each run (an InMemoryDataFeed can be rewound)");
}

void DataFeed::restart_reading() {
  current_ = TimestampGroup();
  next_row_ = 0;
  reached_end_ = false;
}

}  // namespace ml4t::backtest
