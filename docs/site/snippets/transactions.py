"""Transactional messages (docs/site/transactions.md)."""

import asyncio
import os
import threading

from rocketmq import aio
from rocketmq.client import (
    ConsumeFromWhere,
    Message,
    PushConsumer,
    TransactionMQProducer,
    TransactionStatus,
)

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

# --8<-- [start:blocking]
orders = {}  # the application's own records: what the check-back answers from


def insert_order(msg, order_id):
    """The local transaction: runs once the half message is stored."""
    orders[order_id] = "paid"
    return TransactionStatus.COMMIT  # or ROLLBACK, or UNKNOWN (the broker asks check() later)


def check(msg):
    """The broker's check-back, for a transaction left UNKNOWN or whose producer died."""
    order_id = msg.keys.decode()
    return TransactionStatus.COMMIT if order_id in orders else TransactionStatus.ROLLBACK


producer = TransactionMQProducer("orders_txn_producer", check)
producer.set_name_server_address(NAMESRV)
producer.start()

msg = Message(TOPIC)
msg.set_keys("order-42")
msg.set_body(b'{"order": 42, "paid": true}')
result = producer.send_message_in_transaction(msg, insert_order, user_args="order-42")
print(result.transaction_id, result.local_state)  # the message is visible once committed

rolled_back = Message(TOPIC)
rolled_back.set_body(b"never delivered")
producer.send_message_in_transaction(rolled_back, lambda m, a: TransactionStatus.ROLLBACK)
producer.shutdown()
# --8<-- [end:blocking]
assert result.local_state == TransactionStatus.COMMIT


# --8<-- [start:aio]
async def pay(order_id: str) -> None:
    async def local(msg, args):
        orders[args] = "paid"  # e.g. await your database
        return TransactionStatus.COMMIT

    async def checker(msg):
        return (
            TransactionStatus.COMMIT if msg.keys.decode() in orders else TransactionStatus.ROLLBACK
        )

    async with aio.TransactionProducer(
        "orders_aio_txn", checker, namesrv_addr=NAMESRV
    ) as txn_producer:
        msg = Message(TOPIC)
        msg.set_keys(order_id)
        msg.set_body(b"paid with asyncio")
        await txn_producer.send_message_in_transaction(msg, local, user_args=order_id)


asyncio.run(pay("order-43"))
# --8<-- [end:aio]

# Consumers see the committed messages only.
seen = []
both = threading.Event()


def on_message(msg):
    seen.append(msg.body)
    if len(seen) >= 2:
        both.set()


consumer = PushConsumer("orders_txn_consumer")
consumer.set_name_server_address(NAMESRV)
consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
consumer.subscribe(TOPIC, on_message)
consumer.start()
both.wait(timeout=30)
consumer.shutdown()
assert set(seen) == {b'{"order": 42, "paid": true}', b"paid with asyncio"}, seen
