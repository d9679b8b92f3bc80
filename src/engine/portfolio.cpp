#include "engine/portfolio.hpp"

#include <algorithm>
#include <cmath>

#include "engine/common.hpp"

namespace ml4t::backtest::detail {

void Portfolio::mark(double* positions_value, double* gross_value) const {
  double value = 0, gross = 0;
  for (AssetId a : open_positions_) {
    const Position& p = positions_[a];
    const double v = p.qty * p.last_close;
    value += v;
    gross += std::abs(v);
  }
  *positions_value = value;
  *gross_value = gross;
}

double Portfolio::equity() const {
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

EquityPoint Portfolio::equity_point(Timestamp now) {
  EquityPoint p;
  p.timestamp = now;
  p.cash = cash_;
  mark(&p.positions_value, &p.gross_value);
  p.equity = p.cash + p.positions_value;
  previous_peak_ = peak_equity_;
  peak_equity_ = std::max(peak_equity_, p.equity);
  p.drawdown = p.equity / peak_equity_ - 1.0;
  return p;
}

PositionInfo Portfolio::position_info(AssetId asset) const {
  PositionInfo info;
  if (asset >= positions_.size()) return info;
  const Position& p = positions_[asset];
  info.quantity = p.qty;
  info.avg_cost = p.avg_cost;
  info.last_price = p.last_close;
  info.market_value = p.qty == 0 ? 0.0 : p.qty * p.last_close;
  info.unrealized_pnl = p.qty == 0 ? 0.0 : (p.last_close - p.avg_cost) * p.qty;
  info.realized_pnl = p.realized;
  return info;
}

double Portfolio::short_exposure() const {
  double value = 0;
  for (AssetId a : open_positions_) {
    const Position& p = positions_[a];
    if (p.qty < 0) value += -p.qty * p.last_close;
  }
  return value;
}

// Buying power is free equity after the fill. Cash account: cash minus twice the short
// exposure (the short proceeds sit in cash and the shorted value must be covered), with
// long positions paid in full — i.e. equity - gross exposure, no leverage. Margin
// account: equity - initial_rate x gross exposure, so positions may be bought on credit
// (cash below 0) up to 1 / initial_rate times equity. Only fills that add exposure are
// checked; reducing a position is always allowed.
bool Portfolio::has_buying_power(AssetId asset, double signed_qty, double price, double commission, double* need,
                                 double* available) const {
  const Position& p = positions_[asset];
  const double pos = p.qty;
  const double new_qty = pos + signed_qty;
  const double added = std::max(0.0, std::abs(new_qty) - std::abs(pos));
  if (added <= 0) return true;
  const double cash_after = cash_ - signed_qty * price - commission;
  const double own_mark = std::isnan(p.last_close) ? price : p.last_close;
  if (margin_) {
    double value = 0, gross = 0;  // other assets, at their marks
    for (AssetId a : open_positions_) {
      if (a == asset) continue;
      const Position& o = positions_[a];
      value += o.qty * o.last_close;
      gross += std::abs(o.qty * o.last_close);
    }
    const double free_after =
        cash_after + value + new_qty * price - initial_rate_ * (gross + std::abs(new_qty) * price);
    *need = initial_rate_ * added * price + commission;
    *available = cash_ + value + pos * own_mark - initial_rate_ * (gross + std::abs(pos) * own_mark);
    return free_after >= 0;
  }
  double short_value = 0;  // other assets, at their marks
  for (AssetId a : open_positions_) {
    if (a == asset) continue;
    const Position& o = positions_[a];
    if (o.qty < 0) short_value += -o.qty * o.last_close;
  }
  const double own_short_after = new_qty < 0 ? -new_qty * price : 0.0;
  const double own_short_before = pos < 0 ? -pos * own_mark : 0.0;
  const double free_after = cash_after - 2 * (short_value + own_short_after);
  *need = added * price + commission;
  *available = cash_ - 2 * (short_value + own_short_before);
  return free_after >= 0;
}

}  // namespace ml4t::backtest::detail
