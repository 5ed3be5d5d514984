# Sourced by the cross-build scripts: Debian's rustc/cargo 1.96 (rustc-web, cargo-web) ahead of the
# rustup proxies, with -Zbuild-std for std and panic_abort from rust-web-src. rustup here has only
# the x86_64 Linux std and cannot fetch targets; Debian's sysroot (/usr) has the std source.
# Each target rebuilds std once per profile (2-3 min); all share CROSS_TARGET_DIR.
export PATH="/usr/bin:$PATH"
export RUSTC=/usr/bin/rustc
export CARGO=/usr/bin/cargo
export RUSTC_BOOTSTRAP=1
export CARGO_UNSTABLE_BUILD_STD="std,panic_abort"
export CARGO_TARGET_DIR="${CROSS_TARGET_DIR:-/work/target-cross}"
# Linkers and runners for the test binaries (the wheels link with zig or mingw through maturin).
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="${CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER:-wine}"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER:-qemu-aarch64-static -L /usr/aarch64-linux-gnu}"
export CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
