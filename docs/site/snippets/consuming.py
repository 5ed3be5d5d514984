"""Push consumers, concurrent and orderly, and the lite-pull consumer (docs/site/consuming.md)."""

import os
import threading

from rocketmq.client import (
    ConsumeFromWhere,
    ConsumeStatus,
    LitePullConsumer,
    Message,
    MessageModel,
    Producer,
    PushConsumer,
)

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

producer = Producer("consuming_producer")
producer.set_name_server_address(NAMESRV)
producer.start()
for i in range(10):
    msg = Message(TOPIC)
    msg.set_tags("TagA")
    msg.set_body(f"order-{i % 2}:step-{i}".encode())
    producer.send_orderly_with_sharding_key(msg, f"order-{i % 2}")
producer.shutdown()

# --8<-- [start:push]
seen = []
all_seen = threading.Event()


def on_message(msg):
    seen.append(msg.body)
    if len(seen) >= 10:
        all_seen.set()
    # None or CONSUME_SUCCESS: done. RECONSUME_LATER or an exception: redelivered later
    # (10 s, 30 s, 1 min ...), up to set_max_reconsume_times(), then the dead-letter queue.
    return ConsumeStatus.CONSUME_SUCCESS


consumer = PushConsumer("orders_consumer", message_model=MessageModel.CLUSTERING)
consumer.set_name_server_address(NAMESRV)
consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
consumer.set_thread_count(4)
consumer.subscribe(TOPIC, on_message, expression="TagA || TagB")
consumer.start()
all_seen.wait(timeout=30)
consumer.shutdown()
# --8<-- [end:push]
assert all_seen.is_set()

# --8<-- [start:orderly]
per_order = {}
ordered_done = threading.Event()


def in_order(msg):
    order, step = msg.body.decode().split(":")
    per_order.setdefault(order, []).append(step)  # one queue at a time: steps arrive in order
    if sum(map(len, per_order.values())) >= 10:
        ordered_done.set()


orderly = PushConsumer("orders_in_order", orderly=True)
orderly.set_name_server_address(NAMESRV)
orderly.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
orderly.subscribe(TOPIC, in_order)
orderly.start()
ordered_done.wait(timeout=30)
orderly.shutdown()
# --8<-- [end:orderly]
assert ordered_done.is_set()
for steps in per_order.values():
    assert steps == sorted(steps, key=lambda s: int(s.split("-")[1]))

# --8<-- [start:lite_pull]
with LitePullConsumer(
    "orders_puller",
    namesrv_addr=NAMESRV,
    consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
) as puller:
    puller.subscribe(TOPIC, "TagA")  # or puller.assign(puller.fetch_message_queues(TOPIC))
    pulled = []
    for _ in range(100):  # poll in a loop; offsets are committed every 5 s and at shutdown
        pulled.extend(puller.poll(timeout_ms=500))
        if len(pulled) >= 10:
            break
    queue = puller.assignment()[0]
    puller.seek_to_begin(queue)  # read a queue again from its start
# --8<-- [end:lite_pull]
assert len(pulled) >= 10
