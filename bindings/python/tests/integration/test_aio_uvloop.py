"""rocketmq.aio on uvloop (the loop uvicorn and many asyncio servers run): sends awaited one at
a time and gathered, a cancelled send, async consumer callbacks. The bridge watches its
wake-up socket with uvloop's ``add_reader`` as with asyncio's. Every wait is bounded."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from rocketmq import aio
from rocketmq.client import ConsumeFromWhere, Message, SendStatus

from helpers import unique
from testkit import TestCluster

if sys.platform == "win32":
    pytest.skip("uvloop has no Windows build", allow_module_level=True)

import uvloop  # a dev dependency everywhere else: missing is an error, not a skip

pytestmark = pytest.mark.integration

WAIT = 60.0
T = TypeVar("T")


def on_uvloop(coro: Coroutine[Any, Any, T]) -> T:
    loop = uvloop.new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, WAIT))
    finally:
        loop.close()


def message(topic: str, body: bytes) -> Message:
    msg = Message(topic)
    msg.set_body(body)
    return msg


def test_sends_awaited_one_at_a_time_and_gathered(namesrv_addr: str, topic: str) -> None:
    async def main() -> tuple[list[object], list[object], str]:
        async with aio.Producer(unique("pg"), namesrv_addr=namesrv_addr) as producer:
            one_by_one = [await producer.send(message(topic, b"%d" % i)) for i in range(20)]
            gathered = await asyncio.gather(
                *(producer.send(message(topic, b"g%d" % i)) for i in range(200))
            )
        return one_by_one, list(gathered), type(asyncio.get_running_loop()).__module__

    one_by_one, gathered, loop_module = on_uvloop(main())
    assert loop_module.startswith("uvloop"), loop_module
    results = one_by_one + gathered
    assert all(r.status is SendStatus.OK for r in results)  # type: ignore[attr-defined]
    assert len({r.msg_id for r in results}) == 220  # type: ignore[attr-defined]


def test_push_consumer_callbacks_and_a_cancelled_send(
    namesrv_addr: str, cluster: TestCluster
) -> None:
    topic = unique("uvtopic")
    cluster.create_topic(topic, queues=4)
    bodies = {b"uv-%d" % i for i in range(100)}

    async def main() -> set[bytes]:
        seen: set[bytes] = set()
        all_seen = asyncio.Event()

        async def on_message(msg: Any) -> None:
            seen.add(msg.body)
            if seen >= bodies:
                all_seen.set()

        consumer = aio.PushConsumer(
            unique("acg"),
            namesrv_addr=namesrv_addr,
            consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        )
        consumer.subscribe(topic, on_message)
        async with aio.Producer(unique("pg"), namesrv_addr=namesrv_addr) as producer:
            cancelled = asyncio.ensure_future(producer.send(message(topic, b"cancelled")))
            cancelled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await cancelled
            await asyncio.gather(*(producer.send(message(topic, b)) for b in sorted(bodies)))
            async with consumer:
                await asyncio.wait_for(all_seen.wait(), WAIT)
        return seen

    seen = on_uvloop(main())
    assert bodies <= seen
    assert seen - bodies <= {b"cancelled"}
