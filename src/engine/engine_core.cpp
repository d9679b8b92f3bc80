#include "engine/engine_core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/common.hpp"
#include "engine/config_checks.hpp"
#include "engine/risk.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/engine/metrics.hpp"

namespace ml4t::backtest::detail {

namespace {

// The config is validated before any part is built from it.
EngineConfig validated(EngineConfig config) {
  validate_engine_config(config);
  return config;
}

}  // namespace

EngineCore::EngineCore(DataFeed& feed, Strategy& strategy, EngineConfig config)
    : feed_(feed),
      strategy_(strategy),
      config_(validated(std::move(config))),
      journal_(recorder_),
      account_(config_, portfolio_, recorder_, feed.symbols()),
      broker_(BrokerParts{config_, feed.schema(), feed.symbols(), market_, portfolio_, journal_, recorder_, strategy,
                          account_}) {
}

EngineCore::~EngineCore() {
  if (strategy_.core_ == this) strategy_.core_ = nullptr;
}

void EngineCore::set_progress_callback(BacktestEngine::ProgressCallback callback, uint64_t every_events) {
  progress_ = std::move(callback);
  progress_every_ = std::max<uint64_t>(every_events, 1);
}

Results EngineCore::run() {
  begin();
  // Callbacks run with the engine as their context; the guard detaches it however run ends.
  struct Detach {
    EngineCore& core;
    ~Detach() { core.detach(); }
  } detach{*this};
  for (TimestampGroup group = feed_.next_group(); group.valid(); group = feed_.next_group()) step(group);
  return end();
}

void EngineCore::begin() {
  if (ran_) throw ConfigError("BacktestEngine::run() was called twice; create a new engine (and feed) per run");
  feed_.expect_events_left();  // a feed read to its end by an earlier run would give a silent empty run
  ran_ = true;
  recorder_.results().initial_capital = config_.execution.initial_capital;
  portfolio_.start(config_.execution.initial_capital);
  strategy_.core_ = this;
  next_progress_ = progress_every_;
  strategy_.on_start();
}

void EngineCore::step(const TimestampGroup& group) {
  Results& results = recorder_.results();
  if (cancel_flag_ != nullptr && cancel_flag_->load(std::memory_order_relaxed)) {
    throw Interrupted(fmt::format("backtest interrupted at {} after {} events; no results were produced",
                                  group.timestamp().to_string(), results.events));
  }
  if (market_.seq() > 0 && group.timestamp() <= last_ts_) {
    throw DataError(
        fmt::format("timestamps go backwards or repeat: group at {} follows {}; sort the data by "
                    "timestamp and keep one group per timestamp",
                    group.timestamp().to_string(), last_ts_.to_string()));
  }
  last_ts_ = group.timestamp();
  process_group(group);
  if (recorder_.streaming()) recorder_.flush_orders(false);
  results.events += group.size();
  if (progress_ && results.events >= next_progress_) {
    progress_(results.events, market_.now());
    next_progress_ = results.events + progress_every_;
  }
}

Results EngineCore::end() {
  Results& results = recorder_.results();
  market_.end();
  if (market_.seq() > 0 && config_.execution.close_positions_at_end) close_all_at_end();
  strategy_.on_end();

  // Positions still open: report their round trips valued at the last close.
  for (AssetId a : portfolio_.open_positions()) {
    journal_.finish(a, portfolio_.position(a), ExitReason::kEndOfData, true, market_.now(), market_.seq());
  }
  // Orders still working at the end stay "open" (or partially filled) in the records.
  results.symbols = feed_.symbols().names();
  results.final_equity = recorder_.has_equity() ? recorder_.last_equity().equity : portfolio_.cash();
  if (recorder_.streaming()) {
    recorder_.finish_stream();  // the sink saw every row and computes the metrics
  } else {
    results.metrics = compute_metrics(results.equity_curve, results.trades, results.fills,
                                      config_.execution.periods_per_year, config_.execution.initial_capital);
  }
  if (progress_) progress_(results.events, market_.now());
  detach();
  return std::move(results);
}

void EngineCore::process_group(const TimestampGroup& group) {
  market_.begin_group(group);
  // Financing of the balances held since the last session's close.
  if (account_.accrues()) account_.begin_group(market_.now(), utc_day(market_.now()));
  broker_.ensure_assets();
  const Batch& batch = group.batch();
  const auto asset = batch.asset();
  const auto open = batch.open(), high = batch.high(), low = batch.low(), close = batch.close();
  for (uint32_t row = group.row_begin(); row < group.row_end(); ++row) {
    const AssetId a = asset[row];
    if (!valid_price(open[row]) || !valid_price(high[row]) || !valid_price(low[row]) || !valid_price(close[row]) ||
        high[row] < low[row]) {
      throw DataError(fmt::format(
          "bad bar for asset {} at {}: open {} high {} low {} close {}; prices must be positive numbers with "
          "high >= low; drop or repair the row",
          asset_name(feed_.symbols(), a), market_.now().to_string(), open[row], high[row], low[row], close[row]));
    }
    market_.place(a, row);
  }

  // 1. Orders from earlier bars fill against these bars.
  if (broker_.has_pending()) broker_.process_pending(false);
  // 2. Stop-loss / take-profit / trailing-stop rules on this bar.
  if (has_position_rules(config_.risk_rules)) apply_position_rules();
  // 3. Mark at the close (the strategy's equity() sees it).
  portfolio_.invalidate_equity();
  const auto volume = batch.volume();
  for (uint32_t row = group.row_begin(); row < group.row_end(); ++row) {
    portfolio_.set_mark(asset[row], close[row], volume[row]);
  }
  // A margin call at these marks: liquidation at the close, or no new exposure.
  account_.check_margin(broker_, market_);
  // 4. The strategy sees the bars and queues orders.
  for (uint32_t row = group.row_begin(); row < group.row_end(); ++row) {
    const MarketEvent event(batch, row, group.group());
    strategy_.on_market_data(event, event.context());
  }
  strategy_.on_timestamp(group);
  // 5. Same-bar mode: this bar's orders against its close.
  if (config_.execution.fill_timing == FillTiming::kSameBarClose && broker_.has_pending()) {
    broker_.process_pending(true);
  }
  // 6. The equity point.
  record_equity();
}

void EngineCore::apply_position_rules() {
  const RiskRules& rules = config_.risk_rules;
  // An exit removes the asset from the list: index, and advance only when it stays.
  for (size_t i = 0; i < portfolio_.open_positions().size();) {
    const AssetId a = portfolio_.open_positions()[i];
    RoundTrip& trip = journal_.trip(a);
    // Rules start on the bar after the entry: within the entry bar the order of the
    // fill and the bar's high/low is unknown.
    if (!market_.has_bar(a) || trip.entry_seq >= market_.seq()) {
      ++i;
      continue;
    }
    const BarPrices bar = market_.prices(a);
    const Position& p = portfolio_.position(a);
    const ProtectiveExit exit = protective_exit(rules, p.qty > 0, p.avg_cost, trip.high_water, trip.low_water, bar);
    if (exit.exit) {
      // Open orders that would have closed this position now would open a new one instead.
      broker_.cancel_orders(a, sign_of(-p.qty),
                            fmt::format("cancelled: position closed by {}", to_string(exit.reason)));
      broker_.close_out(a, OrderType::kStop, exit.level, exit.reason, exit.price, market_.volume(a));
    } else {
      // The marks the trailing stop follows: the bar's high/low, or its close
      // (execution.rules.trail_reference).
      const bool by_close = config_.execution.rules.trail_reference == TrailReference::kClose;
      trip.high_water = std::max(trip.high_water, by_close ? bar.close : bar.high);
      trip.low_water = std::min(trip.low_water, by_close ? bar.close : bar.low);
      ++i;
    }
  }
}

void EngineCore::close_all_at_end() {
  // Close at each asset's last close, in the order the positions were opened.
  const std::vector<AssetId> to_close(portfolio_.open_positions().begin(), portfolio_.open_positions().end());
  for (AssetId a : to_close) {
    broker_.cancel_orders(a, 0, "cancelled: positions closed at the end");
    const Position& p = portfolio_.position(a);
    const double volume = market_.has_bar(a) ? p.last_volume : kMissing;
    broker_.close_out(a, OrderType::kMarket, kMissing, ExitReason::kEndOfData, p.last_close, volume);
  }
  // The last equity point reflects the closing costs (its peak excludes the replaced point).
  if (recorder_.has_equity()) {
    recorder_.drop_last_equity();
    portfolio_.restore_previous_peak();
    record_equity();
  }
}

void EngineCore::record_equity() { recorder_.record_equity(portfolio_.equity_point(market_.now())); }

}  // namespace ml4t::backtest::detail
