"""Every example in examples/ runs against the real broker and exits 0 (each checks what it
consumed itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import unique
from testkit import TestCluster

pytestmark = pytest.mark.integration

# The repository's examples/ (the installed-wheel run copies the tests elsewhere and says where).
EXAMPLES = Path(
    os.environ.get("RMQ_EXAMPLES_DIR") or Path(__file__).resolve().parents[4] / "examples"
)
TOPIC_EXAMPLES = [
    "lite_pull_consumer.py",
    "aio_push_consumer.py",
    "pull_consumer.py",
    "transaction_producer.py",
    "request_reply.py",
]


@pytest.mark.parametrize("name", TOPIC_EXAMPLES)
def test_example_runs(cluster: TestCluster, name: str) -> None:
    topic = unique("extopic")
    cluster.create_topic(topic, queues=2)
    env = {**os.environ, "NAMESRV_ADDR": cluster.namesrv_addr}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), topic],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, (proc.stdout, proc.stderr[-3000:])
