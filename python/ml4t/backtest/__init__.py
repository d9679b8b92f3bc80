"""ml4t.backtest: event-driven backtests of ML-driven trading strategies, on a C++ engine.

The reference API (same module paths, class names and keyword arguments):

    from ml4t.backtest.data.polars_feed import PolarsDataFeed
    from ml4t.backtest.data.feature_provider import PrecomputedFeatureProvider, CallableFeatureProvider
    from ml4t.backtest.data.validation import SignalTimingMode, validate_signal_timing
    from ml4t.backtest.config import BacktestConfig
    from ml4t.backtest.engine import BacktestEngine
    from ml4t.backtest.core.clock import MultiSourceClock
    from ml4t.backtest import Strategy

See docs/python.md for the guide and the name mapping.
"""

from ml4t.backtest import _ml4t
from ml4t.backtest._ml4t import (
    ConfigError,
    CrossSection,
    DataError,
    FieldMap,
    Interrupted,
    MarketEvent,
    ML4TError,
    OutputError,
    SignalTimingMode,
    SignalTimingViolation,
)
from ml4t.backtest.config import BacktestConfig
from ml4t.backtest.core.clock import MultiSourceClock
from ml4t.backtest.data import (
    CallableFeatureProvider,
    ColumnarDataFeed,
    CSVDataFeed,
    DataFeed,
    FeatureProvider,
    InMemoryDataFeed,
    ParquetDataFeed,
    PolarsDataFeed,
    PrecomputedFeatureProvider,
    generate_sample_data,
    validate_signal_timing,
    write_optimized_parquet,
)
from ml4t.backtest.engine import BacktestEngine, run_backtest
from ml4t.backtest.results import Results
from ml4t.backtest.strategy import Strategy
from ml4t.backtest.sweep import sweep
from ml4t.backtest import strategies

import collections.abc as _abc

_abc.Mapping.register(FieldMap)
del _abc

__version__ = _ml4t.__version__  # the VERSION file, compiled into the extension

__all__ = [
    "BacktestConfig",
    "BacktestEngine",
    "CallableFeatureProvider",
    "ColumnarDataFeed",
    "ConfigError",
    "CrossSection",
    "CSVDataFeed",
    "DataError",
    "DataFeed",
    "FeatureProvider",
    "FieldMap",
    "InMemoryDataFeed",
    "Interrupted",
    "MarketEvent",
    "ML4TError",
    "MultiSourceClock",
    "OutputError",
    "ParquetDataFeed",
    "PolarsDataFeed",
    "PrecomputedFeatureProvider",
    "Results",
    "SignalTimingMode",
    "SignalTimingViolation",
    "Strategy",
    "generate_sample_data",
    "run_backtest",
    "strategies",
    "sweep",
    "validate_signal_timing",
    "write_optimized_parquet",
]
