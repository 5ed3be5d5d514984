"""Shared fixtures.

* ``cluster`` (session): one real name server + broker from ``testkit.TestCluster``. If the
  testkit binary or the broker is missing the fixture errors: integration tests never skip.
* ``topic`` / ``group``: fresh uuid-suffixed names; ``topic`` is created on every broker.
* ``producer``: a started ``rocketmq.client.Producer`` on ``cluster``, shut down afterwards.
* ``black_hole``: a loopback address that accepts TCP connections and never answers.
* ``closed_addr``: a loopback address that refuses connections.
* ``rocketmq_log``: records of the ``rocketmq`` logger, with a bounded wait.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Callable

import pytest

from rocketmq.client import Producer

from testkit import TestCluster

# Bound for every wait on a callback or a log record.
WAIT_TIMEOUT = 20.0


def unique(prefix: str) -> str:
    """A name valid as a topic or group: ``prefix_`` + 12 hex digits."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def cluster() -> Iterator[TestCluster]:
    with TestCluster().start(namesrvs=1, brokers=1) as c:
        yield c


@pytest.fixture
def namesrv_addr(cluster: TestCluster) -> str:
    return cluster.namesrv_addr


@pytest.fixture
def group() -> str:
    return unique("pg")


@pytest.fixture
def topic(cluster: TestCluster) -> str:
    name = unique("topic")
    cluster.create_topic(name, queues=4)
    return name


@pytest.fixture
def producer(namesrv_addr: str, group: str) -> Iterator[Producer]:
    p = Producer(group, timeout=10_000)
    p.set_name_server_address(namesrv_addr)
    p.start()
    try:
        yield p
    finally:
        p.shutdown()


@pytest.fixture
def black_hole() -> Iterator[str]:
    """Connections complete (the kernel's backlog accepts them) but nothing is ever read or
    answered; no thread needed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@pytest.fixture
def closed_addr() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


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


@pytest.fixture
def rocketmq_log() -> Iterator[LogCapture]:
    logger = logging.getLogger("rocketmq")
    handler = LogCapture()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
