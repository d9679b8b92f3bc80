"""Side-by-side check of `execution.profile: backtrader` against backtrader itself.

Writes a deterministic daily panel (ASSETS x DAYS business days from 2010-01-04, prices
to the cent, an AR(1) signal in [0, 1]) as CSV for ml4t-backtest, and runs the same
signal_threshold strategy in backtrader (BackBroker(checksubmit=False), 0.1% commission,
market orders at the next open, 2% of equity per entry). Prints backtrader's final
value; compare it with summary.json's final_equity of

    ml4t-backtest run <out>/config.yaml --out <out>/ml4t

Usage (backtrader is not a dependency: point PYTHONPATH at a checkout of it):
    PYTHONPATH=/path/to/backtrader /usr/bin/python3 bench/compare/backtrader_side_by_side.py \
        --assets 50 --days 500 --out /tmp/bt_cmp [--checksubmit]
"""
import argparse
import math
import os

import numpy as np
import pandas as pd

ENTRY, EXIT, SIZE_PCT, COMMISSION, CAPITAL = 0.55, 0.45, 0.02, 0.001, 100_000.0


def make_panel(assets, days, seed):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2010-01-04", periods=days)
    frames = []
    for a in range(assets):
        ret = rng.normal(0.0003, 0.02, days)
        close = np.round(20 + 80 * rng.random() * np.exp(np.cumsum(ret)), 2)
        close = np.maximum(close, 1.0)
        gap = rng.normal(0, 0.005, days)
        open_ = np.round(np.concatenate([[close[0]], close[:-1]]) * (1 + gap), 2)
        open_ = np.maximum(open_, 0.5)
        high = np.round(np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, days))), 2)
        low = np.round(np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, days))), 2)
        low = np.maximum(low, 0.25)
        sig = np.empty(days)
        x = rng.random()
        for i in range(days):  # sticky signal: positions last a while
            x = 0.8 * x + 0.2 * rng.random()
            sig[i] = x
        frames.append(pd.DataFrame({"timestamp": dates, "asset": f"A{a:04d}", "open": open_, "high": high,
                                    "low": low, "close": close, "volume": 1_000_000.0, "ml_pred": np.round(sig, 6)}))
    return pd.concat(frames).sort_values(["timestamp", "asset"], kind="stable").reset_index(drop=True)


def write_inputs(panel, out, checksubmit):
    os.makedirs(out, exist_ok=True)
    prices = panel[["timestamp", "asset", "open", "high", "low", "close", "volume"]]
    prices.assign(timestamp=prices.timestamp.dt.strftime("%Y-%m-%d")).to_csv(f"{out}/prices.csv", index=False)
    sig = panel[["timestamp", "asset", "ml_pred"]]
    sig.assign(timestamp=sig.timestamp.dt.strftime("%Y-%m-%d")).to_csv(f"{out}/signals.csv", index=False)
    with open(f"{out}/config.yaml", "w") as f:
        f.write(f"""data_sources:
  prices: {{path: prices.csv, asset_column: asset}}
  signals: {{path: signals.csv, asset_column: asset, columns: [ml_pred]}}
signal_timing: {{mode: strict}}
execution:
  initial_capital: {CAPITAL}
  profile: backtrader
  backtrader: {{checksubmit: {'true' if checksubmit else 'false'}}}
  commission: {{type: percentage, rate: {COMMISSION}}}
strategy: {{type: signal_threshold, signal: ml_pred, entry: {ENTRY}, exit: {EXIT}, size_pct: {SIZE_PCT}}}
""")


def run_backtrader(panel, checksubmit):
    import backtrader as bt

    class SignalData(bt.feeds.PandasData):
        lines = ("signal",)
        params = (("signal", -1),)

    class SignalThreshold(bt.Strategy):
        # ml4t-backtest's built-in signal_threshold, long side: an asset with an open
        # order is left alone; entries size_pct x equity / close, whole shares.
        def __init__(self):
            self.working = {d: 0 for d in self.datas}

        def notify_order(self, order):
            if order.status in (order.Completed, order.Canceled, order.Margin, order.Rejected, order.Expired):
                self.working[order.data] -= 1

        def next(self):
            value = self.broker.getvalue()
            for d in self.datas:
                s = d.signal[0]
                if math.isnan(s) or self.working[d]:
                    continue
                pos = self.getposition(d).size
                if pos > 0:
                    if s < EXIT:
                        self.close(d)
                        self.working[d] += 1
                    continue
                if s > ENTRY:
                    qty = math.floor(SIZE_PCT * value / d.close[0] + 1e-9)
                    if qty > 0:
                        self.buy(d, size=qty)
                        self.working[d] += 1

    cerebro = bt.Cerebro(stdstats=False)
    cerebro.broker = bt.brokers.BackBroker(checksubmit=checksubmit)
    cerebro.broker.set_cash(CAPITAL)
    cerebro.broker.setcommission(commission=COMMISSION)
    for name, g in panel.groupby("asset", sort=True):
        df = g.set_index("timestamp")[["open", "high", "low", "close", "volume", "ml_pred"]]
        df = df.rename(columns={"ml_pred": "signal"})
        df["openinterest"] = 0.0
        cerebro.adddata(SignalData(dataname=df), name=name)
    cerebro.addstrategy(SignalThreshold)
    cerebro.run(runonce=False, preload=True)
    return cerebro.broker.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", type=int, default=50)
    ap.add_argument("--days", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    ap.add_argument("--checksubmit", action="store_true")
    args = ap.parse_args()
    panel = make_panel(args.assets, args.days, args.seed)
    write_inputs(panel, args.out, args.checksubmit)
    print(f"backtrader final value: {run_backtrader(panel, args.checksubmit):.10f}")


if __name__ == "__main__":
    main()
