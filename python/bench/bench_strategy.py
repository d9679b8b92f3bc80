"""Events/s of a Python ``on_market_data`` strategy (and, for comparison, a vectorized
``on_timestamp`` one and the built-in C++ one) over a generated dataset: by default the
``daily`` dataset of ``ml4t-backtest bench`` (500 assets x 2,520 days, seed 42).

    build/ml4t-backtest generate --out out/bench-daily --symbols 500 --days 2520 --freq 1d --seed 42
    PYTHONPATH=build/python /usr/bin/python3 python/bench/bench_strategy.py out/bench-daily [on_market_data ...]

Each line: events, wall seconds, events/s, CPU seconds of the process (less disturbed
by other load than wall time) and the trade count, which is the same for all three.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import ml4t.backtest as bt


class PerEvent(bt.Strategy):
    """The reference's style: one Python call per event, signal threshold entries/exits."""

    def on_market_data(self, event, context=None):
        pred = event.signals.get("ml_pred", 0.5)
        if pred > 0.7:
            if self.position(event.asset_id) == 0:
                self.buy_percent(event.asset_id, 0.01, event.close)
        elif pred < 0.4 and self.position(event.asset_id) > 0:
            self.close_position(event.asset_id)


class Vectorized(bt.Strategy):
    """The same rule once per timestamp on numpy arrays."""

    def on_timestamp(self, cs):
        pred = cs.signal("ml_pred")
        for i in np.flatnonzero(pred > 0.7):
            a = int(cs.asset_ids[i])
            if self.position(a) == 0:
                self.buy_percent(a, 0.01, float(cs.close[i]))
        for i in np.flatnonzero(pred < 0.4):
            a = int(cs.asset_ids[i])
            if self.position(a) > 0:
                self.close_position(a)


def run(name: str, data: Path, strategy) -> None:
    feed = bt.PolarsDataFeed(price_path=data / "prices.parquet", signals_path=data / "signals.parquet",
                             validate_signal_timing=False)
    start, cpu_start = time.perf_counter(), time.process_time()
    results = bt.BacktestEngine(data_feed=feed, strategy=strategy, initial_capital=1_000_000.0).run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"{name:<22} {results.events:>10,} events  {seconds:7.2f} s  {results.events / seconds:>12,.0f} events/s  "
          f"cpu {cpu:6.2f} s  trades {results.metrics['num_trades']:,}", flush=True)


def main() -> None:
    data = Path(sys.argv[1] if len(sys.argv) > 1 else "out/bench-daily")
    if not (data / "prices.parquet").exists():
        sys.exit(f"bench_strategy: {data}/prices.parquet not found; generate it first:\n"
                 f"  build/ml4t-backtest generate --out {data} --symbols 500 --days 2520 --freq 1d --seed 42")
    which = sys.argv[2:] or ["on_market_data", "on_timestamp", "builtin"]
    unknown = set(which) - {"on_market_data", "on_timestamp", "builtin"}
    if unknown:
        sys.exit(f"bench_strategy: unknown strategies {sorted(unknown)}; use on_market_data, on_timestamp, builtin")
    if "on_market_data" in which:
        run("python on_market_data", data, PerEvent())
    if "on_timestamp" in which:
        run("python on_timestamp", data, Vectorized())
    if "builtin" in which:
        run("built-in (C++)", data, bt.strategies.signal_threshold(signal="ml_pred", entry=0.7, exit=0.4,
                                                                    size_pct=0.01))


if __name__ == "__main__":
    main()
