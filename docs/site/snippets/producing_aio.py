"""The asyncio producer (docs/site/producing.md)."""

import asyncio
import os

from rocketmq.aio import Producer
from rocketmq.client import Message

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")


def new_message(body: bytes) -> Message:
    msg = Message(TOPIC)
    msg.set_body(body)
    return msg


# --8<-- [start:aio]
async def main():
    async with Producer("aio_producer", namesrv_addr=NAMESRV) as producer:
        result = await producer.send(new_message(b"one"))
        print(result.msg_id)
        results = await asyncio.gather(*(producer.send(new_message(b"%d" % i)) for i in range(10)))
        await producer.send_batch([new_message(b"a"), new_message(b"b")])
        await producer.send_oneway(new_message(b"no answer awaited"))
        await producer.send_orderly_with_sharding_key(new_message(b"step-1"), "order-42")
        return results


results = asyncio.run(main())
# --8<-- [end:aio]
assert len(results) == 10
