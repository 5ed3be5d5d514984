"""What every client class shares, blocking (:mod:`rocketmq.client`) and asyncio
(:mod:`rocketmq.aio`): the native core it wraps, its group, client id and repr."""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

from ._rocketmq import LitePullConsumerCore, ProducerCore, PullConsumerCore, PushConsumerCore

CoreT = TypeVar("CoreT", ProducerCore, PushConsumerCore, LitePullConsumerCore, PullConsumerCore)


class CoreView(Generic[CoreT]):
    """``_core`` is the native core (``ProducerCore``, ``PushConsumerCore``, ...)."""

    _core: CoreT

    def __repr__(self) -> str:
        name = type(self).__name__
        if type(self).__module__ == "rocketmq.aio":
            name = f"rocketmq.aio.{name}"
        return f"<{name} group={self.group!r} client_id={self.client_id!r}>"

    @property
    def group(self) -> str:
        """The producer or consumer group."""
        return self._core.group

    @property
    def client_id(self) -> str | None:
        """``ip@instance`` once started (unique per object unless an instance name is shared),
        else None."""
        return self._core.client_id


StatsCoreT = TypeVar("StatsCoreT", ProducerCore, PushConsumerCore, LitePullConsumerCore)

#: ``callback(stats)``: called with :meth:`StatsView.stats` every interval.
StatsCallback = Callable[[dict[str, Any]], Any]


class StatsView(CoreView[StatsCoreT]):
    """Statistics of producers, push and lite-pull consumers (blocking and asyncio alike)."""

    def stats(self) -> dict[str, Any]:
        """Counters and latencies as a plain dict, cheap to call (atomics in the core; empty
        before start). Producers: ``sends_ok``, ``sends_failed``, ``sends_failed_by_kind``,
        ``in_flight``, ``send_latency`` (``count``, ``avg_ms``, ``p50_ms``, ``p90_ms``,
        ``p99_ms``, ``p999_ms``, ``max_ms``). Consumers: ``pulls``, ``pulled_msgs``,
        ``consumed_ok``, ``consumed_failed``, ``consume_tps`` (since the previous call),
        ``pull_latency``, ``consume_latency``, ``rebalance``, ``queues`` (per queue: cached
        messages and bytes, committed offset, lag). All: ``group``, ``client_id``,
        ``connections`` (``live``, ``connects``, ``reconnects``, ``connect_failures``) and
        ``trace`` when message trace is on. See docs/stats.md.
        """
        return self._core.stats()

    def set_stats_callback(self, callback: StatsCallback, interval_s: float) -> None:
        """Call ``callback(self.stats())`` every ``interval_s`` seconds while the client runs
        (confluent-kafka's ``stats_cb``), on the ``rocketmq-callbacks`` thread with the GIL
        held (asyncio clients too: not on the event loop). An exception it raises is logged and
        ignored. May be set before or after :meth:`start`; a later call replaces it."""
        self._core.set_stats_callback(callback, float(interval_s))
