"""What forked (and spawned) children run in test_fork.py, and a bounded way to run it.

A plain module (not a test file) so that ``multiprocessing`` with the ``spawn`` and
``forkserver`` start methods can import the worker functions by name in a fresh interpreter.
"""

from __future__ import annotations

import json
import os
import select
import signal
import time
import traceback
import uuid
from typing import Any, Callable

from rocketmq.client import ConsumeFromWhere, Message, Producer, PushConsumer


def send_one(args: tuple[str, str]) -> tuple[int, str]:
    """The issue's pool worker: a new producer in the child sends one message."""
    namesrv, topic = args
    q = Producer("mp_" + uuid.uuid4().hex[:6], timeout=10_000)
    q.set_name_server_address(namesrv)
    q.start()
    try:
        m = Message(topic)
        m.set_body(b"x")
        r = q.send_sync(m)
        return int(r.status), r.msg_id
    finally:
        q.shutdown()


def consume_in_child(namesrv: str, topic: str, count: int, timeout: float) -> list[bytes]:
    """Send ``count`` messages and consume them with a new PushConsumer; the bodies seen."""
    import threading

    seen: list[bytes] = []
    done = threading.Event()
    lock = threading.Lock()

    def on_message(msg: Any) -> None:
        with lock:
            if msg.body not in seen:
                seen.append(msg.body)
            if len(seen) >= count:
                done.set()

    consumer = PushConsumer("cg_" + uuid.uuid4().hex[:8])
    consumer.set_name_server_address(namesrv)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, on_message)
    consumer.start()
    producer = Producer("pg_" + uuid.uuid4().hex[:8], timeout=10_000)
    producer.set_name_server_address(namesrv)
    producer.start()
    try:
        for i in range(count):
            m = Message(topic)
            m.set_body(b"child-%d" % i)
            producer.send_sync(m)
        done.wait(timeout)
    finally:
        producer.shutdown()
        consumer.shutdown()
    return sorted(seen)


class Child:
    """A child made with ``os.fork()`` that runs ``fn`` and reports its JSON result (or its
    exception) through a pipe. Every wait on it is bounded."""

    def __init__(self, fn: Callable[[Callable[[Any], None]], Any]) -> None:
        """``fn(report)`` runs in the child; ``report(value)`` sends an interim value."""
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never return into the test runner
            os.close(read_fd)
            code = 0
            try:

                def report(value: Any) -> None:
                    os.write(write_fd, (json.dumps({"report": value}) + "\n").encode())

                result = fn(report)
                os.write(write_fd, (json.dumps({"result": result}) + "\n").encode())
            except BaseException as e:
                message = {"error": type(e).__name__, "mro": [c.__name__ for c in type(e).__mro__]}
                message["text"] = str(e)
                message["traceback"] = traceback.format_exc()
                os.write(write_fd, (json.dumps(message) + "\n").encode())
                code = 1
            finally:
                os._exit(code)
        os.close(write_fd)
        self.pid = pid
        self._fd = read_fd
        self._buffer = b""
        self._exited: int | None = None

    def read(self, timeout: float) -> dict[str, Any]:
        """The child's next message; AssertionError if none arrives within ``timeout``."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"child {self.pid} said nothing within {timeout} s")
            ready, _, _ = select.select([self._fd], [], [], remaining)
            if ready:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    raise AssertionError(f"child {self.pid} exited without a result")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def result(self, timeout: float) -> Any:
        """The child's final result; its exception is raised here as AssertionError."""
        while True:
            message = self.read(timeout)
            if "error" in message:
                raise AssertionError(f"child raised {message['error']}: {message['traceback']}")
            if "result" in message:
                return message["result"]

    def wait(self, timeout: float) -> int:
        """The child's exit status (killed with SIGKILL if it does not exit in time)."""
        if self._exited is not None:
            return self._exited
        deadline = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._exited = status
                os.close(self._fd)
                return status
            if time.monotonic() >= deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                os.close(self._fd)
                raise AssertionError(f"child {self.pid} did not exit within {timeout} s")
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL the child and reap it."""
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self._exited = -signal.SIGKILL
        os.close(self._fd)
