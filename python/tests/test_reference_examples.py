"""Every code example of the reference guide (ml4t-data-architecture.md), in order,
adapted only where it needs a real file or function (files are written here with known
values; `my_ml_model` & co. are small stubs), with asserted results."""

from __future__ import annotations

import time
import tracemalloc
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from conftest import day, price_frame, write_frame


# --- Lazy Loading ------------------------------------------------------------------
def test_lazy_loading(prices_path):
    from pathlib import Path
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    # Constructor does NOT load data
    feed = PolarsDataFeed(
        price_path=Path("prices.parquet"),
        asset_id="AAPL",
    )
    assert feed.rows_read == 0

    # First call to get_next_event() triggers collection
    event = feed.get_next_event()
    # AAPL (base 100) on Jan 2: open 102, high 104, low 100, close 103, volume 1e6 + 2.
    assert event.asset_id == "AAPL"
    assert event.timestamp == pd.Timestamp("2025-01-02")  # naive in (the file), naive out
    assert (event.open, event.high, event.low, event.close, event.volume) == (102.0, 104.0, 100.0, 103.0, 1_000_002.0)
    assert feed.rows_read > 0


# --- Event Structure ------------------------------------------------------------------
def test_example_event():
    from ml4t.backtest.core.event import MarketEvent

    event = MarketEvent(
        timestamp=datetime(2025, 1, 15, 9, 30),
        asset_id="AAPL",
        open=150.0,
        high=152.0,
        low=149.5,
        close=151.5,
        volume=1_000_000,
        signals={
            'ml_pred': 0.85,           # ML model score
            'confidence': 0.92,        # Prediction confidence
            'rsi_14': 65.0,            # Technical indicator
            'atr_20': 2.5,             # Volatility indicator
        },
        context={
            'vix': 18.5,               # Market volatility
            'spy_return': 0.005,       # Market return
            'market_regime': 0.0,      # Regime indicator
        }
    )
    assert event.timestamp == datetime(2025, 1, 15, 9, 30) and event.timestamp.tzinfo is None
    assert (event.asset_id, event.open, event.close, event.volume) == ("AAPL", 150.0, 151.5, 1_000_000)
    assert event.signals.get("ml_pred", 0.0) == 0.85 and event.signals["atr_20"] == 2.5
    assert event.context == {"vix": 18.5, "spy_return": 0.005, "market_regime": 0.0}
    assert "rsi_14" in event.signals and "vix" not in event.signals


def test_event_structure(tmp_path):
    # The example event (AAPL, 2025-01-15 09:30, signals and context) built from files.
    prices = pd.DataFrame([
        {"timestamp": datetime(2025, 1, 15, 9, 29), "asset_id": "AAPL", "open": 149.0, "high": 151.0, "low": 148.5,
         "close": 150.5, "volume": 900_000.0},
        {"timestamp": datetime(2025, 1, 15, 9, 30), "asset_id": "AAPL", "open": 150.0, "high": 152.0, "low": 149.5,
         "close": 151.5, "volume": 1_000_000.0},
    ])
    signals = pd.DataFrame([{"timestamp": datetime(2025, 1, 15, 9, 30), "asset_id": "AAPL", "ml_pred": 0.85,
                             "confidence": 0.92, "rsi_14": 65.0, "atr_20": 2.5}])
    context = pd.DataFrame([{"timestamp": datetime(2025, 1, 15, 9, 30), "vix": 18.5, "spy_return": 0.005,
                             "market_regime": 0.0}])
    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.data.validation import SignalTimingMode

    feed = PolarsDataFeed(price_path=write_frame(prices, tmp_path / "p.parquet"),
                          signals_path=write_frame(signals, tmp_path / "s.parquet"),
                          context_path=context, signal_timing_mode=SignalTimingMode.STRICT)
    first, event = list(feed)
    assert not first.signals and not first.context
    assert event.timestamp == datetime(2025, 1, 15, 9, 30)
    assert event.asset_id == "AAPL"
    assert (event.open, event.high, event.low, event.close, event.volume) == (150.0, 152.0, 149.5, 151.5, 1_000_000)
    assert event.signals == {"ml_pred": 0.85, "confidence": 0.92, "rsi_14": 65.0, "atr_20": 2.5}
    assert event.context == {"vix": 18.5, "spy_return": 0.005, "market_regime": 0.0}


# --- Strategy Usage -------------------------------------------------------------------
def test_strategy_usage(tmp_path, prices_path):
    from ml4t.backtest import Strategy
    from ml4t.backtest.data.feature_provider import PrecomputedFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.engine import BacktestEngine

    class MyStrategy(Strategy):
        def on_market_data(self, event, context=None):
            # Access ML signals
            ml_score = event.signals.get('ml_pred', 0.0)
            confidence = event.signals.get('confidence', 0.0)

            # Access technical indicators
            rsi = event.signals.get('rsi_14', 50.0)
            atr = event.signals.get('atr_20', 1.0)
            assert (rsi, atr) in ((50.0, 1.0), (65.0, 2.5))

            # Access market context (if available)
            vix = context.get('vix', 15.0) if context else 15.0

            # Trading logic with regime filtering
            if ml_score > 0.7 and confidence > 0.8 and vix < 20:
                self.buy_percent(event.asset_id, 0.10, event.close)

    # AAPL's signal stamped Jan 4 is visible on the Jan 5 bar (NEXT_BAR); a newer, weak
    # one stamped Jan 5 replaces it from Jan 6, so exactly one buy happens.
    signals = pd.DataFrame({"timestamp": [day(4), day(5)], "asset_id": ["AAPL", "AAPL"],
                            "ml_pred": [0.85, 0.1], "confidence": [0.92, 0.5]})
    features = pd.DataFrame({"timestamp": [day(4), day(4)], "asset_id": ["AAPL", None],
                             "rsi_14": [65.0, None], "atr_20": [2.5, None], "vix": [None, 18.5]})
    feed = PolarsDataFeed(price_path=prices_path, signals_path=write_frame(signals, tmp_path / "signals.parquet"),
                          feature_provider=PrecomputedFeatureProvider(features))
    results = BacktestEngine(data_feed=feed, strategy=MyStrategy(), initial_capital=100000.0).run()

    # Jan 5: AAPL close = 100 + 5 + 1 = 106; qty = floor(0.10 * 100000 / 106) = 94.
    # The market order fills at the next bar's open: Jan 6 open = 106.
    fills = results.fills
    assert len(fills) == 1
    assert fills.loc[0, "asset_id"] == "AAPL"
    assert fills.loc[0, "timestamp"] == pd.Timestamp("2025-01-06")
    assert fills.loc[0, "quantity"] == 94.0
    assert fills.loc[0, "price"] == 106.0
    # Cash 100000 - 94 * 106 = 90036; Jan 11 AAPL close = 112: equity 90036 + 94 * 112.
    assert results.final_equity == pytest.approx(90036.0 + 94 * 112.0, abs=1e-9)
    assert results.equity_curve["cash"].iloc[-1] == pytest.approx(90036.0, abs=1e-9)


# --- Signal Validation ------------------------------------------------------------------
def test_signal_validation_example(tmp_path, prices_path):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.data.validation import SignalTimingMode, SignalTimingViolation

    good = pd.DataFrame({"timestamp": [day(3)], "asset_id": ["AAPL"], "ml_pred": [0.6]})
    write_frame(good, tmp_path / "signals.parquet")
    feed = PolarsDataFeed(
        price_path=Path("prices.parquet"),
        signals_path=Path("signals.parquet"),
        asset_id="AAPL",
        validate_signal_timing=True,                    # Enable validation
        signal_timing_mode=SignalTimingMode.NEXT_BAR,   # 1-bar lag
        fail_on_timing_violation=True,                  # Fail fast if violated
    )
    events = list(feed)
    assert [e.signals.get("ml_pred") for e in events[:3]] == [None, None, 0.6]  # Jan 3 stamp -> Jan 4 bar

    # A signal stamped between two bars (Jan 3 12:00) is a violation: fail fast. The check
    # runs in the feed's merge, so the error comes when the stream reaches the stamp:
    # the Jan 2 and Jan 3 bars are served, the Jan 4 bar it would attach to is not.
    bad = pd.DataFrame({"timestamp": [day(3) + pd.Timedelta(hours=12)], "asset_id": ["AAPL"], "ml_pred": [0.6]})
    write_frame(bad, tmp_path / "bad.parquet")
    feed = PolarsDataFeed(price_path=Path("prices.parquet"), signals_path=Path("bad.parquet"), asset_id="AAPL",
                          validate_signal_timing=True, signal_timing_mode=SignalTimingMode.NEXT_BAR,
                          fail_on_timing_violation=True)
    served = []
    with pytest.raises(SignalTimingViolation, match="AAPL"):
        for event in feed:
            served.append(event.timestamp.day)
    assert served == [2, 3]


# --- PrecomputedFeatureProvider ------------------------------------------------------------
def test_precomputed_feature_provider_example(tmp_path):
    write_frame(price_frame(symbols=("AAPL", "MSFT")), tmp_path / "prices.parquet")
    from ml4t.backtest.data.feature_provider import PrecomputedFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    # Per-asset features (ML predictions + indicators)   [pandas instead of polars]
    features_df = pd.DataFrame({
        "timestamp": [day(2), day(3), day(2)],
        "asset_id": ["AAPL", "AAPL", "MSFT"],
        "ml_pred": [0.85, 0.72, 0.91],
        "confidence": [0.92, 0.88, 0.95],
        "rsi_14": [65.0, 70.0, 45.0],
        "atr_20": [2.5, 2.6, 3.1],
    })
    # Market-wide context (asset_id = None for market data)
    context_df = pd.DataFrame({
        "timestamp": [day(2), day(3), day(4)],
        "asset_id": [None, None, None],  # None = market-wide
        "vix": [18.5, 19.2, 17.8],
        "spy_return": [0.005, -0.002, 0.008],
        "market_regime": [0.0, 0.0, 1.0],  # 0=trending, 1=mean-reverting
    })
    all_features = pd.concat([features_df, context_df])
    provider = PrecomputedFeatureProvider(all_features)
    assert provider.feature_names == ["atr_20", "confidence", "ml_pred", "rsi_14"]
    assert provider.market_feature_names == ["market_regime", "spy_return", "vix"]
    assert provider.get_features("MSFT", day(9)) == {"ml_pred": 0.91, "confidence": 0.95, "rsi_14": 45.0,
                                                      "atr_20": 3.1}

    feed = PolarsDataFeed(
        price_path=Path("prices.parquet"),
        asset_id="AAPL",
        feature_provider=provider,
    )
    ev = {e.timestamp.day: e for e in feed}
    assert set(ev) == set(range(2, 12)) and all(e.asset_id == "AAPL" for e in ev.values())
    assert not ev[2].signals and not ev[2].context  # nothing is visible before its next bar
    assert ev[3].signals == {"ml_pred": 0.85, "confidence": 0.92, "rsi_14": 65.0, "atr_20": 2.5}
    assert ev[3].context == {"vix": 18.5, "spy_return": 0.005, "market_regime": 0.0}
    assert ev[4].signals["ml_pred"] == 0.72 and ev[4].context["vix"] == 19.2
    assert ev[5].signals["ml_pred"] == 0.72 and ev[5].context["vix"] == 17.8   # latest value persists
    assert ev[11].context["market_regime"] == 1.0


# --- CallableFeatureProvider ------------------------------------------------------------------
class _Model:
    def predict(self, asset_id, timestamp=None):
        return timestamp.day / 100.0


my_ml_model = _Model()


def get_recent_prices(asset_id, timestamp, lookback):
    return [100.0 + i for i in range(lookback)]


def compute_rsi(prices, period):
    return 50.0 + period


def compute_atr(prices, period):
    return period / 10.0


def fetch_vix(timestamp):
    return 15.0 + timestamp.day


def compute_spy_return(timestamp):
    return timestamp.day / 1000.0


def test_callable_feature_provider_example(prices_path):
    from ml4t.backtest.data.feature_provider import CallableFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    def compute_signals(asset_id: str, timestamp: datetime) -> dict[str, float]:
        """Compute features on-the-fly."""
        # Example: Call ML model inference API
        ml_score = my_ml_model.predict(asset_id, timestamp)

        # Example: Compute technical indicators
        prices = get_recent_prices(asset_id, timestamp, lookback=20)
        rsi = compute_rsi(prices, period=14)
        atr = compute_atr(prices, period=20)

        return {
            'ml_pred': ml_score,
            'rsi_14': rsi,
            'atr_20': atr,
        }

    def compute_market_context(timestamp: datetime) -> dict[str, float]:
        """Compute market-wide features on-the-fly."""
        vix = fetch_vix(timestamp)
        spy_return = compute_spy_return(timestamp)
        return {'vix': vix, 'spy_return': spy_return}

    # Create provider
    provider = CallableFeatureProvider(
        compute_fn=compute_signals,
        compute_market_fn=compute_market_context,
    )

    # Use with PolarsDataFeed
    feed = PolarsDataFeed(
        price_path=Path("prices.parquet"),
        asset_id="AAPL",
        feature_provider=provider,
    )
    assert feed.signal_names == ["ml_pred", "rsi_14", "atr_20"]
    assert feed.context_names == ["vix", "spy_return"]
    events = list(feed)
    # NEXT_BAR: the bar of Jan d sees the values computed as of the previous bar (Jan d-1).
    for e in events[1:]:
        d = e.timestamp.day
        assert e.signals == {"ml_pred": (d - 1) / 100.0, "rsi_14": 64.0, "atr_20": 2.0}
        assert e.context == {"vix": 15.0 + d - 1, "spy_return": (d - 1) / 1000.0}
    assert not events[0].signals


# --- Configuration ------------------------------------------------------------------------
CONFIG_YAML = """
# config.yaml
data_sources:
  prices:
    path: ${DATA_PATH}/prices.parquet  # Environment variable expansion
    format: parquet
    timestamp_column: timestamp
    asset_column: asset_id

  signals:
    path: ${DATA_PATH}/ml_signals.parquet
    columns: [ml_pred, confidence]  # Optional: specify columns

  context:
    path: ${DATA_PATH}/market_context.parquet

features:
  type: precomputed
  path: ${DATA_PATH}/features.parquet
  columns: [rsi_14, atr_20, sma_50]

execution:
  initial_capital: 100000
  commission:
    type: per_share
    rate: 0.005
  slippage:
    type: percentage
    rate: 0.001

risk_rules:
  max_position_size: 0.1
  stop_loss: 0.02
  min_vix: 0.0
  max_vix: 30.0
"""


@pytest.fixture()
def config_dir(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    prices = price_frame(symbols=("AAPL", "MSFT"))
    write_frame(prices, data / "prices.parquet")
    sig = prices[["timestamp", "asset_id"]].assign(ml_pred=0.5, confidence=0.9)
    write_frame(sig, data / "ml_signals.parquet")
    feats = prices[["timestamp", "asset_id"]].assign(rsi_14=55.0, atr_20=1.5, sma_50=100.0)
    write_frame(feats, data / "features.parquet")
    ctx = pd.DataFrame({"timestamp": [day(d) for d in range(2, 12)], "vix": 18.0})
    write_frame(ctx, data / "market_context.parquet")
    (tmp_path / "config.yaml").write_text(CONFIG_YAML)
    monkeypatch.setenv("DATA_PATH", str(data))
    return data


def test_configuration_example(config_dir):
    from pathlib import Path
    from ml4t.backtest.config import BacktestConfig
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    # Load from YAML
    config = BacktestConfig.from_yaml(Path("config.yaml"))

    # Access configuration
    assert config.execution.initial_capital == 100000
    assert config.data_sources.prices.path == config_dir / "prices.parquet"
    assert config.risk_rules.max_vix == 30.0
    assert config.execution.commission.type == "per_share" and config.execution.commission.rate == 0.005
    assert config.features.columns == ["rsi_14", "atr_20", "sma_50"]

    # Create feed from config
    feed = PolarsDataFeed(
        price_path=Path(config.data_sources.prices.path),
        signals_path=Path(config.data_sources.signals.path),
        asset_id="AAPL",
    )
    events = list(feed)
    assert len(events) == 10 and events[1].signals == {"ml_pred": 0.5, "confidence": 0.9}


def test_environment_variables_example(config_dir, tmp_path):
    # export DATA_PATH=/data
    # python my_backtest.py
    import os
    import subprocess
    import sys

    (tmp_path / "my_backtest.py").write_text(
        "from pathlib import Path\n"
        "from ml4t.backtest.config import BacktestConfig\n"
        "config = BacktestConfig.from_yaml(Path('config.yaml'))\n"
        "print(config.data_sources.prices.path)\n")
    env = dict(os.environ, DATA_PATH=str(config_dir), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, "my_backtest.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(config_dir / "prices.parquet")
    env["DATA_PATH"] = str(tmp_path / "elsewhere")
    out = subprocess.run([sys.executable, "my_backtest.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1 and "ConfigError" in out.stderr and "elsewhere/prices.parquet" in out.stderr


def test_configuration_errors_list_every_problem(tmp_path, monkeypatch):
    from ml4t.backtest import ConfigError
    from ml4t.backtest.config import BacktestConfig

    monkeypatch.delenv("DATA_PATH", raising=False)
    (tmp_path / "config.yaml").write_text(CONFIG_YAML)
    with pytest.raises(ConfigError, match="DATA_PATH") as info:
        BacktestConfig.from_yaml(Path("config.yaml"))
    assert isinstance(info.value, ValueError)


# --- Workflow 1: Single-Asset ML Strategy ------------------------------------------------------------
def test_workflow_single_asset(sample, monkeypatch):
    monkeypatch.chdir(sample["files"]["prices"].parent)
    from pathlib import Path
    from ml4t.backtest import Strategy
    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.data.feature_provider import PrecomputedFeatureProvider

    # Load precomputed features   [a path: reading Parquet into pandas needs pyarrow]
    provider = PrecomputedFeatureProvider("features.parquet")

    # Create feed
    feed = PolarsDataFeed(
        price_path=Path("prices.parquet"),
        signals_path=Path("signals.parquet"),
        asset_id="AAPL",
        feature_provider=provider,
        validate_signal_timing=True,  # Prevent look-ahead bias
    )

    class Threshold(Strategy):
        def on_market_data(self, event, context=None):
            if event.signals.get("ml_pred", 0.5) > 0.6 and self.position(event.asset_id) == 0:
                self.buy_percent(event.asset_id, 0.5, event.close)
            elif event.signals.get("ml_pred", 0.5) < 0.5 and self.position(event.asset_id) > 0:
                self.close_position(event.asset_id)

    my_strategy = Threshold()

    # Use in backtest
    from ml4t.backtest.engine import BacktestEngine
    engine = BacktestEngine(
        data_feed=feed,
        strategy=my_strategy,
        initial_capital=100000.0,
    )
    results = engine.run()
    assert results.events == 60 and len(results.equity_curve) == 60
    assert set(feed.signal_names) >= {"ml_pred", "confidence"} and len(feed.signal_names) > 2
    assert len(results.trades) > 0 and set(results.trades["asset_id"]) == {"AAPL"}
    # Every fill is at a bar after the one whose signal triggered it, at that bar's open.
    assert (results.fills["timestamp"] > results.equity_curve.index[0]).all()
    eq = results.equity_curve["equity"]
    assert eq.iloc[-1] == pytest.approx(results.final_equity)
    assert results.metrics["total_return"] == pytest.approx(results.final_equity / 100000.0 - 1)


# --- Workflow 2: Multi-Asset with Market Context ------------------------------------------------------
def test_workflow_multi_asset_clock(tmp_path):
    write_frame(price_frame(symbols=("AAPL", "MSFT", "GOOGL")), tmp_path / "prices.parquet")
    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.data.feature_provider import PrecomputedFeatureProvider

    # Load market context
    context_df = pd.DataFrame({
        "timestamp": [day(2), day(3)],
        "asset_id": [None, None],  # None = market-wide
        "vix": [18.5, 19.2],
        "spy_return": [0.005, -0.002],
    })
    provider = PrecomputedFeatureProvider(context_df)

    # Create feeds for each asset
    feeds = []
    for symbol in ["AAPL", "MSFT", "GOOGL"]:
        feed = PolarsDataFeed(
            price_path=Path("prices.parquet"),
            asset_id=symbol,
            feature_provider=provider,  # Shared market context
        )
        feeds.append(feed)

    # Use with multi-feed engine
    from ml4t.backtest.core.clock import MultiSourceClock
    clock = MultiSourceClock(feeds)
    events = list(clock)
    assert len(events) == 30
    # Each timestamp holds the three assets in symbol order, as one universe feed gives
    # them, whatever the order of the feeds; the three feeds over one file are one scan.
    assert [e.asset_id for e in events[:3]] == ["AAPL", "GOOGL", "MSFT"]
    assert clock.num_sources == 3 and clock.num_scans == 1
    assert [e.timestamp.day for e in events[::3]] == list(range(2, 12))
    assert events[3].context == {"vix": 18.5, "spy_return": 0.005}
    assert events[-1].context == {"vix": 19.2, "spy_return": -0.002}


# --- Workflow 3: On-the-Fly Feature Computation -------------------------------------------------
def test_workflow_on_the_fly(prices_path):
    from ml4t.backtest.data.feature_provider import CallableFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    def compute_ml_signals(asset_id: str, timestamp: datetime) -> dict[str, float]:
        # Simulate calling ML model inference API
        prices = get_recent_prices(asset_id, timestamp, lookback=20)
        ml_score = my_ml_model.predict(prices, timestamp)
        return {'ml_pred': ml_score}

    provider = CallableFeatureProvider(compute_ml_signals)

    feed = PolarsDataFeed(
        price_path=Path("prices.parquet"),
        asset_id="AAPL",
        feature_provider=provider,  # On-the-fly computation
    )
    preds = [e.signals.get("ml_pred") for e in feed]
    assert preds == [None] + [d / 100.0 for d in range(2, 11)]
    assert feed.context_names == []


# --- Migration Guide ----------------------------------------------------------------------------
def test_migration(prices_path):
    from ml4t.backtest.data import ParquetDataFeed

    feed = ParquetDataFeed(path="prices.parquet", asset_id="AAPL")
    before = [(e.timestamp, e.close) for e in feed]

    from pathlib import Path
    from ml4t.backtest.data import PolarsDataFeed

    feed = PolarsDataFeed(price_path=Path("prices.parquet"), asset_id="AAPL")
    after = [(e.timestamp, e.close) for e in feed]
    assert before == after and len(after) == 10


# --- Optimization Strategies ------------------------------------------------------------------
def test_write_optimized_parquet_example():
    df = price_frame(symbols=("MSFT", "AAPL")).sample(frac=1.0, random_state=7)  # unsorted on purpose
    from ml4t.backtest.data.polars_feed import write_optimized_parquet

    # Write with optimizations
    summary = write_optimized_parquet(
        df,
        Path("prices.parquet"),
        compression="zstd",              # 30-50% file size reduction
        use_categorical=True,            # 10-20% memory savings (500+ symbols)
        categorical_columns=["asset_id"],
    )
    assert summary["rows"] == 20 and Path("prices.parquet").exists()
    from ml4t.backtest.data import PolarsDataFeed
    events = list(PolarsDataFeed(price_path=Path("prices.parquet")))
    # Sorted by (timestamp, asset) on the way out.
    assert [(e.timestamp.day, e.asset_id) for e in events[:4]] == [(2, "AAPL"), (2, "MSFT"), (3, "AAPL"),
                                                                    (3, "MSFT")]


def test_write_optimized_parquet_partitioned(tmp_path):
    from ml4t.backtest.data.polars_feed import write_optimized_parquet

    summary = write_optimized_parquet(price_frame(), tmp_path / "parts", partition_by="month", compression="snappy")
    assert summary["rows"] == 20 and len(summary["outputs"]) == 1
    assert "year=2025" in str(summary["outputs"][0]) and "month=1" in str(summary["outputs"][0])


# --- Troubleshooting -----------------------------------------------------------------------------
def test_memory_diagnosis(prices_path):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    tracemalloc.start()
    feed = PolarsDataFeed(price_path=prices_path)  # Memory: <1 MB (lazy)
    event = feed.get_next_event()  # collection triggered
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert event is not None and peak / 1024**2 < 50


def test_signal_timing_diagnosis(tmp_path):
    prices_df = price_frame(symbols=("AAPL",))
    signals_df = pd.DataFrame({
        "timestamp": [day(3), day(4) + pd.Timedelta(hours=12), day(5), day(5), day(20)],
        "asset_id": ["AAPL"] * 5,
        "ml_pred": [0.1, 0.2, 0.3, 0.4, 0.5],
    })
    from ml4t.backtest.data.validation import validate_signal_timing, SignalTimingMode

    is_valid, violations = validate_signal_timing(
        signals_df,
        prices_df,
        mode=SignalTimingMode.NEXT_BAR,
        fail_on_violation=False,  # Get all violations
    )
    messages = [v['message'] for v in violations]
    assert not is_valid
    kinds = sorted(v["kind"] for v in violations)
    assert kinds == ["after_last_bar", "duplicate", "not_on_bar"], messages
    off_bar = next(v for v in violations if v["kind"] == "not_on_bar")
    assert off_bar["asset_id"] == "AAPL"
    assert off_bar["signal_time"] == pd.Timestamp("2025-01-04 12:00")
    assert all(m for m in messages)

    from ml4t.backtest.data.validation import SignalTimingViolation
    with pytest.raises(SignalTimingViolation):
        validate_signal_timing(signals_df, prices_df, mode=SignalTimingMode.NEXT_BAR, fail_on_violation=True)
    # Aligned signals are valid.
    assert validate_signal_timing(signals_df.iloc[[0]], prices_df, fail_on_violation=True) == (True, [])


def test_iteration_speed_diagnosis(sample):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    feed = PolarsDataFeed(price_path=sample["files"]["prices"], signals_path=sample["files"]["signals"])
    start = time.time()
    count = 0
    while not feed.is_exhausted:
        event = feed.get_next_event()
        count += 1
    duration = time.time() - start
    assert count == sample["bars"] == 300
    assert event.timestamp == sample["last"]
    assert duration >= 0


def test_missing_context_diagnosis(prices_path):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    feed = PolarsDataFeed(price_path=prices_path)
    event = feed.get_next_event()
    assert event.context == {} and not event.context and len(event.context) == 0


# --- Best Practices / Performance Targets ---------------------------------------------------------------
def test_best_practices_small_subset(tmp_path):
    write_frame(price_frame(days=range(2, 6)), tmp_path / "prices_jan_2025.parquet")
    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.data.validation import SignalTimingMode

    test_feed = PolarsDataFeed(
        price_path=Path("prices_jan_2025.parquet"),  # Small subset
        asset_id="AAPL",
        validate_signal_timing=True,
        signal_timing_mode=SignalTimingMode.NEXT_BAR,
        fail_on_timing_violation=True,
    )
    assert [e.close for e in test_feed] == [103.0, 104.0, 105.0, 106.0]


def test_performance_measurement(sample):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    tracemalloc.start()
    feed = PolarsDataFeed(price_path=sample["files"]["prices"], signals_path=sample["files"]["signals"])
    event = feed.get_next_event()
    peak_mb = tracemalloc.get_traced_memory()[1] / 1024**2
    tracemalloc.stop()
    start = time.time()
    count = sum(1 for _ in feed)
    duration = time.time() - start
    assert count == 299 and event is not None and peak_mb < 50 and duration >= 0
