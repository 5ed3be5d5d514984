"""The rocketmq-client-python 0.5.x pull consumer, restored: read a topic queue by queue.

    NAMESRV_ADDR=127.0.0.1:9876 python examples/pull_consumer.py [TOPIC]

Sends 5 messages, then prints every message of the topic from offset 0 of each queue and the
offsets reached. Exit status 0 when the 5 were read.
"""

from __future__ import annotations

import os
import sys
import uuid

from rocketmq.client import Message, Producer, PullConsumer


def main() -> int:
    namesrv = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
    topic = sys.argv[1] if len(sys.argv) > 1 else "PullExampleTopic"
    bodies = {f"pull-{uuid.uuid4().hex[:6]}-{i}".encode() for i in range(5)}
    producer = Producer("pull_example_producer")
    producer.set_name_server_address(namesrv)
    with producer:
        for body in sorted(bodies):
            msg = Message(topic)
            msg.set_body(body)
            producer.send_sync(msg)

    consumer = PullConsumer("pull_example_group")
    consumer.set_namesrv_addr(namesrv)
    seen = set()
    with consumer:
        for msg in consumer.pull(topic, max_num=32):
            seen.add(msg.body)
        for queue in consumer.fetch_subscribe_message_queues(topic):
            print(
                f"queue {queue.queue_id}: offset {consumer.get_message_queue_offset(queue)}"
            )
    print(f"read {len(seen & bodies)} of {len(bodies)} new messages")
    return 0 if bodies <= seen else 1


if __name__ == "__main__":
    sys.exit(main())
