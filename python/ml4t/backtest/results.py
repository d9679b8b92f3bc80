"""Results of a backtest as pandas objects, plus result files and the HTML report.

Also results read back from a results folder (``Results.from_dir``, through DuckDB: no
pyarrow needed) and the series pyfolio and quantstats take: ``returns`` (daily),
``positions`` (dollar value per asset and cash, daily) and ``transactions`` (every fill).
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from ml4t.backtest import _ml4t

__all__ = ["Results"]

_TIME_COLUMNS = {"timestamp", "entry_time", "exit_time", "created", "updated"}

# The result files' columns, in the in-memory DataFrames' order: (file column, kind, name in
# the DataFrame when it differs). The files say "asset" and orders' "id"; the DataFrames
# keep the reference's "asset_id" and "order_id".
_FILE_TABLES: dict[str, tuple[str, list[tuple]]] = {
    "equity_curve": ("equity", [("timestamp", "timestamp"), ("cash", "double"), ("positions_value", "double"),
                                ("equity", "double"), ("drawdown", "double"),
                                ("gross_value", "double")]),
    "trades": ("trades", [("asset", "text", "asset_id"), ("entry_time", "timestamp"), ("exit_time", "timestamp"),
                          ("side", "text"), ("quantity", "double"), ("entry_price", "double"),
                          ("exit_price", "double"), ("pnl", "double"), ("return", "double"),
                          ("commission", "double"), ("slippage", "double"), ("bars_held", "int"),
                          ("exit_reason", "text"), ("open", "bool")]),
    "fills": ("fills", [("order_id", "int"), ("timestamp", "timestamp"), ("asset", "text", "asset_id"),
                        ("side", "text"), ("quantity", "double"), ("price", "double"), ("commission", "double"),
                        ("slippage", "double")]),
    "orders": ("orders", [("id", "int", "order_id"), ("created", "timestamp"), ("updated", "timestamp"),
                          ("asset", "text", "asset_id"), ("side", "text"), ("type", "text"), ("quantity", "double"),
                          ("filled_quantity", "double"), ("limit_price", "double"), ("stop_price", "double"),
                          ("trail_percent", "double"), ("time_in_force", "text"), ("avg_fill_price", "double"),
                          ("status", "text"), ("reason", "text")]),
}
_ID_COLUMNS = {"order_id"}  # uint64 in memory, BIGINT in the files


class _FolderResults:
    """The native results' interface over a results folder (summary.json + tables)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        summary_path = directory / "summary.json"
        if not directory.is_dir():
            raise _ml4t.DataError(f"{directory}: no such folder; pass the folder `ml4t-backtest run` or "
                                  f"Results.to_parquet wrote (it holds summary.json)")
        if not summary_path.is_file():
            raise _ml4t.DataError(f"{directory} has no summary.json: not a results folder written by ml4t-backtest "
                                  f"(run --out, write_results or Results.to_parquet)")
        try:
            self.summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise _ml4t.DataError(f"{summary_path}: not valid JSON ({e}); rewrite the results") from None
        for key in ("metrics", "initial_capital", "final_equity", "events"):
            if key not in self.summary:
                raise _ml4t.DataError(f"{summary_path} has no '{key}' entry: not a summary.json written by "
                                      f"ml4t-backtest")
        # JSON has no NaN or infinity: summary.json holds null, read back as NaN.
        self.metrics = {k: float("nan") if v is None else v for k, v in self.summary["metrics"].items()}
        self.initial_capital = float(self.summary["initial_capital"])
        self.final_equity = float(self.summary["final_equity"])
        self.events = int(self.summary["events"])
        self._symbols: list[str] | None = None
        self._naive: bool | None = None

    @property
    def naive_timestamps(self) -> bool:
        """The run's prices (summary.json's input files) had naive timestamps: read the
        tables' times back naive too. Unknown (no file listed, or gone): UTC."""
        if self._naive is None:
            files = (self.summary.get("data") or {}).get("files") or []
            prices = [f["path"] for f in files if f.get("role") == "prices"]
            self._naive = False
            if prices:
                try:
                    feed = _ml4t.ColumnarDataFeed(_ml4t.DataSource(prices), validate_signal_timing=False)
                    self._naive = feed.naive_timestamps
                except _ml4t.ML4TError:
                    pass
        return self._naive

    def file_of(self, name: str) -> Path:
        stem = _FILE_TABLES[name][0]
        for ext in (".parquet", ".csv"):
            path = self.directory / (stem + ext)
            if path.is_file():
                return path
        raise _ml4t.DataError(f"{self.directory} has neither {stem}.parquet nor {stem}.csv; the run wrote no "
                              f"{stem} table (output.formats lists parquet and/or csv)")

    def table(self, name: str) -> dict:
        import numpy as np

        if name not in _FILE_TABLES:
            raise _ml4t.ConfigError(f"unknown results table '{name}': use equity_curve, trades, fills or orders")
        specs = _FILE_TABLES[name][1]
        cols = _ml4t.read_result_file(self.file_of(name), [(c[0], c[1]) for c in specs])
        out = {}
        for spec in specs:
            key = spec[2] if len(spec) > 2 else spec[0]
            values = cols[spec[0]]
            out[key] = values.astype(np.uint64) if key in _ID_COLUMNS else values
        return out

    @property
    def symbols(self) -> list[str]:
        # Asset ids are not in the files: symbols in order of first appearance in the orders.
        if self._symbols is None:
            seen: dict[str, None] = {}
            for name in ("orders", "fills", "trades"):
                for s in self.table(name)["asset_id"]:
                    seen.setdefault(s, None)
            self._symbols = list(seen)
        return self._symbols

    def summary_json(self) -> str:
        return (self.directory / "summary.json").read_text(encoding="utf-8")


# Jupyter's inline view: the headline metrics and the equity curve, no network, no JS.
_HEADLINE = (("total_return", "Total return", "{:.2%}"), ("cagr", "CAGR", "{:.2%}"), ("sharpe", "Sharpe", "{:.2f}"),
             ("max_drawdown", "Max drawdown", "{:.2%}"), ("win_rate", "Win rate", "{:.1%}"),
             ("num_trades", "Trades", "{:,}"))


def _equity_svg_points(values, width: int = 480, height: int = 120, max_points: int = 500) -> str:
    """The polyline points of ``values`` drawn into width x height (y grows downwards),
    every k-th value when there are more than ``max_points`` (the last one always kept)."""
    n = len(values)
    if n == 0:
        return ""
    step = max(1, -(-n // max_points))  # ceil(n / max_points)
    picked = list(range(0, n, step))
    if picked[-1] != n - 1:
        picked.append(n - 1)
    lo, hi = min(values[i] for i in picked), max(values[i] for i in picked)
    span = hi - lo if hi > lo else 1.0
    x_scale = width / (n - 1) if n > 1 else 0.0
    return " ".join(f"{i * x_scale:.1f},{height - (values[i] - lo) / span * height:.1f}" for i in picked)


class Results:
    """What BacktestEngine.run() returns.

    Attributes (computed on first access, then cached):
        trades: round-trip trades (DataFrame; open ones have ``open=True``)
        equity_curve: cash, positions value, equity, drawdown per timestamp (DataFrame
            indexed by timestamp)
        fills: every fill (DataFrame)
        orders: every order with status and reason (DataFrame)
        metrics: dict of summary metrics (total_return, sharpe, max_drawdown, ...)
    Timestamps are naive (UTC wall time) when the run's price timestamps were naive, and
    tz-aware UTC when they carried a zone (``naive_timestamps`` says which).
    """

    def __init__(self, native: Any, config: Any = None) -> None:
        self._native = native
        self._config = config  # the BacktestConfig of the run, when known (prices for positions)
        self._cache: dict[str, Any] = {}

    @classmethod
    def from_dir(cls, path: str | os.PathLike) -> "Results":
        """Read a results folder back (``ml4t-backtest run --out``, ``write_results`` or
        ``to_parquet``): summary.json and equity/trades/fills/orders as Parquet or CSV (Parquet
        when both), through DuckDB. The DataFrames have the in-memory Results' columns.
        ``report()`` and
        ``to_parquet()`` need an in-memory run; the folder's report.html is the report."""
        folder = _FolderResults(Path(path))
        config = None
        if folder.summary.get("config"):
            config = _ml4t.BacktestConfig.from_string(json.dumps(folder.summary["config"]), str(folder.directory))
        return cls(folder, config)

    @property
    def naive_timestamps(self) -> bool:
        """True when the run's prices had naive timestamps (the tables' times are naive)."""
        return bool(getattr(self._native, "naive_timestamps", False))

    def _require_native(self, what: str) -> None:
        if isinstance(self._native, _FolderResults):
            raise _ml4t.ConfigError(f"{what} needs the results of a run in this process; these were read from "
                                    f"{self._native.directory} (its report.html is the report)")

    def _frame(self, name: str):
        if name not in self._cache:
            import pandas as pd

            cols = self._native.table(name)
            for key in list(cols):
                if key in _TIME_COLUMNS:
                    cols[key] = pd.to_datetime(cols[key], unit="ns", utc=not self.naive_timestamps)
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
    def returns(self):
        """Daily returns (pyfolio/quantstats layout): a Series indexed by UTC midnight of each
        day with bars, the equity at that day's last bar over the previous day's (the first
        day over the initial capital), so (1 + returns).prod() - 1 is the total return."""
        if "returns" not in self._cache:
            daily = self._daily_equity()["equity"]
            previous = daily.shift(1)
            if len(previous):
                previous.iloc[0] = self.initial_capital
            returns = (daily / previous - 1.0).astype(float)
            returns.name = "returns"
            self._cache["returns"] = returns
        return self._cache["returns"]

    @property
    def transactions(self):
        """Every fill in pyfolio's layout: index the fill's UTC timestamp, columns amount
        (shares, negative for sells), price, symbol."""
        if "transactions" not in self._cache:
            import pandas as pd

            fills = self.fills
            sign = fills["side"].map({"buy": 1.0, "sell": -1.0})
            df = pd.DataFrame({"amount": fills["quantity"].to_numpy() * sign.to_numpy(),
                               "price": fills["price"].to_numpy(), "symbol": fills["asset_id"].to_numpy()},
                              index=pd.DatetimeIndex(fills["timestamp"], name="timestamp"))
            self._cache["transactions"] = df
        return self._cache["transactions"]

    @property
    def positions(self):
        """Dollar value held per asset at each UTC day's last bar plus ``cash`` (pyfolio's
        layout: index UTC midnight, one column per asset in symbol order, then cash): the
        shares held after that bar's fills times the asset's latest close. The closes are read
        from the run's price data again, so this needs results that know their config
        (run_backtest, BacktestEngine.from_config, from_dir of a CLI run); otherwise call
        ``positions_from(feed)`` with a new feed over the same data."""
        if "positions" not in self._cache:
            if self._config is None:
                raise _ml4t.ConfigError("positions need the bars' closes, and these results do not know their data "
                                        "(a BacktestEngine over a feed): call results.positions_from(feed) with a "
                                        "new feed over the same data")
            self._cache["positions"] = self.positions_from(_ml4t.feed_from_config(self._config))
        return self._cache["positions"]

    def positions_from(self, feed) -> Any:
        """``positions`` valued with the closes of ``feed`` (a new feed over the run's data;
        it is read to the end)."""
        import numpy as np
        import pandas as pd

        daily = self._daily_equity()
        sample_ns = daily["timestamp_ns"].to_numpy()
        fills = self.fills
        fill_ns = fills["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
        signed = fills["quantity"].to_numpy() * np.where(fills["side"].to_numpy() == "buy", 1.0, -1.0)
        symbols = sorted(set(fills["asset_id"]))
        column = {s: k for k, s in enumerate(symbols)}
        values = np.zeros((len(sample_ns), len(symbols)))
        shares = np.zeros(len(symbols))
        closes = np.full(len(symbols), np.nan)
        next_fill = 0
        row = 0

        def snapshot(upto_ns: int) -> None:
            nonlocal next_fill
            while next_fill < len(fill_ns) and fill_ns[next_fill] <= upto_ns:
                shares[column[fills["asset_id"].iat[next_fill]]] += signed[next_fill]
                next_fill += 1
            held = shares != 0.0
            values[row, held] = shares[held] * closes[held]

        for event in feed:
            ts = event.timestamp_ns
            while row < len(sample_ns) and ts > sample_ns[row]:
                snapshot(int(sample_ns[row]))
                row += 1
            if row >= len(sample_ns):
                break
            k = column.get(event.asset_id)
            if k is not None:
                closes[k] = event.close
        while row < len(sample_ns):
            snapshot(int(sample_ns[row]))
            row += 1
        df = pd.DataFrame(values, index=daily.index, columns=symbols)
        df["cash"] = daily["cash"].to_numpy()
        df.columns.name = None
        return df

    def _daily_equity(self):
        """The equity curve's row at each UTC day's last bar, indexed by that day's midnight
        (with the bar's own time in ``timestamp_ns``)."""
        import numpy as np

        curve = self.equity_curve
        days = curve.index.floor("D")
        last = ~days.duplicated(keep="last")
        daily = curve.loc[last, ["cash", "equity"]].copy()
        daily["timestamp_ns"] = curve.index[last].to_numpy(dtype="datetime64[ns]").view(np.int64)
        daily.index = days[last].rename("date")
        return daily

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
        self._require_native("to_parquet()")
        return self._native.write(os.fspath(directory), True, csv, report, overwrite)

    def report(self, path: str | os.PathLike, title: str = "ml4t-backtest report") -> Path:
        """Write a self-contained HTML report (equity, drawdown, monthly returns, trade
        statistics, metrics) to ``path``; returns the path."""
        self._require_native("report()")
        out = Path(path)
        html = self._native.report_html(title)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, out)
        return out

    def summary_json(self) -> str:
        return self._native.summary_json()

    def _repr_html_(self) -> str:
        """Jupyter: final equity, the headline metrics and the equity curve as inline SVG."""
        m = self.metrics
        cells = [f"<td><b>Final equity</b><br>{self.final_equity:,.2f}</td>"]
        for key, label, fmt in _HEADLINE:
            value = m.get(key)
            shown = "–" if value is None or value != value else fmt.format(value)
            cells.append(f"<td><b>{html.escape(label)}</b><br>{html.escape(shown)}</td>")
        equity = self.equity_curve["equity"].tolist() if self.events else []
        svg = (f'<svg width="480" height="120" viewBox="0 0 480 120" role="img" aria-label="equity curve">'
               f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{_equity_svg_points(equity)}"/>'
               f"</svg>")
        return (f'<div class="ml4t-results"><table><tr>{"".join(cells)}</tr></table>{svg}'
                f"<div>{self.events:,} events</div></div>")

    def __repr__(self) -> str:
        m = self.metrics
        return (f"Results(events={self.events}, final_equity={self.final_equity:.2f}, "
                f"total_return={m['total_return']:.4%}, trades={m['num_trades']})")
