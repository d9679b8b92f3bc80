"""Engine behaviour through Python: hooks, order helpers, vectorized cross-sections,
results as pandas, result files, determinism, errors raised in callbacks, Ctrl-C."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess

import numpy as np
import pandas as pd
import pytest

import ml4t.backtest as bt
from conftest import day, price_frame, write_frame


def feed_of(path, **kw):
    kw.setdefault("validate_signal_timing", False)
    return bt.PolarsDataFeed(price_path=path, **kw)


class Recorder(bt.Strategy):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_start(self):
        self.calls.append(("start", self.signal_names(), self.cash()))

    def on_market_data(self, event, context=None):
        self.calls.append(("event", event.timestamp.day, event.asset_id))

    def on_timestamp(self, cs):
        self.calls.append(("timestamp", cs.timestamp.day, list(cs.symbols)))

    def on_end(self):
        self.calls.append(("end", self.now().day))


def test_hook_order(prices_path):
    s = Recorder()
    results = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=s).run()
    assert s.calls[0] == ("start", [], 100000.0)
    assert s.calls[1:4] == [("event", 2, "AAPL"), ("event", 2, "MSFT"), ("timestamp", 2, ["AAPL", "MSFT"])]
    assert s.calls[-1] == ("end", 11)
    assert len(s.calls) == 1 + 10 * 3 + 1
    assert results.events == 20


def test_on_market_data_without_context_argument(prices_path):
    seen = []

    class OneArg(bt.Strategy):
        def on_market_data(self, event):
            seen.append(event.close)

    bt.BacktestEngine(data_feed=feed_of(prices_path, asset_id="MSFT"), strategy=OneArg()).run()
    # MSFT (base 200): close on Jan d = 200 + d + 1.
    assert seen == [200.0 + d + 1 for d in range(2, 12)]


def test_cross_section_arrays(tmp_path, prices_path):
    signals = pd.DataFrame({"timestamp": [day(2), day(2)], "asset_id": ["AAPL", "MSFT"], "ml_pred": [0.3, 0.9]})
    got = {}

    class Vec(bt.Strategy):
        def on_timestamp(self, cs):
            got[cs.timestamp.day] = cs

    feed = feed_of(prices_path, signals_path=write_frame(signals, tmp_path / "s.parquet"))
    bt.BacktestEngine(data_feed=feed, strategy=Vec()).run()
    cs = got[3]
    assert isinstance(cs.close, np.ndarray) and cs.close.dtype == np.float64
    assert cs.symbols == ["AAPL", "MSFT"] and cs.asset_ids.tolist() == [0, 1]
    np.testing.assert_array_equal(cs.open, [103.0, 203.0])
    np.testing.assert_array_equal(cs.close, [104.0, 204.0])
    np.testing.assert_array_equal(cs.volume, [1_000_003.0, 1_000_003.0])
    np.testing.assert_array_equal(cs.signal("ml_pred"), [0.3, 0.9])
    assert list(cs.signals) == ["ml_pred"] and len(cs) == 2
    assert np.isnan(got[2].signal("ml_pred")).all()  # NEXT_BAR: nothing visible on Jan 2
    with pytest.raises(KeyError, match="ml_pred"):
        cs.signal("nope")


def test_order_helpers_and_portfolio(prices_path):
    log = {}

    class Trader(bt.Strategy):
        def on_market_data(self, event, context=None):
            d = event.timestamp.day
            if event.asset_id != "AAPL":
                return
            if d == 2:
                log["id"] = self.order("AAPL", 10)
                log["limit"] = self.order("AAPL", 5, order_type="limit", limit_price=50.0)
                log["open_orders"] = self.open_orders("AAPL")
            elif d == 3:
                log["pos3"] = self.position("AAPL")
                log["info3"] = self.position_info(event.asset)
                log["cancelled"] = self.cancel(log["limit"])
                log["open_positions"] = self.open_positions()
                log["cash3"] = self.cash()
                log["equity3"] = self.equity()
            elif d == 5:
                self.order_target_quantity("AAPL", 4)
            elif d == 7:
                self.close_position("AAPL")

    results = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Trader(), initial_capital=10_000.0).run()
    assert log["id"] == 1 and log["limit"] == 2 and log["open_orders"] == 2
    # The market order for 10 fills at Jan 3's open (103): cash 10000 - 1030 = 8970;
    # marked at Jan 3's close (104): equity 8970 + 1040 = 10010.
    assert log["pos3"] == 10.0
    assert log["info3"]["avg_cost"] == 103.0 and log["info3"]["last_price"] == 104.0
    assert log["info3"]["unrealized_pnl"] == pytest.approx(10.0)
    assert log["cancelled"] is True and log["open_positions"] == ["AAPL"]
    assert log["cash3"] == pytest.approx(8970.0) and log["equity3"] == pytest.approx(10010.0)
    fills = results.fills
    # Jan 6: sell 6 at 106 (target 4); Jan 8: sell 4 at 108.
    assert fills[["quantity", "price", "side"]].values.tolist() == [[10.0, 103.0, "buy"], [6.0, 106.0, "sell"],
                                                                    [4.0, 108.0, "sell"]]
    orders = results.orders
    assert orders.loc[orders.order_id == 2, "status"].item() == "cancelled"
    assert orders.loc[orders.order_id == 2, "type"].item() == "limit"
    assert orders.loc[orders.order_id == 2, "limit_price"].item() == 50.0
    # P&L: 6 x (106 - 103) + 4 x (108 - 103) = 38.
    assert results.final_equity == pytest.approx(10_038.0)
    trades = results.trades
    assert trades["pnl"].sum() == pytest.approx(38.0)
    # One round trip (10 bought, sold in two parts); "return" is pnl over the entry
    # notional: 38 / (10 x 103).
    assert trades["return"].tolist() == pytest.approx([38.0 / 1030.0])
    assert str(trades["entry_time"].dtype) == "datetime64[ns]"  # naive, like the price file's times


def test_commission_slippage_and_risk_arguments(prices_path):
    class BuyOnce(bt.Strategy):
        def on_market_data(self, event, context=None):
            if event.asset_id == "AAPL" and event.timestamp.day == 2:
                self.order(event.asset_id, 100)

    engine = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=BuyOnce(), initial_capital=50_000.0,
                               commission={"type": "per_share", "rate": 0.01, "minimum": 0.0},
                               slippage={"type": "fixed", "rate": 0.05},
                               risk_rules={"stop_loss": 0.5}, fractional_shares=False)
    assert engine.config.execution.commission.type == "per_share"
    assert engine.config.risk_rules.stop_loss == 0.5
    results = engine.run()
    fill = results.fills.iloc[0]
    # Jan 3 open 103 + fixed slippage 0.05; commission 100 x 0.01 = 1.
    assert fill["price"] == pytest.approx(103.05) and fill["commission"] == pytest.approx(1.0)
    assert fill["slippage"] == pytest.approx(5.0)


def test_builtin_strategy_matches_python_strategy(sample):
    files = sample["files"]

    class Threshold(bt.Strategy):
        def on_market_data(self, event, context=None):
            pred = event.signals.get("ml_pred", 0.5)
            if pred > 0.6:
                if self.position(event.asset_id) == 0:
                    self.buy_percent(event.asset_id, 0.1, event.close)
            elif pred < 0.5 and self.position(event.asset_id) > 0:
                self.close_position(event.asset_id)

    def run(strategy):
        feed = feed_of(files["prices"], signals_path=files["signals"])
        return bt.BacktestEngine(data_feed=feed, strategy=strategy).run()

    py = run(Threshold())
    cpp = run(bt.strategies.signal_threshold(signal="ml_pred", entry=0.6, exit=0.5, size_pct=0.1))
    assert len(py.trades) > 10
    pd.testing.assert_frame_equal(py.trades, cpp.trades)
    pd.testing.assert_frame_equal(py.equity_curve, cpp.equity_curve)


def test_runs_are_deterministic(sample):
    files = sample["files"]

    class Top(bt.Strategy):
        def on_timestamp(self, cs):
            order = np.argsort(-np.nan_to_num(cs.signal("ml_pred"), nan=-1.0), kind="stable")
            for i in order[:2]:
                self.order_target_percent(int(cs.asset_ids[i]), 0.3)
            for i in order[2:]:
                self.order_target_percent(int(cs.asset_ids[i]), 0.0)

    def run():
        feed = feed_of(files["prices"], signals_path=files["signals"], context_path=files["context"])
        return bt.BacktestEngine(data_feed=feed, strategy=Top()).run()

    a, b = run(), run()
    assert a.final_equity == b.final_equity and a.metrics == b.metrics
    pd.testing.assert_frame_equal(a.fills, b.fills)


def test_results_files_and_report(tmp_path, prices_path):
    class BuyOnce(bt.Strategy):
        def on_market_data(self, event, context=None):
            if event.timestamp.day == 2:
                self.buy_percent(event.asset_id, 0.2, event.close)

    results = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=BuyOnce()).run()
    written = results.to_parquet(tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == ["cashflows.parquet", "equity.parquet", "fills.parquet", "orders.parquet", "summary.json", "trades.parquet"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["metrics"]["num_trades"] == results.metrics["num_trades"]
    with pytest.raises(bt.OutputError, match="overwrite"):
        results.to_parquet(tmp_path / "out")
    assert isinstance(bt.OutputError("x"), OSError)
    written = results.to_parquet(tmp_path / "out", overwrite=True, csv=True)
    assert len(written) == 11  # summary + 5 tables x 2 formats
    report = results.report(tmp_path / "report.html")
    assert report.read_text().lstrip().lower().startswith("<!doctype html")
    # The files hold what the DataFrames hold: CSV read back with pandas, Parquet row
    # counts from the CLI's inspect. 2 assets x 20% bought Jan 2, filled Jan 3 at the open.
    equity_csv = pd.read_csv(tmp_path / "out" / "equity.csv")
    assert len(results.equity_curve) == len(equity_csv) == 10
    np.testing.assert_allclose(equity_csv["equity"], results.equity_curve["equity"], rtol=0, atol=1e-6)
    fills_csv = pd.read_csv(tmp_path / "out" / "fills.csv")
    assert fills_csv["price"].tolist() == results.fills["price"].tolist() == [103.0, 203.0]
    assert fills_csv["quantity"].tolist() == [194.0, 98.0]  # floor(20000 / 103), floor(20000 / 203): Jan 2 closes
    assert len(pd.read_csv(tmp_path / "out" / "trades.csv")) == len(results.trades) == 2  # open at the end
    cli = os.environ.get("ML4T_CLI")
    if cli:
        for name, frame in [("trades", results.trades), ("fills", results.fills), ("orders", results.orders)]:
            info = subprocess.run([cli, "data", "inspect", str(tmp_path / "out" / f"{name}.parquet"), "--json",
                                   "--asset-column", ""], capture_output=True, text=True, check=True)
            assert json.loads(info.stdout)["rows"] == len(frame), name
    assert "Results(events=20" in repr(results)


def test_run_backtest_from_config(tmp_path, sample):
    files = sample["files"]
    (tmp_path / "cfg.yaml").write_text(f"""
data_sources:
  prices: {{path: {files['prices']}}}
  signals: {{path: {files['signals']}}}
strategy: {{type: signal_threshold, signal: ml_pred, entry: 0.6, exit: 0.5, size_pct: 0.1}}
output: {{dir: {tmp_path / 'out'}}}
""")
    config = bt.BacktestConfig.from_yaml(tmp_path / "cfg.yaml")
    a = bt.run_backtest(config)
    b = bt.BacktestEngine.from_config(config).run()
    assert a.events == 300 and a.final_equity == b.final_equity
    pd.testing.assert_frame_equal(a.trades, b.trades)
    assert "signal_threshold" in config.to_yaml()


# --- errors -----------------------------------------------------------------------------

def test_exception_in_callback_propagates(prices_path):
    class Boom(bt.Strategy):
        def on_market_data(self, event, context=None):
            if event.timestamp.day == 4:
                raise ValueError("boom at day 4")

    with pytest.raises(ValueError, match="boom at day 4"):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Boom()).run()


def test_ctrl_c_interrupts_python_strategy(prices_path):
    class SelfInterrupt(bt.Strategy):
        def on_market_data(self, event, context=None):
            if event.timestamp.day == 3:
                signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=SelfInterrupt()).run()


def test_ctrl_c_interrupts_builtin_strategy(sample):
    ticks = []

    def progress(events, now):
        ticks.append(events)
        if len(ticks) == 2:
            os.kill(os.getpid(), signal.SIGINT)

    feed = feed_of(sample["files"]["prices"], signals_path=sample["files"]["signals"])
    engine = bt.BacktestEngine(data_feed=feed, strategy=bt.strategies.signal_threshold(), progress=progress,
                               progress_every=10)
    with pytest.raises(KeyboardInterrupt):
        engine.run()
    assert len(ticks) == 2 and ticks[-1] < 300


def test_helpers_outside_a_run_raise():
    s = Recorder()
    with pytest.raises(bt.ML4TError, match="only inside the hooks"):
        s.cash()


def test_engine_argument_errors(prices_path, sample):
    with pytest.raises(TypeError, match="data_feed"):
        bt.BacktestEngine(data_feed="prices.parquet", strategy=Recorder())
    with pytest.raises(TypeError, match="unknown argument"):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Recorder(), leverage=2)
    with pytest.raises(bt.ConfigError, match="commission type 'flat'"):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Recorder(), commission={"type": "flat"})
    with pytest.raises(bt.ConfigError):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Recorder(), initial_capital=-5).run()
    with pytest.raises(bt.ConfigError, match="strategy must be"):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=object()).run()
    with pytest.raises(bt.ConfigError, match="nosuch"):
        bt.BacktestEngine(data_feed=feed_of(prices_path),
                          strategy=bt.strategies.signal_threshold(signal="nosuch")).run()
    engine = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Recorder())
    engine.run()
    with pytest.raises(bt.ConfigError, match="already"):
        engine.run()


def test_order_errors(prices_path):
    class Bad(bt.Strategy):
        def on_market_data(self, event, context=None):
            self.order(event.asset_id, 1, order_type="iceberg")

    with pytest.raises(bt.ConfigError, match="order_type 'iceberg'"):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Bad()).run()

    class BadAsset(bt.Strategy):
        def on_market_data(self, event, context=None):
            self.position(3.5)

    with pytest.raises(bt.ConfigError, match="symbol"):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=BadAsset()).run()

    class Unknown(bt.Strategy):
        def on_market_data(self, event, context=None):
            self.order("ZZZZ", 5)

    results = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Unknown()).run()
    assert (results.orders["status"] == "rejected").all() and len(results.fills) == 0


def test_on_fill_receives_each_fill(prices_path):
    got = []

    class Filled(bt.Strategy):
        def on_market_data(self, event, context=None):
            if event.asset_id == "MSFT" and event.timestamp.day == 2:
                self.order("MSFT", 3)

        def on_fill(self, fill):
            got.append(fill)
            if len(got) == 1:
                self.close_position(fill["asset_id"])  # orders may be placed from on_fill

    results = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Filled()).run()
    # Buy 3 MSFT at Jan 3's open (203); the close placed in on_fill fills at Jan 4's open (204).
    assert [(f["side"], f["quantity"], f["price"], f["timestamp"].day, f["order_id"]) for f in got] == [
        ("buy", 3.0, 203.0, 3, 1), ("sell", 3.0, 204.0, 4, 2)]
    assert got[0]["asset_id"] == "MSFT" and got[0]["commission"] == 0.0
    assert results.final_equity == pytest.approx(100_003.0)
