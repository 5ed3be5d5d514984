"""Request-reply (``Producer.request``, ``request_async``, ``aio.Producer.request``,
``create_reply_message``) against the real broker: a round trip, a timeout, 100 concurrent
requests, and requester and replier in different processes."""

from __future__ import annotations

import asyncio
import queue
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from rocketmq import aio
from rocketmq.client import (
    Message,
    Producer,
    ReceivedMessage,
    create_reply_message,
)
from rocketmq.exceptions import ProducerRequestFailed, ProducerRequestTimeout

from helpers import WAIT_TIMEOUT, MakeConsumer, unique
from testkit import TestCluster

pytestmark = pytest.mark.integration

#: Request timeout: generous (a loaded machine), the tests never wait for it to pass.
REQUEST_MS = 15_000


def request_msg(topic: str, body: bytes) -> Message:
    msg = Message(topic)
    msg.set_body(body)
    return msg


@pytest.fixture
def replier(namesrv_addr: str, topic: str, make_consumer: MakeConsumer) -> Iterator[list[Any]]:
    """Consumes ``topic`` and answers each request with ``b"re:" + body`` (its own producer).
    Yields the requests it saw."""
    sender = Producer(unique("reply_pg"), timeout=10_000)
    sender.set_name_server_address(namesrv_addr)
    sender.start()
    seen: list[Any] = []

    def on_request(msg: ReceivedMessage) -> None:
        seen.append(msg)
        sender.send_sync(create_reply_message(msg, b"re:" + msg.body))

    consumer = make_consumer()
    consumer.subscribe(topic, on_request)
    consumer.start()
    try:
        yield seen
    finally:
        consumer.shutdown()
        sender.shutdown()


def test_round_trip(producer: Producer, topic: str, replier: list[Any]) -> None:
    reply = producer.request(request_msg(topic, b"ping\x00binary"), REQUEST_MS)
    assert isinstance(reply, ReceivedMessage)
    assert reply.body == b"re:ping\x00binary"
    assert reply.topic.endswith("_REPLY_TOPIC")
    correlation = reply.get_property("CORRELATION_ID")
    assert correlation
    request = replier[0]
    assert request.get_property("CORRELATION_ID") == correlation
    assert request.get_property("REPLY_TO_CLIENT") == producer.client_id.encode()  # type: ignore[union-attr]

    reply_msg = create_reply_message(request, "text body")
    assert reply_msg.body == b"text body"
    assert reply_msg.get_property("MSG_TYPE") == "reply"


def test_request_async_callbacks(producer: Producer, topic: str, replier: list[Any]) -> None:
    got: queue.Queue[Any] = queue.Queue()
    producer.request_async(request_msg(topic, b"async"), got.put, REQUEST_MS)
    reply = got.get(timeout=WAIT_TIMEOUT)
    assert isinstance(reply, ReceivedMessage)
    assert reply.body == b"re:async"


def test_no_reply_times_out_with_a_typed_error(producer: Producer, cluster: TestCluster) -> None:
    lonely = unique("lonely")
    cluster.create_topic(lonely, queues=1)
    with pytest.raises(ProducerRequestTimeout) as timed_out:
        producer.request(request_msg(lonely, b"anyone?"), 800)
    assert isinstance(timed_out.value, TimeoutError)
    assert isinstance(timed_out.value, ProducerRequestFailed)
    assert timed_out.value.kind == "timeout"
    assert "no reply within 800 ms" in str(timed_out.value)

    failed: queue.Queue[Any] = queue.Queue()
    producer.request_async(
        request_msg(lonely, b"anyone?"), lambda r: failed.put(r), 800, exception_callback=failed.put
    )
    error = failed.get(timeout=WAIT_TIMEOUT)
    assert isinstance(error, ProducerRequestTimeout)

    with pytest.raises(ProducerRequestFailed) as bad:
        producer.request(request_msg(lonely, b"x"), 0)
    assert isinstance(bad.value, ValueError)


def test_hundred_concurrent_requests_each_get_their_own_reply(
    producer: Producer, topic: str, replier: list[Any]
) -> None:
    bodies = [f"req-{i}".encode() for i in range(100)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(
            pool.map(lambda b: producer.request(request_msg(topic, b), REQUEST_MS), bodies)
        )
    assert [r.body for r in replies] == [b"re:" + b for b in bodies]
    assert len(replier) >= 100


def test_aio_requests(namesrv_addr: str, topic: str, replier: list[Any]) -> None:
    async def main() -> list[ReceivedMessage]:
        async with aio.Producer(unique("aio_rr"), namesrv_addr=namesrv_addr) as p:
            return await asyncio.gather(
                *(p.request(request_msg(topic, f"a-{i}".encode()), REQUEST_MS) for i in range(100))
            )

    replies = asyncio.run(main())
    assert [r.body for r in replies] == [f"re:a-{i}".encode() for i in range(100)]


# A replier in another process: answers every request, prints "started" once consuming.
REPLIER_CHILD = textwrap.dedent(
    """
    import sys
    from rocketmq.client import ConsumeFromWhere, Producer, PushConsumer, create_reply_message

    namesrv, topic, group = sys.argv[1:4]
    sender = Producer(group + "_p", timeout=10000)
    sender.set_name_server_address(namesrv)
    sender.start()

    def on_request(msg):
        sender.send_sync(create_reply_message(msg, b"child:" + msg.body))

    consumer = PushConsumer(group)
    consumer.set_name_server_address(namesrv)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, on_request)
    consumer.start()
    sys.stdout.write("started\\n")
    sys.stdout.flush()
    sys.stdin.read()
    consumer.shutdown()
    sender.shutdown()
    """
)


def test_requester_and_replier_in_different_processes(
    producer: Producer, cluster: TestCluster, topic: str
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", REPLIER_CHILD, cluster.namesrv_addr, topic, unique("rr_child")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert lines.get(timeout=WAIT_TIMEOUT) == "started"
        for i in range(5):
            reply = producer.request(request_msg(topic, f"x{i}".encode()), REQUEST_MS)
            assert reply.body == f"child:x{i}".encode()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # the child shuts down
        try:
            proc.wait(timeout=WAIT_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
    assert proc.returncode == 0
