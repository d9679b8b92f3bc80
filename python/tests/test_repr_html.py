"""Results._repr_html_: what Jupyter shows inline (headline metrics and the equity curve)."""
from __future__ import annotations

import ml4t.backtest as bt
from ml4t.backtest.results import _equity_svg_points


def test_equity_points_by_hand():
    # 3 values into 480 x 120: x at 0, 240, 480; y from the top (110 is the highest).
    assert _equity_svg_points([100, 110, 105]) == "0.0,120.0 240.0,0.0 480.0,60.0"
    # 11 values, at most 4 points: every 3rd (0, 3, 6, 9) and the last one kept.
    assert _equity_svg_points(list(range(11)), max_points=4) == "0.0,120.0 144.0,84.0 288.0,48.0 432.0,12.0 480.0,0.0"
    # 10 values: the last one is already a 3rd.
    assert _equity_svg_points(list(range(10)), max_points=4) == "0.0,120.0 160.0,80.0 320.0,40.0 480.0,0.0"
    assert _equity_svg_points([]) == ""
    assert _equity_svg_points([5.0]) == "0.0,120.0"  # flat: drawn at the bottom


class BuyOnce(bt.Strategy):
    def on_market_data(self, event, context=None):
        if event.asset_id == "AAPL" and self.position("AAPL") == 0:
            self.order("AAPL", 10)


def test_repr_html_of_a_run(prices_path):
    feed = bt.PolarsDataFeed(price_path=prices_path, validate_signal_timing=False)
    results = bt.BacktestEngine(data_feed=feed, strategy=BuyOnce()).run()
    page = results._repr_html_()
    assert f"<b>Final equity</b><br>{results.final_equity:,.2f}" in page
    assert f"<b>Trades</b><br>{results.metrics['num_trades']:,}" in page
    assert f"<b>Total return</b><br>{results.metrics['total_return']:.2%}" in page
    points = page.split('points="')[1].split('"')[0].split(" ")
    assert len(points) == len(results.equity_curve) == 10  # one per day, 10 days
    assert points[0].startswith("0.0,") and points[-1].startswith("480.0,")
    assert f"{results.events:,} events" in page
