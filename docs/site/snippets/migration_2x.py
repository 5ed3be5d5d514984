"""rocketmq-client-python 2.x code unchanged, and what 2.x could not do (docs/site/migration.md)."""

import os
import threading

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

# --8<-- [start:unchanged]
from rocketmq.client import ConsumeStatus, Message, Producer, PushConsumer

producer = Producer("PID-migration")
producer.set_name_server_address(NAMESRV)
producer.start()
msg = Message(TOPIC)
msg.set_keys("XXX")
msg.set_tags("XXX")
msg.set_body("XXXX")
ret = producer.send_sync(msg)
print(ret.status, ret.msg_id, ret.offset)
producer.shutdown()
# --8<-- [end:unchanged]

# --8<-- [start:fixed]
second = Producer("PID-migration-2")
second.set_name_server_address(NAMESRV)
with second as p:  # 2.x bound None to p
    binary = Message(TOPIC)
    binary.set_tags("bin")
    binary.set_body(b"\x00\x01\x02")  # 2.x cut bodies at the first NUL byte
    p.send_sync(binary)
# --8<-- [end:fixed]
# --8<-- [start:consumer]
got = {}
done = threading.Event()


def callback(msg):
    got[msg.id] = msg  # a ReceivedMessage stays valid after the callback (2.x: dangling)
    if len(got) >= 2:
        done.set()
    return ConsumeStatus.CONSUME_SUCCESS


consumer = PushConsumer("CID-migration")
consumer.set_name_server_address(NAMESRV)
consumer.subscribe(TOPIC, callback)
consumer.start()
done.wait(timeout=30)
consumer.shutdown()
# --8<-- [end:consumer]
assert {m.body for m in got.values()} == {b"XXXX", b"\x00\x01\x02"}, got
