// Batch: the columnar unit that flows from a feed to the engine. It holds whole
// timestamp groups (every asset's bar at one timestamp), OHLCV per row, a column per
// signal/feature field and a context row per group. Missing values are NaN. A feed
// refills one Batch in place, so steady-state iteration allocates nothing.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "ml4t/backtest/core/schema.hpp"
#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

inline constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

/// One bar's prices and volume.
struct Bar {
  /// Opening price.
  double open = kMissing;
  /// Highest price.
  double high = kMissing;
  /// Lowest price.
  double low = kMissing;
  /// Closing price.
  double close = kMissing;
  /// Traded volume (NaN when the source has none).
  double volume = kMissing;
};

/// Columnar storage of whole timestamp groups. Rows are appended in (timestamp,
/// asset) order; `begin_group` starts the next timestamp.
class Batch {
 public:
  /// The schema and symbol table must outlive the batch (they belong to the feed).
  Batch(const Schema* schema, const SymbolTable* symbols);

  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  /// Move construction (views into the batch do not survive a move).
  Batch(Batch&&) noexcept = default;
  /// Move assignment.
  Batch& operator=(Batch&&) noexcept = default;

  /// Drop all rows and groups, keeping the memory for reuse.
  void clear();
  /// Reserve room for `rows` rows and `groups` groups.
  void reserve(size_t rows, size_t groups);

  /// Start a new timestamp group; its context values start missing. Returns its index.
  uint32_t begin_group(Timestamp ts);
  /// Append a bar to the current group; its signal values start missing. Returns its row.
  uint32_t add_row(AssetId asset, const Bar& bar);
  /// Append `count` rows with missing signals (to be filled with set_row) and return
  /// the first row's index; a feed adds a whole group this way.
  uint32_t add_rows(size_t count);
  /// Set the asset and bar of a row added by add_rows.
  void set_row(uint32_t row, AssetId asset, const Bar& bar) {
    asset_[row] = asset;
    open_[row] = bar.open;
    high_[row] = bar.high;
    low_[row] = bar.low;
    close_[row] = bar.close;
    volume_[row] = bar.volume;
  }
  /// Set signal `field` of row `row`.
  void set_signal(uint32_t row, FieldId field, double value) { signals_[field.index][row] = value; }
  /// Set context `field` of group `group`.
  void set_context(uint32_t group, FieldId field, double value) { context_[field.index][group] = value; }

  /// Number of rows (bars) in the batch.
  size_t num_rows() const { return asset_.size(); }
  /// Number of timestamp groups in the batch.
  size_t num_groups() const { return group_timestamp_.size(); }
  /// True when the batch holds no rows.
  bool empty() const { return asset_.empty(); }

  /// Rows [group_begin(g), group_end(g)) belong to group g.
  uint32_t group_begin(uint32_t group) const { return group_begin_[group]; }
  /// One past the last row of group `group`.
  uint32_t group_end(uint32_t group) const {
    return group + 1 < group_begin_.size() ? group_begin_[group + 1] : static_cast<uint32_t>(asset_.size());
  }
  /// The timestamp of group `group`.
  Timestamp group_timestamp(uint32_t group) const { return group_timestamp_[group]; }

  /// Asset id of every row.
  std::span<const AssetId> asset() const { return asset_; }
  /// Opening price of every row.
  std::span<const double> open() const { return open_; }
  /// Highest price of every row.
  std::span<const double> high() const { return high_; }
  /// Lowest price of every row.
  std::span<const double> low() const { return low_; }
  /// Closing price of every row.
  std::span<const double> close() const { return close_; }
  /// Volume of every row.
  std::span<const double> volume() const { return volume_; }
  /// The values of one signal field, one per row.
  std::span<const double> signal_column(FieldId field) const { return signals_[field.index]; }
  /// The values of one context field, one per group.
  std::span<const double> context_column(FieldId field) const { return context_[field.index]; }

  /// Names of the signal and context fields.
  const Schema& schema() const { return *schema_; }
  /// Symbols of the asset ids.
  const SymbolTable& symbols() const { return *symbols_; }
  //! Column-major signal matrix and context matrix, for the views.
  const std::vector<std::vector<double>>& signal_matrix() const { return signals_; }
  /// Column-major context matrix: [field][group].
  const std::vector<std::vector<double>>& context_matrix() const { return context_; }

 private:
  const Schema* schema_;
  const SymbolTable* symbols_;
  std::vector<Timestamp> group_timestamp_;
  std::vector<uint32_t> group_begin_;
  std::vector<AssetId> asset_;
  std::vector<double> open_, high_, low_, close_, volume_;
  std::vector<std::vector<double>> signals_;  //!< [field][row]
  std::vector<std::vector<double>> context_;  //!< [field][group]
};

}  // namespace ml4t::backtest
