"""rocketmq.aio.PushConsumer against a real broker: async callbacks on the loop that started the
consumer. Every wait is bounded (asyncio.wait_for); nothing sleeps to synchronise."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any

import pytest

from rocketmq import aio
from rocketmq.client import ConsumeFromWhere, ConsumeStatus, Message, Producer

from helpers import LogCapture, unique
from testkit import TestCluster

pytestmark = pytest.mark.integration

WAIT = 60.0


def new_topic(cluster: TestCluster, queues: int = 4) -> str:
    name = unique("atopic")
    cluster.create_topic(name, queues=queues)
    return name


def send_bodies(producer: Producer, topic: str, bodies: list[bytes], batch: int = 64) -> None:
    for start in range(0, len(bodies), batch):
        msgs = []
        for body in bodies[start : start + batch]:
            m = Message(topic)
            m.set_body(body)
            msgs.append(m)
        producer.send_batch(msgs)


def consumer(namesrv: str, **options: Any) -> aio.PushConsumer:
    return aio.PushConsumer(
        unique("acg"),
        namesrv_addr=namesrv,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        **options,
    )


class Collector:
    """An async callback that records bodies and wakes waiters when a count is reached."""

    def __init__(self, delay: float = 0.0) -> None:
        self.bodies: list[bytes] = []
        self.msgs: list[Any] = []
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self.first_at: float | None = None
        self.last_at = 0.0
        self._changed = asyncio.Event()

    async def __call__(self, msg: Any) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.first_at is None:
            self.first_at = time.monotonic()
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            self.bodies.append(msg.body)
            self.msgs.append(msg)
            self.last_at = time.monotonic()
        finally:
            self.in_flight -= 1
            self._changed.set()

    async def wait_for(self, n: int, timeout: float = WAIT) -> None:
        async def until() -> None:
            while len(set(self.bodies)) < n:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)


def test_10k_messages_through_async_callbacks(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster)
    bodies = [b"m-%05d\x00" % i for i in range(10_000)]
    send_bodies(producer, topic, bodies)

    async def main() -> Collector:
        inbox = Collector()
        c = consumer(namesrv_addr)
        c.subscribe(topic, inbox)
        async with c:
            await inbox.wait_for(len(bodies))
        return inbox

    inbox = asyncio.run(main())
    assert set(inbox.bodies) == set(bodies)


def test_sleeping_callbacks_overlap(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    """400 callbacks that each await 20 ms: one at a time that is >= 8 s; with the default 20 in
    flight (ideally 0.4 s) it must take at most a tenth of that."""
    n, delay = 400, 0.02
    topic = new_topic(cluster)
    send_bodies(producer, topic, [b"%d" % i for i in range(n)])

    async def main() -> Collector:
        inbox = Collector(delay=delay)
        c = consumer(namesrv_addr)
        c.subscribe(topic, inbox)
        async with c:
            await inbox.wait_for(n)
        return inbox

    inbox = asyncio.run(main())
    assert inbox.first_at is not None
    elapsed = inbox.last_at - inbox.first_at
    assert inbox.max_in_flight >= 10, inbox.max_in_flight
    assert inbox.max_in_flight <= 20, "max_in_flight (default 20) bounds the callbacks in flight"
    assert elapsed <= n * delay / 10, f"{n} callbacks of {delay * 1000:.0f} ms took {elapsed:.2f} s"


def test_max_in_flight_option_bounds_concurrency(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster)
    send_bodies(producer, topic, [b"%d" % i for i in range(60)])

    async def main() -> Collector:
        inbox = Collector(delay=0.005)
        c = consumer(namesrv_addr, max_in_flight=3)
        c.subscribe(topic, inbox)
        async with c:
            await inbox.wait_for(60)
        return inbox

    inbox = asyncio.run(main())
    assert 1 <= inbox.max_in_flight <= 3


def test_raising_and_reconsume_later_are_redelivered(
    producer: Producer, cluster: TestCluster, namesrv_addr: str, rocketmq_log: LogCapture
) -> None:
    topic = new_topic(cluster, queues=1)
    send_bodies(producer, topic, [b"raise", b"later", b"ok"])
    deliveries: dict[bytes, list[int]] = defaultdict(list)

    async def main() -> None:
        done = asyncio.Event()

        async def cb(msg: Any) -> ConsumeStatus | None:
            deliveries[msg.body].append(msg.reconsume_times)
            if all(len(deliveries[b]) >= 2 for b in (b"raise", b"later")) and deliveries[b"ok"]:
                done.set()
            if msg.reconsume_times == 0 and msg.body == b"raise":
                raise RuntimeError("async callback failure")
            if msg.reconsume_times == 0 and msg.body == b"later":
                return ConsumeStatus.RECONSUME_LATER
            return None

        c = consumer(namesrv_addr, delay_level_when_next_consume=1)
        c.subscribe(topic, cb)
        async with c:
            await asyncio.wait_for(done.wait(), WAIT)

    asyncio.run(main())
    assert deliveries[b"raise"][:2] == [0, 1]
    assert deliveries[b"later"][:2] == [0, 1]
    assert deliveries[b"ok"] == [0]
    raised = rocketmq_log.wait_for(lambda r: "raised" in r.getMessage())
    assert raised.levelno == logging.WARNING
    assert raised.exc_info is not None
    assert "async callback failure" in str(raised.exc_info[1])


def test_orderly_keeps_per_queue_order(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster, queues=4)
    keys = [f"k{i}" for i in range(8)]
    per_key = 25
    for i in range(per_key):
        for key in keys:
            m = Message(topic)
            m.set_body(f"{key}:{i}".encode())
            producer.send_orderly_with_sharding_key(m, key)

    async def main() -> Collector:
        inbox = Collector(delay=0.001)
        c = consumer(namesrv_addr, orderly=True)
        c.subscribe(topic, inbox)
        async with c:
            await inbox.wait_for(len(keys) * per_key)
        return inbox

    inbox = asyncio.run(main())
    seen: dict[str, list[int]] = defaultdict(list)
    for body in inbox.bodies:
        key, i = body.decode().split(":")
        seen[key].append(int(i))
    for key in keys:
        assert seen[key] == sorted(seen[key]), (key, seen[key])
        assert sorted(set(seen[key])) == list(range(per_key))
    # One callback per queue at a time: never more than the number of queues in flight.
    assert inbox.max_in_flight <= 4


def test_shutdown_waits_for_callbacks_in_flight(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster)
    send_bodies(producer, topic, [b"%d" % i for i in range(10)])

    async def main() -> tuple[int, int]:
        started = 0
        finished = 0
        some_started = asyncio.Event()

        async def cb(msg: Any) -> None:
            nonlocal started, finished
            started += 1
            some_started.set()
            await asyncio.sleep(0.3)
            finished += 1

        c = consumer(namesrv_addr)
        c.subscribe(topic, cb)
        await c.start()
        await asyncio.wait_for(some_started.wait(), WAIT)
        await asyncio.wait_for(c.shutdown(), 20)
        return started, finished

    started, finished = asyncio.run(main())
    assert started >= 1
    assert finished == started, "shutdown() returned with callbacks still running"


def test_the_loop_is_never_blocked_while_draining(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    """A ticker on the same loop keeps running all through a 5k-message drain: it sees the
    delivered count at every stage of the drain, not just before and after. A library that
    held the loop while it handed messages over (or waited on it for the next batch) would let
    the ticker run only at the ends. No clock bound: the benchmark reports the loop lag."""
    total = 5000
    topic = new_topic(cluster)
    send_bodies(producer, topic, [b"%d" % i for i in range(total)])

    async def main() -> list[int]:
        seen: list[int] = []
        inbox = Collector()
        c = consumer(namesrv_addr)
        c.subscribe(topic, inbox)
        stop = asyncio.Event()

        async def ticker() -> None:
            while not stop.is_set():
                seen.append(len(inbox.bodies))
                await asyncio.sleep(0)  # once per turn of the loop, however fast it drains

        tick = asyncio.ensure_future(ticker())
        async with c:
            await inbox.wait_for(total)
        stop.set()
        await tick
        return seen

    seen = asyncio.run(main())
    # Tenths of the drain in which the ticker ran at least once.
    tenths = {n * 10 // total for n in seen if 0 < n < total}
    assert len(tenths) >= 8, f"the ticker ran in only these tenths of the drain: {sorted(tenths)}"


def test_plain_function_callbacks_work_too(
    producer: Producer, cluster: TestCluster, namesrv_addr: str
) -> None:
    topic = new_topic(cluster)
    send_bodies(producer, topic, [b"a", b"b"])
    got: list[bytes] = []

    async def main() -> None:
        done = asyncio.Event()

        def cb(msg: Any) -> int:
            got.append(msg.body)
            if len(set(got)) == 2:
                done.set()
            return ConsumeStatus.CONSUME_SUCCESS

        c = consumer(namesrv_addr)
        c.subscribe(topic, cb)
        async with c:
            await asyncio.wait_for(done.wait(), WAIT)

    asyncio.run(main())
    assert sorted(set(got)) == [b"a", b"b"]
