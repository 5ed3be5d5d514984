"""Auto-batching (Java 5.x ``autoBatch`` / ``ProduceAccumulator``) against the real broker:
every caller's result is the stored message's, what Java does not batch goes out alone, a
failed batch fails each caller, the hold time and the size bound decide when a batch goes."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from rocketmq import aio
from rocketmq import exceptions as exc
from rocketmq.client import Message, Producer, PullConsumer, SendResult, SendStatus

from helpers import WAIT_TIMEOUT, unique, wait_until

pytestmark = pytest.mark.integration

# The longest hold Java allows: anything that completes well within it was not held for it.
LONG_HOLD_MS = 30_000


def batching_producer(namesrv: str, **settings: int) -> Producer:
    p = Producer(unique("pg"), timeout=10_000)
    p.set_name_server_address(namesrv)
    p.set_auto_batch(True)
    if "delay" in settings:
        p.set_batch_max_delay_ms(settings["delay"])
    if "max_bytes" in settings:
        p.set_batch_max_bytes(settings["max_bytes"])
    p.start()
    return p


def message(topic: str, body: bytes, tags: str | None = None) -> Message:
    m = Message(topic)
    m.set_body(body)
    if tags is not None:
        m.set_tags(tags)
    return m


def send_all_async(p: Producer, msgs: list[Message]) -> list[SendResult | BaseException]:
    """send_async every message; wait (bounded) for every callback."""
    results: list[SendResult | BaseException | None] = [None] * len(msgs)
    done = threading.Semaphore(0)

    def ok(i: int):  # type: ignore[no-untyped-def]
        def cb(r: SendResult) -> None:
            results[i] = r
            done.release()

        return cb

    def failed(i: int):  # type: ignore[no-untyped-def]
        def cb(e: BaseException) -> None:
            results[i] = e
            done.release()

        return cb

    for i, m in enumerate(msgs):
        p.send_async(m, ok(i), failed(i))
    for _ in msgs:
        assert done.acquire(timeout=WAIT_TIMEOUT), "a callback never came"
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def stored(namesrv: str, topic: str) -> dict[bytes, tuple[str, str, int, int]]:
    """Every stored message of `topic` by body: (id, offset id, queue id, queue offset)."""
    consumer = PullConsumer(unique("cg"))
    consumer.set_namesrv_addr(namesrv)
    with consumer:
        return {
            m.body: (m.id, m.offset_msg_id, m.queue_id, m.queue_offset)
            for m in consumer.pull(topic, max_num=32)
        }


def test_each_caller_gets_the_stored_message_of_its_own(namesrv_addr: str, topic: str) -> None:
    # The size bound, not the hold time, closes the batches: a hold of 2 s is far longer than
    # submitting 200 sends takes even in a debug build on a loaded machine (with 50 ms, a debug
    # build in CI submitted slowly enough for the hold to split batches).
    p = batching_producer(namesrv_addr, delay=2_000, max_bytes=2_000)
    try:
        msgs = [message(topic, b"m-%04d" % i + b"x" * 100) for i in range(200)]
        results = send_all_async(p, msgs)
    finally:
        p.shutdown()
    on_broker = stored(namesrv_addr, topic)
    assert len(on_broker) == 200
    for m, r in zip(msgs, results):
        assert isinstance(r, SendResult), r
        assert r.status is SendStatus.OK
        assert (r.msg_id, r.offset_msg_id, r.queue_id, r.offset) == on_broker[m.body]
    sent = [r for r in results if isinstance(r, SendResult)]
    assert len({r.msg_id for r in sent}) == 200, "each caller has an id of its own"
    # They went out in batches: message i+1 mostly lands in message i's queue (a batch goes to
    # one queue; sent alone, consecutive sends go round the queues, so no two would). Not their
    # offsets' order: calls may reach the accumulator in another order than they were made.
    same_queue = sum(1 for a, b in zip(sent, sent[1:]) if a.queue_id == b.queue_id)
    assert same_queue > 150, same_queue


def test_held_messages_of_one_batch_share_a_queue_and_consecutive_offsets(
    namesrv_addr: str, topic: str
) -> None:
    # A hold far longer than the test, and a size bound the 5th message crosses: the batch goes
    # out because of its size, as one request, to one queue.
    p = batching_producer(namesrv_addr, delay=LONG_HOLD_MS, max_bytes=400)
    try:
        msgs = [message(topic, b"%d" % i + b"y" * 99, tags="T") for i in range(5)]
        results = send_all_async(p, msgs)
    finally:
        p.shutdown()
    assert all(isinstance(r, SendResult) for r in results), results
    sent = [r for r in results if isinstance(r, SendResult)]
    assert len({r.queue_id for r in sent}) == 1
    # send_async makes no promise of order between its calls: the batch holds them in the order
    # they reached the accumulator, and each result is its own message's (checked below).
    offsets = sorted(r.offset for r in sent)
    assert offsets == list(range(offsets[0], offsets[0] + 5))
    on_broker = stored(namesrv_addr, topic)
    for m, r in zip(msgs, sent):
        assert on_broker[m.body] == (r.msg_id, r.offset_msg_id, r.queue_id, r.offset)


def test_what_java_does_not_batch_is_sent_alone(namesrv_addr: str, topic: str) -> None:
    # With a hold of 30 s, a send that completes within the wait was not held.
    p = batching_producer(namesrv_addr, delay=LONG_HOLD_MS, max_bytes=1_000)
    try:
        delayed = message(topic, b"delayed")
        delayed.set_delay_time_level(1)
        timed = message(topic, b"timed")
        timed.set_delivery_time_ms(int(time.time() * 1000) + 2_000)
        oversized = message(topic, b"z" * 1_001)
        results = send_all_async(p, [delayed, timed, oversized])
        assert all(isinstance(r, SendResult) for r in results), results
        # Orderly sends never go through the accumulator.
        r = p.send_orderly_with_sharding_key(message(topic, b"ordered"), "k")
        assert r.status is SendStatus.OK
    finally:
        p.shutdown()


def test_a_failed_batch_fails_every_caller(namesrv_addr: str, topic: str) -> None:
    # Two bodies of 2 MiB (the largest batch_max_bytes, so both are held): together a batch
    # over the broker's 4 MiB message limit, which the client lets through (max_message_size
    # raised), so the broker refuses the batch request.
    p = Producer(unique("pg"), timeout=10_000, max_message_size=16 * 1024 * 1024)
    p.set_name_server_address(namesrv_addr)
    p.set_auto_batch(True)
    p.set_batch_max_delay_ms(30_000)
    p.set_batch_max_bytes(2 * 1024 * 1024)
    p.start()
    try:
        body = bytes(range(256)) * (8 * 1024)
        results = send_all_async(p, [message(topic, body), message(topic, body)])
    finally:
        p.shutdown()
    assert all(isinstance(r, exc.RocketMQException) for r in results), results
    assert results[0] is not results[1], "each caller gets an exception of its own"
    assert str(results[0]) == str(results[1])
    assert "MESSAGE_ILLEGAL" in str(results[0]), results[0]


def test_the_hold_time_bounds_how_long_a_message_waits(namesrv_addr: str, topic: str) -> None:
    # One message, nothing else to batch with: it goes out when its hold time is up, not before
    # (and long before the send timeout).
    p = batching_producer(namesrv_addr, delay=300)
    try:
        p.send_sync(message(topic, b"warm"))  # routes and connection
        started = time.monotonic()
        r = p.send_sync(message(topic, b"held"))
        held_for = time.monotonic() - started
    finally:
        p.shutdown()
    assert r.status is SendStatus.OK
    assert held_for >= 0.3, held_for
    assert stored(namesrv_addr, topic)[b"held"][0] == r.msg_id


def test_shutdown_sends_what_is_held(namesrv_addr: str, topic: str) -> None:
    p = batching_producer(namesrv_addr, delay=LONG_HOLD_MS)
    results: list[SendResult] = []
    done = threading.Event()
    p.send_async(
        message(topic, b"held-at-shutdown"),
        lambda r: (results.append(r), done.set()),
        lambda e: done.set(),
    )
    # Held (counted in flight, by the producer's statistics) before the shutdown begins.
    wait_until(lambda: p.stats()["in_flight"] == 1, what="the message is held")
    p.shutdown()
    assert done.wait(WAIT_TIMEOUT)
    assert results
    assert results[0].status is SendStatus.OK


def test_asyncio_sends_are_batched_with_exact_results(namesrv_addr: str, topic: str) -> None:
    async def main() -> list[SendResult]:
        async with aio.Producer(
            unique("pg"),
            namesrv_addr=namesrv_addr,
            auto_batch=True,
            batch_max_delay_ms=20,
            batch_max_bytes=4_096,
        ) as p:
            return await asyncio.gather(
                *(p.send(message(topic, b"aio-%03d" % i)) for i in range(100))
            )

    results = asyncio.run(main())
    on_broker = stored(namesrv_addr, topic)
    assert len(on_broker) == 100
    for i, r in enumerate(results):
        assert (r.msg_id, r.offset_msg_id, r.queue_id, r.offset) == on_broker[b"aio-%03d" % i]


def test_invalid_batch_settings_fail_start(namesrv_addr: str) -> None:
    for setter, value in (
        ("set_batch_max_delay_ms", 0),
        ("set_batch_max_delay_ms", 30_001),
        ("set_batch_max_bytes", 2 * 1024 * 1024 + 1),
        ("set_total_batch_max_bytes", 0),
    ):
        p = Producer(unique("pg"))
        p.set_name_server_address(namesrv_addr)
        p.set_auto_batch(True)
        getattr(p, setter)(value)
        with pytest.raises(exc.ProducerStartFailed):
            p.start()
