"""Lite-pull consumer tour: subscribe, poll, seek back, commit.

    NAMESRV_ADDR=127.0.0.1:9876 python examples/lite_pull_consumer.py [TOPIC]

Sends 10 messages to TOPIC (default ``LitePullExampleTopic``, created by the broker on first
send when auto-create is on), polls them with a fresh group, seeks one queue back to its start,
reads it again and commits. Exit status 0 when everything was seen.
"""

from __future__ import annotations

import os
import sys
import time
import uuid

from rocketmq.client import ConsumeFromWhere, LitePullConsumer, Message, Producer


def main() -> int:
    namesrv = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
    topic = sys.argv[1] if len(sys.argv) > 1 else "LitePullExampleTopic"
    bodies = {f"lite-{uuid.uuid4().hex[:6]}-{i}".encode() for i in range(10)}

    producer = Producer("lite_example_producer")
    producer.set_name_server_address(namesrv)
    with producer:
        for body in sorted(bodies):
            msg = Message(topic)
            msg.set_body(body)
            producer.send_sync(msg)

    consumer = LitePullConsumer(
        f"lite_example_{uuid.uuid4().hex[:6]}",
        namesrv_addr=namesrv,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        auto_commit=False,
    )
    consumer.subscribe(topic)
    with consumer:
        seen: set[bytes] = set()
        deadline = time.monotonic() + 30
        while not bodies <= seen and time.monotonic() < deadline:
            for msg in consumer.poll(timeout_ms=1000):
                seen.add(msg.body)
        print(f"polled {len(seen & bodies)} of {len(bodies)} messages")
        queue = next(q for q in consumer.assignment())
        consumer.seek_to_begin(queue)
        again = consumer.poll(timeout_ms=2000)
        print(
            f"after seek_to_begin({queue.queue_id}): {len(again)} message(s) read again"
        )
        consumer.commit()
        print(
            f"committed offset of queue {queue.queue_id}: {consumer.committed(queue)}"
        )
    return 0 if bodies <= seen else 1


if __name__ == "__main__":
    sys.exit(main())
