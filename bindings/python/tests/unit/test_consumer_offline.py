"""PushConsumer without a broker: 2.x names and values, settings checked by start(), start
failures, garbage collection of callbacks."""

from __future__ import annotations

import datetime as dt
import gc
import time
import weakref

import pytest

import rocketmq.client as client
from rocketmq import exceptions as exc
from rocketmq.client import (
    ConsumeFromWhere,
    ConsumeStatus,
    MessageModel,
    PushConsumer,
    ReceivedMessage,
)


def noop(msg: ReceivedMessage) -> None:
    pass


def test_2x_names_are_exported() -> None:
    for name in ["SendStatus", "Message", "ReceivedMessage", "Producer", "PushConsumer"]:
        assert name in client.__all__
    for name in ["ConsumeStatus", "MessageModel", "SendResult", "ConsumeFromWhere"]:
        assert name in client.__all__
        assert getattr(client, name) is not None


def test_enum_values_are_those_of_2x() -> None:
    assert [(s.name, int(s)) for s in ConsumeStatus] == [
        ("CONSUME_SUCCESS", 0),
        ("RECONSUME_LATER", 1),
    ]
    assert [(m.name, int(m)) for m in MessageModel] == [("BROADCASTING", 0), ("CLUSTERING", 1)]
    assert [(w.name, int(w)) for w in ConsumeFromWhere] == [
        ("CONSUME_FROM_LAST_OFFSET", 0),
        ("CONSUME_FROM_FIRST_OFFSET", 4),
        ("CONSUME_FROM_TIMESTAMP", 5),
    ]


def test_received_message_is_not_constructible() -> None:
    with pytest.raises(TypeError):
        ReceivedMessage()  # type: ignore[call-arg]


def consumer(namesrv: str = "127.0.0.1:9876") -> PushConsumer:
    c = PushConsumer("cg_offline")
    c.set_name_server_address(namesrv)
    return c


def test_start_without_subscription() -> None:
    c = consumer()
    with pytest.raises(exc.PushConsumerStartFailed, match="no subscription") as info:
        c.start()
    assert isinstance(info.value, exc.InvalidConfigError)
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "config"
    assert c.client_id is None


def test_start_without_name_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NAMESRV_ADDR", raising=False)
    c = PushConsumer("cg_offline")
    c.subscribe("T", noop)
    with pytest.raises(exc.PushConsumerStartInvalidConfig, match="name server"):
        c.start()


def test_start_with_an_unreachable_name_server(closed_addr: str) -> None:
    c = consumer(closed_addr)
    c.subscribe("T", noop)
    started = time.monotonic()
    with pytest.raises(exc.PushConsumerStartFailed) as info:
        c.start()
    assert time.monotonic() - started < 10
    assert isinstance(info.value, (ConnectionError, TimeoutError))
    assert closed_addr.split(":")[1] in str(info.value)
    # Not started: settings can still change, and shutdown() does nothing.
    c.set_thread_count(2)
    c.shutdown()


@pytest.mark.parametrize(
    ("setup", "match"),
    [
        (lambda c: c.set_thread_count(0), "thread count"),
        (lambda c: c.set_message_batch_max_size(0), "batch"),
        (lambda c: c.set_message_batch_max_size(2000), "batch"),
        (lambda c: c.set_pull_threshold_for_queue(0), "threshold"),
        (lambda c: c.set_pull_threshold_size_for_queue(0), "threshold"),
        (lambda c: c.set_allocate_strategy("RANDOM"), "allocation strategy"),
        (lambda c: c.set_message_model(7), "message model"),
        (lambda c: c.set_consume_from_where(9), "ConsumeFromWhere"),
        (lambda c: c.set_max_reconsume_times(-5), "reconsume"),
        (lambda c: c.set_delay_level_when_next_consume(-2), "delay level"),
        (lambda c: c.set_group("bad group!"), "group"),
        (lambda c: c.set_group("DEFAULT_CONSUMER"), "reserved"),
    ],
)
def test_invalid_settings_fail_start(setup: object, match: str) -> None:
    c = consumer()
    c.subscribe("T", noop)
    setup(c)  # type: ignore[operator]
    with pytest.raises(exc.PushConsumerStartInvalidConfig, match=match):
        c.start()


def test_invalid_subscriptions_fail_start() -> None:
    c = consumer()
    c.subscribe("bad topic!", noop)
    with pytest.raises(exc.PushConsumerStartInvalidConfig):
        c.start()


def test_subscribe_checks_its_arguments() -> None:
    c = consumer()
    with pytest.raises(TypeError, match="callable"):
        c.subscribe("T", "not callable")  # type: ignore[arg-type]
    with pytest.raises(exc.InvalidConfigError, match="expression_type"):
        c.subscribe("T", noop, "*", expression_type="XML")


def test_2x_trace_and_credentials_settings() -> None:
    c = consumer()
    c.set_message_trace(True)
    c.set_message_trace(True, "MyTraceTopic")
    c.set_message_trace(False)
    c.set_session_credentials("ak", "sk", "ALIYUN")
    assert c._core.has_credentials
    assert "sk" not in repr(c)


def test_consume_timestamp_formats() -> None:
    local = dt.datetime(2024, 1, 31, 23, 59, 58)
    expected = int(local.timestamp() * 1000)
    assert client._epoch_ms(1_700_000_000_123) == 1_700_000_000_123
    assert client._epoch_ms(local) == expected
    assert client._epoch_ms("20240131235958") == expected
    aware = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    assert client._epoch_ms(aware) == 1_704_067_200_000
    for bad in ["2024-01-31", "2024013123595", "20241331235958", ""]:
        with pytest.raises(exc.InvalidConfigError):
            client._epoch_ms(bad)
    with pytest.raises(TypeError):
        client._epoch_ms(True)
    with pytest.raises(TypeError):
        client._epoch_ms(1.5)  # type: ignore[arg-type]
    c = consumer()
    c.set_consume_timestamp("20240131235958")
    c.set_consume_timestamp(local)


def test_accessors_before_start() -> None:
    c = PushConsumer("cg_acc", orderly=True, message_model=MessageModel.BROADCASTING)
    assert c.group == "cg_acc"
    assert c.orderly is True
    assert c.client_id is None
    assert c.consumed_count == 0
    assert c.assigned_queues() == []
    c.set_group("cg_acc2")
    assert c.group == "cg_acc2"
    assert repr(c) == "<PushConsumer group='cg_acc2' client_id=None>"
    c.shutdown()  # before start: nothing to do
    with pytest.raises(exc.NotStartedError):
        c.rebalance_now()


def make_cycle() -> tuple[weakref.ref[PushConsumer], weakref.ref[object]]:
    consumer = PushConsumer("cg_gc")

    def callback(msg: ReceivedMessage) -> None:
        print(consumer)

    consumer.subscribe("T", callback)
    return weakref.ref(consumer), weakref.ref(callback)


def test_a_callback_cycle_is_collected() -> None:
    """consumer -> callback -> closure -> consumer: found by the collector (``__traverse__``)."""
    consumer_ref, callback_ref = make_cycle()
    gc.collect()
    assert consumer_ref() is None
    assert callback_ref() is None
