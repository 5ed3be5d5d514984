"""asyncio push consumer: ``async def`` callbacks on the running event loop.

    NAMESRV_ADDR=127.0.0.1:9876 python examples/aio_push_consumer.py [TOPIC]

Sends 20 messages with the asyncio producer and consumes them with callbacks that await
(20 in flight at once by default). Exit status 0 when all arrived.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from rocketmq import aio
from rocketmq.client import ConsumeFromWhere, Message, ReceivedMessage


async def main() -> int:
    namesrv = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
    topic = sys.argv[1] if len(sys.argv) > 1 else "AioConsumerExampleTopic"
    bodies = {f"aio-{uuid.uuid4().hex[:6]}-{i}".encode() for i in range(20)}
    seen: set[bytes] = set()
    all_seen = asyncio.Event()

    async def on_message(msg: ReceivedMessage) -> None:
        await asyncio.sleep(0.01)  # e.g. an HTTP call or a database write
        seen.add(msg.body)
        if bodies <= seen:
            all_seen.set()

    consumer = aio.PushConsumer(
        f"aio_example_{uuid.uuid4().hex[:6]}",
        namesrv_addr=namesrv,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
    )
    consumer.subscribe(topic, on_message)
    async with aio.Producer("aio_example_producer", namesrv_addr=namesrv) as producer:
        for body in sorted(bodies):
            msg = Message(topic)
            msg.set_body(body)
            await producer.send(msg)
    async with consumer:
        try:
            await asyncio.wait_for(all_seen.wait(), 30)
        except TimeoutError:
            pass
    print(f"consumed {len(seen & bodies)} of {len(bodies)} messages")
    return 0 if bodies <= seen else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
