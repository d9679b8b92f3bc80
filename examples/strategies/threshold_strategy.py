"""A Python strategy that a config runs through `ml4t-backtest run` (docs/configuration.md#custom-strategies):

    strategy: {type: python, path: threshold_strategy.py, class: ThresholdStrategy,
               params: {signal: ml_pred, entry: 0.65, exit: 0.45, size_pct: 0.3}}

The same rule as the C++ plugin threshold_plugin.cpp and the built-in signal_threshold:
long when the signal is above `entry`, flat again below `exit`, `size_pct` of equity per
entry. The config's params are the constructor's keyword arguments.
"""
# [doc:python-strategy]
import math

from ml4t.backtest import Strategy


class ThresholdStrategy(Strategy):
    def __init__(self, entry, exit=None, signal="ml_pred", size_pct=0.1):
        super().__init__()  # required when a subclass defines __init__
        self.signal, self.entry, self.size_pct = signal, entry, size_pct
        self.exit = entry if exit is None else exit
        if self.exit > self.entry:
            raise ValueError("strategy.params.exit: must be <= entry")

    def on_market_data(self, event, context=None):
        s = event.signals.get(self.signal, math.nan)
        if math.isnan(s) or self.open_orders(event.asset) > 0:
            return
        held = self.position(event.asset)
        if held > 0 and s < self.exit:
            self.close_position(event.asset)
        elif held == 0 and s > self.entry:
            self.order(event.asset, self.size_pct * self.equity() / event.close)
# [doc:python-strategy]
