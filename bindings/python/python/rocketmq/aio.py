"""asyncio API: the same producer as :mod:`rocketmq.client`, with awaitable methods.

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

from collections.abc import Iterable
from types import TracebackType

from ._base import CoreView
from ._rocketmq import Message, ProducerCore
from ._types import SendResult, SendStatus

__all__ = ["Message", "Producer", "SendResult", "SendStatus"]


class Producer(CoreView[ProducerCore]):
    """An asyncio producer.

    Keyword options (all optional except ``namesrv_addr`` unless ``NAMESRV_ADDR`` is set):

    * ``namesrv_addr`` -- ``"host:port;host2:port"``
    * ``instance_name`` -- instance name in the client id (default: unique per producer)
    * ``send_timeout_ms`` -- whole-send deadline, retries included (default 3000)
    * ``retry_times`` -- extra attempts of a failed send on another broker (default 2)
    * ``compress_level`` -- zlib level 0-9 (default 5)
    * ``compress_over`` -- bodies of at least this many bytes are compressed (default 4096)
    * ``max_message_size`` -- largest body accepted, bytes (default 4 MiB)

    Options are checked by :meth:`start` (``ProducerStartFailed``, also ``ValueError``).
    """

    def __init__(
        self,
        group: str,
        *,
        namesrv_addr: str | None = None,
        instance_name: str | None = None,
        send_timeout_ms: int | None = None,
        retry_times: int | None = None,
        compress_level: int | None = None,
        compress_over: int | None = None,
        max_message_size: int | None = None,
    ) -> None:
        core = ProducerCore(group)
        if namesrv_addr is not None:
            core.set_namesrv_addr(namesrv_addr)
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
        self._core = core

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
