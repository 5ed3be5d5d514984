"""Fixtures named as in rocketmq-client-python 2.0.0's tests/conftest.py, on the test cluster.

The upstream tests send to the literal topic ``'test'``; it is created on this session's
private cluster (nothing else uses that name), so the upstream code runs unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rocketmq.client import Producer

from helpers import unique
from testkit import TestCluster

UPSTREAM_TOPIC = "test"


@pytest.fixture(scope="session", autouse=True)
def upstream_topic(cluster: TestCluster) -> str:
    cluster.create_topic(UPSTREAM_TOPIC, queues=4)
    return UPSTREAM_TOPIC


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
