"""What asyncio itself costs a request awaited one at a time, next to what our asyncio send costs.

    python bench/asyncio_floor.py [--count 5000] [--rounds 5]

Issue #13 asks that `rocketmq.aio.Producer.send` awaited one at a time reach 0.95x of the
blocking `send_sync`. This benchmark measures the floor under that ratio with no client library
at all: the same prebuilt SEND_MESSAGE_V2 frame (1 KiB body) sent to the real broker over one TCP
connection, one request at a time,

* from a blocking socket (`sendall`, then read the answer), and
* from a minimal `asyncio.Protocol` (`transport.write`, then await a future that
  `data_received` resolves), on asyncio's own loop and, where installed, on uvloop;

then, in the same round, our `send_sync` and our asyncio `send` awaited one at a time. Rounds
alternate the four so that the machine's drift hits all of them alike. The ratio asyncio
Protocol / blocking socket is what the event loop costs a round trip on this machine; the ratio
`aio.send` / `send_sync` is what ours costs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import socket
import struct
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from _common import TestCluster
from rocketmq import aio
from rocketmq.client import Message, Producer

SEND_MESSAGE_V2 = 310


def read_frame(sock: socket.socket) -> bytes:
    """One remoting frame (without its length prefix) from a blocking socket."""
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        head += chunk
    (length,) = struct.unpack(">I", head)
    frame = bytearray()
    while len(frame) < length:
        chunk = sock.recv(length - len(frame))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        frame += chunk
    return bytes(frame)


def send_frame(topic: str, opaque: int, body: bytes) -> bytes:
    """A SEND_MESSAGE_V2 request as the Java client frames it (JSON header; V2's short field
    names: a producer group, b topic, c default topic, d queues, e queue id, f sysFlag, g born
    time, h flag, i properties, j reconsume times, k unit mode, m batch)."""
    fields = {
        "a": "PG_asyncio_floor",
        "b": topic,
        "c": "TBW102",
        "d": "4",
        "e": str(opaque % 4),
        "f": "0",
        "g": str(int(time.time() * 1000)),
        "h": "0",
        "i": f"UNIQ_KEY\x01{uuid.uuid4().hex.upper()}\x02",
        "j": "0",
        "k": "false",
        "m": "false",
    }
    header = json.dumps(
        {
            "code": SEND_MESSAGE_V2,
            "extFields": fields,
            "flag": 0,
            "language": "PYTHON",
            "opaque": opaque,
            "serializeTypeCurrentRPC": "JSON",
            "version": 401,
        }
    ).encode()
    return struct.pack(">II", 4 + len(header) + len(body), len(header)) + header + body


def check_stored(answer: bytes) -> None:
    """Raise unless the answer is SUCCESS (code 0): a refused send would measure nothing."""
    (header_length,) = struct.unpack(">I", answer[:4])
    header = json.loads(answer[4 : 4 + (header_length & 0xFFFFFF)])
    if header.get("code") != 0:
        raise RuntimeError(f"the broker refused the frame: {header}")


def blocking_socket(host: str, port: int, frames: list[bytes]) -> float:
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.sendall(frames[0])
        check_stored(read_frame(sock))
        started = time.perf_counter()
        for frame in frames:
            sock.sendall(frame)
            read_frame(sock)
        return len(frames) / (time.perf_counter() - started)
    finally:
        sock.close()


class OneAtATime(asyncio.Protocol):
    """Resolves `waiter` when a whole answer frame has arrived."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 4:
            (length,) = struct.unpack(">I", self.buffer[:4])
            if len(self.buffer) < 4 + length:
                return
            answer = bytes(self.buffer[4 : 4 + length])
            del self.buffer[: 4 + length]
            waiter, self.waiter = self.waiter, None
            if waiter is not None and not waiter.done():
                waiter.set_result(answer)


async def asyncio_protocol(host: str, port: int, frames: list[bytes]) -> float:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(OneAtATime, host, port)
    try:

        async def round_trip(frame: bytes) -> bytes:
            protocol.waiter = loop.create_future()
            transport.write(frame)
            return await protocol.waiter

        check_stored(await round_trip(frames[0]))
        started = time.perf_counter()
        for frame in frames:
            await round_trip(frame)
        return len(frames) / (time.perf_counter() - started)
    finally:
        transport.close()


def our_send_sync(namesrv: str, msg: Message, count: int) -> float:
    """Our blocking send, from a producer of its own (as the asyncio side), warmed first."""
    producer = Producer(f"bench_floor_sync_{uuid.uuid4().hex[:8]}")
    producer.set_name_server_address(namesrv)
    with producer:
        for _ in range(100):
            producer.send_sync(msg)
        started = time.perf_counter()
        for _ in range(count):
            producer.send_sync(msg)
        return count / (time.perf_counter() - started)


async def our_aio_send(namesrv: str, msg: Message, count: int) -> float:
    producer = aio.Producer(
        f"bench_floor_aio_{uuid.uuid4().hex[:8]}", namesrv_addr=namesrv
    )
    async with producer:
        for _ in range(100):
            await producer.send(msg)
        started = time.perf_counter()
        for _ in range(count):
            await producer.send(msg)
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runners: dict[str, Callable[[Coroutine[Any, Any, float]], float]] = {
        "asyncio": asyncio.run
    }
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        runners["uvloop"] = uvloop.run

    body = b"x" * 1024
    with TestCluster().start(namesrvs=1, brokers=1) as cluster:
        topic = f"bench_floor_{uuid.uuid4().hex[:8]}"
        cluster.create_topic(topic, queues=4)
        host, port = cluster.brokers[0].addr.rsplit(":", 1)
        frames = [send_frame(topic, i, body) for i in range(args.count)]
        msg = Message(topic)
        msg.set_body(body)
        totals: dict[str, float] = {}
        for n in range(args.rounds):
            figures = {"socket": blocking_socket(host, int(port), frames)}
            for name, runner in runners.items():
                figures[name] = runner(asyncio_protocol(host, int(port), frames))
            figures["send_sync"] = our_send_sync(cluster.namesrv_addr, msg, args.count)
            figures["aio.send"] = asyncio.run(
                our_aio_send(cluster.namesrv_addr, msg, args.count)
            )
            for key, value in figures.items():
                totals[key] = totals.get(key, 0.0) + value
            loops = "  ".join(
                f"{name} Protocol {figures[name]:,.0f} ({figures[name] / figures['socket']:.2f}x)"
                for name in runners
            )
            print(
                f"round {n + 1}: blocking socket {figures['socket']:,.0f} msg/s  {loops}"
                f"  | send_sync {figures['send_sync']:,.0f}  aio.send {figures['aio.send']:,.0f}"
                f" ({figures['aio.send'] / figures['send_sync']:.2f}x)",
                flush=True,
            )
    floors = "  ".join(
        f"{name} Protocol / blocking socket {totals[name] / totals['socket']:.2f}x"
        for name in runners
    )
    print(
        f"all rounds: {floors}  |  our aio.send / send_sync "
        f"{totals['aio.send'] / totals['send_sync']:.2f}x (issue #13's target 0.95x)"
    )


if __name__ == "__main__":
    main()
