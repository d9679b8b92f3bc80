// EngineCore: the state and logic behind BacktestEngine and the Strategy helpers —
// broker (pending orders, fills, costs), portfolio (cash, positions, round-trip trades),
// risk rules and the per-timestamp loop. Internal: users see BacktestEngine/Strategy.
//
// Hot-path layout: per-asset state lives in a dense vector indexed by AssetId (grown
// when the feed reports new symbols), pending orders in one small vector compacted in
// place, open positions in a small vector of ids. Nothing is allocated per event apart
// from the output records (fills, orders, trades, equity points).
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/costs.hpp"
#include "ml4t/backtest/data/data_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/run_results.hpp"
#include "ml4t/backtest/engine/strategy.hpp"
#include "ml4t/backtest/engine/result_sink.hpp"

namespace ml4t::backtest::detail {

class EngineCore {
 public:
  EngineCore(DataFeed& feed, Strategy& strategy, EngineConfig config);
  ~EngineCore();

  void set_progress_callback(BacktestEngine::ProgressCallback callback, uint64_t every_events);
  void set_cancel_flag(const std::atomic<bool>* flag) { cancel_flag_ = flag; }
  void set_result_sink(ResultSink* sink) { sink_ = sink; }
  Results run();

  // --- Strategy-facing API (see strategy.hpp for the semantics) ---
  uint64_t submit(AssetId asset, double quantity, OrderType type, double limit, double stop, double trail,
                  TimeInForce tif);
  uint64_t order_target_quantity(AssetId asset, double target);
  /// The symbol a strategy asked for that the feed does not know (named when its order is rejected).
  void note_unknown_symbol(std::string_view symbol) { unknown_symbol_ = symbol; }
  uint64_t close_position(AssetId asset);
  bool cancel(uint64_t order_id);
  int cancel_all(AssetId asset);
  double position(AssetId asset) const { return asset < assets_.size() ? assets_[asset].qty : 0.0; }
  PositionInfo position_info(AssetId asset) const;
  std::span<const AssetId> open_positions() const { return open_positions_; }
  int open_orders(AssetId asset) const { return asset < assets_.size() ? assets_[asset].open_orders : 0; }
  double cash() const { return cash_; }
  double equity() const;
  Timestamp now() const { return now_; }
  double last_price(AssetId asset) const { return asset < assets_.size() ? assets_[asset].last_close : kMissing; }
  /// Round a quantity toward zero to whole shares unless fractional shares are on.
  double round_quantity(double quantity) const;
  const Schema& schema() const { return feed_.schema(); }
  const SymbolTable& symbols() const { return feed_.symbols(); }
  const EngineConfig& config() const { return config_; }

 private:
  struct Order {
    uint64_t id = 0;
    AssetId asset = kNoAsset;
    OrderType type = OrderType::kMarket;
    TimeInForce tif = TimeInForce::kGtc;
    double remaining = 0;  //!< signed quantity still to fill
    double limit = kMissing, stop = kMissing, trail = kMissing;
    double extreme = kMissing;  //!< trailing stops: best price since placed
    OrderFillsSoFar so_far;     //!< for the per-order commission minimum and the average price
    uint64_t created_seq = 0;   //!< group sequence (1-based) it was placed in; 0 = on_start
    int64_t expiry_day = -1;    //!< DAY orders: last UTC day (days since epoch) it may fill
    bool triggered = false;     //!< stop-limit: stop reached, now a limit order
    bool open = true;
    bool exit_first = false;  //!< reduces the position: processed before entries
  };

  struct AssetState {
    double qty = 0, avg_cost = 0, last_close = kMissing;
    double last_volume = kMissing;  //!< volume of its latest bar (end-of-data closing slippage)
    double realized = 0;            //!< net of commission
    double pending_qty = 0;         //!< signed remaining quantity of open orders
    int open_orders = 0;
    uint64_t bar_seq = 0;    //!< group sequence of its latest bar
    uint32_t row = 0;        //!< its row in the current batch when bar_seq is current
    double volume_used = 0;  //!< quantity filled in the current bar (participation)
    uint64_t volume_seq = 0;
    // The round trip in progress.
    bool in_trade = false;
    TradeSide trade_side = TradeSide::kLong;
    Timestamp entry_time;
    uint64_t entry_seq = 0;
    double entry_qty = 0, entry_notional = 0, exit_qty = 0, exit_notional = 0;
    double trade_gross = 0, trade_commission = 0, trade_slippage = 0;
    double high_water = 0, low_water = 0;  //!< trailing-stop rule
  };

  void validate_config() const;
  void ensure_assets();
  void process_group(const TimestampGroup& group);
  void process_pending(bool new_orders_at_close);
  void try_fill(Order& order, bool at_close);
  void apply_rules();
  void rule_exit(AssetId asset, ExitReason reason, double base_price, double level);
  /// Execute a fill: cash, position, trade bookkeeping, records, on_fill.
  void execute(Order* order, size_t record, AssetId asset, double signed_qty, double base_price, double price,
               double commission, ExitReason reason);
  bool has_buying_power(AssetId asset, double signed_qty, double price, double commission, double* need,
                        double* available) const;
  uint64_t reject_new(size_t record, std::string reason);
  size_t new_record(AssetId asset, double quantity, OrderType type, double limit, double stop, double trail,
                    TimeInForce tif);
  void close_order(Order& order, OrderStatus status, std::string reason);
  void finish_trade(AssetId asset, ExitReason reason, bool open);
  void mark(double* positions_value, double* gross_value) const;
  void record_equity();
  void close_all_at_end();
  std::string what_asset(AssetId asset) const;
  /// The order record of global index `record` (its id - 1); with a sink, finished
  /// records leave the front of results_.orders.
  OrderRecord& order_record(size_t record) { return results_.orders[record - orders_flushed_]; }
  /// Send finished order records (all of them: `all`) to the sink.
  void flush_orders(bool all);
  double current_context(FieldId field) const;

  DataFeed& feed_;
  Strategy& strategy_;
  EngineConfig config_;
  BacktestEngine::ProgressCallback progress_;
  uint64_t progress_every_ = 100'000;
  const std::atomic<bool>* cancel_flag_ = nullptr;
  std::string unknown_symbol_;  //!< last unknown symbol asked for (error path only)

  std::vector<AssetState> assets_;
  std::vector<AssetId> open_positions_;
  std::vector<Order> pending_;
  double cash_ = 0;
  // equity() memo: valid until cash, a position or a mark changes (execute, the marks
  // of a new timestamp, the start of run).
  mutable double equity_cached_ = 0;
  mutable bool equity_valid_ = false;
  double peak_equity_ = 0;
  double previous_peak_ = 0;  //!< the peak before the last equity point
  Timestamp now_;
  uint64_t seq_ = 0;  //!< 1-based sequence of the current group; 0 before the first
  TimestampGroup group_;
  bool has_context_field_ = false;
  FieldId context_field_;
  bool ran_ = false;
  Results results_;
  ResultSink* sink_ = nullptr;  //!< rows go here instead of results_ when set
  size_t orders_flushed_ = 0;   //!< order records already handed to sink_
};

}  // namespace ml4t::backtest::detail
