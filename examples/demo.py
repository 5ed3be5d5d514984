"""rocketmq-py demo: send 100 messages through the Python API and consume them.

`make demo` runs this. It starts a private name server + broker on loopback (through the test
kit, binary from $RMQ_TESTKIT_BIN), creates a topic, sends 100 messages with
`rocketmq.client.Producer`, consumes them with `rocketmq.client.PushConsumer`, and stops
everything. It exits with status 1 if any message did not come back.

The producer and consumer code is exactly what you would write against a real cluster: only
the name server address comes from the test kit.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bindings" / "python" / "tests"))

from rocketmq.client import (
    ConsumeFromWhere,
    ConsumeStatus,
    Message,
    Producer,
    PushConsumer,
    ReceivedMessage,
)
from testkit import TestCluster

TOPIC = "DemoTopic"
COUNT = 100
WAIT_SECONDS = 30


def produce(namesrv_addr: str) -> set[str]:
    """Send COUNT messages; return their ids."""
    producer = Producer("demo_producer_group")
    producer.set_name_server_address(namesrv_addr)
    producer.start()
    ids = set()
    try:
        for i in range(COUNT):
            msg = Message(TOPIC)
            msg.set_keys(f"order-{i}")
            msg.set_tags("TagA" if i % 2 == 0 else "TagB")
            msg.set_body(f"hello #{i}".encode())
            result = producer.send_sync(msg)
            print(f"sent     {i:3d}: {result}")
            ids.add(result.msg_id)
    finally:
        producer.shutdown()
    return ids


def consume(namesrv_addr: str, expected: set[str]) -> set[str]:
    """Consume until every expected id arrived (or WAIT_SECONDS passed); return what arrived."""
    received: set[str] = set()
    lock = threading.Lock()
    all_arrived = threading.Event()

    def on_message(msg: ReceivedMessage) -> ConsumeStatus:
        print(
            f"received {msg.id} tags={msg.tags!r} keys={msg.keys!r} body={msg.body!r}"
        )
        with lock:
            received.add(msg.id)
            if expected <= received:
                all_arrived.set()
        return ConsumeStatus.CONSUME_SUCCESS

    consumer = PushConsumer("demo_consumer_group")
    consumer.set_name_server_address(namesrv_addr)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(TOPIC, on_message)  # or expression="TagA || TagB"
    with consumer:  # start() ... shutdown()
        all_arrived.wait(WAIT_SECONDS)
    with lock:
        return set(received)


def main() -> int:
    started = time.monotonic()
    print("starting a local name server and broker ...")
    with TestCluster().start(namesrvs=1, brokers=1) as cluster:
        print(f"name server at {cluster.namesrv_addr}")
        cluster.create_topic(TOPIC, queues=4)
        sent = produce(cluster.namesrv_addr)
        received = consume(cluster.namesrv_addr, sent)
    missing = sent - received
    elapsed = time.monotonic() - started
    print()
    print(
        f"sent {len(sent)}, received {len(sent & received)} of them, in {elapsed:.1f} s"
    )
    if missing:
        print(
            f"MISSING {len(missing)} messages: {sorted(missing)[:10]} ...",
            file=sys.stderr,
        )
        return 1
    print("demo OK: every message sent was consumed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
