"""Message trace against a real broker: a 2.x Producer and PushConsumer with
``set_message_trace(True, topic)`` (and the asyncio ``message_trace=`` kwarg); the trace topic
is read back and its records, in the Java client's text format, are decoded here by hand
(fields split on ``\\u0001``, records on ``\\u0002``) and checked."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from rocketmq import aio
from rocketmq.client import (
    ConsumeFromWhere,
    ConsumeStatus,
    LitePullConsumer,
    Message,
    Producer,
    ReceivedMessage,
)

from helpers import MakeConsumer, unique, wait_until
from testkit import TestCluster

pytestmark = pytest.mark.integration

DEADLINE = 30.0


def read_records(
    namesrv: str, trace_topic: str, want_ids: set[str], kinds: set[str]
) -> list[list[str]]:
    """Every record of ``trace_topic`` (split into fields), once each id in ``want_ids`` has
    a record of each kind in ``kinds``. AssertionError after ``DEADLINE`` s."""
    reader = LitePullConsumer(
        unique("trace_reader"),
        namesrv_addr=namesrv,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
    )
    reader.subscribe(trace_topic)
    reader.start()
    records: list[list[str]] = []

    def complete() -> bool:
        for msg_id in want_ids:
            for kind in kinds:
                # Pub/SubBefore: msgId at index 5; SubAfter: at index 2.
                at = 2 if kind == "SubAfter" else 5
                if not any(r[0] == kind and r[at] == msg_id for r in records):
                    return False
        return True

    try:
        end = time.monotonic() + DEADLINE
        while not complete():
            assert time.monotonic() < end, f"trace records incomplete: {records}"
            for m in reader.poll(500):
                text = m.body.decode("utf-8")
                assert text.endswith("\x02"), "each record ends with FIELD_SPLITOR"
                records.extend(r.split("\x01") for r in text.split("\x02") if r)
    finally:
        reader.shutdown()
    return records


def test_2x_producer_and_push_consumer_write_java_trace_records(
    cluster: TestCluster, namesrv_addr: str, make_consumer: MakeConsumer
) -> None:
    topic = unique("ttopic")
    trace_topic = unique("trace")
    cluster.create_topic(topic, queues=2)
    cluster.create_topic(trace_topic, queues=1)

    producer_group = unique("tpg")
    producer = Producer(producer_group)
    producer.set_name_server_address(namesrv_addr)
    producer.set_message_trace(True, trace_topic)
    producer.start()
    sent = {}
    try:
        for i in range(2):
            m = Message(topic)
            m.set_tags("TagP")
            m.set_keys(f"pk{i}")
            m.set_body(f"traced {i}".encode())
            r = producer.send_sync(m)
            sent[r.msg_id] = r
        stats = producer.stats()["trace"]
        assert stats["appended"] == 2
        assert stats["dropped"] == 0
    finally:
        producer.shutdown()

    consumer_group = unique("tcg")
    consumer = make_consumer(consumer_group)
    consumer.set_message_trace(True, trace_topic)
    seen: set[str] = set()
    lock = threading.Lock()

    def callback(msg: ReceivedMessage) -> ConsumeStatus:
        with lock:
            seen.add(msg.id)
        return ConsumeStatus.CONSUME_SUCCESS

    consumer.subscribe(topic, callback)
    consumer.start()
    wait_until(lambda: set(sent) <= seen, what="both messages consumed")
    consumer.shutdown()  # sends the batched records

    records = read_records(namesrv_addr, trace_topic, set(sent), {"Pub", "SubBefore", "SubAfter"})
    for msg_id, result in sent.items():
        pub = next(r for r in records if r[0] == "Pub" and r[5] == msg_id)
        assert len(pub) == 14
        assert pub[3] == producer_group
        assert pub[4] == topic
        assert pub[6] == "TagP"
        assert pub[7].startswith("pk")
        host, _, port = pub[8].rpartition(":")  # store host: the broker address sent to
        assert host
        assert port.isdigit()
        assert pub[12] == result.offset_msg_id
        assert pub[11] == "0"
        assert pub[13] == "true"
        before = next(r for r in records if r[0] == "SubBefore" and r[5] == msg_id)
        assert len(before) == 8
        assert before[3] == consumer_group
        assert before[6] == "0"
        after = next(r for r in records if r[0] == "SubAfter" and r[1] == before[4])
        assert after[2] == msg_id
        assert after[4] == "true"
        assert after[6] == "0"
        assert after[8] == consumer_group


def test_aio_message_trace_kwarg(cluster: TestCluster, namesrv_addr: str) -> None:
    topic = unique("ttopic")
    trace_topic = unique("trace")
    cluster.create_topic(topic, queues=1)
    cluster.create_topic(trace_topic, queues=1)

    async def send() -> str:
        async with aio.Producer(
            unique("tpg"), namesrv_addr=namesrv_addr, message_trace=trace_topic
        ) as p:
            m = Message(topic)
            m.set_body(b"async traced")
            return (await p.send(m)).msg_id

    msg_id = asyncio.run(send())
    records = read_records(namesrv_addr, trace_topic, {msg_id}, {"Pub"})
    pub = next(r for r in records if r[0] == "Pub" and r[5] == msg_id)
    assert pub[4] == topic
    assert (pub[6], pub[7]) == ("null", "null"), "absent tags/keys: Java's null"


def test_aio_push_consumer_traces_each_async_callback_with_its_verdict(
    cluster: TestCluster, namesrv_addr: str, producer: Producer
) -> None:
    """Async callbacks run as tasks on the loop: SubBefore/SubAfter around each; a callback
    that raises is a failed consumption (success ``false``, context code 4: reconsume later)."""
    topic = unique("ttopic")
    trace_topic = unique("trace")
    cluster.create_topic(topic, queues=1)
    cluster.create_topic(trace_topic, queues=1)
    ok = Message(topic)
    ok.set_body(b"fine")
    ok_id = producer.send_sync(ok).msg_id
    bad = Message(topic)
    bad.set_body(b"raise")
    bad_id = producer.send_sync(bad).msg_id
    group = unique("tacg")
    seen: set[bytes] = set()

    async def main() -> None:
        done = asyncio.Event()

        async def callback(msg: ReceivedMessage) -> None:
            seen.add(msg.body)
            if len(seen) == 2:
                done.set()
            if msg.body == b"raise":
                raise RuntimeError("refused on purpose")

        c = aio.PushConsumer(
            group,
            namesrv_addr=namesrv_addr,
            consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
            message_trace=trace_topic,
        )
        c.subscribe(topic, callback)
        async with c:
            await asyncio.wait_for(done.wait(), DEADLINE)

    asyncio.run(main())
    records = read_records(namesrv_addr, trace_topic, {ok_id, bad_id}, {"SubBefore", "SubAfter"})
    verdicts = {}
    for before in (r for r in records if r[0] == "SubBefore"):
        after = next(r for r in records if r[0] == "SubAfter" and r[1] == before[4])
        verdicts.setdefault(before[5], (after[4], after[6]))
    assert verdicts[ok_id] == ("true", "0")
    assert verdicts[bad_id] == ("false", "4")


def test_lite_pull_consumer_message_trace_kwarg(
    cluster: TestCluster, namesrv_addr: str, producer: Producer
) -> None:
    topic = unique("ttopic")
    trace_topic = unique("trace")
    cluster.create_topic(topic, queues=1)
    cluster.create_topic(trace_topic, queues=1)
    m = Message(topic)
    m.set_body(b"lite traced")
    msg_id = producer.send_sync(m).msg_id
    group = unique("tlcg")
    c = LitePullConsumer(
        group,
        namesrv_addr=namesrv_addr,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        message_trace=trace_topic,
    )
    c.subscribe(topic)
    c.start()
    try:
        end = time.monotonic() + DEADLINE
        while not any(r.id == msg_id for r in c.poll(500)):
            assert time.monotonic() < end, "the message was not polled"
    finally:
        c.shutdown()
    records = read_records(namesrv_addr, trace_topic, {msg_id}, {"SubBefore", "SubAfter"})
    before = next(r for r in records if r[0] == "SubBefore" and r[5] == msg_id)
    after = next(r for r in records if r[0] == "SubAfter" and r[1] == before[4])
    assert before[3] == group
    assert (after[2], after[4]) == (msg_id, "true")
