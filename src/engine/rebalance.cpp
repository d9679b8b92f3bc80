// Strategy::rebalance: a whole book of target weights turned into orders that do not
// depend on the order the targets were given in. Targets are taken in AssetId order;
// every order that reduces a position goes in before any that adds exposure (a flip is
// split into the close and the new position), and the additions are scaled down
// together, by one factor, when the book at the last closes would need more than the
// account's buying power (equity / initial margin rate of gross exposure).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/common.hpp"
#include "engine/costs.hpp"
#include "engine/engine_core.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::detail {

double EngineCore::estimated_costs(std::span<const RebalanceLeg> legs) const {
  const ExecutionConfig& e = config_.execution;
  double costs = 0;
  for (const RebalanceLeg& leg : legs) {
    for (const double q : {leg.reduce, leg.add}) {
      if (q == 0) continue;
      const double price = slipped_price(e.slippage, leg.price, sign_of(q), std::abs(q),
                                         portfolio_.position(leg.asset).last_volume);
      costs += commission_for(e.commission, {}, std::abs(q), price) + std::abs(q) * std::abs(price - leg.price);
    }
  }
  return costs;
}

int EngineCore::rebalance(std::span<const TargetWeight> targets) {
  broker_.ensure_assets();
  std::vector<TargetWeight> wanted(targets.begin(), targets.end());
  std::sort(wanted.begin(), wanted.end(),
            [](const TargetWeight& a, const TargetWeight& b) { return a.asset < b.asset; });
  for (size_t i = 0; i < wanted.size(); ++i) {
    const TargetWeight& t = wanted[i];
    if (!std::isfinite(t.weight)) {
      throw Error(fmt::format("rebalance: the weight of {} is {}; give a finite fraction of equity (0 closes)",
                              asset_name(feed_.symbols(), t.asset), t.weight));
    }
    if (i > 0 && t.asset == wanted[i - 1].asset && t.asset != kNoAsset) {
      throw Error(fmt::format("rebalance: {} is listed twice; give each asset one target weight",
                              asset_name(feed_.symbols(), t.asset)));
    }
  }
  // Held assets that are not listed go to 0.
  for (AssetId a : portfolio_.open_positions()) {
    const bool listed = std::binary_search(wanted.begin(), wanted.end(), TargetWeight{a, 0},
                                           [](const TargetWeight& x, const TargetWeight& y) { return x.asset < y.asset; });
    if (!listed) wanted.push_back({a, 0.0});
  }
  std::sort(wanted.begin(), wanted.end(),
            [](const TargetWeight& a, const TargetWeight& b) { return a.asset < b.asset; });

  int placed = 0;
  const double equity = portfolio_.equity();
  std::vector<RebalanceLeg> legs;
  legs.reserve(wanted.size());
  double gross_kept = 0, gross_added = 0;  // at the last closes, after the reducing legs
  for (const TargetWeight& t : wanted) {
    const double price = t.asset < portfolio_.size() ? portfolio_.last_price(t.asset) : kMissing;
    if (std::isnan(price)) {
      // Nothing to size with: a one-share order records the rejection (no price yet, unknown asset).
      if (t.weight != 0 && broker_.submit(market_order(t.asset, std::copysign(1.0, t.weight))) != 0) ++placed;
      continue;
    }
    const double current = portfolio_.quantity(t.asset) + broker_.pending_quantity(t.asset);
    const double delta = broker_.round_quantity(broker_.round_quantity(t.weight * equity / price) - current);
    RebalanceLeg leg{t.asset, price, 0, delta, current};
    if (current != 0 && sign_of(delta) == -sign_of(current)) {
      leg.reduce = sign_of(delta) * std::min(std::abs(delta), std::abs(current));
      leg.add = delta - leg.reduce;
      leg.after = current + leg.reduce;
    }
    gross_kept += std::abs(leg.after) * price;
    gross_added += std::abs(leg.add) * price;
    legs.push_back(leg);
  }
  // One factor for every addition keeps the book's proportions. The room is equity less
  // what the orders will cost at the last closes (commission and slippage, unscaled).
  const double rate = initial_margin_rate(config_.account);
  const double room = equity - estimated_costs(legs);
  double scale = 1.0;
  if (gross_added > 0 && rate * (gross_kept + gross_added) > room) {
    scale = std::clamp((room / rate - gross_kept) / gross_added, 0.0, 1.0);
  }
  for (const RebalanceLeg& leg : legs) {
    if (leg.reduce != 0 && broker_.submit(market_order(leg.asset, leg.reduce)) != 0) ++placed;
  }
  for (const RebalanceLeg& leg : legs) {
    const double add = scale == 1.0 ? leg.add : broker_.round_quantity(leg.add * scale);
    if (add != 0 && broker_.submit(market_order(leg.asset, add)) != 0) ++placed;
  }
  return placed;
}

}  // namespace ml4t::backtest::detail
