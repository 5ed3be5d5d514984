#!/usr/bin/env bash
# Build the abi3 (cp39) wheels for every supported platform into dist/ and check each one.
#   scripts/build-wheels.sh [linux-x86_64] [linux-aarch64] [windows] [macos-x86_64] [macos-arm64] [sdist]
# No argument: all of them. Needs scripts/install-cross-tools.sh and, in the venv, maturin and
# ziglang (the Makefile's `wheels` target installs both). Wheels are stripped release builds.
#   linux-x86_64   rustup's toolchain + zig: manylinux2014 (glibc 2.17)
#   others         Debian's rustc 1.96 + -Zbuild-std (scripts/cross-env.sh); Linux aarch64 and
#                  macOS link with zig, Windows with mingw-w64 (pyo3 generates python3.dll's
#                  import library)
# Each wheel is checked by scripts/check-wheel.py (size budget, glibc symbols, libraries/imports).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${VENV:-.venv}"
MATURIN="$ROOT/$VENV/bin/maturin"
PY="$ROOT/$VENV/bin/python"
DIST="${DIST:-$ROOT/dist}"
MANIFEST=bindings/python/Cargo.toml
log() { printf 'build-wheels: %s\n' "$*" >&2; }

# zig from the ziglang wheel: maturin looks for `python -m ziglang`.
export PATH="$ROOT/$VENV/bin:$PATH"
mkdir -p "$DIST"
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(linux-x86_64 linux-aarch64 windows macos-x86_64 macos-arm64 sdist)

build() { # name, then maturin args
    local name="$1"; shift
    local start=$SECONDS out
    out="$(mktemp -d)"
    log "$name: maturin build $*"
    "$MATURIN" build --release --strip --quiet -m "$MANIFEST" --out "$out" "$@" >&2
    for w in "$out"/*; do
        rm -f "$DIST/$(basename "$w")"
        mv "$w" "$DIST/"
        log "$name: $(basename "$w") in $((SECONDS - start))s"
        if [[ "$w" == *.whl ]]; then "$PY" scripts/check-wheel.py "$DIST/$(basename "$w")"; fi
    done
    rmdir "$out"
}

# Debian's cargo/rustc first, then the venv's bin again (maturin finds zig as `python -m ziglang`;
# the venv has no cargo or rustc of its own).
cross() {
    . scripts/cross-env.sh
    export PATH="$ROOT/$VENV/bin:$ROOT/scripts/cross-bin:$PATH"
    # maturin --zig sets the linker itself (zig with the glibc 2.17 target): the test linkers of
    # cross-env.sh would override it.
    unset CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER CC_aarch64_unknown_linux_gnu
}

# Security and CoreFoundation (rustls-native-certs) as text stubs: no macOS SDK here
# (scripts/macos-stubs/README.md). Final link only, so the dependencies' builds stay cached.
MACOS_FRAMEWORKS=(-C "link-arg=-F$ROOT/scripts/macos-stubs")

for t in "${targets[@]}"; do
    case "$t" in
    linux-x86_64)
        # The host toolchain (rustup) has this std; zig links against glibc 2.17 stubs.
        ( export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
          build "$t" --target x86_64-unknown-linux-gnu --zig --compatibility manylinux2014 ) ;;
    linux-aarch64)
        ( cross
          build "$t" --target aarch64-unknown-linux-gnu --zig --compatibility manylinux2014 ) ;;
    windows)
        ( cross
          build "$t" --target x86_64-pc-windows-gnu ) ;;
    macos-x86_64)
        ( cross; export MACOSX_DEPLOYMENT_TARGET=10.12
          build "$t" --target x86_64-apple-darwin --zig -- "${MACOS_FRAMEWORKS[@]}" ) ;;
    macos-arm64)
        ( cross; export MACOSX_DEPLOYMENT_TARGET=11.0
          build "$t" --target aarch64-apple-darwin --zig -- "${MACOS_FRAMEWORKS[@]}" ) ;;
    universal2)
        ( cross; export MACOSX_DEPLOYMENT_TARGET=10.12
          build "$t" --target universal2-apple-darwin --zig -- "${MACOS_FRAMEWORKS[@]}" ) ;;
    sdist)
        start=$SECONDS out="$(mktemp -d)"
        "$MATURIN" sdist -m "$MANIFEST" --out "$out" >&2
        for f in "$out"/*; do rm -f "$DIST/$(basename "$f")"; mv "$f" "$DIST/"; log "sdist: $(basename "$f") ($(du -k "$DIST/$(basename "$f")" | cut -f1) KiB) in $((SECONDS - start))s"; done
        rmdir "$out" ;;
    *) log "unknown target $t"; exit 2 ;;
    esac
done
ls -l "$DIST" >&2
