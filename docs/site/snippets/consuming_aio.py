"""The asyncio push and lite-pull consumers (docs/site/consuming.md)."""

import asyncio
import os

from rocketmq import aio
from rocketmq.client import ConsumeFromWhere, Message, Producer

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

producer = Producer("aio_consuming_producer")
producer.set_name_server_address(NAMESRV)
producer.start()
for i in range(5):
    msg = Message(TOPIC)
    msg.set_body(b"%d" % i)
    producer.send_sync(msg)
producer.shutdown()


# --8<-- [start:push]
async def consume(expected: int) -> list:
    bodies = []
    enough = asyncio.Event()

    async def on_message(msg):
        bodies.append(msg.body)  # await your own I/O here; the loop is never blocked
        if len(bodies) >= expected:
            enough.set()

    consumer = aio.PushConsumer(
        "aio_consumer",
        namesrv_addr=NAMESRV,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        max_in_flight=20,  # callbacks running at once
    )
    consumer.subscribe(TOPIC, on_message)
    async with consumer:
        await asyncio.wait_for(enough.wait(), timeout=30)
    return bodies


bodies = asyncio.run(consume(5))
# --8<-- [end:push]
assert sorted(bodies) == [b"%d" % i for i in range(5)]


# --8<-- [start:lite_pull]
async def pull(expected: int) -> list:
    got = []
    async with aio.LitePullConsumer(
        "aio_puller",
        namesrv_addr=NAMESRV,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
    ) as consumer:
        await consumer.subscribe(TOPIC)
        async for msg in consumer:  # polls until shut down
            got.append(msg.body)
            if len(got) >= expected:
                break
    return got


pulled = asyncio.run(asyncio.wait_for(pull(5), timeout=30))
# --8<-- [end:lite_pull]
assert len(pulled) == 5
