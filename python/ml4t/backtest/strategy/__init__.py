"""Strategy base class. ``from ml4t.backtest.strategy.base import Strategy`` (the
reference's path), ``from ml4t.backtest.strategy import Strategy`` and
``from ml4t.backtest import Strategy`` are the same class."""

from ml4t.backtest.strategy.base import Strategy

__all__ = ["Strategy"]
