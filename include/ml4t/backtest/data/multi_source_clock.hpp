// MultiSourceClock: merges several DataFeeds (e.g. one feed per asset, or a feed per
// exchange) into one feed in (timestamp, source priority, first symbol) order. Events of
// every source at the same timestamp form one group, so the engine sees the same
// cross-sections as with a single multi-asset feed. Per-asset ColumnarDataFeeds over the
// same files with the same settings are read as one feed (one scan for all of them).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ml4t/backtest/data/data_feed.hpp"

namespace ml4t::backtest {

/// One DataFeed over several sources. Sources are added before the first read; each
/// gets a priority (lower comes first among events with equal timestamps). Among equal
/// priorities, the sources with a bar at a timestamp come in the order of the first
/// symbol of their group there, so neither the merged order nor anything computed from
/// it (context, asset ids, fills) depends on the order the sources were added in.
///
/// Shared scans: when the first read starts, unread ColumnarDataFeeds with asset lists
/// whose options are otherwise equal (same files, signals, context, feature provider
/// object, time range, timing, policies) and equal priority are replaced by one
/// ColumnarDataFeed over the union of their assets, which the clock owns and reads
/// instead. 250 per-asset feeds over one file then cost one scan, and the market context
/// is as-of on the merged timeline: the same as a single universe feed's. The original
/// feeds stay unread. An asset listed by two such feeds is a ConfigError.
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
  /// True when every source's timestamps are naive (and there is at least one source).
  bool naive_timestamps() const override;
  /// True when every source's volumes are integers (and there is at least one source).
  bool integer_volume() const override;
  /// Number of sources added.
  size_t num_sources() const { return added_; }
  /// Number of feeds the clock reads: num_sources() until the first read, then fewer
  /// when per-asset feeds share a scan.
  size_t num_scans() const { return sources_.size(); }

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
  void share_scans();
  void advance(Source& source);
  AssetId merged_asset(Source& source, AssetId id);

  std::unique_ptr<Schema> schema_;  // heap-held so the batch's pointers stay put
  std::unique_ptr<SymbolTable> symbols_;
  std::unique_ptr<Batch> batch_;
  std::vector<Source> sources_;
  std::vector<size_t> present_;  //!< per group: indices of the sources with a bar, in merge order
  size_t added_ = 0;
  std::vector<uint64_t> asset_seen_;  //!< merged asset id -> last group number it appeared in (+1)
  uint64_t group_number_ = 0;
  bool started_ = false;
};

}  // namespace ml4t::backtest
