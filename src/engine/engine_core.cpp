#include "engine/engine_core.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/costs.hpp"
#include "engine/fill_rules.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/engine/limits.hpp"
#include "ml4t/backtest/engine/metrics.hpp"

namespace ml4t::backtest::detail {

namespace {

constexpr int64_t kNanosPerDay = 86'400'000'000'000LL;
// Quantities computed as fractions of equity land a hair below a whole number
// (199.99999999997); this tolerance keeps them at 200 when rounding to shares.
constexpr double kShareEpsilon = 1e-9;

int64_t utc_day(Timestamp ts) {
  const int64_t ns = ts.nanos();
  return ns >= 0 ? ns / kNanosPerDay : -((-ns + kNanosPerDay - 1) / kNanosPerDay);
}

double sign_of(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

bool valid_price(double p) { return std::isfinite(p) && p > 0; }

}  // namespace

EngineCore::EngineCore(DataFeed& feed, Strategy& strategy, EngineConfig config)
    : feed_(feed), strategy_(strategy), config_(std::move(config)) {
  validate_config();
  // Resolved here so a missing field fails before anything is read.
  const RiskRules& rules = config_.risk_rules;
  if (rules.min_vix || rules.max_vix) {
    auto field = feed_.schema().find_context(rules.context_field);
    if (!field) {
      std::string known;
      for (const auto& n : feed_.schema().context_names()) known += (known.empty() ? "" : ", ") + n;
      throw ConfigError(fmt::format(
          "risk_rules.context_field: the feed has no context field \"{}\" (needed by min_vix/max_vix); known "
          "context fields: [{}]; add a context source with that column or set risk_rules.context_field",
          rules.context_field, known));
    }
    has_context_field_ = true;
    context_field_ = *field;
  }
  pending_.reserve(64);
  open_positions_.reserve(64);
}

EngineCore::~EngineCore() {
  if (strategy_.core_ == this) strategy_.core_ = nullptr;
}

void EngineCore::set_progress_callback(BacktestEngine::ProgressCallback callback, uint64_t every_events) {
  progress_ = std::move(callback);
  progress_every_ = std::max<uint64_t>(every_events, 1);
}

void EngineCore::validate_config() const {
  const ExecutionConfig& e = config_.execution;
  const RiskRules& r = config_.risk_rules;
  auto fail = [](const std::string& path, double value, std::string_view rule) {
    throw ConfigError(fmt::format("{}: {} is out of range; {}", path, value, rule));
  };
  if (!(e.initial_capital > 0) || !std::isfinite(e.initial_capital)) {
    fail("execution.initial_capital", e.initial_capital, "use a positive amount, e.g. 100000");
  }
  // Amounts beyond kMaxAmount cannot be kept to the cent (see limits.hpp).
  auto amount = [&](const char* path, double v) {
    if (!(v <= kMaxAmount)) fail(path, v, fmt::format("use at most {:g} (cents are lost beyond it)", kMaxAmount));
  };
  amount("execution.initial_capital", e.initial_capital);
  amount("execution.commission.minimum", e.commission.minimum);
  if (e.commission.type == CommissionType::kFixed || e.commission.type == CommissionType::kPerShare) {
    amount("execution.commission.rate", e.commission.rate);
  }
  if (e.slippage.type == SlippageType::kFixed) amount("execution.slippage.rate", e.slippage.rate);
  if (!(e.periods_per_year <= kMaxPeriodsPerYear)) {
    fail("execution.periods_per_year", e.periods_per_year, fmt::format("use at most {:g}", kMaxPeriodsPerYear));
  }
  for (const auto& [path, v] : {std::pair{"risk_rules.take_profit", r.take_profit},
                                std::pair{"risk_rules.max_gross_exposure", r.max_gross_exposure}}) {
    if (!(v <= kMaxRatio)) fail(path, v, fmt::format("use at most {:g}", kMaxRatio));
  }
  if (!(e.commission.rate >= 0)) fail("execution.commission.rate", e.commission.rate, "use a rate >= 0");
  if (!(e.commission.minimum >= 0)) fail("execution.commission.minimum", e.commission.minimum, "use a minimum >= 0");
  if (e.commission.type == CommissionType::kPercentage && !(e.commission.rate < 1)) {
    fail("execution.commission.rate", e.commission.rate, "a percentage commission is a fraction < 1 (0.001 = 0.1%)");
  }
  if (!(e.slippage.rate >= 0)) fail("execution.slippage.rate", e.slippage.rate, "use a rate >= 0");
  if ((e.slippage.type == SlippageType::kPercentage || e.slippage.type == SlippageType::kVolumeShare) &&
      !(e.slippage.rate < 1)) {
    fail("execution.slippage.rate", e.slippage.rate, "a percentage slippage is a fraction < 1 (0.001 = 0.1%)");
  }
  if (!(e.max_volume_participation >= 0 && e.max_volume_participation <= 1)) {
    fail("execution.max_volume_participation", e.max_volume_participation, "use a fraction in [0, 1] (0 = no limit)");
  }
  if (!(e.periods_per_year >= 0)) fail("execution.periods_per_year", e.periods_per_year, "use 0 (detect) or > 0");
  auto fraction = [&](const char* path, double v, bool below_one) {
    if (!(v >= 0) || (below_one && !(v < 1))) {
      fail(path, v, below_one ? "use a fraction in [0, 1) (0 = off)" : "use a value >= 0 (0 = off)");
    }
  };
  fraction("risk_rules.max_position_size", r.max_position_size, false);
  fraction("risk_rules.stop_loss", r.stop_loss, true);
  fraction("risk_rules.take_profit", r.take_profit, false);
  fraction("risk_rules.trailing_stop", r.trailing_stop, true);
  fraction("risk_rules.max_gross_exposure", r.max_gross_exposure, false);
  if (r.max_positions < 0) fail("risk_rules.max_positions", r.max_positions, "use a count >= 0 (0 = off)");
  if (r.min_vix && r.max_vix && *r.min_vix > *r.max_vix) {
    throw ConfigError(fmt::format("risk_rules.max_vix: {} is below risk_rules.min_vix {}; make max_vix >= min_vix",
                                  *r.max_vix, *r.min_vix));
  }
}

// ---------------------------------------------------------------------------
// The loop

Results EngineCore::run() {
  if (ran_) throw ConfigError("BacktestEngine::run() was called twice; create a new engine (and feed) per run");
  ran_ = true;
  cash_ = config_.execution.initial_capital;
  equity_valid_ = false;
  peak_equity_ = cash_;
  results_.initial_capital = cash_;

  strategy_.core_ = this;
  // Callbacks run with the engine as their context; the guard detaches it however run ends.
  struct Detach {
    Strategy& s;
    ~Detach() { s.core_ = nullptr; }
  } detach{strategy_};

  strategy_.on_start();

  uint64_t next_progress = progress_every_;
  Timestamp last_ts = Timestamp::min();
  for (TimestampGroup group = feed_.next_group(); group.valid(); group = feed_.next_group()) {
    if (cancel_flag_ != nullptr && cancel_flag_->load(std::memory_order_relaxed)) {
      throw Interrupted(fmt::format("backtest interrupted at {} after {} events; no results were produced",
                                    group.timestamp().to_string(), results_.events));
    }
    if (seq_ > 0 && group.timestamp() <= last_ts) {
      throw DataError(
          fmt::format("timestamps go backwards or repeat: group at {} follows {}; sort the data by "
                      "timestamp and keep one group per timestamp",
                      group.timestamp().to_string(), last_ts.to_string()));
    }
    last_ts = group.timestamp();
    process_group(group);
    if (sink_ != nullptr) flush_orders(false);
    results_.events += group.size();
    if (progress_ && results_.events >= next_progress) {
      progress_(results_.events, now_);
      next_progress = results_.events + progress_every_;
    }
  }

  // The feed may reuse its batch once exhausted: drop the view of the last group.
  group_ = TimestampGroup();
  if (seq_ > 0 && config_.execution.close_positions_at_end) close_all_at_end();
  strategy_.on_end();

  // Positions still open: report their round trips valued at the last close.
  for (AssetId a : open_positions_) finish_trade(a, ExitReason::kEndOfData, true);
  // Orders still working at the end stay "open" (or partially filled) in the records.
  results_.symbols = feed_.symbols().names();
  results_.final_equity = results_.equity_curve.empty() ? cash_ : results_.equity_curve.back().equity;
  if (sink_ != nullptr) {
    // Streamed: the rows went to the sink, which computes the metrics.
    for (const EquityPoint& p : results_.equity_curve) sink_->equity(p);
    results_.equity_curve.clear();
    flush_orders(true);
  } else {
    results_.metrics = compute_metrics(results_.equity_curve, results_.trades, results_.fills,
                                       config_.execution.periods_per_year, config_.execution.initial_capital);
  }
  if (progress_) progress_(results_.events, now_);
  return std::move(results_);
}

void EngineCore::ensure_assets() {
  const size_t n = feed_.symbols().size();
  if (n > assets_.size()) assets_.resize(n);
}

void EngineCore::process_group(const TimestampGroup& group) {
  ++seq_;
  group_ = group;
  now_ = group.timestamp();
  ensure_assets();
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
          what_asset(a), now_.to_string(), open[row], high[row], low[row], close[row]));
    }
    AssetState& st = assets_[a];
    st.bar_seq = seq_;
    st.row = row;
  }

  // 1. Orders from earlier bars fill against these bars.
  if (!pending_.empty()) process_pending(false);
  // 2. Stop-loss / take-profit / trailing-stop rules on this bar.
  if (config_.risk_rules.stop_loss > 0 || config_.risk_rules.take_profit > 0 || config_.risk_rules.trailing_stop > 0) {
    apply_rules();
  }
  // 3. Mark at the close (the strategy's equity() sees it).
  equity_valid_ = false;
  const auto volume = batch.volume();
  for (uint32_t row = group.row_begin(); row < group.row_end(); ++row) {
    assets_[asset[row]].last_close = close[row];
    assets_[asset[row]].last_volume = volume[row];
  }
  // 4. The strategy sees the bars and queues orders.
  for (uint32_t row = group.row_begin(); row < group.row_end(); ++row) {
    const MarketEvent event(batch, row, group.group());
    strategy_.on_market_data(event, event.context());
  }
  strategy_.on_timestamp(group);
  if (config_.execution.fill_timing == FillTiming::kSameBarClose && !pending_.empty()) process_pending(true);
  record_equity();
}

// ---------------------------------------------------------------------------
// Broker

void EngineCore::process_pending(bool at_close) {
  const int64_t today = utc_day(now_);
  // Exits before entries, each in placement order; decided once per pass so an order
  // cannot move between the two queues while the pass runs.
  for (Order& o : pending_) {
    const double pos = assets_[o.asset].qty;
    o.exit_first = pos != 0 && sign_of(o.remaining) == -sign_of(pos);
  }
  const size_t count = pending_.size();  // orders placed by on_fill during the pass wait
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < count; ++i) {
      // on_fill may place orders (growing pending_), so index instead of iterating.
      if (!pending_[i].open || pending_[i].exit_first != (pass == 0)) continue;
      if (at_close && pending_[i].created_seq != seq_) continue;
      if (!at_close && pending_[i].created_seq >= seq_) continue;
      if (pending_[i].tif == TimeInForce::kDay) {
        if (pending_[i].expiry_day < 0) pending_[i].expiry_day = today;
        if (today > pending_[i].expiry_day) {
          close_order(pending_[i], OrderStatus::kExpired, "day order expired at the end of its UTC trading day");
          continue;
        }
      }
      try_fill(pending_[i], at_close);
    }
  }
  std::erase_if(pending_, [](const Order& o) { return !o.open; });
}

void EngineCore::try_fill(Order& o, bool at_close) {
  AssetState& st = assets_[o.asset];
  if (st.bar_seq != seq_) return;  // no bar for the asset now: no fill
  const Batch& batch = group_.batch();
  const uint32_t row = st.row;
  const double open = batch.open()[row], high = batch.high()[row], low = batch.low()[row];
  const double close = batch.close()[row], volume = batch.volume()[row];
  const bool buy = o.remaining > 0;
  const BarPrices bar{open, high, low, close};
  double base = kMissing;
  if (at_close) {
    base = close_fill_price(o.type, buy, o.limit, o.stop, close);
  } else {
    switch (o.type) {
      case OrderType::kMarket:
        base = open;
        break;
      case OrderType::kLimit:
        base = limit_fill_price(buy, o.limit, bar);
        break;
      case OrderType::kStop:
        base = stop_fill_price(buy, o.stop, bar);
        break;
      case OrderType::kStopLimit: {
        const StopLimitFill f = stop_limit_fill_price(buy, o.stop, o.limit, o.triggered, bar);
        o.triggered = f.triggered;
        base = f.price;
        break;
      }
      case OrderType::kTrailingStop:
        // The stop trails the best price of the bars before this one.
        base = stop_fill_price(buy, trailing_stop_level(buy, o.extreme, o.trail), bar);
        o.extreme = trailing_extreme_after(buy, o.extreme, bar);
        break;
    }
  }
  if (std::isnan(base)) return;

  // Volume participation: at most this share of the bar's volume across all orders.
  double qty_abs = std::abs(o.remaining);
  const double participation = config_.execution.max_volume_participation;
  if (participation > 0 && std::isfinite(volume)) {
    if (st.volume_seq != seq_) {
      st.volume_seq = seq_;
      st.volume_used = 0;
    }
    const double cap = round_quantity(participation_room(participation, volume, st.volume_used));
    if (cap <= 0) return;
    qty_abs = std::min(qty_abs, cap);
  }

  const double sign = buy ? 1.0 : -1.0;
  // A limit is a promise about the price: slippage never pushes a fill past it.
  const double price =
      clamp_to_limit(o.type, buy, o.limit, slipped_price(config_.execution.slippage, base, sign, qty_abs, volume));
  const double commission = commission_for(config_.execution.commission, o.so_far, qty_abs, price);
  const double signed_qty = sign * qty_abs;

  const double new_qty = st.qty + signed_qty;
  if (!config_.execution.allow_short && new_qty < 0) {
    close_order(o, OrderStatus::kRejected,
                fmt::format("short selling is disabled (execution.allow_short: false): selling {} would leave {} "
                            "of {}",
                            qty_abs, new_qty, what_asset(o.asset)));
    return;
  }
  double need = 0, available = 0;
  if (!has_buying_power(o.asset, signed_qty, price, commission, &need, &available)) {
    close_order(o, OrderStatus::kRejected,
                fmt::format("insufficient buying power at {}: {} {} {} at {:.4f} needs {:.2f} but {:.2f} is "
                            "available; size orders below the free equity (equity minus gross exposure)",
                            now_.to_string(), buy ? "buying" : "selling", qty_abs, what_asset(o.asset), price, need,
                            available));
    return;
  }
  if (participation > 0 && std::isfinite(volume)) st.volume_used += qty_abs;
  const size_t record = static_cast<size_t>(o.id - 1);
  o.remaining -= signed_qty;
  if (std::abs(o.remaining) < kShareEpsilon) o.remaining = 0;
  o.so_far.filled_abs += qty_abs;
  o.so_far.filled_notional += qty_abs * price;
  o.so_far.commission_charged += commission;
  st.pending_qty -= signed_qty;
  if (o.remaining == 0) {
    o.open = false;
    // Fractional quantities summed then subtracted leave a residue (1e-15); with no
    // open order left the total is exactly 0.
    if (--st.open_orders == 0) st.pending_qty = 0;
  }
  execute(&o, record, o.asset, signed_qty, base, price, commission, ExitReason::kSignal);
}

// Buying power is free equity: cash minus twice the short exposure (the short proceeds
// sit in cash and the shorted value must be covered), with long positions paid in full
// — i.e. equity - gross exposure, no leverage. Only fills that add exposure are checked;
// reducing a position is always allowed.
bool EngineCore::has_buying_power(AssetId asset, double signed_qty, double price, double commission, double* need,
                                  double* available) const {
  const AssetState& st = assets_[asset];
  const double pos = st.qty;
  const double new_qty = pos + signed_qty;
  const double added = std::max(0.0, std::abs(new_qty) - std::abs(pos));
  if (added <= 0) return true;
  double short_value = 0;  // other assets, at their marks
  for (AssetId a : open_positions_) {
    if (a == asset) continue;
    const AssetState& o = assets_[a];
    if (o.qty < 0) short_value += -o.qty * o.last_close;
  }
  const double cash_after = cash_ - signed_qty * price - commission;
  const double own_short_after = new_qty < 0 ? -new_qty * price : 0.0;
  const double own_short_before = pos < 0 ? -pos * (std::isnan(st.last_close) ? price : st.last_close) : 0.0;
  const double free_after = cash_after - 2 * (short_value + own_short_after);
  *need = added * price + commission;
  *available = cash_ - 2 * (short_value + own_short_before);
  return free_after >= 0;
}

void EngineCore::execute(Order* order, size_t record, AssetId asset, double signed_qty, double base_price, double price,
                         double commission, ExitReason reason) {
  AssetState& st = assets_[asset];
  const double qty_abs = std::abs(signed_qty);
  const double slippage = std::abs(price - base_price) * qty_abs;
  equity_valid_ = false;  // cash and the position change
  cash_ -= signed_qty * price + commission;
  st.realized -= commission;

  double opening = qty_abs;  // the part that opens or adds
  double opening_commission = commission, opening_slippage = slippage;
  if (st.qty != 0 && sign_of(signed_qty) == -sign_of(st.qty)) {
    const double closing = std::min(qty_abs, std::abs(st.qty));
    const double frac = closing / qty_abs;
    const double gross = closing * (price - st.avg_cost) * sign_of(st.qty);
    st.realized += gross;
    st.trade_gross += gross;
    st.exit_qty += closing;
    st.exit_notional += closing * price;
    st.trade_commission += commission * frac;
    st.trade_slippage += slippage * frac;
    st.qty += sign_of(signed_qty) * closing;
    if (std::abs(st.qty) < kShareEpsilon) st.qty = 0;
    opening = qty_abs - closing;
    opening_commission = commission * (1 - frac);
    opening_slippage = slippage * (1 - frac);
    if (st.qty == 0) {
      finish_trade(asset, reason, false);
      st.avg_cost = 0;
      open_positions_.erase(std::find(open_positions_.begin(), open_positions_.end(), asset));
    }
  }
  if (opening > kShareEpsilon) {
    const double s = sign_of(signed_qty);
    if (st.qty == 0) {
      st.in_trade = true;
      st.trade_side = s > 0 ? TradeSide::kLong : TradeSide::kShort;
      st.entry_time = now_;
      st.entry_seq = seq_;
      st.entry_qty = st.entry_notional = st.exit_qty = st.exit_notional = 0;
      st.trade_gross = st.trade_commission = st.trade_slippage = 0;
      st.high_water = st.low_water = price;
      st.avg_cost = 0;
      open_positions_.push_back(asset);
    }
    const double held = std::abs(st.qty);
    st.avg_cost = (held * st.avg_cost + opening * price) / (held + opening);
    st.qty += s * opening;
    st.entry_qty += opening;
    st.entry_notional += opening * price;
    st.trade_commission += opening_commission;
    st.trade_slippage += opening_slippage;
  }

  OrderRecord& rec = order_record(record);
  rec.filled_quantity += qty_abs;
  rec.avg_fill_price =
      std::isnan(rec.avg_fill_price)
          ? price
          : (rec.avg_fill_price * (rec.filled_quantity - qty_abs) + price * qty_abs) / rec.filled_quantity;
  rec.updated = now_;
  const bool done = order == nullptr || !order->open;
  rec.status = done ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled;

  Fill fill;
  fill.order_id = rec.id;
  fill.timestamp = now_;
  fill.asset = asset;
  fill.side = signed_qty > 0 ? Side::kBuy : Side::kSell;
  fill.quantity = qty_abs;
  fill.price = price;
  fill.commission = commission;
  fill.slippage = slippage;
  if (sink_ != nullptr) {
    sink_->fill(fill);
  } else {
    results_.fills.push_back(fill);
  }
  strategy_.on_fill(fill);
}

void EngineCore::finish_trade(AssetId asset, ExitReason reason, bool open) {
  AssetState& st = assets_[asset];
  if (!st.in_trade) return;
  Trade t;
  t.asset = asset;
  t.entry_time = st.entry_time;
  t.exit_time = now_;
  t.side = st.trade_side;
  t.quantity = st.entry_qty;
  t.entry_price = st.entry_notional / st.entry_qty;
  t.commission = st.trade_commission;
  t.slippage = st.trade_slippage;
  t.bars_held = static_cast<int64_t>(seq_ - st.entry_seq);
  t.exit_reason = reason;
  t.open = open;
  double gross = st.trade_gross;
  if (open) {
    // Valued at the last close: the closed part at its fills, the rest at the mark.
    const double rest = std::abs(st.qty);
    const double exit_notional = st.exit_notional + rest * st.last_close;
    t.exit_price = exit_notional / (st.exit_qty + rest);
    gross += (st.last_close - st.avg_cost) * st.qty;
  } else {
    t.exit_price = st.exit_notional / st.exit_qty;
  }
  t.pnl = gross - st.trade_commission;
  t.return_fraction = st.entry_notional > 0 ? t.pnl / st.entry_notional : 0.0;
  if (sink_ != nullptr) {
    sink_->trade(t);
  } else {
    results_.trades.push_back(t);
  }
  st.in_trade = false;
}

// ---------------------------------------------------------------------------
// Risk rules

void EngineCore::apply_rules() {
  const RiskRules& r = config_.risk_rules;
  const Batch& batch = group_.batch();
  // Iterate over a copy of the count: a rule exit removes the asset from the list.
  for (size_t i = 0; i < open_positions_.size();) {
    const AssetId a = open_positions_[i];
    AssetState& st = assets_[a];
    // Rules start on the bar after the entry: within the entry bar the order of the
    // fill and the bar's high/low is unknown.
    if (st.bar_seq != seq_ || st.entry_seq >= seq_) {
      ++i;
      continue;
    }
    const uint32_t row = st.row;
    const double open = batch.open()[row], high = batch.high()[row], low = batch.low()[row];
    const bool is_long = st.qty > 0;
    // Adverse levels (stop loss, trailing stop) and the favourable one (take profit).
    double adverse = kMissing, favourable = kMissing;
    ExitReason adverse_reason = ExitReason::kStopLoss;
    if (r.stop_loss > 0) adverse = is_long ? st.avg_cost * (1 - r.stop_loss) : st.avg_cost * (1 + r.stop_loss);
    if (r.trailing_stop > 0) {
      const double trail = is_long ? st.high_water * (1 - r.trailing_stop) : st.low_water * (1 + r.trailing_stop);
      // The tighter level is hit first as the price moves against the position.
      if (std::isnan(adverse) || (is_long ? trail > adverse : trail < adverse)) {
        adverse = trail;
        adverse_reason = ExitReason::kTrailingStop;
      }
    }
    if (r.take_profit > 0) favourable = is_long ? st.avg_cost * (1 + r.take_profit) : st.avg_cost * (1 - r.take_profit);

    bool exited = false;
    if (!std::isnan(adverse) && (is_long ? open <= adverse : open >= adverse)) {
      rule_exit(a, adverse_reason, open, adverse);  // gapped through: the open
      exited = true;
    } else if (!std::isnan(favourable) && (is_long ? open >= favourable : open <= favourable)) {
      rule_exit(a, ExitReason::kTakeProfit, open, favourable);
      exited = true;
    } else if (!std::isnan(adverse) && (is_long ? low <= adverse : high >= adverse)) {
      // When both levels lie inside the bar, assume the adverse one came first.
      rule_exit(a, adverse_reason, adverse, adverse);
      exited = true;
    } else if (!std::isnan(favourable) && (is_long ? high >= favourable : low <= favourable)) {
      rule_exit(a, ExitReason::kTakeProfit, favourable, favourable);
      exited = true;
    }
    if (!exited) {
      st.high_water = std::max(st.high_water, high);
      st.low_water = std::min(st.low_water, low);
      ++i;
    }
  }
}

void EngineCore::rule_exit(AssetId asset, ExitReason reason, double base_price, double level) {
  AssetState& st = assets_[asset];
  const double qty = -st.qty;
  const double sign = sign_of(qty);
  // Open orders that would have closed this position now would open a new one instead.
  for (Order& o : pending_) {
    if (o.open && o.asset == asset && sign_of(o.remaining) == sign) {
      close_order(o, OrderStatus::kCancelled, fmt::format("cancelled: position closed by {}", to_string(reason)));
    }
  }
  const size_t record = new_record(asset, qty, OrderType::kStop, kMissing, level, kMissing, TimeInForce::kGtc);
  order_record(record).reason = std::string(to_string(reason));
  const double volume = group_.batch().volume()[st.row];
  const double price = slipped_price(config_.execution.slippage, base_price, sign, std::abs(qty), volume);
  const double commission = commission_for(config_.execution.commission, {}, std::abs(qty), price);
  execute(nullptr, record, asset, qty, base_price, price, commission, reason);
}

void EngineCore::close_all_at_end() {
  // Close at each asset's last close, in the order the positions were opened.
  const std::vector<AssetId> to_close = open_positions_;
  for (AssetId a : to_close) {
    AssetState& st = assets_[a];
    const double qty = -st.qty;
    for (Order& o : pending_) {
      if (o.open && o.asset == a) close_order(o, OrderStatus::kCancelled, "cancelled: positions closed at the end");
    }
    const size_t record = new_record(a, qty, OrderType::kMarket, kMissing, kMissing, kMissing, TimeInForce::kGtc);
    order_record(record).reason = std::string(to_string(ExitReason::kEndOfData));
    const double volume = st.bar_seq == seq_ ? st.last_volume : kMissing;
    const double price = slipped_price(config_.execution.slippage, st.last_close, sign_of(qty), std::abs(qty), volume);
    execute(nullptr, record, a, qty, st.last_close, price,
            commission_for(config_.execution.commission, {}, std::abs(qty), price), ExitReason::kEndOfData);
  }
  // The last equity point reflects the closing costs (its peak excludes the replaced point).
  if (!results_.equity_curve.empty()) {
    results_.equity_curve.pop_back();
    peak_equity_ = previous_peak_;
    record_equity();
  }
}

// ---------------------------------------------------------------------------
// Portfolio

void EngineCore::mark(double* positions_value, double* gross_value) const {
  double value = 0, gross = 0;
  for (AssetId a : open_positions_) {
    const AssetState& st = assets_[a];
    const double v = st.qty * st.last_close;
    value += v;
    gross += std::abs(v);
  }
  *positions_value = value;
  *gross_value = gross;
}

double EngineCore::equity() const {
  // Strategies size every entry by equity(); between fills and marks it cannot change,
  // so one mark serves all the calls of a timestamp's on_market_data loop.
  if (!equity_valid_) {
    double value = 0, gross = 0;
    mark(&value, &gross);
    equity_cached_ = cash_ + value;
    equity_valid_ = true;
  }
  return equity_cached_;
}

void EngineCore::record_equity() {
  EquityPoint p;
  p.timestamp = now_;
  p.cash = cash_;
  mark(&p.positions_value, &p.gross_value);
  p.equity = p.cash + p.positions_value;
  previous_peak_ = peak_equity_;
  peak_equity_ = std::max(peak_equity_, p.equity);
  p.drawdown = p.equity / peak_equity_ - 1.0;
  // Streamed: only the latest point stays (close_all_at_end may replace it).
  if (sink_ != nullptr && !results_.equity_curve.empty()) {
    sink_->equity(results_.equity_curve.back());
    results_.equity_curve.clear();
  }
  results_.equity_curve.push_back(p);
}

PositionInfo EngineCore::position_info(AssetId asset) const {
  PositionInfo info;
  if (asset >= assets_.size()) return info;
  const AssetState& st = assets_[asset];
  info.quantity = st.qty;
  info.avg_cost = st.avg_cost;
  info.last_price = st.last_close;
  info.market_value = st.qty == 0 ? 0.0 : st.qty * st.last_close;
  info.unrealized_pnl = st.qty == 0 ? 0.0 : (st.last_close - st.avg_cost) * st.qty;
  info.realized_pnl = st.realized;
  return info;
}

// ---------------------------------------------------------------------------
// Order entry

double EngineCore::round_quantity(double quantity) const {
  // Fractional: only a floating-point residue (|q| < 1e-9 shares) counts as zero.
  if (config_.execution.fractional_shares) return std::abs(quantity) < kShareEpsilon ? 0.0 : quantity;
  return quantity >= 0 ? std::floor(quantity + kShareEpsilon) : -std::floor(-quantity + kShareEpsilon);
}

size_t EngineCore::new_record(AssetId asset, double quantity, OrderType type, double limit, double stop, double trail,
                              TimeInForce tif) {
  OrderRecord rec;
  rec.id = orders_flushed_ + results_.orders.size() + 1;
  rec.created = rec.updated = now_;
  rec.asset = asset;
  rec.side = quantity >= 0 ? Side::kBuy : Side::kSell;
  rec.type = type;
  rec.quantity = std::abs(quantity);
  rec.limit_price = limit;
  rec.stop_price = stop;
  rec.trail_percent = trail;
  rec.time_in_force = tif;
  rec.avg_fill_price = kMissing;
  rec.status = OrderStatus::kOpen;
  results_.orders.push_back(std::move(rec));
  return orders_flushed_ + results_.orders.size() - 1;
}

uint64_t EngineCore::reject_new(size_t record, std::string reason) {
  OrderRecord& rec = order_record(record);
  rec.status = OrderStatus::kRejected;
  rec.reason = std::move(reason);
  return rec.id;
}

void EngineCore::close_order(Order& o, OrderStatus status, std::string reason) {
  if (!o.open) return;
  o.open = false;
  AssetState& st = assets_[o.asset];
  st.pending_qty -= o.remaining;
  if (--st.open_orders == 0) st.pending_qty = 0;  // no floating-point residue
  OrderRecord& rec = order_record(o.id - 1);
  rec.status = status;
  rec.reason = std::move(reason);
  rec.updated = now_;
}

void EngineCore::flush_orders(bool all) {
  // Records leave in id order: the finished ones up to the oldest still working. Only
  // once some have piled up, so a run with one long-working order checks one record.
  auto& records = results_.orders;
  if (!all && records.size() < 256) return;
  size_t done = 0;
  for (; done < records.size(); ++done) {
    const OrderStatus s = records[done].status;
    if (!all && (s == OrderStatus::kOpen || s == OrderStatus::kPartiallyFilled)) break;
    sink_->order(records[done]);
  }
  records.erase(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(done));
  orders_flushed_ += done;
}

std::string EngineCore::what_asset(AssetId asset) const {
  if (asset < feed_.symbols().size()) return feed_.symbols().name(asset);
  return fmt::format("asset id {}", asset);
}

double EngineCore::current_context(FieldId field) const {
  if (!group_.valid()) return kMissing;
  return group_.batch().context_column(field)[group_.group()];
}

uint64_t EngineCore::submit(AssetId asset, double quantity, OrderType type, double limit, double stop, double trail,
                            TimeInForce tif) {
  const double qty = std::isfinite(quantity) ? round_quantity(quantity) : quantity;
  if (qty == 0) return 0;  // before ensure_assets: sizing often rounds to nothing
  ensure_assets();
  const size_t record = new_record(asset, std::isfinite(qty) ? qty : 0.0, type, limit, stop, trail, tif);
  if (asset >= assets_.size()) {
    if (asset == kNoAsset && !unknown_symbol_.empty()) {
      return reject_new(record, fmt::format("unknown symbol \"{}\": the feed has no asset of that name ({} assets "
                                            "so far); check the spelling and the universe filter",
                                            unknown_symbol_, assets_.size()));
    }
    return reject_new(record, fmt::format("unknown asset id {}: the feed has {} assets", asset, assets_.size()));
  }
  AssetState& st = assets_[asset];
  // Only rejections need the name: built on demand, not per order.
  auto name_of = [this, asset] { return what_asset(asset); };
  if (!std::isfinite(qty))
    return reject_new(record, fmt::format("quantity {} for {} is not a number", quantity, name_of()));
  const bool needs_limit = type == OrderType::kLimit || type == OrderType::kStopLimit;
  const bool needs_stop = type == OrderType::kStop || type == OrderType::kStopLimit;
  if (needs_limit && !valid_price(limit)) {
    return reject_new(
        record, fmt::format("{} order for {} needs a positive limit price, got {}", to_string(type), name_of(), limit));
  }
  if (needs_stop && !valid_price(stop)) {
    return reject_new(
        record, fmt::format("{} order for {} needs a positive stop price, got {}", to_string(type), name_of(), stop));
  }
  if (type == OrderType::kTrailingStop && !(trail > 0 && trail < 1)) {
    return reject_new(
        record, fmt::format("trailing-stop order for {} needs trail_percent in (0, 1), got {}", name_of(), trail));
  }
  const double ref = st.last_close;
  if (std::isnan(ref)) {
    return reject_new(record, fmt::format("no price yet for {}: orders can be placed after its first bar", name_of()));
  }

  // Entry checks use the position plus what open orders will still trade, priced at
  // the last close (the price the strategy saw).
  const double projected = st.qty + st.pending_qty;
  const double after = projected + qty;
  const double added = std::max(0.0, std::abs(after) - std::abs(projected));
  if (after < 0 && !config_.execution.allow_short) {
    return reject_new(record, fmt::format("short selling is disabled (execution.allow_short: false): selling {} of {} "
                                          "would leave a position of {}",
                                          -qty, name_of(), after));
  }
  if (added > 0) {
    const RiskRules& r = config_.risk_rules;
    if (has_context_field_) {
      const double v = current_context(context_field_);
      if (!std::isnan(v) && ((r.min_vix && v < *r.min_vix) || (r.max_vix && v > *r.max_vix))) {
        return reject_new(record,
                          fmt::format("new entries blocked: {} = {} is outside [{}, {}] (risk_rules.min_vix/max_vix)",
                                      r.context_field, v, r.min_vix ? fmt::format("{}", *r.min_vix) : "-inf",
                                      r.max_vix ? fmt::format("{}", *r.max_vix) : "inf"));
      }
    }
    const double eq = equity();
    if (r.max_position_size > 0 && std::abs(after) * ref > r.max_position_size * eq * (1 + 1e-12)) {
      return reject_new(record, fmt::format("position limit: {} of {} at {} is {:.2f}, above risk_rules."
                                            "max_position_size {} x equity {:.2f}; order less",
                                            after, name_of(), ref, std::abs(after) * ref, r.max_position_size, eq));
    }
    if (r.max_positions > 0 && projected == 0) {
      int holding = 0;
      for (const AssetState& s : assets_) holding += (s.qty + s.pending_qty) != 0 ? 1 : 0;
      if (holding >= r.max_positions) {
        return reject_new(record, fmt::format("position count limit: {} positions (with open orders) already, "
                                              "risk_rules.max_positions is {}; cannot open {}",
                                              holding, r.max_positions, name_of()));
      }
    }
    if (r.max_gross_exposure > 0) {
      double gross = 0;
      for (const AssetState& s : assets_) {
        const double q = s.qty + s.pending_qty;
        if (q != 0) gross += std::abs(q) * s.last_close;
      }
      gross += added * ref;
      if (gross > r.max_gross_exposure * eq * (1 + 1e-12)) {
        return reject_new(record, fmt::format("gross exposure limit: {:.2f} after this order exceeds risk_rules."
                                              "max_gross_exposure {} x equity {:.2f}",
                                              gross, r.max_gross_exposure, eq));
      }
    }
  }

  Order o;
  o.id = order_record(record).id;
  o.asset = asset;
  o.type = type;
  o.tif = tif;
  o.remaining = qty;
  o.limit = limit;
  o.stop = stop;
  o.trail = trail;
  o.extreme = ref;
  o.created_seq = seq_;
  if (tif == TimeInForce::kDay && config_.execution.fill_timing == FillTiming::kSameBarClose && seq_ > 0) {
    o.expiry_day = utc_day(now_);
  }
  pending_.push_back(o);
  st.pending_qty += qty;
  ++st.open_orders;
  return o.id;
}

uint64_t EngineCore::order_target_quantity(AssetId asset, double target) {
  ensure_assets();
  if (asset >= assets_.size())
    return submit(asset, target, OrderType::kMarket, kMissing, kMissing, kMissing, TimeInForce::kGtc);
  const AssetState& st = assets_[asset];
  const double delta = round_quantity(round_quantity(target) - (st.qty + st.pending_qty));
  if (delta == 0) return 0;
  return submit(asset, delta, OrderType::kMarket, kMissing, kMissing, kMissing, TimeInForce::kGtc);
}

uint64_t EngineCore::close_position(AssetId asset) {
  if (asset >= assets_.size()) return 0;
  cancel_all(asset);
  const double qty = assets_[asset].qty;
  if (qty == 0) return 0;
  return submit(asset, -qty, OrderType::kMarket, kMissing, kMissing, kMissing, TimeInForce::kGtc);
}

bool EngineCore::cancel(uint64_t order_id) {
  for (Order& o : pending_) {
    if (o.id == order_id && o.open) {
      close_order(o, OrderStatus::kCancelled, "cancelled by the strategy");
      return true;
    }
  }
  return false;
}

int EngineCore::cancel_all(AssetId asset) {
  int n = 0;
  for (Order& o : pending_) {
    if (o.asset == asset && o.open) {
      close_order(o, OrderStatus::kCancelled, "cancelled by the strategy");
      ++n;
    }
  }
  return n;
}

}  // namespace ml4t::backtest::detail
