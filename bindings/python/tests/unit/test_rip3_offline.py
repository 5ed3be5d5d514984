"""rocketmq.rip3 without a broker: enum values and names, bad handles, status codes."""

from __future__ import annotations

import re

import pytest

import rocketmq
from rocketmq import rip3
from rocketmq.rip3 import CConsumeStatus, CSendStatus, CStatus


def test_enums_keep_the_1x_names_and_values() -> None:
    assert (CStatus.OK, CStatus.NULL_POINTER) == (0, 1)
    assert CStatus.PRODUCER_START_FAILED == 10
    assert CStatus.PRODUCER_SEND_ONEWAY_FAILED == 12
    assert CStatus.PUSHCONSUMER_START_FAILED == 20
    assert CStatus.NOT_SUPPORT_NOW == -1
    assert [s.name for s in CSendStatus] == [
        "E_SEND_OK",
        "E_SEND_FLUSH_DISK_TIMEOUT",
        "E_SEND_FLUSH_SLAVE_TIMEOUT",
        "E_SEND_SLAVE_NOT_AVAILABLE",
    ]
    assert [int(s) for s in CSendStatus] == [0, 1, 2, 3]
    assert {s.name: int(s) for s in CConsumeStatus} == {
        "E_CONSUME_SUCCESS": 0,
        "E_RECONSUME_LATER": 1,
    }


def test_every_listed_name_exists() -> None:
    for name in rip3.__all__:
        assert hasattr(rip3, name), name


def test_message_setters_and_getters_on_a_handle() -> None:
    msg = rip3.CreateMessage("T1")
    assert rip3.SetMessageTags(msg, "TagA") == CStatus.OK
    assert rip3.SetMessageKeys(msg, "k1 k2") == CStatus.OK
    assert rip3.SetMessageBody(msg, "a\x00b") == CStatus.OK
    assert rip3.SetMessageProperty(msg, "color", "red") == CStatus.OK
    assert rip3.SetDelayTimeLevel(msg, 3) == CStatus.OK
    assert rip3.GetMessageBody(msg) == b"a\x00b", "bodies are binary-safe"
    assert rip3.SetByteMessageBody(msg, b"\x00\x01\x02\x03", 3) == CStatus.OK
    assert rip3.GetMessageBody(msg) == b"\x00\x01\x02"
    # A new topic keeps everything else.
    assert rip3.SetMessageTopic(msg, "T2") == CStatus.OK
    assert rip3.GetMessageTopic(msg) == "T2"
    assert rip3.GetMessageTags(msg) == "TagA"
    assert rip3.GetMessageKeys(msg) == "k1 k2"
    assert rip3.GetMessageProperty(msg, "color") == "red"
    assert rip3.GetMessageProperty(msg, "missing") is None
    assert rip3.GetMessageBody(msg) == b"\x00\x01\x02"
    assert rip3.GetMessageId(msg) == "", "no id before it is sent"
    assert rip3.DestroyMessage(msg) == CStatus.OK


def test_null_and_destroyed_handles_give_null_pointer() -> None:
    msg = rip3.CreateMessage("T1")
    assert rip3.DestroyMessage(msg) == CStatus.OK
    for handle in (None, msg):
        assert rip3.DestroyMessage(handle) == CStatus.NULL_POINTER
        assert rip3.SetMessageTags(handle, "x") == CStatus.NULL_POINTER
        assert rip3.SetMessageTopic(handle, "x") == CStatus.NULL_POINTER
        assert rip3.SetByteMessageBody(handle, b"x", 1) == CStatus.NULL_POINTER
        assert rip3.GetMessageTopic(handle) is None
        assert rip3.GetMessageBody(handle) is None
        assert rip3.GetMessageId(handle) is None

    producer = rip3.CreateProducer("rip3_pg")
    assert rip3.DestroyProducer(producer) == CStatus.OK
    consumer = rip3.CreatePushConsumer("rip3_cg")
    assert rip3.DestroyPushConsumer(consumer) == CStatus.OK
    for p in (None, producer):
        assert rip3.StartProducer(p) == CStatus.NULL_POINTER
        assert rip3.ShutdownProducer(p) == CStatus.NULL_POINTER
        assert rip3.SetProducerNameServerAddress(p, "127.0.0.1:9876") == CStatus.NULL_POINTER
        assert rip3.DestroyProducer(p) == CStatus.NULL_POINTER
        assert rip3.SendMessageOneway(p, rip3.CreateMessage("T")) == CStatus.NULL_POINTER
        with pytest.raises(ValueError, match="NULL"):
            rip3.SendMessageSync(p, rip3.CreateMessage("T"))
    for c in (None, consumer):
        assert rip3.StartPushConsumer(c) == CStatus.NULL_POINTER
        assert rip3.ShutdownPushConsumer(c) == CStatus.NULL_POINTER
        assert rip3.Subscribe(c, "T", "*") == CStatus.NULL_POINTER
        assert rip3.RegisterMessageCallback(c, lambda m: 0) == CStatus.NULL_POINTER
        assert rip3.SetPushConsumerThreadCount(c, 2) == CStatus.NULL_POINTER
        assert rip3.SetPushConsumerMessageBatchMaxSize(c, 2) == CStatus.NULL_POINTER
        assert rip3.DestroyPushConsumer(c) == CStatus.NULL_POINTER


def test_a_handle_of_another_kind_is_a_type_error() -> None:
    msg = rip3.CreateMessage("T1")
    producer = rip3.CreateProducer("rip3_pg")
    with pytest.raises(TypeError, match="producer handle"):
        rip3.StartProducer(msg)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="message handle"):
        rip3.SetMessageTags(producer, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="push consumer handle"):
        rip3.Subscribe(producer, "T", "*")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rip3.GetMessageTopic(42)  # type: ignore[arg-type]
    rip3.DestroyProducer(producer)


def test_failures_are_status_codes() -> None:
    bad = rip3.CreateProducer("bad group with spaces")
    assert rip3.StartProducer(bad) == CStatus.PRODUCER_START_FAILED
    idle = rip3.CreateProducer("rip3_pg")
    msg = rip3.CreateMessage("T1")
    assert rip3.SendMessageOneway(idle, msg) == CStatus.PRODUCER_SEND_ONEWAY_FAILED, "not started"
    consumer = rip3.CreatePushConsumer("rip3_cg")
    assert rip3.StartPushConsumer(consumer) == CStatus.PUSHCONSUMER_START_FAILED, (
        "no subscription, no callback"
    )
    assert rip3.Subscribe(consumer, "T1", "*") == CStatus.OK
    assert rip3.StartPushConsumer(consumer) == CStatus.PUSHCONSUMER_START_FAILED, "no callback"
    with pytest.raises(TypeError):
        rip3.RegisterMessageCallback(consumer, "not callable")  # type: ignore[arg-type]
    for handle in (bad, idle):
        assert rip3.DestroyProducer(handle) == CStatus.OK
    assert rip3.DestroyPushConsumer(consumer) == CStatus.OK


def test_callback_verdicts() -> None:
    verdict = rip3._verdict
    assert verdict(0) is None
    assert verdict(CConsumeStatus.E_CONSUME_SUCCESS) is None
    assert verdict(None) is None
    assert verdict(1) == 1
    assert verdict(CConsumeStatus.E_RECONSUME_LATER) == 1
    assert verdict("ok") == 1, "anything else is redelivered"
    assert verdict(False) == 1


def test_version_string_has_the_1x_shape() -> None:
    version = rip3.GetVersion()
    assert re.fullmatch(r"PYTHON_CLIENT_VERSION: \S+, BUILD DATE: \d\d-\d\d-\d{4} ", version)
    assert rocketmq.__version__ in version
