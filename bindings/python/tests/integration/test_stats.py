"""Client statistics (issue #11 §2) against a real broker: ``stats()`` counts match what was
sent and consumed, a failed send is counted by its kind, ``set_stats_callback`` fires."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from rocketmq import exceptions as exc
from rocketmq.client import ConsumeStatus, Message, Producer, ReceivedMessage

from helpers import MakeConsumer, unique, wait_until
from testkit import TestCluster

pytestmark = pytest.mark.integration


def test_counts_match_and_failures_are_counted_by_kind(
    cluster: TestCluster, namesrv_addr: str, make_consumer: MakeConsumer
) -> None:
    topic = unique("stopic")
    cluster.create_topic(topic, queues=2)
    p = Producer(unique("spg"))
    p.set_name_server_address(namesrv_addr)
    assert p.stats() == {}, "empty before start"
    p.start()
    try:
        for i in range(4):
            m = Message(topic)
            m.set_body(f"s{i}".encode())
            p.send_sync(m)
        with pytest.raises(exc.ProducerSendSyncFailed):
            p.send_sync(Message(topic))  # empty body: refused before any I/O
        s = p.stats()
    finally:
        p.shutdown()
    assert s["sends_ok"] == 4
    assert s["sends_failed"] == 1
    assert s["sends_failed_by_kind"] == {"invalid_message": 1}
    assert s["in_flight"] == 0
    lat = s["send_latency"]
    assert lat["count"] == 4
    assert 0 < lat["p50_ms"] <= lat["p99_ms"] <= lat["max_ms"]
    assert s["connections"]["connects"] >= 2

    got: set[bytes] = set()
    lock = threading.Lock()

    def callback(msg: ReceivedMessage) -> ConsumeStatus:
        with lock:
            got.add(msg.body)
        return ConsumeStatus.CONSUME_SUCCESS

    c = make_consumer()
    c.subscribe(topic, callback)
    c.start()
    wait_until(lambda: len(got) == 4, what="4 consumed")
    wait_until(lambda: c.stats()["consumed_ok"] == 4, what="consumed_ok counted")
    cs = c.stats()
    assert cs["consumed_failed"] == 0
    assert cs["pulled_msgs"] >= 4
    assert cs["rebalance"]["rounds"] >= 1
    mine = {k: v for k, v in cs["queues"].items() if k.startswith(f"{topic}@")}
    assert len(mine) == 2
    assert all(
        set(v) == {"cached_msgs", "cached_bytes", "committed_offset", "lag"} for v in mine.values()
    )


def test_stats_callback_fires_while_running(namesrv_addr: str) -> None:
    p = Producer(unique("spg"))
    p.set_name_server_address(namesrv_addr)
    seen: queue.Queue[dict[str, Any]] = queue.Queue()
    p.set_stats_callback(seen.put, 0.05)
    with pytest.raises(ValueError, match="interval"):
        p.set_stats_callback(seen.put, 0)
    p.start()
    try:
        first = seen.get(timeout=20)
        second = seen.get(timeout=20)
        assert first["group"] == second["group"] == p.group
        assert "send_latency" in first
    finally:
        p.shutdown()


def test_stats_callback_set_after_start_fires(namesrv_addr: str) -> None:
    """Set from a Python thread once the producer runs (outside the core's runtime)."""
    p = Producer(unique("spg"))
    p.set_name_server_address(namesrv_addr)
    p.start()
    seen: queue.Queue[dict[str, Any]] = queue.Queue()
    try:
        p.set_stats_callback(seen.put, 0.05)
        assert seen.get(timeout=20)["group"] == p.group
    finally:
        p.shutdown()


def test_prometheus_text_of_a_running_producer(namesrv_addr: str, topic: str) -> None:
    from rocketmq.stats import to_text

    p = Producer(unique("spg"))
    p.set_name_server_address(namesrv_addr)
    p.start()
    try:
        m = Message(topic)
        m.set_body(b"x")
        p.send_sync(m)
        text = to_text(p.stats())
    finally:
        p.shutdown()
    labels = f'client_id="{p.client_id}",group="{p.group}"'
    assert f"rocketmq_sends_ok{{{labels}}} 1.0" in text
    assert f"rocketmq_send_latency_count{{{labels}}} 1.0" in text
