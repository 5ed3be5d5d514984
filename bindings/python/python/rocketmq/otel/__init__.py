"""OpenTelemetry tracing and metrics for rocketmq-py (``pip install "rocketmq-py[otel]"``).

::

    from rocketmq.otel import RocketMQInstrumentor

    RocketMQInstrumentor().instrument()            # global tracer / meter providers
    RocketMQInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    ...
    RocketMQInstrumentor().uninstrument()

It follows the OpenTelemetry semantic conventions for messaging (``docs/messaging/`` of
open-telemetry/semantic-conventions: ``messaging-spans.md``, ``messaging-metrics.md``,
``rocketmq.md``):

* **Send spans** (kind ``PRODUCER``, name ``send <topic>``): one per send of
  :class:`rocketmq.client.Producer` (``send_sync``, ``send_async``, ``send_oneway``,
  ``send_orderly``, ``send_orderly_with_sharding_key``, ``request``,
  ``TransactionMQProducer.send_message_in_transaction``) and :class:`rocketmq.aio.Producer`
  (``send``, ``send_oneway``, ``send_orderly_with_sharding_key``, ``request``,
  ``TransactionProducer.send_message_in_transaction``); requests are named ``request <topic>``
  and transactional sends carry ``messaging.rocketmq.message.type`` = ``transaction``. The
  span's context is the message's *creation context*: it is written into the message's user
  properties with the global propagator (W3C ``traceparent`` / ``tracestate`` by default),
  unless the message already carries a ``traceparent`` (then that context is kept and the span
  links to it). ``send_batch`` makes one ``create <topic>`` span (``PRODUCER``) per message,
  injected into it, and one ``send <topic>`` span (``CLIENT``) linked to all of them.
* **Process spans** (``CONSUMER``, ``process <topic>``): one per message a push consumer's
  callback handles (:class:`rocketmq.client.PushConsumer` and :class:`rocketmq.aio.PushConsumer`,
  subscriptions made while instrumented), linked to the message's creation context. When no
  span is current (the usual case: callbacks run on the consumer's threads or tasks), the
  creation context is also the span's *parent*, so producer and consumer share one trace;
  ``instrument(use_creation_context_as_parent=False)`` keeps the link only. A redelivered
  message carries the same creation context (the broker keeps properties on retry), and its
  ``messaging.rocketmq.message.delivery_count`` says which delivery it is.
* **Receive spans** (``CLIENT``, ``receive <topic>``): one per ``LitePullConsumer.poll`` (blocking
  and asyncio) that returned messages, linked to each message's creation context. Polls that
  return nothing make no span (an idle poll loop would make one per timeout).
* **Metrics**: ``messaging.client.operation.duration`` (s; sends and receives),
  ``messaging.process.duration`` (s), ``messaging.client.sent.messages`` and
  ``messaging.client.consumed.messages`` (``{message}``). Failures carry ``error.type``: the
  exception class name (e.g. ``SendTimeoutError``), or ``RECONSUME_LATER`` for a callback that
  asked for redelivery; so "failed" is the same counter filtered on ``error.type``.

Zero cost when off: :meth:`RocketMQInstrumentor.instrument` replaces the methods listed above
on the classes and :meth:`~RocketMQInstrumentor.uninstrument` puts the originals back; without
it nothing of this module runs. Callbacks subscribed while instrumented call straight through
once uninstrumented.

Attributes: ``messaging.system`` = ``rocketmq``, ``messaging.operation.name`` /
``messaging.operation.type`` (``send``, ``create``, ``receive``, ``process``: the current
conventions' names; older ones said ``publish``), ``messaging.destination.name`` (topic),
``messaging.destination.partition.id`` (queue id), ``messaging.message.id``,
``messaging.rocketmq.message.tag`` / ``.keys`` / ``.type`` (``normal``, ``fifo``, ``delay``) /
``.group`` (sharding key) / ``.delay_time_level`` / ``.delivery_timestamp``,
``messaging.consumer.group.name`` (consumers), ``messaging.client.id``, ``server.address`` /
``server.port`` (the broker that stored the message), ``messaging.batch.message_count``
(batches and polls), ``error.type``. Two are ours, not the conventions': the producer group
``messaging.rocketmq.producer_group`` (the conventions deprecated ``client_group`` with no
replacement for producers) and ``messaging.rocketmq.message.delivery_count`` (reconsume
times + 1). Not set: ``messaging.rocketmq.namespace`` (rocketmq-py has no namespaces yet).
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any, Callable

try:
    from opentelemetry import metrics, trace
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "rocketmq.otel needs opentelemetry-api: pip install 'rocketmq-py[otel]'"
    ) from _missing

from .. import _pull, aio, client
from . import _wrappers
from ._telemetry import Telemetry
from ._wrappers import (
    _aio_batch,
    _aio_poll,
    _aio_send,
    _poll,
    _send_async,
    _subscribe,
    _sync_batch,
    _sync_send,
    _traced_aio_callback,
    _traced_callback,
)

__all__ = ["RocketMQInstrumentor"]

_logger = logging.getLogger("rocketmq")
_lock = threading.Lock()

#: (class, method, wrapper factory): everything instrument() replaces.
_PATCHES: list[tuple[type, str, Callable[[Callable[..., Any]], Callable[..., Any]]]] = [
    (client.Producer, "send_sync", _sync_send),
    (client.Producer, "send_oneway", _sync_send),
    (client.Producer, "send_orderly", functools.partial(_sync_send, message_type="fifo")),
    (
        client.Producer,
        "send_orderly_with_sharding_key",
        functools.partial(_sync_send, message_type="fifo"),
    ),
    (client.Producer, "send_batch", _sync_batch),
    (client.Producer, "send_async", _send_async),
    (client.Producer, "request", functools.partial(_sync_send, operation="request")),
    (
        client.TransactionMQProducer,
        "send_message_in_transaction",
        functools.partial(_sync_send, message_type="transaction"),
    ),
    (aio.Producer, "send", _aio_send),
    (aio.Producer, "send_oneway", _aio_send),
    (
        aio.Producer,
        "send_orderly_with_sharding_key",
        functools.partial(_aio_send, message_type="fifo"),
    ),
    (aio.Producer, "send_batch", _aio_batch),
    (aio.Producer, "request", functools.partial(_aio_send, operation="request")),
    (
        aio.TransactionProducer,
        "send_message_in_transaction",
        functools.partial(_aio_send, message_type="transaction"),
    ),
    (client.PushConsumer, "subscribe", lambda f: _subscribe(f, _traced_callback)),
    (client.PushConsumer, "subscribe_sql", lambda f: _subscribe(f, _traced_callback)),
    (aio.PushConsumer, "subscribe", lambda f: _subscribe(f, _traced_aio_callback)),
    (aio.PushConsumer, "subscribe_sql", lambda f: _subscribe(f, _traced_aio_callback)),
    (_pull.LitePullConsumer, "poll", _poll),
    (_pull.AsyncLitePullConsumer, "poll", _aio_poll),
]
_originals: dict[tuple[type, str], Any] = {}


class RocketMQInstrumentor:
    """Turns the instrumentation on and off (one per process, like the
    ``opentelemetry-instrumentation-*`` instrumentors: every instance is the same object)."""

    _instance: RocketMQInstrumentor | None = None

    def __new__(cls) -> RocketMQInstrumentor:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        return _wrappers._state is not None

    def instrumentation_dependencies(self) -> list[str]:
        return ["rocketmq-py"]

    def instrument(
        self,
        *,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
        use_creation_context_as_parent: bool = True,
        **_ignored: Any,
    ) -> None:
        """Patch the client classes. ``tracer_provider`` / ``meter_provider`` default to the
        global ones. A second call without :meth:`uninstrument` does nothing (logged)."""
        with _lock:
            if _wrappers._state is not None:
                _logger.warning("rocketmq.otel: already instrumented")
                return
            telemetry = Telemetry(tracer_provider, meter_provider, use_creation_context_as_parent)
            for cls, name, factory in _PATCHES:
                original = cls.__dict__[name]
                _originals[(cls, name)] = original
                setattr(cls, name, factory(original))
            _wrappers._state = telemetry

    def uninstrument(self, **_ignored: Any) -> None:
        """Put the original methods back. Callbacks subscribed while instrumented call straight
        through from now on."""
        with _lock:
            if _wrappers._state is None:
                return
            for (cls, name), original in _originals.items():
                setattr(cls, name, original)
            _originals.clear()
            _wrappers._state = None
