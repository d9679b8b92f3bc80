// MultiSourceClock: merges several DataFeeds (e.g. one feed per asset, or a feed per
// exchange) into one feed in (timestamp, source priority, sequence) order. Events of
// every source at the same timestamp form one group, so the engine sees the same
// cross-sections as with a single multi-asset feed.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ml4t/backtest/data/data_feed.hpp"

namespace ml4t::backtest {

/// One DataFeed over several sources. Sources are added before the first read; each
/// gets a priority (lower comes first among events with equal timestamps) and a
/// sequence number (the order of add_source), which breaks ties between equal
/// priorities, so the merged order never depends on timing or hashing.
///
/// The merged Schema is the union of the sources' signal and context names (in order of
/// first appearance); a field a source lacks reads NaN for its events. Context values
/// at one timestamp come from the first source (in merge order) that has a non-missing
/// value. Assets get merged ids in order of first appearance in the merged stream. The
/// same asset at the same timestamp from two sources is a DataError (a duplicate bar).
class MultiSourceClock final : public DataFeed {
 public:
  MultiSourceClock();
  ~MultiSourceClock() override;
  MultiSourceClock(const MultiSourceClock&) = delete;
  MultiSourceClock& operator=(const MultiSourceClock&) = delete;
  MultiSourceClock(MultiSourceClock&&) = delete;
  MultiSourceClock& operator=(MultiSourceClock&&) = delete;

  /// Add a source the clock owns. Returns its sequence number. Throws ConfigError once
  /// reading has started or when `feed` is null.
  size_t add_source(std::unique_ptr<DataFeed> feed, int priority = 0);
  /// Add a source owned by the caller (it must outlive the clock).
  size_t add_source(DataFeed& feed, int priority = 0);

  const Schema& schema() const override { return *schema_; }
  const SymbolTable& symbols() const override { return *symbols_; }
  /// Number of sources added.
  size_t num_sources() const { return sources_.size(); }

 protected:
  TimestampGroup fetch_group() override;
  bool has_more_groups() override;

 private:
  struct Source {
    std::unique_ptr<DataFeed> owned;
    DataFeed* feed = nullptr;
    int priority = 0;
    size_t sequence = 0;
    TimestampGroup pending;                //!< the source's next group not yet merged
    std::vector<uint32_t> signal_map;      //!< source signal index -> merged index
    std::vector<uint32_t> context_map;     //!< source context index -> merged index
    std::vector<AssetId> asset_map;        //!< source asset id -> merged id (kNoAsset = not yet seen)
    Timestamp last_ts = Timestamp::min();  //!< to catch a source going back in time
    bool started = false;
  };
  size_t add(std::unique_ptr<DataFeed> owned, DataFeed* feed, int priority);
  void start();
  void advance(Source& source);
  AssetId merged_asset(Source& source, AssetId id);

  std::unique_ptr<Schema> schema_;  // heap-held so the batch's pointers stay put
  std::unique_ptr<SymbolTable> symbols_;
  std::unique_ptr<Batch> batch_;
  std::vector<Source> sources_;
  std::vector<size_t> order_;  //!< source indices by (priority, sequence)
  std::vector<uint64_t> asset_seen_;  //!< merged asset id -> last group number it appeared in (+1)
  uint64_t group_number_ = 0;
  bool started_ = false;
};

}  // namespace ml4t::backtest
