"""The exception tree: 2.x names, kind classes, every operation x kind combination."""

from __future__ import annotations

import pickle

import pytest

from rocketmq import exceptions as exc

OPERATIONS = {
    "ProducerStart": exc.ProducerStartFailed,
    "ProducerSendSync": exc.ProducerSendSyncFailed,
    "ProducerSendOneway": exc.ProducerSendOnewayFailed,
    "ProducerSendOrderly": exc.ProducerSendOrderlyFailed,
    "ProducerSendAsync": exc.ProducerSendAsyncFailed,
    "ProducerSendTransaction": exc.ProducerSendTransactionFailed,
    "ProducerRequest": exc.ProducerRequestFailed,
    "PushConsumerStart": exc.PushConsumerStartFailed,
}
KINDS = {
    "Timeout": (exc.RocketMQTimeoutError, TimeoutError),
    "ConnectionError": (exc.RocketMQConnectionError, ConnectionError),
    "InvalidMessage": (exc.InvalidMessageError, ValueError),
    "InvalidConfig": (exc.InvalidConfigError, ValueError),
    "BrokerError": (exc.BrokerError, None),
    "AuthError": (exc.AuthError, PermissionError),
    "RouteNotFound": (exc.RouteNotFoundError, None),
    "ProtocolError": (exc.ProtocolError, None),
    "NotStarted": (exc.NotStartedError, RuntimeError),
    "Forked": (exc.ClientForkedError, RuntimeError),
}


def test_2x_tree() -> None:
    assert issubclass(exc.RocketMQException, Exception)
    for name in ["NullPointerException", "MallocFailed", "ProducerException", "ConsumerException"]:
        assert issubclass(getattr(exc, name), exc.RocketMQException)
    for name, cls in OPERATIONS.items():
        base = exc.ConsumerException if name.startswith("PushConsumer") else exc.ProducerException
        assert issubclass(cls, base)
    assert issubclass(exc.PushConsumerStartFailed, exc.ConsumerException)
    assert issubclass(exc.PullConsumerStartFailed, exc.ConsumerException)


@pytest.mark.parametrize("op", sorted(OPERATIONS))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_combination_is_defined(op: str, kind: str) -> None:
    cls = getattr(exc, f"{op}{kind}")
    kind_class, builtin = KINDS[kind]
    assert issubclass(cls, OPERATIONS[op])
    assert issubclass(cls, kind_class)
    assert issubclass(cls, exc.RocketMQException)
    if builtin is not None:
        assert issubclass(cls, builtin)
    assert cls.__name__ in exc.__all__
    instance = cls("boom")
    assert str(instance) == "boom"
    assert instance.code is None


def test_builtin_catching() -> None:
    with pytest.raises(TimeoutError):
        raise exc.ProducerSendSyncTimeout("t")
    with pytest.raises(ConnectionError):
        raise exc.ProducerSendOnewayConnectionError("c")
    with pytest.raises(ValueError):  # noqa: PT011
        raise exc.ProducerSendSyncInvalidMessage("v")
    with pytest.raises(RuntimeError):
        raise exc.ProducerSendSyncNotStarted("r")
    with pytest.raises(NotImplementedError):
        raise exc.UnsupportedFeatureError("n")


def test_fields() -> None:
    e = exc.BrokerError(
        "no", code=17, remark="topic missing", broker_addr="b:1", topic="T", kind="broker"
    )
    assert (e.code, e.remark, e.broker_addr, e.topic, e.kind) == (
        17,
        "topic missing",
        "b:1",
        "T",
        "broker",
    )
    assert str(e) == "no"


def test_send_async_failed_keeps_its_2x_constructor() -> None:
    e = exc.ProducerSendAsyncFailed("msg", 5, "file.cpp", 12, "MQClientException")
    assert str(e) == "msg"
    assert (e.error, e.file, e.line, e.type) == (5, "file.cpp", 12, "MQClientException")
    combined = exc.ProducerSendAsyncTimeout("late")
    assert combined.error is None
    assert combined.file is None
    assert isinstance(combined, TimeoutError)


def test_pickle_round_trip() -> None:
    e = exc.ProducerSendSyncTimeout("late", code=None, topic="T", kind="timeout")
    e.broker_addr = "127.0.0.1:10911"
    copy = pickle.loads(pickle.dumps(e))
    assert type(copy) is exc.ProducerSendSyncTimeout
    assert (str(copy), copy.topic, copy.kind, copy.broker_addr) == (
        "late",
        "T",
        "timeout",
        "127.0.0.1:10911",
    )
