#!/usr/bin/env bash
# Install a built wheel into a fresh venv and run the Python integration tests against the
# installed package, from a copy of the tests outside the source tree (so `import rocketmq`
# can only find the wheel's package).
#   scripts/test-installed-wheel.sh dist/rocketmq_py-...-manylinux2014_x86_64...whl [pytest args]
# Needs RMQ_TESTKIT_BIN (the rmq-testkit test helper, not part of the wheel) and the broker.
set -euo pipefail
WHEEL="$(realpath "$1")"; shift
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rocketmq-wheel-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log() { printf 'test-installed-wheel: %s\n' "$*" >&2; }
start=$SECONDS
"$PYTHON" -m venv "$WORK/venv"
# Test-only dependencies; the wheel itself has none.
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "pytest>=8" "pytest-timeout>=2.3" \
    "uvloop>=0.19; sys_platform != 'win32'" "$WHEEL"
cp -r "$ROOT/bindings/python/tests" "$WORK/tests"
export RMQ_EXAMPLES_DIR="$ROOT/examples"   # test_examples.py runs them with the installed package
export RMQ_BENCH_DIR="$ROOT/bench"         # test_leaks.py shares bench/soak.py with make soak
cp "$ROOT/bindings/python/pyproject.toml" "$WORK/pyproject.toml"   # pytest settings only
cd "$WORK"
where="$("$WORK/venv/bin/python" -c 'import rocketmq, rocketmq._rocketmq as m; print(m.__file__)')"
case "$where" in
    "$WORK/venv/"*site-packages/rocketmq/*) log "installed extension: $where" ;;
    *) log "error: rocketmq imported from $where, not from the venv"; exit 1 ;;
esac
"$WORK/venv/bin/rocketmq" --help >/dev/null   # the console script is installed
rc=0
"$WORK/venv/bin/python" -m pytest -p no:cacheprovider "$@" || rc=$?
log "wheel $(basename "$WHEEL"): pytest exit $rc in $((SECONDS - start))s"
exit "$rc"
