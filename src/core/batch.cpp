#include "ml4t/backtest/core/batch.hpp"

namespace ml4t::backtest {

Batch::Batch(const Schema* schema, const SymbolTable* symbols)
    : schema_(schema),
      symbols_(symbols),
      signals_(schema->num_signals()),
      context_(schema->num_context()) {}

void Batch::clear() {
  group_timestamp_.clear();
  group_begin_.clear();
  asset_.clear();
  open_.clear();
  high_.clear();
  low_.clear();
  close_.clear();
  volume_.clear();
  for (auto& column : signals_) column.clear();
  for (auto& column : context_) column.clear();
}

void Batch::reserve(size_t rows, size_t groups) {
  group_timestamp_.reserve(groups);
  group_begin_.reserve(groups);
  asset_.reserve(rows);
  open_.reserve(rows);
  high_.reserve(rows);
  low_.reserve(rows);
  close_.reserve(rows);
  volume_.reserve(rows);
  for (auto& column : signals_) column.reserve(rows);
  for (auto& column : context_) column.reserve(groups);
}

uint32_t Batch::begin_group(Timestamp ts) {
  group_timestamp_.push_back(ts);
  group_begin_.push_back(static_cast<uint32_t>(asset_.size()));
  for (auto& column : context_) column.push_back(kMissing);
  return static_cast<uint32_t>(group_timestamp_.size() - 1);
}

uint32_t Batch::add_row(AssetId asset, const Bar& bar) {
  asset_.push_back(asset);
  open_.push_back(bar.open);
  high_.push_back(bar.high);
  low_.push_back(bar.low);
  close_.push_back(bar.close);
  volume_.push_back(bar.volume);
  for (auto& column : signals_) column.push_back(kMissing);
  return static_cast<uint32_t>(asset_.size() - 1);
}

uint32_t Batch::add_rows(size_t count) {
  const size_t first = asset_.size(), size = first + count;
  asset_.resize(size, kNoAsset);
  open_.resize(size, kMissing);
  high_.resize(size, kMissing);
  low_.resize(size, kMissing);
  close_.resize(size, kMissing);
  volume_.resize(size, kMissing);
  for (auto& column : signals_) column.resize(size, kMissing);
  return static_cast<uint32_t>(first);
}

}  // namespace ml4t::backtest
