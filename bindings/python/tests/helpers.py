"""Helpers shared by the tests (plain module: conftest.py files cannot import each other)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any, Callable

#: ``make_consumer(group=None, *, orderly=False, model=CLUSTERING, first=True, threads=4)``
#: (conftest fixture): a PushConsumer on the test cluster, shut down after the test.
MakeConsumer = Callable[..., Any]

# Bound for every wait on a callback or a log record.
WAIT_TIMEOUT = 20.0


def unique(prefix: str) -> str:
    """A name valid as a topic or group: ``prefix_`` + 12 hex digits."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class LogCapture(logging.Handler):
    """Collects records of the ``rocketmq`` logger; :meth:`wait_for` waits with a bound."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._cond = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self._cond:
            self.records.append(record)
            self._cond.notify_all()

    def wait_for(
        self, predicate: Callable[[logging.LogRecord], bool], timeout: float = WAIT_TIMEOUT
    ) -> logging.LogRecord:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for record in self.records:
                    if predicate(record):
                        return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [r.getMessage() for r in self.records]
                    raise AssertionError(f"no matching log record within {timeout} s; saw {seen}")
                self._cond.wait(remaining)


def wait_until(
    predicate: Callable[[], bool], timeout: float = WAIT_TIMEOUT, what: str = ""
) -> None:
    """Poll ``predicate`` (every 20 ms) until it holds; AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"not reached within {timeout} s: {what or predicate}")
        time.sleep(0.02)


class Inbox:
    """A consumer callback that records every message; :meth:`wait_for` waits with a bound.

    ``answer(msg)`` decides what the callback returns (default: CONSUME_SUCCESS).
    """

    def __init__(self, answer: Callable[[Any], Any] | None = None) -> None:
        self.msgs: list[Any] = []
        self._answer = answer
        self._cond = threading.Condition()

    def __call__(self, msg: Any) -> Any:
        with self._cond:
            self.msgs.append(msg)
            self._cond.notify_all()
        if self._answer is not None:
            return self._answer(msg)
        return 0  # ConsumeStatus.CONSUME_SUCCESS

    def snapshot(self) -> list[Any]:
        with self._cond:
            return list(self.msgs)

    def bodies(self) -> list[bytes]:
        return [m.body for m in self.snapshot()]

    def wait_for(
        self, predicate: Callable[[list[Any]], bool] | int, timeout: float = WAIT_TIMEOUT
    ) -> list[Any]:
        """Wait until ``predicate(messages)`` holds (an int ``n`` means ``len >= n``)."""
        check: Callable[[list[Any]], bool] = (
            (lambda msgs: len(msgs) >= predicate) if isinstance(predicate, int) else predicate
        )
        deadline = time.monotonic() + timeout
        with self._cond:
            while not check(self.msgs):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"condition not met within {timeout} s; {len(self.msgs)} messages: "
                        f"{[m.body[:40] for m in self.msgs][:20]}"
                    )
                self._cond.wait(remaining)
            return list(self.msgs)
