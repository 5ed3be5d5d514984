"""Drop-in replacement for ``rocketmq.client`` of rocketmq-client-python 2.x.

Existing code keeps working unchanged::

    from rocketmq.client import Producer, Message

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

Differences from 2.x, all fixes or restorations:

* ``with Producer(...) as p`` binds the producer (2.x bound None).
* Bodies are bytes end to end (2.x truncated them at the first NUL byte).
* ``send_async``, ``send_batch`` and ``send_orderly`` (queue selector) are back (removed in 2.0).
* ``send_orderly_with_sharding_key`` works whether or not ``orderly=True`` was given.
* Messages can be read back (``msg.topic``, ``msg.body``, ``msg.get_property(...)``).
* Errors raise classes that keep the 2.x names *and* subclass the natural builtin
  (``TimeoutError``, ``ConnectionError``, ``ValueError``, ``RuntimeError``); see
  :mod:`rocketmq.exceptions`.
* ``set_name_server_domain`` (HTTP name-server lookup) is not supported and raises
  :class:`~rocketmq.exceptions.UnsupportedFeatureError`; pass the addresses with
  ``set_name_server_address`` (or the ``NAMESRV_ADDR`` environment variable).

Every blocking call releases the GIL, so other Python threads run while it waits, and a
pending Ctrl-C interrupts it (``KeyboardInterrupt``) within about 50 ms.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Any, Callable

from ._rocketmq import Message, ProducerCore, select_by_hash
from ._types import SendResult, SendStatus
from .exceptions import ProducerSendAsyncFailed, UnsupportedFeatureError

__all__ = [
    "Message",
    "Producer",
    "SendResult",
    "SendStatus",
    "hashing_queue_selector",
]

#: ``queue_selector(mq_size, msg, arg) -> int``: the index of the queue to send to.
QueueSelector = Callable[[int, Message, Any], int]
SuccessCallback = Callable[[SendResult], Any]
ExceptionCallback = Callable[[ProducerSendAsyncFailed], Any]


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


class Producer:
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

    def __enter__(self) -> Producer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} group={self.group!r} client_id={self.client_id!r}>"

    # ---- settings (before start) --------------------------------------------------------------

    @property
    def group(self) -> str:
        """The producer group."""
        return self._core.group

    @property
    def client_id(self) -> str | None:
        """``ip@instance`` once started (unique per producer object), else None."""
        return self._core.client_id

    def set_group(self, group_name: str) -> None:
        self._core.set_group(group_name)

    def set_instance_name(self, name: str) -> None:
        """Instance name in the client id; by default each producer gets ``<pid>#<stamp>``."""
        self._core.set_instance_name(name)

    def set_name_server_address(self, addr: str) -> None:
        """Name servers as ``"host:port;host2:port"``. Without it, ``NAMESRV_ADDR`` is used."""
        self._core.set_namesrv_addr(addr)

    def set_namesrv_addr(self, addr: str) -> None:
        """0.x name of :meth:`set_name_server_address`."""
        self.set_name_server_address(addr)

    def set_name_server_domain(self, domain: str) -> None:
        """Not supported: rocketmq-py has no HTTP name-server address lookup.

        Raises :class:`~rocketmq.exceptions.UnsupportedFeatureError` (a ``NotImplementedError``)
        so a deployment relying on it fails at once rather than at the first send.
        """
        raise UnsupportedFeatureError(
            "set_name_server_domain (HTTP name-server lookup) is not supported by rocketmq-py; "
            "use set_name_server_address('host:port;host2:port') or the NAMESRV_ADDR variable"
        )

    def set_namesrv_domain(self, domain: str) -> None:
        """0.x name of :meth:`set_name_server_domain` (not supported)."""
        self.set_name_server_domain(domain)

    def set_session_credentials(self, access_key: str, access_secret: str, channel: str) -> None:
        """Store ACL credentials (``channel`` e.g. ``"ALIYUN"``).

        They are kept but not used yet: request signing arrives in a later release, so brokers
        that enforce ACL will refuse this producer's requests (``BrokerError``, code 16).
        """
        self._core.set_session_credentials(access_key, access_secret, channel)

    def set_timeout(self, timeout: int) -> None:
        """Send timeout in ms, retries included (default 3000)."""
        self._core.set_send_timeout_ms(int(timeout))

    def set_compress_level(self, level: int) -> None:
        """zlib level 0-9 for bodies of 4 KiB or more (default 5)."""
        self._core.set_compress_level(int(level))

    def set_max_message_size(self, max_size: int) -> None:
        """Largest body accepted, in bytes (default 4 MiB); larger ones raise ``ValueError``."""
        self._core.set_max_message_size(int(max_size))

    def set_message_trace(self, message_trace: bool) -> None:
        """Message trace (2.x master): only ``False`` is supported in this release."""
        if message_trace:
            raise UnsupportedFeatureError("message trace is not supported yet")

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
