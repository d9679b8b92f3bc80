#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then, with the checkout, its build tree and the
# pinned DuckDB hidden (a private mount namespace with empty folders over them):
# the installed CLI and Python module run a backtest (figures equal to the build tree's),
# and a small consumer project builds against the prefix with find_package(ml4t_backtest)
# and with pkg-config (ml4t-backtest.pc) and runs. Every installed binary's RUNPATH
# points into the prefix only.
#
#   cmake_install_test.sh SOURCE_DIR BUILD_DIR [PYTHON_MODULE_BUILT=ON|OFF]
set -uo pipefail
SRC="$(cd "$1" && pwd)"
BUILD="$(cd "$2" && pwd)"
WITH_PYTHON="${3:-ON}"
# A fixed folder outside the checkout, so the consumer's compiles hit ccache next time.
OUTSIDE="/tmp/ml4t-cmake-install-test-$(printf '%s' "$BUILD" | md5sum | cut -c1-8)"
rm -rf "$OUTSIDE" && mkdir -p "$OUTSIDE"
trap 'rm -rf "$OUTSIDE"' EXIT
PREFIX="$OUTSIDE/prefix"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

cmake --install "$BUILD" --prefix "$PREFIX" >"$OUTSIDE/install.log" 2>&1 || { cat "$OUTSIDE/install.log"; fail "cmake --install failed"; }
version="$(cat "$SRC/VERSION")"
for f in bin/ml4t-backtest lib/libduckdb.so lib/libml4t_core.a lib/libml4t_config.a lib/libml4t_sweep.a \
         lib/pkgconfig/ml4t-backtest.pc include/ml4t/backtest/sweep/sweep.hpp \
         lib/cmake/ml4t_backtest/ml4t_backtestConfig.cmake include/ml4t/backtest/engine/backtest_engine.hpp; do
  [[ -e "$PREFIX/$f" ]] || fail "the prefix lacks $f"
done
if [[ "$WITH_PYTHON" == ON ]]; then
  pydir=("$PREFIX"/lib/python3*/site-packages)
  ext=("${pydir[0]}"/ml4t/backtest/_ml4t.*.so)
  [[ -f "${ext[0]}" ]] || fail "the prefix lacks the Python extension (lib/python3.*/site-packages/ml4t/backtest/_ml4t.*.so)"
  [[ -f "${pydir[0]}/ml4t/backtest/engine.py" ]] || fail "the prefix lacks the Python package's .py files"
  [[ -f "$PREFIX/lib/libml4t_python_host.so" ]] || fail "the prefix lacks lib/libml4t_python_host.so (type: python strategies)"
fi

runpath() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p'; }
[[ "$(runpath "$PREFIX/bin/ml4t-backtest")" == '$ORIGIN/../lib' ]] \
  || fail "bin/ml4t-backtest RUNPATH is '$(runpath "$PREFIX/bin/ml4t-backtest")', expected \$ORIGIN/../lib"
[[ "$WITH_PYTHON" != ON || "$(runpath "${ext[0]}")" == '$ORIGIN/../../../..' ]] \
  || fail "the extension's RUNPATH is '$(runpath "${ext[0]}")', expected \$ORIGIN/../../../.."

# The reference: the build tree's CLI on sample data.
"$BUILD/ml4t-backtest" generate --out "$OUTSIDE/data" --symbols 4 --days 120 >/dev/null || fail "generate failed"
cat >"$OUTSIDE/config.yaml" <<EOF
data_sources:
  prices: {path: data/prices.parquet}
  signals: {path: data/signals.parquet, columns: [ml_pred, confidence]}
signal_timing: {mode: strict}
strategy: {type: signal_threshold, signal: ml_pred, entry: 0.6, exit: 0.5, size_pct: 0.2}
output: {dir: results}
EOF
"$BUILD/ml4t-backtest" run "$OUTSIDE/config.yaml" --out "$OUTSIDE/reference" >/dev/null 2>&1 || fail "reference run failed"
final_equity() { /usr/bin/python3 -c 'import json,sys; print(repr(json.load(open(sys.argv[1]))["final_equity"]))' "$1"; }
expected="$(final_equity "$OUTSIDE/reference/summary.json")"
"$BUILD/ml4t-backtest" run "$OUTSIDE/config.yaml" --set strategy.entry=0.7 --out "$OUTSIDE/reference-0.7" >/dev/null 2>&1 \
  || fail "reference run (entry 0.7) failed"
expected_07="$(final_equity "$OUTSIDE/reference-0.7/summary.json")"
cp -r "$SRC/examples/custom_strategy" "$OUTSIDE/consumer"
cp -r "$SRC/tests/install/sweep_consumer" "$OUTSIDE/sweep-consumer"
# The built-in rule's Python twin (examples/strategies/threshold_strategy.py), same params.
cp "$SRC/examples/strategies/threshold_strategy.py" "$OUTSIDE/"
sed 's/^strategy: .*/strategy: {type: python, path: threshold_strategy.py, class: ThresholdStrategy, params: {entry: 0.6, exit: 0.5, size_pct: 0.2}}/' \
  "$OUTSIDE/config.yaml" >"$OUTSIDE/python.yaml"

# The pinned DuckDB: hidden on its own only where it lies outside the checkout (a worktree
# links it); inside the checkout, hiding the checkout hides it.
DEPS="$(readlink -f "$SRC/.deps")"
HIDE=("$SRC")
[[ "$DEPS" == "$SRC"/* ]] || HIDE+=("$DEPS")
[[ "$BUILD" == "$SRC"/* ]] || HIDE+=("$BUILD")
NAMESPACE=(unshare --mount)
if ! unshare --mount true 2>/dev/null; then
  echo "note: no private mount namespace here (needs root); the checkout stays visible"
  HIDE=() NAMESPACE=()
fi
# Everything below runs with HIDE covered; it prints lines the checks read.
"${NAMESPACE[@]}" bash -s "$OUTSIDE" "$PREFIX" "$WITH_PYTHON" "${HIDE[@]}" >"$OUTSIDE/hidden.log" 2>&1 <<'EOF'
set -u
OUTSIDE="$1"; PREFIX="$2"; WITH_PYTHON="$3"; shift 3
for d in "$@"; do mount -t tmpfs none "$d" || { echo "cannot hide $d"; exit 99; }; done
cd "$OUTSIDE"
echo "cli-version: $("$PREFIX/bin/ml4t-backtest" --version 2>&1)"
"$PREFIX/bin/ml4t-backtest" run config.yaml --out "$OUTSIDE/installed-cli" >/dev/null 2>&1; echo "cli-run: $?"
if [[ "$WITH_PYTHON" == ON ]]; then  # the installed CLI embeds Python and finds the installed package
  "$PREFIX/bin/ml4t-backtest" run python.yaml --out "$OUTSIDE/installed-python" >python-run.log 2>&1
  echo "cli-python-run: $? $(tail -3 python-run.log)"
fi
cmake -S sweep-consumer -B sweep-consumer-build -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  >sweep-consumer.log 2>&1 && cmake --build sweep-consumer-build >>sweep-consumer.log 2>&1
echo "sweep-consumer-build: $? $(tail -5 sweep-consumer.log)"
echo "sweep-consumer: $(sweep-consumer-build/sweep_consumer config.yaml "$OUTSIDE/consumer-sweep" 2>&1 | tr '\n' ' ')"
[[ "$WITH_PYTHON" == ON ]] && PYTHONPATH=$(echo "$PREFIX"/lib/python3*/site-packages) /usr/bin/python3 -c '
import ml4t.backtest as bt
from ml4t.backtest.config import BacktestConfig
print("python:", bt.__version__, repr(bt.run_backtest(BacktestConfig.from_yaml("config.yaml")).final_equity))' 2>&1
cmake -S consumer -B consumer-build -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >consumer.log 2>&1 \
  && cmake --build consumer-build >>consumer.log 2>&1; echo "cmake-consumer-build: $?"
echo "cmake-consumer: $(consumer-build/mean_reversion "$OUTSIDE/data" 2>&1)"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
echo "pkg-config-version: $(pkg-config --modversion ml4t-backtest 2>&1)"
ccache c++ -std=c++20 -O1 consumer/mean_reversion.cpp -o pc-consumer $(pkg-config --cflags --libs ml4t-backtest) \
  >pc.log 2>&1; echo "pkg-config-build: $?"
echo "pkg-config-consumer: $(./pc-consumer "$OUTSIDE/data" 2>&1)"
EOF
rc=$?
log="$(cat "$OUTSIDE/hidden.log")"
[[ $rc -eq 0 ]] || fail "the hidden-checkout run exited $rc: $log"
has() { [[ "$log" == *"$1"* ]] || fail "expected '$1' in: $log"; }
has "cli-version: ml4t-backtest $version"
has "cli-run: 0"
[[ -f "$OUTSIDE/installed-cli/summary.json" && "$(final_equity "$OUTSIDE/installed-cli/summary.json")" == "$expected" ]] \
  || fail "the installed CLI gives another final equity than the build tree's ($expected)"
[[ "$WITH_PYTHON" != ON ]] || has "python: $version $expected"
if [[ "$WITH_PYTHON" == ON ]]; then
  has "cli-python-run: 0"
  [[ -f "$OUTSIDE/installed-python/summary.json" && "$(final_equity "$OUTSIDE/installed-python/summary.json")" == "$expected" ]] \
    || fail "the installed CLI's Python strategy gives another final equity than the built-in rule ($expected)"
fi
has "sweep-consumer-build: 0"
# %.17g of the two tasks: the same doubles as the build tree's single runs.
fmt17() { /usr/bin/python3 -c 'import sys; print("%.17g" % float(sys.argv[1]))' "$1"; }
has "sweep-consumer: $(fmt17 "$expected") $(fmt17 "$expected_07") "
has "cmake-consumer-build: 0"
has "pkg-config-version: $version"
has "pkg-config-build: 0"
# 4 assets x 120 daily bars; the same program built both ways prints the same line.
[[ "$log" =~ cmake-consumer:\ (events\ 480\ trades\ [0-9]+\ final_equity\ [0-9.]+) ]] \
  || fail "unexpected consumer output: $log"
has "pkg-config-consumer: ${BASH_REMATCH[1]}"
[[ $failures -eq 0 ]] && echo "cmake_install_test: ok"
exit $((failures > 0))
