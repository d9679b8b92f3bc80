#!/usr/bin/env bash
# scripts/setup: a second run downloads nothing; an unreachable npm registry or Debian
# mirror ends with one actionable line on stderr (not a CMake error later).
#
#   setup_test.sh SOURCE_DIR WORK_DIR
set -uo pipefail
SRC="$1"
WORK="$2"
rm -rf "$WORK" && mkdir -p "$WORK/bin"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_in() { [[ "$2" == *"$1"* ]] || fail "expected \"$1\" in: $2"; }

# Stand-ins on PATH: apt-get must not run on a second run; sudo runs its arguments (so
# the stand-ins also apply when the tests do not run as root).
cat >"$WORK/bin/apt-get" <<'SH'
#!/bin/sh
echo "W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Could not resolve 'deb.debian.org'"
echo "W: Some index files failed to download. They have been ignored, or old ones used instead."
exit 0
SH
printf '#!/bin/sh\nexec "$@"\n' >"$WORK/bin/sudo"
chmod +x "$WORK/bin/apt-get" "$WORK/bin/sudo"

# 1. Second run in the source tree: everything is present, nothing is fetched.
if [[ -f "$SRC/.deps/duckdb-1.4.4/.complete" ]]; then
  out="$(PATH="$WORK/bin:$PATH" "$SRC/scripts/setup" 2>&1)"
  rc=$?
  if [[ "$out" == *"installing Debian packages"* ]]; then
    echo "skip: this machine lacks some of the Debian packages (run scripts/setup)"
  else
    [[ $rc -eq 0 ]] || fail "second run exited $rc: $out"
    expect_in "Debian packages: all present" "$out"
    expect_in "DuckDB 1.4.4: present in .deps/duckdb-1.4.4" "$out"
    [[ "$out" != *fetching* ]] || fail "second run fetched: $out"
  fi
else
  echo "skip: no .deps/duckdb-1.4.4 (DuckDB from DUCKDB_ROOT or the system)"
fi

# A tree without .deps: a copy of the script alone.
mkdir -p "$WORK/tree/scripts" && cp "$SRC/scripts/setup" "$WORK/tree/scripts/setup"

# 2. npm registry unreachable (port 9 refuses connections).
if command -v npm >/dev/null; then
  # No proxy may stand between npm and 127.0.0.1 for this check.
  err="$(env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy -u npm_config_proxy -u npm_config_https_proxy \
    NO_PROXY=127.0.0.1 npm_config_noproxy=127.0.0.1 ML4T_SETUP_SKIP_APT=1 npm_config_registry=http://127.0.0.1:9 \
    "$WORK/tree/scripts/setup" 2>&1 >/dev/null)"
  rc=$?
  [[ $rc -eq 1 ]] || fail "unreachable npm: exit $rc, expected 1"
  [[ $(printf '%s\n' "$err" | wc -l) -eq 1 ]] || fail "unreachable npm: expected one line, got: $err"
  expect_in "scripts/setup: error: npm pack duckdb@1.4.4" "$err"
  expect_in "(request to http://127.0.0.1:9/" "$err"
  expect_in "check that the npm registry http://127.0.0.1:9 is reachable" "$err"
  expect_in "DUCKDB_ROOT" "$err"
  [[ ! -e "$WORK/tree/.deps/duckdb-1.4.4/.complete" ]] || fail "a failed fetch left a complete .deps"
else
  echo "skip: no npm"
fi

# 3. Debian mirror unreachable: a package is missing (dpkg-query says so) and apt-get
# update only warns.
printf '#!/bin/sh\nexit 1\n' >"$WORK/bin/dpkg-query" && chmod +x "$WORK/bin/dpkg-query"
err="$(PATH="$WORK/bin:$PATH" DUCKDB_ROOT=/nonexistent "$WORK/tree/scripts/setup" 2>&1 >/dev/null)"
rc=$?
[[ $rc -eq 1 ]] || fail "unreachable mirror: exit $rc, expected 1"
[[ $(printf '%s\n' "$err" | wc -l) -eq 1 ]] || fail "unreachable mirror: expected one line, got: $err"
expect_in "scripts/setup: error: apt-get update failed (W: Failed to fetch" "$err"
expect_in "check that the Debian package mirror is reachable" "$err"
expect_in "ML4T_SETUP_SKIP_APT=1" "$err"

[[ $failures -eq 0 ]] && echo "setup_test: ok"
exit $((failures > 0))
