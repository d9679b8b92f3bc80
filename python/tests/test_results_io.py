"""Results in the ecosystem's shapes: from_dir (a results folder read back through DuckDB,
Parquet or CSV), and returns / positions / transactions in pyfolio's layout. Expected
values are worked out by hand from conftest's price_frame (asset k on day d opens at
100*(k+1) + d and closes 1 higher; orders fill at the next bar's open)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

import ml4t.backtest as bt
from conftest import day, price_frame, write_frame

UTC = "UTC"


class Scripted(bt.Strategy):
    """Places fixed orders on given days: {day: [(symbol, quantity)]}."""

    def __init__(self, plan):
        super().__init__()
        self.plan = plan

    def on_timestamp(self, cs):
        for symbol, qty in self.plan.get(cs.timestamp.day, []):
            self.order(symbol, qty)


PLAN = {3: [("AAPL", 10), ("MSFT", 5)], 6: [("AAPL", -10)], 8: [("MSFT", -2)]}


def scripted_run(path, plan=PLAN, capital=10_000.0):
    feed = bt.PolarsDataFeed(price_path=path, validate_signal_timing=False)
    return bt.BacktestEngine(data_feed=feed, strategy=Scripted(plan), initial_capital=capital).run()


# Worked out by hand: buys fill on day 4 at AAPL 104 x 10, MSFT 204 x 5 (cash 10000 - 1040 -
# 1020 = 7940); AAPL sold on day 7 at 107 (cash 9010); 2 MSFT sold on day 9 at 209 (cash 9428).
# Day-end values use the closes (AAPL 101 + d, MSFT 201 + d).
CASH = {2: 10000, 3: 10000, 4: 7940, 5: 7940, 6: 7940, 7: 9010, 8: 9010, 9: 9428, 10: 9428, 11: 9428}
AAPL = {4: 1050, 5: 1060, 6: 1070}
MSFT = {4: 1025, 5: 1030, 6: 1035, 7: 1040, 8: 1045, 9: 630, 10: 633, 11: 636}
EQUITY = {d: CASH[d] + AAPL.get(d, 0) + MSFT.get(d, 0) for d in CASH}


def utc_days(days):
    # The price files' timestamps are naive, so the results' are too.
    return pd.DatetimeIndex([day(d) for d in days], name="date")


def test_returns_by_hand(prices_path):
    r = scripted_run(prices_path)
    assert EQUITY[11] == 10064 and r.final_equity == 10064.0
    expected = pd.Series([EQUITY[d] / (EQUITY[d - 1] if d > 2 else 10000) - 1 for d in range(2, 12)],
                         index=utc_days(range(2, 12)), name="returns")
    pd.testing.assert_series_equal(r.returns, expected)
    assert r.returns.index.tz is None
    assert r.returns.iloc[2] == pytest.approx(0.0015, abs=1e-15)  # 10015 / 10000 - 1


def test_returns_sample_each_days_last_bar(tmp_path):
    # Two bars a day (10:00 and 15:00 UTC); bar k opens at 100 + k and closes at 101 + k.
    stamps = [pd.Timestamp(2025, 1, d, h) for d in (2, 3) for h in (10, 15)]
    df = pd.DataFrame({"timestamp": stamps, "asset_id": "AAPL", "open": [100.0 + k for k in range(4)],
                       "high": [110.0] * 4, "low": [90.0] * 4, "close": [101.0 + k for k in range(4)],
                       "volume": [1e6] * 4})
    path = write_frame(df, tmp_path / "hourly.parquet")

    class BuyFirstBar(bt.Strategy):
        def on_timestamp(self, cs):
            if cs.timestamp.hour == 10 and cs.timestamp.day == 2:
                self.order("AAPL", 10)

    feed = bt.PolarsDataFeed(price_path=path, validate_signal_timing=False)
    r = bt.BacktestEngine(data_feed=feed, strategy=BuyFirstBar(), initial_capital=10_000.0).run()
    # Filled at bar 1's open (101): cash 8990; day 2 ends at bar 1's close 102 -> 10010, day 3
    # at bar 3's close 104 -> 10030. The 10:00 bars are not sampled.
    expected = pd.Series([10010 / 10000 - 1, 10030 / 10010 - 1], index=utc_days([2, 3]), name="returns")
    pd.testing.assert_series_equal(r.returns, expected)
    pos = r.positions_from(bt.PolarsDataFeed(price_path=path, validate_signal_timing=False))
    assert pos.to_dict("list") == {"AAPL": [1020.0, 1040.0], "cash": [8990.0, 8990.0]}


def test_transactions_by_hand(prices_path):
    t = scripted_run(prices_path).transactions
    assert list(t.columns) == ["amount", "price", "symbol"]
    assert list(t.index) == [day(d) for d in (4, 4, 7, 9)]
    assert t["amount"].tolist() == [10.0, 5.0, -10.0, -2.0]
    assert t["price"].tolist() == [104.0, 204.0, 107.0, 209.0]
    assert t["symbol"].tolist() == ["AAPL", "MSFT", "AAPL", "MSFT"]


def test_positions_by_hand(prices_path):
    r = scripted_run(prices_path)
    with pytest.raises(bt.ConfigError, match=r"positions_from\(feed\)"):
        r.positions  # an engine over a feed does not know its data again
    pos = r.positions_from(bt.PolarsDataFeed(price_path=prices_path, validate_signal_timing=False))
    assert list(pos.columns) == ["AAPL", "MSFT", "cash"]
    pd.testing.assert_index_equal(pos.index, utc_days(range(2, 12)))
    assert pos["AAPL"].tolist() == [float(AAPL.get(d, 0)) for d in range(2, 12)]
    assert pos["MSFT"].tolist() == [float(MSFT.get(d, 0)) for d in range(2, 12)]
    assert pos["cash"].tolist() == [float(CASH[d]) for d in range(2, 12)]


def write_config(tmp_path, prices, signals, out):
    path = tmp_path / "cfg.yaml"
    path.write_text(f"""
data_sources:
  prices: {{path: {prices}}}
  signals: {{path: {signals}}}
strategy: {{type: signal_threshold, signal: ml_pred, entry: 0.6, exit: 0.5, size_pct: 0.3}}
execution: {{initial_capital: 50000, commission: {{type: percentage, rate: 0.001}}}}
output: {{dir: {out}, formats: [parquet, csv]}}
""")
    return path


def test_positions_from_a_config_add_up_to_equity(tmp_path, sample):
    files = sample["files"]
    config = bt.BacktestConfig.from_yaml(write_config(tmp_path, files["prices"], files["signals"], tmp_path / "o"))
    r = bt.run_backtest(config)
    pos = r.positions
    assert list(pos.columns)[-1] == "cash" and len(pos) == 60
    daily_equity = r.equity_curve["equity"].groupby(r.equity_curve.index.floor("D")).last()
    np.testing.assert_allclose(pos.sum(axis=1).to_numpy(), daily_equity.to_numpy(), rtol=1e-12)
    assert r.metrics["num_trades"] > 0 and (pos.drop(columns="cash") != 0).any().any()
    # The same through an engine built from the config.
    again = bt.BacktestEngine.from_config(config).run()
    pd.testing.assert_frame_equal(again.positions, pos)
    assert (1 + r.returns).prod() - 1 == pytest.approx(r.metrics["total_return"], rel=1e-12)


# Columns the in-memory DataFrames have and the files do not: none.
NOT_IN_FILES = {"equity_curve": set(), "trades": set(), "fills": set(), "orders": set()}


def assert_same_tables(read, mem):
    for name in ("equity_curve", "trades", "fills", "orders"):
        a, b = getattr(read, name), getattr(mem, name)
        assert set(b.columns) - set(a.columns) == NOT_IN_FILES[name], name
        assert set(a.columns) <= set(b.columns), name
        pd.testing.assert_frame_equal(a, b[[c for c in b.columns if c in a.columns]], obj=name)


def test_from_dir_parquet_and_csv_equal_in_memory(tmp_path, prices_path):
    mem = scripted_run(prices_path)
    mem.to_parquet(tmp_path / "res", csv=True)
    assert_same_tables(bt.Results.from_dir(tmp_path / "res"), mem)
    # CSV alone (Parquet is preferred when both are there).
    csv_only = tmp_path / "csv_only"
    shutil.copytree(tmp_path / "res", csv_only)
    for f in csv_only.glob("*.parquet"):
        f.unlink()
    read = bt.Results.from_dir(csv_only)
    assert_same_tables(read, mem)
    assert mem.metrics["profit_factor"] == float("inf") and np.isnan(read.metrics["profit_factor"])  # JSON null
    assert {k: v for k, v in read.metrics.items() if k != "profit_factor"} == \
        {k: v for k, v in mem.metrics.items() if k != "profit_factor"}
    assert (read.final_equity, read.initial_capital, read.events) == (10064.0, 10000.0, 20)
    pd.testing.assert_series_equal(read.returns, mem.returns)
    pd.testing.assert_frame_equal(read.transactions, mem.transactions)
    assert read.symbols == ["AAPL", "MSFT"]
    with pytest.raises(bt.ConfigError, match="read from .*report.html"):
        read.report(tmp_path / "r.html")


def test_from_dir_of_a_cli_run(tmp_path, sample):
    cli = os.environ.get("ML4T_CLI")
    if not cli:
        pytest.skip("ML4T_CLI not set (CTest sets it)")
    files = sample["files"]
    cfg = write_config(tmp_path, files["prices"], files["signals"], tmp_path / "out")
    subprocess.run([cli, "run", str(cfg)], check=True, capture_output=True)
    read = bt.Results.from_dir(tmp_path / "out")
    mem = bt.run_backtest(bt.BacktestConfig.from_yaml(cfg))
    assert_same_tables(read, mem)
    assert read.metrics == mem.metrics
    pd.testing.assert_series_equal(read.returns, mem.returns)
    pd.testing.assert_frame_equal(read.transactions, mem.transactions)
    pd.testing.assert_frame_equal(read.positions, mem.positions)  # prices found through summary.json's config


def test_from_dir_bad_folders(tmp_path, prices_path):
    with pytest.raises(bt.DataError, match="no such folder"):
        bt.Results.from_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(bt.DataError, match="has no summary.json: not a results folder"):
        bt.Results.from_dir(tmp_path / "empty")
    scripted_run(prices_path).to_parquet(tmp_path / "res", csv=True)
    (tmp_path / "res" / "fills.parquet").unlink()
    (tmp_path / "res" / "fills.csv").unlink()
    read = bt.Results.from_dir(tmp_path / "res")
    with pytest.raises(bt.DataError, match=r"has neither fills.parquet nor fills.csv"):
        read.fills
    # A CSV lacking a column, and one with a bad timestamp: the file, column and line are named.
    for f in (tmp_path / "res").glob("*.parquet"):
        f.unlink()
    trades = tmp_path / "res" / "trades.csv"
    lines = trades.read_text().splitlines()
    trades.write_text("\n".join([lines[0].replace("pnl", "profit")] + lines[1:]) + "\n")
    with pytest.raises(bt.DataError, match=r'trades.csv has no column "pnl" \(columns found: \[asset, side, '):
        bt.Results.from_dir(tmp_path / "res").trades
    equity = tmp_path / "res" / "equity.csv"
    lines = equity.read_text().splitlines()
    lines[3] = lines[3].replace("2025-01-04T00:00:00Z", "2025-01-04 noon")
    equity.write_text("\n".join(lines) + "\n")
    with pytest.raises(bt.DataError, match=r"equity.csv: line 4, column \"timestamp\": '2025-01-04 noon' is not"):
        bt.Results.from_dir(tmp_path / "res").equity_curve
    (tmp_path / "res" / "summary.json").write_text("{not json")
    with pytest.raises(bt.DataError, match="summary.json: not valid JSON"):
        bt.Results.from_dir(tmp_path / "res")


# --- provenance: every run's summary.json says the same as the CLI's ----------------------

def key_tree(node):
    """The nested keys of a JSON document (lists: the keys of their first item)."""
    if isinstance(node, dict):
        return {k: key_tree(v) for k, v in node.items()}
    if isinstance(node, list):
        return [key_tree(node[0])] if node else []
    return None


def test_python_runs_write_the_clis_summary(tmp_path, sample):
    cli = os.environ.get("ML4T_CLI")
    if not cli:
        pytest.skip("ML4T_CLI not set (CTest sets it)")
    files = sample["files"]
    cfg = write_config(tmp_path, files["prices"], files["signals"], tmp_path / "cli")
    subprocess.run([cli, "run", str(cfg), "--quiet"], check=True, capture_output=True)
    cli_summary = json.loads((tmp_path / "cli" / "summary.json").read_text())

    config = bt.BacktestConfig.from_yaml(cfg)
    bt.run_backtest(config).to_parquet(tmp_path / "from_config")
    feed = bt.PolarsDataFeed(price_path=files["prices"], signals_path=files["signals"],
                             validate_signal_timing=False)
    bt.BacktestEngine(data_feed=feed, strategy=Scripted({5: [("SYM000", 10)]})).run().to_parquet(tmp_path / "engine")

    for name in ("from_config", "engine"):
        s = json.loads((tmp_path / name / "summary.json").read_text())
        assert key_tree({k: v for k, v in s.items() if k != "config"}) == \
            key_tree({k: v for k, v in cli_summary.items() if k != "config"}), name
        assert s["version"] == bt.__version__ == cli_summary["version"] != ""
        assert s["elapsed_seconds"] > 0
        assert [(f["role"], f["path"], f["bytes"]) for f in s["data"]["files"]] == \
            [(f["role"], f["path"], f["bytes"]) for f in cli_summary["data"]["files"]] == \
            [("prices", str(files["prices"]), os.path.getsize(files["prices"])),
             ("signals", str(files["signals"]), os.path.getsize(files["signals"]))]
        assert [f["modified"] for f in s["data"]["files"]] == [f["modified"] for f in cli_summary["data"]["files"]]
        assert (s["data"]["rows"], s["data"]["assets"], s["data"]["start"], s["data"]["end"]) == \
            (300, 5, cli_summary["data"]["start"], cli_summary["data"]["end"])
    from_config = json.loads((tmp_path / "from_config" / "summary.json").read_text())
    assert from_config["config"] == cli_summary["config"]
    assert from_config["strategy"] == cli_summary["strategy"] == "signal_threshold on ml_pred"
    engine = json.loads((tmp_path / "engine" / "summary.json").read_text())
    assert engine["config"] is None
    assert engine["strategy"] == f"python Scripted ({__file__})"
    # The report names the version too (a run this small may well take under 0.01 s).
    r = scripted_run(write_frame(price_frame(), tmp_path / "p.parquet"))
    assert f"Generated by ml4t-backtest {bt.__version__} in " in r.report(tmp_path / "r.html").read_text()
    assert json.loads(r.summary_json())["elapsed_seconds"] > 0
