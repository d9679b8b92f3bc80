"""ml4t.backtest.sweep(): the same table as `ml4t-backtest sweep`, locally and on Dask."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import ml4t.backtest as bt

GRID = {"strategy.entry": [0.55, 0.65, 0.75], "strategy.size_pct": [0.1, 0.2]}


@pytest.fixture()
def sweep_config(tmp_path, sample):
    files = sample["files"]
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"""
data_sources:
  prices: {{path: {files['prices']}}}
  signals: {{path: {files['signals']}}}
strategy: {{type: signal_threshold, signal: ml_pred, entry: 0.6, exit: 0.5, size_pct: 0.2}}
""")
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  strategy.entry: [0.55, 0.65, 0.75]\n  strategy.size_pct: [0.1, 0.2]\n")
    return cfg, grid


def cli_table(cfg: Path, grid: Path, out: Path) -> pd.DataFrame:
    cli = os.environ.get("ML4T_CLI")
    if not cli:
        pytest.skip("ML4T_CLI (the built ml4t-backtest) is not set; ctest sets it")
    subprocess.run([cli, "sweep", str(cfg), "--grid", str(grid), "--out", str(out), "--workers", "2", "--quiet"],
                   check=True, capture_output=True, text=True)
    return pd.read_csv(out / "sweep.csv", float_precision="round_trip")  # pandas' default parser may be 1 ulp off


def test_sweep_equals_the_cli_table(tmp_path, sweep_config):
    cfg, grid = sweep_config
    expected = cli_table(cfg, grid, tmp_path / "cli")
    assert len(expected) == 6 and expected["strategy.entry"].tolist() == [0.55, 0.55, 0.65, 0.65, 0.75, 0.75]
    for frame in (bt.sweep(cfg, grid=grid, workers=2), bt.sweep(cfg, grid=GRID, workers=1, out=tmp_path / "api")):
        # Exact: shortest round-trip decimals in the CSV read back to the same doubles.
        pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert (tmp_path / "api" / "sweep.parquet").is_file() and (tmp_path / "api" / "manifest.json").is_file()


def test_sweep_refuses_bad_input(tmp_path, sweep_config):
    cfg, _ = sweep_config
    with pytest.raises(bt.ConfigError, match=r"(?s)task 1 \(strategy.entry=high\).*expected a number"):
        bt.sweep(cfg, grid={"list": [{"strategy.entry": 0.7}, {"strategy.entry": "high"}]})
    with pytest.raises(bt.ConfigError, match="cannot read the grid file"):
        bt.sweep(cfg, grid=tmp_path / "missing.yaml")
    first = bt.sweep(cfg, grid=GRID, out=tmp_path / "once")
    with pytest.raises(bt.ConfigError, match="holds an earlier sweep"):
        bt.sweep(cfg, grid=GRID, out=tmp_path / "once")  # an earlier sweep is kept unless told
    pd.testing.assert_frame_equal(bt.sweep(cfg, grid=GRID, out=tmp_path / "once", resume=True), first,
                                  check_exact=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dask_sweep_equals_the_local_sweep(tmp_path, sweep_config):
    distributed = pytest.importorskip("dask.distributed")
    cfg, grid = sweep_config
    local = bt.sweep(cfg, grid=grid, workers=1)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))  # workers import the same build
    bin_dir = Path(sys.executable).parent
    procs = []
    try:
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                       "--port", str(port), "--no-dashboard"], env=env, cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(2):
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                           "--nthreads", "1", "--no-dashboard"], env=env, cwd=tmp_path,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=30)
            assert len(client.scheduler_info()["workers"]) == 2
            remote = bt.sweep(cfg, grid=grid, client=client, out=tmp_path / "dask")
        pd.testing.assert_frame_equal(remote, local, check_exact=True)
        assert len(remote) == 6
        # The module entry point (what a shell or Slurm job runs) gives the same table.
        subprocess.run([sys.executable, "-m", "ml4t.backtest.sweep", str(cfg), "--grid", str(grid), "--out",
                        str(tmp_path / "dask-cli"), "--dask", address], env=env, check=True, timeout=60,
                       capture_output=True)
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dask-cli" / "sweep.csv", float_precision="round_trip"),
                                      pd.read_csv(tmp_path / "dask" / "sweep.csv", float_precision="round_trip"), check_exact=True)
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait(timeout=10)
