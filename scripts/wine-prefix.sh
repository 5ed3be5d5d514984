#!/usr/bin/env bash
# Prepare the Wine prefix the Windows tests run in (idempotent) and print its path.
#   export WINEPREFIX="$(scripts/wine-prefix.sh)"
# Default: ~/.cache/rocketmq-py/wine (WINEPREFIX to override). Adds bcryptprimitives.dll
# (scripts/wine/bcryptprimitives.c, built with mingw-w64) to system32: Wine 8.0 lacks it.
set -euo pipefail
cd "$(dirname "$0")"
PREFIX="${WINEPREFIX:-$HOME/.cache/rocketmq-py/wine}"
export WINEPREFIX="$PREFIX" WINEDEBUG="${WINEDEBUG:--all}" WINEDLLOVERRIDES="mscoree,mshtml="
if [ ! -f "$PREFIX/system.reg" ]; then
    printf 'wine-prefix: creating %s\n' "$PREFIX" >&2
    mkdir -p "$PREFIX"
    wineboot --init >/dev/null 2>&1 || true
    wineserver -w || true
fi
DLL="$PREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$DLL" ] || [ wine/bcryptprimitives.c -nt "$DLL" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -s -o "$DLL" wine/bcryptprimitives.c -ladvapi32
    printf 'wine-prefix: installed %s\n' "$DLL" >&2
fi
echo "$PREFIX"
