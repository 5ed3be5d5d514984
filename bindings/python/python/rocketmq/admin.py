"""Administration: clusters, topics, consumer groups, offsets and message lookups.

The Python face of the Rust ``Admin`` (``crates/rocketmq-client/src/admin``), itself modelled on
Java's ``DefaultMQAdminExt`` (what ``mqadmin`` uses)::

    from rocketmq.admin import Admin

    with Admin("127.0.0.1:9876") as admin:
        admin.create_topic("orders", cluster="DefaultCluster", queues=8)
        for q in admin.consume_stats("my_group").queues:
            print(q.queue, q.lag)

:class:`AsyncAdmin` has the same methods as coroutines (the I/O runs on the library's Rust
runtime; awaiting never blocks the event loop). Blocking calls release the GIL. No start is
needed: connections open on the first call and :meth:`Admin.close` closes them.

Every failure raises an :class:`rocketmq.exceptions.AdminFailed` subclass that is also the kind
class: e.g. :class:`~rocketmq.exceptions.AdminConnectionError` (a ``ConnectionError``) when no
name server answers, :class:`~rocketmq.exceptions.AdminRouteNotFound` for an unknown topic,
:class:`~rocketmq.exceptions.AdminBrokerError` with ``code`` / ``remark`` when a broker refuses
(``code == 206`` CONSUMER_NOT_ONLINE, ``22`` QUERY_NOT_FOUND).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any, NamedTuple

from ._rocketmq import AdminCore, ReceivedMessage

__all__ = [
    "Admin",
    "AsyncAdmin",
    "BrokerInfo",
    "ClusterInfo",
    "ConsumeStats",
    "ConsumerConnection",
    "ConsumerConnections",
    "ConsumerRunningInfo",
    "MessageQueue",
    "ProcessQueue",
    "QueueData",
    "QueueProgress",
    "ReceivedMessage",
    "ResetOffsetResult",
    "Subscription",
    "TopicOffset",
    "TopicRoute",
    "CONSUMER_NOT_ONLINE",
    "QUERY_NOT_FOUND",
]

#: Broker response code: no consumer of the group is connected.
CONSUMER_NOT_ONLINE = 206
#: Broker response code: no message matches a lookup.
QUERY_NOT_FOUND = 22


class MessageQueue(NamedTuple):
    """One queue of a topic on one broker."""

    topic: str
    broker_name: str
    queue_id: int


@dataclass(frozen=True)
class BrokerInfo:
    """A broker name and its addresses (``addrs[0]`` is the master)."""

    name: str
    cluster: str
    addrs: dict[int, str]

    @property
    def master_addr(self) -> str | None:
        """The master's ``host:port``, if registered."""
        return self.addrs.get(0)


@dataclass(frozen=True)
class ClusterInfo:
    """Clusters (name -> broker names) and brokers (name -> :class:`BrokerInfo`)."""

    clusters: dict[str, list[str]]
    brokers: dict[str, BrokerInfo]


@dataclass(frozen=True)
class QueueData:
    """A topic's queues on one broker name (``perm``: 2 write, 4 read, 6 both)."""

    broker_name: str
    read_queue_nums: int
    write_queue_nums: int
    perm: int
    topic_sys_flag: int


@dataclass(frozen=True)
class TopicRoute:
    """Which brokers serve a topic, with how many queues."""

    topic: str
    brokers: list[BrokerInfo]
    queues: list[QueueData]
    order_topic_conf: str | None


@dataclass(frozen=True)
class TopicOffset:
    """One queue in the topic stats: offsets and the store time (ms) of its newest message."""

    queue: MessageQueue
    min_offset: int
    max_offset: int
    last_update_timestamp: int


@dataclass(frozen=True)
class QueueProgress:
    """A group's progress on one queue."""

    queue: MessageQueue
    broker_offset: int
    consumer_offset: int
    last_timestamp: int

    @property
    def lag(self) -> int:
        """Messages not consumed yet."""
        return max(self.broker_offset - self.consumer_offset, 0)


@dataclass(frozen=True)
class ConsumeStats:
    """A group's progress (``mqadmin consumerProgress``), sorted by queue."""

    consume_tps: float
    queues: list[QueueProgress]

    @property
    def total_lag(self) -> int:
        """The sum of every queue's lag."""
        return sum(q.lag for q in self.queues)


@dataclass(frozen=True)
class ConsumerConnection:
    """One connected consumer client."""

    client_id: str
    client_addr: str
    language: str
    version: int


@dataclass(frozen=True)
class Subscription:
    """A subscription: topic, expression (``"*"``, ``"TagA || TagB"``, SQL92) and its type."""

    topic: str
    expression: str
    expression_type: str


@dataclass(frozen=True)
class ConsumerConnections:
    """The clients of a group and what they subscribe (``mqadmin consumerConnection``)."""

    connections: list[ConsumerConnection]
    subscriptions: dict[str, Subscription]
    consume_type: str | None
    message_model: str | None
    consume_from_where: str | None


@dataclass(frozen=True)
class ProcessQueue:
    """One queue a running consumer holds."""

    queue: MessageQueue
    commit_offset: int
    cached_msg_count: int
    cached_msg_size_mib: int
    last_pull_timestamp: int
    last_consume_timestamp: int
    dropped: bool
    locked: bool


@dataclass(frozen=True)
class ConsumerRunningInfo:
    """What one consumer client reports about itself (``mqadmin consumerStatus``)."""

    properties: dict[str, str]
    subscriptions: list[Subscription]
    queues: list[ProcessQueue]


@dataclass(frozen=True)
class ResetOffsetResult:
    """The new offset of each queue; ``rewrote_stored_offsets`` is True when no consumer was
    online and a 4.x broker refused, so the stored offsets were rewritten by this client."""

    offsets: dict[MessageQueue, int]
    rewrote_stored_offsets: bool


# ---- conversions of the native results (shared by Admin and AsyncAdmin) ----------------------


def _mq(t: tuple[str, str, int]) -> MessageQueue:
    return MessageQueue(*t)


def _broker(t: tuple[str, str, dict[int, str]]) -> BrokerInfo:
    return BrokerInfo(name=t[0], cluster=t[1], addrs=dict(t[2]))


def _cluster(raw: Any) -> ClusterInfo:
    clusters, brokers = raw
    infos = [_broker(b) for b in brokers]
    return ClusterInfo(clusters=dict(clusters), brokers={b.name: b for b in infos})


def _route(topic: str, raw: Any) -> TopicRoute:
    brokers, queues, order = raw
    return TopicRoute(
        topic=topic,
        brokers=[_broker(b) for b in brokers],
        queues=[QueueData(*q) for q in queues],
        order_topic_conf=order,
    )


def _topic_stats(raw: Any) -> list[TopicOffset]:
    return [TopicOffset(_mq(q), lo, hi, ts) for q, lo, hi, ts in raw]


def _consume_stats(raw: Any) -> ConsumeStats:
    tps, rows = raw
    return ConsumeStats(
        consume_tps=float(tps),
        queues=[QueueProgress(_mq(q), b, c, ts) for q, b, c, ts in rows],
    )


def _connections(raw: Any) -> ConsumerConnections:
    conns, subs, consume_type, model, from_where = raw
    return ConsumerConnections(
        connections=[ConsumerConnection(*c) for c in conns],
        subscriptions={t: Subscription(t, e, k) for t, (e, k) in subs.items()},
        consume_type=consume_type,
        message_model=model,
        consume_from_where=from_where,
    )


def _running_info(raw: Any) -> ConsumerRunningInfo:
    props, subs, queues = raw
    return ConsumerRunningInfo(
        properties=dict(props),
        subscriptions=[Subscription(*s) for s in subs],
        queues=[ProcessQueue(_mq(q[0]), *q[1:]) for q in queues],
    )


def _reset(raw: Any) -> ResetOffsetResult:
    offsets, rewrote = raw
    return ResetOffsetResult(
        offsets={_mq(q): o for q, o in offsets}, rewrote_stored_offsets=rewrote
    )


def _core(namesrv_addr: str | None, timeout_ms: int | None) -> AdminCore:
    return AdminCore(namesrv_addr, None if timeout_ms is None else int(timeout_ms))


def _create_args(
    cluster: str | None,
    broker_addr: str | None,
    queues: int,
    read_queue_nums: int | None,
    write_queue_nums: int | None,
) -> tuple[str | None, str | None, int, int]:
    return (
        cluster,
        broker_addr,
        queues if read_queue_nums is None else read_queue_nums,
        queues if write_queue_nums is None else write_queue_nums,
    )


class _AdminBase:
    _core: AdminCore

    def __repr__(self) -> str:
        return f"<{type(self).__name__} namesrv={self._core.namesrv_addr!r}>"

    @property
    def namesrv_addr(self) -> str:
        """The name servers, ``"host:port;host:port"``."""
        return self._core.namesrv_addr

    @property
    def timeout_ms(self) -> int:
        """The deadline of each request, ms."""
        return int(self._core.timeout_ms)

    def close(self) -> None:
        """Close the connections (the next call reopens them)."""
        self._core.close()


class Admin(_AdminBase):
    """The blocking admin client.

    ``namesrv_addr`` defaults to ``$NAMESRV_ADDR``; ``timeout_ms`` is the deadline of each
    request (default 3000). A bad address raises :class:`~rocketmq.exceptions.AdminInvalidConfig`
    here, with no I/O.
    """

    def __init__(self, namesrv_addr: str | None = None, *, timeout_ms: int | None = None) -> None:
        self._core = _core(namesrv_addr, timeout_ms)

    def __enter__(self) -> Admin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def cluster_info(self) -> ClusterInfo:
        """Clusters, broker names and addresses (GET_BROKER_CLUSTER_INFO)."""
        return _cluster(self._core.cluster_info())

    def broker_runtime_info(self, broker_addr: str) -> dict[str, str]:
        """A broker's runtime statistics (GET_BROKER_RUNTIME_INFO, ``mqadmin brokerStatus``)."""
        return dict(self._core.broker_runtime_info(broker_addr))

    def topic_list(self) -> list[str]:
        """Every topic the name servers know, sorted."""
        return list(self._core.topic_list())

    def topic_route(self, topic: str) -> TopicRoute:
        """The topic's route; :class:`~rocketmq.exceptions.AdminRouteNotFound` if none."""
        return _route(topic, self._core.topic_route(topic))

    def create_topic(
        self,
        topic: str,
        *,
        cluster: str | None = None,
        broker_addr: str | None = None,
        queues: int = 8,
        read_queue_nums: int | None = None,
        write_queue_nums: int | None = None,
        perm: int = 6,
        order: bool = False,
    ) -> list[str]:
        """Create (or update) ``topic`` on every master of ``cluster`` or on the broker
        ``broker_addr`` (exactly one of them). Returns the broker addresses."""
        c, b, r, w = _create_args(cluster, broker_addr, queues, read_queue_nums, write_queue_nums)
        return list(self._core.create_topic(topic, c, b, r, w, perm, order))

    def delete_topic(self, topic: str, *, cluster: str | None = None) -> list[str]:
        """Delete ``topic`` from the brokers (of ``cluster``, else those of its route) and from
        every name server. Returns the broker addresses."""
        return list(self._core.delete_topic(topic, cluster))

    def topic_stats(self, topic: str) -> list[TopicOffset]:
        """Min / max offset and last update time per queue (``mqadmin topicStatus``)."""
        return _topic_stats(self._core.topic_stats(topic))

    def topic_queues(self, topic: str) -> list[MessageQueue]:
        """The read queues of ``topic``."""
        return [_mq(q) for q in self._core.topic_queues(topic)]

    def consume_stats(self, group: str, topic: str | None = None) -> ConsumeStats:
        """Broker offset, consumer offset and lag per queue (``mqadmin consumerProgress``)."""
        return _consume_stats(self._core.consume_stats(group, topic))

    def consumer_connections(self, group: str) -> ConsumerConnections:
        """The group's connected clients and subscriptions; ``AdminBrokerError`` with
        ``code == CONSUMER_NOT_ONLINE`` when none is connected."""
        return _connections(self._core.consumer_connections(group))

    def consumer_running_info(
        self, group: str, client_id: str, *, jstack: bool = False
    ) -> ConsumerRunningInfo:
        """What the client ``client_id`` of ``group`` reports (relayed by its broker)."""
        return _running_info(self._core.consumer_running_info(group, client_id, jstack))

    def reset_offset_by_time(
        self, group: str, topic: str, timestamp_ms: int, *, force: bool = True
    ) -> ResetOffsetResult:
        """Move ``group`` on ``topic`` to the first message stored at or after
        ``timestamp_ms`` (``mqadmin resetOffsetByTime``). Unless ``force``, queues only move
        back."""
        return _reset(self._core.reset_offset_by_time(group, topic, int(timestamp_ms), force))

    def message_by_id(self, msg_id: str, topic: str | None = None) -> ReceivedMessage:
        """A message by its offset message id (``SendResult.offset_msg_id``), or by its client
        id (``SendResult.msg_id``, the ``UNIQ_KEY``) within ``topic``."""
        return self._core.message_by_id(msg_id, topic)

    def messages_by_key(self, topic: str, key: str, *, max_num: int = 64) -> list[ReceivedMessage]:
        """Messages of ``topic`` with ``key`` among their keys, oldest first (may be empty)."""
        return list(self._core.messages_by_key(topic, key, max_num))

    def search_offset(self, queue: MessageQueue, timestamp_ms: int) -> int:
        """The offset of the first message of ``queue`` stored at or after ``timestamp_ms``."""
        return int(self._core.search_offset(*queue, int(timestamp_ms)))

    def min_offset(self, queue: MessageQueue) -> int:
        """The oldest offset still stored in ``queue``."""
        return int(self._core.queue_offset("min", *queue))

    def max_offset(self, queue: MessageQueue) -> int:
        """The next offset to be written in ``queue``."""
        return int(self._core.queue_offset("max", *queue))

    def earliest_msg_store_time(self, queue: MessageQueue) -> int:
        """The store time (epoch ms) of the oldest message in ``queue``."""
        return int(self._core.queue_offset("earliest_store_time", *queue))


class AsyncAdmin(_AdminBase):
    """The asyncio admin client: :class:`Admin`'s methods as coroutines."""

    def __init__(self, namesrv_addr: str | None = None, *, timeout_ms: int | None = None) -> None:
        self._core = _core(namesrv_addr, timeout_ms)

    async def __aenter__(self) -> AsyncAdmin:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def cluster_info(self) -> ClusterInfo:
        """See :meth:`Admin.cluster_info`."""
        return _cluster(await self._core.cluster_info(aio=True))

    async def broker_runtime_info(self, broker_addr: str) -> dict[str, str]:
        """See :meth:`Admin.broker_runtime_info`."""
        return dict(await self._core.broker_runtime_info(broker_addr, aio=True))

    async def topic_list(self) -> list[str]:
        """See :meth:`Admin.topic_list`."""
        return list(await self._core.topic_list(aio=True))

    async def topic_route(self, topic: str) -> TopicRoute:
        """See :meth:`Admin.topic_route`."""
        return _route(topic, await self._core.topic_route(topic, aio=True))

    async def create_topic(
        self,
        topic: str,
        *,
        cluster: str | None = None,
        broker_addr: str | None = None,
        queues: int = 8,
        read_queue_nums: int | None = None,
        write_queue_nums: int | None = None,
        perm: int = 6,
        order: bool = False,
    ) -> list[str]:
        """See :meth:`Admin.create_topic`."""
        c, b, r, w = _create_args(cluster, broker_addr, queues, read_queue_nums, write_queue_nums)
        return list(await self._core.create_topic(topic, c, b, r, w, perm, order, aio=True))

    async def delete_topic(self, topic: str, *, cluster: str | None = None) -> list[str]:
        """See :meth:`Admin.delete_topic`."""
        return list(await self._core.delete_topic(topic, cluster, aio=True))

    async def topic_stats(self, topic: str) -> list[TopicOffset]:
        """See :meth:`Admin.topic_stats`."""
        return _topic_stats(await self._core.topic_stats(topic, aio=True))

    async def topic_queues(self, topic: str) -> list[MessageQueue]:
        """See :meth:`Admin.topic_queues`."""
        return [_mq(q) for q in await self._core.topic_queues(topic, aio=True)]

    async def consume_stats(self, group: str, topic: str | None = None) -> ConsumeStats:
        """See :meth:`Admin.consume_stats`."""
        return _consume_stats(await self._core.consume_stats(group, topic, aio=True))

    async def consumer_connections(self, group: str) -> ConsumerConnections:
        """See :meth:`Admin.consumer_connections`."""
        return _connections(await self._core.consumer_connections(group, aio=True))

    async def consumer_running_info(
        self, group: str, client_id: str, *, jstack: bool = False
    ) -> ConsumerRunningInfo:
        """See :meth:`Admin.consumer_running_info`."""
        raw = await self._core.consumer_running_info(group, client_id, jstack, aio=True)
        return _running_info(raw)

    async def reset_offset_by_time(
        self, group: str, topic: str, timestamp_ms: int, *, force: bool = True
    ) -> ResetOffsetResult:
        """See :meth:`Admin.reset_offset_by_time`."""
        raw = await self._core.reset_offset_by_time(
            group, topic, int(timestamp_ms), force, aio=True
        )
        return _reset(raw)

    async def message_by_id(self, msg_id: str, topic: str | None = None) -> ReceivedMessage:
        """See :meth:`Admin.message_by_id`."""
        return await self._core.message_by_id(msg_id, topic, aio=True)

    async def messages_by_key(
        self, topic: str, key: str, *, max_num: int = 64
    ) -> list[ReceivedMessage]:
        """See :meth:`Admin.messages_by_key`."""
        return list(await self._core.messages_by_key(topic, key, max_num, aio=True))

    async def search_offset(self, queue: MessageQueue, timestamp_ms: int) -> int:
        """See :meth:`Admin.search_offset`."""
        return int(await self._core.search_offset(*queue, int(timestamp_ms), aio=True))

    async def min_offset(self, queue: MessageQueue) -> int:
        """See :meth:`Admin.min_offset`."""
        return int(await self._core.queue_offset("min", *queue, aio=True))

    async def max_offset(self, queue: MessageQueue) -> int:
        """See :meth:`Admin.max_offset`."""
        return int(await self._core.queue_offset("max", *queue, aio=True))

    async def earliest_msg_store_time(self, queue: MessageQueue) -> int:
        """See :meth:`Admin.earliest_msg_store_time`."""
        return int(await self._core.queue_offset("earliest_store_time", *queue, aio=True))
