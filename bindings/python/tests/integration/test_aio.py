"""rocketmq.aio against a real broker."""

from __future__ import annotations

import asyncio

import pytest

from rocketmq import exceptions as exc
from rocketmq.aio import Message, Producer, SendResult, SendStatus

from helpers import unique

pytestmark = pytest.mark.integration

AWAIT_TIMEOUT = 30.0


def message(topic: str, body: bytes = b"hello") -> Message:
    msg = Message(topic)
    msg.set_body(body)
    return msg


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, AWAIT_TIMEOUT))


def test_gather_100_sends(namesrv_addr: str, topic: str) -> None:
    async def main() -> list[SendResult]:
        async with Producer(unique("pg"), namesrv_addr=namesrv_addr) as producer:
            return await asyncio.gather(*(producer.send(message(topic)) for _ in range(100)))

    results = run(main())
    assert len(results) == 100
    assert all(r.status is SendStatus.OK for r in results)
    assert len({r.msg_id for r in results}) == 100
    assert len({(r.queue_id, r.offset) for r in results}) == 100


def test_all_methods(namesrv_addr: str, topic: str) -> None:
    async def main() -> None:
        producer = Producer(
            unique("pg"),
            namesrv_addr=namesrv_addr,
            send_timeout_ms=5000,
            retry_times=1,
            compress_level=9,
            compress_over=1024,
            max_message_size=1 << 20,
            instance_name=unique("inst"),
        )
        assert producer.client_id is None
        await producer.start()
        assert producer.client_id is not None
        try:
            r = await producer.send(message(topic), timeout_ms=4000)
            assert r.status is SendStatus.OK
            assert await producer.send_oneway(message(topic)) is None
            batch = await producer.send_batch([message(topic) for _ in range(3)])
            assert len(batch.msg_id.split(",")) == 3
            a = await producer.send_orderly_with_sharding_key(message(topic), "key-1")
            b = await producer.send_orderly_with_sharding_key(message(topic), "key-1")
            assert a.queue_id == b.queue_id
            assert b.offset == a.offset + 1
            big = await producer.send(message(topic, b"\x00" * 5000))
            assert big.status is SendStatus.OK
        finally:
            await producer.shutdown()

    run(main())


def test_errors_are_the_blocking_api_classes(namesrv_addr: str, closed_addr: str) -> None:
    async def main() -> None:
        producer = Producer(unique("pg"), namesrv_addr=namesrv_addr)
        with pytest.raises(exc.ProducerSendSyncNotStarted):
            await producer.send(message("T"))
        async with producer:
            with pytest.raises(exc.ProducerSendSyncInvalidMessage):
                await producer.send(message("bad topic"))
            with pytest.raises(ValueError):  # noqa: PT011
                await producer.send(Message("T"))
        with pytest.raises(exc.ProducerStartFailed):
            await Producer(unique("pg"), namesrv_addr=namesrv_addr, send_timeout_ms=0).start()
        async with Producer(unique("pg"), namesrv_addr=closed_addr) as unreachable:
            with pytest.raises(ConnectionError):
                await unreachable.send(message("T"))

    run(main())


def test_cancelled_send_does_not_break_the_producer(namesrv_addr: str, topic: str) -> None:
    async def main() -> None:
        async with Producer(unique("pg"), namesrv_addr=namesrv_addr) as producer:
            task = asyncio.ensure_future(producer.send(message(topic)))
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            r = await producer.send(message(topic))
            assert r.status is SendStatus.OK

    run(main())


def test_a_settled_send_schedules_only_its_awaiter(namesrv_addr: str, topic: str) -> None:
    # The cancel handle is taken off the future before its result is set: settling a send
    # schedules the awaiting task's wake-up and nothing else (issue #13).
    async def main() -> list[object]:
        loop = asyncio.get_running_loop()
        scheduled: list[object] = []
        real_call_soon = loop.call_soon

        def spy(callback, *args, **kwargs):  # type: ignore[no-untyped-def]
            scheduled.append(callback)
            return real_call_soon(callback, *args, **kwargs)

        async with Producer(unique("pg"), namesrv_addr=namesrv_addr) as producer:
            await producer.send(message(topic))  # routes and connection ready
            pending = producer._core.send(message(topic), None, aio=True)
            loop.call_soon = spy  # type: ignore[method-assign]
            try:
                result = await pending
            finally:
                del loop.call_soon  # type: ignore[method-assign]
            assert result.status is SendStatus.OK
        return scheduled

    scheduled = run(main())
    kinds = [type(getattr(cb, "__self__", cb)).__name__ for cb in scheduled]
    assert "_AioCancel" not in kinds, kinds
    assert any(isinstance(getattr(cb, "__self__", None), asyncio.Task) for cb in scheduled), kinds
