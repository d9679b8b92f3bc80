#include "ml4t/backtest/engine/strategy.hpp"

#include <cmath>
#include <vector>

#include "engine/engine_core.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

Strategy::~Strategy() = default;

void Strategy::on_market_data(const MarketEvent& /*event*/, const FieldValues& /*context*/) {}
void Strategy::on_timestamp(const TimestampGroup& /*cross_section*/) {}
void Strategy::on_fill(const Fill& /*fill*/) {}

void Strategy::throw_outside_run() {
  throw Error(
      "Strategy helpers (order, position, cash, ...) work only inside the hooks BacktestEngine::run() "
      "calls; call them from on_start/on_market_data/on_timestamp/on_fill/on_end");
}

uint64_t Strategy::order(AssetId asset, double quantity, OrderType type, double limit, double stop, TimeInForce tif) {
  return core().submit({.asset = asset, .quantity = quantity, .type = type, .limit = limit, .stop = stop, .tif = tif});
}

uint64_t Strategy::order_trailing_stop(AssetId asset, double quantity, double trail_percent, TimeInForce tif) {
  return core().submit(
      {.asset = asset, .quantity = quantity, .type = OrderType::kTrailingStop, .trail = trail_percent, .tif = tif});
}

uint64_t Strategy::buy_percent(AssetId asset, double pct, double price) {
  if (!(price > 0)) return core().submit(detail::market_order(asset, kNoPrice));
  return core().submit(detail::market_order(asset, pct * core().equity() / price));
}

uint64_t Strategy::sell_percent(AssetId asset, double pct, double price) {
  if (!(price > 0)) return core().submit(detail::market_order(asset, kNoPrice));
  return core().submit(detail::market_order(asset, -pct * core().equity() / price));
}

uint64_t Strategy::order_target_percent(AssetId asset, double pct) {
  detail::EngineCore& c = core();
  const double price = c.last_price(asset);
  if (std::isnan(price)) {
    // No price to size with: a one-share order records the rejection ("no price yet").
    if (pct == 0) return c.order_target_quantity(asset, 0.0);
    return c.submit(detail::market_order(asset, std::copysign(1.0, pct)));
  }
  return c.order_target_quantity(asset, pct * c.equity() / price);
}

uint64_t Strategy::order_target_quantity(AssetId asset, double quantity) {
  return core().order_target_quantity(asset, quantity);
}

int Strategy::rebalance(std::span<const TargetWeight> targets) { return core().rebalance(targets); }

int Strategy::rebalance(std::span<const std::pair<std::string, double>> targets) {
  std::vector<TargetWeight> ids;
  ids.reserve(targets.size());
  for (const auto& [symbol, weight] : targets) ids.push_back({id_or_unknown(symbol), weight});
  return core().rebalance(ids);
}

uint64_t Strategy::close_position(AssetId asset) { return core().close_position(asset); }
bool Strategy::cancel(uint64_t order_id) { return core().cancel(order_id); }
int Strategy::cancel_all(AssetId asset) { return core().cancel_all(asset); }
double Strategy::position(AssetId asset) const { return core().position(asset); }
PositionInfo Strategy::position_info(AssetId asset) const { return core().position_info(asset); }
std::span<const AssetId> Strategy::open_positions() const { return core().open_positions(); }
int Strategy::open_orders(AssetId asset) const { return core().open_orders(asset); }
double Strategy::cash() const { return core().cash(); }
double Strategy::equity() const { return core().equity(); }
Timestamp Strategy::now() const { return core().now(); }
double Strategy::last_price(AssetId asset) const { return core().last_price(asset); }
const Schema& Strategy::schema() const { return core().schema(); }
const SymbolTable& Strategy::symbols() const { return core().symbols(); }
std::optional<AssetId> Strategy::asset_id(std::string_view symbol) const { return core().symbols().find(symbol); }
const EngineConfig& Strategy::config() const { return core().config(); }

// Unknown symbols map to an id no asset has, so the order is recorded as rejected; the
// core keeps the name for the rejection's reason.
AssetId Strategy::id_or_unknown(std::string_view symbol) const {
  if (const auto id = symbols().find(symbol)) return *id;
  core().note_unknown_symbol(symbol);
  return kNoAsset;
}

uint64_t Strategy::order(std::string_view symbol, double quantity, OrderType type, double limit, double stop,
                         TimeInForce tif) {
  return order(id_or_unknown(symbol), quantity, type, limit, stop, tif);
}
uint64_t Strategy::order_target_percent(std::string_view symbol, double pct) {
  return order_target_percent(id_or_unknown(symbol), pct);
}
uint64_t Strategy::close_position(std::string_view symbol) { return close_position(id_or_unknown(symbol)); }
double Strategy::position(std::string_view symbol) const { return position(id_or_unknown(symbol)); }

}  // namespace ml4t::backtest
