"""Signal-timing validation: are the signal stamps consistent with the price bars?

``validate_signal_timing(signals, prices, mode=...)`` returns ``(is_valid, violations)``
where each violation is a dict with ``kind``, ``asset_id``, ``signal_time``, ``used_at``
(the bar the feed attaches the value to), ``file``, ``row`` and a readable ``message``.
Kinds: not_on_bar, duplicate, after_last_bar, unknown_asset, before_first_bar.
"""

from __future__ import annotations

import tempfile
from typing import Any, Sequence

from ml4t.backtest import _ml4t
from ml4t.backtest._ml4t import SignalTimingMode, SignalTimingViolation
from ml4t.backtest.data._frames import as_paths, frame_is_naive, frame_to_csv, is_frame

__all__ = ["SignalTimingMode", "SignalTimingViolation", "validate_signal_timing"]


def validate_signal_timing(
    signals_df: Any,
    prices_df: Any,
    mode: SignalTimingMode = SignalTimingMode.NEXT_BAR,
    fail_on_violation: bool = True,
    *,
    lag: int = 1,
    asset_id: str | Sequence[str] | None = None,
    timestamp_column: str = "timestamp",
    asset_column: str = "asset_id",
) -> tuple[bool, list[dict]]:
    """Compare signal stamps with price bars under ``mode``.

    ``signals_df`` and ``prices_df`` are pandas/polars DataFrames or Parquet/CSV paths.
    With ``fail_on_violation`` a non-empty report raises SignalTimingViolation naming the
    first offenders; otherwise every violation is returned.
    """
    if isinstance(mode, str):
        mode = _ml4t.parse_signal_timing_mode(mode)
    assets = [] if asset_id is None else ([asset_id] if isinstance(asset_id, str) else list(asset_id))
    with tempfile.TemporaryDirectory(prefix="ml4t-validate-") as tmp:
        def source(value, name):
            paths = [frame_to_csv(value, tmp, name)] if is_frame(value) else as_paths(value, name)
            return _ml4t.DataSource(paths, timestamp_column=timestamp_column, asset_column=asset_column)

        prices = source(prices_df, "prices")
        is_valid, violations = _ml4t.validate_signal_timing(source(signals_df, "signals"), prices, mode, lag,
                                                            fail_on_violation, assets)
        if violations and _prices_naive(prices_df, prices, timestamp_column):
            # Times the way the prices have them: naive in, naive out.
            for v in violations:
                for key in ("signal_time", "used_at"):
                    if v[key] is not None:
                        v[key] = v[key].tz_localize(None)
        return is_valid, violations


def _prices_naive(prices_df: Any, source: Any, timestamp_column: str) -> bool:
    if is_frame(prices_df):
        return bool(frame_is_naive(prices_df, timestamp_column))
    try:
        return _ml4t.ColumnarDataFeed(source, validate_signal_timing=False).naive_timestamps
    except _ml4t.ML4TError:
        return False
