"""The first backtest of docs/getting-started.md in Python: the same feed, strategy and
costs as examples/cpp/first_backtest.cpp, so it prints the same numbers.

    PYTHONPATH=build/python /usr/bin/python3 examples/python/first_backtest.py DATA_DIR OUT_DIR
"""

import sys
from pathlib import Path

# [doc:strategy]
from ml4t.backtest import Strategy


class MlThreshold(Strategy):
    """Long when the model is confident, flat when it is not, no new entries in stress."""

    def on_market_data(self, event, context=None):
        pred = event.signals.get("ml_pred", 0.5)  # 0.5 when missing
        confidence = event.signals.get("confidence", 0.0)
        vix = context.get("vix", 15.0) if context else 15.0  # the feed may have no context
        held = self.position(event.asset_id)
        if held == 0 and pred > 0.6 and confidence > 0.5 and vix < 30 and self.open_orders(event.asset_id) == 0:
            self.buy_percent(event.asset_id, 0.2, event.close)  # fills at the next bar's open
        elif held > 0 and pred < 0.5:
            self.close_position(event.asset_id)
# [doc:strategy]


def main(data: Path, out: Path) -> None:
    # [doc:run]
    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.data.validation import SignalTimingMode
    from ml4t.backtest.engine import BacktestEngine

    feed = PolarsDataFeed(
        price_path=data / "prices.parquet",
        signals_path=data / "signals.parquet",
        context_path=data / "context.parquet",          # market-wide: keyed by timestamp alone
        signal_timing_mode=SignalTimingMode.STRICT,     # ml_pred stamped t uses bar t's close: seen on bar t
    )
    engine = BacktestEngine(
        data_feed=feed,
        strategy=MlThreshold(),
        initial_capital=100_000.0,
        commission={"type": "per_share", "rate": 0.005, "minimum": 1.0},
        slippage={"type": "percentage", "rate": 0.0005},
        risk_rules={"stop_loss": 0.05},
    )
    results = engine.run()

    m = results.metrics
    print(f"events {results.events}, trades {m['num_trades']}, final equity {results.final_equity:.2f}")
    print(f"total return {m['total_return']:.4f}, sharpe {m['sharpe']:.3f}, max drawdown {m['max_drawdown']:.4f}")

    trades = results.trades                               # a pandas DataFrame, one row per round trip
    costs = (trades["commission"] + trades["slippage"]).sum()
    print(f"{len(trades)} trades, net P&L {trades['pnl'].sum():.0f}, of which costs {-costs:.0f}")
    print(results.equity_curve[["cash", "equity", "drawdown"]].tail(2).round(4).to_string())

    for path in results.to_parquet(out, overwrite=True, csv=True):  # the files `ml4t-backtest run` writes
        print("wrote", path.name)
    print("wrote", results.report(out / "report.html").name)
    # [doc:run]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} DATA_DIR OUT_DIR")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
