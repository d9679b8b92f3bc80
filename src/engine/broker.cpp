#include "engine/broker.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/account.hpp"
#include "engine/costs.hpp"
#include "engine/fill_rules.hpp"

namespace ml4t::backtest::detail {

Broker::Broker(const BrokerParts& parts)
    : execution_(parts.config.execution),
      symbols_(parts.symbols),
      market_(parts.market),
      portfolio_(parts.portfolio),
      journal_(parts.journal),
      recorder_(parts.recorder),
      strategy_(parts.strategy),
      account_(parts.account),
      entry_limits_(parts.config.risk_rules, parts.schema),
      checksubmit_(parts.config.execution.profile == ExecutionProfile::kBacktrader &&
                   parts.config.execution.backtrader.checksubmit) {
  pending_.reserve(64);
}

void Broker::ensure_assets() {
  const size_t n = symbols_.size();
  if (n <= book_.size()) return;
  book_.resize(n);
  portfolio_.resize(n);
  journal_.resize(n);
  market_.resize(n);
  account_.resize(n);
}

double Broker::round_quantity(double quantity) const {
  // Fractional: only a floating-point residue (|q| < 1e-9 shares) counts as zero.
  if (execution_.fractional_shares) return std::abs(quantity) < kShareEpsilon ? 0.0 : quantity;
  return quantity >= 0 ? std::floor(quantity + kShareEpsilon) : -std::floor(-quantity + kShareEpsilon);
}

// ---------------------------------------------------------------------------
// Order entry

uint64_t Broker::record_new(const OrderRequest& request, double quantity) {
  OrderRecord& rec = recorder_.record_order();
  rec.created = rec.updated = market_.now();
  rec.asset = request.asset;
  rec.side = quantity >= 0 ? Side::kBuy : Side::kSell;
  rec.type = request.type;
  rec.quantity = std::abs(quantity);
  rec.limit_price = request.limit;
  rec.stop_price = request.stop;
  rec.trail_percent = request.trail;
  rec.time_in_force = request.tif;
  rec.avg_fill_price = kMissing;
  rec.status = OrderStatus::kOpen;
  return rec.id;
}

uint64_t Broker::reject(uint64_t order_id, std::string reason) {
  OrderRecord& rec = recorder_.order(order_id);
  rec.status = OrderStatus::kRejected;
  rec.reason = std::move(reason);
  return order_id;
}

void Broker::close_order(Order& o, OrderStatus status, std::string reason) {
  if (!o.open) return;
  o.open = false;
  AssetOrders& b = book_[o.asset];
  b.pending_qty -= o.remaining;
  if (--b.open_orders == 0) b.pending_qty = 0;  // no floating-point residue
  OrderRecord& rec = recorder_.order(o.id);
  rec.status = status;
  rec.reason = std::move(reason);
  rec.updated = market_.now();
}

uint64_t Broker::submit(const OrderRequest& request) {
  const AssetId asset = request.asset;
  const OrderType type = request.type;
  const double qty = std::isfinite(request.quantity) ? round_quantity(request.quantity) : request.quantity;
  if (qty == 0) return 0;  // before ensure_assets: sizing often rounds to nothing
  ensure_assets();
  const uint64_t id = record_new(request, std::isfinite(qty) ? qty : 0.0);
  if (asset >= book_.size()) {
    if (asset == kNoAsset && !unknown_symbol_.empty()) {
      return reject(id, fmt::format("unknown symbol \"{}\": the feed has no asset of that name ({} assets so far); "
                                    "check the spelling and the universe filter",
                                    unknown_symbol_, book_.size()));
    }
    return reject(id, fmt::format("unknown asset id {}: the feed has {} assets", asset, book_.size()));
  }
  // Only rejections need the name: built on demand, not per order.
  if (!std::isfinite(qty)) return reject(id, fmt::format("quantity {} for {} is not a number", qty, name(asset)));
  const bool needs_limit = type == OrderType::kLimit || type == OrderType::kStopLimit;
  const bool needs_stop = type == OrderType::kStop || type == OrderType::kStopLimit;
  if (needs_limit && !valid_price(request.limit)) {
    return reject(id, fmt::format("{} order for {} needs a positive limit price, got {}", to_string(type), name(asset),
                                  request.limit));
  }
  if (needs_stop && !valid_price(request.stop)) {
    return reject(id, fmt::format("{} order for {} needs a positive stop price, got {}", to_string(type), name(asset),
                                  request.stop));
  }
  if (type == OrderType::kTrailingStop && !(request.trail > 0 && request.trail < 1)) {
    return reject(id, fmt::format("trailing-stop order for {} needs trail_percent in (0, 1), got {}", name(asset),
                                  request.trail));
  }
  const double ref = portfolio_.position(asset).last_close;
  if (std::isnan(ref)) {
    return reject(id, fmt::format("no price yet for {}: orders can be placed after its first bar", name(asset)));
  }

  // Entry checks use the position plus what open orders will still trade, priced at
  // the last close (the price the strategy saw).
  AssetOrders& b = book_[asset];
  const double projected = portfolio_.position(asset).qty + b.pending_qty;
  const double after = projected + qty;
  const double added = std::max(0.0, std::abs(after) - std::abs(projected));
  if (after < 0 && !execution_.allow_short) {
    return reject(id, fmt::format("short selling is disabled (execution.allow_short: false): selling {} of {} would "
                                  "leave a position of {}",
                                  -qty, name(asset), after));
  }
  if (added > 0 && entry_limits_.active()) {
    std::string why = entry_limits_.check({asset, projected, after, added, ref}, portfolio_, book_, market_, symbols_);
    if (!why.empty()) return reject(id, std::move(why));
  }
  if (added > 0) {
    std::string why = account_.entry_rejection(asset, after, market_.now());
    if (!why.empty()) return reject(id, std::move(why));
  }

  Order o;
  o.id = id;
  o.asset = asset;
  o.type = type;
  o.tif = request.tif;
  o.remaining = qty;
  o.limit = request.limit;
  o.stop = request.stop;
  o.trail = request.trail;
  o.extreme = ref;
  o.created_seq = market_.seq();
  o.created_price = type == OrderType::kLimit || type == OrderType::kStopLimit ? request.limit
                    : type == OrderType::kStop                                   ? request.stop
                                                                                 : ref;
  o.submit_checked = !checksubmit_;
  if (request.tif == TimeInForce::kDay && execution_.fill_timing == FillTiming::kSameBarClose && market_.seq() > 0) {
    o.expiry_day = utc_day(market_.now());
  }
  pending_.push_back(o);
  b.pending_qty += qty;
  ++b.open_orders;
  return o.id;
}

uint64_t Broker::order_target_quantity(AssetId asset, double target) {
  ensure_assets();
  if (asset >= book_.size()) return submit(market_order(asset, target));
  const ExecutionRules& rules = execution_.rules;
  const double base = portfolio_.position(asset).qty + (rules.target_nets_open_orders ? book_[asset].pending_qty : 0.0);
  // Rounding the target never trades past it; rounding the difference (backtrader's
  // int(diff // price), zipline's round_order(diff)) can stop one share short of it.
  const double delta = rules.target_rounding == TargetRounding::kTarget ? round_quantity(round_quantity(target) - base)
                                                                         : round_quantity(target - base);
  if (delta == 0) return 0;
  return submit(market_order(asset, delta));
}

uint64_t Broker::close_position(AssetId asset) {
  if (asset >= book_.size()) return 0;
  cancel_all(asset);
  const double qty = portfolio_.position(asset).qty;
  if (qty == 0) return 0;
  return submit(market_order(asset, -qty));
}

bool Broker::cancel(uint64_t order_id) {
  for (Order& o : pending_) {
    if (o.id == order_id && o.open) {
      close_order(o, OrderStatus::kCancelled, "cancelled by the strategy");
      return true;
    }
  }
  return false;
}

int Broker::cancel_all(AssetId asset) {
  int n = 0;
  for (Order& o : pending_) {
    if (o.asset == asset && o.open) {
      close_order(o, OrderStatus::kCancelled, "cancelled by the strategy");
      ++n;
    }
  }
  return n;
}

void Broker::cancel_orders(AssetId asset, double side, const std::string& reason) {
  for (Order& o : pending_) {
    if (o.open && o.asset == asset && (side == 0 || sign_of(o.remaining) == side)) {
      close_order(o, OrderStatus::kCancelled, reason);
    }
  }
}

// ---------------------------------------------------------------------------
// Matching

void Broker::process_pending(bool at_close) {
  if (checksubmit_ && !at_close) check_submitted_like_backtrader();
  const uint64_t seq = market_.seq();
  const int64_t today = utc_day(market_.now());
  // Exits before entries, each in placement order; decided once per pass so an order
  // cannot move between the two queues while the pass runs.
  const bool submission_order = execution_.rules.order_sequence == OrderSequence::kSubmission;
  for (Order& o : pending_) {
    const double pos = portfolio_.position(o.asset).qty;
    // In submission order every order goes in the first pass, in placement order.
    o.exit_first = submission_order || (pos != 0 && sign_of(o.remaining) == -sign_of(pos));
  }
  const size_t count = pending_.size();  // orders placed by on_fill during the pass wait
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < count; ++i) {
      // on_fill may place orders (growing pending_), so index instead of iterating.
      if (!pending_[i].open || pending_[i].exit_first != (pass == 0) || !pending_[i].submit_checked) continue;
      if (at_close && pending_[i].created_seq != seq) continue;
      if (!at_close && pending_[i].created_seq >= seq) continue;
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

double Broker::base_price(Order& o, const BarPrices& bar, bool at_close) const {
  const bool buy = o.remaining > 0;
  const ExecutionRules& rules = execution_.rules;
  if (at_close) return close_fill_price(o.type, buy, o.limit, o.stop, bar.close);
  if (rules.trigger_price == TriggerPrice::kClose && o.type != OrderType::kMarket) {
    return close_trigger_fill(o, bar, rules.trail_reference);
  }
  switch (o.type) {
    case OrderType::kMarket:
      return rules.market_fill_price == MarketFillPrice::kOpen ? bar.open : bar.close;
    case OrderType::kLimit:
      return limit_fill_price(buy, o.limit, bar);
    case OrderType::kStop:
      return stop_fill_price(buy, o.stop, bar);
    case OrderType::kStopLimit: {
      const StopLimitFill f = stop_limit_fill_price(buy, o.stop, o.limit, o.triggered, bar);
      o.triggered = f.triggered;
      return f.price;
    }
    case OrderType::kTrailingStop: {
      // The stop trails the best price of the bars before this one.
      const double price = stop_fill_price(buy, trailing_stop_level(buy, o.extreme, o.trail), bar);
      o.extreme = trailing_extreme_after(buy, o.extreme, bar, rules.trail_reference);
      return price;
    }
  }
  return kMissing;
}

double Broker::close_trigger_fill(Order& o, const BarPrices& bar, TrailReference reference) {
  const bool buy = o.remaining > 0;
  if (o.type != OrderType::kTrailingStop) return close_trigger_price(o.type, buy, o.limit, o.stop, o.triggered, bar.close);
  const double level = trailing_stop_level(buy, o.extreme, o.trail);
  const double price = stop_reached(buy, level, bar.close) ? bar.close : kMissing;
  o.extreme = trailing_extreme_after(buy, o.extreme, bar, reference);
  return price;
}

void Broker::try_fill(Order& o, bool at_close) {
  if (!market_.has_bar(o.asset)) return;  // no bar for the asset now: no fill
  const double base = base_price(o, market_.prices(o.asset), at_close);
  if (std::isnan(base)) return;
  const double volume = market_.volume(o.asset);
  AssetOrders& b = book_[o.asset];
  const bool buy = o.remaining > 0;

  // Volume participation: at most this share of the bar's volume across all orders.
  double qty_abs = std::abs(o.remaining);
  const double participation = execution_.max_volume_participation;
  if (participation > 0 && std::isfinite(volume)) {
    if (b.volume_seq != market_.seq()) {
      b.volume_seq = market_.seq();
      b.volume_used = 0;
    }
    const double cap = round_quantity(participation_room(participation, volume, b.volume_used));
    if (cap <= 0) return;
    qty_abs = std::min(qty_abs, cap);
  }

  const double sign = buy ? 1.0 : -1.0;
  const ExecutionRules& rules = execution_.rules;
  // A limit is a promise about the price: slippage never pushes a fill past it.
  auto price_for = [&](double q) {
    return clamp_to_limit(o.type, buy, o.limit, slipped_price(execution_.slippage, base, sign, q, volume));
  };
  // Per fill (backtrader): each fill is costed as if it were the order's first.
  auto commission_of = [&](double q, double p) {
    return commission_for(execution_.commission,
                          rules.commission_minimum == CommissionMinimum::kPerFill ? OrderFillsSoFar{} : o.so_far, q, p);
  };
  double price = price_for(qty_abs);
  double commission = commission_of(qty_abs, price);
  double signed_qty = sign * qty_abs;

  double new_qty = portfolio_.position(o.asset).qty + signed_qty;
  if (!execution_.allow_short && new_qty < 0) {
    close_order(o, OrderStatus::kRejected,
                fmt::format("short selling is disabled (execution.allow_short: false): selling {} would leave {} of {}",
                            qty_abs, new_qty, name(o.asset)));
    return;
  }
  double need = 0, available = 0;
  bool short_of_cash = rules.cash_check != CashCheck::kNone &&
                       !portfolio_.has_buying_power(o.asset, signed_qty, price, commission, &need, &available);
  if (short_of_cash) {
    const double fit = rules.cash_check == CashCheck::kResize ? affordable_quantity(o, qty_abs, base, volume) : 0.0;
    if (fit > 0) {
      // vectorbt's buy_nb: the fill shrinks to what the cash pays for; the rest is dropped.
      short_of_cash = false;
      qty_abs = fit;
      price = price_for(qty_abs);
      commission = commission_of(qty_abs, price);
      signed_qty = sign * qty_abs;
      b.pending_qty -= o.remaining - signed_qty;
      recorder_.order(o.id).reason = fmt::format(
          "resized from {} to {} to fit the buying power (execution.rules.cash_check: resize)",
          std::abs(o.remaining), qty_abs);
      o.remaining = signed_qty;
    }
  }
  if (short_of_cash) {
    close_order(o, OrderStatus::kRejected,
                fmt::format("insufficient buying power at {}: {} {} {} at {:.4f} needs {:.2f} but {:.2f} is "
                            "available; size orders below the free equity ({})",
                            market_.now().to_string(), buy ? "buying" : "selling", qty_abs, name(o.asset), price, need,
                            available, portfolio_.buying_power_rule()));
    return;
  }
  if (participation > 0 && std::isfinite(volume)) b.volume_used += qty_abs;
  o.remaining -= signed_qty;
  if (std::abs(o.remaining) < kShareEpsilon) o.remaining = 0;
  o.so_far.filled_abs += qty_abs;
  o.so_far.filled_notional += qty_abs * price;
  o.so_far.commission_charged += commission;
  b.pending_qty -= signed_qty;
  if (o.remaining == 0) {
    o.open = false;
    // Fractional quantities summed then subtracted leave a residue (1e-15); with no
    // open order left the total is exactly 0.
    if (--b.open_orders == 0) b.pending_qty = 0;
  }
  // `o` lives in pending_, which on_fill may grow: execute reads it before calling on_fill.
  execute(&o, o.id, o.asset, signed_qty, base, price, commission, ExitReason::kSignal);
}

double Broker::affordable_quantity(const Order& o, double qty_abs, double base, double volume) const {
  const double sign = o.remaining > 0 ? 1.0 : -1.0;
  auto fits = [&](double q) {
    const double price =
        clamp_to_limit(o.type, sign > 0, o.limit, slipped_price(execution_.slippage, base, sign, q, volume));
    const OrderFillsSoFar so_far =
        execution_.rules.commission_minimum == CommissionMinimum::kPerFill ? OrderFillsSoFar{} : o.so_far;
    double need = 0, available = 0;
    return portfolio_.has_buying_power(o.asset, sign * q, price, commission_for(execution_.commission, so_far, q, price),
                                       &need, &available);
  };
  // The cost grows with the quantity: bisect for the largest that fits (rare path).
  double lo = 0, hi = qty_abs;
  for (int i = 0; i < 200 && hi - lo > (execution_.fractional_shares ? 1e-9 * hi : 0.5); ++i) {
    const double mid = execution_.fractional_shares ? 0.5 * (lo + hi) : std::floor(0.5 * (lo + hi));
    if (mid <= lo) break;
    (fits(mid) ? lo : hi) = mid;
  }
  return round_quantity(lo);
}

// ---------------------------------------------------------------------------
// Settlement

void Broker::close_out(AssetId asset, OrderType type, double level, ExitReason reason, double base_price,
                       double volume) {
  const double qty = -portfolio_.position(asset).qty;
  OrderRequest as_placed = market_order(asset, qty);
  as_placed.type = type;
  as_placed.stop = level;
  const uint64_t id = record_new(as_placed, qty);
  recorder_.order(id).reason = std::string(to_string(reason));
  const double price = slipped_price(execution_.slippage, base_price, sign_of(qty), std::abs(qty), volume);
  // A one-shot order: the commission rule sees nothing filled before.
  const double commission = commission_for(execution_.commission, {}, std::abs(qty), price);
  execute(nullptr, id, asset, qty, base_price, price, commission, reason);
}

void Broker::execute(const Order* order, uint64_t order_id, AssetId asset, double signed_qty, double base_price,
                     double price, double commission, ExitReason reason) {
  const double qty_abs = std::abs(signed_qty);
  const double slippage = std::abs(price - base_price) * qty_abs;
  const FillEffect effect = portfolio_.apply_fill(asset, signed_qty, price, commission);
  journal_.on_fill(asset, effect, signed_qty, price, commission, slippage, reason, market_.now(), market_.seq());

  OrderRecord& rec = recorder_.order(order_id);
  rec.filled_quantity += qty_abs;
  rec.avg_fill_price =
      std::isnan(rec.avg_fill_price)
          ? price
          : (rec.avg_fill_price * (rec.filled_quantity - qty_abs) + price * qty_abs) / rec.filled_quantity;
  rec.updated = market_.now();
  const bool done = order == nullptr || !order->open;
  rec.status = done ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled;

  Fill fill;
  fill.order_id = order_id;
  fill.timestamp = market_.now();
  fill.asset = asset;
  fill.side = signed_qty > 0 ? Side::kBuy : Side::kSell;
  fill.quantity = qty_abs;
  fill.price = price;
  fill.commission = commission;
  fill.slippage = slippage;
  recorder_.record_fill(fill);
  strategy_.on_fill(fill);
}

}  // namespace ml4t::backtest::detail
