"""Parameter sweeps from Python: ``ml4t.backtest.sweep(config, grid=...)``.

The sweep is the very C++ sweep ``ml4t-backtest sweep`` runs (GIL released), so the
returned DataFrame holds the same columns and values as sweep.parquet. With
``client=`` a ``dask.distributed.Client``, each task (one backtest) runs on a cluster
worker through this module; the worker returns its summary.json, the client files it
under ``out/tasks/<task_id>/`` and builds the table from those summaries exactly as a
local sweep does, so both give identical tables. See docs/sweeps.md.

Run as a module for a cluster sweep from the shell:

    python3 -m ml4t.backtest.sweep CONFIG --grid GRID --out DIR --dask tcp://HOST:PORT
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from pathlib import Path

from ml4t.backtest import _ml4t


def _grid_text(grid) -> tuple[str, str]:
    """A grid file path, or a dict ({key: [values]} or a whole {grid|random|list: ...})."""
    if isinstance(grid, dict):
        doc = grid if set(grid) & {"grid", "random", "list"} else {"grid": grid}
        return json.dumps(doc), "grid= argument"
    if isinstance(grid, (str, os.PathLike)):
        path = Path(grid)
        try:
            return path.read_text(), str(path)
        except OSError as e:
            raise _ml4t.ConfigError(f"cannot read the grid file {path}: {e.strerror}; check the path") from None
    raise _ml4t.ConfigError(f"grid= must be a grid file path or a dict of key: [values], got {type(grid).__name__}")


def _frame(columns, rows):
    import pandas as pd

    data = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    frame = pd.DataFrame(data, columns=list(columns))
    for name in columns:  # a number column holding nulls is float64 with NaN, as pandas.read_csv reads it
        values = data[name]
        numbers = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values)
        if numbers and any(v is None or isinstance(v, float) for v in values):
            frame[name] = frame[name].astype("float64")
    return frame


def _run_task_on_worker(config: str, overrides: list[str]) -> tuple[str, str, str, str]:
    """One backtest on a Dask worker: (task_id, status, error, summary.json text)."""
    with tempfile.TemporaryDirectory(prefix="ml4t-sweep-task-") as tmp:
        task_id, status, error = _ml4t.run_sweep_task(config, overrides, tmp)
        summary = Path(tmp, "tasks", task_id, "summary.json")
        return task_id, status, error, summary.read_text() if status == "done" else ""


def _run_on_dask(client, config: str, grid_text: str, origin: str, out: Path, overrides: list[str],
                 resume: bool, overwrite: bool):
    tasks = _ml4t.plan_sweep_tasks(config, grid_text, origin, overrides)
    _ml4t.check_sweep_output(out, resume, overwrite)  # the CLI's rules for an existing folder
    if overwrite and not resume:
        import shutil

        for name in ("tasks", "sweep.parquet", "sweep.csv", "manifest.json", "sweep.html"):
            p = out / name
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()
    done = set()
    if resume:
        done = {t for t, _ in tasks if Path(out, "tasks", t, "summary.json").is_file()}
    todo = [(t, o) for t, o in tasks if t not in done]
    futures = [client.submit(_run_task_on_worker, config, o, key=f"ml4t-sweep-{t}", pure=False) for t, o in todo]
    failures = []
    for (planned_id, _), future in zip(todo, futures):
        task_id, status, error, summary = future.result()
        if task_id != planned_id:  # the worker saw other data files (size/mtime) or another config
            failures.append(f"task {planned_id}: the worker resolved it to task id {task_id}; the worker must see "
                            "the same config and data files (same paths, sizes, modification times)")
            continue
        if status != "done":
            failures.append(f"task {task_id}: {error}")
            continue
        folder = Path(out, "tasks", task_id)
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / ".summary.json.tmp"
        staged.write_text(summary)
        staged.replace(folder / "summary.json")  # renamed into place: the ledger's rule
    if failures:
        raise _ml4t.DataError(f"sweep: {len(failures)} task(s) failed on the cluster: " + "; ".join(failures))
    # Every task is finished now: the local sweep resumes them all and writes the tables
    # and the manifest from their summaries, exactly as a local sweep does.
    return _ml4t.run_sweep(config, grid_text, origin, out, 1, overrides, True, False)


def sweep(config, grid, workers=None, client=None, out=None, overrides=(), resume=False, overwrite=False):
    """Run CONFIG once per parameter set of ``grid``; return the sweep table as a DataFrame.

    config: a config file path. grid: a grid file path, or a dict such as
    ``{"strategy.entry": [0.55, 0.65]}`` (a grid) or ``{"list": [...]}`` / ``{"random": {...}}``.
    workers: threads for a local sweep (None = all cores). client: a
    ``dask.distributed.Client``; tasks then run on its workers. out: the output folder
    (sweep.parquet, sweep.csv, tasks/, manifest.json); None = a temporary folder, removed
    afterwards. overrides: ``key.path=value`` strings applied to every task (``--set``).
    """
    config = str(Path(config))
    grid_text, origin = _grid_text(grid)
    overrides = [str(o) for o in overrides]
    temp = None
    if out is None:
        temp = tempfile.TemporaryDirectory(prefix="ml4t-sweep-")
        out = temp.name
    out = Path(out)
    try:
        if client is not None:
            columns, rows = _run_on_dask(client, config, grid_text, origin, out, overrides, resume, overwrite)
        else:
            columns, rows = _ml4t.run_sweep(config, grid_text, origin, out, int(workers or 0), overrides, resume,
                                            overwrite)
        return _frame(columns, rows)
    finally:
        if temp is not None:
            temp.cleanup()


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python3 -m ml4t.backtest.sweep",
                                     description="A parameter sweep, locally or on a Dask cluster.")
    parser.add_argument("config")
    parser.add_argument("--grid", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--dask", metavar="tcp://HOST:PORT", help="the Dask scheduler's address")
    parser.add_argument("--scheduler-file", help="a Dask scheduler file (dask-scheduler --scheduler-file)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    client = None
    if args.dask or args.scheduler_file:
        from dask.distributed import Client

        client = Client(args.dask) if args.dask else Client(scheduler_file=args.scheduler_file)
    # The package's copy of this module, not __main__, so Dask pickles its task function
    # by reference (ml4t.backtest.sweep._run_task_on_worker), as for bt.sweep(client=...).
    module = importlib.import_module("ml4t.backtest.sweep")
    try:
        frame = module.sweep(args.config, args.grid, workers=args.workers, client=client, out=args.out,
                      overrides=args.overrides, resume=args.resume, overwrite=args.overwrite)
    except _ml4t.ML4TError as e:
        print(f"error: {e}")
        return 2
    finally:
        if client is not None:
            client.close()
    print(f"sweep: {len(frame)} task(s) finished; table in {Path(args.out, 'sweep.parquet')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
