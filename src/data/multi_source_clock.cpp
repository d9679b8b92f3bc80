#include "ml4t/backtest/data/multi_source_clock.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace ml4t::backtest {

namespace {

bool same_source(const DataSource& a, const DataSource& b) {
  return a.paths == b.paths && a.format == b.format && a.timestamp_column == b.timestamp_column &&
         a.timestamp_format == b.timestamp_format && a.asset_column == b.asset_column && a.columns == b.columns &&
         a.rename == b.rename;
}

bool same_optional_source(const std::optional<DataSource>& a, const std::optional<DataSource>& b) {
  return a.has_value() == b.has_value() && (!a || same_source(*a, *b));
}

// Two feeds that read the same rows apart from their asset lists: one scan can serve both.
bool same_scan(const ColumnarFeedOptions& a, const ColumnarFeedOptions& b) {
  return same_source(a.prices, b.prices) && same_optional_source(a.signals, b.signals) &&
         same_optional_source(a.context, b.context) && a.feature_provider == b.feature_provider &&
         a.start == b.start && a.end == b.end && a.timing.mode == b.timing.mode &&
         a.timing.lag_bars() == b.timing.lag_bars() && a.timing.validate == b.timing.validate &&
         a.timing.fail_on_violation == b.timing.fail_on_violation && a.bad_data == b.bad_data &&
         a.mixed_time_zones == b.mixed_time_zones && a.order == b.order && a.memory_limit == b.memory_limit &&
         a.temp_directory == b.temp_directory && a.threads == b.threads && a.timing_examples == b.timing_examples;
}

// A feed the clock may replace by a shared scan: a ColumnarDataFeed with an asset list, not read yet.
const ColumnarDataFeed* shareable(const DataFeed* feed) {
  const auto* columnar = dynamic_cast<const ColumnarDataFeed*>(feed);
  if (columnar == nullptr || columnar->started() || columnar->reached_end()) return nullptr;
  return columnar->options().assets.empty() ? nullptr : columnar;
}

}  // namespace

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
  ++added_;
  return sources_.size() - 1;
}

bool MultiSourceClock::naive_timestamps() const {
  return !sources_.empty() &&
         std::all_of(sources_.begin(), sources_.end(), [](const Source& s) { return s.feed->naive_timestamps(); });
}

bool MultiSourceClock::integer_volume() const {
  return !sources_.empty() &&
         std::all_of(sources_.begin(), sources_.end(), [](const Source& s) { return s.feed->integer_volume(); });
}

void MultiSourceClock::share_scans() {
  std::vector<bool> taken(sources_.size(), false);
  std::vector<Source> kept;
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (taken[i]) continue;
    const ColumnarDataFeed* first = shareable(sources_[i].feed);
    std::vector<size_t> members{i};
    for (size_t j = i + 1; first != nullptr && j < sources_.size(); ++j) {
      const ColumnarDataFeed* other = taken[j] ? nullptr : shareable(sources_[j].feed);
      if (other != nullptr && sources_[j].priority == sources_[i].priority &&
          same_scan(first->options(), other->options())) {
        members.push_back(j);
        taken[j] = true;
      }
    }
    if (members.size() == 1) {
      kept.push_back(std::move(sources_[i]));
      continue;
    }
    // Equal options give equal schemas, so the first member's field maps serve the union.
    ColumnarFeedOptions options = first->options();
    options.assets.clear();
    std::map<std::string, size_t> listed_by;
    for (size_t k : members) {
      for (const auto& asset : dynamic_cast<const ColumnarDataFeed&>(*sources_[k].feed).options().assets) {
        auto [it, fresh] = listed_by.emplace(asset, k);
        if (!fresh) {
          if (it->second == k) continue;  // listed twice by one feed
          throw ConfigError(fmt::format(
              "MultiSourceClock: feeds #{} and #{} both read asset {} from {}; give each asset to one feed",
              sources_[it->second].sequence, sources_[k].sequence, asset, fmt::join(options.prices.paths, ", ")));
        }
        options.assets.push_back(asset);
      }
    }
    std::sort(options.assets.begin(), options.assets.end());
    Source merged = std::move(sources_[i]);
    merged.owned = std::make_unique<ColumnarDataFeed>(std::move(options));
    merged.feed = merged.owned.get();
    kept.push_back(std::move(merged));
  }
  sources_ = std::move(kept);
}

void MultiSourceClock::start() {
  started_ = true;
  share_scans();
  batch_ = std::make_unique<Batch>(schema_.get(), symbols_.get());
  present_.reserve(sources_.size());
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

  // The sources with a bar at ts by (priority, first symbol): distinct symbols (a repeat
  // is a duplicate bar), so the order is total and independent of the order of adding.
  present_.clear();
  for (size_t i = 0; i < sources_.size(); ++i) {
    if (sources_[i].pending.valid() && sources_[i].pending.timestamp() == ts) present_.push_back(i);
  }
  auto first_symbol = [this](size_t i) -> const std::string& {
    static const std::string kNone;
    const TimestampGroup& g = sources_[i].pending;
    if (g.size() == 0) return kNone;
    return sources_[i].feed->symbols().name(g.batch().asset()[g.row_begin()]);
  };
  std::sort(present_.begin(), present_.end(), [&](size_t a, size_t b) {
    if (sources_[a].priority != sources_[b].priority) return sources_[a].priority < sources_[b].priority;
    return first_symbol(a) != first_symbol(b) ? first_symbol(a) < first_symbol(b) : a < b;
  });

  batch_->clear();
  const uint32_t group = batch_->begin_group(ts);
  ++group_number_;
  for (size_t index : present_) {
    Source& source = sources_[index];
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
