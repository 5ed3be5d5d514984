"""What every client class shares, blocking (:mod:`rocketmq.client`) and asyncio
(:mod:`rocketmq.aio`): the native core it wraps, its group, client id and repr."""

from __future__ import annotations

from typing import Generic, TypeVar

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


#: Java ``MQClientInstance``: the name server list is looked up again every 2 minutes.
NAMESRV_REFRESH_MS = 120_000


class ClientSetters(CoreView[CoreT]):
    """Setters the blocking clients share (producer, push, lite-pull and pull consumers):
    name-server lookup and namespaces."""

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
