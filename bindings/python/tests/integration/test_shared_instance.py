"""Client objects given one instance name share one client instance (Java MQClientInstance):
one client id, and broker requests still reach the right group."""

from __future__ import annotations

import pytest

from rocketmq import exceptions as exc
from rocketmq.admin import Admin
from rocketmq.client import ConsumeFromWhere, Message, Producer, PushConsumer

from helpers import Inbox, unique
from testkit import TestCluster

pytestmark = pytest.mark.integration


def test_one_instance_name_one_client(cluster: TestCluster, topic: str, namesrv_addr: str) -> None:
    name = unique("inst")
    inboxes = [Inbox(), Inbox()]
    consumers = []
    for inbox in inboxes:
        c = PushConsumer(unique("cg"))
        c.set_name_server_address(namesrv_addr)
        c.set_instance_name(name)
        c.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
        c.subscribe(topic, inbox)
        c.start()
        consumers.append(c)
    producer = Producer(unique("pg"))
    producer.set_name_server_address(namesrv_addr)
    producer.set_instance_name(name)
    producer.start()
    try:
        ids = {producer.client_id, *(c.client_id for c in consumers)}
        assert len(ids) == 1, ids
        assert next(iter(ids)).endswith("@" + name)
        m = Message(topic)
        m.set_body(b"shared")
        producer.send_sync(m)
        for inbox in inboxes:  # each group gets the message
            assert [x.body for x in inbox.wait_for(1)] == [b"shared"]
        # Broker-relayed requests reach each group's consumer through the one instance.
        with Admin(namesrv_addr) as admin:
            for c in consumers:
                conns = admin.consumer_connections(c.group)
                assert [x.client_id for x in conns.connections] == [c.client_id], conns
                info = admin.consumer_running_info(c.group, c.client_id or "")
                assert topic in {s.topic for s in info.subscriptions}, info
                assert {q.queue.topic for q in info.queues} <= {topic, f"%RETRY%{c.group}"}, info
        # A second object of a group already in the instance is refused, as in Java.
        dup = Producer(producer.group)
        dup.set_name_server_address(namesrv_addr)
        dup.set_instance_name(name)
        with pytest.raises(exc.ProducerStartFailed, match="created before"):
            dup.start()
    finally:
        producer.shutdown()
        for c in consumers:
            c.shutdown()
