"""Fixtures named as in rocketmq-client-python 2.0.0's tests/conftest.py, on the test cluster.

The upstream tests send to the literal topic ``'test'``; it is created on this session's
private cluster (nothing else uses that name), so the upstream code runs unchanged.

``push_consumer`` differs from upstream's (``PushConsumer('push_consumer_group')``) in one
respect: upstream ran on a fresh broker where ``'test'`` held only the consumer test's own
message. Here the producer tests share the topic, so each consumer gets a fresh group that
starts at the time the fixture is created (``CONSUME_FROM_TIMESTAMP``, strict) and so sees
exactly the messages its test sends. Redeliveries come after 1 s instead of 10 s.

``upstream_name_server`` (autouse): upstream's ``test_transaction_producer`` creates its own
``TransactionMQProducer`` and gives it the literal address ``'127.0.0.1:9876'``; that address
is mapped to this session's name server (nothing may be listening on 9876 here, and another
test run may be).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from rocketmq.client import ConsumeFromWhere, Producer, PushConsumer, TransactionMQProducer

from helpers import unique
from testkit import TestCluster

UPSTREAM_TOPIC = "test"


@pytest.fixture(scope="session", autouse=True)
def upstream_topic(cluster: TestCluster) -> str:
    cluster.create_topic(UPSTREAM_TOPIC, queues=4)
    return UPSTREAM_TOPIC


UPSTREAM_NAME_SERVER = "127.0.0.1:9876"


@pytest.fixture(autouse=True)
def upstream_name_server(cluster: TestCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    original = TransactionMQProducer.set_name_server_address

    def set_name_server_address(self: TransactionMQProducer, addr: str) -> None:
        original(self, cluster.namesrv_addr if addr == UPSTREAM_NAME_SERVER else addr)

    monkeypatch.setattr(TransactionMQProducer, "set_name_server_address", set_name_server_address)


@pytest.fixture
def producer(cluster: TestCluster) -> Iterator[Producer]:
    prod = Producer(unique("producer_group"))
    prod.set_name_server_address(cluster.namesrv_addr)
    prod.start()
    yield prod
    prod.shutdown()


@pytest.fixture
def orderly_producer(cluster: TestCluster) -> Iterator[Producer]:
    prod = Producer(unique("orderly_producer_group"), True)
    prod.set_name_server_address(cluster.namesrv_addr)
    prod.start()
    yield prod
    prod.shutdown()


@pytest.fixture
def push_consumer(cluster: TestCluster) -> Iterator[PushConsumer]:
    consumer = PushConsumer(unique("push_consumer_group"))
    consumer.set_name_server_address(cluster.namesrv_addr)
    # Everything stored before this millisecond belongs to earlier tests.
    now = time.time_ns() // 1_000_000
    while time.time_ns() // 1_000_000 == now:
        pass
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_TIMESTAMP, strict=True)
    consumer.set_consume_timestamp(now + 1)
    consumer.set_delay_level_when_next_consume(1)
    yield consumer
    consumer.shutdown()
