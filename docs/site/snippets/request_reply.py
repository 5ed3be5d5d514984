"""Request-reply (docs/site/request-reply.md)."""

import asyncio
import os

from rocketmq import aio
from rocketmq.client import (
    ConsumeFromWhere,
    Message,
    Producer,
    PushConsumer,
    create_reply_message,
)

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

# --8<-- [start:replier]
reply_producer = Producer("rpc_replier")
reply_producer.set_name_server_address(NAMESRV)
reply_producer.start()


def on_request(msg):
    answer = msg.body.decode().upper()
    reply_producer.send_sync(create_reply_message(msg, answer))  # back to the requester


replier = PushConsumer("rpc_replier")
replier.set_name_server_address(NAMESRV)
replier.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
replier.subscribe(TOPIC, on_request)
replier.start()
# --8<-- [end:replier]

# --8<-- [start:requester]
requester = Producer("rpc_requester")
requester.set_name_server_address(NAMESRV)
requester.start()
request = Message(TOPIC)
request.set_body("hello")
reply = requester.request(request, timeout_ms=10_000)  # a ReceivedMessage; TimeoutError if none
print(reply.body)  # b'HELLO'
requester.shutdown()
# --8<-- [end:requester]
assert reply.body == b"HELLO"


# --8<-- [start:aio]
async def ask_many():
    async with aio.Producer("rpc_aio_requester", namesrv_addr=NAMESRV) as producer:
        requests = []
        for word in ("a", "b", "c"):
            msg = Message(TOPIC)
            msg.set_body(word)
            requests.append(producer.request(msg, timeout_ms=10_000))
        return await asyncio.gather(*requests)  # any number in flight


replies = asyncio.run(ask_many())
# --8<-- [end:aio]
assert [r.body for r in replies] == [b"A", b"B", b"C"]
replier.shutdown()
reply_producer.shutdown()
