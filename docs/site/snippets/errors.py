"""Errors and retries (docs/site/errors.md)."""

import os
import socket
import threading

from rocketmq.client import ConsumeFromWhere, ConsumeStatus, Message, Producer, PushConsumer
from rocketmq.exceptions import (
    InvalidMessageError,
    NotStartedError,
    ProducerSendSyncFailed,
    RocketMQException,
)

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

# --8<-- [start:kinds]
producer = Producer("errors_producer")
producer.set_name_server_address(NAMESRV)

try:
    producer.send_sync(Message(TOPIC))  # not started yet
except NotStartedError as e:  # also a RuntimeError (and a ProducerSendSyncFailed)
    print("not started:", e)

producer.start()
try:
    producer.send_sync(Message(TOPIC))  # no body: rejected before any I/O
except InvalidMessageError as e:  # also a ValueError
    print("invalid:", e)

msg = Message(TOPIC)
msg.set_body(b"ok")
try:
    producer.send_sync(msg)
except TimeoutError:  # ProducerSendSyncTimeout: the send timeout (retries included) ran out
    raise
except ConnectionError:  # ProducerSendSyncConnectionError: no broker reachable
    raise
except ProducerSendSyncFailed as e:  # anything else of this operation: e.code, e.remark ...
    print("broker said", e.code, e.remark)
    raise
producer.shutdown()
# --8<-- [end:kinds]

# --8<-- [start:unreachable]
with socket.socket() as s:  # a port nobody listens on
    s.bind(("127.0.0.1", 0))
    dead = f"127.0.0.1:{s.getsockname()[1]}"
lonely = Producer("errors_lonely", timeout=1000)
lonely.set_name_server_address(dead)
lonely.start()
try:
    lonely.send_sync(msg)
except ProducerSendSyncFailed as e:
    assert isinstance(e, (ConnectionError, TimeoutError)), e
    assert isinstance(e, RocketMQException)
    print(type(e).__name__, e)
finally:
    lonely.shutdown()
# --8<-- [end:unreachable]

# --8<-- [start:retry]
attempts = []
done = threading.Event()


def flaky(msg):
    attempts.append(msg.reconsume_times)  # 0 on the first delivery, then 1, 2 ...
    if msg.reconsume_times == 0:
        raise RuntimeError("database busy")  # logged with its traceback; redelivered
    done.set()
    return ConsumeStatus.CONSUME_SUCCESS


consumer = PushConsumer("errors_consumer")
consumer.set_name_server_address(NAMESRV)
consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
consumer.set_delay_level_when_next_consume(1)  # retry after 1 s (default: 10 s, 30 s, 1 min ...)
consumer.set_max_reconsume_times(3)  # then the group's dead-letter queue (%DLQ%<group>)
consumer.subscribe(TOPIC, flaky)
consumer.start()
done.wait(timeout=30)
consumer.shutdown()
# --8<-- [end:retry]
assert done.is_set() and attempts[:2] == [0, 1], attempts
