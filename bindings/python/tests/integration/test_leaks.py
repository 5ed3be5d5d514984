"""Leaks (issue #10, "Soak and leaks"): a bounded soak through the Python API, and 100
start/shutdown cycles of a producer and a push consumer that must not leave threads, file
descriptors or memory behind. The 1M-message soak is ``make soak`` (bench/soak.py)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rocketmq.client import Message, Producer, PushConsumer, SendStatus

from helpers import unique, wait_until
from testkit import TestCluster

pytestmark = [pytest.mark.integration]

# The repository's bench/ (RMQ_BENCH_DIR when the tests run from a copy, as make test-wheel does).
BENCH = Path(os.environ.get("RMQ_BENCH_DIR") or Path(__file__).resolve().parents[4] / "bench")
WARMUP_CYCLES = 10
CYCLES = 100
# Loose bounds: the 1M soak measures the real figure; these catch a per-message or per-cycle
# leak (100 cycles leaking one 64 KiB buffer each already exceed 6 MiB).
SOAK_RSS_BOUND_MB = 30.0
CYCLE_RSS_BOUND_MB = 20.0


def soak() -> ModuleType:
    """bench/soak.py, whose ``run`` is shared with ``make soak``."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module("soak")


@pytest.mark.timeout(240)
def test_bounded_soak_loses_nothing_and_memory_settles(cluster: TestCluster) -> None:
    topic = unique("soak")
    cluster.create_topic(topic, queues=4)
    figures = soak().run(
        cluster.namesrv_addr,
        topic,
        messages=20_000,
        n_threads=4,
        body_size=128,
        warmup=0.25,
        sample_every=0.2,
        drain_timeout=120.0,
    )
    assert figures["sent_failed"] == 0, figures
    assert figures["lost"] == 0, figures
    assert figures["consumed_unique"] == 20_000, figures
    assert float(figures["rss_growth_mb"]) < SOAK_RSS_BOUND_MB, figures


@pytest.mark.timeout(300)
def test_start_shutdown_cycles_leave_no_threads_fds_or_memory(
    namesrv_addr: str, topic: str
) -> None:
    mod = soak()

    def cycle(i: int) -> None:
        producer = Producer(unique("pg"))
        producer.set_name_server_address(namesrv_addr)
        producer.start()
        msg = Message(topic)
        msg.set_body(f"cycle-{i}".encode())
        assert producer.send_sync(msg).status is SendStatus.OK
        producer.shutdown()
        consumer = PushConsumer(unique("cg"))
        consumer.set_name_server_address(namesrv_addr)
        consumer.subscribe(topic, lambda _msg: None)
        consumer.start()
        consumer.shutdown()

    for i in range(WARMUP_CYCLES):
        cycle(i)
    threads, fds, rss = mod.threads(), mod.fds(), mod.rss_mb()
    for i in range(WARMUP_CYCLES, CYCLES):
        cycle(i)
    # Threads of the runtime's blocking pool end after 10 s idle; closed sockets go at once.
    wait_until(lambda: mod.threads() <= threads, what=f"threads back to {threads}")
    wait_until(lambda: mod.fds() <= fds, what=f"file descriptors back to {fds}")
    growth = mod.rss_mb() - rss
    assert growth < CYCLE_RSS_BOUND_MB, f"RSS grew {growth:.1f} MiB over {CYCLES} cycles"
