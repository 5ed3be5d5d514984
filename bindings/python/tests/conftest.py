"""Shared fixtures.

* ``cluster`` (session): one real name server + broker from ``testkit.TestCluster``, checking
  unresolved transactions every second. If the testkit binary or the broker is missing the
  fixture errors: integration tests never skip.
* ``topic`` / ``group``: fresh uuid-suffixed names; ``topic`` is created on every broker.
* ``producer``: a started ``rocketmq.client.Producer`` on ``cluster``, shut down afterwards.
* ``make_consumer``: builds ``PushConsumer`` objects on ``cluster`` (fresh group, 4 threads,
  consuming from the first offset unless told otherwise), all shut down afterwards.
* ``black_hole``: a loopback address that accepts TCP connections and never answers.
* ``closed_addr``: a loopback address that refuses connections.
* ``rocketmq_log``: records of the ``rocketmq`` logger, with a bounded wait.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Iterator
from typing import Callable

import pytest

from rocketmq.client import ConsumeFromWhere, MessageModel, Producer, PushConsumer

from helpers import LogCapture, unique
from testkit import TestCluster

# A shell starts a background job (`cmd &` without job control) with SIGINT ignored, and
# Python then leaves it ignored: Ctrl-C could not be delivered at all, `_thread.interrupt_main`
# does nothing and child processes inherit the ignore. The Ctrl-C tests (blocked calls raise
# KeyboardInterrupt, the CLI exits 130) need Python's usual handler, whoever started pytest.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: The broker checks unresolved transactions every second, for half messages older than 1 s
#: (Java's defaults: 60 s and 6 s), so transaction tests resolve within seconds; the Rust tests
#: (crates/rocketmq-client/tests/transaction.rs) use the same values.
TRANSACTION_CHECKS = {
    "broker.transactionCheckInterval": "1000",
    "broker.transactionTimeout": "1000",
}


@pytest.fixture(scope="session")
def cluster() -> Iterator[TestCluster]:
    with TestCluster().start(namesrvs=1, brokers=1, broker_config=TRANSACTION_CHECKS) as c:
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
def make_consumer(namesrv_addr: str) -> Iterator[Callable[..., PushConsumer]]:
    made: list[PushConsumer] = []

    def make(
        group: str | None = None,
        *,
        orderly: bool = False,
        model: MessageModel = MessageModel.CLUSTERING,
        first: bool = True,
        threads: int = 4,
    ) -> PushConsumer:
        consumer = PushConsumer(group or unique("cg"), orderly=orderly, message_model=model)
        consumer.set_name_server_address(namesrv_addr)
        if first:
            consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
        consumer.set_thread_count(threads)
        made.append(consumer)
        return consumer

    yield make
    for consumer in made:
        consumer.shutdown()


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
