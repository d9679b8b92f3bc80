"""Hostile use from Python: objects shared between engines or threads, feeds reused after
their end, amounts beyond what the engine keeps to the cent, asset ids that do not fit,
and messages that name Python's own arguments. Each must raise a clear error, never
crash the interpreter or run silently wrong."""

from __future__ import annotations

import threading

import pytest

import ml4t.backtest as bt
from ml4t.backtest import _ml4t
from conftest import price_frame, write_frame


def feed_of(path, **kw):
    kw.setdefault("validate_signal_timing", False)
    return bt.PolarsDataFeed(price_path=path, **kw)


class Quiet(bt.Strategy):
    def on_market_data(self, event, context=None):
        pass


def test_feed_shared_by_engines_in_two_threads_is_refused(prices_path):
    # Engine A (in a worker thread) stops inside its first progress call until the main
    # thread has tried engine B on the same feed; B must be refused, A must still finish.
    feed = feed_of(prices_path)
    started, release = threading.Event(), threading.Event()

    def hold(events, now):
        started.set()
        release.wait(10)

    box = []
    a = bt.BacktestEngine(data_feed=feed, strategy=Quiet(), progress=hold, progress_every=1)
    worker = threading.Thread(target=lambda: box.append(a.run()))
    worker.start()
    assert started.wait(10)
    try:
        with pytest.raises(bt.ConfigError, match=r"^this feed is already in use by a running BacktestEngine .*give "
                                                 r"each engine \(and each thread\) its own feed$"):
            bt.BacktestEngine(data_feed=feed, strategy=Quiet()).run()
        with pytest.raises(bt.ConfigError, match="this feed is already in use"):
            next(iter(feed))
    finally:
        release.set()
        worker.join()
    assert box[0].events == 20  # 2 assets x 10 days, untouched by the refused engine


def test_strategy_shared_by_two_engines_is_refused(tmp_path):
    # Our own case: two different feeds, one Strategy instance; the second engine starts
    # from inside the first one's callback.
    first = feed_of(write_frame(price_frame(), tmp_path / "a.parquet"))
    second = feed_of(write_frame(price_frame(symbols=("XOM",)), tmp_path / "b.parquet"))
    errors = []

    class Nested(bt.Strategy):
        def on_market_data(self, event, context=None):
            if not errors:
                try:
                    bt.BacktestEngine(data_feed=second, strategy=self).run()
                except bt.ConfigError as e:
                    errors.append(str(e))

    results = bt.BacktestEngine(data_feed=first, strategy=Nested()).run()
    assert results.events == 20
    assert errors == ["this Strategy instance is already in use by a running BacktestEngine (another thread, or a "
                      "callback of that run); feeds and strategies serve one user at a time: give each engine its "
                      "own Strategy instance"]


def test_exhausted_feed_is_refused(prices_path):
    feed = feed_of(prices_path)
    assert sum(1 for _ in feed) == 20
    with pytest.raises(bt.ConfigError, match=r"^the feed has no events left: it was read to the end"):
        bt.BacktestEngine(data_feed=feed, strategy=Quiet()).run()


@pytest.mark.parametrize("kwargs, message", [
    ({"initial_capital": 1e18}, "execution.initial_capital: 1e+18 is out of range; use at most 1e+13"),
    # Our own case: a fixed commission minimum beyond the cap.
    ({"commission": {"type": "fixed", "rate": 1.0, "minimum": 5e13}},
     "execution.commission.minimum: 50000000000000 is out of range; use at most 1e+13"),
])
def test_amounts_beyond_the_cent_are_refused(prices_path, kwargs, message):
    with pytest.raises(bt.ConfigError, match=r"^" + message.replace("+", r"\+").replace("(", r"\(")):
        bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Quiet(), **kwargs).run()


@pytest.mark.parametrize("asset", [2**40, -1])
def test_out_of_range_asset_id_names_the_argument(prices_path, asset):
    errors = []

    class Orders(bt.Strategy):
        def on_market_data(self, event, context=None):
            if not errors:
                try:
                    self.order(asset, 10)
                except bt.ConfigError as e:
                    errors.append(str(e))

    bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Orders()).run()
    assert errors == [f"asset id {asset} is out of range: the feed has 2 asset(s) so far, numbered from 0; pass the "
                      "symbol (str) or an id below that"]


def test_non_empty_output_names_the_python_argument(prices_path, tmp_path):
    results = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Quiet()).run()
    out = tmp_path / "out"
    results.to_parquet(out)
    with pytest.raises(bt.OutputError, match=r"is not empty; pass overwrite=True to replace earlier results"):
        results.to_parquet(out)
    results.to_parquet(out, overwrite=True)


@pytest.mark.parametrize("call", ["order", "order_target_percent"])
def test_order_for_unknown_symbol_is_rejected_naming_it(prices_path, call):
    # The case is order(); ours is order_target_percent() with another symbol.
    symbol = "AAPl" if call == "order" else "GOOG"

    class Typo(bt.Strategy):
        def on_market_data(self, event, context=None):
            if event.timestamp.day == 2 and event.asset_id == "AAPL":
                getattr(self, call)(symbol, 10 if call == "order" else 0.5)

    results = bt.BacktestEngine(data_feed=feed_of(prices_path), strategy=Typo()).run()
    orders = results.orders
    assert len(orders) == 1
    assert orders["status"].iloc[0] == "rejected"
    assert orders["reason"].iloc[0] == (f'unknown symbol "{symbol}": the feed has no asset of that name (2 assets so '
                                        f'far); check the spelling and the universe filter')
    assert "4294967295" not in str(orders.iloc[0].to_dict())


def test_day_month_ambiguous_csv_needs_timestamp_format(tmp_path):
    # Through DataSource: refused without a format; with "%d/%m/%Y" the first bar is
    # 1 December 2021, not 12 January. Our own case uses three bars of one asset.
    path = tmp_path / "dm.csv"
    path.write_text("timestamp,asset_id,open,high,low,close,volume\n"
                    "01/12/2021,AAA,10,11,9,10.5,100\n02/12/2021,AAA,10,11,9,10.6,100\n"
                    "03/12/2021,AAA,10,11,9,10.7,100\n")
    with pytest.raises(bt.DataError, match=r'holds dates like "01/12/2021", which read both day-first'):
        list(bt.ColumnarDataFeed(_ml4t.DataSource([str(path)])))
    source = _ml4t.DataSource([str(path)], timestamp_format="%d/%m/%Y")
    assert source.timestamp_format == "%d/%m/%Y"
    events = list(bt.ColumnarDataFeed(source))
    assert [(e.timestamp.year, e.timestamp.month, e.timestamp.day) for e in events] == [
        (2021, 12, 1), (2021, 12, 2), (2021, 12, 3)]
