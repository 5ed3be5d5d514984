"""Shared benchmark helpers: a real local cluster, percentiles, the Rust reference runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bindings" / "python" / "tests"))

from testkit import TestCluster

__all__ = ["TestCluster", "percentile", "ratio", "run_rust_reference"]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round((len(sorted_values) - 1) * p))
    return sorted_values[index]


def run_rust_reference(
    binary: str, args: list[str], timeout: float = 600
) -> dict[str, dict[str, Any]]:
    """Run a Rust bench example and index its JSON lines by their "mode"."""
    out = subprocess.run(
        [binary, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"{binary} failed ({out.returncode}): {out.stderr[-2000:]}")
    results: dict[str, dict[str, Any]] = {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            record = json.loads(line)
            results[record["mode"]] = record
    return results


def ratio(python_value: float, rust_value: float) -> str:
    return f"{python_value / rust_value:.2f}x" if rust_value else "n/a"
