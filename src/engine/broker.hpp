// The broker: the order book (working orders in placement order, per-asset totals),
// order entry with its checks, matching against each new bar through the fill rules,
// partial fills under the volume-participation cap, and settlement of every fill into
// the portfolio, the trade journal and the records. See docs/execution.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common.hpp"
#include "engine/market.hpp"
#include "engine/order_book.hpp"
#include "engine/portfolio.hpp"
#include "engine/risk.hpp"
#include "engine/run_recorder.hpp"
#include "engine/trade_journal.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

namespace ml4t::backtest::detail {

class Account;

/// The parts of a run a broker works on; they outlive it.
struct BrokerParts {
  const EngineConfig& config;
  const Schema& schema;
  const SymbolTable& symbols;
  Market& market;
  Portfolio& portfolio;
  TradeJournal& journal;
  RunRecorder& recorder;
  Strategy& strategy;  //!< told about each fill (on_fill)
  Account& account;    //!< margin calls and hard-to-borrow checks on new exposure
};

class Broker {
 public:
  explicit Broker(const BrokerParts& parts);

  /// Grow every per-asset table (book, portfolio, journal, market) to the feed's assets.
  void ensure_assets();

  // --- Order entry (the Strategy helpers) ---
  /// Place an order; returns its id (also when rejected at once) or 0 when its quantity
  /// rounds to nothing.
  uint64_t submit(const OrderRequest& request);
  uint64_t order_target_quantity(AssetId asset, double target);
  uint64_t close_position(AssetId asset);
  bool cancel(uint64_t order_id);
  int cancel_all(AssetId asset);
  /// The symbol a strategy asked for that the feed does not know (named when its order is rejected).
  void note_unknown_symbol(std::string_view symbol) { unknown_symbol_ = symbol; }
  int open_orders(AssetId asset) const { return asset < book_.size() ? book_[asset].open_orders : 0; }
  /// Signed quantity the open orders of `asset` will still trade.
  double pending_quantity(AssetId asset) const { return asset < book_.size() ? book_[asset].pending_qty : 0.0; }
  /// Round a quantity toward zero to whole shares unless fractional shares are on.
  double round_quantity(double quantity) const;

  // --- The loop's steps ---
  bool has_pending() const { return !pending_.empty(); }
  /// Match the working orders against the current bars: exits before entries, each in
  /// placement order. `at_close`: same-bar-close mode, orders placed at this bar only.
  void process_pending(bool at_close);
  /// Cancel the open orders of `asset` (only those on `side`'s sign when side != 0).
  void cancel_orders(AssetId asset, double side, const std::string& reason);
  /// Close the whole position of `asset` now at `base_price` (+ slippage): rule exits and
  /// the end of data. Recorded as an order of `type` (stop price `level`) with `reason`.
  void close_out(AssetId asset, OrderType type, double level, ExitReason reason, double base_price, double volume);

 private:
  void try_fill(Order& order, bool at_close);
  /// backtrader's BackBroker.check_submitted (checksubmit=True): the orders placed since
  /// the last bar are pseudo-executed in placement order at their creation price against
  /// a running cash (src/engine/backtrader_submit_check.cpp).
  void check_submitted_like_backtrader();
  /// The order's fill price on its bar before slippage, or NaN (updates stop-limit and
  /// trailing-stop state).
  double base_price(Order& order, const BarPrices& bar, bool at_close) const;
  /// `trigger_price: close`: limit/stop/stop-limit/trailing orders against the close only.
  static double close_trigger_fill(Order& order, const BarPrices& bar, TrailReference reference);
  /// `cash_check: resize`: the largest whole (or fractional) quantity up to `qty_abs`
  /// whose fill the buying power pays for, or 0.
  double affordable_quantity(const Order& order, double qty_abs, double price, double volume) const;
  /// Settle a fill: portfolio, trade journal, the order's record, the fill record, on_fill.
  void execute(const Order* order, uint64_t order_id, AssetId asset, double signed_qty, double base_price, double price,
               double commission, ExitReason reason);
  uint64_t record_new(const OrderRequest& request, double quantity);
  uint64_t reject(uint64_t order_id, std::string reason);
  void close_order(Order& order, OrderStatus status, std::string reason);
  std::string name(AssetId asset) const { return asset_name(symbols_, asset); }

  const ExecutionConfig& execution_;
  const SymbolTable& symbols_;
  Market& market_;
  Portfolio& portfolio_;
  TradeJournal& journal_;
  RunRecorder& recorder_;
  Strategy& strategy_;
  Account& account_;
  EntryLimits entry_limits_;
  std::vector<AssetOrders> book_;
  std::vector<Order> pending_;
  bool checksubmit_ = false;              //!< backtrader profile with checksubmit: true
  std::vector<double> pseudo_positions_;  //!< check_submitted's cloned positions (reused)
  std::vector<AssetId> pseudo_touched_;   //!< assets whose clone to reset after the check
  std::string unknown_symbol_;  //!< last unknown symbol asked for (error path only)
};

}  // namespace ml4t::backtest::detail
