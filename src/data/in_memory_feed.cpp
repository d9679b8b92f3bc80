#include "ml4t/backtest/data/in_memory_feed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

InMemoryDataFeed::InMemoryDataFeed(std::unique_ptr<Schema> schema, std::unique_ptr<SymbolTable> symbols)
    : schema_(std::move(schema)),
      symbols_(std::move(symbols)),
      batch_(std::make_unique<Batch>(schema_.get(), symbols_.get())) {}

TimestampGroup InMemoryDataFeed::fetch_group() {
  if (next_group_ >= batch_->num_groups()) return {};
  return TimestampGroup(*batch_, next_group_++);
}

std::unique_ptr<InMemoryDataFeed> InMemoryDataFeed::collect(DataFeed& source) {
  auto schema = std::make_unique<Schema>(source.schema());
  auto feed = std::unique_ptr<InMemoryDataFeed>(new InMemoryDataFeed(std::move(schema), std::make_unique<SymbolTable>()));
  Batch& batch = *feed->batch_;
  const auto num_signals = static_cast<uint32_t>(feed->schema_->num_signals());
  const auto num_context = static_cast<uint32_t>(feed->schema_->num_context());
  for (TimestampGroup group = source.next_group(); group.valid(); group = source.next_group()) {
    const Batch& from = group.batch();
    const uint32_t g = batch.begin_group(group.timestamp());
    for (uint32_t f = 0; f < num_context; ++f) batch.set_context(g, FieldId{f}, from.context_column(FieldId{f})[group.group()]);
    for (uint32_t row = group.row_begin(); row < group.row_end(); ++row) {
      const AssetId asset = feed->symbols_->intern(from.symbols().name(from.asset()[row]));
      const uint32_t r = batch.add_row(asset, Bar{from.open()[row], from.high()[row], from.low()[row], from.close()[row],
                                                  from.volume()[row]});
      for (uint32_t f = 0; f < num_signals; ++f) batch.set_signal(r, FieldId{f}, from.signal_column(FieldId{f})[row]);
    }
  }
  return feed;
}

InMemoryDataFeed::Builder::Builder(std::vector<std::string> signal_names, std::vector<std::string> context_names)
    : schema_(std::move(signal_names), std::move(context_names)) {}

InMemoryDataFeed::Builder& InMemoryDataFeed::Builder::add_bar(Timestamp ts, std::string_view symbol, const Bar& bar,
                                                              std::vector<double> signals) {
  if (signals.size() > schema_.num_signals()) {
    throw ConfigError(fmt::format("bar {} at {} has {} signal values but the feed has {} signal fields", symbol,
                                  ts.to_string(), signals.size(), schema_.num_signals()));
  }
  signals.resize(schema_.num_signals(), kMissing);
  rows_.push_back(Row{ts, std::string(symbol), bar, std::move(signals)});
  return *this;
}

InMemoryDataFeed::Builder& InMemoryDataFeed::Builder::add_context(Timestamp ts, std::vector<double> values) {
  if (values.size() > schema_.num_context()) {
    throw ConfigError(fmt::format("context at {} has {} values but the feed has {} context fields", ts.to_string(),
                                  values.size(), schema_.num_context()));
  }
  values.resize(schema_.num_context(), kMissing);
  context_.emplace_back(ts, std::move(values));
  return *this;
}

std::unique_ptr<InMemoryDataFeed> InMemoryDataFeed::Builder::build() {
  std::stable_sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.symbol < b.symbol;
  });
  // Ids in first-seen order of the sorted data, like a file-backed feed.
  auto symbols = std::make_unique<SymbolTable>();
  for (const auto& row : rows_) symbols->intern(row.symbol);
  std::map<Timestamp, const std::vector<double>*> context_at;
  for (const auto& [ts, values] : context_) context_at[ts] = &values;

  auto feed = std::unique_ptr<InMemoryDataFeed>(
      new InMemoryDataFeed(std::make_unique<Schema>(schema_), std::move(symbols)));
  Batch& batch = *feed->batch_;
  batch.reserve(rows_.size(), rows_.size());
  uint32_t group = 0;
  for (size_t i = 0; i < rows_.size(); ++i) {
    const Row& row = rows_[i];
    if (i > 0 && row.ts == rows_[i - 1].ts && row.symbol == rows_[i - 1].symbol) {
      throw DataError(fmt::format("duplicate bar for asset {} at {}; keep one bar per (timestamp, asset)",
                                  row.symbol, row.ts.to_string()));
    }
    if (i == 0 || row.ts != rows_[i - 1].ts) {
      group = batch.begin_group(row.ts);
      if (auto it = context_at.find(row.ts); it != context_at.end()) {
        for (uint32_t f = 0; f < schema_.num_context(); ++f) batch.set_context(group, FieldId{f}, (*it->second)[f]);
      }
    }
    const uint32_t r = batch.add_row(*feed->symbols_->find(row.symbol), row.bar);
    for (uint32_t f = 0; f < schema_.num_signals(); ++f) batch.set_signal(r, FieldId{f}, row.signals[f]);
  }
  return feed;
}

}  // namespace ml4t::backtest
