"""Results of a backtest as pandas objects, plus result files and the HTML report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["Results"]

_TIME_COLUMNS = {"timestamp", "entry_time", "exit_time", "created", "updated"}


class Results:
    """What BacktestEngine.run() returns.

    Attributes (computed on first access, then cached):
        trades: round-trip trades (DataFrame; open ones have ``open=True``)
        equity_curve: cash, positions value, equity, drawdown per timestamp (DataFrame
            indexed by UTC timestamp)
        fills: every fill (DataFrame)
        orders: every order with status and reason (DataFrame)
        metrics: dict of summary metrics (total_return, sharpe, max_drawdown, ...)
    Timestamps are tz-aware UTC.
    """

    def __init__(self, native: Any) -> None:
        self._native = native
        self._cache: dict[str, Any] = {}

    def _frame(self, name: str):
        if name not in self._cache:
            import pandas as pd

            cols = self._native.table(name)
            for key in list(cols):
                if key in _TIME_COLUMNS:
                    cols[key] = pd.to_datetime(cols[key], unit="ns", utc=True)
            df = pd.DataFrame(cols)
            if name == "equity_curve":
                df = df.set_index("timestamp")
            self._cache[name] = df
        return self._cache[name]

    @property
    def trades(self):
        """Round-trip trades: asset_id, entry/exit time and price, quantity, pnl, ..."""
        return self._frame("trades")

    @property
    def equity_curve(self):
        """Equity per timestamp (index: UTC timestamp)."""
        return self._frame("equity_curve")

    @property
    def fills(self):
        """Every fill: order_id, timestamp, asset_id, side, quantity, price, costs."""
        return self._frame("fills")

    @property
    def orders(self):
        """Every order: type, quantities, prices, status and reason."""
        return self._frame("orders")

    @property
    def metrics(self) -> dict:
        """Summary metrics (the keys of summary.json)."""
        return self._native.metrics

    @property
    def initial_capital(self) -> float:
        return self._native.initial_capital

    @property
    def final_equity(self) -> float:
        return self._native.final_equity

    @property
    def events(self) -> int:
        """Market events processed."""
        return self._native.events

    @property
    def symbols(self) -> list[str]:
        return self._native.symbols

    def to_parquet(self, directory: str | os.PathLike, overwrite: bool = False, csv: bool = False,
                   report: bool = False) -> list[Path]:
        """Write summary.json and equity/trades/fills/orders .parquet (and .csv, report.html
        if asked) into ``directory``; files appear only when all are complete. Refuses to
        overwrite earlier results unless ``overwrite``. Returns the written paths."""
        return self._native.write(os.fspath(directory), True, csv, report, overwrite)

    def report(self, path: str | os.PathLike, title: str = "ml4t-backtest report") -> Path:
        """Write a self-contained HTML report (equity, drawdown, monthly returns, trade
        statistics, metrics) to ``path``; returns the path."""
        out = Path(path)
        html = self._native.report_html(title)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, out)
        return out

    def summary_json(self) -> str:
        return self._native.summary_json()

    def __repr__(self) -> str:
        m = self.metrics
        return (f"Results(events={self.events}, final_equity={self.final_equity:.2f}, "
                f"total_return={m['total_return']:.4%}, trades={m['num_trades']})")
