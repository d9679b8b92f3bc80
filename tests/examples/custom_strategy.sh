#!/usr/bin/env bash
# Installs the library into a scratch prefix, builds examples/custom_strategy against it
# with find_package(ml4t_backtest), and runs it on generated sample data.
#   custom_strategy.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD="$1"; SRC="$2"
WORK="$BUILD/test-tmp/custom_strategy"
rm -rf "$WORK"; mkdir -p "$WORK"
cmake --install "$BUILD" --prefix "$WORK/prefix" >"$WORK/install.log"
cmake -S "$SRC/examples/custom_strategy" -B "$WORK/build" -DCMAKE_PREFIX_PATH="$WORK/prefix" \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >"$WORK/configure.log"
cmake --build "$WORK/build" >"$WORK/build.log"
"$BUILD/ml4t-backtest" generate --out "$WORK/data" --symbols 4 --days 120 >/dev/null
output="$("$WORK/build/mean_reversion" "$WORK/data")"
echo "$output"
# 4 assets x 120 daily bars; RSI dips below 30 at least once in this sample.
[[ "$output" =~ ^events\ 480\ trades\ ([0-9]+)\ final_equity ]] || { echo "unexpected output" >&2; exit 1; }
(( BASH_REMATCH[1] > 0 )) || { echo "expected at least one trade" >&2; exit 1; }
