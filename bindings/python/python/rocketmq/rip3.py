"""The functional API of the original proposal (RIP-3), as ``librocketmqclientpython`` 1.x had it.

Code written for the boost-python client of 2018-2019 runs with one changed import::

    from rocketmq.rip3 import *          # was: from librocketmqclientpython import *

    producer = CreateProducer("my_group")
    SetProducerNameServerAddress(producer, "127.0.0.1:9876")
    StartProducer(producer)
    msg = CreateMessage("MyTopic")
    SetMessageTags(msg, "TagA")
    SetMessageKeys(msg, "order-42")
    SetMessageBody(msg, "hello")
    result = SendMessageSync(producer, msg)
    print(result.sendStatus, result.offset, result.GetMsgId())
    DestroyMessage(msg)
    ShutdownProducer(producer)
    DestroyProducer(producer)

    def callback(msg):
        print(GetMessageTopic(msg), GetMessageTags(msg), GetMessageBody(msg), GetMessageId(msg))
        return CConsumeStatus.E_CONSUME_SUCCESS

    consumer = CreatePushConsumer("my_consumer_group")
    SetPushConsumerNameServerAddress(consumer, "127.0.0.1:9876")
    SetPushConsumerThreadCount(consumer, 1)
    Subscribe(consumer, "MyTopic", "*")
    RegisterMessageCallback(consumer, callback)
    StartPushConsumer(consumer)
    ...
    ShutdownPushConsumer(consumer)
    DestroyPushConsumer(consumer)

It is a thin layer over :mod:`rocketmq.client` (the objects behind the handles are a
``Message``, a ``Producer`` and a ``PushConsumer``). The names, argument orders, enums and the
``SendResult`` shape are the 1.x ones (``src/PythonWrapper.cpp`` of apache/rocketmq-client-python
v1.2.x; status values from rocketmq-client-cpp ``include/CCommon.h``). What differs, on purpose:

* Functions that return a status never raise for a bad handle: ``None`` or a destroyed handle
  gives ``CStatus.NULL_POINTER`` (getters give ``None``), as the C API did for NULL. A handle of
  the wrong kind (a message where a producer is expected) raises ``TypeError``, as boost-python
  raised ``ArgumentError``.
* ``StartProducer`` / ``StartPushConsumer`` report a failure as ``PRODUCER_START_FAILED`` /
  ``PUSHCONSUMER_START_FAILED`` and ``SendMessageOneway`` as ``PRODUCER_SEND_ONEWAY_FAILED``
  (the exception is logged on the ``rocketmq`` logger).
* ``SendMessageSync`` raises the ``ProducerSendSyncFailed`` of :mod:`rocketmq.exceptions` when
  the send fails: 1.x ignored the error and returned an uninitialised result.
* Bodies are binary-safe: ``GetMessageBody`` returns ``bytes`` (1.x cut them at the first NUL
  byte); the other getters return ``str``.
* A callback may return ``None`` for success; a callback that raises, or returns anything but
  ``0`` / ``None``, has the message redelivered (1.x crashed on anything but an ``int``).
"""

from __future__ import annotations

import datetime as _dt
import logging
from enum import IntEnum
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar, Union

from . import _rocketmq
from ._rocketmq import Message, ReceivedMessage
from ._types import ConsumeStatus, MessageModel
from .client import Producer, PushConsumer
from .exceptions import RocketMQException

__all__ = [
    "CConsumeStatus",
    "CMessageExt",
    "CMessageModel",
    "CSendStatus",
    "CStatus",
    "MessageHandle",
    "ProducerHandle",
    "PushConsumerHandle",
    "SendResult",
    # message
    "CreateMessage",
    "DestroyMessage",
    "SetMessageTopic",
    "SetMessageTags",
    "SetMessageKeys",
    "SetMessageBody",
    "SetByteMessageBody",
    "SetMessageProperty",
    "SetDelayTimeLevel",
    # received message
    "GetMessageTopic",
    "GetMessageTags",
    "GetMessageKeys",
    "GetMessageBody",
    "GetMessageProperty",
    "GetMessageId",
    # producer
    "CreateProducer",
    "DestroyProducer",
    "StartProducer",
    "ShutdownProducer",
    "SetProducerNameServerAddress",
    "SetProducerInstanceName",
    "SetProducerSessionCredentials",
    "SendMessageSync",
    "SendMessageOneway",
    # push consumer
    "CreatePushConsumer",
    "DestroyPushConsumer",
    "StartPushConsumer",
    "ShutdownPushConsumer",
    "SetPushConsumerNameServerAddress",
    "SetPushConsumerThreadCount",
    "SetPushConsumerMessageBatchMaxSize",
    "SetPushConsumerInstanceName",
    "SetPushConsumerSessionCredentials",
    "SetPushConsumerMessageModel",
    "Subscribe",
    "RegisterMessageCallback",
    # misc
    "GetVersion",
]

_logger = logging.getLogger("rocketmq")


class CStatus(IntEnum):
    """What the status-returning functions return (``CCommon.h``; 1.x exported OK and
    NULL_POINTER by name, the C library returned the rest as plain ints)."""

    OK = 0
    NULL_POINTER = 1
    MALLOC_FAILED = 2
    PRODUCER_START_FAILED = 10
    PRODUCER_ERROR_CODE_START = 10
    PRODUCER_SEND_SYNC_FAILED = 11
    PRODUCER_SEND_ONEWAY_FAILED = 12
    PRODUCER_SEND_ORDERLY_FAILED = 13
    PRODUCER_SEND_ASYNC_FAILED = 14
    PRODUCER_SEND_ORDERLYASYNC_FAILED = 15
    PRODUCER_SEND_TRANSACTION_FAILED = 16
    PUSHCONSUMER_START_FAILED = 20
    PUSHCONSUMER_ERROR_CODE_START = 20
    PULLCONSUMER_START_FAILED = 30
    PULLCONSUMER_ERROR_CODE_START = 30
    PULLCONSUMER_FETCH_MQ_FAILED = 31
    PULLCONSUMER_FETCH_MESSAGE_FAILED = 32
    Not_Support = 500
    NOT_SUPPORT_NOW = -1


class CSendStatus(IntEnum):
    """``SendResult.sendStatus``: how durable the stored message is."""

    E_SEND_OK = 0
    E_SEND_FLUSH_DISK_TIMEOUT = 1
    E_SEND_FLUSH_SLAVE_TIMEOUT = 2
    E_SEND_SLAVE_NOT_AVAILABLE = 3


class CConsumeStatus(IntEnum):
    """What a message callback returns."""

    E_CONSUME_SUCCESS = 0
    E_RECONSUME_LATER = 1


class CMessageModel(IntEnum):
    """``SetPushConsumerMessageModel`` values (1.2.4)."""

    BROADCASTING = 0
    CLUSTERING = 1


#: The received message handed to callbacks (1.x ``CMessageExt``).
CMessageExt = ReceivedMessage


class SendResult:
    """The 1.x result of ``SendMessageSync``: ``sendStatus``, ``offset``, ``GetMsgId()``."""

    __slots__ = ("_msg_id", "offset", "sendStatus")

    def __init__(self, send_status: CSendStatus, msg_id: str, offset: int) -> None:
        self.sendStatus = send_status
        self.offset = offset
        self._msg_id = msg_id

    def GetMsgId(self) -> str:
        """The message id the client generated."""
        return self._msg_id

    def __repr__(self) -> str:
        return (
            f"SendResult(sendStatus={self.sendStatus!r}, msgId={self._msg_id!r}, "
            f"offset={self.offset!r})"
        )


class _Handle:
    """An opaque handle: the object behind it, or None once destroyed."""

    __slots__ = ("_target",)
    _kind = "handle"
    _target: Any

    def __repr__(self) -> str:
        state = "destroyed" if getattr(self, "_target", None) is None else "live"
        return f"<rocketmq.rip3.{type(self).__name__} {state}>"


class MessageHandle(_Handle):
    """What ``CreateMessage`` returns."""

    __slots__ = ()
    _kind = "message"

    def __init__(self, msg: Message) -> None:
        self._target: Message | None = msg


class ProducerHandle(_Handle):
    """What ``CreateProducer`` returns."""

    __slots__ = ()
    _kind = "producer"

    def __init__(self, producer: Producer) -> None:
        self._target: Producer | None = producer


class PushConsumerHandle(_Handle):
    """What ``CreatePushConsumer`` returns. Subscriptions and the callback are handed to the
    consumer by ``StartPushConsumer`` (1.x allowed them in either order before start)."""

    __slots__ = ("callback", "started", "subscriptions")
    _kind = "push consumer"

    def __init__(self, consumer: PushConsumer) -> None:
        self._target: PushConsumer | None = consumer
        self.subscriptions: dict[str, str] = {}
        self.callback: Callable[[ReceivedMessage], Any] | None = None
        self.started = False


_H = TypeVar("_H", bound=_Handle)


def _target(handle: object, cls: type[_H]) -> Any:
    """The object behind ``handle``: None for None or a destroyed handle (the caller answers
    NULL_POINTER); TypeError for a handle of another kind."""
    if handle is None:
        return None
    if not isinstance(handle, cls):
        raise TypeError(
            f"expected a {cls._kind} handle (from Create...), not {type(handle).__name__}"
        )
    return handle._target


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


# ---- message ----


def CreateMessage(topic: str | bytes) -> MessageHandle:
    """A new message for ``topic``."""
    return MessageHandle(Message(topic))


def DestroyMessage(msg: MessageHandle | None) -> CStatus:
    """Release the message; the handle is unusable afterwards."""
    if _target(msg, MessageHandle) is None:
        return CStatus.NULL_POINTER
    assert msg is not None
    msg._target = None
    return CStatus.OK


def _set(msg: MessageHandle | None, apply: Callable[[Message], object]) -> CStatus:
    target = _target(msg, MessageHandle)
    if target is None:
        return CStatus.NULL_POINTER
    apply(target)
    return CStatus.OK


def SetMessageTopic(msg: MessageHandle | None, topic: str | bytes) -> CStatus:
    """Change the topic (the message keeps its tags, keys, body and properties)."""
    target = _target(msg, MessageHandle)
    if target is None:
        return CStatus.NULL_POINTER
    assert msg is not None
    # A Message's topic is fixed at creation: build a copy under the new topic. Properties
    # include the tags, keys and delay level, so copying them copies everything but the body.
    moved = Message(topic)
    for key, value in target.properties.items():
        moved.set_property(key, value)
    moved.set_body(target.body)
    msg._target = moved
    return CStatus.OK


def SetMessageTags(msg: MessageHandle | None, tags: str | bytes) -> CStatus:
    return _set(msg, lambda m: m.set_tags(tags))


def SetMessageKeys(msg: MessageHandle | None, keys: str | bytes) -> CStatus:
    """Business keys, several separated by spaces."""
    return _set(msg, lambda m: m.set_keys(keys))


def SetMessageBody(msg: MessageHandle | None, body: str | bytes) -> CStatus:
    """The body: ``str`` (UTF-8) or ``bytes``, kept whole (1.x cut it at the first NUL)."""
    return _set(msg, lambda m: m.set_body(body))


def SetByteMessageBody(msg: MessageHandle | None, body: bytes | str, length: int) -> CStatus:
    """The first ``length`` bytes of ``body`` as the body."""
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return _set(msg, lambda m: m.set_body(data[: max(0, int(length))]))


def SetMessageProperty(msg: MessageHandle | None, key: str | bytes, value: str | bytes) -> CStatus:
    return _set(msg, lambda m: m.set_property(key, value))


def SetDelayTimeLevel(msg: MessageHandle | None, level: int) -> CStatus:
    """Broker delay level (1 = 1 s ... 18 = 2 h); 0 clears it."""
    return _set(msg, lambda m: m.set_delay_time_level(int(level)))


# ---- getters (received messages; outgoing message handles are accepted too) ----

_Readable = Union[ReceivedMessage, MessageHandle, None]


def _readable(msg: _Readable) -> ReceivedMessage | Message | None:
    if isinstance(msg, MessageHandle):
        return msg._target
    if msg is None or isinstance(msg, ReceivedMessage):
        return msg
    raise TypeError(f"expected a received message (CMessageExt), not {type(msg).__name__}")


def _as_str(value: str | bytes | None) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def GetMessageTopic(msg: _Readable) -> str | None:
    m = _readable(msg)
    return None if m is None else m.topic


def GetMessageTags(msg: _Readable) -> str | None:
    m = _readable(msg)
    return None if m is None else _as_str(m.tags) or ""


def GetMessageKeys(msg: _Readable) -> str | None:
    m = _readable(msg)
    return None if m is None else _as_str(m.keys) or ""


def GetMessageBody(msg: _Readable) -> bytes | None:
    """The body as bytes (binary-safe)."""
    m = _readable(msg)
    return None if m is None else m.body


def GetMessageProperty(msg: _Readable, key: str | bytes) -> str | None:
    """A property, or None when the message has no such property."""
    m = _readable(msg)
    return None if m is None else _as_str(m.get_property(_text(key)))


def GetMessageId(msg: _Readable) -> str | None:
    """The message id (received messages; an outgoing message has none yet: ``""``)."""
    m = _readable(msg)
    if m is None:
        return None
    return m.id if isinstance(m, ReceivedMessage) else ""


# ---- producer ----


def CreateProducer(group_id: str | bytes) -> ProducerHandle:
    return ProducerHandle(Producer(_text(group_id)))


def _producer_call(producer: ProducerHandle | None, apply: Callable[[Producer], object]) -> CStatus:
    target = _target(producer, ProducerHandle)
    if target is None:
        return CStatus.NULL_POINTER
    apply(target)
    return CStatus.OK


def DestroyProducer(producer: ProducerHandle | None) -> CStatus:
    """Shut the producer down (if started) and release it; the handle is unusable afterwards."""
    target = _target(producer, ProducerHandle)
    if target is None:
        return CStatus.NULL_POINTER
    assert producer is not None
    producer._target = None
    target.shutdown()
    return CStatus.OK


def StartProducer(producer: ProducerHandle | None) -> CStatus:
    """``OK``, or ``PRODUCER_START_FAILED`` (invalid settings; logged)."""
    target = _target(producer, ProducerHandle)
    if target is None:
        return CStatus.NULL_POINTER
    try:
        target.start()
    except RocketMQException:
        _logger.warning("StartProducer failed", exc_info=True)
        return CStatus.PRODUCER_START_FAILED
    return CStatus.OK


def ShutdownProducer(producer: ProducerHandle | None) -> CStatus:
    return _producer_call(producer, lambda p: p.shutdown())


def SetProducerNameServerAddress(producer: ProducerHandle | None, namesrv: str | bytes) -> CStatus:
    """``"host:port;host2:port"``."""
    return _producer_call(producer, lambda p: p.set_name_server_address(_text(namesrv)))


def SetProducerInstanceName(producer: ProducerHandle | None, instance_name: str | bytes) -> CStatus:
    return _producer_call(producer, lambda p: p.set_instance_name(_text(instance_name)))


def SetProducerSessionCredentials(
    producer: ProducerHandle | None,
    access_key: str | bytes,
    secret_key: str | bytes,
    channel: str | bytes,
) -> CStatus:
    return _producer_call(
        producer,
        lambda p: p.set_session_credentials(_text(access_key), _text(secret_key), _text(channel)),
    )


def SendMessageSync(producer: ProducerHandle | None, msg: MessageHandle | None) -> SendResult:
    """Send and wait for the broker. Raises ``ProducerSendSyncFailed`` (see
    :mod:`rocketmq.exceptions`) when the send fails, and ``ValueError`` for a NULL handle."""
    target = _target(producer, ProducerHandle)
    message = _target(msg, MessageHandle)
    if target is None or message is None:
        raise ValueError("SendMessageSync: NULL producer or message handle (CStatus.NULL_POINTER)")
    result = target.send_sync(message)
    return SendResult(CSendStatus(int(result.status)), result.msg_id, result.offset)


def SendMessageOneway(producer: ProducerHandle | None, msg: MessageHandle | None) -> CStatus:
    """Send without waiting for the broker: ``OK`` or ``PRODUCER_SEND_ONEWAY_FAILED``."""
    target = _target(producer, ProducerHandle)
    message = _target(msg, MessageHandle)
    if target is None or message is None:
        return CStatus.NULL_POINTER
    try:
        target.send_oneway(message)
    except RocketMQException:
        _logger.warning("SendMessageOneway failed", exc_info=True)
        return CStatus.PRODUCER_SEND_ONEWAY_FAILED
    return CStatus.OK


# ---- push consumer ----


def CreatePushConsumer(group_id: str | bytes) -> PushConsumerHandle:
    return PushConsumerHandle(PushConsumer(_text(group_id)))


def _consumer_call(
    consumer: PushConsumerHandle | None, apply: Callable[[PushConsumer], object]
) -> CStatus:
    target = _target(consumer, PushConsumerHandle)
    if target is None:
        return CStatus.NULL_POINTER
    apply(target)
    return CStatus.OK


def DestroyPushConsumer(consumer: PushConsumerHandle | None) -> CStatus:
    """Shut the consumer down (if started) and release it."""
    target = _target(consumer, PushConsumerHandle)
    if target is None:
        return CStatus.NULL_POINTER
    assert consumer is not None
    consumer._target = None
    target.shutdown()
    return CStatus.OK


def _verdict(status: object) -> ConsumeStatus | None:
    """``0`` / ``E_CONSUME_SUCCESS`` / ``None``: done; anything else: redeliver."""
    if status is None or (isinstance(status, int) and not isinstance(status, bool) and status == 0):
        return None
    return ConsumeStatus.RECONSUME_LATER


def StartPushConsumer(consumer: PushConsumerHandle | None) -> CStatus:
    """Subscribe (with the registered callback) and start: ``OK``, or
    ``PUSHCONSUMER_START_FAILED`` (no subscription or callback, invalid settings, no name
    server; logged)."""
    target = _target(consumer, PushConsumerHandle)
    if target is None:
        return CStatus.NULL_POINTER
    assert consumer is not None
    callback = consumer.callback
    if callback is None or not consumer.subscriptions:
        _logger.warning("StartPushConsumer: call Subscribe and RegisterMessageCallback first")
        return CStatus.PUSHCONSUMER_START_FAILED

    def deliver(msg: ReceivedMessage) -> ConsumeStatus | None:
        return _verdict(callback(msg))

    try:
        if not consumer.started:
            for topic, expression in consumer.subscriptions.items():
                target.subscribe(topic, deliver, expression)
        target.start()
    except RocketMQException:
        _logger.warning("StartPushConsumer failed", exc_info=True)
        return CStatus.PUSHCONSUMER_START_FAILED
    consumer.started = True
    return CStatus.OK


def ShutdownPushConsumer(consumer: PushConsumerHandle | None) -> CStatus:
    return _consumer_call(consumer, lambda c: c.shutdown())


def SetPushConsumerNameServerAddress(
    consumer: PushConsumerHandle | None, namesrv: str | bytes
) -> CStatus:
    return _consumer_call(consumer, lambda c: c.set_name_server_address(_text(namesrv)))


def SetPushConsumerThreadCount(consumer: PushConsumerHandle | None, count: int) -> CStatus:
    return _consumer_call(consumer, lambda c: c.set_thread_count(int(count)))


def SetPushConsumerMessageBatchMaxSize(
    consumer: PushConsumerHandle | None, batch_size: int
) -> CStatus:
    return _consumer_call(consumer, lambda c: c.set_message_batch_max_size(int(batch_size)))


def SetPushConsumerInstanceName(
    consumer: PushConsumerHandle | None, instance_name: str | bytes
) -> CStatus:
    return _consumer_call(consumer, lambda c: c.set_instance_name(_text(instance_name)))


def SetPushConsumerSessionCredentials(
    consumer: PushConsumerHandle | None,
    access_key: str | bytes,
    secret_key: str | bytes,
    channel: str | bytes,
) -> CStatus:
    return _consumer_call(
        consumer,
        lambda c: c.set_session_credentials(_text(access_key), _text(secret_key), _text(channel)),
    )


def SetPushConsumerMessageModel(
    consumer: PushConsumerHandle | None, model: CMessageModel | int
) -> CStatus:
    return _consumer_call(consumer, lambda c: c.set_message_model(MessageModel(int(model))))


def Subscribe(
    consumer: PushConsumerHandle | None, topic: str | bytes, expression: str | bytes
) -> CStatus:
    """Consume ``topic`` filtered by tags (``"*"``, ``"TagA || TagB"``). Before
    ``StartPushConsumer`` only: afterwards ``NOT_SUPPORT_NOW``."""
    target = _target(consumer, PushConsumerHandle)
    if target is None:
        return CStatus.NULL_POINTER
    assert consumer is not None
    if consumer.started:
        return CStatus.NOT_SUPPORT_NOW
    consumer.subscriptions[_text(topic)] = _text(expression) or "*"
    return CStatus.OK


#: ``callback(msg) -> int`` (or ``callback(msg, args)`` when ``args`` was registered).
MessageCallback = Callable[..., Optional[int]]
_NO_ARGS: Any = object()


def RegisterMessageCallback(
    consumer: PushConsumerHandle | None, callback: MessageCallback, args: Any = _NO_ARGS
) -> CStatus:
    """The function every subscribed topic's messages go to: ``callback(msg)`` returning
    ``CConsumeStatus`` (or ``callback(msg, args)`` when ``args`` is given, as in 1.2.4).
    Before ``StartPushConsumer`` only: afterwards ``NOT_SUPPORT_NOW``."""
    target = _target(consumer, PushConsumerHandle)
    if target is None:
        return CStatus.NULL_POINTER
    assert consumer is not None
    if consumer.started:
        return CStatus.NOT_SUPPORT_NOW
    if not callable(callback):
        raise TypeError("the message callback must be callable")
    if args is _NO_ARGS:
        consumer.callback = callback
    else:
        consumer.callback = lambda msg: callback(msg, args)
    return CStatus.OK


# ---- misc ----


def GetVersion() -> str:
    """``"PYTHON_CLIENT_VERSION: <version>, BUILD DATE: <dd-mm-yyyy> "`` (1.x format; the date
    is that of the installed native extension)."""
    try:
        built = _dt.datetime.fromtimestamp(Path(_rocketmq.__file__).stat().st_mtime)
        date = built.strftime("%d-%m-%Y")
    except (OSError, AttributeError, TypeError):
        date = "unknown"
    return f"PYTHON_CLIENT_VERSION: {_rocketmq.__version__}, BUILD DATE: {date} "
