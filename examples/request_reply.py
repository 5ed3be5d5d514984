"""Request-reply: a requester waits for the answer of a replier (RPC over RocketMQ).

    NAMESRV_ADDR=127.0.0.1:9876 python examples/request_reply.py [TOPIC]

The replier consumes requests from TOPIC (default ``RequestReplyExampleTopic``) and sends
``create_reply_message(request, body)`` with any producer; the broker pushes the reply to the
requesting client, whose ``request()`` returns it. Then the same with asyncio. Exit status 0
when every reply matched its request.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

from rocketmq import aio
from rocketmq.client import (
    ConsumeFromWhere,
    Message,
    Producer,
    PushConsumer,
    ReceivedMessage,
    create_reply_message,
)


def request_message(topic: str, body: str) -> Message:
    msg = Message(topic)
    msg.set_body(body)
    return msg


def main() -> int:
    namesrv = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
    topic = sys.argv[1] if len(sys.argv) > 1 else "RequestReplyExampleTopic"
    run = uuid.uuid4().hex[:6]

    # The replier: a consumer that answers with its own producer.
    reply_sender = Producer(f"rr_replier_{run}")
    reply_sender.set_name_server_address(namesrv)

    def on_request(msg: ReceivedMessage) -> None:
        answer = msg.body.decode().upper()
        reply_sender.send_sync(create_reply_message(msg, answer))

    replier = PushConsumer(f"rr_replier_{run}")
    replier.set_name_server_address(namesrv)
    replier.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    replier.subscribe(topic, on_request)

    ok = True
    requester = Producer(f"rr_requester_{run}")
    requester.set_name_server_address(namesrv)
    with reply_sender, replier, requester:
        for word in ["hello", "world"]:
            reply = requester.request(
                request_message(topic, f"{word} {run}"), timeout_ms=30_000
            )
            print(f"request {word!r} -> reply {reply.body.decode()!r}")
            ok &= reply.body == f"{word} {run}".upper().encode()

        async def ask_many() -> list[ReceivedMessage]:
            async with aio.Producer(f"rr_aio_{run}", namesrv_addr=namesrv) as p:
                return await asyncio.gather(
                    *(
                        p.request(request_message(topic, f"n{i}"), timeout_ms=30_000)
                        for i in range(10)
                    )
                )

        replies = asyncio.run(ask_many())
        print(f"asyncio: {len(replies)} replies: {[r.body.decode() for r in replies]}")
        ok &= [r.body for r in replies] == [f"N{i}".encode() for i in range(10)]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
