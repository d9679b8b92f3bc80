"""BacktestEngine: run a strategy over a data feed.

    engine = BacktestEngine(data_feed=feed, strategy=MyStrategy(), initial_capital=100_000.0)
    results = engine.run()
    results.trades, results.equity_curve, results.metrics

Per timestamp the engine fills pending orders against the new bars, applies the risk
rules, marks the portfolio at the close and then calls the strategy. The C++ loop runs
with the GIL released; it is re-taken only to call Python hooks (once per timestamp
group). Ctrl-C stops a run (KeyboardInterrupt). Runs are deterministic.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ml4t.backtest import _ml4t
from ml4t.backtest._ml4t import (
    BacktestConfig,
    CommissionConfig,
    DataFeed,
    EngineConfig,
    RiskRules,
    SlippageConfig,
    StrategySpec,
)
from ml4t.backtest.results import Results

__all__ = ["BacktestEngine", "run_backtest"]

_EXECUTION_KEYS = ("fill_timing", "fractional_shares", "allow_short", "max_volume_participation",
                   "close_positions_at_end", "periods_per_year")
_RISK_KEYS = ("max_position_size", "stop_loss", "take_profit", "trailing_stop", "max_positions",
              "max_gross_exposure", "min_vix", "max_vix", "context_field")


def _set_fields(target: Any, values: Mapping[str, Any], what: str) -> None:
    for key, value in values.items():
        if not hasattr(target, key) or key.startswith("_"):
            raise _ml4t.ConfigError(f"{what}: unknown key '{key}'")
        setattr(target, key, value)


def _cost(value: Any, cls: type, what: str):
    if value is None or isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        obj = cls()
        _set_fields(obj, value, what)
        return obj
    raise TypeError(f"{what} must be a dict like {{'type': 'percentage', 'rate': 0.001}} or {cls.__name__}")


class BacktestEngine:
    """One backtest: a feed, a strategy and the execution settings.

    Args:
        data_feed: a DataFeed (PolarsDataFeed, MultiSourceClock, ...). Read once.
        strategy: a Strategy subclass instance, or a built-in StrategySpec
            (ml4t.backtest.strategies.signal_threshold(...)/top_k(...)).
        initial_capital: starting cash (default 100,000).
        config: a BacktestConfig (its execution and risk_rules are used) or EngineConfig.
        commission: {'type': 'per_share'|'percentage'|'fixed', 'rate': x, 'minimum': y}.
        slippage: {'type': 'percentage'|'fixed'|'volume_share', 'rate': x}.
        risk_rules: dict or RiskRules (max_position_size, stop_loss, take_profit, ...).
        progress: callable(events, timestamp) called every ``progress_every`` events.
        **execution: fill_timing ('next_bar'|'same_bar_close'), fractional_shares,
            allow_short, max_volume_participation, close_positions_at_end, periods_per_year.
    """

    def __init__(
        self,
        data_feed: DataFeed,
        strategy: Any,
        initial_capital: float | None = None,
        config: BacktestConfig | EngineConfig | None = None,
        commission: Mapping[str, Any] | CommissionConfig | None = None,
        slippage: Mapping[str, Any] | SlippageConfig | None = None,
        risk_rules: Mapping[str, Any] | RiskRules | None = None,
        progress: Callable[[int, Any], None] | None = None,
        progress_every: int = 4096,
        **execution: Any,
    ) -> None:
        if not isinstance(data_feed, DataFeed):
            raise TypeError(f"data_feed must be a DataFeed (e.g. PolarsDataFeed), got {type(data_feed).__name__}")
        if isinstance(config, BacktestConfig):
            engine_config = config.engine_config
        elif isinstance(config, EngineConfig):
            engine_config = config
        elif config is None:
            engine_config = EngineConfig()
        else:
            raise TypeError(f"config must be a BacktestConfig or EngineConfig, got {type(config).__name__}")
        exe = engine_config.execution
        if initial_capital is not None:
            exe.initial_capital = float(initial_capital)
        if commission is not None:
            exe.commission = _cost(commission, CommissionConfig, "commission")
        if slippage is not None:
            exe.slippage = _cost(slippage, SlippageConfig, "slippage")
        unknown = [k for k in execution if k not in _EXECUTION_KEYS]
        if unknown:
            raise TypeError(f"BacktestEngine: unknown argument(s) {unknown}; execution settings are "
                            f"{', '.join(_EXECUTION_KEYS)}")
        _set_fields(exe, execution, "execution")
        engine_config.execution = exe
        if risk_rules is not None:
            if isinstance(risk_rules, RiskRules):
                engine_config.risk_rules = risk_rules
            else:
                rules = engine_config.risk_rules
                _set_fields(rules, risk_rules, "risk_rules")
                engine_config.risk_rules = rules
        self.data_feed = data_feed
        self.strategy = strategy
        self.config = engine_config
        self.progress = progress
        self.progress_every = int(progress_every)
        self._ran = False
        self._config: BacktestConfig | None = None  # set by from_config: lets Results read prices again

    @property
    def initial_capital(self) -> float:
        return self.config.execution.initial_capital

    def run(self) -> Results:
        """Run the backtest over the whole feed and return the Results. Call once."""
        if self._ran:
            raise _ml4t.ConfigError("BacktestEngine.run() was already called: a feed is read once; build a new feed "
                                    "and engine to run again")
        self._ran = True
        native = _ml4t.run_engine(self.data_feed, self.strategy, self.config, self.progress, self.progress_every)
        return Results(native, self._config)

    @classmethod
    def from_config(cls, config: BacktestConfig, strategy: Any = None, **kwargs: Any) -> "BacktestEngine":
        """An engine over the feed a BacktestConfig describes; the strategy defaults to the
        config's built-in ``strategy`` block."""
        feed = _ml4t.feed_from_config(config)
        engine = cls(data_feed=feed, strategy=strategy if strategy is not None else config.strategy, config=config,
                     **kwargs)
        engine._config = config
        return engine


def run_backtest(config: BacktestConfig, progress: Callable[[int, Any], None] | None = None) -> Results:
    """Run the backtest a BacktestConfig describes (its built-in strategy, timing report
    and all), like ``ml4t-backtest run``; returns the Results (files are not written:
    call results.to_parquet(config.output.dir))."""
    return Results(_ml4t.run_config(config, progress), config)
