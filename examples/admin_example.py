"""rocketmq.admin tour: cluster, a topic, a message, a group's progress, a lookup, a reset.

    NAMESRV_ADDR=127.0.0.1:9876 python examples/admin_example.py

Creates a topic ``AdminExampleTopic`` on the first cluster, sends 3 messages, consumes them
with the group ``admin_example_group``, then shows what the admin API sees.
"""

from __future__ import annotations

import os
import sys
import threading

from rocketmq.admin import Admin
from rocketmq.client import (
    ConsumeFromWhere,
    Message,
    Producer,
    PushConsumer,
    ReceivedMessage,
)
from rocketmq.exceptions import RocketMQException

TOPIC = "AdminExampleTopic"
GROUP = "admin_example_group"


def main() -> int:
    namesrv = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
    with Admin(namesrv, timeout_ms=5000) as admin:
        info = admin.cluster_info()
        for cluster, brokers in info.clusters.items():
            addrs = [info.brokers[b].master_addr for b in brokers]
            print(f"cluster {cluster}: brokers {brokers} at {addrs}")
        cluster = next(iter(info.clusters))
        admin.create_topic(TOPIC, cluster=cluster, queues=4)
        route = admin.topic_route(TOPIC)
        print(f"{TOPIC}: {[(q.broker_name, q.write_queue_nums) for q in route.queues]}")

        producer = Producer("admin_example_producer")
        producer.set_name_server_address(namesrv)
        producer.start()
        results = []
        for i in range(3):
            msg = Message(TOPIC)
            msg.set_keys(f"order-{i}")
            msg.set_body(f"order {i}".encode())
            results.append(producer.send_sync(msg))
        producer.shutdown()

        done = threading.Semaphore(0)

        def on_message(msg: ReceivedMessage) -> None:
            done.release()

        consumer = PushConsumer(GROUP)
        consumer.set_name_server_address(namesrv)
        consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
        consumer.subscribe(TOPIC, on_message)
        consumer.start()
        for _ in range(3):
            if not done.acquire(timeout=30):
                print("messages did not arrive within 30 s", file=sys.stderr)
                return 1
        status = admin.consumer_connections(GROUP)
        print(f"{GROUP} clients: {[c.client_id for c in status.connections]}")
        consumer.shutdown()  # commits the offsets

        stats = admin.consume_stats(GROUP, TOPIC)
        for q in stats.queues:
            print(
                f"  {q.queue.broker_name}:{q.queue.queue_id} offset {q.consumer_offset}"
                f"/{q.broker_offset} lag {q.lag}"
            )
        print(f"total lag {stats.total_lag}")

        found = admin.message_by_id(results[0].offset_msg_id)
        print(f"message {found.id}: {found.body!r} keys={found.keys!r}")

        reset = admin.reset_offset_by_time(GROUP, TOPIC, 0)
        print(f"reset to the beginning: {sorted(reset.offsets.values())}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RocketMQException as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
