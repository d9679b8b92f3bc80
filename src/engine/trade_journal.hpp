// The trade journal: each asset's round trip in progress (from flat to flat), turned into
// a Trade record when it closes (or, at the end, while still open). Also keeps the
// round trip's high/low-water marks for the trailing-stop rule.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/portfolio.hpp"
#include "engine/run_recorder.hpp"
#include "ml4t/backtest/engine/trades.hpp"

namespace ml4t::backtest::detail {

/// One asset's round trip in progress.
struct RoundTrip {
  bool in_trade = false;
  TradeSide side = TradeSide::kLong;
  Timestamp entry_time;
  uint64_t entry_seq = 0;  //!< group sequence of the entry fill
  double entry_qty = 0, entry_notional = 0, exit_qty = 0, exit_notional = 0;
  double gross = 0, commission = 0, slippage = 0;
  double high_water = 0, low_water = 0;  //!< trailing-stop rule
};

class TradeJournal {
 public:
  explicit TradeJournal(RunRecorder& recorder) : recorder_(recorder) {}

  void resize(size_t assets) {
    if (assets > trips_.size()) trips_.resize(assets);
  }
  RoundTrip& trip(AssetId asset) { return trips_[asset]; }
  const RoundTrip& trip(AssetId asset) const { return trips_[asset]; }

  /// Book a fill of `signed_qty` at `price` given what it did to the position (`effect`):
  /// the closing part goes to the trade in progress (finished when flat), the opening
  /// part starts or adds to one; commission and slippage are split pro rata.
  void on_fill(AssetId asset, const FillEffect& effect, double signed_qty, double price, double commission,
               double slippage, ExitReason reason, Timestamp now, uint64_t seq);
  /// Record the round trip of `asset` ending now; `open`: still open, valued at the mark.
  void finish(AssetId asset, const Position& position, ExitReason reason, bool open, Timestamp now, uint64_t seq);

 private:
  RunRecorder& recorder_;
  std::vector<RoundTrip> trips_;
};

}  // namespace ml4t::backtest::detail
