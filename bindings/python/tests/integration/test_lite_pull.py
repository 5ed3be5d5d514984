"""LitePullConsumer (blocking and asyncio) and the 0.5.x PullConsumer against a real broker.
Every wait is bounded (poll timeouts, ``drain``'s deadline)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import pytest

from rocketmq import aio
from rocketmq.client import (
    ConsumeFromWhere,
    LitePullConsumer,
    Message,
    MessageModel,
    MessageQueue,
    Producer,
    PullConsumer,
    ReceivedMessage,
)

from helpers import unique
from testkit import TestCluster

pytestmark = pytest.mark.integration

DEADLINE = 30.0


def new_topic(cluster: TestCluster, queues: int = 4) -> str:
    name = unique("ltopic")
    cluster.create_topic(name, queues=queues)
    return name


def send_all(producer: Producer, topic: str, bodies: Iterable[bytes]) -> None:
    for body in bodies:
        m = Message(topic)
        m.set_body(body)
        producer.send_sync(m)


def lite(namesrv: str, group: str | None = None, **options: object) -> LitePullConsumer:
    return LitePullConsumer(
        group or unique("lcg"),
        namesrv_addr=namesrv,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        **options,
    )


def aio_lite(namesrv: str, **options: object) -> aio.LitePullConsumer:
    return aio.LitePullConsumer(
        unique("lcg"),
        namesrv_addr=namesrv,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        **options,
    )


def drain(consumer: LitePullConsumer, n: int, deadline: float = DEADLINE) -> list[ReceivedMessage]:
    """Poll until ``n`` distinct bodies arrived (AssertionError after ``deadline`` s)."""
    got: list[ReceivedMessage] = []
    bodies: set[bytes] = set()
    end = time.monotonic() + deadline
    while len(bodies) < n:
        if time.monotonic() > end:
            raise AssertionError(f"{len(bodies)} of {n} messages within {deadline} s")
        for msg in consumer.poll(timeout_ms=500):
            got.append(msg)
            bodies.add(msg.body)
    return got


def test_subscribe_and_poll_get_everything(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster)
    bodies = [b"\x00lite\x00%d\xff" % i for i in range(60)]
    send_all(producer, topic, bodies)
    consumer = lite(namesrv_addr, pull_batch_size=7)
    consumer.subscribe(topic)
    with consumer:
        got = drain(consumer, len(bodies))
        assert consumer.poll(timeout_ms=200) == []
        assert len(consumer.assignment()) == 4
    assert sorted(m.body for m in got) == sorted(bodies)
    assert all(m.topic == topic and m.broker_name for m in got)


def test_two_members_split_and_one_takes_over(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster)
    group = unique("lcg")
    a, b = lite(namesrv_addr, group), lite(namesrv_addr, group)
    for c in (a, b):
        c.subscribe(topic)
        c.start()
    try:
        deadline = time.monotonic() + DEADLINE
        while not (len(a.assignment()) == 2 and len(b.assignment()) == 2):
            assert time.monotonic() < deadline, (a.assignment(), b.assignment())
            a.poll(timeout_ms=100)
            b.poll(timeout_ms=100)
        assert set(a.assignment()).isdisjoint(b.assignment())
        b.shutdown()
        while len(a.assignment()) != 4:
            assert time.monotonic() < deadline + DEADLINE, a.assignment()
            a.poll(timeout_ms=100)
        send_all(producer, topic, [b"after-%d" % i for i in range(12)])
        assert {m.body for m in drain(a, 12)} >= {b"after-%d" % i for i in range(12)}
    finally:
        a.shutdown()
        b.shutdown()


def test_seek_back_rereads_and_seek_to_timestamp(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster, queues=1)
    send_all(producer, topic, [b"old-%d" % i for i in range(5)])
    time.sleep(0.05)  # a store-time boundary between the two halves (not a synchronisation)
    boundary = int(time.time() * 1000)
    time.sleep(0.05)
    send_all(producer, topic, [b"new-%d" % i for i in range(5)])
    consumer = lite(namesrv_addr)
    consumer.subscribe(topic)
    with consumer:
        first = drain(consumer, 10)
        (mq,) = consumer.assignment()
        consumer.seek(mq, 3)
        again = drain(consumer, 7)
        assert [m.queue_offset for m in again[:7]] == list(range(3, 10))
        offset = consumer.offset_for_timestamp(mq, boundary)
        assert offset == 5
        consumer.seek(mq, offset)
        assert [m.body for m in drain(consumer, 5)][:5] == [b"new-%d" % i for i in range(5)]
        consumer.seek_to_begin(mq)
        assert drain(consumer, 10)[0].queue_offset == 0
        consumer.seek_to_end(mq)
        assert consumer.poll(timeout_ms=300) == []
    assert len(first) == 10


def test_commit_restart_resume_without_loss(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster, queues=2)
    group = unique("lcg")
    send_all(producer, topic, [b"a-%d" % i for i in range(20)])
    first = lite(namesrv_addr, group, auto_commit=False)
    first.subscribe(topic)
    with first:
        drain(first, 20)
        first.commit()
        committed = {mq: first.committed(mq) for mq in first.assignment()}
    assert sum(v or 0 for v in committed.values()) == 20
    send_all(producer, topic, [b"b-%d" % i for i in range(10)])
    second = lite(namesrv_addr, group, auto_commit=False)
    second.subscribe(topic)
    with second:
        got = drain(second, 10)
        assert second.poll(timeout_ms=300) == []
    assert sorted(m.body for m in got) == sorted(b"b-%d" % i for i in range(10)), (
        "no replay, no loss"
    )


def test_auto_commit(producer: Producer, cluster: TestCluster, namesrv_addr: str) -> None:
    topic = new_topic(cluster, queues=1)
    send_all(producer, topic, [b"%d" % i for i in range(8)])
    consumer = lite(namesrv_addr, auto_commit_interval_ms=200)
    consumer.subscribe(topic)
    with consumer:
        drain(consumer, 8)
        (mq,) = consumer.assignment()
        deadline = time.monotonic() + DEADLINE
        while consumer.committed(mq) != 8:
            assert time.monotonic() < deadline, consumer.committed(mq)
            consumer.poll(timeout_ms=250)  # auto-commit runs from poll, when due


def test_pause_and_resume(producer: Producer, cluster: TestCluster, namesrv_addr: str) -> None:
    topic = new_topic(cluster, queues=1)
    consumer = lite(namesrv_addr)
    consumer.subscribe(topic)
    with consumer:
        deadline = time.monotonic() + DEADLINE
        while not consumer.assignment():
            assert time.monotonic() < deadline
            consumer.poll(timeout_ms=100)
        (mq,) = consumer.assignment()
        consumer.pause([mq])
        assert consumer.is_paused(mq)
        send_all(producer, topic, [b"p-%d" % i for i in range(5)])
        assert consumer.poll(timeout_ms=500) == []
        consumer.resume([mq])
        assert not consumer.is_paused(mq)
        assert {m.body for m in drain(consumer, 5)} == {b"p-%d" % i for i in range(5)}


def test_assign_mode(producer: Producer, cluster: TestCluster, namesrv_addr: str) -> None:
    topic = new_topic(cluster, queues=4)
    send_all(producer, topic, [b"%d" % i for i in range(40)])
    consumer = lite(namesrv_addr)
    with consumer:
        queues = consumer.fetch_message_queues(topic)
        assert len(queues) == 4
        assert all(isinstance(q, MessageQueue) for q in queues)
        consumer.assign(queues[:2])
        got = drain_some(consumer)
        assert {m.queue_id for m in got} <= {q.queue_id for q in queues[:2]}
        assert consumer.assignment() == queues[:2] or set(consumer.assignment()) == set(queues[:2])


def drain_some(consumer: LitePullConsumer) -> list[ReceivedMessage]:
    """Everything available now (until a poll times out), at least one message."""
    got: list[ReceivedMessage] = []
    deadline = time.monotonic() + DEADLINE
    while True:
        batch = consumer.poll(timeout_ms=500)
        if not batch and got:
            return got
        assert time.monotonic() < deadline, "nothing polled"
        got.extend(batch)


def test_broadcasting_every_member_reads_everything(
    producer: Producer, cluster: TestCluster, namesrv_addr: str, tmp_path: object
) -> None:
    topic = new_topic(cluster, queues=2)
    group = unique("lbg")
    members = [
        lite(
            namesrv_addr,
            group,
            message_model=MessageModel.BROADCASTING,
            offset_store_dir=str(tmp_path),
        )
        for _ in range(2)
    ]
    for c in members:
        c.subscribe(topic)
        c.start()
    try:
        send_all(producer, topic, [b"%d" % i for i in range(10)])
        for c in members:
            assert {m.body for m in drain(c, 10)} == {b"%d" % i for i in range(10)}
            assert len(c.assignment()) == 2
    finally:
        for c in members:
            c.shutdown()


def test_asyncio_poll_and_async_for(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster)
    bodies = {b"aio-%d" % i for i in range(30)}
    send_all(producer, topic, sorted(bodies))

    async def main() -> set[bytes]:
        seen: set[bytes] = set()
        consumer = aio_lite(namesrv_addr)
        await consumer.subscribe(topic)
        async with consumer:
            first = await consumer.poll(5000)
            seen.update(m.body for m in first)

            async def rest() -> None:
                async for msg in consumer:
                    seen.add(msg.body)
                    if seen == bodies:
                        return

            await asyncio.wait_for(rest(), DEADLINE)
            queues = await consumer.fetch_message_queues(topic)
            assert len(queues) == 4
            await consumer.commit()
        return seen

    assert asyncio.run(main()) == bodies


def test_pull_consumer_generator_reads_all(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster, queues=4)
    bodies = [b"pull-%d\x00" % i for i in range(50)]
    send_all(producer, topic, bodies)
    consumer = PullConsumer(unique("pcg"))
    consumer.set_namesrv_addr(namesrv_addr)
    with consumer:
        got = [m.body for m in consumer.pull(topic, max_num=8)]
        assert sorted(got) == sorted(bodies)
        # The offsets moved on: a second pass finds nothing new.
        assert list(consumer.pull(topic)) == []
        queues = consumer.fetch_subscribe_message_queues(topic)
        assert sum(consumer.get_message_queue_offset(q) for q in queues) == 50
        consumer.set_message_queue_offset(queues[0], 0)
        again = list(consumer.pull(topic))
        assert len(again) == consumer.get_message_queue_offset(queues[0])
        result = consumer.pull_once(queues[0], "*", 10_000, 4)
        assert result["status"] == "OFFSET_ILLEGAL" or result["status"] == "NO_NEW_MSG"


def test_a_cancelled_asyncio_poll_takes_no_message(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    # Cancelling the future of a waiting poll drops the call: a message sent afterwards goes
    # to the next poll, not into the cancelled one's discarded result.
    topic = new_topic(cluster)

    async def main() -> list[bytes]:
        consumer = aio_lite(namesrv_addr)
        await consumer.subscribe(topic)
        async with consumer:
            # The native call itself, so that it is waiting before it is cancelled.
            waiting = consumer._core.poll(30_000, aio=True)
            waiting.cancel()
            # One turn of the loop: the cancel handle (a done-callback scheduled by cancel())
            # runs before this coroutine resumes.
            await asyncio.sleep(0)
            send_all(producer, topic, [b"after-cancel"])
            got: list[bytes] = []
            deadline = time.monotonic() + DEADLINE
            while not got and time.monotonic() < deadline:
                got = [m.body for m in await consumer.poll(1000)]
            assert waiting.cancelled()
            return got

    assert asyncio.run(main()) == [b"after-cancel"]


def test_an_asyncio_poll_cancelled_after_it_completed_gives_its_messages_back(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    # The poll completes at once (its messages are cached) but the loop resolves its future
    # only on its next turn; cancelled before that, the poll's messages are delivered again
    # rather than taken and dropped.
    topic = new_topic(cluster, queues=1)
    bodies = [b"given-back-%d" % i for i in range(5)]
    send_all(producer, topic, bodies)

    async def main() -> list[bytes]:
        consumer = aio_lite(namesrv_addr, auto_commit=False)
        await consumer.subscribe(topic)
        async with consumer:
            deadline = time.monotonic() + DEADLINE
            # Bounded wait until the pull has fetched all five (then they are cached, or are
            # about to be: either way the cancelled poll must not lose them).
            while consumer.stats()["pulled_msgs"] < len(bodies):
                assert time.monotonic() < deadline, consumer.stats()
                await asyncio.sleep(0.01)
            completed = consumer._core.poll(30_000, aio=True)
            completed.cancel()
            got: list[bytes] = []
            while len(got) < len(bodies) and time.monotonic() < deadline:
                got += [m.body for m in await consumer.poll(1000)]
            assert completed.cancelled()
            return got

    assert asyncio.run(main()) == bodies
