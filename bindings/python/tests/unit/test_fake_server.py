"""Faults a real broker won't produce on demand: a name server that answers with garbage.

Each case must end in a typed exception within the send timeout, with the process alive and
the producer usable afterwards (the next send gets the same clean error, not a hang).
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from rocketmq.client import Message, Producer
from rocketmq.exceptions import ProducerSendSyncFailed, RocketMQException

from helpers import unique

GARBAGE = {
    "absurd-length": struct.pack(">I", 0xFFFFFFF0) + b"\x01\x02\x03",
    "length-below-header": struct.pack(">I", 2) + b"\x00\x00",
    "truncated-then-close": struct.pack(">I", 200) + b"\x00\x00\x00\x10" + b"{" * 20,
    "not-json-header": struct.pack(">II", 10, 6) + b'{"code"',
    "random-bytes": bytes(random.Random(7).randrange(256) for _ in range(512)),
}


@pytest.fixture(params=sorted(GARBAGE))
def garbage_server(request: pytest.FixtureRequest) -> Iterator[str]:
    payload = GARBAGE[request.param]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)  # the client's request
                    conn.sendall(payload)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_garbage_from_the_name_server_is_a_typed_error(garbage_server: str) -> None:
    producer = Producer(unique("pg_garbage"), timeout=1500)
    producer.set_name_server_address(garbage_server)
    producer.start()
    try:
        msg = Message(unique("T_garbage"))
        msg.set_body(b"x")
        for _ in range(2):  # the second send reconnects and fails the same way
            started = time.monotonic()
            with pytest.raises(ProducerSendSyncFailed) as info:
                producer.send_sync(msg)
            elapsed = time.monotonic() - started
            assert isinstance(info.value, RocketMQException)
            assert elapsed < 1.5 + 2.0, elapsed
            kinds = {"connection_closed", "protocol", "timeout", "connect"}
            assert info.value.kind in kinds, info.value.kind
    finally:
        producer.shutdown()
