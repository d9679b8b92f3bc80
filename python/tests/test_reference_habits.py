"""What code written the way the reference shows it relies on: times handed back as the
user gave them (naive or zoned), feature names that never drop a value silently, a
feature file's market rows, MultiSourceClock results that do not depend on the order
of the feeds, and the reference's import paths and habits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

import ml4t.backtest as bt
from conftest import day, price_frame, write_frame


def _zoned(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["timestamp"] = pd.to_datetime(out["timestamp"]).dt.tz_localize("UTC")
    return out


# --- 1. time as the user gave it -----------------------------------------------------
def test_naive_prices_give_naive_times_everywhere(tmp_path, prices_path):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    feed = PolarsDataFeed(price_path=prices_path, asset_id="AAPL")
    assert feed.naive_timestamps is True
    first = feed.get_next_event()
    assert first.timestamp == pd.Timestamp("2025-01-02") and first.timestamp.tzinfo is None
    assert first.timestamp == datetime(2025, 1, 2)  # a naive datetime compares equal
    assert first.to_dict()["timestamp"].tzinfo is None
    cs = PolarsDataFeed(price_path=prices_path).next_group()
    assert cs.timestamp == pd.Timestamp("2025-01-02") and cs.timestamp.tzinfo is None


def test_zoned_prices_give_utc_times(tmp_path):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    zoned = _zoned(price_frame(symbols=("AAPL",)))
    path = write_frame(zoned, tmp_path / "zoned.parquet")
    for source in (path, zoned):  # a file, and a DataFrame passed directly
        feed = PolarsDataFeed(price_path=source)
        assert feed.naive_timestamps is False
        assert feed.get_next_event().timestamp == pd.Timestamp("2025-01-02", tz="UTC")
    # A naive DataFrame passed directly stays naive.
    feed = PolarsDataFeed(price_path=price_frame(symbols=("AAPL",)))
    assert feed.get_next_event().timestamp == pd.Timestamp("2025-01-02")


def test_feature_provider_subclass_with_a_dict_keyed_by_naive_datetimes(prices_path):
    from ml4t.backtest.data.feature_provider import FeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    class DictProvider(FeatureProvider):
        feature_names = ["ml_pred"]
        market_feature_names = ["vix"]

        def __init__(self):
            self.preds = {(a, datetime(2025, 1, d)): d / 100 for a in ("AAPL", "MSFT") for d in range(2, 12)}
            self.vix = {datetime(2025, 1, d): 10.0 + d for d in range(2, 12)}

        def get_features(self, asset_id, timestamp):
            return {"ml_pred": self.preds.get((asset_id, timestamp))}

        def get_market_features(self, timestamp):
            return {"vix": self.vix.get(timestamp)}

    events = list(PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=DictProvider()))
    # NEXT_BAR: the bar of Jan d sees what the provider gave for Jan d-1.
    assert [e.signals.get("ml_pred") for e in events] == [None] + [d / 100 for d in range(2, 11)]
    assert [e.context.get("vix") for e in events] == [None] + [10.0 + d for d in range(2, 11)]


def test_callable_provider_filtering_a_naive_price_table(prices_path):
    from ml4t.backtest.data.feature_provider import CallableFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    table = price_frame()  # naive timestamps, like the reference's data

    def get_recent_prices(asset_id, timestamp, lookback):
        rows = table[(table.asset_id == asset_id) & (table.timestamp <= timestamp)]
        return rows.close.tail(lookback).tolist()

    def compute_signals(asset_id, timestamp):
        prices = get_recent_prices(asset_id, timestamp, lookback=3)
        return {"mean3": sum(prices) / len(prices)}

    provider = CallableFeatureProvider(compute_signals)
    events = list(PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=provider))
    # AAPL closes are 101 + d; as of Jan d-1 the mean of the last three (d >= 5) is 101 + d - 2.
    assert events[5].timestamp == datetime(2025, 1, 7)
    assert events[5].signals["mean3"] == pytest.approx(101 + 7 - 2)
    assert events[1].signals["mean3"] == 103.0  # only Jan 2's close (103) so far


def test_results_hooks_and_violations_follow_the_time_style(tmp_path, prices_path):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.data.validation import SignalTimingMode, validate_signal_timing

    seen = {}

    class Once(bt.Strategy):
        def on_market_data(self, event, context=None):
            seen.setdefault("now", self.now())
            if self.position("AAPL") == 0 and event.asset_id == "AAPL":
                self.order("AAPL", 1)

        def on_fill(self, fill):
            seen.setdefault("fill", fill["timestamp"])

    for frame, tz in ((price_frame(), None), (_zoned(price_frame()), "UTC")):
        seen.clear()
        path = write_frame(frame, tmp_path / f"p_{tz}.parquet")
        results = bt.BacktestEngine(PolarsDataFeed(price_path=path), Once()).run()
        assert results.naive_timestamps is (tz is None)
        assert results.fills.loc[0, "timestamp"] == pd.Timestamp("2025-01-03", tz=tz)
        assert results.equity_curve.index[0] == pd.Timestamp("2025-01-02", tz=tz)
        assert seen == {"now": pd.Timestamp("2025-01-02", tz=tz), "fill": pd.Timestamp("2025-01-03", tz=tz)}

    signals = pd.DataFrame({"timestamp": [day(3) + pd.Timedelta(hours=12)], "asset_id": ["AAPL"], "x": [1.0]})
    _, violations = validate_signal_timing(signals, price_frame(), mode=SignalTimingMode.NEXT_BAR,
                                           fail_on_violation=False)
    assert violations[0]["signal_time"] == pd.Timestamp("2025-01-03 12:00")


# --- 2. feature names never drop a value silently ------------------------------------------
def test_a_name_outside_the_discovered_ones_is_an_error_naming_it(prices_path):
    from ml4t.backtest.data.feature_provider import CallableFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    def warming_up(asset_id, timestamp):
        return {} if timestamp.day < 5 else {"ml_pred": 0.5}

    # Nothing on the first bar: no names to learn, so the feed refuses at once.
    with pytest.raises(bt.DataError, match=r"warming_up'? returned no values for the feed's first bar \(AAPL at "
                                           r"2025-01-02 00:00:00\).*feature_names=\[\.\.\.\]"):
        PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=CallableFeatureProvider(warming_up))

    def growing(asset_id, timestamp):
        return {"ml_pred": 0.5} if timestamp.day < 5 else {"ml_pred": 0.5, "rsi": 40.0}

    feed = PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=CallableFeatureProvider(growing))
    assert feed.signal_names == ["ml_pred"]
    served = []
    with pytest.raises(bt.DataError, match=r"growing'? returned \['rsi'\] for AAPL at 2025-01-05T00:00:00Z, not among "
                                           r"the names the feed was built with \['ml_pred'\].*feature_names=\["):
        for e in feed:
            served.append(e.timestamp.day)
    assert served == [2, 3, 4, 5]  # the bar of Jan 6 would have used the Jan 5 values


def test_declared_names_let_a_provider_warm_up(prices_path):
    from ml4t.backtest.data.feature_provider import CallableFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    def warming_up(asset_id, timestamp):
        return {} if timestamp.day < 5 else {"ml_pred": timestamp.day / 10}

    def market(timestamp):
        return {"vix": 20.0} if timestamp.day >= 4 else {}

    provider = CallableFeatureProvider(warming_up, market, feature_names=["ml_pred"], market_feature_names=["vix"])
    events = list(PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=provider))
    assert [e.signals.get("ml_pred") for e in events] == [None] * 4 + [d / 10 for d in range(5, 11)]
    assert [e.context.get("vix") for e in events] == [None] * 3 + [20.0] * 7

    # A declared list that misses a returned name is the same clear error.
    provider = CallableFeatureProvider(lambda a, t: {"ml_pred": 1.0, "rsi": 2.0}, feature_names=["ml_pred"])
    with pytest.raises(bt.DataError, match=r"returned \['rsi'\]"):
        list(PolarsDataFeed(price_path=prices_path, feature_provider=provider))


def test_subclass_market_names_outside_the_declared_ones(prices_path):
    from ml4t.backtest.data.feature_provider import FeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    class Extra(FeatureProvider):
        feature_names: list = []
        market_feature_names = ["vix"]

        def get_features(self, asset_id, timestamp):
            return {}

        def get_market_features(self, timestamp):
            return {"vix": 1.0, "spy": 2.0}

    with pytest.raises(bt.DataError, match=r"Extra.get_market_features returned \['spy'\] at 2025-01-02.*"
                                           r"market_feature_names="):
        list(PolarsDataFeed(price_path=prices_path, feature_provider=Extra()))


def test_feature_file_by_path_keeps_its_market_rows(tmp_path, prices_path):
    from ml4t.backtest.data.feature_provider import PrecomputedFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    features = pd.DataFrame({"timestamp": [day(2), day(2), day(3), day(3)],
                             "asset_id": ["AAPL", None, "AAPL", None],
                             "rsi_14": [60.0, None, 61.0, None], "vix": [None, 18.0, None, 19.0]})
    path = write_frame(features, tmp_path / "features.parquet")
    provider = PrecomputedFeatureProvider(path)
    assert provider.feature_names == ["rsi_14"] and provider.market_feature_names == ["vix"]
    assert provider.get_market_features(day(9)) == {"vix": 19.0}
    events = list(PolarsDataFeed(price_path=prices_path, asset_id="AAPL", feature_provider=provider))
    assert [e.context.get("vix") for e in events[:4]] == [None, 18.0, 19.0, 19.0]
    assert [e.signals.get("rsi_14") for e in events[:4]] == [None, 60.0, 61.0, 61.0]

    # A column with values on both kinds of rows is ambiguous: a clear error, for a
    # file and for a DataFrame alike.
    both = features.assign(vix=[1.0, 18.0, 1.0, 19.0])
    with pytest.raises(bt.DataError, match=r"column \"vix\".*market_columns"):
        PrecomputedFeatureProvider(write_frame(both, tmp_path / "both.parquet"))
    with pytest.raises(bt.DataError, match=r"\['vix'\].*market_columns"):
        PrecomputedFeatureProvider(both)
    assert PrecomputedFeatureProvider(both, market_columns=["vix"]).market_feature_names == ["vix"]


# --- 3. MultiSourceClock: one scan, order-independent context ------------------------------------
def _gappy_prices() -> pd.DataFrame:
    # MSFT starts on Jan 4, GOOGL misses Jan 6: per-asset timelines differ from the market's.
    df = price_frame(symbols=("AAPL", "MSFT", "GOOGL"))
    keep = ~(((df.asset_id == "MSFT") & (df.timestamp < day(4))) | ((df.asset_id == "GOOGL") & (df.timestamp == day(6))))
    return df[keep].reset_index(drop=True)


def _clock_run(path, symbols, provider):
    from ml4t.backtest.core.clock import MultiSourceClock
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    feeds = [PolarsDataFeed(price_path=path, asset_id=s, feature_provider=provider) for s in symbols]
    clock = MultiSourceClock(feeds)
    return clock, list(clock)


def test_per_asset_feeds_share_one_scan_and_the_market_context(tmp_path):
    from ml4t.backtest.data.feature_provider import PrecomputedFeatureProvider
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    path = write_frame(_gappy_prices(), tmp_path / "prices.parquet")
    context = pd.DataFrame({"timestamp": [day(d) for d in range(2, 12)], "asset_id": [None] * 10,
                            "vix": [10.0 + d for d in range(2, 12)]})
    provider = PrecomputedFeatureProvider(context)
    universe = [(e.timestamp.day, e.asset_id, e.close, e.context.get("vix"))
                for e in PolarsDataFeed(price_path=path, feature_provider=provider)]
    # NEXT_BAR on the market's timeline: Jan d sees vix of Jan d-1, MSFT's first bar too.
    assert (4, "MSFT", 205.0, 13.0) in universe
    for order in (["AAPL", "MSFT", "GOOGL"], ["GOOGL", "MSFT", "AAPL"]):
        clock, events = _clock_run(path, order, provider)
        assert [(e.timestamp.day, e.asset_id, e.close, e.context.get("vix")) for e in events] == universe
        assert clock.num_sources == 3 and clock.num_scans == 1


def test_backtest_over_the_clock_does_not_depend_on_the_feed_order(tmp_path):
    from ml4t.backtest.data.feature_provider import PrecomputedFeatureProvider

    path = write_frame(_gappy_prices(), tmp_path / "prices.parquet")
    context = pd.DataFrame({"timestamp": [day(d) for d in range(2, 12)], "asset_id": [None] * 10,
                            "vix": [15.0, 25.0] * 5})
    provider = PrecomputedFeatureProvider(context)

    class Regime(bt.Strategy):
        def on_market_data(self, event, context=None):
            vix = context.get("vix", 15.0) if context else 15.0
            if vix < 20 and self.position(event.asset_id) == 0:
                self.buy_percent(event.asset_id, 0.5, event.close)  # cash runs out: order matters
            elif vix >= 20 and self.position(event.asset_id) > 0:
                self.close_position(event.asset_id)

    from ml4t.backtest.core.clock import MultiSourceClock
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    finals = set()
    for order in (["AAPL", "MSFT", "GOOGL"], ["MSFT", "GOOGL", "AAPL"], ["GOOGL", "AAPL", "MSFT"]):
        feeds = [PolarsDataFeed(price_path=path, asset_id=s, feature_provider=provider) for s in order]
        results = bt.BacktestEngine(MultiSourceClock(feeds), Regime()).run()
        finals.add((results.final_equity, len(results.fills)))
    assert len(finals) == 1 and next(iter(finals))[1] > 0


# --- 5. import paths and habits ----------------------------------------------------------------
def test_strategy_base_path_and_no_super_init(prices_path):
    from ml4t.backtest.strategy.base import Strategy
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    assert Strategy is bt.Strategy

    class NoSuper(Strategy):
        def __init__(self, threshold):
            self.threshold = threshold  # no super().__init__(), as in many reference examples
            self.count = 0

        def on_market_data(self, event, context=None):
            self.count += 1
            if event.close > self.threshold and self.position(event.asset_id) == 0:
                self.order(event.asset_id, 10)

    class WithSuper(NoSuper):
        def __init__(self):
            super().__init__(threshold=110.0)

    for strategy in (NoSuper(110.0), WithSuper()):
        results = bt.BacktestEngine(PolarsDataFeed(price_path=prices_path, asset_id="AAPL"), strategy).run()
        # AAPL closes 101 + d: first above 110 on Jan 10 (111), filled at Jan 11's open (111).
        assert strategy.count == 10
        assert results.fills["price"].tolist() == [111.0]


def test_signals_and_context_print_like_dicts_and_volume_is_an_int(tmp_path, prices_path):
    from ml4t.backtest.data.polars_feed import PolarsDataFeed

    signals = pd.DataFrame({"timestamp": [day(2)], "asset_id": ["AAPL"], "ml_pred": [0.85]})
    feed = PolarsDataFeed(price_path=prices_path, signals_path=write_frame(signals, tmp_path / "s.parquet"),
                          asset_id="AAPL", context_path=pd.DataFrame({"timestamp": [day(2)], "vix": [18.5]}))
    events = list(feed)
    assert repr(events[1].signals) == "{'ml_pred': 0.85}" and repr(events[1].context) == "{'vix': 18.5}"
    assert str(events[0].signals) == "{}"
    # price_frame's volume is a float column: floats.
    assert isinstance(events[0].volume, float)

    ints = price_frame(symbols=("AAPL",)).assign(volume=lambda d: (d.volume).astype("int64"))
    event = PolarsDataFeed(price_path=write_frame(ints, tmp_path / "int.parquet")).get_next_event()
    assert event.volume == 1_000_002 and type(event.volume) is int
    assert type(event.to_dict()["volume"]) is int
    assert type(bt.MarketEvent(datetime(2025, 1, 2), "X", 1, 1, 1, 1, 5).volume) is int
