#!/usr/bin/env bash
# ARM Linux, proven under qemu-user (make test-aarch64):
#  1. the Rust tests of rocketmq-remoting and rocketmq-client, cross-compiled for
#     aarch64-unknown-linux-gnu and run by qemu-aarch64-static against the real broker (the
#     testkit's broker is an x86_64 binary: qemu passes execve to the host kernel, so it runs
#     natively);
#  2. the aarch64 manylinux2014 wheel (dist/, from `make wheels`) installed into Debian's arm64
#     CPython, unpacked with dpkg -x into a private root (nothing is installed into the system),
#     sending and consuming against the broker (scripts/platform_smoke.py).
# AARCH64_SKIP_RUST=1 runs only part 2; AARCH64_TEST_ARGS adds cargo test arguments.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
log() { printf 'test-aarch64: %s\n' "$*" >&2; }
export ROCKETMQ_RUST_HOME="${ROCKETMQ_RUST_HOME:-$(scripts/install-broker.sh)}"
total=$SECONDS

# ---- 1. Rust tests under qemu -----------------------------------------------------------------
# The testkit inside the emulated test binaries starts the servers itself (no RMQ_TESTKIT_REMOTE as
# under Wine): qemu-user hands the x86_64 broker's execve to the host kernel, and kill/wait on it
# are plain syscalls. --no-fail-fast so one failure still shows every other binary's counts.
[ "${AARCH64_SKIP_RUST:-0}" = 1 ] || ( . scripts/cross-env.sh
  start=$SECONDS
  cargo test --target aarch64-unknown-linux-gnu --no-run -p rocketmq-remoting -p rocketmq-client --lib --tests 2>&1 | tail -n 3 >&2
  log "cross build in $((SECONDS - start))s"
  start=$SECONDS
  out="$(mktemp)"
  status=0
  # No panic backtraces: under qemu, symbolizing one takes seconds, so the test whose listener
  # panics on purpose answered the broker's relayed CONSUME_MESSAGE_DIRECTLY after the broker's
  # own deadline (a native run symbolizes in milliseconds). AARCH64_RUST_BACKTRACE=1 brings them back.
  RUST_BACKTRACE="${AARCH64_RUST_BACKTRACE:-0}" \
  cargo test --target aarch64-unknown-linux-gnu -p rocketmq-remoting -p rocketmq-client --lib --tests \
      --no-fail-fast ${AARCH64_TEST_ARGS:-} 2>&1 | tee "$out" || status=$?
  counts="$(awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed", p, f }' "$out")"
  rm -f "$out"
  [ "$status" = 0 ] || { log "rust tests under qemu-aarch64: FAILED ($counts) in $((SECONDS - start))s"; exit "$status"; }
  log "rust tests under qemu-aarch64: $counts in $((SECONDS - start))s" )

# ---- 2. the wheel in an arm64 Python ------------------------------------------------------------
WHEEL="$(ls -t dist/rocketmq_py-*-cp39-abi3-manylinux2014_aarch64*.whl 2>/dev/null | head -1 || true)"
if [ -z "$WHEEL" ]; then
    log "no aarch64 wheel in dist/: building it"
    scripts/build-wheels.sh linux-aarch64
    WHEEL="$(ls -t dist/rocketmq_py-*-cp39-abi3-manylinux2014_aarch64*.whl | head -1)"
fi
PYROOT="${AARCH64_PYROOT:-$HOME/.cache/rocketmq-py/arm64-python}"
if [ ! -x "$PYROOT/usr/bin/python3.11" ]; then
    log "fetching Debian's arm64 CPython into $PYROOT (apt-get download + dpkg -x)"
    dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update -qq; }
    dl="$(mktemp -d)"
    ( cd "$dl" && apt-get download -qq python3.11-minimal:arm64 libpython3.11-minimal:arm64 \
        libpython3.11-stdlib:arm64 libexpat1:arm64 zlib1g:arm64 libffi8:arm64 libssl3:arm64 \
        libbz2-1.0:arm64 liblzma5:arm64 libuuid1:arm64 libsqlite3-0:arm64 \
        libncursesw6:arm64 libtinfo6:arm64 libreadline8:arm64 libdb5.3:arm64 libcrypt1:arm64 )
    mkdir -p "$PYROOT"
    for deb in "$dl"/*.deb; do dpkg -x "$deb" "$PYROOT"; done
    rm -rf "$dl"
fi
SITE="$(mktemp -d)"
trap 'rm -rf "$SITE"; [ -n "${TK_PID:-}" ] && kill "$TK_PID" 2>/dev/null || true' EXIT
# A wheel install is an unzip into site-packages (no scripts to run: the wheel has no deps).
python3 -m zipfile -e "$WHEEL" "$SITE"
QEMU_LD="$PYROOT:/usr/aarch64-linux-gnu"
pyarm() {
    LD_LIBRARY_PATH="$PYROOT/usr/lib/aarch64-linux-gnu:$PYROOT/lib/aarch64-linux-gnu" \
    PYTHONHOME="$PYROOT/usr" PYTHONPATH="$SITE" \
    qemu-aarch64-static -L /usr/aarch64-linux-gnu "$PYROOT/usr/bin/python3.11" "$@"
}
pyarm -c 'import platform, rocketmq._rocketmq as m; print(platform.machine(), m.__file__)'

# A cluster from the native testkit binary, a topic, then the smoke run.
cargo build -q -p rocketmq-testkit --bin rmq-testkit
TK="${CARGO_TARGET_DIR:-$ROOT/target}/debug/rmq-testkit"
coproc TKP { "$TK" cluster --namesrvs 1 --brokers 1; }
TK_PID=$TKP_PID
read -r -t 120 line <&"${TKP[0]}"
ns="$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ok"], d; print(d["namesrv_addr"])' "$line")"
topic="aarch64_smoke_$$"
echo "create-topic $topic 4" >&"${TKP[1]}"; read -r -t 60 line <&"${TKP[0]}"; log "create-topic: $line"
start=$SECONDS
pyarm scripts/platform_smoke.py "$ns" "$topic" 100
log "arm64 python + aarch64 wheel: send/consume ok in $((SECONDS - start))s"
echo stop >&"${TKP[1]}"
wait "$TK_PID" || true
TK_PID=""
log "all ok in $((SECONDS - total))s"
