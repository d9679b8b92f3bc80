"""Declarative configuration (YAML/JSON): ``BacktestConfig.from_yaml(Path("config.yaml"))``.

Loading expands ``${VAR}`` and ``${VAR:-default}``, resolves relative paths against the
config file's folder and validates everything at once: a bad config raises one
ConfigError listing every problem as ``path.to.key: problem; fix``. Fields:
``data_sources`` (prices, signals, context), ``features``, ``execution``,
``risk_rules``, ``signal_timing``, ``strategy``, ``universe``, ``output``.
"""

from ml4t.backtest._ml4t import (
    BacktestConfig,
    CommissionConfig,
    EngineConfig,
    ExecutionConfig,
    RiskRules,
    SlippageConfig,
)

__all__ = ["BacktestConfig", "CommissionConfig", "EngineConfig", "ExecutionConfig", "RiskRules", "SlippageConfig"]
