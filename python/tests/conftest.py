"""Shared fixtures: small data files with known values, and the generated sample market."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import ml4t.backtest as bt


def day(n: int) -> pd.Timestamp:
    """The n-th calendar day of January 2025 (UTC midnight)."""
    return pd.Timestamp(2025, 1, n)


def write_frame(df: pd.DataFrame, path: Path) -> Path:
    """Parquet through the library's own writer (pyarrow is not needed)."""
    bt.write_optimized_parquet(df, path, overwrite=True)
    return path


def price_frame(symbols=("AAPL", "MSFT"), days=range(2, 12), base=None) -> pd.DataFrame:
    """Bars with hand-checkable prices: asset k (0-based) on day d opens at
    base_k + d, high = open + 2, low = open - 2, close = open + 1, volume 1e6 + d."""
    base = base or {s: 100.0 * (k + 1) for k, s in enumerate(symbols)}
    rows = []
    for d in days:
        for s in symbols:
            o = base[s] + d
            rows.append({"timestamp": day(d), "asset_id": s, "open": o, "high": o + 2, "low": o - 2,
                         "close": o + 1, "volume": 1_000_000.0 + d})
    return pd.DataFrame(rows)


@pytest.fixture()
def prices_path(tmp_path) -> Path:
    return write_frame(price_frame(), tmp_path / "prices.parquet")


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The generator's 5-asset, 60-day market (prices, signals, features, context)."""
    out = tmp_path_factory.mktemp("sample")
    return bt.generate_sample_data(out, symbols=5, days=60)


@pytest.fixture(autouse=True)
def _chdir(tmp_path, monkeypatch):
    # The reference's examples use relative paths like Path("prices.parquet").
    monkeypatch.chdir(tmp_path)
    yield
