"""``ReceivedMessage`` has the attribute types of 2.x (code written for 2.x keeps working), and
the additions."""

from __future__ import annotations

import pytest

from rocketmq.client import ConsumeFromWhere, Message, Producer, PushConsumer, ReceivedMessage
from rocketmq.consts import MessageProperty

from helpers import Inbox, MakeConsumer, unique
from testkit import TestCluster

pytestmark = [pytest.mark.compat, pytest.mark.integration]

INT_ATTRIBUTES = [
    "delay_time_level",
    "queue_id",
    "reconsume_times",
    "store_size",
    "born_timestamp",
    "store_timestamp",
    "queue_offset",
    "commit_log_offset",
    "prepared_transaction_offset",
]


def consume_one(producer: Producer, topic: str, make_consumer: MakeConsumer) -> ReceivedMessage:
    msg = Message(topic)
    msg.set_keys("k1 k2")
    msg.set_tags("TagA")
    msg.set_body(b"\x00caf\xc3\xa9\xff\x00")
    msg.set_property("property", "test")
    sent = producer.send_sync(msg)
    inbox = Inbox()
    consumer: PushConsumer = make_consumer()
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, inbox)
    consumer.start()
    got = inbox.wait_for(1)
    assert len(got) == 1
    assert got[0].id == sent.msg_id
    assert got[0].offset_msg_id == sent.offset_msg_id
    assert got[0].queue_offset == sent.offset
    return got[0]


def test_types_are_those_of_2x(producer: Producer, topic: str, make_consumer: MakeConsumer) -> None:
    m = consume_one(producer, topic, make_consumer)
    assert type(m.topic) is str
    assert m.topic == topic
    assert type(m.id) is str
    assert len(m.id) == 32
    for name in ("tags", "keys", "body"):
        assert type(getattr(m, name)) is bytes, name
    assert m.tags == b"TagA"
    assert m.keys == b"k1 k2"
    assert m.body == b"\x00caf\xc3\xa9\xff\x00", "binary-safe: NUL bytes kept"
    assert m.body is m.body, "the body becomes a bytes object once, not on every access"
    for name in INT_ATTRIBUTES:
        assert type(getattr(m, name)) is int, name
    assert m.delay_time_level == 0
    assert m.reconsume_times == 0
    assert m.prepared_transaction_offset == 0
    assert m.born_timestamp <= m.store_timestamp
    assert m.store_size > len(m.body)
    # get_property / [] take a str or a MessageProperty and give bytes or None.
    assert m.get_property("property") == b"test"
    assert m["property"] == b"test"
    assert m.get_property(MessageProperty.KEYS) == b"k1 k2"
    assert m[MessageProperty.TAGS] == b"TagA"
    assert m.get_property("missing") is None
    assert m["missing"] is None
    # __str__ decodes the body (invalid bytes replaced), __bytes__ gives it back.
    assert str(m) == "\x00café\ufffd\x00"
    assert bytes(m) == m.body
    assert repr(m) == f"<ReceivedMessage topic={m.topic!r} id={m.id!r} body={m.body!r}>"


def test_additions(producer: Producer, topic: str, make_consumer: MakeConsumer) -> None:
    m = consume_one(producer, topic, make_consumer)
    assert m.broker_name == "broker-0"
    assert m.properties["property"] == "test"
    assert m.properties["TAGS"] == "TagA"
    assert all(type(k) is str and type(v) is str for k, v in m.properties.items())
    for host in (m.born_host, m.store_host):
        ip, port = host.rsplit(":", 1)
        assert ip == "127.0.0.1"
        assert 0 < int(port) < 65536
    assert m.offset_msg_id.startswith("7F000001")
    assert m.flag == 0


def test_store_size_is_the_record_length(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer
) -> None:
    """Two messages written back to back: the second starts store_size bytes after the first
    (exact on the test broker, which stores properties with a trailing separator)."""
    topic = unique("size")
    cluster.create_topic(topic, queues=1)
    for i in range(2):
        msg = Message(topic)
        msg.set_body(b"x" * (10 + i))
        msg.set_property("p", "v" * (i + 1))
        producer.send_sync(msg)
    inbox = Inbox()
    consumer: PushConsumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    first, second = sorted(inbox.wait_for(2), key=lambda m: m.commit_log_offset)
    assert second.commit_log_offset - first.commit_log_offset == first.store_size
