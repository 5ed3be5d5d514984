"""asyncio API: the producer and push consumer of :mod:`rocketmq.client`, with awaitable
methods and ``async def`` consumer callbacks.

::

    from rocketmq.aio import Producer
    from rocketmq.client import Message

    async with Producer("my_group", namesrv_addr="127.0.0.1:9876") as producer:
        msg = Message("MyTopic")
        msg.set_body(b"hello")
        result = await producer.send(msg)
        results = await asyncio.gather(*(producer.send(m) for m in many))

The I/O runs on the library's own Rust runtime; awaiting never blocks the event loop. Cancelling
the awaiting task cancels the send (it may still have reached the broker). Exceptions are those
of the blocking API: ``send`` raises ``ProducerSendSyncFailed`` subclasses (also
``TimeoutError``, ``ConnectionError``, ``ValueError`` ... by kind), see
:mod:`rocketmq.exceptions`.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Awaitable, Iterable
from types import TracebackType
from typing import Any, Callable, Optional, Union

from ._base import NAMESRV_REFRESH_MS, StatsView
from ._pull import AsyncLitePullConsumer as LitePullConsumer
from ._rocketmq import (
    Message,
    ProducerCore,
    PushConsumerCore,
    ReceivedMessage,
    create_reply_message,
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
from .client import _epoch_ms

__all__ = [
    "ConsumeFromWhere",
    "ConsumeStatus",
    "LitePullConsumer",
    "Message",
    "MessageModel",
    "MessageQueue",
    "Producer",
    "PushConsumer",
    "ReceivedMessage",
    "SendResult",
    "SendStatus",
    "TransactionProducer",
    "TransactionSendResult",
    "TransactionStatus",
    "create_reply_message",
]


def _set_message_trace(core: ProducerCore | PushConsumerCore, message_trace: bool | str) -> None:
    """``message_trace=True`` traces to ``RMQ_SYS_TRACE_TOPIC``; a string names the topic."""
    if isinstance(message_trace, str):
        core.set_message_trace(True, message_trace)
    elif message_trace:
        core.set_message_trace(True, None)


def _routing(
    core: ProducerCore | PushConsumerCore,
    namesrv_domain: str | None,
    namespace: str | None,
    namespace_v2: str | None,
) -> None:
    """The name-server lookup and namespace keyword options."""
    if namesrv_domain is not None:
        core.set_namesrv_domain(namesrv_domain, NAMESRV_REFRESH_MS)
    if namespace is not None:
        core.set_namespace(namespace, False)
    if namespace_v2 is not None:
        core.set_namespace(namespace_v2, True)


class Producer(StatsView[ProducerCore]):
    """An asyncio producer.

    Keyword options (all optional except ``namesrv_addr`` unless ``NAMESRV_ADDR`` is set):

    * ``namesrv_addr`` -- ``"host:port;host2:port"``
    * ``namesrv_domain`` -- where to look the name servers up over HTTP when no address is set
      (as ``rocketmq.client.Producer.set_name_server_domain``)
    * ``namespace`` / ``namespace_v2`` -- Java's ``namespace`` (names become ``ns%name``) /
      5.x ``namespaceV2`` (``ns`` request field)
    * ``instance_name`` -- instance name in the client id (default: unique per producer)
    * ``send_timeout_ms`` -- whole-send deadline, retries included (default 3000)
    * ``retry_times`` -- extra attempts of a failed send on another broker (default 2)
    * ``send_attempt_timeout_ms`` -- longest wait for one attempt while another still fits in
      the send timeout (default 1000): a send to a hung broker moves on within the deadline
    * ``route_snapshot_path`` -- route snapshot file, used while no name server answers
      (default none; see ``rocketmq.client.Producer.set_route_snapshot_path``)
    * ``compress_level`` -- zlib level 0-9 (default 5)
    * ``compress_over`` -- bodies of at least this many bytes are compressed (default 4096)
    * ``max_message_size`` -- largest body accepted, bytes (default 4 MiB)
    * ``message_trace`` -- ``True`` (to ``RMQ_SYS_TRACE_TOPIC``) or a trace topic name: Java's
      message trace (see :meth:`rocketmq.client.Producer.set_message_trace`); default off
    * ``auto_batch`` -- hold :meth:`send` calls and send them in batches (Java ``autoBatch``,
      default off; see ``rocketmq.client.Producer.set_auto_batch``), with
      ``batch_max_delay_ms`` (default 10), ``batch_max_bytes`` (default 32 KiB) and
      ``total_batch_max_bytes`` (default 32 MiB)

    Options are checked by :meth:`start` (``ProducerStartFailed``, also ``ValueError``).
    """

    def __init__(
        self,
        group: str,
        *,
        namesrv_addr: str | None = None,
        namesrv_domain: str | None = None,
        namespace: str | None = None,
        namespace_v2: str | None = None,
        instance_name: str | None = None,
        send_timeout_ms: int | None = None,
        retry_times: int | None = None,
        compress_level: int | None = None,
        compress_over: int | None = None,
        max_message_size: int | None = None,
        send_attempt_timeout_ms: int | None = None,
        route_snapshot_path: str | os.PathLike[str] | None = None,
        message_trace: bool | str = False,
        auto_batch: bool = False,
        batch_max_delay_ms: int | None = None,
        batch_max_bytes: int | None = None,
        total_batch_max_bytes: int | None = None,
    ) -> None:
        core = ProducerCore(group)
        if auto_batch:
            core.set_auto_batch(True)
        if batch_max_delay_ms is not None:
            core.set_batch_max_delay_ms(int(batch_max_delay_ms))
        if batch_max_bytes is not None:
            core.set_batch_max_bytes(int(batch_max_bytes))
        if total_batch_max_bytes is not None:
            core.set_total_batch_max_bytes(int(total_batch_max_bytes))
        self._core = self._configure(
            core,
            namesrv_addr=namesrv_addr,
            namesrv_domain=namesrv_domain,
            namespace=namespace,
            namespace_v2=namespace_v2,
            instance_name=instance_name,
            send_timeout_ms=send_timeout_ms,
            retry_times=retry_times,
            compress_level=compress_level,
            compress_over=compress_over,
            max_message_size=max_message_size,
            send_attempt_timeout_ms=send_attempt_timeout_ms,
            route_snapshot_path=route_snapshot_path,
            message_trace=message_trace,
        )

    @staticmethod
    def _configure(
        core: ProducerCore,
        *,
        namesrv_addr: str | None = None,
        namesrv_domain: str | None = None,
        namespace: str | None = None,
        namespace_v2: str | None = None,
        instance_name: str | None = None,
        send_timeout_ms: int | None = None,
        retry_times: int | None = None,
        compress_level: int | None = None,
        compress_over: int | None = None,
        max_message_size: int | None = None,
        send_attempt_timeout_ms: int | None = None,
        route_snapshot_path: str | os.PathLike[str] | None = None,
        message_trace: bool | str = False,
    ) -> ProducerCore:
        """Apply the keyword options (shared by :class:`TransactionProducer`)."""
        _set_message_trace(core, message_trace)
        if send_attempt_timeout_ms is not None:
            core.set_send_attempt_timeout_ms(int(send_attempt_timeout_ms))
        if route_snapshot_path is not None:
            core.set_route_snapshot_path(os.fspath(route_snapshot_path))
        if namesrv_addr is not None:
            core.set_namesrv_addr(namesrv_addr)
        _routing(core, namesrv_domain, namespace, namespace_v2)
        if instance_name is not None:
            core.set_instance_name(instance_name)
        if send_timeout_ms is not None:
            core.set_send_timeout_ms(int(send_timeout_ms))
        if retry_times is not None:
            core.set_retry_times(int(retry_times))
        if compress_level is not None:
            core.set_compress_level(int(compress_level))
        if compress_over is not None:
            core.set_compress_over(int(compress_over))
        if max_message_size is not None:
            core.set_max_message_size(int(max_message_size))
        return core

    async def __aenter__(self) -> Producer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.shutdown()

    async def start(self) -> None:
        """Check the options and start (no network I/O)."""
        await self._core.start(aio=True)

    async def shutdown(self) -> None:
        """Unregister from the brokers and close connections. Idempotent."""
        await self._core.shutdown(aio=True)

    async def send(self, msg: Message, *, timeout_ms: int | None = None) -> SendResult:
        """Send and wait for the broker, retrying on another broker within the timeout."""
        return await self._core.send(msg, timeout_ms, aio=True)

    async def send_oneway(self, msg: Message) -> None:
        """Send without waiting for the broker's answer (one attempt)."""
        await self._core.send_oneway(msg, aio=True)

    async def send_batch(self, msgs: Iterable[Message]) -> SendResult:
        """Send messages of one topic as one request."""
        return await self._core.send_batch(msgs, aio=True)

    async def send_orderly_with_sharding_key(self, msg: Message, sharding_key: str) -> SendResult:
        """Send to the queue picked by hashing ``sharding_key`` (no retry)."""
        return await self._core.send_orderly_by_sharding_key(msg, sharding_key, aio=True)

    async def request(self, msg: Message, timeout_ms: int = 3000) -> ReceivedMessage:
        """Send ``msg`` as a request and wait up to ``timeout_ms`` for its reply (a
        :class:`ReceivedMessage`). No reply in time raises ``ProducerRequestTimeout`` (also a
        ``TimeoutError``). Any number of requests may be in flight (``asyncio.gather``)."""
        return await self._core.request(msg, int(timeout_ms), aio=True)


#: ``checker(msg)``: a coroutine function (or plain function) answering a TransactionStatus.
AsyncTransactionChecker = Callable[
    [ReceivedMessage],
    Union[Awaitable[Union[TransactionStatus, int]], TransactionStatus, int],
]
#: ``local_execute(msg, user_args)``: likewise, for the local transaction.
AsyncLocalExecute = Callable[
    [ReceivedMessage, Any],
    Union[Awaitable[Union[TransactionStatus, int]], TransactionStatus, int],
]


class TransactionProducer(Producer):
    """An asyncio transactional producer (Java ``TransactionMQProducer``).

    ::

        async def check(msg: ReceivedMessage) -> TransactionStatus:
            if await order_exists(msg.keys):
                return TransactionStatus.COMMIT
            return TransactionStatus.ROLLBACK

        async with TransactionProducer("my_group", check, namesrv_addr="127.0.0.1:9876") as p:
            result = await p.send_message_in_transaction(msg, insert_order, user_args=order)

    ``local_execute(msg, user_args)`` and ``checker(msg)`` may be ``async def`` (or plain
    functions) and run as tasks on the event loop: ``local_execute`` on the caller's, the
    checker on the loop that awaited :meth:`start`. They answer a :class:`TransactionStatus`;
    an exception or any other answer means UNKNOWN, logged with its traceback (the broker
    checks again). The keyword options are :class:`Producer`'s.
    """

    def __init__(
        self,
        group: str,
        checker: AsyncTransactionChecker,
        *,
        namesrv_addr: str | None = None,
        namesrv_domain: str | None = None,
        namespace: str | None = None,
        namespace_v2: str | None = None,
        instance_name: str | None = None,
        send_timeout_ms: int | None = None,
        retry_times: int | None = None,
        compress_level: int | None = None,
        compress_over: int | None = None,
        max_message_size: int | None = None,
        send_attempt_timeout_ms: int | None = None,
        route_snapshot_path: str | os.PathLike[str] | None = None,
        message_trace: bool | str = False,
    ) -> None:
        self._core = self._configure(
            ProducerCore(group, checker),
            namesrv_addr=namesrv_addr,
            namesrv_domain=namesrv_domain,
            namespace=namespace,
            namespace_v2=namespace_v2,
            instance_name=instance_name,
            send_timeout_ms=send_timeout_ms,
            retry_times=retry_times,
            compress_level=compress_level,
            compress_over=compress_over,
            max_message_size=max_message_size,
            send_attempt_timeout_ms=send_attempt_timeout_ms,
            route_snapshot_path=route_snapshot_path,
            message_trace=message_trace,
        )

    async def __aenter__(self) -> TransactionProducer:
        await self.start()
        return self

    async def start(self) -> None:
        """Check the options and start; broker checks run on this loop from now on."""
        await self._core.start(aio=True)

    async def send_message_in_transaction(
        self, msg: Message, local_execute: AsyncLocalExecute, user_args: Any = None
    ) -> TransactionSendResult:
        """Send ``msg`` as a half message, await ``local_execute(msg, user_args)`` and end the
        transaction with its answer. Returns a :class:`TransactionSendResult`
        (``transaction_id``, ``local_state``); raises ``ProducerSendTransactionFailed`` if the
        half message could not be sent."""
        return await self._core.send_message_in_transaction(msg, local_execute, user_args, aio=True)


AsyncConsumeCallback = Callable[
    [ReceivedMessage],
    Union[Awaitable[Optional[Union[ConsumeStatus, int]]], Optional[Union[ConsumeStatus, int]]],
]


class PushConsumer(StatsView[PushConsumerCore]):
    """An asyncio push consumer: callbacks are ``async def`` (plain functions work too) and run
    as tasks on the event loop that awaited :meth:`start`.

    ::

        async def on_message(msg: ReceivedMessage) -> None:
            await handle(msg.body)          # None or CONSUME_SUCCESS: done

        consumer = PushConsumer("my_group", namesrv_addr="127.0.0.1:9876")
        consumer.subscribe("MyTopic", on_message, expression="TagA || TagB")
        async with consumer:
            await stop_event.wait()

    The answer of a callback means what it means for :class:`rocketmq.client.PushConsumer`:
    ``None`` or ``CONSUME_SUCCESS`` is done; ``RECONSUME_LATER``, any other value or an exception
    (logged with its traceback on the ``rocketmq`` logger) means the message is redelivered.

    At most ``max_in_flight`` callbacks (default 20) run at once; an orderly consumer runs one
    per queue at a time, in queue order. Pulling, rebalancing and committing offsets run on the
    library's Rust runtime, not on the loop: a callback that blocks the loop slows consumption but
    never stalls the pulls, and the library itself never blocks the loop.

    Keyword options (all optional): ``namesrv_addr`` (else ``namesrv_domain``, looked up over
    HTTP, else ``NAMESRV_ADDR``), ``namespace`` / ``namespace_v2``, ``orderly``,
    ``message_model``, ``consume_from_where``, ``consume_timestamp`` (epoch ms, a datetime or
    ``yyyyMMddHHmmss``), ``max_reconsume_times``, ``max_in_flight``, ``batch_max_size``,
    ``pull_batch_size``, ``pull_threshold_for_queue``, ``pull_threshold_size_for_queue`` (MiB),
    ``allocate_strategy``, ``delay_level_when_next_consume``, ``suspend_current_queue_time_ms``,
    ``offset_store_dir``, ``instance_name``, ``route_snapshot_path`` (see
    ``rocketmq.client.PushConsumer.set_route_snapshot_path``), ``message_trace`` (``True`` or a
    trace topic name: SubBefore/SubAfter records of each listener call, as the Java client writes
    them). They are checked by :meth:`start`
    (``PushConsumerStartFailed``, also ``ValueError``).
    """

    def __init__(
        self,
        group: str,
        *,
        namesrv_addr: str | None = None,
        namesrv_domain: str | None = None,
        namespace: str | None = None,
        namespace_v2: str | None = None,
        orderly: bool = False,
        message_model: MessageModel | int = MessageModel.CLUSTERING,
        consume_from_where: ConsumeFromWhere | int | None = None,
        consume_timestamp: int | _dt.datetime | str | None = None,
        max_reconsume_times: int | None = None,
        max_in_flight: int | None = None,
        batch_max_size: int | None = None,
        pull_batch_size: int | None = None,
        pull_threshold_for_queue: int | None = None,
        pull_threshold_size_for_queue: int | None = None,
        allocate_strategy: str | None = None,
        delay_level_when_next_consume: int | None = None,
        suspend_current_queue_time_ms: int | None = None,
        offset_store_dir: str | None = None,
        instance_name: str | None = None,
        route_snapshot_path: str | os.PathLike[str] | None = None,
        message_trace: bool | str = False,
    ) -> None:
        core = PushConsumerCore(group, bool(orderly))
        _set_message_trace(core, message_trace)
        if route_snapshot_path is not None:
            core.set_route_snapshot_path(os.fspath(route_snapshot_path))
        core.set_message_model(int(message_model))
        if namesrv_addr is not None:
            core.set_namesrv_addr(namesrv_addr)
        _routing(core, namesrv_domain, namespace, namespace_v2)
        if instance_name is not None:
            core.set_instance_name(instance_name)
        if consume_from_where is not None:
            core.set_consume_from_where(int(consume_from_where), False)
        if consume_timestamp is not None:
            core.set_consume_timestamp_ms(_epoch_ms(consume_timestamp))
        for setter, value in (
            (core.set_max_reconsume_times, max_reconsume_times),
            (core.set_max_in_flight, max_in_flight),
            (core.set_message_batch_max_size, batch_max_size),
            (core.set_pull_batch_size, pull_batch_size),
            (core.set_pull_threshold_for_queue, pull_threshold_for_queue),
            (core.set_pull_threshold_size_for_queue, pull_threshold_size_for_queue),
            (core.set_delay_level_when_next_consume, delay_level_when_next_consume),
            (core.set_suspend_current_queue_time_ms, suspend_current_queue_time_ms),
        ):
            if value is not None:
                setter(int(value))
        if allocate_strategy is not None:
            core.set_allocate_strategy(allocate_strategy)
        if offset_store_dir is not None:
            core.set_offset_store_dir(str(offset_store_dir))
        self._core = core

    async def __aenter__(self) -> PushConsumer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.shutdown()

    @property
    def orderly(self) -> bool:
        """Whether this consumer is orderly."""
        return self._core.orderly

    @property
    def consumed_count(self) -> int:
        """Messages acknowledged so far."""
        return self._core.consumed_count

    def assigned_queues(self) -> list[MessageQueue]:
        """The queues this member consumes now."""
        return [MessageQueue(*q) for q in self._core.assigned_queues()]

    def subscribe(self, topic: str, callback: AsyncConsumeCallback, expression: str = "*") -> None:
        """Consume ``topic`` with ``callback`` (tags: ``"*"``, ``"TagA || TagB"``). Subscribing a
        topic again replaces its expression and callback. Before :meth:`start` only."""
        self._core.subscribe(topic, callback, expression, False)

    def subscribe_sql(self, topic: str, callback: AsyncConsumeCallback, sql: str) -> None:
        """Consume the messages of ``topic`` whose properties match the SQL92 condition ``sql``
        (the broker needs ``enablePropertyFilter=true``)."""
        self._core.subscribe(topic, callback, sql, True)

    async def start(self) -> None:
        """Check the options, reach the name server and begin consuming; callbacks run on the
        running loop."""
        await self._core.start(aio=True)

    async def shutdown(self) -> None:
        """Stop pulling, wait (at most 10 s) for the callbacks in flight, persist the offsets and
        unregister. Idempotent."""
        await self._core.shutdown(aio=True)
