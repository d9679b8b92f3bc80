#include "engine/trade_journal.hpp"

#include <cmath>

#include "engine/common.hpp"

namespace ml4t::backtest::detail {

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
