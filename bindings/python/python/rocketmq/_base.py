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
