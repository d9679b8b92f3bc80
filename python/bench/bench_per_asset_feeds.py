"""Workflow 2 of the reference at scale: one ``PolarsDataFeed`` per asset merged by a
``MultiSourceClock``, against one universe feed over the same files. Each variant runs
in its own process (a hook-less Strategy through BacktestEngine, so the time is the
feeds' and the engine's, not Python's); the line gives events, wall and CPU seconds and
the process's peak RSS (ru_maxrss of the child).

    build/ml4t-backtest generate --out out/bench-hourly --symbols 250 --days 252 --freq 1h --seed 42
    PYTHONPATH=build/python /usr/bin/python3 python/bench/bench_per_asset_feeds.py out/bench-hourly

The folder needs prices.parquet; context.parquet is used when present (market context,
as-of on the market's timeline for both variants).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def child(mode: str, folder: Path) -> None:
    import ml4t.backtest as bt
    from ml4t.backtest.core.clock import MultiSourceClock
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    prices = folder / "prices.parquet"
    context = folder / "context.parquet"
    kwargs = {"validate_signal_timing": False}
    if context.exists():
        kwargs["context_path"] = context
    symbols = json.loads(os.environ["BENCH_SYMBOLS"])
    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "universe":
        feed = PolarsDataFeed(price_path=prices, **kwargs)
    else:
        feed = MultiSourceClock([PolarsDataFeed(price_path=prices, asset_id=s, **kwargs) for s in symbols])
    results = bt.BacktestEngine(feed, bt.Strategy()).run()
    scans = feed.num_scans if mode != "universe" else 1
    print(json.dumps({"mode": mode, "events": results.events, "scans": scans,
                      "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}))


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
        return
    folder = Path(sys.argv[1])
    import ml4t.backtest as bt

    first = bt.PolarsDataFeed(price_path=folder / "prices.parquet", validate_signal_timing=False).next_group()
    env = dict(os.environ, BENCH_SYMBOLS=json.dumps(list(first.symbols)))
    print(f"{folder}: {len(first.symbols)} assets")
    for mode in ("universe", "per_asset", "universe", "per_asset"):
        proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(folder)], env=env,
                                stdout=subprocess.PIPE, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            sys.exit(f"{mode} failed (status {status})")
        r = json.loads(out)
        print(f"{r['mode']:>9}: {r['events']:>10,} events, {r['scans']:>3} scan(s), wall {r['wall_s']:7.2f} s, "
              f"cpu {r['cpu_s']:7.2f} s, peak RSS {usage.ru_maxrss / 1024:7.1f} MB", flush=True)


if __name__ == "__main__":
    main()
