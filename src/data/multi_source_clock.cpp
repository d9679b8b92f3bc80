#include "ml4t/backtest/data/multi_source_clock.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

MultiSourceClock::MultiSourceClock()
    : schema_(std::make_unique<Schema>()), symbols_(std::make_unique<SymbolTable>()) {}

MultiSourceClock::~MultiSourceClock() = default;

size_t MultiSourceClock::add_source(std::unique_ptr<DataFeed> feed, int priority) {
  DataFeed* raw = feed.get();
  return add(std::move(feed), raw, priority);
}

size_t MultiSourceClock::add_source(DataFeed& feed, int priority) { return add(nullptr, &feed, priority); }

size_t MultiSourceClock::add(std::unique_ptr<DataFeed> owned, DataFeed* feed, int priority) {
  if (feed == nullptr) throw ConfigError("MultiSourceClock::add_source: the feed is null; pass a constructed DataFeed");
  if (started_) {
    throw ConfigError(
        "MultiSourceClock::add_source: reading has already started; add every source before the first read");
  }
  Source source;
  source.owned = std::move(owned);
  source.feed = feed;
  source.priority = priority;
  source.sequence = sources_.size();
  const Schema& s = feed->schema();
  for (const auto& name : s.signal_names()) {
    auto id = schema_->find_signal(name);
    source.signal_map.push_back(id ? id->index : schema_->add_signal(name).index);
  }
  for (const auto& name : s.context_names()) {
    auto id = schema_->find_context(name);
    source.context_map.push_back(id ? id->index : schema_->add_context(name).index);
  }
  sources_.push_back(std::move(source));
  return sources_.size() - 1;
}

void MultiSourceClock::start() {
  started_ = true;
  batch_ = std::make_unique<Batch>(schema_.get(), symbols_.get());
  order_.resize(sources_.size());
  for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(), [this](size_t a, size_t b) {
    return sources_[a].priority != sources_[b].priority ? sources_[a].priority < sources_[b].priority
                                                         : sources_[a].sequence < sources_[b].sequence;
  });
  for (auto& source : sources_) advance(source);
}

void MultiSourceClock::advance(Source& source) {
  source.pending = source.feed->next_group();
  if (!source.pending.valid()) return;
  const Timestamp ts = source.pending.timestamp();
  if (source.started && ts <= source.last_ts) {
    throw DataError(fmt::format(
        "MultiSourceClock: source #{} went from {} to {}; each source must yield strictly increasing timestamps "
        "(one group per timestamp)",
        source.sequence, source.last_ts.to_string(), ts.to_string()));
  }
  source.started = true;
  source.last_ts = ts;
}

AssetId MultiSourceClock::merged_asset(Source& source, AssetId id) {
  // Grows only when a source shows a new asset, never in steady state.
  if (id >= source.asset_map.size()) source.asset_map.resize(static_cast<size_t>(id) + 1, kNoAsset);
  AssetId& merged = source.asset_map[id];
  if (merged == kNoAsset) {
    merged = symbols_->intern(source.feed->symbols().name(id));
    if (merged >= asset_seen_.size()) asset_seen_.resize(static_cast<size_t>(merged) + 1, 0);
  }
  return merged;
}

bool MultiSourceClock::has_more_groups() {
  if (!started_) start();
  return std::any_of(sources_.begin(), sources_.end(), [](const Source& s) { return s.pending.valid(); });
}

TimestampGroup MultiSourceClock::fetch_group() {
  if (!started_) start();
  bool any = false;
  Timestamp ts = Timestamp::max();
  for (const auto& source : sources_) {
    if (source.pending.valid() && (!any || source.pending.timestamp() < ts)) {
      ts = source.pending.timestamp();
      any = true;
    }
  }
  if (!any) return {};

  batch_->clear();
  const uint32_t group = batch_->begin_group(ts);
  ++group_number_;
  for (size_t index : order_) {
    Source& source = sources_[index];
    if (!source.pending.valid() || source.pending.timestamp() != ts) continue;
    const TimestampGroup& in = source.pending;
    const Batch& src = in.batch();
    for (uint32_t row = in.row_begin(); row < in.row_end(); ++row) {
      const AssetId asset = merged_asset(source, src.asset()[row]);
      if (asset_seen_[asset] == group_number_) {
        throw DataError(fmt::format(
            "MultiSourceClock: asset {} has two bars at {} (source #{} repeats a bar of an earlier source); give "
            "each asset to one source only, or drop the duplicate bars",
            symbols_->name(asset), ts.to_string(), source.sequence));
      }
      asset_seen_[asset] = group_number_;
      const uint32_t out = batch_->add_row(
          asset, Bar{src.open()[row], src.high()[row], src.low()[row], src.close()[row], src.volume()[row]});
      for (uint32_t f = 0; f < source.signal_map.size(); ++f) {
        batch_->set_signal(out, FieldId{source.signal_map[f]}, src.signal_matrix()[f][row]);
      }
    }
    const auto& context = batch_->context_matrix();
    for (uint32_t f = 0; f < source.context_map.size(); ++f) {
      const FieldId target{source.context_map[f]};
      const double value = src.context_matrix()[f][in.group()];
      // The first source in merge order with a value wins.
      if (std::isnan(context[target.index][group]) && !std::isnan(value)) batch_->set_context(group, target, value);
    }
    advance(source);
  }
  return TimestampGroup(*batch_, group);
}

}  // namespace ml4t::backtest
