"""PolarsDataFeed: the reference's multi-source feed, running on the C++ columnar feed.

The name is kept so code written for the reference runs unchanged; underneath there is
no Polars: each source (prices, signals, features, context) is a DuckDB streaming scan
of Parquet/CSV files, merged in C++ with point-in-time (as-of, lagged) joins. Nothing
is read at construction except file schemas; the first event starts streaming.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

from ml4t.backtest import _ml4t
from ml4t.backtest._ml4t import ColumnarDataFeed, SignalTimingMode
from ml4t.backtest.data._frames import FrameFiles, as_paths, is_frame, frame_to_csv
from ml4t.backtest.data.feature_provider import FeatureProvider

__all__ = ["PolarsDataFeed", "ParquetDataFeed", "CSVDataFeed", "ColumnarDataFeed", "write_optimized_parquet"]


def _assets(asset_id: Any) -> list[str]:
    if asset_id is None:
        return []
    if isinstance(asset_id, str):
        return [asset_id]
    return [str(a) for a in asset_id]


class PolarsDataFeed(ColumnarDataFeed):
    """Prices (OHLCV) plus optional ML signals, features and market context, merged on
    (timestamp, asset) with no look-ahead.

    Args:
        price_path: Parquet/CSV file, glob, hive-partitioned folder or list of them, or a
            pandas/polars DataFrame, with ``timestamp``, ``asset_id`` and OHLCV columns.
        asset_id: one symbol (the reference's single-asset feed), a list of symbols, or
            None for every asset in the files.
        signals_path: per-(timestamp, asset) ML signals (same forms as price_path).
        signal_columns: signal columns to read (default: all).
        feature_provider: a FeatureProvider (Precomputed or Callable).
        validate_signal_timing: check signal stamps against the price bars when the feed
            starts (unaligned, duplicate, out-of-range stamps).
        signal_timing_mode: SignalTimingMode.STRICT (lag 0), NEXT_BAR (lag 1, default) or
            CUSTOM (``signal_lag`` bars).
        fail_on_timing_violation: with validation, raise SignalTimingViolation naming the
            first offenders instead of only reporting.
        context_path: market-wide values keyed by timestamp alone (no asset column).
        start, end: first/last bar time (inclusive).
        bad_data: 'error' (default), 'drop' or 'warn' for bad rows.
        mixed_time_zones: 'error' (default) or 'naive_is_utc' for text timestamps of which
            some carry a time zone and some do not.

    ``data_type``, ``filters``, ``use_categorical`` and ``compression`` are accepted for
    compatibility; only ``filters=None`` is supported (use asset_id/start/end).
    """

    def __init__(
        self,
        price_path: Any,
        asset_id: str | Sequence[str] | None = None,
        data_type: Any = None,
        timestamp_column: str = "timestamp",
        asset_column: str = "asset_id",
        signals_path: Any = None,
        signal_columns: Sequence[str] | None = None,
        feature_provider: FeatureProvider | None = None,
        filters: Any = None,
        validate_signal_timing: bool = True,
        signal_timing_mode: SignalTimingMode = SignalTimingMode.NEXT_BAR,
        fail_on_timing_violation: bool = True,
        use_categorical: bool = False,
        compression: str | None = None,
        *,
        context_path: Any = None,
        signal_lag: int = 1,
        start: Any = None,
        end: Any = None,
        bad_data: str = "error",
        order: str = "auto",
        memory_limit: str = "",
        temp_directory: str = "",
        threads: int = 0,
        mixed_time_zones: str = "error",
    ) -> None:
        if filters is not None:
            raise _ml4t.ConfigError(
                "PolarsDataFeed: filters (Polars expressions) are not supported; use asset_id=, start=, end=")
        if isinstance(signal_timing_mode, str):
            signal_timing_mode = _ml4t.parse_signal_timing_mode(signal_timing_mode)
        self._frames = FrameFiles()
        prices = _ml4t.DataSource(self._frames.source(price_path, "price_path"), timestamp_column=timestamp_column,
                                  asset_column=asset_column)
        signals = None
        if signals_path is not None:
            signals = _ml4t.DataSource(self._frames.source(signals_path, "signals_path"),
                                       timestamp_column=timestamp_column, asset_column=asset_column,
                                       columns=list(signal_columns or []))
        context = None
        if context_path is not None:
            context = _ml4t.DataSource(self._frames.source(context_path, "context_path"),
                                       timestamp_column=timestamp_column, asset_column="")
        assets = _assets(asset_id)
        native_provider = None
        if feature_provider is not None:
            if not isinstance(feature_provider, FeatureProvider):
                raise TypeError("feature_provider must be a FeatureProvider (PrecomputedFeatureProvider, "
                                f"CallableFeatureProvider or a subclass), got {type(feature_provider).__name__}")

            def probe():
                # Names of a callable provider come from what it returns for the first bar.
                first = ColumnarDataFeed(prices, assets=assets, start=start, end=end).get_next_event()
                if first is None:
                    raise _ml4t.DataError("PolarsDataFeed: the prices have no bars to discover feature names from")
                return first.asset_id, first.timestamp

            native_provider = feature_provider._native(probe)
        self.feature_provider = feature_provider
        self.asset_id = asset_id
        super().__init__(
            prices, signals=signals, context=context, feature_provider=native_provider, assets=assets, start=start,
            end=end, signal_timing_mode=signal_timing_mode, lag=signal_lag,
            validate_signal_timing=validate_signal_timing, fail_on_timing_violation=fail_on_timing_violation,
            bad_data=bad_data, order=order, memory_limit=memory_limit, temp_directory=temp_directory,
            threads=threads, mixed_time_zones=mixed_time_zones)
        if hasattr(native_provider, "naive_timestamps"):
            # Callbacks get times in the prices' own style (naive or UTC).
            native_provider.naive_timestamps = self.naive_timestamps

    def __repr__(self) -> str:
        return f"PolarsDataFeed(asset_id={self.asset_id!r}, signals={self.signal_names}, context={self.context_names})"


class ParquetDataFeed(PolarsDataFeed):
    """The reference's legacy single-file feed: ``ParquetDataFeed(path=..., asset_id=...)``."""

    def __init__(self, path: Any, asset_id: str | Sequence[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("validate_signal_timing", False)
        super().__init__(path, asset_id, **kwargs)


class CSVDataFeed(PolarsDataFeed):
    """Prices (and optional signals) from CSV files: ``CSVDataFeed(path=..., asset_id=...)``."""

    def __init__(self, path: Any, asset_id: str | Sequence[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("validate_signal_timing", False)
        super().__init__(path, asset_id, **kwargs)


def write_optimized_parquet(
    df: Any,
    path: str | os.PathLike,
    compression: str = "zstd",
    use_categorical: bool = False,
    categorical_columns: Sequence[str] | None = None,
    *,
    compression_level: int | None = None,
    row_group_size: int = 122880,
    partition_by: str | None = None,
    timestamp_column: str = "timestamp",
    asset_column: str | None = "asset_id",
    overwrite: bool = True,
    memory_limit: str = "",
    temp_directory: str = "",
) -> dict:
    """Write data in the layout the feed reads fastest: sorted by (timestamp, asset),
    compressed (zstd, snappy, gzip, lz4, uncompressed), string columns dictionary-encoded
    (``use_categorical``; default column ``asset_id``), optionally hive-partitioned by
    ``partition_by='year'|'month'``.

    ``df`` is a pandas/polars DataFrame or Parquet/CSV path(s)/glob(s). Returns a summary
    dict (inputs, outputs, rows, input_bytes, output_bytes, ratio, seconds). The output
    appears only when complete.
    """
    if is_frame(df) and asset_column and asset_column not in list(df.columns):
        asset_column = None  # market-wide data keyed by time alone
    categorical: list[str] = []
    if use_categorical or categorical_columns:
        categorical = list(categorical_columns) if categorical_columns else ([asset_column] if asset_column else [])
    with tempfile.TemporaryDirectory(prefix="ml4t-optimize-") as tmp:
        inputs = [frame_to_csv(df, tmp, "input")] if is_frame(df) else as_paths(df, "df")
        return _ml4t.write_optimized_parquet(
            inputs, os.fspath(path), compression, compression_level, categorical, row_group_size,
            partition_by or "none", timestamp_column, asset_column or "", overwrite, memory_limit, temp_directory)
