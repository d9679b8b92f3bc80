"""Core types: market events, the multi-source clock and the exception classes."""

from ml4t.backtest._ml4t import (
    ConfigError,
    CrossSection,
    DataError,
    FieldMap,
    Interrupted,
    MarketEvent,
    ML4TError,
    OutputError,
    SignalTimingViolation,
)
from ml4t.backtest.core.clock import MultiSourceClock

__all__ = [
    "ConfigError",
    "CrossSection",
    "DataError",
    "FieldMap",
    "Interrupted",
    "MarketEvent",
    "ML4TError",
    "MultiSourceClock",
    "OutputError",
    "SignalTimingViolation",
]
