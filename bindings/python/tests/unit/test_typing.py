"""The hand-written stubs match the native module, and the package type-checks (mypy strict).

Lint target equivalent: `python -m mypy.stubtest rocketmq._rocketmq` and `mypy` run from
bindings/python (configuration in pyproject.toml).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


@pytest.mark.timeout(120)
def test_stubtest() -> None:
    done = run("mypy.stubtest", "rocketmq._rocketmq")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(120)
def test_mypy_strict() -> None:
    done = run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
