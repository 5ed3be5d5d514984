#!/usr/bin/env python3
"""Check a built wheel: what users get must install and load on the platforms it claims.

    scripts/check-wheel.py dist/rocketmq_py-*.whl [--max-mb 4]

Per wheel: size within the budget; the package files are there (rocketmq/__init__.py, the
.pyi stubs, py.typed); the extension is stripped (no .debug_* sections / symbol table) and:
  Linux    every GLIBC_/GCC_ symbol version <= manylinux2014's (glibc 2.17) and DT_NEEDED only
           libc, libm, libpthread, libdl, librt, libgcc_s, the dynamic loader
  Windows  the .pyd imports python3.dll (abi3, not python3X.dll) and system DLLs only
           (no libgcc_s / libwinpthread / libstdc++ from mingw)
  macOS    LC_LOAD_DYLIB only /usr/lib/libSystem, libiconv, libcharset (and system frameworks),
           minimum macOS version not above the tag's
Uses readelf / x86_64-w64-mingw32-objdump (binutils); Mach-O is parsed here. Prints one line per
check; exits 1 when any fails.
"""

from __future__ import annotations

import argparse
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LINUX_LIBS = {
    "libc.so.6",
    "libm.so.6",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libgcc_s.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
}
MAX_GLIBC = (2, 17)
MAX_GCC = (4, 8, 0)
WINDOWS_DLLS = {
    "python3.dll",
    "kernel32.dll",
    "ntdll.dll",
    "ws2_32.dll",
    "advapi32.dll",
    "userenv.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "msvcrt.dll",
    "shell32.dll",
    "ole32.dll",
    "secur32.dll",
    "crypt32.dll",
    "ncrypt.dll",
    "iphlpapi.dll",
}
WINDOWS_DLL_PREFIXES = ("api-ms-win-",)
MACOS_LIBS = {"/usr/lib/libSystem.B.dylib", "/usr/lib/libiconv.2.dylib", "/usr/lib/libcharset.1.dylib"}

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def vtuple(s: str) -> tuple[int, ...]:
    return tuple(int(x) for x in s.split("."))


def check_elf(so: Path) -> None:
    sections = run("readelf", "-SW", str(so))
    check(".debug_" not in sections and ".symtab" not in sections, "stripped (no .debug_*, no .symtab)")
    versions = set(re.findall(r"\b(GLIBC|GCC)_([0-9.]+)\b", run("readelf", "-VW", str(so))))
    glibc = sorted([vtuple(v) for k, v in versions if k == "GLIBC"] or [(0,)])
    gcc = sorted([vtuple(v) for k, v in versions if k == "GCC"] or [(0,)])
    top = ".".join(map(str, glibc[-1]))
    check(glibc[-1] <= MAX_GLIBC, f"highest GLIBC symbol version {top} <= 2.17")
    check(gcc[-1] <= MAX_GCC, f"highest GCC symbol version {'.'.join(map(str, gcc[-1]))} <= 4.8.0")
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run("readelf", "-dW", str(so)))
    extra = sorted(set(needed) - LINUX_LIBS)
    check(not extra, f"DT_NEEDED {', '.join(needed)}" + (f" (not allowed: {extra})" if extra else ""))


def check_pe(pyd: Path) -> None:
    dump = run("x86_64-w64-mingw32-objdump", "-p", "-h", str(pyd))
    check(".debug_" not in dump, "stripped (no .debug_* sections)")
    dlls = re.findall(r"DLL Name: (\S+)", dump)
    low = [d.lower() for d in dlls]
    extra = sorted(d for d in low if d not in WINDOWS_DLLS and not d.startswith(WINDOWS_DLL_PREFIXES))
    check("python3.dll" in low, "imports python3.dll (abi3)")
    check(not any(re.fullmatch(r"python3\d+\.dll", d) for d in low), "no versioned python3X.dll")
    check(not extra, f"imports {', '.join(dlls)}" + (f" (not allowed: {extra})" if extra else ""))


LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB = 0xC, 0x80000018, 0x8000001F
LC_VERSION_MIN_MACOSX, LC_BUILD_VERSION, LC_SYMTAB, LC_SEGMENT_64 = 0x24, 0x32, 0x2, 0x19


def macho_slices(data: bytes) -> list[bytes]:
    magic = struct.unpack(">I", data[:4])[0]
    if magic == 0xCAFEBABE:  # fat (universal2): big-endian header
        n = struct.unpack(">I", data[4:8])[0]
        out = []
        for i in range(n):
            _cpu, _sub, off, size, _align = struct.unpack(">iiIII", data[8 + 20 * i : 28 + 20 * i])
            out.append(data[off : off + size])
        return out
    return [data]


def check_macho(dylib: Path, tag_min: tuple[int, ...]) -> None:
    for sl in macho_slices(dylib.read_bytes()):
        magic, cpu, _sub, _ft, ncmds, _size, _flags = struct.unpack("<IiiIIII", sl[:28])
        if magic != 0xFEEDFACF:
            check(False, f"64-bit little-endian Mach-O (magic {magic:#x})")
            continue
        arch = {0x01000007: "x86_64", 0x0100000C: "arm64"}.get(cpu, hex(cpu))
        # Debug info is a __DWARF segment or __debug_* sections: a load-command check, since the
        # bytes "__DWARF" also occur as a string in std's own Mach-O symbolizer (backtraces).
        off, libs, minos, has_debug = 32, [], None, False
        for _ in range(ncmds):
            cmd, size = struct.unpack("<II", sl[off : off + 8])
            if cmd in (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB):
                name_off = struct.unpack("<I", sl[off + 8 : off + 12])[0]
                libs.append(sl[off + name_off : off + size].split(b"\0")[0].decode())
            elif cmd == LC_SEGMENT_64:
                segname = sl[off + 8 : off + 24].rstrip(b"\0")
                nsects = struct.unpack("<I", sl[off + 64 : off + 68])[0]
                sectnames = [sl[off + 72 + 80 * i : off + 88 + 80 * i].rstrip(b"\0") for i in range(nsects)]
                has_debug |= segname == b"__DWARF" or any(n.startswith(b"__debug_") for n in sectnames)
            elif cmd == LC_BUILD_VERSION:
                v = struct.unpack("<I", sl[off + 12 : off + 16])[0]
                minos = (v >> 16, (v >> 8) & 0xFF)
            elif cmd == LC_VERSION_MIN_MACOSX:
                v = struct.unpack("<I", sl[off + 8 : off + 12])[0]
                minos = (v >> 16, (v >> 8) & 0xFF)
            off += size
        extra = sorted(
            lib for lib in libs if lib not in MACOS_LIBS and not lib.startswith("/System/Library/Frameworks/")
        )
        check(not has_debug, f"{arch}: no __DWARF segment")
        check(not extra, f"{arch}: links {', '.join(libs)}" + (f" (not allowed: {extra})" if extra else ""))
        check(minos is not None and minos <= tag_min, f"{arch}: minimum macOS {minos} <= tag's {tag_min}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("wheel", type=Path)
    ap.add_argument("--max-mb", type=float, default=4.0)
    args = ap.parse_args()
    whl: Path = args.wheel
    size = whl.stat().st_size
    print(f"{whl.name}: {size / 1e6:.2f} MB")
    check(size <= args.max_mb * 1e6, f"size {size / 1e6:.2f} MB <= {args.max_mb} MB")
    check("-cp39-abi3-" in whl.name, "abi3 tag cp39-abi3")
    with zipfile.ZipFile(whl) as z, tempfile.TemporaryDirectory() as tmp:
        names = z.namelist()
        for need in ("rocketmq/__init__.py", "rocketmq/py.typed", "rocketmq/_rocketmq.pyi"):
            check(need in names, f"contains {need}")
        ext = [n for n in names if re.match(r"rocketmq/_rocketmq\.(abi3\.so|pyd|so)$", n)]
        check(len(ext) == 1, f"one extension module: {ext}")
        if not ext:
            return 1
        path = Path(z.extract(ext[0], tmp))
        print(f"  extension {ext[0]}: {path.stat().st_size / 1e6:.2f} MB")
        if "manylinux" in whl.name or "linux" in whl.name:
            check("manylinux2014" in whl.name or "manylinux_2_17" in whl.name, "manylinux2014 tag")
            check_elf(path)
        elif "win_amd64" in whl.name:
            check_pe(path)
        elif "macosx" in whl.name:
            m = re.search(r"macosx_(\d+)_(\d+)", whl.name)
            check_macho(path, (int(m.group(1)), int(m.group(2))) if m else (0, 0))
        else:
            check(False, f"known platform tag in {whl.name}")
    if failures:
        print(f"{whl.name}: {len(failures)} check(s) failed")
        return 1
    print(f"{whl.name}: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
