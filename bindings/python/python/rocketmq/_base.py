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


#: Java ``MQClientInstance``: the name server list is looked up again every 2 minutes.
NAMESRV_REFRESH_MS = 120_000


class ClientSetters(CoreView[CoreT]):
    """Setters the blocking clients share (producer, push, lite-pull and pull consumers):
    name-server lookup, namespaces and TLS."""

    def set_tls(
        self,
        enabled: bool = True,
        *,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        server_name: str | None = None,
        test_mode: bool = False,
    ) -> None:
        """TLS for every connection (Java ``useTLS`` and ``tls.client.*``; rustls, no OpenSSL).

        Trust: the system store, or ``ca_file`` (PEM). ``cert_file`` + ``key_file`` (PEM): a
        client certificate for mutual TLS. ``server_name``: the name the server certificate must
        carry (default: the host dialled). ``test_mode``: verify nothing (Java
        ``tls.test.mode.enable``; logged as a warning; never in production). Files are read by
        ``start()``, which raises an ``InvalidConfigError`` for a missing or bad one.
        """
        self._core.set_tls(enabled, ca_file, cert_file, key_file, server_name, test_mode)

    def set_name_server_domain(
        self, domain: str, *, refresh_interval_ms: int = NAMESRV_REFRESH_MS
    ) -> None:
        """Look the name server list up over HTTP (Java ``TopAddressing``) when no address is
        set: ``domain`` is a host (``http://<host>:8080/rocketmq/nsaddr``, Java's
        ``rocketmq.namesrv.domain``), ``host:port`` (``http://host:port/rocketmq/nsaddr``) or a
        whole ``http://`` URL (the 2.x C++ form). The answer, ``"host:port;host2:port"``, is
        fetched again every ``refresh_interval_ms`` (2 minutes, as Java); a failed lookup keeps
        the last good list. An explicit :meth:`set_name_server_address` wins over it.
        """
        self._core.set_namesrv_domain(domain, int(refresh_interval_ms))

    def set_namesrv_domain(self, domain: str) -> None:
        """0.x name of :meth:`set_name_server_domain`."""
        self.set_name_server_domain(domain)

    def set_namespace(self, namespace: str) -> None:
        """Namespace (Java ``ClientConfig.namespace``): topics and groups are ``namespace%name``
        on the broker (retry / DLQ topics ``%RETRY%namespace%group``), and the bare names again in
        what you receive. Clients of different namespaces never see each other's messages."""
        self._core.set_namespace(namespace, False)

    def set_namespace_v2(self, namespace: str) -> None:
        """Java 5.x ``namespaceV2``: names stay as they are; every request carries
        ``ns=<namespace>`` and ``nsd=true`` for a 5.x proxy or broker that maps them."""
        self._core.set_namespace(namespace, True)
