"""Data layer through Python: feed options, timing modes, providers, the clock, the
dict-like event fields, time conversion and every bad input's error message."""

from __future__ import annotations

import collections.abc
import datetime as dt

import numpy as np
import pandas as pd
import pytest

import ml4t.backtest as bt
from ml4t.backtest import _ml4t
from ml4t.backtest.data.validation import SignalTimingMode
from conftest import day, price_frame, write_frame


def closes(feed):
    return [(e.timestamp.day, e.asset_id, e.close) for e in feed]


def test_asset_filter_and_time_range(prices_path):
    feed = bt.PolarsDataFeed(price_path=prices_path, asset_id=["MSFT"], start=day(4), end="2025-01-05")
    # MSFT (base 200) close on Jan d = 201 + d.
    assert closes(feed) == [(4, "MSFT", 205.0), (5, "MSFT", 206.0)]
    assert feed.symbols == ["MSFT"] and feed.is_exhausted and feed.get_next_event() is None


def test_price_path_may_be_a_dataframe():
    feed = bt.PolarsDataFeed(price_path=price_frame(days=range(2, 4)), asset_id="AAPL")
    assert closes(feed) == [(2, "AAPL", 103.0), (3, "AAPL", 104.0)]


def test_timing_modes(tmp_path, prices_path):
    sig = write_frame(pd.DataFrame({"timestamp": [day(4)], "asset_id": ["AAPL"], "ml_pred": [0.7]}),
                      tmp_path / "s.parquet")

    def first_visible(**kw):
        feed = bt.PolarsDataFeed(price_path=prices_path, signals_path=sig, asset_id="AAPL", **kw)
        return next(e.timestamp.day for e in feed if "ml_pred" in e.signals)

    assert first_visible(signal_timing_mode=SignalTimingMode.STRICT) == 4
    assert first_visible(signal_timing_mode=SignalTimingMode.NEXT_BAR) == 5
    assert first_visible(signal_timing_mode=SignalTimingMode.CUSTOM, signal_lag=3) == 7
    assert first_visible(signal_timing_mode="strict") == 4
    with pytest.raises(bt.ConfigError, match="sideways"):
        first_visible(signal_timing_mode="sideways")


def test_feed_errors(tmp_path, prices_path):
    with pytest.raises(bt.DataError, match="nope.parquet"):
        bt.PolarsDataFeed(price_path=tmp_path / "nope.parquet")
    no_close = price_frame().drop(columns=["close"])
    with pytest.raises(bt.DataError, match="close") as info:
        bt.PolarsDataFeed(price_path=write_frame(no_close, tmp_path / "noclose.parquet"))
    assert "open" in str(info.value)  # lists the columns found
    with pytest.raises(bt.ConfigError, match="filters"):
        bt.PolarsDataFeed(price_path=prices_path, filters=["x > 1"])
    with pytest.raises(TypeError, match="FeatureProvider"):
        bt.PolarsDataFeed(price_path=prices_path, feature_provider={"ml_pred": 1.0})
    with pytest.raises(bt.ConfigError, match="bad_data"):
        bt.PolarsDataFeed(price_path=prices_path, bad_data="ignore")
    with pytest.raises(TypeError, match="price_path"):
        bt.PolarsDataFeed(price_path=None)


def test_bad_prices_are_reported_or_dropped(tmp_path):
    df = price_frame(symbols=("AAPL",), days=range(2, 5))
    df.loc[1, "close"] = -1.0
    path = write_frame(df, tmp_path / "bad.parquet")
    with pytest.raises(bt.DataError, match="AAPL"):
        list(bt.PolarsDataFeed(price_path=path))
    feed = bt.PolarsDataFeed(price_path=path, bad_data="drop")
    assert [e.timestamp.day for e in feed] == [2, 4] and feed.dropped_rows == 1


def test_mixed_naive_and_zoned_text_timestamps(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("timestamp,asset_id,open,high,low,close\n"
                    "2024-01-02 10:00:00,A,1,1,1,1\n"
                    "2024-01-02 05:01:00-05:00,A,2,2,2,2\n")
    with pytest.raises(bt.DataError, match="mixes timestamps with a time zone"):
        list(bt.PolarsDataFeed(price_path=str(path)))
    feed = bt.PolarsDataFeed(price_path=str(path), mixed_time_zones="naive_is_utc")
    assert [(e.timestamp.hour, e.timestamp.minute) for e in feed] == [(10, 0), (10, 1)]
    with pytest.raises(bt.ConfigError, match="mixed_time_zones"):
        bt.PolarsDataFeed(price_path=str(path), mixed_time_zones="local")


def test_precomputed_provider_from_file(sample):
    provider = bt.PrecomputedFeatureProvider(sample["files"]["features"])
    feed = bt.PolarsDataFeed(price_path=sample["files"]["prices"], feature_provider=provider)
    assert feed.signal_names == provider.feature_names and len(feed.signal_names) > 0
    events = list(feed)
    assert len(events) == 300 and all(e.signals for e in events[-50:])  # rsi/atr warm up first
    # Streamed from the file, the values equal the provider's own as-of lookup at the
    # previous bar (NEXT_BAR): the last bar is Mon 2024-03-25, the one before Fri 03-22.
    last = events[-1]
    assert last.timestamp == pd.Timestamp("2024-03-25", tz="UTC")
    assert dict(last.signals) == provider.get_features(last.asset_id, "2024-03-22")


def test_precomputed_provider_errors():
    with pytest.raises(bt.ConfigError, match="asset_id"):
        bt.PrecomputedFeatureProvider(pd.DataFrame({"timestamp": [day(2)], "x": [1.0]}))
    with pytest.raises(bt.DataError, match="'label' is not numeric"):
        bt.PrecomputedFeatureProvider(pd.DataFrame({"timestamp": [day(2)], "asset_id": ["A"], "label": ["up"]}))
    with pytest.raises(bt.ConfigError, match="market_columns"):
        bt.PrecomputedFeatureProvider(pd.DataFrame({"timestamp": [day(2)], "asset_id": ["A"], "x": [1.0]}),
                                      market_columns=["vix"])
    with pytest.raises(TypeError, match="DataFrame or a path"):
        bt.PrecomputedFeatureProvider(42)
    explicit = bt.PrecomputedFeatureProvider(
        pd.DataFrame({"timestamp": [day(2), day(2)], "asset_id": ["A", None], "x": [1.0, 2.0]}), market_columns=["x"])
    assert explicit.feature_names == [] and explicit.market_feature_names == ["x"]
    assert explicit.get_market_features(day(3)) == {"x": 2.0}


def test_callable_provider_cache_and_errors(prices_path):
    calls = []

    def fn(asset_id, timestamp):
        calls.append((asset_id, timestamp))
        # Naive like the file's timestamps (a zoned file gives UTC ones).
        assert isinstance(timestamp, dt.datetime) and timestamp.tzinfo is None
        return {"score": 1.0}

    provider = bt.CallableFeatureProvider(fn, feature_names=["score"], cache=True)
    feed = bt.PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=provider)
    assert [e.signals.get("score") for e in feed] == [None] + [1.0] * 9
    assert provider.calls == 9 and len(calls) == 9

    def not_a_dict(asset_id, timestamp):
        return 3.0

    feed = bt.PolarsDataFeed(price_path=prices_path, feature_provider=bt.CallableFeatureProvider(
        not_a_dict, feature_names=["x"]))
    with pytest.raises(bt.DataError, match="compute_fn 'not_a_dict' must return a dict"):
        list(feed)

    def raises(asset_id, timestamp):
        raise RuntimeError("model server down")

    feed = bt.PolarsDataFeed(price_path=prices_path, feature_provider=bt.CallableFeatureProvider(
        raises, feature_names=["x"]))
    with pytest.raises(RuntimeError, match="model server down"):
        list(feed)
    with pytest.raises(TypeError, match="callable"):
        bt.CallableFeatureProvider(42)


def test_custom_feature_provider_subclass(prices_path):
    class Constant(bt.FeatureProvider):
        def get_features(self, asset_id, timestamp):
            return {"k": 2.0 if asset_id == "MSFT" else 1.0}

        def get_market_features(self, timestamp):
            return {"regime": 0.0}

    feed = bt.PolarsDataFeed(price_path=prices_path, feature_provider=Constant())
    events = list(feed)
    assert feed.signal_names == ["k"] and feed.context_names == ["regime"]
    assert [e.signals.get("k") for e in events[2:4]] == [1.0, 2.0] and events[3].context == {"regime": 0.0}
    with pytest.raises(TypeError):
        bt.FeatureProvider()


def test_multi_source_clock_priorities_and_errors(tmp_path):
    a = write_frame(price_frame(symbols=("AAPL",), days=range(2, 4)), tmp_path / "a.parquet")
    b = write_frame(price_frame(symbols=("MSFT",), days=range(2, 4)), tmp_path / "b.parquet")
    clock = bt.MultiSourceClock([bt.PolarsDataFeed(price_path=a), bt.PolarsDataFeed(price_path=b)],
                                priorities=[1, 0])
    assert clock.num_sources == 2
    assert [(e.timestamp.day, e.asset_id) for e in clock] == [(2, "MSFT"), (2, "AAPL"), (3, "MSFT"), (3, "AAPL")]
    with pytest.raises(bt.ConfigError, match="priorities"):
        bt.MultiSourceClock([bt.PolarsDataFeed(price_path=a)], priorities=[1, 2])
    with pytest.raises(bt.ConfigError, match="not a DataFeed"):
        bt.MultiSourceClock(["a.parquet"])


def test_next_group_cross_section(prices_path):
    feed = bt.PolarsDataFeed(price_path=prices_path)
    cs = feed.next_group()
    assert cs.timestamp == pd.Timestamp("2025-01-02") and cs.symbols == ["AAPL", "MSFT"]
    np.testing.assert_array_equal(cs.high, [104.0, 204.0])
    assert repr(cs) == "CrossSection(timestamp=2025-01-02T00:00:00Z, assets=2)"
    groups = 1
    while feed.next_group() is not None:
        groups += 1
    assert groups == 10


def test_field_map_is_a_read_only_mapping(tmp_path, prices_path):
    sig = pd.DataFrame({"timestamp": [day(2)] * 2, "asset_id": ["AAPL", "MSFT"], "ml_pred": [0.8, 0.2],
                        "confidence": [0.9, np.nan]})
    feed = bt.PolarsDataFeed(price_path=prices_path, signals_path=write_frame(sig, tmp_path / "s.parquet"))
    events = list(feed)
    aapl, msft = events[2], events[3]
    s = aapl.signals
    assert isinstance(s, collections.abc.Mapping)
    assert s["ml_pred"] == 0.8 and s.get("ml_pred") == 0.8 and s.get("nope", 1.5) == 1.5 and s.get("nope") is None
    assert "ml_pred" in s and "nope" not in s and 3 not in s
    assert list(s) == ["ml_pred", "confidence"] and len(s) == 2
    assert s.keys() == ["ml_pred", "confidence"] and s.values() == [0.8, 0.9]
    assert s.items() == [("ml_pred", 0.8), ("confidence", 0.9)] and dict(s) == {"ml_pred": 0.8, "confidence": 0.9}
    assert s == {"ml_pred": 0.8, "confidence": 0.9} and s.to_dict() == dict(s)
    # A missing value (NaN) is absent.
    assert "confidence" not in msft.signals and msft.signals.get("confidence", -1.0) == -1.0
    assert msft.signals.names == ["ml_pred", "confidence"]
    with pytest.raises(KeyError):
        msft.signals["confidence"]
    with pytest.raises((TypeError, AttributeError)):
        s["ml_pred"] = 1.0
    # Events are copies: they stay valid after the feed moved on.
    assert events[0].close == 103.0 and events[0].to_dict()["asset_id"] == "AAPL"
    assert "MarketEvent(timestamp=2025-01-02T00:00:00Z, asset_id='AAPL'" in repr(events[0])


def test_in_memory_feed():
    feed = bt.InMemoryDataFeed.from_arrays(
        np.array([2, 1, 1], dtype=np.int64), ["A", "B", "A"],
        np.array([[1, 2, 0.5, 1.5, 10], [3, 4, 2.5, 3.5, 20], [5, 6, 4.5, 5.5, 30]], dtype=float),
        ["s"], np.array([[0.1], [0.2], [0.3]]), ["vix"], np.array([1], dtype=np.int64), np.array([[17.0]]))
    got = [(e.timestamp_ns, e.asset_id, e.close, e.signals.get("s"), e.context.get("vix")) for e in feed]
    assert got == [(1, "A", 5.5, 0.3, 17.0), (1, "B", 3.5, 0.2, 17.0), (2, "A", 1.5, 0.1, None)]
    with pytest.raises(bt.ConfigError, match="matching lengths"):
        bt.InMemoryDataFeed.from_arrays(np.array([1]), ["A", "B"], np.zeros((1, 5)), [], np.zeros((1, 0)), [],
                                        np.array([], dtype=np.int64), np.zeros((0, 0)))


def test_time_conversion():
    ns = 1_736_899_800_000_000_000  # 2025-01-15T00:10:00Z
    assert _ml4t.to_timestamp_ns(ns) == ns
    assert _ml4t.to_timestamp_ns("2025-01-15T00:10:00Z") == ns
    assert _ml4t.to_timestamp_ns(dt.datetime(2025, 1, 15, 0, 10)) == ns  # naive = UTC
    assert _ml4t.to_timestamp_ns(pd.Timestamp("2025-01-15 01:10", tz="Europe/Paris")) == ns
    assert _ml4t.to_timestamp_ns(np.datetime64("2025-01-15T00:10:00")) == ns
    with pytest.raises(bt.DataError, match="2025-13-45"):
        _ml4t.to_timestamp_ns("2025-13-45")
    with pytest.raises(bt.ConfigError, match="None"):
        _ml4t.to_timestamp_ns(None)
    with pytest.raises(bt.ConfigError, match="as a timestamp"):
        _ml4t.to_timestamp_ns(object())


def test_generate_sample_data_is_deterministic(tmp_path):
    a = bt.generate_sample_data(tmp_path / "a", symbols=2, days=5, seed=7)
    b = bt.generate_sample_data(tmp_path / "b", symbols=2, days=5, seed=7)
    assert a["bars"] == 10 and a["symbols"] == b["symbols"]
    for name in ("prices", "signals", "features", "context"):
        assert a["files"][name].read_bytes() == b["files"][name].read_bytes()
    with pytest.raises(bt.ConfigError, match="2min"):
        bt.generate_sample_data(tmp_path / "c", frequency="2min")


def test_exception_hierarchy():
    assert issubclass(bt.SignalTimingViolation, bt.DataError)
    assert issubclass(bt.DataError, bt.ML4TError) and issubclass(bt.DataError, ValueError)
    assert issubclass(bt.ConfigError, ValueError) and issubclass(bt.Interrupted, bt.ML4TError)
    from ml4t.backtest.data.validation import SignalTimingViolation
    from ml4t.backtest.core import SignalTimingViolation as core_stv
    assert SignalTimingViolation is bt.SignalTimingViolation is core_stv


def test_help_is_useful():
    for obj, words in [(bt.Strategy, "on_market_data"), (bt.PolarsDataFeed, "signals_path"),
                       (bt.BacktestEngine, "initial_capital"), (bt.Results, "equity_curve"),
                       (bt.PrecomputedFeatureProvider, "market-wide"), (bt.CallableFeatureProvider, "compute_fn"),
                       (bt.BacktestConfig, "from_yaml"), (bt.MarketEvent, "signals"), (bt.FieldMap, "KeyError"),
                       (bt.MultiSourceClock, "priority")]:
        import pydoc
        text = pydoc.render_doc(obj, renderer=pydoc.plaintext)
        assert words in text, (obj, words)


def test_polars_dataframe_when_installed(prices_path):
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")  # polars -> pandas conversion
    features = pl.DataFrame({"timestamp": [day(2)], "asset_id": ["AAPL"], "ml_pred": [0.85]})
    provider = bt.PrecomputedFeatureProvider(features)
    feed = bt.PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=provider)
    assert [e.signals.get("ml_pred") for e in feed][:3] == [None, 0.85, 0.85]
