"""The original proposal's functional API (docs/site/migration.md)."""

import os
import threading

# --8<-- [start:rip3]
from rocketmq.rip3 import *  # was: from librocketmqclientpython import *

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

producer = CreateProducer("rip3_producer")
SetProducerNameServerAddress(producer, NAMESRV)
StartProducer(producer)
msg = CreateMessage(TOPIC)
SetMessageTags(msg, "TagA")
SetMessageKeys(msg, "order-42")
SetMessageBody(msg, "hello")
result = SendMessageSync(producer, msg)
print(result.sendStatus, result.offset, result.GetMsgId())
DestroyMessage(msg)
ShutdownProducer(producer)
DestroyProducer(producer)

got = threading.Event()


def callback(msg):
    print(GetMessageTopic(msg), GetMessageTags(msg), GetMessageBody(msg), GetMessageId(msg))
    got.set()
    return CConsumeStatus.E_CONSUME_SUCCESS


consumer = CreatePushConsumer("rip3_consumer")
SetPushConsumerNameServerAddress(consumer, NAMESRV)
SetPushConsumerThreadCount(consumer, 1)
Subscribe(consumer, TOPIC, "*")
RegisterMessageCallback(consumer, callback)
StartPushConsumer(consumer)
got.wait(timeout=30)
ShutdownPushConsumer(consumer)
DestroyPushConsumer(consumer)
# --8<-- [end:rip3]
assert got.is_set()
assert result.sendStatus == CSendStatus.E_SEND_OK
