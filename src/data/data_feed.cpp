#include "ml4t/backtest/data/data_feed.hpp"

namespace ml4t::backtest {

TimestampGroup DataFeed::next_group() {
  current_ = fetch_group();
  // A group handed out whole counts as consumed by next_event too.
  next_row_ = current_.valid() ? current_.row_end() : 0;
  return current_;
}

std::optional<MarketEvent> DataFeed::next_event() {
  while (!current_.valid() || next_row_ >= current_.row_end()) {
    current_ = fetch_group();
    if (!current_.valid()) return std::nullopt;
    next_row_ = current_.row_begin();
  }
  return MarketEvent(current_.batch(), next_row_++, current_.group());
}

bool DataFeed::is_exhausted() {
  if (current_.valid() && next_row_ < current_.row_end()) return false;
  return !has_more_groups();
}

}  // namespace ml4t::backtest
