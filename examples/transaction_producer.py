"""Transactional messages: a local transaction decides whether a message is delivered.

    NAMESRV_ADDR=127.0.0.1:9876 python examples/transaction_producer.py [TOPIC]

Sends three orders as transactional messages to TOPIC (default ``TransactionExampleTopic``).
The local transaction "stores" each order and answers COMMIT, ROLLBACK or UNKNOWN; for the
UNKNOWN one the broker later asks the checker, which finds the order stored and commits it.
A consumer then receives the committed and the checked order, never the rolled-back one (a
plain marker sent last shows it has seen everything). Exit status 0 when that holds.

The broker checks unresolved transactions every ``transactionCheckInterval`` (Java: 60 s; the
test cluster: 1 s), so against a default broker the UNKNOWN order arrives after about a minute.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from typing import Any

from rocketmq.client import (
    ConsumeFromWhere,
    Message,
    PushConsumer,
    ReceivedMessage,
    TransactionMQProducer,
    TransactionStatus,
)

#: Our "database": orders stored by the local transaction, by key.
ORDERS: dict[str, str] = {}


def local_execute(msg: ReceivedMessage, decision: Any) -> TransactionStatus:
    """Store the order (user_args carries what to answer, to show each outcome)."""
    key = msg.keys.decode()
    if decision is TransactionStatus.ROLLBACK:
        return TransactionStatus.ROLLBACK  # not stored: discard the message
    ORDERS[key] = msg.body.decode()
    return decision  # type: ignore[no-any-return]


def check(msg: ReceivedMessage) -> TransactionStatus:
    """The broker asks about a message whose transaction is not resolved."""
    if msg.keys.decode() in ORDERS:
        return TransactionStatus.COMMIT
    return TransactionStatus.ROLLBACK


def main() -> int:
    namesrv = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
    topic = sys.argv[1] if len(sys.argv) > 1 else "TransactionExampleTopic"
    run = uuid.uuid4().hex[:6]
    received: list[bytes] = []
    marker = f"marker-{run}".encode()
    got_marker = threading.Event()

    def on_message(msg: ReceivedMessage) -> None:
        received.append(msg.body)
        if msg.body == marker:
            got_marker.set()

    producer = TransactionMQProducer(f"tx_example_{run}", check)
    producer.set_name_server_address(namesrv)
    consumer = PushConsumer(f"tx_example_consumer_{run}")
    consumer.set_name_server_address(namesrv)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, on_message)
    with producer, consumer:
        for name, decision in [
            ("committed", TransactionStatus.COMMIT),
            ("rolled-back", TransactionStatus.ROLLBACK),
            ("checked", TransactionStatus.UNKNOWN),
        ]:
            msg = Message(topic)
            msg.set_keys(f"{name}-{run}")
            msg.set_body(f"order {name} {run}")
            result = producer.send_message_in_transaction(msg, local_execute, decision)
            print(
                f"{name}: {result.local_state.name}, transaction {result.transaction_id}"
            )
        want = {f"order committed {run}".encode(), f"order checked {run}".encode()}
        deadline = time.monotonic() + 120
        while not want <= set(received) and time.monotonic() < deadline:
            time.sleep(0.1)
        marker_msg = Message(topic)
        marker_msg.set_body(marker)
        producer.send_sync(
            marker_msg
        )  # a transactional producer sends plain messages too
        got_marker.wait(60)
    rolled_back = f"order rolled-back {run}".encode()
    print(f"received: {sorted(b.decode() for b in received if b != marker)}")
    return 0 if want <= set(received) and rolled_back not in received else 1


if __name__ == "__main__":
    sys.exit(main())
