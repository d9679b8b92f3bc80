// Strategy: the base class users derive from to trade. The engine calls its hooks
// (on_start, on_market_data, on_timestamp, on_fill, on_end) in time order; inside a hook
// the strategy reads its portfolio and places or cancels orders through the protected
// helpers, which mirror the reference API (buy_percent, order_target_percent, ...).
// Orders placed in a hook see only data up to the current bar; they fill on the next
// bar by default (see docs/execution.md).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "ml4t/backtest/core/market_event.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/fills.hpp"
#include "ml4t/backtest/engine/orders.hpp"

namespace ml4t::backtest {

namespace detail {
class EngineCore;
}

/// A position as the strategy sees it.
struct PositionInfo {
  double quantity = 0;           //!< signed: > 0 long, < 0 short
  double avg_cost = 0;           //!< average entry price (after slippage); 0 when flat
  double last_price = kMissing;  //!< last close seen for the asset
  double market_value = 0;       //!< quantity x last_price
  double unrealized_pnl = 0;     //!< (last_price - avg_cost) x quantity
  double realized_pnl = 0;       //!< realized P&L of the asset so far, net of commission
};

/// One asset's target in a rebalance: a signed fraction of equity (< 0 short).
struct TargetWeight {
  AssetId asset = kNoAsset;  //!< the asset
  double weight = 0;         //!< fraction of equity; 0 closes the position
};

/// Base class of trading strategies. Override the hooks you need; all default to no-ops.
class Strategy {
 public:
  /// "Not a price": leave limit/stop arguments at this when unused.
  static constexpr double kNoPrice = std::numeric_limits<double>::quiet_NaN();

  virtual ~Strategy();

  /// Called once before the first bar; schema() and config() are available.
  virtual void on_start() {}
  /// Called for every event (one asset's bar) of a timestamp, in the feed's asset order.
  virtual void on_market_data(const MarketEvent& event, const FieldValues& context);
  /// Called once per timestamp after its events: the whole cross-section, for ranking.
  virtual void on_timestamp(const TimestampGroup& cross_section);
  /// Called for each fill of one of this strategy's orders (and rule exits).
  virtual void on_fill(const Fill& fill);
  /// Called once after the last bar.
  virtual void on_end() {}

 protected:
  /// Place an order for `quantity` shares: > 0 buys, < 0 sells. `limit`/`stop` are used
  /// by limit, stop and stop-limit orders. Quantities are rounded toward zero to whole
  /// shares unless fractional_shares. Returns the order id (also for orders rejected at
  /// once; their OrderRecord says why), or 0 when nothing was placed (zero quantity).
  uint64_t order(AssetId asset, double quantity, OrderType type = OrderType::kMarket, double limit = kNoPrice,
                 double stop = kNoPrice, TimeInForce tif = TimeInForce::kGtc);
  /// Place a trailing-stop order that triggers `trail_percent` (a fraction, e.g. 0.05)
  /// below the highest price seen since it was placed (above the lowest, for a buy).
  uint64_t order_trailing_stop(AssetId asset, double quantity, double trail_percent,
                               TimeInForce tif = TimeInForce::kGtc);
  /// Buy `pct` of current equity worth of `asset`, sized at `price` (e.g. event.close()).
  uint64_t buy_percent(AssetId asset, double pct, double price);
  /// Sell (short when flat) `pct` of current equity worth of `asset`, sized at `price`.
  uint64_t sell_percent(AssetId asset, double pct, double price);
  /// Order the difference between `pct` of equity (signed; < 0 short) and the current
  /// position plus what open orders for the asset will still trade, sized at the last close.
  uint64_t order_target_percent(AssetId asset, double pct);
  /// Order the difference between `quantity` (signed) and position + open orders.
  uint64_t order_target_quantity(AssetId asset, double quantity);
  /// Move the whole book to `targets` (weights of current equity at the last closes):
  /// held assets not listed are closed; orders that reduce positions are placed before
  /// those that add exposure, each group in AssetId order, and the additions are scaled
  /// down together so the book fits the account's buying power — so the result does not
  /// depend on the order of `targets`. Returns the number of orders placed. Throws Error
  /// for an asset listed twice or a weight that is not a finite number.
  int rebalance(std::span<const TargetWeight> targets);
  /// Cancel open orders for the asset and place a market order closing the position.
  uint64_t close_position(AssetId asset);
  /// Cancel an open order; false when it is unknown or no longer open.
  bool cancel(uint64_t order_id);
  /// Cancel every open order of `asset`; returns how many were cancelled.
  int cancel_all(AssetId asset);

  /// Signed quantity held of `asset` (0 when flat or unknown).
  double position(AssetId asset) const;
  /// Quantity, average cost and P&L of `asset`.
  PositionInfo position_info(AssetId asset) const;
  /// Assets with a non-zero position, in the order they were opened.
  std::span<const AssetId> open_positions() const;
  /// Number of open (unfilled or partly filled) orders for `asset`.
  int open_orders(AssetId asset) const;
  /// Cash after the fills so far.
  double cash() const;
  /// Cash + positions marked at their last close.
  double equity() const;
  /// The timestamp of the bar being processed.
  Timestamp now() const;
  /// The last close seen for `asset` (NaN before its first bar).
  double last_price(AssetId asset) const;

  /// The feed's field names, to resolve FieldIds once in on_start.
  const Schema& schema() const;
  /// Assets seen so far; symbol <-> AssetId.
  const SymbolTable& symbols() const;
  /// The id of `symbol`, or nullopt when the feed has not seen it (yet).
  std::optional<AssetId> asset_id(std::string_view symbol) const;
  /// The id of `symbol`, or kNoAsset when the feed has not seen it; an order for
  /// kNoAsset is then rejected with a reason naming this symbol.
  AssetId id_or_unknown(std::string_view symbol) const;
  /// The engine's configuration.
  const EngineConfig& config() const;

  // Symbol overloads, for convenience outside hot code.
  /// order() by symbol; rejected when the feed has not seen the symbol yet.
  uint64_t order(std::string_view symbol, double quantity, OrderType type = OrderType::kMarket, double limit = kNoPrice,
                 double stop = kNoPrice, TimeInForce tif = TimeInForce::kGtc);
  /// rebalance() with symbols; unknown symbols are rejected orders naming them.
  int rebalance(std::span<const std::pair<std::string, double>> targets);
  /// order_target_percent() by symbol.
  uint64_t order_target_percent(std::string_view symbol, double pct);
  /// close_position() by symbol.
  uint64_t close_position(std::string_view symbol);
  /// position() by symbol (0 when unknown).
  double position(std::string_view symbol) const;

 private:
  friend class detail::EngineCore;
  // Inline: the helpers call it once per event (position, open_orders), so the check
  // must cost a compare, not a call.
  detail::EngineCore& core() const {
    if (core_ == nullptr) [[unlikely]]
      throw_outside_run();
    return *core_;
  }
  [[noreturn]] static void throw_outside_run();
  detail::EngineCore* core_ = nullptr;
};

}  // namespace ml4t::backtest
