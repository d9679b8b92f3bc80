"""Feature providers: per-asset features and market-wide context from somewhere other
than the signals file.

* ``PrecomputedFeatureProvider(data)``: a pandas (or polars) DataFrame, or a Parquet/CSV
  path, with ``timestamp``, ``asset_id`` and value columns. Rows whose asset is null
  (None) are market-wide: their columns become ``event.context``; the others become
  ``event.signals``. A file is streamed and merged by the feed (the fast path).
* ``CallableFeatureProvider(compute_fn, compute_market_fn=None)``: calls your functions
  per (asset_id, timestamp) and per timestamp (the slow path, for live-like features).
* ``FeatureProvider``: the abstract interface; subclass it to plug in your own source.

Values are attached to bars point-in-time with the feed's signal timing (NEXT_BAR by
default: a value stamped t is first visible on the bar after t).
"""

from __future__ import annotations

import abc
import os
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ml4t.backtest import _ml4t
from ml4t.backtest.data._frames import as_paths, is_frame, to_ns, to_pandas

__all__ = ["FeatureProvider", "PrecomputedFeatureProvider", "CallableFeatureProvider"]


class FeatureProvider(abc.ABC):
    """Source of per-asset features (signals) and market-wide features (context)."""

    #: Names of the per-asset features, or None when they are discovered on first use.
    feature_names: list[str] | None = None
    #: Names of the market-wide features, or None when discovered on first use.
    market_feature_names: list[str] | None = None

    @abc.abstractmethod
    def get_features(self, asset_id: str, timestamp: datetime) -> dict[str, float]:
        """Per-asset values (ML predictions, indicators) of ``asset_id`` at ``timestamp``."""

    @abc.abstractmethod
    def get_market_features(self, timestamp: datetime) -> dict[str, float]:
        """Market-wide values (VIX, index returns, regime) at ``timestamp``."""

    def _native(self, probe: Callable[[], tuple[str, Any]] | None = None):
        """The C++ provider the feed uses. Generic providers are called per event."""
        names = self.feature_names
        market_names = self.market_feature_names
        if names is None or market_names is None:
            if probe is None:
                raise _ml4t.ConfigError(
                    f"{type(self).__name__}: set feature_names and market_feature_names, or let the feed discover "
                    "them from its first bar")
            asset, ts = probe()
            cls = type(self).__name__
            if names is None:
                names = _discovered(self.get_features(asset, ts), f"{cls}.get_features", asset, ts, "feature_names")
            if market_names is None:
                market_names = _discovered(self.get_market_features(ts), f"{cls}.get_market_features", asset, ts,
                                           "market_feature_names")
        cls = type(self).__name__
        return _ml4t.NativeCallableFeatureProvider(
            list(names), self.get_features, list(market_names), self.get_market_features, False,
            f"{cls}.get_features", f"{cls}.get_market_features")


def _discovered(result: Any, what: str, asset: str, ts: Any, names_arg: str) -> list[str]:
    """The names a provider function returned for the feed's first bar. None of them is
    an error: the feed could learn no names and would drop every later value."""
    names = list((result or {}).keys())
    if not names:
        raise _ml4t.DataError(
            f"{what} returned no values for the feed's first bar ({asset} at {ts}), so the feed cannot learn its "
            f"names and would drop every later value; pass {names_arg}=[...] listing the names it returns "
            f"({names_arg}=[] if it never returns any)")
    return names


def _name(fn: Any) -> str:
    return repr(getattr(fn, "__name__", fn))


def _present(col: np.ndarray) -> bool:
    return bool(np.any(~np.isnan(col))) if col.size else False


class PrecomputedFeatureProvider(FeatureProvider):
    """Precomputed features with as-of lookups.

    ``data`` is a pandas DataFrame (or a polars one, when polars is installed) or a
    Parquet/CSV path, glob or list of paths. Rows whose ``asset_column`` is null are
    market-wide: their columns become ``event.context``. Without ``market_columns`` the
    market-wide columns are found from the data (the columns with values only on market
    rows; for a file, from its Parquet statistics or one aggregate scan), and a column
    with values on both kinds of rows is an error asking for ``market_columns``.
    """

    def __init__(
        self,
        data: Any,
        market_columns: Sequence[str] | None = None,
        timestamp_column: str = "timestamp",
        asset_column: str = "asset_id",
        columns: Sequence[str] | None = None,
    ) -> None:
        self.timestamp_column = timestamp_column
        self.asset_column = asset_column
        if is_frame(data):
            self._native_provider = self._from_frame(to_pandas(data), market_columns, columns)
        elif isinstance(data, (str, os.PathLike, list, tuple)):
            source = _ml4t.DataSource(as_paths(data, "data"), timestamp_column=timestamp_column,
                                      asset_column=asset_column, columns=list(columns or []))
            self._native_provider = _ml4t.NativePrecomputedFeatureProvider(
                source, None if market_columns is None else list(market_columns))
        else:
            raise TypeError(
                f"PrecomputedFeatureProvider: data must be a pandas/polars DataFrame or a path, got "
                f"{type(data).__name__}")
        self.feature_names = list(self._native_provider.feature_names)
        self.market_feature_names = list(self._native_provider.market_feature_names)

    def _from_frame(self, df, market_columns, columns):
        import pandas as pd

        for col in (self.timestamp_column, self.asset_column):
            if col not in df.columns:
                raise _ml4t.ConfigError(
                    f"PrecomputedFeatureProvider: the DataFrame has no '{col}' column (columns: "
                    f"{', '.join(map(str, df.columns))}); pass timestamp_column=/asset_column=")
        times = to_ns(df[self.timestamp_column])
        asset_col = df[self.asset_column]
        is_market = asset_col.isna().to_numpy()
        assets = ["" if m else str(a) for a, m in zip(asset_col.tolist(), is_market)]
        value_cols = [c for c in df.columns if c not in (self.timestamp_column, self.asset_column)]
        if columns is not None:
            value_cols = [c for c in value_cols if c in set(columns)]
        values = {}
        for c in value_cols:
            try:
                values[str(c)] = pd.to_numeric(df[c], errors="raise").astype(float).to_numpy()
            except (ValueError, TypeError) as exc:
                raise _ml4t.DataError(f"PrecomputedFeatureProvider: column '{c}' is not numeric ({exc})") from None
        if market_columns is None:
            market = [c for c, v in values.items() if _present(v[is_market]) and not _present(v[~is_market])]
            both = [c for c, v in values.items() if _present(v[is_market]) and _present(v[~is_market])]
            if both:
                raise _ml4t.DataError(
                    f"PrecomputedFeatureProvider: column(s) {both} have values on market-wide rows "
                    f"({self.asset_column} is None) and on per-asset rows; pass market_columns=[...] naming the "
                    "market-wide columns (the other columns' market rows are then ignored), or split the data")
        else:
            market = [str(c) for c in market_columns]
            missing = [c for c in market if c not in values]
            if missing:
                raise _ml4t.ConfigError(f"PrecomputedFeatureProvider: market_columns {missing} are not in the data")
        features = {c: v for c, v in values.items() if c not in market}
        return _ml4t.NativePrecomputedFeatureProvider(
            times, assets, features, {c: values[c] for c in market})

    def get_features(self, asset_id: str, timestamp: Any) -> dict[str, float]:
        """The latest per-asset values at or before ``timestamp`` (missing ones omitted)."""
        vals = self._native_provider.get_features(asset_id, timestamp)
        return {n: v for n, v in zip(self.feature_names, vals) if v == v}

    def get_market_features(self, timestamp: Any) -> dict[str, float]:
        """The latest market-wide values at or before ``timestamp`` (missing ones omitted)."""
        vals = self._native_provider.get_market_features(timestamp)
        return {n: v for n, v in zip(self.market_feature_names, vals) if v == v}

    def _native(self, probe=None):
        return self._native_provider

    def __repr__(self) -> str:
        return (f"PrecomputedFeatureProvider(features={self.feature_names}, "
                f"market_features={self.market_feature_names})")


class CallableFeatureProvider(FeatureProvider):
    """Features computed on the fly by your functions.

    ``compute_fn(asset_id, timestamp) -> dict[str, float]`` gives per-asset values and
    ``compute_market_fn(timestamp) -> dict[str, float]`` (optional) market-wide ones.
    Timestamps are pandas.Timestamps in the prices' own style: naive when the price
    timestamps are naive, tz-aware UTC when they carry a zone. The field names are taken
    from ``feature_names``/``market_feature_names`` or, when omitted, from the keys the
    functions return for the feed's first bar. A key outside those names later raises
    DataError naming it, and so does a first bar with no values at all (never a silent
    drop): a function that warms up (returns ``{}`` or fewer keys at first) needs the
    names declared. With ``cache=True`` each (asset,
    timestamp) is computed once.
    """

    def __init__(
        self,
        compute_fn: Callable[[str, datetime], Mapping[str, float]],
        compute_market_fn: Callable[[datetime], Mapping[str, float]] | None = None,
        feature_names: Sequence[str] | None = None,
        market_feature_names: Sequence[str] | None = None,
        cache: bool = False,
    ) -> None:
        if not callable(compute_fn):
            raise TypeError("CallableFeatureProvider: compute_fn must be callable")
        if compute_market_fn is not None and not callable(compute_market_fn):
            raise TypeError("CallableFeatureProvider: compute_market_fn must be callable or None")
        self.compute_fn = compute_fn
        self.compute_market_fn = compute_market_fn
        self.feature_names = list(feature_names) if feature_names is not None else None
        if compute_market_fn is None:
            self.market_feature_names = []
        else:
            self.market_feature_names = list(market_feature_names) if market_feature_names is not None else None
        self.cache = cache
        self._native_provider = None

    def get_features(self, asset_id: str, timestamp: Any) -> dict[str, float]:
        return dict(self.compute_fn(asset_id, timestamp) or {})

    def get_market_features(self, timestamp: Any) -> dict[str, float]:
        return dict(self.compute_market_fn(timestamp) or {}) if self.compute_market_fn else {}

    @property
    def calls(self) -> int:
        """Calls of the user functions so far (by feeds using this provider)."""
        return self._native_provider.calls if self._native_provider is not None else 0

    def _native(self, probe=None):
        if self._native_provider is None:
            if self.feature_names is None or self.market_feature_names is None:
                if probe is None:
                    raise _ml4t.ConfigError(
                        "CallableFeatureProvider: pass feature_names=[...] (and market_feature_names=[...]) or use "
                        "it with a feed, which discovers them from its first bar")
                asset, ts = probe()
                if self.feature_names is None:
                    self.feature_names = _discovered(self.compute_fn(asset, ts),
                                                     f"compute_fn {_name(self.compute_fn)}", asset, ts,
                                                     "feature_names")
                if self.market_feature_names is None:
                    self.market_feature_names = _discovered(self.compute_market_fn(ts),
                                                            f"compute_market_fn {_name(self.compute_market_fn)}",
                                                            asset, ts, "market_feature_names")
            self._native_provider = _ml4t.NativeCallableFeatureProvider(
                list(self.feature_names), self.compute_fn, list(self.market_feature_names), self.compute_market_fn,
                self.cache, f"CallableFeatureProvider's compute_fn {_name(self.compute_fn)}",
                f"CallableFeatureProvider's compute_market_fn {_name(self.compute_market_fn)}")
        return self._native_provider

    def __repr__(self) -> str:
        return f"CallableFeatureProvider({getattr(self.compute_fn, '__name__', self.compute_fn)!r})"
