"""A push consumer across a broker restart (a cluster of this module's own: it kills its broker)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from rocketmq import exceptions as exc
from rocketmq.client import ConsumeFromWhere, Message, Producer, PushConsumer

from helpers import Inbox, unique, wait_until
from testkit import TestCluster

pytestmark = [pytest.mark.integration, pytest.mark.fault]

# Pulls, heartbeats and route refreshes have to find the restarted broker again.
RESTART_WAIT = 60.0


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[TestCluster]:
    with TestCluster().start(namesrvs=1, brokers=1) as c:
        yield c


def send_until_acknowledged(producer: Producer, topic: str, body: str) -> str:
    """Send, retrying while the broker comes back; return the acknowledged message id."""
    msg = Message(topic)
    msg.set_body(body)
    deadline = time.monotonic() + RESTART_WAIT
    while True:
        try:
            return producer.send_sync(msg).msg_id
        except exc.ProducerSendSyncFailed:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)  # back-off between attempts, not synchronisation


@pytest.mark.timeout(180)
def test_consumption_resumes_after_a_broker_restart(own_cluster: TestCluster) -> None:
    topic = unique("restart")
    own_cluster.create_topic(topic, queues=2)
    producer = Producer(unique("pg_restart"), timeout=5000)
    producer.set_name_server_address(own_cluster.namesrv_addr)
    producer.start()
    inbox = Inbox()
    consumer = PushConsumer(unique("cg_restart"))
    consumer.set_name_server_address(own_cluster.namesrv_addr)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, inbox)
    consumer.start()
    try:
        acknowledged = [send_until_acknowledged(producer, topic, f"before-{i}") for i in range(20)]
        inbox.wait_for(20)
        own_cluster.kill_broker(0)
        own_cluster.start_broker(0)
        acknowledged += [send_until_acknowledged(producer, topic, f"after-{i}") for i in range(20)]
        wait_until(
            lambda: set(acknowledged) <= {m.id for m in inbox.snapshot()},
            timeout=RESTART_WAIT,
            what="every acknowledged message consumed after the restart",
        )
        bodies = {m.body for m in inbox.snapshot()}
        assert {f"after-{i}".encode() for i in range(20)} <= bodies
    finally:
        consumer.shutdown()
        producer.shutdown()
