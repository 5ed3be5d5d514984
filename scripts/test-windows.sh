#!/usr/bin/env bash
# Windows, proven under Wine (make test-windows): the Rust tests of rocketmq-remoting and
# rocketmq-client (unit tests, codec goldens, connection faults against fake servers, producer,
# push/lite-pull consumers, admin, local offset files) cross-compiled for x86_64-pc-windows-gnu
# and run by `wine` against the real broker on 127.0.0.1.
# Wine cannot give a Windows process a handle on a Linux child (spawning one fails with
# "Invalid handle"), so the Linux servers are started by a native `rmq-testkit serve`, and the
# Windows test binaries' testkit asks it for each cluster over loopback (RMQ_TESTKIT_REMOTE).
#   WINDOWS_TEST_ARGS="-- --test-threads 1"  extra cargo test arguments
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
log() { printf 'test-windows: %s\n' "$*" >&2; }
export ROCKETMQ_RUST_HOME="${ROCKETMQ_RUST_HOME:-$(scripts/install-broker.sh)}"
total=$SECONDS
export WINEPREFIX="$(scripts/wine-prefix.sh)"
export WINEDEBUG="${WINEDEBUG:--all}"

# The native cluster server (host toolchain; the same binary the Python tests use).
cargo build -q -p rocketmq-testkit --bin rmq-testkit
TK="${CARGO_TARGET_DIR:-$ROOT/target}/debug/rmq-testkit"
coproc TKP { "$TK" serve --listen 127.0.0.1:0; }
TK_PID=$TKP_PID
exec {TK_IN}>&"${TKP[1]}"
# serve stops on stdin EOF: close every write end of its stdin, the coproc's own too (closing
# only the copy left it waiting for input and this trap waiting for it, forever).
stop_serve() {
    exec {TK_IN}>&-
    [ -z "${TKP[1]:-}" ] || eval "exec ${TKP[1]}>&-"
    wait "$TK_PID" 2>/dev/null || true
    wineserver -k 2>/dev/null || true
}
trap stop_serve EXIT
read -r -t 30 line <&"${TKP[0]}"
export RMQ_TESTKIT_REMOTE="$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ok"], d; print(d["listen"])' "$line")"
log "rmq-testkit serve on $RMQ_TESTKIT_REMOTE (pid $TK_PID)"

( . scripts/cross-env.sh
  start=$SECONDS
  cargo test --target x86_64-pc-windows-gnu --no-run -p rocketmq-remoting -p rocketmq-client 2>&1 | tail -n 3 >&2
  log "cross build in $((SECONDS - start))s"
  start=$SECONDS
  # --lib --tests: doctests are not cross-run. --no-fail-fast so one failure still shows every
  # other binary's counts.
  out="$(mktemp)"
  status=0
  cargo test --target x86_64-pc-windows-gnu -p rocketmq-remoting -p rocketmq-client --lib --tests \
      --no-fail-fast ${WINDOWS_TEST_ARGS:-} 2>&1 | tee "$out" || status=$?
  counts="$(awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed", p, f }' "$out")"
  rm -f "$out"
  [ "$status" = 0 ] || { log "tests under wine: FAILED ($counts) in $((SECONDS - start))s"; exit "$status"; }
  log "tests under wine: $counts in $((SECONDS - start))s" )
log "all ok in $((SECONDS - total))s"
