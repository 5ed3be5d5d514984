"""Send and consume through the installed package: the check run on a foreign platform's Python.

    python platform_smoke.py NAMESRV_ADDR TOPIC [COUNT]

Sends COUNT (default 100) messages with send_sync, consumes them with a PushConsumer from the
first offset, and exits 0 when every body came back within 60 s. Standard library + rocketmq.
"""

from __future__ import annotations

import platform
import sys
import threading
import time
import uuid

import rocketmq
from rocketmq.client import ConsumeFromWhere, Message, Producer, PushConsumer


def main() -> int:
    namesrv, topic = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    print(f"python {platform.python_version()} on {platform.machine()}, rocketmq {rocketmq.__file__}")
    start = time.monotonic()
    producer = Producer(f"smoke_pg_{uuid.uuid4().hex[:8]}")
    producer.set_name_server_address(namesrv)
    producer.start()
    sent = set()
    for i in range(count):
        msg = Message(topic)
        body = f"smoke-{i}".encode() + b"\x00\xff"
        msg.set_body(body)
        producer.send_sync(msg)
        sent.add(body)
    producer.shutdown()
    print(f"sent {count} in {time.monotonic() - start:.2f}s")

    got: set[bytes] = set()
    done = threading.Event()

    def on_message(msg):  # type: ignore[no-untyped-def]
        got.add(msg.body)
        if sent <= got:
            done.set()

    consumer = PushConsumer(f"smoke_cg_{uuid.uuid4().hex[:8]}")
    consumer.set_name_server_address(namesrv)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, on_message)
    consumer.start()
    ok = done.wait(60)
    consumer.shutdown()
    print(f"consumed {len(got & sent)}/{count} in {time.monotonic() - start:.2f}s")
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
