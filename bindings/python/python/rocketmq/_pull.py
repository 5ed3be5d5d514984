"""Pull-style consumers: :class:`LitePullConsumer` (Java ``DefaultLitePullConsumer``), its
asyncio twin :class:`AsyncLitePullConsumer` (``rocketmq.aio.LitePullConsumer``) and the 0.5.x
:class:`PullConsumer` (Java ``DefaultMQPullConsumer``). Re-exported by :mod:`rocketmq.client` and
:mod:`rocketmq.aio`.

A lite-pull consumer pulls in the background (long polls per queue, with the push consumer's
flow control) and hands messages out through :meth:`LitePullConsumer.poll`; it either
*subscribes* (the group's members share the queues, rebalanced as members come and go; or, when
broadcasting, every member reads every queue) or is *assigned* queues (no rebalance). Offsets are
committed automatically every 5 s (``auto_commit``, as Java) and at shutdown, or by
:meth:`LitePullConsumer.commit`.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from types import TracebackType
from typing import Any, Callable

from ._base import NAMESRV_REFRESH_MS, ClientSetters, StatsView
from ._rocketmq import LitePullConsumerCore, PullConsumerCore, ReceivedMessage
from ._types import ConsumeFromWhere, MessageModel, MessageQueue
from .exceptions import InvalidConfigError


def _queues(raw: Iterable[tuple[str, str, int]]) -> list[MessageQueue]:
    return [MessageQueue(*q) for q in raw]


def _epoch_ms(value: int | _dt.datetime) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, _dt.datetime)):
        raise TypeError("a timestamp is epoch milliseconds (int) or a datetime")
    if isinstance(value, _dt.datetime):
        return int(value.timestamp() * 1000)
    return value


def _configure(core: LitePullConsumerCore, options: dict[str, Any]) -> None:
    """Keyword options of the asyncio consumer (and the blocking one's constructor)."""
    setters: dict[str, Callable[[Any], None]] = {
        "namesrv_addr": core.set_namesrv_addr,
        "namesrv_domain": lambda v: core.set_namesrv_domain(v, NAMESRV_REFRESH_MS),
        "namespace": lambda v: core.set_namespace(v, False),
        "namespace_v2": lambda v: core.set_namespace(v, True),
        "instance_name": core.set_instance_name,
        "allocate_strategy": core.set_allocate_strategy,
        "offset_store_dir": lambda v: core.set_offset_store_dir(str(v)),
        "route_snapshot_path": lambda v: core.set_route_snapshot_path(os.fspath(v)),
        "message_model": lambda v: core.set_message_model(int(v)),
        "consume_from_where": lambda v: core.set_consume_from_where(int(v), False),
        "consume_timestamp": lambda v: core.set_consume_timestamp_ms(_epoch_ms(v)),
        "pull_batch_size": lambda v: core.set_pull_batch_size(int(v)),
        "pull_threshold_for_queue": lambda v: core.set_pull_threshold_for_queue(int(v)),
        "pull_threshold_size_for_queue": lambda v: core.set_pull_threshold_size_for_queue(int(v)),
        "pull_threshold_for_all": lambda v: core.set_pull_threshold_for_all(int(v)),
        "auto_commit": lambda v: core.set_auto_commit(bool(v)),
        "auto_commit_interval_ms": lambda v: core.set_auto_commit_interval_ms(int(v)),
        "poll_timeout_ms": lambda v: core.set_poll_timeout_ms(int(v)),
        # True (RMQ_SYS_TRACE_TOPIC) or a trace topic name; False is off.
        "message_trace": lambda v: core.set_message_trace(
            bool(v), v if isinstance(v, str) else None
        ),
    }
    for name, value in options.items():
        if value is None:
            continue
        setter = setters.get(name)
        if setter is None:
            raise TypeError(f"unknown option {name!r}; known: {', '.join(sorted(setters))}")
        setter(value)


class LitePullConsumer(ClientSetters[LitePullConsumerCore], StatsView[LitePullConsumerCore]):
    """A lite-pull consumer (blocking API): ``subscribe`` or ``assign``, ``start``, then
    ``poll`` in a loop.

    ::

        consumer = LitePullConsumer("my_group", namesrv_addr="127.0.0.1:9876")
        consumer.subscribe("MyTopic", "TagA || TagB")
        with consumer:
            while running:
                for msg in consumer.poll(timeout_ms=1000):
                    handle(msg)

    Options (keyword arguments, or the ``set_*`` methods before :meth:`start`):
    ``namesrv_addr`` (else ``namesrv_domain``, looked up over HTTP, else ``NAMESRV_ADDR``),
    ``namespace`` / ``namespace_v2``, ``message_model`` (CLUSTERING), ``consume_from_where``
    (last offset), ``consume_timestamp``, ``allocate_strategy``, ``pull_batch_size`` (10: the most a
    poll returns), ``pull_threshold_for_queue`` (1000), ``pull_threshold_size_for_queue`` (MiB,
    100), ``pull_threshold_for_all`` (10000), ``auto_commit`` (True), ``auto_commit_interval_ms``
    (5000), ``poll_timeout_ms`` (5000), ``offset_store_dir``, ``instance_name``,
    ``route_snapshot_path`` (see ``rocketmq.client.PushConsumer.set_route_snapshot_path``),
    ``message_trace`` (``True`` or a trace topic: SubBefore + SubAfter records per pull that
    found messages, as Java's lite pull writes them).
    Checked by :meth:`start` (``PushConsumerStartFailed`` subclasses, also ``ValueError``).
    """

    def __init__(self, group: str, **options: Any) -> None:
        self._core = LitePullConsumerCore(group)
        _configure(self._core, options)

    def __enter__(self) -> LitePullConsumer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()

    def __iter__(self) -> Iterator[ReceivedMessage]:
        """Messages forever (each :meth:`poll` with the default timeout), until shut down."""
        while True:
            batch = self.poll()
            if not batch and not self._core.started:
                return
            yield from batch

    # ---- settings (before start) ----

    def set_name_server_address(self, addr: str) -> None:
        self._core.set_namesrv_addr(addr)

    def set_instance_name(self, name: str) -> None:
        self._core.set_instance_name(name)

    def set_route_snapshot_path(self, path: str | os.PathLike[str] | None) -> None:
        """Route snapshot file, used while no name server answers (see
        ``rocketmq.client.PushConsumer.set_route_snapshot_path``)."""
        self._core.set_route_snapshot_path(None if path is None else os.fspath(path))

    def set_session_credentials(self, access_key: str, access_secret: str, channel: str) -> None:
        self._core.set_session_credentials(access_key, access_secret, channel)

    def set_message_trace(self, message_trace: bool, trace_topic: str | None = None) -> None:
        """Message trace (see :meth:`rocketmq.client.Producer.set_message_trace`)."""
        self._core.set_message_trace(bool(message_trace), trace_topic)

    def set_message_model(self, model: MessageModel | int) -> None:
        self._core.set_message_model(int(model))

    def set_consume_from_where(self, where: ConsumeFromWhere | int) -> None:
        self._core.set_consume_from_where(int(where), False)

    def set_consume_timestamp(self, timestamp: int | _dt.datetime) -> None:
        self._core.set_consume_timestamp_ms(_epoch_ms(timestamp))

    def set_pull_batch_size(self, size: int) -> None:
        self._core.set_pull_batch_size(int(size))

    def set_auto_commit(self, on: bool) -> None:
        self._core.set_auto_commit(bool(on))

    def set_auto_commit_interval(self, millis: int) -> None:
        self._core.set_auto_commit_interval_ms(int(millis))

    def set_poll_timeout(self, millis: int) -> None:
        self._core.set_poll_timeout_ms(int(millis))

    # ---- queues ----

    def subscribe(self, topic: str, expression: str = "*", expression_type: str = "TAG") -> None:
        """Consume ``topic`` filtered by tags (``"*"``, ``"TagA || TagB"``) or, with
        ``expression_type="SQL92"``, an SQL92 condition; before or after :meth:`start`."""
        kind = str(expression_type).upper()
        if kind not in ("TAG", "SQL92"):
            raise InvalidConfigError(
                f"expression_type must be 'TAG' or 'SQL92', got {expression_type!r}", kind="config"
            )
        self._core.subscribe(topic, expression, kind == "SQL92")

    def assign(self, queues: Iterable[MessageQueue]) -> None:
        """Consume exactly these queues, without rebalance (not with :meth:`subscribe`)."""
        self._core.assign(list(queues))

    def fetch_message_queues(self, topic: str) -> list[MessageQueue]:
        """The readable queues of ``topic``, from the name server."""
        return _queues(self._core.fetch_message_queues(topic))

    def assignment(self) -> list[MessageQueue]:
        """The queues this consumer holds now."""
        return _queues(self._core.assignment())

    # ---- lifecycle ----

    def start(self) -> None:
        self._core.start()

    def shutdown(self) -> None:
        """Commit (with auto-commit) and persist the offsets, stop pulling. Idempotent."""
        self._core.shutdown()

    # ---- consuming ----

    def poll(self, timeout_ms: int | None = None) -> list[ReceivedMessage]:
        """Up to ``pull_batch_size`` messages of one queue (queues take turns); waits at most
        ``timeout_ms`` (default ``poll_timeout_ms``) and returns ``[]`` on timeout."""
        return self._core.poll(timeout_ms)

    def seek(self, queue: MessageQueue, offset: int) -> None:
        """Read ``queue`` from ``offset`` on (cached messages are dropped)."""
        self._core.seek(queue, int(offset))

    def seek_to_begin(self, queue: MessageQueue) -> None:
        self._core.seek_to_begin(queue)

    def seek_to_end(self, queue: MessageQueue) -> None:
        self._core.seek_to_end(queue)

    def offset_for_timestamp(self, queue: MessageQueue, timestamp: int | _dt.datetime) -> int:
        """The offset of the first message stored at or after ``timestamp`` (epoch ms or a
        datetime); ``seek`` there to re-read from a time."""
        return self._core.offset_for_timestamp(queue, _epoch_ms(timestamp))

    def commit(self, queues: Iterable[MessageQueue] | None = None) -> None:
        """Commit what was polled (from ``queues``, default all) and persist it now."""
        self._core.commit(None if queues is None else list(queues))

    def committed(self, queue: MessageQueue) -> int | None:
        """The committed offset of ``queue`` as stored (None if nothing is)."""
        return self._core.committed(queue)

    def pause(self, queues: Iterable[MessageQueue]) -> None:
        self._core.pause(list(queues))

    def resume(self, queues: Iterable[MessageQueue]) -> None:
        self._core.resume(list(queues))

    def is_paused(self, queue: MessageQueue) -> bool:
        return self._core.is_paused(queue)


class AsyncLitePullConsumer(StatsView[LitePullConsumerCore]):
    """The asyncio lite-pull consumer (``rocketmq.aio.LitePullConsumer``): the options of
    :class:`LitePullConsumer` as keyword arguments, awaitable methods, and ``async for``::

        async with LitePullConsumer("g", namesrv_addr=addr) as consumer:
            await consumer.subscribe("MyTopic")
            async for msg in consumer:
                await handle(msg)

    (``subscribe``/``assign`` before ``start`` may also be awaited before ``async with``.)
    Polls wait on the library's runtime: awaiting never blocks the event loop.
    """

    def __init__(self, group: str, **options: Any) -> None:
        self._core = LitePullConsumerCore(group)
        _configure(self._core, options)

    async def __aenter__(self) -> AsyncLitePullConsumer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.shutdown()

    async def __aiter__(self) -> AsyncIterator[ReceivedMessage]:
        while True:
            batch = await self.poll()
            if not batch and not self._core.started:
                return
            for msg in batch:
                yield msg

    async def subscribe(self, topic: str, expression: str = "*", *, sql: bool = False) -> None:
        await self._core.subscribe(topic, expression, sql, aio=True)

    async def assign(self, queues: Iterable[MessageQueue]) -> None:
        await self._core.assign(list(queues), aio=True)

    async def fetch_message_queues(self, topic: str) -> list[MessageQueue]:
        return _queues(await self._core.fetch_message_queues(topic, aio=True))

    def assignment(self) -> list[MessageQueue]:
        return _queues(self._core.assignment())

    async def start(self) -> None:
        await self._core.start(aio=True)

    async def shutdown(self) -> None:
        await self._core.shutdown(aio=True)

    async def poll(self, timeout_ms: int | None = None) -> list[ReceivedMessage]:
        return await self._core.poll(timeout_ms, aio=True)

    async def seek(self, queue: MessageQueue, offset: int) -> None:
        await self._core.seek(queue, int(offset), aio=True)

    async def seek_to_begin(self, queue: MessageQueue) -> None:
        await self._core.seek_to_begin(queue, aio=True)

    async def seek_to_end(self, queue: MessageQueue) -> None:
        await self._core.seek_to_end(queue, aio=True)

    async def offset_for_timestamp(self, queue: MessageQueue, timestamp: int | _dt.datetime) -> int:
        return await self._core.offset_for_timestamp(queue, _epoch_ms(timestamp), aio=True)

    async def commit(self, queues: Iterable[MessageQueue] | None = None) -> None:
        await self._core.commit(None if queues is None else list(queues), aio=True)

    async def committed(self, queue: MessageQueue) -> int | None:
        return await self._core.committed(queue, aio=True)

    def pause(self, queues: Iterable[MessageQueue]) -> None:
        self._core.pause(list(queues))

    def resume(self, queues: Iterable[MessageQueue]) -> None:
        self._core.resume(list(queues))

    def is_paused(self, queue: MessageQueue) -> bool:
        return self._core.is_paused(queue)


class PullConsumer(ClientSetters[PullConsumerCore]):
    """The rocketmq-client-python 0.5.x pull consumer, restored: the application keeps the
    offsets.

    ``pull(topic, expression="*", max_num=32)`` is a generator over every queue of the topic:
    each queue is read from its offset (:meth:`get_message_queue_offset`, 0 at first) until it
    has nothing new, and the offsets move on as messages are yielded. Unlike 0.5.x the offsets
    belong to the consumer object (not to the class) and the generator does not shut the
    consumer down at its end.
    """

    def __init__(self, group_id: str) -> None:
        self._core = PullConsumerCore(group_id)
        self._offsets: dict[MessageQueue, int] = {}

    def __enter__(self) -> PullConsumer:
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

    def set_name_server_address(self, addr: str) -> None:
        self._core.set_namesrv_addr(addr)

    def set_namesrv_addr(self, addr: str) -> None:
        """0.5.x name of :meth:`set_name_server_address`."""
        self._core.set_namesrv_addr(addr)

    def set_session_credentials(self, access_key: str, access_secret: str, channel: str) -> None:
        self._core.set_session_credentials(access_key, access_secret, channel)

    def start(self) -> None:
        self._core.start()

    def shutdown(self) -> None:
        self._core.shutdown()

    def fetch_subscribe_message_queues(self, topic: str) -> list[MessageQueue]:
        """The readable queues of ``topic``."""
        return _queues(self._core.fetch_message_queues(topic))

    def get_message_queue_offset(self, mq: MessageQueue) -> int:
        return self._offsets.get(MessageQueue(*mq), 0)

    def set_message_queue_offset(self, mq: MessageQueue, offset: int) -> None:
        self._offsets[MessageQueue(*mq)] = int(offset)

    def pull_once(
        self, mq: MessageQueue, expression: str = "*", offset: int | None = None, max_num: int = 32
    ) -> dict[str, Any]:
        """One pull of ``mq`` at ``offset`` (default: the kept offset): a dict with ``status``
        (``"FOUND"``, ``"NO_NEW_MSG"``, ``"NO_MATCHED_MSG"``, ``"OFFSET_ILLEGAL"``),
        ``next_begin_offset``, ``min_offset``, ``max_offset`` and ``messages``. The kept offset
        is not moved."""
        at = self.get_message_queue_offset(mq) if offset is None else int(offset)
        return self._core.pull(MessageQueue(*mq), expression, at, int(max_num))

    def pull(
        self, topic: str, expression: str = "*", max_num: int = 32
    ) -> Iterator[ReceivedMessage]:
        """Every message of ``topic`` from the kept offsets on, queue by queue (each queue until
        it has nothing new)."""
        for mq in self.fetch_subscribe_message_queues(topic):
            while True:
                at = self.get_message_queue_offset(mq)
                result = self.pull_once(mq, expression, at, max_num)
                status, next_offset = result["status"], result["next_begin_offset"]
                if status == "FOUND":
                    # Advance per message, so a consumer that stops iterating resumes after
                    # the last message it saw.
                    for msg in result["messages"]:
                        self.set_message_queue_offset(mq, msg.queue_offset + 1)
                        yield msg
                    self.set_message_queue_offset(
                        mq, max(next_offset, self.get_message_queue_offset(mq))
                    )
                    continue
                if status in ("OFFSET_ILLEGAL", "NO_MATCHED_MSG") and next_offset != at:
                    self.set_message_queue_offset(mq, next_offset)
                    continue
                break
