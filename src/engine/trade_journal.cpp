#include "engine/trade_journal.hpp"

#include <cmath>

#include "engine/common.hpp"

namespace ml4t::backtest::detail {

void TradeJournal::on_fill(AssetId asset, const FillEffect& effect, double signed_qty, double price, double commission,
                           double slippage, ExitReason reason, Timestamp now, uint64_t seq) {
  RoundTrip& t = trips_[asset];
  const double qty_abs = std::abs(signed_qty);
  double opening_commission = commission, opening_slippage = slippage;
  if (effect.reduced) {
    const double frac = effect.closing / qty_abs;
    t.gross += effect.gross;
    t.exit_qty += effect.closing;
    t.exit_notional += effect.closing * price;
    t.commission += commission * frac;
    t.slippage += slippage * frac;
    opening_commission = commission * (1 - frac);
    opening_slippage = slippage * (1 - frac);
    if (effect.flattened) {
      // A closed trade's record needs nothing of the (now flat) position.
      finish(asset, Position{}, reason, false, now, seq);
    }
  }
  if (effect.opening > kShareEpsilon) {
    if (effect.opened) {
      t.in_trade = true;
      t.side = signed_qty > 0 ? TradeSide::kLong : TradeSide::kShort;
      t.entry_time = now;
      t.entry_seq = seq;
      t.entry_qty = t.entry_notional = t.exit_qty = t.exit_notional = 0;
      t.gross = t.commission = t.slippage = 0;
      t.high_water = t.low_water = price;
    }
    t.entry_qty += effect.opening;
    t.entry_notional += effect.opening * price;
    t.commission += opening_commission;
    t.slippage += opening_slippage;
  }
}

void TradeJournal::finish(AssetId asset, const Position& position, ExitReason reason, bool open, Timestamp now,
                          uint64_t seq) {
  RoundTrip& rt = trips_[asset];
  if (!rt.in_trade) return;
  Trade t;
  t.asset = asset;
  t.entry_time = rt.entry_time;
  t.exit_time = now;
  t.side = rt.side;
  t.quantity = rt.entry_qty;
  t.entry_price = rt.entry_notional / rt.entry_qty;
  t.commission = rt.commission;
  t.slippage = rt.slippage;
  t.bars_held = static_cast<int64_t>(seq - rt.entry_seq);
  t.exit_reason = reason;
  t.open = open;
  double gross = rt.gross;
  if (open) {
    // Valued at the last close: the closed part at its fills, the rest at the mark.
    const double rest = std::abs(position.qty);
    const double exit_notional = rt.exit_notional + rest * position.last_close;
    t.exit_price = exit_notional / (rt.exit_qty + rest);
    gross += (position.last_close - position.avg_cost) * position.qty;
  } else {
    t.exit_price = rt.exit_notional / rt.exit_qty;
  }
  t.pnl = gross - rt.commission;
  t.return_fraction = rt.entry_notional > 0 ? t.pnl / rt.entry_notional : 0.0;
  recorder_.record_trade(t);
  rt.in_trade = false;
}

}  // namespace ml4t::backtest::detail
