// EngineCore: the loop behind BacktestEngine and the Strategy helpers. It composes, by
// value, the parts of a run along the order lifecycle — the market (this timestamp's
// bars), the broker (order book, matching, fills), the portfolio (cash, positions,
// marks), the trade journal (round trips) and the recorder (the run's records) — and
// runs the per-timestamp steps of docs/execution.md. Internal: users see
// BacktestEngine/Strategy.
//
// Hot-path layout: per-asset state lives in dense vectors indexed by AssetId (grown when
// the feed reports new symbols), pending orders in one small vector compacted in place,
// open positions in a small vector of ids. Nothing is allocated per event apart from the
// output records (fills, orders, trades, equity points). No virtual calls but the
// strategy's hooks.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/account.hpp"
#include "engine/broker.hpp"
#include "engine/market.hpp"
#include "engine/order_book.hpp"
#include "engine/portfolio.hpp"
#include "engine/run_recorder.hpp"
#include "engine/trade_journal.hpp"
#include "ml4t/backtest/data/data_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/run_results.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

namespace ml4t::backtest::detail {

/// One asset's orders in a rebalance (engine/rebalance.cpp).
struct RebalanceLeg {
  AssetId asset;
  double price;   //!< the last close
  double reduce;  //!< signed quantity toward flat
  double add;     //!< signed quantity that adds exposure
  double after;   //!< position + open orders once the reducing leg is done
};

class EngineCore {
 public:
  EngineCore(DataFeed& feed, Strategy& strategy, EngineConfig config);
  ~EngineCore();

  void set_progress_callback(BacktestEngine::ProgressCallback callback, uint64_t every_events);
  void set_cancel_flag(const std::atomic<bool>* flag) { cancel_flag_ = flag; }
  void set_result_sink(ResultSink* sink) { recorder_.set_sink(sink); }
  Results run();

  // run() in three steps, for several engines sharing one read of a feed
  // (run_in_one_pass): begin() once, step() per timestamp group of the feed, end() once.
  // detach() unhooks the strategy from the engine (end() does it; call it on failure).
  void begin();
  void step(const TimestampGroup& group);
  Results end();
  void detach() noexcept { strategy_.core_ = nullptr; }
  DataFeed& feed() const { return feed_; }

  // --- Strategy-facing API (see strategy.hpp for the semantics) ---
  uint64_t submit(const OrderRequest& request) { return broker_.submit(request); }
  uint64_t order_target_quantity(AssetId asset, double target) { return broker_.order_target_quantity(asset, target); }
  void note_unknown_symbol(std::string_view symbol) { broker_.note_unknown_symbol(symbol); }
  uint64_t close_position(AssetId asset) { return broker_.close_position(asset); }
  /// Strategy::rebalance (engine/rebalance.cpp).
  int rebalance(std::span<const TargetWeight> targets);
  bool cancel(uint64_t order_id) { return broker_.cancel(order_id); }
  int cancel_all(AssetId asset) { return broker_.cancel_all(asset); }
  double position(AssetId asset) const { return portfolio_.quantity(asset); }
  PositionInfo position_info(AssetId asset) const { return portfolio_.position_info(asset); }
  std::span<const AssetId> open_positions() const { return portfolio_.open_positions(); }
  int open_orders(AssetId asset) const { return broker_.open_orders(asset); }
  double cash() const { return portfolio_.cash(); }
  double equity() const { return portfolio_.equity(); }
  Timestamp now() const { return market_.now(); }
  double last_price(AssetId asset) const { return portfolio_.last_price(asset); }
  double round_quantity(double quantity) const { return broker_.round_quantity(quantity); }
  const Schema& schema() const { return feed_.schema(); }
  const SymbolTable& symbols() const { return feed_.symbols(); }
  const EngineConfig& config() const { return config_; }

 private:
  void process_group(const TimestampGroup& group);
  /// Step 2: stop loss, take profit, trailing stop on this bar.
  void apply_position_rules();
  void close_all_at_end();
  void record_equity();
  /// Commission and slippage of a rebalance's orders at the last closes.
  double estimated_costs(std::span<const RebalanceLeg> legs) const;

  DataFeed& feed_;
  Strategy& strategy_;
  EngineConfig config_;
  BacktestEngine::ProgressCallback progress_;
  uint64_t progress_every_ = 100'000;
  const std::atomic<bool>* cancel_flag_ = nullptr;
  bool ran_ = false;
  uint64_t next_progress_ = 0;              // events at which progress_ is called next
  Timestamp last_ts_ = Timestamp::min();    // the previous group's timestamp

  // The parts, in construction order (the broker refers to the others).
  Market market_;
  RunRecorder recorder_;
  Portfolio portfolio_;
  TradeJournal journal_;
  Account account_;
  Broker broker_;
};

}  // namespace ml4t::backtest::detail
