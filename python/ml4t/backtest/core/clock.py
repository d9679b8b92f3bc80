"""MultiSourceClock: merge several feeds (e.g. one per asset) into one feed.

Events are ordered by (timestamp, priority, order the feeds were given), so ties are
deterministic; all sources' events at one timestamp form one cross-section. The clock is
itself a DataFeed: iterate it or pass it to BacktestEngine(data_feed=clock, ...).
"""

from ml4t.backtest._ml4t import MultiSourceClock

__all__ = ["MultiSourceClock"]
