#!/usr/bin/env bash
# `pip install .` and `pip wheel .` as a newcomer would use them, offline, on a copy of the
# checkout: each into a fresh `/usr/bin/python3 -m venv --system-site-packages` venv, then
# the copy is deleted and the original checkout and build tree are hidden (a private
# mount namespace with empty folders over them), and a backtest runs from another folder
# through the Python API and the `ml4t-backtest` command of the venv. Its figures must be
# those of the build tree's CLI on the same data.
#
# Time: the copy sits at the same depth under /work as the checkout, so ccache (base_dir
# /work) serves the compiles from the main build; what remains is linking and packing.
#
#   pip_install_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
SRC="$(cd "$1" && pwd)"
BUILD="$(cd "$2" && pwd)"
PYTHON=/usr/bin/python3
WORK="$BUILD/test-tmp/pip_install"
OUTSIDE="$(mktemp -d /tmp/ml4t-pip-test.XXXXXX)"  # venvs and the run folder, outside the checkout
trap 'rm -rf "$OUTSIDE"' EXIT
rm -rf "$WORK" && mkdir -p "$WORK"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
step() { echo "--- $*"; }

# The working tree (tracked and new files, as git sees them) copied to $WORK/clone.
CLONE="$WORK/clone"
mkdir -p "$CLONE"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
     | while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done \
     | tar --null -T - -cf -) | tar -C "$CLONE" -xf -
else
  tar -C "$SRC" --exclude='./build*' --exclude='./.deps' -cf - . | tar -C "$CLONE" -xf -
fi
ln -s "$(readlink -f "$SRC/.deps")" "$CLONE/.deps"
export ML4T_CMAKE_ARGS="-DML4T_WERROR=ON" CMAKE_BUILD_PARALLEL_LEVEL=2 PIP_NO_CACHE_DIR=1 \
  PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1

step "pip install --no-build-isolation --no-index . (venv A)"
"$PYTHON" -m venv --system-site-packages "$OUTSIDE/venv-a" || fail "python3 -m venv failed"
(cd "$CLONE" && "$OUTSIDE/venv-a/bin/pip" install --no-build-isolation --no-index . >"$WORK/pip-install.log" 2>&1) \
  || { tail -n 40 "$WORK/pip-install.log"; fail "pip install . failed (log: $WORK/pip-install.log)"; }

step "pip wheel --no-build-isolation --no-index . and install the wheel (venv B)"
(cd "$CLONE" && "$OUTSIDE/venv-a/bin/pip" wheel --no-build-isolation --no-index --no-deps -w "$OUTSIDE/wheels" . \
   >"$WORK/pip-wheel.log" 2>&1) || { tail -n 40 "$WORK/pip-wheel.log"; fail "pip wheel . failed"; }
version="$(cat "$SRC/VERSION")"
wheel=("$OUTSIDE"/wheels/ml4t_backtest-"$version"-*.whl)
[[ -f "${wheel[0]}" ]] || fail "no ml4t_backtest-$version wheel in: $(ls "$OUTSIDE/wheels" 2>&1)"
"$PYTHON" -m venv --system-site-packages "$OUTSIDE/venv-b" || fail "python3 -m venv failed"
"$OUTSIDE/venv-b/bin/pip" install --no-index --no-deps "${wheel[0]}" >"$WORK/pip-wheel-install.log" 2>&1 \
  || { cat "$WORK/pip-wheel-install.log"; fail "pip install of the wheel failed"; }
# The wheel holds the extension, libduckdb.so and the CLI inside the package.
listing="$("$PYTHON" -m zipfile -l "${wheel[0]}")"
for f in ml4t/backtest/_ml4t. ml4t/backtest/libduckdb.so ml4t/backtest/_bin/ml4t-backtest ml4t/backtest/engine.py; do
  [[ "$listing" == *"$f"* ]] || fail "the wheel lacks $f"
done

# Every binary of the package finds libduckdb.so inside the package and nowhere else.
for venv in venv-a venv-b; do
  pkg=("$OUTSIDE/$venv"/lib/python3*/site-packages/ml4t/backtest)
  for bin in "$pkg"/_ml4t.*.so "$pkg/_bin/ml4t-backtest"; do
    runpath="$(readelf -d "$bin" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
    case "$bin" in
      *.so) [[ "$runpath" == '$ORIGIN' ]] || fail "$venv: $(basename "$bin") RUNPATH is '$runpath', expected \$ORIGIN" ;;
      *) [[ "$runpath" == '$ORIGIN/..' ]] || fail "$venv: ml4t-backtest RUNPATH is '$runpath', expected \$ORIGIN/.." ;;
    esac
  done
done

# The reference: the build tree's CLI on sample data.
"$BUILD/ml4t-backtest" generate --out "$OUTSIDE/data" --symbols 3 --days 200 >/dev/null || fail "generate failed"
cat >"$OUTSIDE/config.yaml" <<EOF
data_sources:
  prices: {path: data/prices.parquet}
  signals: {path: data/signals.parquet, columns: [ml_pred, confidence]}
signal_timing: {mode: strict}
strategy: {type: signal_threshold, signal: ml_pred, entry: 0.6, exit: 0.5, size_pct: 0.3}
output: {dir: results}
EOF
(cd "$OUTSIDE" && "$BUILD/ml4t-backtest" run config.yaml --out "$OUTSIDE/reference" >/dev/null 2>&1) || fail "reference run failed"
final_equity() { "$PYTHON" -c 'import json,sys; print(repr(json.load(open(sys.argv[1]))["final_equity"]))' "$1"; }
expected="$(final_equity "$OUTSIDE/reference/summary.json")"

rm -rf "$CLONE"  # the checkout moved away

# Runs "$@" with the checkout, its build tree and the DuckDB it links hidden, when this
# machine allows a private mount namespace (root: unshare); otherwise as it is.
# The pinned DuckDB: hidden on its own only where it lies outside the checkout (a worktree
# links it); inside the checkout, hiding the checkout hides it.
DEPS="$(readlink -f "$SRC/.deps")"
HIDE=("$SRC")
[[ "$DEPS" == "$SRC"/* ]] || HIDE+=("$DEPS")
[[ "$BUILD" == "$SRC"/* ]] || HIDE+=("$BUILD")
hidden() {
  if unshare --mount true 2>/dev/null; then
    unshare --mount bash -c 'for d in "${@:2:$1}"; do mount -t tmpfs none "$d" || exit 99; done; shift $(($1 + 1)); exec "$@"' \
      _ "${#HIDE[@]}" "${HIDE[@]}" "$@"
  else
    "$@"
  fi
}
unshare --mount true 2>/dev/null || echo "note: no private mount namespace here; the checkout stays visible"

mkdir -p "$OUTSIDE/elsewhere"
for venv in venv-a venv-b; do
  step "$venv: a backtest from another folder, checkout hidden"
  py="$OUTSIDE/$venv/bin/python"
  out="$(cd "$OUTSIDE/elsewhere" && hidden "$py" - "$OUTSIDE" "$SRC" <<'EOF' 2>&1
import os, sys
from pathlib import Path
import ml4t.backtest as bt
from ml4t.backtest.config import BacktestConfig

outside, src = Path(sys.argv[1]), sys.argv[2]
assert bt.__file__.startswith(str(outside)), bt.__file__
assert not os.path.exists(os.path.join(src, "VERSION")), "the checkout is not hidden"
results = bt.run_backtest(BacktestConfig.from_yaml(outside / "config.yaml"))
print("version", bt.__version__)
print("final_equity", repr(results.final_equity))
EOF
)" || fail "$venv: Python backtest failed: $out"
  [[ "$out" == *"version $version"* ]] || fail "$venv: expected version $version in: $out"
  [[ "$out" == *"final_equity $expected"* ]] || fail "$venv: expected final_equity $expected in: $out"

  cli_out="$(cd "$OUTSIDE/elsewhere" && hidden "$OUTSIDE/$venv/bin/ml4t-backtest" run "$OUTSIDE/config.yaml" \
             --out "$OUTSIDE/$venv-results" 2>&1)" || fail "$venv: ml4t-backtest run failed: $cli_out"
  [[ -f "$OUTSIDE/$venv-results/summary.json" ]] \
    && [[ "$(final_equity "$OUTSIDE/$venv-results/summary.json")" == "$expected" ]] \
    || fail "$venv: the venv's ml4t-backtest gives another final equity than the build tree's ($expected)"
  ver_out="$(hidden "$OUTSIDE/$venv/bin/ml4t-backtest" --version 2>&1)"
  [[ "$ver_out" == "ml4t-backtest $version" ]] || fail "$venv: --version says '$ver_out'"
done

[[ $failures -eq 0 ]] && echo "pip_install_test: ok"
exit $((failures > 0))
