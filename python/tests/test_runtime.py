"""How the module behaves as a Python citizen: the GIL is free while C++ works, Ctrl-C
(a real SIGINT from outside) stops a run, the type stubs match the extension, and the
benchmark script and polars input keep working."""

from __future__ import annotations

import ast
import inspect
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import ml4t.backtest as bt
from ml4t.backtest import _ml4t
from conftest import day, price_frame

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def market(tmp_path_factory):
    """60,000 bars (100 assets x 600 days): long enough that a run spans many progress calls."""
    return bt.generate_sample_data(tmp_path_factory.mktemp("market"), symbols=100, days=600)


def test_other_threads_run_while_cpp_works(market):
    # The backtest runs in a worker thread with a built-in (all C++) strategy. The
    # switch interval is made huge, so Python never takes the GIL from a thread by
    # force: the main thread can only run while the worker has *released* it. The main
    # thread samples how many progress calls the run has made; seeing counts strictly
    # between 0 and the total means it ran in the middle of the run, between two
    # progress calls, i.e. while C++ was working without the GIL. (The progress callback
    # is the C-level dict.__setitem__, so no Python bytecode runs in the worker.)
    files = market["files"]
    feed = bt.PolarsDataFeed(price_path=files["prices"], signals_path=files["signals"], validate_signal_timing=False)
    calls: dict = {}
    engine = bt.BacktestEngine(data_feed=feed, strategy=bt.strategies.signal_threshold(), progress=calls.__setitem__,
                               progress_every=500)
    done = threading.Event()
    box = []
    seen = []
    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        worker = threading.Thread(target=lambda: (box.append(engine.run()), done.set()))
        worker.start()
        while not done.is_set():
            seen.append(len(calls))
            time.sleep(0.0002)  # releases the GIL, so the worker can take it back for a progress call
        worker.join()
    finally:
        sys.setswitchinterval(old)
    total = len(calls)
    assert box[0].events == 60_000 and total == 60_000 // 500
    middle = {n for n in seen if 0 < n < total}
    assert len(middle) >= 3, f"main thread saw progress counts {sorted(set(seen))} of {total}"


CHILD = r"""
import sys, time
import ml4t.backtest as bt
files = bt.generate_sample_data(sys.argv[1], symbols=200, days=2500)["files"]
feed = bt.PolarsDataFeed(price_path=files["prices"], signals_path=files["signals"], validate_signal_timing=False)
calls = []
def progress(events, now):
    calls.append(events)
    if len(calls) == 1:
        print("running", flush=True)   # the parent sends SIGINT when it reads this
engine = bt.BacktestEngine(data_feed=feed, strategy=bt.strategies.signal_threshold(), progress=progress,
                           progress_every=4096)
try:
    results = engine.run()
except KeyboardInterrupt:
    print(f"interrupted after {calls[-1]} of 500000 events", flush=True)
    sys.exit(130)
print(f"finished {results.events} events", flush=True)
"""


def test_sigint_from_outside_stops_a_run(tmp_path):
    # A real Ctrl-C: another process sends SIGINT while the C++ engine runs (GIL
    # released, built-in strategy: no Python code runs between progress checks).
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "data")], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = child.stdout.readline()
        assert first.strip() == "running", first + child.stderr.read()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, out + err
    assert out.startswith("interrupted after ") and "finished" not in out
    done = int(out.split()[2])
    assert 0 < done < 500_000


def test_python_hook_keyboard_interrupt_is_not_swallowed(tmp_path):
    # SIGINT delivered while a Python hook runs: the run stops at once with
    # KeyboardInterrupt (not Interrupted, not a partial Results).
    prices = price_frame(symbols=("AAPL",), days=range(2, 30))
    hits = []

    class Hook(bt.Strategy):
        def on_market_data(self, event, context=None):
            hits.append(event.timestamp.day)
            if event.timestamp.day == 5:
                os.kill(os.getpid(), signal.SIGINT)

    feed = bt.PolarsDataFeed(price_path=prices, validate_signal_timing=False)
    with pytest.raises(KeyboardInterrupt):
        bt.BacktestEngine(data_feed=feed, strategy=Hook()).run()
    assert hits[-1] in (5, 6) and len(hits) <= 5


# --- type stubs ------------------------------------------------------------------------

def _stub_tree():
    return ast.parse((REPO / "python/ml4t/backtest/_ml4t.pyi").read_text())


def _public(names):
    return {n for n in names if not n.startswith("_")}


def test_stubs_name_everything_the_extension_exports():
    tree = _stub_tree()
    stubbed = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
                elif isinstance(item, ast.Assign):
                    members.update(t.id for t in item.targets if isinstance(t, ast.Name))
            stubbed[node.name] = members
        elif isinstance(node, ast.FunctionDef):
            stubbed[node.name] = None
    exported = _public(dir(_ml4t))
    assert sorted(exported - set(stubbed)) == [], "exported by _ml4t but missing from _ml4t.pyi"
    assert sorted(set(stubbed) - exported) == [], "in _ml4t.pyi but not exported by _ml4t"
    missing = {}
    for name, members in stubbed.items():
        obj = getattr(_ml4t, name)
        if members is None or not inspect.isclass(obj) or issubclass(obj, BaseException):
            continue
        own = set()
        for klass in obj.__mro__:
            if klass.__module__ == _ml4t.__name__ or klass.__module__.startswith("ml4t.backtest._ml4t"):
                own |= _public(vars(klass))
        inherited = set()
        for base in node_bases(tree, name):
            inherited |= {"name", "value"} if base == "enum.Enum" else (stubbed.get(base) or set())
        gap = own - members - inherited
        if gap:
            missing[name] = sorted(gap)
    assert missing == {}, "members missing from _ml4t.pyi"


def node_bases(tree, name):
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return [ast.unparse(b) for b in node.bases]
    return []


def test_stub_enum_values_match():
    tree = _stub_tree()
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "SignalTimingMode")
    stubbed = {t.id for item in node.body if isinstance(item, ast.Assign) for t in item.targets}
    assert stubbed == set(bt.SignalTimingMode.__members__) == {"STRICT", "NEXT_BAR", "CUSTOM"}


# --- the benchmark script, on small data -------------------------------------------------

def test_bench_strategy_script_runs_and_the_three_strategies_agree(sample):
    data = Path(sample["files"]["prices"]).parent
    out = subprocess.run([sys.executable, str(REPO / "python/bench/bench_strategy.py"), str(data)],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
                         timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert [ln.split("  ")[0].strip() for ln in lines] == ["python on_market_data", "python on_timestamp",
                                                           "built-in (C++)"]
    assert all(" 300 events" in ln for ln in lines)
    trades = {ln.rsplit("trades ", 1)[1] for ln in lines}
    assert len(trades) == 1, lines  # the same rule gives the same trades three ways


# --- inputs -------------------------------------------------------------------------------

class _PolarsLike:
    """Stands in for a polars.DataFrame on a machine without polars and pyarrow: the
    module recognizes polars frames by their module and converts them without pyarrow."""

    __module__ = "polars.dataframe.frame"

    def __init__(self, data):
        self._data = data
        self.columns = list(data)

    def to_pandas(self):
        raise ModuleNotFoundError("No module named 'pyarrow'")

    def to_dict(self, as_series=True):
        assert as_series is False
        return {k: list(v) for k, v in self._data.items()}


def test_polars_frame_without_pyarrow(prices_path):
    features = _PolarsLike({"timestamp": [day(2), day(3)], "asset_id": ["AAPL", None], "ml_pred": [0.85, None],
                            "vix": [None, 18.5]})
    provider = bt.PrecomputedFeatureProvider(features)
    assert provider.feature_names == ["ml_pred"] and provider.market_feature_names == ["vix"]
    feed = bt.PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=provider)
    events = list(feed)
    assert [e.signals.get("ml_pred") for e in events[:3]] == [None, 0.85, 0.85]
    assert [e.context.get("vix") for e in events[:4]] == [None, None, 18.5, 18.5]


def test_config_with_missing_files_names_every_path(tmp_path):
    (tmp_path / "config.yaml").write_text(
        "data_sources:\n  prices: {path: nowhere/prices.parquet}\n  signals: {path: nowhere/signals.parquet}\n")
    with pytest.raises(bt.ConfigError) as info:
        bt.BacktestConfig.from_yaml(tmp_path / "config.yaml")
    text = str(info.value)
    assert "2 problems" in text
    assert str(tmp_path / "nowhere" / "prices.parquet") in text and str(tmp_path / "nowhere/signals.parquet") in text


def test_dataframe_price_path_is_read_like_a_file():
    prices = price_frame(symbols=("AAPL",), days=range(2, 5))
    feed = bt.PolarsDataFeed(price_path=prices)
    assert [(e.timestamp, e.close) for e in feed] == [(pd.Timestamp(day(d)), 100.0 + d + 1)
                                                      for d in range(2, 5)]
