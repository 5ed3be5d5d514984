"""The route snapshot (issue #10): a client started while every name server is down publishes
and consumes through the routes a previous client saved, and says so in the log. Also the
``send_attempt_timeout`` option of the producers."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rocketmq import aio
from rocketmq.client import (
    ConsumeFromWhere,
    LitePullConsumer,
    Message,
    Producer,
    PushConsumer,
    SendStatus,
)
from rocketmq.exceptions import (
    ProducerStartFailed,
    RocketMQConnectionError,
    RocketMQTimeoutError,
)

from helpers import WAIT_TIMEOUT, Inbox, LogCapture, unique, wait_until
from testkit import TestCluster

pytestmark = [pytest.mark.integration, pytest.mark.fault]


@pytest.fixture
def two_namesrvs() -> Iterator[TestCluster]:
    # Its own cluster: the test kills both name servers.
    with TestCluster().start(namesrvs=2, brokers=1) as c:
        yield c


def message(topic: str, body: bytes) -> Message:
    msg = Message(topic)
    msg.set_body(body)
    return msg


def snapshot_topics(path: Path) -> set[str]:
    try:
        return set(json.loads(path.read_text())["topics"])
    except (OSError, ValueError, KeyError):
        return set()


@pytest.mark.timeout(120)
def test_a_client_started_with_every_name_server_down_uses_the_snapshot(
    two_namesrvs: TestCluster, tmp_path: Path, rocketmq_log: LogCapture
) -> None:
    topic = unique("snap")
    two_namesrvs.create_topic(topic, queues=2)
    path = tmp_path / "routes.json"
    ns = two_namesrvs.namesrv_addr

    a = Producer(unique("pg"))
    a.set_name_server_address(ns)
    a.set_route_snapshot_path(path)
    a.start()
    try:
        assert a.send_sync(message(topic, b"from A")).status is SendStatus.OK
        wait_until(lambda: topic in snapshot_topics(path), what="the snapshot holds the topic")
    finally:
        a.shutdown()

    two_namesrvs.kill_namesrv(0)
    two_namesrvs.kill_namesrv(1)

    b = Producer(unique("pg"))
    b.set_name_server_address(ns)
    b.set_route_snapshot_path(str(path))
    b.start()
    consumer = PushConsumer(unique("cg"))
    consumer.set_name_server_address(ns)
    consumer.set_route_snapshot_path(path)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    inbox = Inbox()
    consumer.subscribe(topic, inbox)
    try:
        assert b.send_sync(message(topic, b"from B")).status is SendStatus.OK
        warning = rocketmq_log.wait_for(
            lambda r: r.levelno == logging.WARNING and "snapshot" in r.getMessage()
        )
        text = warning.getMessage()
        assert str(path) in text, text
        assert "age_s=" in text, text
        consumer.start()
        inbox.wait_for(lambda msgs: {b"from A", b"from B"} <= {m.body for m in msgs})
        # A lite-pull consumer (its own group) too.
        lite = LitePullConsumer(
            unique("cg"),
            namesrv_addr=ns,
            route_snapshot_path=path,
            consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        )
        lite.subscribe(topic)
        with lite:
            polled: set[bytes] = set()
            deadline = time.monotonic() + WAIT_TIMEOUT
            while not {b"from A", b"from B"} <= polled:
                assert time.monotonic() < deadline, f"lite pull got only {polled}"
                polled.update(m.body for m in lite.poll(timeout_ms=500))
    finally:
        consumer.shutdown()
        b.shutdown()


@pytest.mark.timeout(60)
def test_a_corrupt_snapshot_is_a_warning_not_a_failure(
    namesrv_addr: str, topic: str, tmp_path: Path, rocketmq_log: LogCapture
) -> None:
    path = tmp_path / "routes.json"
    path.write_bytes(b'{"version":1,"topics":{"T":{"sav')
    producer = Producer(unique("pg"))
    producer.set_name_server_address(namesrv_addr)
    producer.set_route_snapshot_path(path)
    producer.start()
    try:
        warning = rocketmq_log.wait_for(
            lambda r: r.levelno == logging.WARNING and "snapshot" in r.getMessage()
        )
        assert "unreadable" in warning.getMessage()
        assert str(path) in warning.getMessage()
        assert producer.send_sync(message(topic, b"x")).status is SendStatus.OK
        wait_until(lambda: topic in snapshot_topics(path), what="the corrupt file is replaced")
    finally:
        producer.shutdown()


def test_without_a_snapshot_nothing_helps(two_namesrvs: TestCluster, tmp_path: Path) -> None:
    """The control for the first test: the same situation without a snapshot fails."""
    topic = unique("snap_none")
    two_namesrvs.create_topic(topic, queues=1)
    two_namesrvs.kill_namesrv(0)
    two_namesrvs.kill_namesrv(1)
    producer = Producer(unique("pg"))
    producer.set_name_server_address(two_namesrvs.namesrv_addr)
    producer.set_route_snapshot_path(None)
    producer.start()
    try:
        with pytest.raises(RocketMQConnectionError):
            producer.send_sync(message(topic, b"x"))
    finally:
        producer.shutdown()
    assert not list(tmp_path.iterdir())


def test_send_attempt_timeout_is_checked_at_start() -> None:
    producer = Producer(unique("pg"))
    producer.set_name_server_address("127.0.0.1:9876")
    producer.set_send_attempt_timeout(0)
    with pytest.raises(ProducerStartFailed, match="attempt timeout"):
        producer.start()
    producer.shutdown()


@pytest.fixture
def two_brokers() -> Iterator[TestCluster]:
    with TestCluster().start(namesrvs=1, brokers=2) as c:
        yield c


@pytest.mark.timeout(90)
def test_send_attempt_timeout_decides_whether_a_hung_broker_fails_a_send(
    two_brokers: TestCluster,
) -> None:
    """Broker 0 stopped (SIGSTOP). With a short attempt timeout (aio keyword) every send moves
    on to broker 1 within the deadline; with the attempt timeout equal to the send timeout
    (2.x setter: Java's behaviour) the send that picks broker 0 fails."""
    topic = unique("attempt")
    two_brokers.create_topic(topic, queues=2)
    hung, alive = two_brokers.brokers[0].name, two_brokers.brokers[1].name

    async def short_attempts() -> list[str]:
        async with aio.Producer(
            unique("pg"),
            namesrv_addr=two_brokers.namesrv_addr,
            send_timeout_ms=3000,
            send_attempt_timeout_ms=500,
        ) as producer:
            await producer.send(message(topic, b"route lookup"))
            two_brokers.pause_broker(0)
            try:
                return [
                    (await producer.send(message(topic, f"m{i}".encode()))).broker_name
                    for i in range(6)
                ]
            finally:
                two_brokers.resume_broker(0)

    assert asyncio.run(short_attempts()) == [alive] * 6

    producer = Producer(unique("pg"), timeout=2000)
    producer.set_name_server_address(two_brokers.namesrv_addr)
    producer.set_send_attempt_timeout(2000)
    producer.start()
    try:
        producer.send_sync(message(topic, b"route lookup"))
        two_brokers.pause_broker(0)
        failures = []
        try:
            for i in range(4):
                try:
                    producer.send_sync(message(topic, f"j{i}".encode()))
                except RocketMQTimeoutError as e:
                    failures.append(e)
        finally:
            two_brokers.resume_broker(0)
        assert failures, f"a send to the hung broker {hung} fails: one attempt may use it all"
    finally:
        producer.shutdown()


def test_bad_send_attempt_timeout_kwarg() -> None:
    producer = aio.Producer(unique("pg"), namesrv_addr="127.0.0.1:9876", send_attempt_timeout_ms=0)

    async def start() -> None:
        await producer.start()

    with pytest.raises(ProducerStartFailed):
        asyncio.run(start())
