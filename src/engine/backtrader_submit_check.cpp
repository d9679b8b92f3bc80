// backtrader's submission check (BackBroker.check_submitted with checksubmit=True, its
// default; backtrader/brokers/bbroker.py): before a bar's matching, every order placed
// since the last bar is "pseudo-executed" in placement order at its creation price
// (order.created.price: the last close for market orders) on a copy of the positions,
// against a running cash that starts at the broker's cash. An order after which that
// cash is below 0 is rejected (backtrader's Margin status). As in backtrader, a rejected
// order's cost stays deducted from the running cash, so the orders after it see less.
#include <fmt/format.h>

#include <cmath>

#include "engine/broker.hpp"
#include "engine/costs.hpp"

namespace ml4t::backtest::detail {

void Broker::check_submitted_like_backtrader() {
  if (pseudo_positions_.size() < book_.size()) pseudo_positions_.resize(book_.size(), kMissing);
  double cash = portfolio_.cash();
  for (Order& o : pending_) {
    if (!o.open || o.submit_checked) continue;
    double& pos = pseudo_positions_[o.asset];
    if (std::isnan(pos)) {
      pos = portfolio_.position(o.asset).qty;
      pseudo_touched_.push_back(o.asset);
    }
    const double size = o.remaining;
    const double price = o.created_price;
    // _execute(ago=None): the part against the position returns cash, the rest costs it.
    const double closed = pos != 0 && sign_of(size) == -sign_of(pos) ? sign_of(size) * std::min(std::abs(size), std::abs(pos)) : 0.0;
    const double opened = size - closed;
    if (closed != 0) {
      cash -= closed * price;
      cash -= commission_for(execution_.commission, {}, std::abs(closed), price);
    }
    if (opened != 0) {
      cash -= opened * price;
      cash -= commission_for(execution_.commission, {}, std::abs(opened), price);
    }
    pos += size;
    if (cash >= 0.0) {
      o.submit_checked = true;
      continue;
    }
    close_order(o, OrderStatus::kRejected,
                fmt::format("margin at submission (backtrader checksubmit): {} {} at {:.4f} leaves {:.2f} of the cash "
                            "after the orders placed before it; set execution.backtrader.checksubmit: false to check "
                            "cash at the fill only",
                            size > 0 ? "buying" : "selling", std::abs(size), price, cash));
  }
  for (AssetId a : pseudo_touched_) pseudo_positions_[a] = kMissing;
  pseudo_touched_.clear();
}

}  // namespace ml4t::backtest::detail
