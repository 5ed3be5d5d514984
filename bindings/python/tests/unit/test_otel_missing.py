"""Without the `otel` extra, importing rocketmq.otel says what to install (the client itself
never imports it)."""

from __future__ import annotations

import subprocess
import sys


def test_import_without_opentelemetry_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "import rocketmq.client, rocketmq.aio, rocketmq.rip3\n"
        "assert 'rocketmq.otel' not in sys.modules\n"
        "try:\n"
        "    import rocketmq.otel\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'rocketmq-py[otel]'" in proc.stdout
