"""The data layer: feeds, feature providers, signal-timing validation, optimized Parquet.

Reference name -> implementation: PolarsDataFeed, ParquetDataFeed and CSVDataFeed are
the C++ ColumnarDataFeed (DuckDB streaming scans merged point-in-time in C++).
"""

from ml4t.backtest._ml4t import DataFeed, InMemoryDataFeed, SignalTimingMode
from ml4t.backtest.data.feature_provider import (
    CallableFeatureProvider,
    FeatureProvider,
    PrecomputedFeatureProvider,
)
from ml4t.backtest.data.polars_feed import (
    ColumnarDataFeed,
    CSVDataFeed,
    ParquetDataFeed,
    PolarsDataFeed,
    write_optimized_parquet,
)
from ml4t.backtest.data.sample import generate_sample_data
from ml4t.backtest.data.validation import SignalTimingViolation, validate_signal_timing

__all__ = [
    "CallableFeatureProvider",
    "ColumnarDataFeed",
    "CSVDataFeed",
    "DataFeed",
    "FeatureProvider",
    "InMemoryDataFeed",
    "ParquetDataFeed",
    "PolarsDataFeed",
    "PrecomputedFeatureProvider",
    "SignalTimingMode",
    "SignalTimingViolation",
    "generate_sample_data",
    "validate_signal_timing",
    "write_optimized_parquet",
]
