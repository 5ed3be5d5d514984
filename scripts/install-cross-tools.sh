#!/usr/bin/env bash
# Install what cross builds and foreign-platform tests need (idempotent; Debian 12 as root):
#   - Debian's rustc-web / cargo-web 1.96 and rust-web-src: the std source that `-Zbuild-std`
#     builds for targets rustup cannot fetch here (Debian's sysroot is /usr)
#   - gcc-mingw-w64-x86-64 (Windows linker), wine (runs the Windows tests; `wine`, not wine64 alone)
#   - gcc-aarch64-linux-gnu + libc6-dev-arm64-cross (aarch64 linker, sysroot for qemu-user),
#     qemu-user-static (runs aarch64 binaries)
#   - binutils for the wheel checks (objdump, readelf, nm)
# The Python side (ziglang, for manylinux2014 and macOS links) is installed into the venv by the
# Makefile. Prints nothing when all is present.
set -euo pipefail
log() { printf 'install-cross-tools: %s\n' "$*" >&2; }

PKGS=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine qemu-user-static
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils llvm)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
# rustc-web installs /usr/bin/rustc-web? Debian names the binaries rustc / cargo in /usr/bin.
[ -x /usr/bin/rustc ] || { log "error: /usr/bin/rustc missing after install"; exit 1; }
[ -d /usr/lib/rustlib/src/rust/library ] || { log "error: rust-web-src did not provide /usr/lib/rustlib/src/rust/library"; exit 1; }
