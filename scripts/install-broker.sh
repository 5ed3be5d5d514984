#!/usr/bin/env bash
# Install the rocketmq-rust 1.0.0 name server and broker used by every test, demo and benchmark.
#
#   scripts/install-broker.sh            # prints the install root on stdout (exit 0)
#   export ROCKETMQ_RUST_HOME="$(scripts/install-broker.sh)"
#
# Binaries land in "$ROCKETMQ_RUST_HOME/bin" (default ~/.cache/rocketmq-py/rocketmq-rust-1.0.0/bin):
#   rocketmq-namesrv-rust, rocketmq-broker-rust
#
# Idempotent: when both binaries are present (and report version 1.0.0) it only prints the path.
# Otherwise it runs `cargo install --locked` with a persistent CARGO_TARGET_DIR, so a rerun after
# a failed or interrupted build reuses the compiled dependencies. A lock file serializes
# concurrent callers (e.g. `make demo` and `make test` started together): the second one waits
# and then finds the binaries installed.
#
# Needs only cargo (rustup) and a C compiler; the build takes ~9-10 min on 2 idle cores.
# Environment:
#   ROCKETMQ_RUST_HOME          install root (default ~/.cache/rocketmq-py/rocketmq-rust-1.0.0)
#   ROCKETMQ_RUST_BUILD_DIR     cargo target dir (default <parent of install root>/build-target)
#   ROCKETMQ_RUST_KEEP_BUILD=1  keep the target dir after a successful install (default: removed)
#   ROCKETMQ_RUST_LOCK_WAIT     seconds to wait for another install's lock (default 3600)
set -euo pipefail

VERSION="1.0.0"
NAMESRV_BIN="rocketmq-namesrv-rust"
BROKER_BIN="rocketmq-broker-rust"

log() { printf 'install-broker: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ -n "${HOME:-}" ] || [ -n "${ROCKETMQ_RUST_HOME:-}" ] || die "neither HOME nor ROCKETMQ_RUST_HOME is set"
ROOT="${ROCKETMQ_RUST_HOME:-$HOME/.cache/rocketmq-py/rocketmq-rust-$VERSION}"
ROOT="${ROOT%/}"
PARENT="$(dirname "$ROOT")"
BUILD_DIR="${ROCKETMQ_RUST_BUILD_DIR:-$PARENT/build-target}"
LOCK_FILE="$ROOT.lock"
LOCK_WAIT="${ROCKETMQ_RUST_LOCK_WAIT:-3600}"

# A binary counts as installed when it is executable and `--version` reports our version
# (`rocketmq-*-rust --version` prints "<name>\nversion=1.0.0" and exits 0 without starting).
installed_ok() {
    local bin="$ROOT/bin/$1"
    [ -x "$bin" ] || return 1
    "$bin" --version 2>/dev/null | grep -qx "version=$VERSION"
}
both_installed() { installed_ok "$NAMESRV_BIN" && installed_ok "$BROKER_BIN"; }

if both_installed; then
    echo "$ROOT"
    exit 0
fi

mkdir -p "$PARENT" || die "cannot create $PARENT"

# ---- lock: flock(1) when available (util-linux), else an atomic mkdir lock ----------------
LOCK_DIR=""
release_lock() {
    if [ -n "$LOCK_DIR" ]; then rm -rf "$LOCK_DIR"; fi
}
acquire_lock() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$LOCK_FILE" || die "cannot open lock file $LOCK_FILE"
        if ! flock -n 9; then
            log "another install holds $LOCK_FILE; waiting up to ${LOCK_WAIT}s"
            flock -w "$LOCK_WAIT" 9 || die "timed out after ${LOCK_WAIT}s waiting for $LOCK_FILE"
        fi
        return 0
    fi
    local dir="$LOCK_FILE.d" waited=0 owner
    while ! mkdir "$dir" 2>/dev/null; do
        owner="$(cat "$dir/pid" 2>/dev/null || true)"
        if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
            log "removing stale lock of dead process $owner"
            rm -rf "$dir"
            continue
        fi
        [ "$waited" -eq 0 ] && log "another install holds $dir; waiting up to ${LOCK_WAIT}s"
        [ "$waited" -ge "$LOCK_WAIT" ] && die "timed out after ${LOCK_WAIT}s waiting for $dir"
        sleep 2
        waited=$((waited + 2))
    done
    echo "$$" >"$dir/pid"
    LOCK_DIR="$dir"
    trap release_lock EXIT
    trap 'release_lock; exit 130' INT
    trap 'release_lock; exit 143' TERM
}
acquire_lock

# Another caller may have finished the install while we waited for the lock.
if both_installed; then
    log "installed by a concurrent caller"
    echo "$ROOT"
    exit 0
fi

# ---- cargo ------------------------------------------------------------------------------------
CARGO="${CARGO:-}"
if [ -z "$CARGO" ]; then
    if command -v cargo >/dev/null 2>&1; then
        CARGO="$(command -v cargo)"
    elif [ -x "$HOME/.cargo/bin/cargo" ]; then
        CARGO="$HOME/.cargo/bin/cargo"
    else
        die "cargo not found: install Rust with rustup (https://rustup.rs) and retry"
    fi
fi
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 \
    || log "warning: no C compiler (cc/gcc) on PATH; aws-lc-sys and zstd-sys need one"

# Reinstall over binaries of another version (or half-written ones).
FORCE=()
if [ -e "$ROOT/bin/$NAMESRV_BIN" ] || [ -e "$ROOT/bin/$BROKER_BIN" ]; then
    FORCE=(--force)
fi

log "building rocketmq-namesrv@$VERSION and rocketmq-broker@$VERSION into $ROOT"
log "cargo: $CARGO ($("$CARGO" --version 2>/dev/null || echo unknown)); target dir: $BUILD_DIR"
log "this takes ~9-10 min on 2 idle cores; a rerun after a failure resumes from the target dir"
# A lighter release profile than the broker's own (fat LTO, 1 codegen unit): the test broker
# needs to be fast enough for the benchmarks, not as fast as possible, and a newcomer's first
# `make demo` waits for this build. Config-level profile settings override the manifest's.
# Each can be overridden from the environment (ROCKETMQ_RUST_OPT_LEVEL=3 ... for a full build).
# opt-level 1: a fresh-clone `make demo` in about 10 min on 2 cores (opt-level 2: 15-16 min for
# the broker alone); the broker drains and sends about a tenth slower than at opt-level 2, which
# the benchmarks' same-run ratios do not see (docs/platforms.md).
export CARGO_PROFILE_RELEASE_LTO="${ROCKETMQ_RUST_LTO:-false}"
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS="${ROCKETMQ_RUST_CODEGEN_UNITS:-16}"
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${ROCKETMQ_RUST_OPT_LEVEL:-1}"
export CARGO_PROFILE_RELEASE_DEBUG="${ROCKETMQ_RUST_DEBUG:-false}"
export CARGO_PROFILE_RELEASE_INCREMENTAL=false
log "profile: lto=$CARGO_PROFILE_RELEASE_LTO codegen-units=$CARGO_PROFILE_RELEASE_CODEGEN_UNITS opt-level=$CARGO_PROFILE_RELEASE_OPT_LEVEL debug=$CARGO_PROFILE_RELEASE_DEBUG"
start=$(date +%s)
status=0
CARGO_TARGET_DIR="$BUILD_DIR" "$CARGO" install --locked ${FORCE[@]+"${FORCE[@]}"} --root "$ROOT" \
    "rocketmq-namesrv@$VERSION" "rocketmq-broker@$VERSION" >&2 || status=$?
elapsed=$(( $(date +%s) - start ))
if [ "$status" -ne 0 ]; then
    die "cargo install failed (exit $status) after ${elapsed}s; rerun this script to resume"
fi
both_installed || die "cargo install succeeded but $ROOT/bin/{$NAMESRV_BIN,$BROKER_BIN} do not report version=$VERSION"
log "installed in $((elapsed / 60))m$((elapsed % 60))s: $ROOT/bin/$NAMESRV_BIN $ROOT/bin/$BROKER_BIN"

if [ "${ROCKETMQ_RUST_KEEP_BUILD:-0}" != "1" ] && [ -d "$BUILD_DIR" ]; then
    log "removing build dir $BUILD_DIR (set ROCKETMQ_RUST_KEEP_BUILD=1 to keep it)"
    rm -rf "$BUILD_DIR"
fi
echo "$ROOT"
