"""Quick start: send one message and consume it (docs/site/quickstart.md)."""

import os
import threading

# --8<-- [start:produce]
from rocketmq.client import ConsumeStatus, Message, Producer, PushConsumer

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

producer = Producer("quickstart_producer")
producer.set_name_server_address(NAMESRV)
producer.start()

msg = Message(TOPIC)
msg.set_tags("TagA")
msg.set_keys("order-42")
msg.set_body(b"\x00binary\x00body")  # bytes stay bytes, NUL bytes included
result = producer.send_sync(msg)
print(result.status, result.msg_id, result.offset)
producer.shutdown()
# --8<-- [end:produce]

# --8<-- [start:consume]
received = threading.Event()


def on_message(msg):
    print(msg.topic, msg.tags, msg.keys, msg.body)
    received.set()
    return ConsumeStatus.CONSUME_SUCCESS  # None also means success; an exception means retry


consumer = PushConsumer("quickstart_consumer")
consumer.set_name_server_address(NAMESRV)
consumer.subscribe(TOPIC, on_message, expression="TagA || TagB")
consumer.start()
received.wait(timeout=30)
consumer.shutdown()
# --8<-- [end:consume]
assert received.is_set(), "the message was not consumed within 30 s"
