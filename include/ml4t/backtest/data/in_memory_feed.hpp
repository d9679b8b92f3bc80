// InMemoryDataFeed: a feed over bars already in memory. Used by tests, by golden
// backtests built by hand, and to measure the engine without I/O.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/data/data_feed.hpp"

namespace ml4t::backtest {

/// Serves one Batch holding the whole dataset, group by group.
class InMemoryDataFeed final : public DataFeed {
 public:
  class Builder;

  /// Read every remaining group of `source` into memory (e.g. to time the engine
  /// without I/O). Keeps the source's schema, symbols and field values.
  static std::unique_ptr<InMemoryDataFeed> collect(DataFeed& source);

  const Schema& schema() const override { return *schema_; }
  const SymbolTable& symbols() const override { return *symbols_; }
  /// The whole dataset (all groups), e.g. for columnar access.
  const Batch& batch() const { return *batch_; }
  /// Start again from the first group.
  void rewind() {
    next_group_ = 0;
    restart_reading();
  }

 protected:
  TimestampGroup fetch_group() override;
  bool has_more_groups() override { return next_group_ < batch_->num_groups(); }

 private:
  InMemoryDataFeed(std::unique_ptr<Schema> schema, std::unique_ptr<SymbolTable> symbols);
  std::unique_ptr<Schema> schema_;  // heap-held so the batch's pointers survive moves
  std::unique_ptr<SymbolTable> symbols_;
  std::unique_ptr<Batch> batch_;
  uint32_t next_group_ = 0;
};

/// Collects bars in any order and builds a feed sorted by (timestamp, symbol).
class InMemoryDataFeed::Builder {
 public:
  /// A builder for bars with these per-asset and market-wide fields.
  explicit Builder(std::vector<std::string> signal_names = {}, std::vector<std::string> context_names = {});

  /// Add one bar; `signals` are in the order of signal_names (missing ones NaN).
  Builder& add_bar(Timestamp ts, std::string_view symbol, const Bar& bar, std::vector<double> signals = {});
  /// Set the context values seen at timestamp `ts` (in the order of context_names).
  Builder& add_context(Timestamp ts, std::vector<double> values);
  /// Sort and build. Throws DataError on a duplicate (timestamp, symbol) bar.
  std::unique_ptr<InMemoryDataFeed> build();

 private:
  struct Row {
    Timestamp ts;
    std::string symbol;
    Bar bar;
    std::vector<double> signals;
  };
  Schema schema_;
  std::vector<Row> rows_;
  std::vector<std::pair<Timestamp, std::vector<double>>> context_;
};

}  // namespace ml4t::backtest
