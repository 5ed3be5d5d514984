"""Helpers shared by the tests (plain module: conftest.py files cannot import each other)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Callable

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
