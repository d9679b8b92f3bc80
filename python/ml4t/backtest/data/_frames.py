"""Helpers turning pandas/polars DataFrames and paths into what the C++ core reads."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np


def is_frame(obj: Any) -> bool:
    """True for a pandas or polars DataFrame."""
    mod = type(obj).__module__
    return hasattr(obj, "columns") and (mod.startswith("pandas") or mod.startswith("polars"))


def to_pandas(frame: Any):
    """A pandas DataFrame for a pandas or polars DataFrame."""
    import pandas as pd

    if isinstance(frame, pd.DataFrame):
        return frame
    if type(frame).__module__.startswith("polars"):
        try:
            return frame.to_pandas()
        except ModuleNotFoundError:
            # polars converts through pyarrow; without it, go through Python lists.
            return pd.DataFrame(frame.to_dict(as_series=False))
    raise TypeError(f"expected a pandas or polars DataFrame, got {type(frame).__name__}")


def to_ns(series) -> np.ndarray:
    """Timestamps (naive = UTC) as int64 nanoseconds since the epoch."""
    import pandas as pd

    s = pd.to_datetime(series, utc=True)
    return s.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype(np.int64)


def frame_is_naive(frame: Any, column: str) -> bool | None:
    """True/False when ``column`` of a DataFrame holds naive/zoned datetimes; None when
    it is not a datetime column (or absent)."""
    import pandas as pd

    df = to_pandas(frame)
    if column not in df.columns:
        return None
    dtype = df[column].dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return False
    if pd.api.types.is_datetime64_dtype(dtype):
        return True
    return None


def as_paths(value: Any, what: str) -> list[str]:
    """A path, a glob string or a sequence of them, as a list of str."""
    if value is None:
        raise TypeError(f"{what} is required")
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    if isinstance(value, Sequence):
        return [os.fspath(v) for v in value]
    raise TypeError(f"{what} must be a path, a glob or a list of paths, got {type(value).__name__}")


def frame_to_csv(frame: Any, directory: str | os.PathLike, name: str) -> str:
    """Write a DataFrame as CSV for DuckDB to read. Naive timestamps stay naive; zoned
    ones are written in UTC with their ``+00:00``, so the feed knows to hand them back
    zoned."""
    import pandas as pd

    df = to_pandas(frame).copy()
    for col in df.columns:
        if isinstance(df[col].dtype, pd.DatetimeTZDtype):
            df[col] = df[col].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%f") + "+00:00"
    path = Path(directory) / f"{name}.csv"
    df.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S.%f")
    return os.fspath(path)


class FrameFiles:
    """A temporary folder holding CSV copies of in-memory frames (kept while referenced)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="ml4t-frames-")
        self._count = 0

    def source(self, value: Any, what: str) -> list[str]:
        """Paths for ``value``: its own paths, or a CSV copy when it is a DataFrame."""
        if is_frame(value):
            self._count += 1
            return [frame_to_csv(value, self._dir.name, f"{what}_{self._count}")]
        return as_paths(value, what)

    def cleanup(self) -> None:
        self._dir.cleanup()
