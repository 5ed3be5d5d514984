"""Processes and fork(): children get clients of their own, inherited clients refuse at once, and
the parent is unaffected whatever its children do. Against the real broker; every wait on a
child is bounded (``fork_workers.Child``) and a child that overstays is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import threading
import time
from typing import Any, Callable

import pytest

from fork_workers import Child, consume_in_child, send_one
from rocketmq import aio
from rocketmq import exceptions as exc
from rocketmq.client import ConsumeFromWhere, Message, Producer, PushConsumer, SendStatus

from helpers import Inbox, unique, wait_until
from testkit import TestCluster

# Python 3.12+ warns about fork() in a multi-threaded process; forking a process with running
# clients is exactly what these tests do.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning"),
]

CHILD_TIMEOUT = 60.0


def message(topic: str, body: bytes) -> Message:
    m = Message(topic)
    m.set_body(body)
    return m


def started_producer(namesrv: str) -> Producer:
    p = Producer(unique("pg"), timeout=10_000)
    p.set_name_server_address(namesrv)
    p.start()
    return p


def assert_sends(producer: Producer, topic: str, what: str) -> None:
    """The producer still sends, well within its timeout."""
    t0 = time.monotonic()
    result = producer.send_sync(message(topic, what.encode()))
    assert result.status == SendStatus.OK, what
    assert time.monotonic() - t0 < 5.0, f"{what}: send took {time.monotonic() - t0:.1f} s"


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_pool_children_use_new_producers(namesrv_addr: str, topic: str, method: str) -> None:
    """The issue's snippet: a started parent producer, then a pool of 2 running 4 tasks."""
    parent = started_producer(namesrv_addr)
    try:
        first = parent.send_sync(message(topic, b"p"))
        with mp.get_context(method).Pool(2) as pool:
            results = pool.map_async(send_one, [(namesrv_addr, topic)] * 4).get(CHILD_TIMEOUT)
        assert [status for status, _ in results] == [int(SendStatus.OK)] * 4
        # Children compute their own message-id prefix (pid and random part): no child id can
        # collide with the parent's, whatever the counters say.
        prefix = first.msg_id[:20]
        assert all(msg_id[:20] != prefix for _, msg_id in results), (prefix, results)
        assert len({msg_id for _, msg_id in results}) == 4
        assert_sends(parent, topic, f"parent after {method} pool")
    finally:
        parent.shutdown()


def test_inherited_producer_raises_at_once(namesrv_addr: str, topic: str) -> None:
    parent = started_producer(namesrv_addr)
    try:
        parent.send_sync(message(topic, b"before fork"))

        def child(_: Callable[[Any], None]) -> dict[str, Any]:
            t0 = time.monotonic()
            try:
                parent.send_sync(message(topic, b"from child"))
            except exc.ClientForkedError as e:
                elapsed = time.monotonic() - t0
                kinds = [type(e).__name__, e.kind, isinstance(e, exc.ProducerSendSyncFailed)]
                text = str(e)
            else:
                return {"raised": None}
            t1 = time.monotonic()
            parent.shutdown()  # a no-op in the child: must not touch the parent's connections
            shutdown_s = time.monotonic() - t1
            try:
                parent.send_oneway(message(topic, b"oneway from child"))
                oneway = "no error"
            except exc.ClientForkedError:
                oneway = "forked"
            return {
                "raised": kinds,
                "elapsed": elapsed,
                "text": text,
                "shutdown_s": shutdown_s,
                "oneway": oneway,
            }

        c = Child(child)
        got = c.result(CHILD_TIMEOUT)
        assert c.wait(CHILD_TIMEOUT) == 0
        assert got["raised"] == ["ProducerSendSyncForked", "forked", True], got
        assert got["elapsed"] < 0.1, got
        assert got["shutdown_s"] < 0.1, got
        assert got["oneway"] == "forked", got
        assert "fork()" in got["text"], got
        assert "Create and start a new producer" in got["text"], got
        # The child's shutdown() did not shut the parent's producer down.
        assert_sends(parent, topic, "parent after the inherited-client child")
    finally:
        parent.shutdown()


def test_inherited_consumer_is_refused_and_shutdown_is_a_no_op(
    namesrv_addr: str, topic: str
) -> None:
    inbox = Inbox()
    consumer = PushConsumer(unique("cg"))
    consumer.set_name_server_address(namesrv_addr)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, inbox)
    consumer.start()
    producer = started_producer(namesrv_addr)
    try:
        producer.send_sync(message(topic, b"before"))
        inbox.wait_for(1)

        def child(_: Callable[[Any], None]) -> list[str]:
            out = []
            t0 = time.monotonic()
            consumer.shutdown()
            out.append(f"shutdown {time.monotonic() - t0:.3f}")
            try:
                consumer.rebalance_now()
            except exc.ClientForkedError as e:
                out.append(e.kind or "")
            return out

        c = Child(child)
        got = c.result(CHILD_TIMEOUT)
        assert c.wait(CHILD_TIMEOUT) == 0
        assert float(got[0].split()[1]) < 0.1, got
        assert got[1:] == ["forked"], got
        # The parent's consumer still consumes.
        producer.send_sync(message(topic, b"after"))
        inbox.wait_for(2)
        assert sorted(inbox.bodies()) == [b"after", b"before"]
    finally:
        producer.shutdown()
        consumer.shutdown()


def test_parent_survives_children_killed_while_blocked(
    namesrv_addr: str, topic: str, black_hole: str
) -> None:
    """Children that start clients (one sends then blocks, one is stuck in a send to a name
    server that never answers) are SIGKILLed; the parent's producer goes on working."""
    parent = started_producer(namesrv_addr)
    try:
        parent.send_sync(message(topic, b"before"))

        def sends_then_blocks(report: Callable[[Any], None]) -> None:
            p = started_producer(namesrv_addr)
            report(int(p.send_sync(message(topic, b"child")).status))
            threading.Event().wait(CHILD_TIMEOUT)  # blocked until killed

        def stuck_in_send(report: Callable[[Any], None]) -> None:
            p = Producer(unique("pg"), timeout=30_000)
            p.set_name_server_address(black_hole)
            p.start()
            report("sending")
            p.send_sync(message(topic, b"never"))

        for fn in (sends_then_blocks, stuck_in_send):
            c = Child(fn)
            assert c.read(CHILD_TIMEOUT)["report"] in (int(SendStatus.OK), "sending")
            c.kill()
            assert_sends(parent, topic, f"parent after {fn.__name__} was killed")
        # And the inherited producer of a killed child left nothing behind either.
        c = Child(lambda report: (report("up"), threading.Event().wait(CHILD_TIMEOUT)))
        c.read(CHILD_TIMEOUT)
        c.kill()
        for i in range(20):
            assert_sends(parent, topic, f"parent send {i} after the children")
    finally:
        parent.shutdown()


def test_fork_while_parent_sends_and_consumes(namesrv_addr: str, cluster: TestCluster) -> None:
    """The parent has a running PushConsumer and a thread sending in a loop while children are
    forked; children consume with PushConsumers of their own; both sides keep working."""
    topic = unique("topic")
    child_topic = unique("topic")
    cluster.create_topic(topic, queues=4)
    cluster.create_topic(child_topic, queues=2)
    inbox = Inbox()
    consumer = PushConsumer(unique("cg"))
    consumer.set_name_server_address(namesrv_addr)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, inbox)
    consumer.start()
    producer = started_producer(namesrv_addr)
    sent: list[bytes] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def send_loop() -> None:
        i = 0
        while not stop.is_set():
            body = b"parent-%d" % i
            try:
                producer.send_sync(message(topic, body))
                sent.append(body)
            except BaseException as e:
                errors.append(e)
                return
            i += 1

    sender = threading.Thread(target=send_loop, name="parent-sender")
    sender.start()
    try:
        wait_until(lambda: len(sent) >= 20, what="the parent's sender got going")
        for round_ in range(3):
            before = len(sent)
            c = Child(
                lambda _: [b.decode() for b in consume_in_child(namesrv_addr, child_topic, 5, 30.0)]
            )
            got = c.result(CHILD_TIMEOUT)
            assert c.wait(CHILD_TIMEOUT) == 0
            assert len(got) >= 5, (round_, got)
            assert all(b.startswith("child-") for b in got), (round_, got)
            wait_until(
                lambda n=before + 20: len(sent) >= n,
                what=f"parent still sending after child {round_}",
            )
    finally:
        stop.set()
        sender.join(30)
    try:
        assert not errors, errors
        assert not sender.is_alive()
        inbox.wait_for(len(sent), timeout=60)
        assert set(sent) <= set(inbox.bodies())
    finally:
        producer.shutdown()
        consumer.shutdown()


def test_child_uses_asyncio_producer(namesrv_addr: str, topic: str) -> None:
    """Awaitables in a child run on the child's own runtime."""
    parent = started_producer(namesrv_addr)
    try:
        parent.send_sync(message(topic, b"parent"))

        async def send() -> int:
            async with aio.Producer(unique("pg"), namesrv_addr=namesrv_addr) as p:
                r = await asyncio.wait_for(p.send(message(topic, b"aio child")), 20)
                return int(r.status)

        c = Child(lambda _: asyncio.run(send()))
        assert c.result(CHILD_TIMEOUT) == int(SendStatus.OK)
        assert c.wait(CHILD_TIMEOUT) == 0
        assert_sends(parent, topic, "parent after the asyncio child")
    finally:
        parent.shutdown()


def test_unstarted_producer_can_start_in_child(namesrv_addr: str, topic: str) -> None:
    """An object created (not started) before the fork holds settings only: the pre-fork
    server pattern of creating clients at import time and starting them in each worker."""
    p = Producer(unique("pg"), timeout=10_000)
    p.set_name_server_address(namesrv_addr)

    def child(_: Callable[[Any], None]) -> int:
        p.start()
        try:
            return int(p.send_sync(message(topic, b"started in child")).status)
        finally:
            p.shutdown()

    c = Child(child)
    assert c.result(CHILD_TIMEOUT) == int(SendStatus.OK)
    assert c.wait(CHILD_TIMEOUT) == 0
    # The child's start() changed nothing here: the parent's object is still unstarted.
    with pytest.raises(exc.ProducerSendSyncNotStarted):
        p.send_sync(message(topic, b"not started"))
    p.start()
    try:
        assert_sends(p, topic, "the same object started in the parent")
    finally:
        p.shutdown()
