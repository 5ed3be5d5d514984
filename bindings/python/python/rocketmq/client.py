"""Drop-in replacement for ``rocketmq.client`` of rocketmq-client-python 2.x.

Existing code keeps working unchanged::

    from rocketmq.client import Producer, Message, PushConsumer, ConsumeStatus

    producer = Producer("my_group")
    producer.set_name_server_address("127.0.0.1:9876")
    producer.start()
    msg = Message("MyTopic")
    msg.set_keys("k1")
    msg.set_tags("TagA")
    msg.set_body(b"\\x00binary-safe\\x00")
    ret = producer.send_sync(msg)
    print(ret.status, ret.msg_id, ret.offset)
    producer.shutdown()

    def callback(msg):
        print(msg.id, msg.body, msg.get_property("property"))
        return ConsumeStatus.CONSUME_SUCCESS

    consumer = PushConsumer("my_consumer_group")
    consumer.set_name_server_address("127.0.0.1:9876")
    consumer.subscribe("MyTopic", callback)
    consumer.start()
    ...
    consumer.shutdown()

Differences from 2.x, all fixes or restorations:

* ``with Producer(...) as p`` / ``with PushConsumer(...) as c`` bind the client (2.x bound None).
* Bodies are bytes end to end (2.x truncated them at the first NUL byte), sent and received.
* ``send_async``, ``send_batch`` and ``send_orderly`` (queue selector) are back (removed in 2.0).
* ``send_orderly_with_sharding_key`` works whether or not ``orderly=True`` was given.
* Messages can be read back (``msg.topic``, ``msg.body``, ``msg.get_property(...)``).
* ``PushConsumer.subscribe`` keeps one callback *per topic* (2.x sent every topic's messages
  to the last callback registered).
* A callback that raises, or returns something other than a ``ConsumeStatus`` or None, means
  RECONSUME_LATER, logged with its traceback through the ``rocketmq`` logger (2.x passed an
  uninitialised value to the C++ core). Returning None means CONSUME_SUCCESS.
* A ``ReceivedMessage`` stays valid after the callback returns (2.x's dangled).
* Consume-from-where, consume timestamp, max reconsume times, pull thresholds, SQL92
  subscriptions, allocation strategy and the retry delay can be set.
* Errors raise classes that keep the 2.x names *and* subclass the natural builtin
  (``TimeoutError``, ``ConnectionError``, ``ValueError``, ``RuntimeError``); see
  :mod:`rocketmq.exceptions`.
* ``set_name_server_domain`` works (2.x's C++ core looked the list up over HTTP; so does this
  client, as Java's ``TopAddressing``: refreshed every 2 minutes, the last good list kept).
* Namespaces (``set_namespace``, Java ``namespace``; ``set_namespace_v2``, Java 5.x
  ``namespaceV2``), which 2.x's Python API could not set.
* ``TransactionMQProducer`` passes ``user_args`` through as any Python object (2.x: ints
  only); a callback that raises or answers something else than a ``TransactionStatus`` means
  UNKNOWN, logged with its traceback; the check-back fires (2.x's often did not), also on a new
  producer of the group after the first one died.
* Request-reply (``Producer.request``, ``request_async``, :func:`create_reply_message`).

Every blocking call releases the GIL, so other Python threads run while it waits, and a
pending Ctrl-C interrupts it (``KeyboardInterrupt``) within about 50 ms.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, Union

from ._base import ClientSetters, StatsView
from ._pull import LitePullConsumer, PullConsumer
from ._rocketmq import (
    Message,
    ProducerCore,
    PushConsumerCore,
    ReceivedMessage,
    create_reply_message,
    select_by_hash,
)
from ._types import (
    ConsumeFromWhere,
    ConsumeStatus,
    MessageModel,
    MessageQueue,
    SendResult,
    SendStatus,
    TransactionSendResult,
    TransactionStatus,
)
from .exceptions import (
    InvalidConfigError,
    ProducerRequestFailed,
    ProducerSendAsyncFailed,
)

__all__ = [
    # rocketmq-client-python 2.x
    "SendStatus",
    "Message",
    "ReceivedMessage",
    "Producer",
    "PushConsumer",
    "TransactionMQProducer",
    "TransactionStatus",
    "ConsumeStatus",
    # also importable from 2.x's rocketmq.client, now listed
    "SendResult",
    "MessageModel",
    # rocketmq-py additions
    "ConsumeFromWhere",
    "MessageQueue",
    "hashing_queue_selector",
    "LitePullConsumer",
    "PullConsumer",
    "TransactionSendResult",
    "create_reply_message",
]

#: ``queue_selector(mq_size, msg, arg) -> int``: the index of the queue to send to.
QueueSelector = Callable[[int, Message, Any], int]
SuccessCallback = Callable[[SendResult], Any]
ExceptionCallback = Callable[[ProducerSendAsyncFailed], Any]
#: ``callback(msg) -> ConsumeStatus | None``: a :class:`PushConsumer` callback.
ConsumeCallback = Callable[[ReceivedMessage], Optional[Union[ConsumeStatus, int]]]
#: ``checker(msg) -> TransactionStatus``: answers the broker's transaction checks.
TransactionChecker = Callable[[ReceivedMessage], Union[TransactionStatus, int]]
#: ``local_execute(msg, user_args) -> TransactionStatus``: the local transaction.
LocalExecute = Callable[[ReceivedMessage, Any], Union[TransactionStatus, int]]
ReplyCallback = Callable[[ReceivedMessage], Any]
RequestExceptionCallback = Callable[[ProducerRequestFailed], Any]


def hashing_queue_selector(mq_size: int, msg: Message, arg: Any) -> int:
    """The default selector of :meth:`Producer.send_orderly` (0.5 API).

    ``int`` args pick ``arg % mq_size`` (as 0.5 did); ``str``/``bytes`` args use Java's
    ``SelectMessageQueueByHash`` (``abs(arg.hashCode() % mq_size)``), the same queue that
    ``send_orderly_with_sharding_key(msg, arg)`` and Java producers pick; anything else uses
    ``hash(arg) % mq_size`` (only stable within one process).
    """
    if isinstance(arg, int):
        return arg % mq_size
    if isinstance(arg, bytes):
        arg = arg.decode("utf-8", "replace")
    if isinstance(arg, str):
        return select_by_hash(arg, mq_size)
    return hash(arg) % mq_size


_C = TypeVar("_C", bound="_Client[Any]")
_PushOrProducerCore = TypeVar("_PushOrProducerCore", ProducerCore, PushConsumerCore)


class _Client(ClientSetters[_PushOrProducerCore], StatsView[_PushOrProducerCore]):
    """What the 2.x producer and push consumer share: lifecycle, context manager, group,
    client id, name servers, credentials. ``_core`` is the native ``ProducerCore`` or
    ``PushConsumerCore``; both expose the same setters."""

    def __enter__(self: _C) -> _C:  # noqa: PYI019 (typing.Self needs Python 3.11)
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()

    def set_group(self, group_id: str) -> None:
        self._core.set_group(group_id)

    def set_instance_name(self, name: str) -> None:
        """Instance name in the client id; by default each object gets a unique one."""
        self._core.set_instance_name(name)

    def set_name_server_address(self, addr: str) -> None:
        """Name servers as ``"host:port;host2:port"``. Without it, ``NAMESRV_ADDR`` is used."""
        self._core.set_namesrv_addr(addr)

    def set_namesrv_addr(self, addr: str) -> None:
        """0.x name of :meth:`set_name_server_address`."""
        self.set_name_server_address(addr)

    def set_session_credentials(self, access_key: str, access_secret: str, channel: str) -> None:
        """ACL credentials: every request is signed with them (Java ``AclClientRPCHook``:
        ``AccessKey`` and ``Signature`` = Base64 HMAC-SHA1 of the header values and the body;
        ``channel``, e.g. ``"ALIYUN"``, is sent as ``OnsChannel`` as the 2.x client did).

        A refusal raises an :class:`~rocketmq.exceptions.AuthError` (also a ``PermissionError``)
        naming the access key, never the secret: a Java 4.x broker answers code 1 with an
        ``AclException`` remark, a 5.x broker code 16. ``PushConsumer.start()`` raises it when
        every broker refuses the consumer's heartbeat. The secret is never logged.
        """
        self._core.set_session_credentials(access_key, access_secret, channel)

    def set_route_snapshot_path(self, path: str | os.PathLike[str] | None) -> None:
        """Route snapshot file (not in the 2.x client; default none). Routes are saved there as
        they change; a client that finds no name server answering uses the saved route of a topic
        it has not looked up yet (logged as a warning naming the file and its age), so a process
        started while every name server is down still reaches the brokers a previous run knew.
        An unreadable file is a warning, never an error. ``None`` turns it off."""
        self._core.set_route_snapshot_path(None if path is None else os.fspath(path))

    def set_message_trace(self, message_trace: bool, trace_topic: str | None = None) -> None:
        """Message trace (Java ``enableMsgTrace``; 2.x ``set_message_trace``), off by default.

        On, every send the broker stores leaves a ``Pub`` record and every listener call a
        ``SubBefore`` and a ``SubAfter`` record, in the Java client's text format, in the trace
        topic (``RMQ_SYS_TRACE_TOPIC``, or ``trace_topic``), where the RocketMQ dashboard and
        ``mqadmin queryMsgTraceById`` find them. Records are batched and sent in the
        background by a producer of their own: a send never waits for them nor fails because
        of them; when the trace topic is unreachable, records beyond a bounded queue are
        dropped and counted (``stats()["trace"]``). Call before :meth:`start`.
        """
        self._core.set_message_trace(bool(message_trace), trace_topic)

    def start(self) -> None:
        self._core.start()

    def shutdown(self) -> None:
        self._core.shutdown()


class Producer(_Client[ProducerCore]):
    """A producer, with the rocketmq-client-python 2.x API.

    ``Producer(group_id, orderly=False, timeout=None, compress_level=None,
    max_message_size=None)``: ``timeout`` is the send timeout in ms (default 3000, retries
    included), ``compress_level`` the zlib level 0-9 for bodies of 4 KiB or more (default 5),
    ``max_message_size`` the largest body accepted in bytes (default 4 MiB). ``orderly`` is
    accepted for compatibility: every producer can send orderly.

    Settings are checked by :meth:`start`, which raises ``ProducerStartFailed`` (also a
    ``ValueError``) for invalid ones. The producer is thread-safe.
    """

    def __init__(
        self,
        group_id: str,
        orderly: bool = False,
        timeout: int | None = None,
        compress_level: int | None = None,
        max_message_size: int | None = None,
    ) -> None:
        self._core = ProducerCore(group_id)
        self.orderly = bool(orderly)
        if timeout is not None:
            self.set_timeout(timeout)
        if compress_level is not None:
            self.set_compress_level(compress_level)
        if max_message_size is not None:
            self.set_max_message_size(max_message_size)

    # ---- settings (before start) --------------------------------------------------------------

    def set_timeout(self, timeout: int) -> None:
        """Send timeout in ms, retries included (default 3000)."""
        self._core.set_send_timeout_ms(int(timeout))

    def set_send_attempt_timeout(self, timeout: int) -> None:
        """Longest wait in ms for one attempt of a send while another attempt still fits in the
        send timeout (default 1000; the last attempt gets what is left). A send to a hung broker
        then moves to another broker within the deadline. A value >= the send timeout gives
        Java's behaviour (one attempt may use the whole timeout)."""
        self._core.set_send_attempt_timeout_ms(int(timeout))

    def set_auto_batch(self, enabled: bool) -> None:
        """Auto-batching (Java ``setAutoBatch``; not in the 2.x client; off by default). When on,
        :meth:`send_async` and :meth:`send_sync` (as Java's ``send``) hold a message up to
        :meth:`set_batch_max_delay_ms` and send the messages of one topic, tag and WAIT flag as
        one batch request once their bodies pass :meth:`set_batch_max_bytes`. Each caller still
        gets its own result (its own ``msg_id`` and ``offset``) or its own exception. Delay
        levels, delivery times, retry topics, transactional and orderly sends, and bodies over
        the batch size are sent alone, as in Java."""
        self._core.set_auto_batch(bool(enabled))

    def set_batch_max_delay_ms(self, ms: int) -> None:
        """Longest wait of a held message for its batch (Java ``batchMaxDelayMs``, default 10,
        1 to 30000)."""
        self._core.set_batch_max_delay_ms(int(ms))

    def set_batch_max_bytes(self, n: int) -> None:
        """A held batch goes out once its bodies exceed this many bytes (Java
        ``batchMaxBytes``, default 32 KiB, at most 2 MiB); a larger body is sent alone."""
        self._core.set_batch_max_bytes(int(n))

    def set_total_batch_max_bytes(self, n: int) -> None:
        """While the producer holds this many body bytes, messages are sent alone (Java
        ``totalBatchMaxBytes``, default 32 MiB)."""
        self._core.set_total_batch_max_bytes(int(n))

    def set_compress_level(self, level: int) -> None:
        """zlib level 0-9 for bodies of 4 KiB or more (default 5)."""
        self._core.set_compress_level(int(level))

    def set_compress_type(self, name: str) -> None:
        """Body compression: ``"ZLIB"`` (default, as Java), ``"LZ4"`` or ``"ZSTD"`` (Java
        ``rocketmq.message.compressType``; consumers from 4.9.4 on decode all three)."""
        self._core.set_compress_type(name)

    def set_max_message_size(self, max_size: int) -> None:
        """Largest body accepted, in bytes (default 4 MiB); larger ones raise ``ValueError``."""
        self._core.set_max_message_size(int(max_size))

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Check the settings and start. Does not contact the name server (like Java/C++)."""
        self._core.start()

    def shutdown(self) -> None:
        """Unregister from the brokers and close connections. Idempotent."""
        self._core.shutdown()

    # ---- sending ------------------------------------------------------------------------------

    def send_sync(self, msg: Message) -> SendResult:
        """Send and wait for the broker, retrying on another broker; raises
        ``ProducerSendSyncFailed``."""
        return self._core.send(msg)

    def send_oneway(self, msg: Message) -> None:
        """Send without waiting for an answer (one attempt); raises
        ``ProducerSendOnewayFailed`` if it could not be written."""
        self._core.send_oneway(msg)

    def send_batch(self, msgs: Iterable[Message]) -> SendResult:
        """Send messages of one topic as one request. ``msg_id`` is the comma-joined ids and
        ``offset`` the queue offset of the first message. Raises ``ProducerSendSyncFailed``."""
        return self._core.send_batch(msgs)

    def send_orderly_with_sharding_key(self, msg: Message, sharding_key: str) -> SendResult:
        """Send to the queue picked by hashing ``sharding_key`` (Java-compatible), so messages
        with the same key keep their order. No retry; raises ``ProducerSendOrderlyFailed``."""
        return self._core.send_orderly_by_sharding_key(msg, sharding_key)

    def send_orderly(
        self,
        msg: Message,
        arg: Any,
        queue_selector: QueueSelector = hashing_queue_selector,
        retry_times: int | None = None,
    ) -> SendResult:
        """Send to the queue ``queue_selector(mq_size, msg, arg)`` picks (0.5 API).

        The selector runs in the calling thread; its exceptions propagate unchanged; an index
        outside ``range(mq_size)`` raises ``ProducerSendOrderlyFailed`` (also ``ValueError``).
        The 0.5 argument order ``send_orderly(msg, arg, retry_times, queue_selector)`` is
        accepted too. Ordered sends are not retried (a retry could reorder), so
        ``retry_times`` is accepted and ignored.
        """
        selector: Any = queue_selector
        if isinstance(selector, int) and (retry_times is None or callable(retry_times)):
            selector = retry_times or hashing_queue_selector
        return self._core.send_with_selector(msg, selector, arg)

    def send_async(
        self,
        msg: Message,
        success_callback: SuccessCallback | None,
        exception_callback: ExceptionCallback | None,
    ) -> None:
        """Send in the background (0.5 API, removed in 2.0, restored).

        Later, exactly one of ``success_callback(SendResult)`` or
        ``exception_callback(ProducerSendAsyncFailed)`` is called on the ``rocketmq-callbacks``
        thread with the GIL held; callbacks run one at a time, in completion order. An
        exception raised by a callback is logged with its traceback through the ``rocketmq``
        logger and otherwise ignored. Raises at once only if the producer is not started.
        Completions still pending when the interpreter exits are dropped without a callback.
        """
        self._core.send_async(msg, success_callback, exception_callback)

    # ---- request-reply --------------------------------------------------------------------

    def request(self, msg: Message, timeout_ms: int = 3000) -> ReceivedMessage:
        """Send ``msg`` as a request and wait up to ``timeout_ms`` for its reply (Java
        ``DefaultMQProducer.request``); the reply is a :class:`ReceivedMessage`.

        The replier consumes the request and sends ``create_reply_message(request, body)``
        with any producer; the broker pushes the reply to this client. No reply in time raises
        :class:`~rocketmq.exceptions.ProducerRequestTimeout` (also a ``TimeoutError``); other
        failures ``ProducerRequestFailed``. Thread-safe: concurrent requests each get their own
        reply (matched by correlation id).
        """
        return self._core.request(msg, int(timeout_ms))

    def request_async(
        self,
        msg: Message,
        callback: ReplyCallback | None,
        timeout_ms: int = 3000,
        exception_callback: RequestExceptionCallback | None = None,
    ) -> None:
        """:meth:`request` in the background: later ``callback(reply)``, or
        ``exception_callback(ProducerRequestFailed)`` (logged when None), runs on the
        ``rocketmq-callbacks`` thread, as :meth:`send_async`'s callbacks do."""
        self._core.request_async(msg, callback, int(timeout_ms), exception_callback)


class TransactionMQProducer(Producer):
    """A transactional producer, with the rocketmq-client-python 2.x API (Java
    ``TransactionMQProducer``).

    ``TransactionMQProducer(group_id, checker_callback, user_args=None, timeout=None,
    compress_level=None, max_message_size=None)``. :meth:`send_message_in_transaction` sends a
    half message (invisible to consumers), runs ``local_execute(msg, user_args)`` and commits,
    rolls back or leaves the message UNKNOWN as it answers. For an UNKNOWN message (or one
    whose producer died before answering) the broker later calls ``checker_callback(msg)`` on
    a producer of the same group, until it answers COMMIT or ROLLBACK.

    Callbacks answer a :class:`TransactionStatus`. An exception, or any other answer, means
    UNKNOWN, logged with its traceback on the ``rocketmq`` logger (the broker checks again).
    ``checker_callback`` runs on a thread of the library, one check at a time per producer
    (queued: checks never hold up the connection), holding the GIL only while it runs.
    ``user_args`` of the constructor is accepted for 2.x compatibility and unused (2.x did not
    pass it to the checker either). Every other :class:`Producer` method works too (plain
    sends of the same group, request-reply).
    """

    def __init__(
        self,
        group_id: str,
        checker_callback: TransactionChecker,
        user_args: Any = None,
        timeout: int | None = None,
        compress_level: int | None = None,
        max_message_size: int | None = None,
    ) -> None:
        self._core = ProducerCore(group_id, checker_callback)
        self.orderly = False
        self.user_args = user_args
        if timeout is not None:
            self.set_timeout(timeout)
        if compress_level is not None:
            self.set_compress_level(compress_level)
        if max_message_size is not None:
            self.set_max_message_size(max_message_size)

    def send_message_in_transaction(
        self, message: Message, local_execute: LocalExecute, user_args: Any = None
    ) -> TransactionSendResult:
        """Send ``message`` as a half message; once the broker stored it, run
        ``local_execute(msg, user_args)`` on this thread (``msg``: a :class:`ReceivedMessage`
        of the half message; ``user_args``: any Python object, passed as given); then end the
        transaction with its answer.

        Returns a :class:`TransactionSendResult`: the half message's ``SendResult`` with
        ``transaction_id`` and ``local_state``. Raises ``ProducerSendTransactionFailed`` if the
        half message could not be sent (``local_execute`` then does not run). Delay levels are
        refused (``ValueError``), as in Java.
        """
        return self._core.send_message_in_transaction(message, local_execute, user_args)


# ---- consumer ---------------------------------------------------------------------------------

_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"


def _epoch_ms(value: int | _dt.datetime | str) -> int:
    """A consume timestamp as epoch ms: an int (epoch ms), a ``datetime`` (naive = local time)
    or Java's ``yyyyMMddHHmmss`` string (local time)."""
    if isinstance(value, bool):
        raise TypeError("the consume timestamp must be epoch ms (int), a datetime or a str")
    if isinstance(value, int):
        return value
    if isinstance(value, _dt.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) != 14 or not text.isdigit():
                raise ValueError(text)
            parsed = _dt.datetime.strptime(text, _TIMESTAMP_FORMAT)
        except ValueError:
            raise InvalidConfigError(
                f"consume timestamp {value!r} is not in Java's yyyyMMddHHmmss format "
                "(e.g. '20240131235959'); pass epoch ms or a datetime instead",
                kind="config",
            ) from None
        return int(parsed.timestamp() * 1000)
    raise TypeError(
        "the consume timestamp must be epoch ms (int), a datetime or a yyyyMMddHHmmss str, "
        f"not {type(value).__name__}"
    )


class PushConsumer(_Client[PushConsumerCore]):
    """A push consumer, with the rocketmq-client-python 2.x API.

    ``PushConsumer(group_id, orderly=False, message_model=MessageModel.CLUSTERING)``, then
    :meth:`set_name_server_address`, :meth:`subscribe` (one callback per topic) and
    :meth:`start`. Messages arrive on the consumer's own threads: each
    ``callback(msg: ReceivedMessage)`` call holds the GIL only while it runs, so other Python
    threads keep running, and a slow callback never holds up fetching from other queues.

    The callback's answer:

    * ``ConsumeStatus.CONSUME_SUCCESS`` or ``None`` -- the message is done;
    * ``ConsumeStatus.RECONSUME_LATER`` -- it is redelivered later (after 10 s, 30 s, 1 min ...
      unless :meth:`set_delay_level_when_next_consume` says otherwise; orderly: retried in place
      after 1 s), with ``reconsume_times`` incremented; after :meth:`set_max_reconsume_times`
      attempts (default 16) it goes to the group's dead-letter queue;
    * an exception, or any other value -- logged (WARNING, with the traceback, on the
      ``rocketmq`` logger) and treated as ``RECONSUME_LATER``.

    With :meth:`set_message_batch_max_size` > 1 the callback is still called once per message
    (as in 2.x); the first failure makes it and the rest of that batch be redelivered (orderly
    consumers retry the whole batch in place, as Java does).

    Settings are checked by :meth:`start`, which raises ``PushConsumerStartFailed`` (also a
    ``ValueError`` for invalid settings, a ``ConnectionError``/``TimeoutError`` when no name
    server answers). Changing settings or subscriptions after :meth:`start` raises
    ``InvalidConfigError``.
    """

    def __init__(
        self,
        group_id: str,
        orderly: bool = False,
        message_model: MessageModel | int = MessageModel.CLUSTERING,
    ) -> None:
        self._core = PushConsumerCore(group_id, bool(orderly))
        self.set_message_model(message_model)

    # ---- state --------------------------------------------------------------------------------

    @property
    def orderly(self) -> bool:
        """Whether messages of a queue are consumed one at a time, in order."""
        return self._core.orderly

    @property
    def consumed_count(self) -> int:
        """How many messages the callbacks have acknowledged so far."""
        return self._core.consumed_count

    def assigned_queues(self) -> list[MessageQueue]:
        """The queues this consumer is consuming now (retry topic included), sorted."""
        return [MessageQueue(*q) for q in self._core.assigned_queues()]

    def rebalance_now(self) -> None:
        """Share out the queues again now (otherwise every 20 s, and when the group changes)."""
        self._core.rebalance_now()

    # ---- subscriptions ------------------------------------------------------------------------

    def subscribe(
        self,
        topic: str,
        callback: ConsumeCallback,
        expression: str = "*",
        expression_type: str = "TAG",
    ) -> None:
        """Consume ``topic``: ``callback(msg)`` gets its messages (and only its messages).

        ``expression`` filters by tag: ``"*"`` (everything), ``"TagA"``, ``"TagA || TagB"``;
        with ``expression_type="SQL92"`` it is an SQL92 condition over message properties
        (see :meth:`subscribe_sql`). Subscribing a topic again replaces its expression and
        callback.
        """
        kind = str(expression_type).upper()
        if kind not in ("TAG", "SQL92"):
            raise InvalidConfigError(
                f"expression_type must be 'TAG' or 'SQL92', got {expression_type!r}", kind="config"
            )
        self._core.subscribe(topic, callback, expression, kind == "SQL92")

    def subscribe_sql(self, topic: str, callback: ConsumeCallback, sql: str) -> None:
        """Consume the messages of ``topic`` whose properties match ``sql`` (e.g.
        ``"a > 5 AND region = 'eu'"``). The broker needs ``enablePropertyFilter=true``;
        :meth:`start` fails if it rejects the expression."""
        self._core.subscribe(topic, callback, sql, True)

    # ---- settings (before start) --------------------------------------------------------------

    def set_message_model(self, model: MessageModel | int) -> None:
        """``MessageModel.CLUSTERING`` (default) or ``MessageModel.BROADCASTING``."""
        self._core.set_message_model(int(model))

    def set_thread_count(self, thread_count: int) -> None:
        """Consume threads (default 20). Orderly consumers use at most one per queue."""
        self._core.set_thread_count(int(thread_count))

    def set_message_batch_max_size(self, max_size: int) -> None:
        """Messages handed to one consume thread at once (default 1, at most 1024); the
        callback is still called once per message."""
        self._core.set_message_batch_max_size(int(max_size))

    def set_pull_batch_size(self, size: int) -> None:
        """Messages fetched per pull request (default 32)."""
        self._core.set_pull_batch_size(int(size))

    def set_consume_from_where(self, where: ConsumeFromWhere | int, strict: bool = False) -> None:
        """Where a group without a stored offset starts (default
        ``ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET``).

        As with the Java and C++ clients, by default the broker has the last word for a new
        group: when all of a queue's messages are still in its memory (a young topic), it
        answers "offset 0", so the group starts at the beginning whatever this says.
        ``strict=True`` asks the broker not to (RocketMQ 5.x brokers; 4.x ignore the request),
        so ``where`` always decides.
        """
        self._core.set_consume_from_where(int(where), bool(strict))

    def set_consume_timestamp(self, timestamp: int | _dt.datetime | str) -> None:
        """The start point of ``CONSUME_FROM_TIMESTAMP``: epoch milliseconds (int), a
        ``datetime`` (naive means local time) or Java's ``"yyyyMMddHHmmss"`` string (local
        time). Default: 30 minutes before :meth:`start`."""
        self._core.set_consume_timestamp_ms(_epoch_ms(timestamp))

    def set_max_reconsume_times(self, times: int) -> None:
        """Deliveries of a failing message before it goes to the dead-letter queue (default
        16; orderly: unlimited). -1 means the default."""
        self._core.set_max_reconsume_times(int(times))

    def set_pull_threshold_for_queue(self, count: int) -> None:
        """Messages cached per queue before fetching pauses (default 1000)."""
        self._core.set_pull_threshold_for_queue(int(count))

    def set_pull_threshold_size_for_queue(self, size_mib: int) -> None:
        """MiB of bodies cached per queue before fetching pauses (default 100)."""
        self._core.set_pull_threshold_size_for_queue(int(size_mib))

    def set_allocate_strategy(self, name: str) -> None:
        """How a clustering group shares queues: ``"AVG"`` (default), ``"AVG_BY_CIRCLE"`` or
        ``"CONSISTENT_HASH"`` (Java class names are accepted too)."""
        self._core.set_allocate_strategy(name)

    def set_delay_level_when_next_consume(self, level: int) -> None:
        """Delay level of redeliveries after RECONSUME_LATER (concurrent consumers): 0
        (default) lets the broker escalate (10 s, 30 s, 1 min, ...), 1 = 1 s, 2 = 5 s, 3 =
        10 s ...; -1 sends failed messages straight to the dead-letter queue."""
        self._core.set_delay_level_when_next_consume(int(level))

    def set_suspend_current_queue_time(self, millis: int) -> None:
        """Orderly consumers: pause before retrying a failed message in place (default 1000)."""
        self._core.set_suspend_current_queue_time_ms(int(millis))

    def set_offset_store_dir(self, path: str) -> None:
        """Broadcasting: directory of the local offset files (default ``$ROCKETMQ_OFFSETS_DIR``,
        else ``~/.rocketmq_offsets``)."""
        self._core.set_offset_store_dir(str(path))

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Check the settings, reach the name server and begin consuming.

        Raises ``PushConsumerStartFailed``: without any subscription, for invalid settings
        (also ``ValueError``), when no name server answers (also ``ConnectionError`` or
        ``TimeoutError``), or when a broker rejects an SQL92 subscription.
        """
        self._core.start()

    def shutdown(self) -> None:
        """Stop fetching, let callbacks in progress finish (at most 10 s), commit the
        consumed offsets and leave the group. Idempotent; does nothing before :meth:`start`.

        Called from inside a callback (on a consume thread), it cannot wait for that callback
        to finish: it begins the shutdown and returns at once. The callback then completes
        normally (with a batch size > 1, the rest of its batch is still delivered), no further
        batches are, and the shutdown finishes in the background (a later ``shutdown()`` from
        another thread waits for it). A started consumer that is garbage-collected without
        ``shutdown()`` is shut down in the background too.

        Without ``shutdown()`` (the interpreter just exits), callbacks still running get up to
        2 s; consumption then stops and the offsets acknowledged since the last periodic commit
        (every 5 s) are not committed: those messages are delivered again to the group.
        """
        self._core.shutdown()
