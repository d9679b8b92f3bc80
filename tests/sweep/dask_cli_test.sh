#!/usr/bin/env bash
# `ml4t-backtest sweep --dask` on a real Dask distributed cluster on 127.0.0.1: this
# script starts a scheduler and two single-threaded workers (Debian python3-distributed),
# runs the sweep on them and the same sweep locally, compares the tables byte for byte,
# and stops the processes it started (by their pids), whatever happens. Every wait is
# bounded.
#   dask_cli_test.sh CLI PYTHON PACKAGE_ROOT WORK_DIR
set -uo pipefail
CLI="$1"; PY="$2"; ROOT="$3"; WORK="$4"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
if ! "$PY" -c "import distributed" 2>/dev/null; then
  echo "FAIL: $PY cannot import distributed; scripts/setup installs python3-distributed" >&2
  exit 1
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
export PYTHONPATH="$ROOT" PYTHONDONTWRITEBYTECODE=1
"$PY" -m distributed.cli.dask_scheduler --host 127.0.0.1 --port 0 --no-dashboard --scheduler-file sched.json \
  >scheduler.log 2>&1 &
pids+=($!)
for _ in $(seq 60); do [[ -s sched.json ]] && break; sleep 0.5; done
[[ -s sched.json ]] || { echo "FAIL: the scheduler wrote no sched.json in 30 s" >&2; cat scheduler.log >&2; exit 1; }
address="$("$PY" -c 'import json; print(json.load(open("sched.json"))["address"])')"
for w in 1 2; do
  "$PY" -m distributed.cli.dask_worker "$address" --nthreads 1 --no-dashboard --local-directory "w$w" >"worker$w.log" 2>&1 &
  pids+=($!)
done
timeout 60 "$PY" -c "
from distributed import Client
with Client('$address', timeout=30) as c:
    c.wait_for_workers(2, timeout=30)
    print('workers:', len(c.scheduler_info()['workers']))" || { echo "FAIL: two workers did not join" >&2; exit 1; }

"$CLI" generate --out data --symbols 4 --days 100 >/dev/null || exit 1
cat >cfg.yaml <<CFG
data_sources: {prices: data/prices.parquet, signals: data/signals.parquet}
strategy: {type: signal_threshold, entry: 0.6, exit: 0.5, size_pct: 0.2}
CFG
printf 'grid:\n  strategy.entry: [0.55, 0.6, 0.7]\n  strategy.size_pct: [0.1, 0.25]\n' >grid.yaml
failures=0
timeout 120 "$CLI" sweep cfg.yaml --grid grid.yaml --out local --quiet || { echo "FAIL: local sweep" >&2; exit 1; }
timeout 180 "$CLI" sweep cfg.yaml --grid grid.yaml --out on-dask --dask "$address" >dask.log 2>&1 \
  || { echo "FAIL: the --dask sweep exited $?" >&2; cat dask.log >&2; exit 1; }
grep -q "sweep: 6 task(s) finished" dask.log || { echo "FAIL: unexpected output: $(cat dask.log)" >&2; failures=1; }
cmp local/sweep.csv on-dask/sweep.csv || { echo "FAIL: the Dask sweep's table differs from the local one" >&2; failures=1; }
# --scheduler-file works the same; an unreachable scheduler is an error, not a hang.
timeout 180 "$CLI" sweep cfg.yaml --grid grid.yaml --out on-dask-file --scheduler-file sched.json --quiet >/dev/null 2>&1 \
  && cmp -s local/sweep.csv on-dask-file/sweep.csv || { echo "FAIL: --scheduler-file sweep" >&2; failures=1; }
timeout 60 "$CLI" sweep cfg.yaml --grid grid.yaml --out nowhere --dask tcp://127.0.0.1:9 >nowhere.log 2>&1
rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || { echo "FAIL: an unreachable scheduler gave status $rc" >&2; failures=1; }
[[ $failures -eq 0 ]] && echo "dask_cli_test: ok"
exit $failures
