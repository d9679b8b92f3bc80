#!/usr/bin/env bash
# scripts/demo, the README's main job, on the built CLI (no rebuild): it generates the
# sample data, runs the top-k example and writes every result file. The figures are those
# of the 20-asset x 250-day sample with seed 42 (the generator is deterministic).
#
#   demo_test.sh SOURCE_DIR CLI WORK_DIR
set -uo pipefail
SRC="$1"
CLI="$2"
WORK="$3"
rm -rf "$WORK" && mkdir -p "$WORK"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

out="$(ML4T_CLI="$CLI" ML4T_DEMO_OUT="$WORK" "$SRC/scripts/demo" 2>&1)"
rc=$?
[[ $rc -eq 0 ]] || fail "scripts/demo exited $rc: $out"
for expected in "generated 5000 bars: 20 assets x 250 timestamps" "backtest: 5000 events, 20 assets" \
                "trades                             155" "report: $WORK/results/report.html"; do
  [[ "$out" == *"$expected"* ]] || fail "expected \"$expected\" in: $out"
done
for f in summary.json report.html equity.parquet equity.csv trades.parquet trades.csv fills.parquet fills.csv \
         orders.parquet orders.csv; do
  [[ -s "$WORK/results/$f" ]] || fail "missing or empty result file $f"
done
# A second run reuses the data and overwrites the results: the same summary numbers.
first="$(grep -o '"final_equity": *[0-9.e+-]*' "$WORK/results/summary.json")"
ML4T_CLI="$CLI" ML4T_DEMO_OUT="$WORK" "$SRC/scripts/demo" >/dev/null 2>&1 || fail "second run failed"
second="$(grep -o '"final_equity": *[0-9.e+-]*' "$WORK/results/summary.json")"
[[ -n "$first" && "$first" == "$second" ]] || fail "final equity differs between runs: '$first' vs '$second'"

[[ $failures -eq 0 ]] && echo "demo_test: ok"
exit $((failures > 0))
