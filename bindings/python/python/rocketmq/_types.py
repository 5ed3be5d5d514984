"""Result types shared by :mod:`rocketmq.client` and :mod:`rocketmq.aio`.

Kept in a module of their own so the native extension can build them without importing the
public API modules.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple, cast

__all__ = [
    "ConsumeFromWhere",
    "ConsumeStatus",
    "MessageModel",
    "MessageQueue",
    "SendResult",
    "SendStatus",
    "TransactionSendResult",
    "TransactionStatus",
]


class SendStatus(IntEnum):
    """How durable a stored message is (every value means the broker stored it)."""

    OK = 0
    FLUSH_DISK_TIMEOUT = 1
    FLUSH_SLAVE_TIMEOUT = 2
    SLAVE_NOT_AVAILABLE = 3


# The 2.x type was ``namedtuple('SendResult', ['status', 'msg_id', 'offset'])``: the same
# three fields, typed.
class _SendResultBase(NamedTuple):
    status: SendStatus
    msg_id: str
    offset: int


class SendResult(_SendResultBase):
    """The outcome of a send: the 2.x ``namedtuple('SendResult', ['status', 'msg_id',
    'offset'])`` (``len() == 3``, unpackable, indexable, equal to the plain tuple) plus
    attributes that are not part of the tuple.

    * ``status`` -- :class:`SendStatus`
    * ``msg_id`` -- the client-generated unique id (32 hex digits; comma-joined for a batch)
    * ``offset`` -- the offset in the queue (of the first message, for a batch)
    * ``offset_msg_id`` -- the broker's id (store host + commit-log offset)
    * ``queue_id``, ``broker_name``, ``topic`` -- the queue the message went to
    * ``queue_offset`` -- same as ``offset``
    * ``transaction_id`` -- as echoed by the broker, or None
    """

    offset_msg_id: str
    queue_id: int
    broker_name: str
    topic: str
    queue_offset: int
    transaction_id: str | None

    def __new__(
        cls,
        status: SendStatus,
        msg_id: str,
        offset: int,
        offset_msg_id: str = "",
        queue_id: int = -1,
        broker_name: str = "",
        topic: str = "",
        transaction_id: str | None = None,
    ) -> SendResult:
        self = super().__new__(cls, status, msg_id, offset)
        self.offset_msg_id = offset_msg_id
        self.queue_id = queue_id
        self.broker_name = broker_name
        self.topic = topic
        self.queue_offset = offset
        self.transaction_id = transaction_id
        return self

    def __repr__(self) -> str:
        return (
            f"SendResult(status={self.status!r}, msg_id={self.msg_id!r}, offset={self.offset!r}, "
            f"offset_msg_id={self.offset_msg_id!r}, queue_id={self.queue_id!r}, "
            f"broker_name={self.broker_name!r}, topic={self.topic!r})"
        )


class TransactionStatus(IntEnum):
    """What a local transaction or a transaction check answers (values as in 2.x; Java
    ``LocalTransactionState``).

    * ``COMMIT`` -- deliver the message;
    * ``ROLLBACK`` -- discard it;
    * ``UNKNOWN`` -- not decided yet: the broker asks the group's checker later.
    """

    COMMIT = 0
    ROLLBACK = 1
    UNKNOWN = 2


class TransactionSendResult(SendResult):
    """The outcome of ``send_message_in_transaction``: the half message's :class:`SendResult`
    (the 2.x return value: ``status``, ``msg_id``, ``offset``) plus

    * ``transaction_id`` -- the transaction's id (the broker's, else the message's unique id);
    * ``local_state`` -- the :class:`TransactionStatus` sent with END_TRANSACTION (UNKNOWN when
      ``local_execute`` raised or answered something else).
    """

    local_state: TransactionStatus

    def __new__(
        cls,
        status: SendStatus,
        msg_id: str,
        offset: int,
        offset_msg_id: str = "",
        queue_id: int = -1,
        broker_name: str = "",
        topic: str = "",
        transaction_id: str | None = None,
        local_state: TransactionStatus = TransactionStatus.UNKNOWN,
    ) -> TransactionSendResult:
        base = super().__new__(
            cls, status, msg_id, offset, offset_msg_id, queue_id, broker_name, topic, transaction_id
        )
        self = cast("TransactionSendResult", base)
        self.local_state = local_state
        return self

    def __repr__(self) -> str:
        return (
            f"TransactionSendResult(status={self.status!r}, msg_id={self.msg_id!r}, "
            f"offset={self.offset!r}, transaction_id={self.transaction_id!r}, "
            f"local_state={self.local_state!r})"
        )


class ConsumeStatus(IntEnum):
    """What a :class:`~rocketmq.client.PushConsumer` callback answers (values as in 2.x).

    Returning ``None`` counts as ``CONSUME_SUCCESS``.
    """

    CONSUME_SUCCESS = 0
    RECONSUME_LATER = 1


class MessageModel(IntEnum):
    """How a consumer group shares messages (values as in 2.x, ``rocketmq.ffi.MessageModel``).

    * ``CLUSTERING`` -- the group's consumers share the queues; each message goes to one of them;
      offsets are stored on the broker.
    * ``BROADCASTING`` -- every consumer of the group gets every message; offsets are stored in
      a local file (see ``PushConsumer.set_offset_store_dir``); failed messages are not retried.
    """

    BROADCASTING = 0
    CLUSTERING = 1


class ConsumeFromWhere(IntEnum):
    """Where a consumer group *without a stored offset* starts (values are Java's ordinals).

    Once the group has committed an offset for a queue, it resumes from there whatever this
    says.

    * ``CONSUME_FROM_LAST_OFFSET`` (default) -- only messages stored from now on;
    * ``CONSUME_FROM_FIRST_OFFSET`` -- everything the broker still holds;
    * ``CONSUME_FROM_TIMESTAMP`` -- messages stored at or after
      ``PushConsumer.set_consume_timestamp(...)`` (default: 30 minutes before ``start()``).
    """

    CONSUME_FROM_LAST_OFFSET = 0
    CONSUME_FROM_FIRST_OFFSET = 4
    CONSUME_FROM_TIMESTAMP = 5


class MessageQueue(NamedTuple):
    """One queue of a topic: ``(topic, broker_name, queue_id)``."""

    topic: str
    broker_name: str
    queue_id: int
