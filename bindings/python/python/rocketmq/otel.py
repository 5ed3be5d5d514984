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
  ``send_orderly``, ``send_orderly_with_sharding_key``) and :class:`rocketmq.aio.Producer`
  (``send``, ``send_oneway``, ``send_orderly_with_sharding_key``). The span's context is the
  message's *creation context*: it is written into the message's user properties with the
  global propagator (W3C ``traceparent`` / ``tracestate`` by default), unless the message
  already carries a ``traceparent`` (then that context is kept and the span links to it).
  ``send_batch`` makes one ``create <topic>`` span (``PRODUCER``) per message, injected into
  it, and one ``send <topic>`` span (``CLIENT``) linked to all of them.
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
``messaging.consumer.group.name`` (consumers), ``messaging.rocketmq.client_group`` (producers),
``messaging.client.id``, ``server.address`` / ``server.port`` (the broker that stored the
message), ``messaging.batch.message_count`` (batches and polls), ``error.type``. Not set:
``messaging.rocketmq.namespace`` (rocketmq-py has no namespaces yet).
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from typing import Any, Callable

try:
    from opentelemetry import context as otel_context
    from opentelemetry import metrics, propagate, trace
    from opentelemetry.propagators.textmap import Getter, Setter
    from opentelemetry.trace import Link, SpanKind, Status, StatusCode
except ImportError as _missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "rocketmq.otel needs opentelemetry-api: pip install 'rocketmq-py[otel]'"
    ) from _missing

from . import _pull, aio, client
from ._rocketmq import Message, ReceivedMessage
from ._rocketmq import __version__ as _version

__all__ = ["RocketMQInstrumentor"]

_logger = logging.getLogger("rocketmq")

#: The semantic-conventions version the attribute names follow.
SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
#: Bucket boundaries the conventions advise for the duration histograms (seconds).
_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
_TRACEPARENT = "traceparent"
_Attributes = dict[str, Any]


# ---- carriers ---------------------------------------------------------------------------------


class _PropertyGetter(Getter[Any]):
    """Reads propagation fields from a received message's properties (bytes values)."""

    def get(self, carrier: Any, key: str) -> list[str] | None:
        value = carrier.get_property(key)
        if value is None:
            return None
        return [value.decode("utf-8", "replace") if isinstance(value, bytes) else value]

    def keys(self, carrier: Any) -> list[str]:
        return list(carrier.properties)


class _PropertySetter(Setter[Message]):
    def set(self, carrier: Message, key: str, value: str) -> None:
        if key and value:
            carrier.set_property(key, value)


_GETTER = _PropertyGetter()
_SETTER = _PropertySetter()


# ---- attributes -------------------------------------------------------------------------------


def _split_addr(addr: str) -> tuple[str, int] | None:
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _store_host(offset_msg_id: str) -> tuple[str, int] | None:
    """The broker address inside an offset message id (Java ``MessageDecoder.decodeMessageId``:
    IPv4 4 + port 4 + offset 8 bytes, IPv6 16 + 4 + 8, hex)."""
    try:
        raw = bytes.fromhex(offset_msg_id)
    except ValueError:
        return None
    if len(raw) == 16:
        ip = ".".join(str(b) for b in raw[:4])
        return ip, int.from_bytes(raw[4:8], "big")
    if len(raw) == 28:
        words = (raw[i : i + 2].hex() for i in range(0, 16, 2))
        return ":".join(words), int.from_bytes(raw[16:20], "big")
    return None


def _message_attributes(msg: Message, attrs: _Attributes) -> None:
    tags = msg.tags
    if tags:
        attrs["messaging.rocketmq.message.tag"] = tags
    keys = msg.keys
    if keys:
        attrs["messaging.rocketmq.message.keys"] = keys.split()
    level = msg.delay_time_level
    delivery = msg.delivery_time_ms
    if level > 0:
        attrs["messaging.rocketmq.message.type"] = "delay"
        attrs["messaging.rocketmq.message.delay_time_level"] = level
    elif delivery is not None:
        attrs["messaging.rocketmq.message.type"] = "delay"
        attrs["messaging.rocketmq.message.delivery_timestamp"] = delivery
    else:
        attrs.setdefault("messaging.rocketmq.message.type", "normal")


def _received_attributes(msg: ReceivedMessage, attrs: _Attributes) -> None:
    attrs["messaging.message.id"] = msg.id
    attrs["messaging.destination.partition.id"] = str(msg.queue_id)
    tags = msg.tags
    if tags:
        attrs["messaging.rocketmq.message.tag"] = tags.decode("utf-8", "replace")
    keys = msg.keys
    if keys:
        attrs["messaging.rocketmq.message.keys"] = keys.decode("utf-8", "replace").split()
    attrs["messaging.rocketmq.message.delivery_count"] = msg.reconsume_times + 1
    host = _split_addr(msg.store_host)
    if host is not None:
        attrs["server.address"], attrs["server.port"] = host


def _error_type(exc: BaseException) -> str:
    return type(exc).__qualname__


def _succeeded(verdict: Any) -> bool:
    """The consumers' rule: None or CONSUME_SUCCESS (0) is done, anything else redelivers."""
    return verdict is None or (type(verdict) is not bool and verdict == 0)


# ---- the telemetry of one instrument() call ---------------------------------------------------


class _Telemetry:
    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None,
        meter_provider: metrics.MeterProvider | None,
        use_creation_context_as_parent: bool,
    ) -> None:
        self.tracer = trace.get_tracer(
            __name__, _version, tracer_provider=tracer_provider, schema_url=SCHEMA_URL
        )
        meter = metrics.get_meter(
            __name__, _version, meter_provider=meter_provider, schema_url=SCHEMA_URL
        )
        self.operation_duration = meter.create_histogram(
            "messaging.client.operation.duration",
            unit="s",
            description="Duration of messaging operation initiated by a producer or consumer "
            "client.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.process_duration = meter.create_histogram(
            "messaging.process.duration",
            unit="s",
            description="Duration of processing operation.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.sent = meter.create_counter(
            "messaging.client.sent.messages",
            unit="{message}",
            description="Number of messages producer attempted to send to the broker.",
        )
        self.consumed = meter.create_counter(
            "messaging.client.consumed.messages",
            unit="{message}",
            description="Number of messages that were delivered to the application.",
        )
        self.creation_parent = use_creation_context_as_parent

    # ---- producer side ----

    def start_send(
        self,
        producer: Any,
        messages: Sequence[Message],
        *,
        fifo: bool = False,
        fifo_group: str | None = None,
    ) -> _Send:
        """Start the send span (and, for a batch, one create span per message) and inject the
        creation context into each message that has none."""
        topic = messages[0].topic if messages else ""
        attrs: _Attributes = {
            "messaging.system": "rocketmq",
            "messaging.operation.name": "send",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.rocketmq.client_group": producer.group,
        }
        client_id = producer.client_id
        if client_id:
            attrs["messaging.client.id"] = client_id
        batch = len(messages) != 1
        links: list[Link] = []
        if batch:
            attrs["messaging.batch.message_count"] = len(messages)
            for msg in messages:
                links.append(self._create(msg, attrs))
            span = self.tracer.start_span(
                f"send {topic}", kind=SpanKind.CLIENT, attributes=attrs, links=links
            )
        else:
            msg = messages[0]
            if fifo:
                attrs["messaging.rocketmq.message.type"] = "fifo"
                if fifo_group is not None:
                    attrs["messaging.rocketmq.message.group"] = fifo_group
            _message_attributes(msg, attrs)
            custom = self._custom_context(msg)
            if custom is not None:
                links.append(Link(custom))
            span = self.tracer.start_span(
                f"send {topic}", kind=SpanKind.PRODUCER, attributes=attrs, links=links
            )
            if custom is None:
                propagate.inject(msg, trace.set_span_in_context(span), setter=_SETTER)
        metric_attrs = {
            "messaging.system": "rocketmq",
            "messaging.operation.name": "send",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
        }
        return _Send(self, span, metric_attrs, len(messages))

    def _custom_context(self, msg: Message) -> trace.SpanContext | None:
        """A creation context the caller put into the message already (kept unchanged)."""
        if msg.get_property(_TRACEPARENT) is None:
            return None
        ctx = propagate.extract(msg, getter=_GETTER_OUT)
        span_context = trace.get_current_span(ctx).get_span_context()
        return span_context if span_context.is_valid else None

    def _create(self, msg: Message, send_attrs: _Attributes) -> Link:
        """A create span for one message of a batch; its context is the creation context."""
        custom = self._custom_context(msg)
        if custom is not None:
            return Link(custom)
        attrs: _Attributes = {
            "messaging.system": "rocketmq",
            "messaging.operation.name": "create",
            "messaging.operation.type": "create",
            "messaging.destination.name": msg.topic,
        }
        _message_attributes(msg, attrs)
        span = self.tracer.start_span(
            f"create {msg.topic}", kind=SpanKind.PRODUCER, attributes=attrs
        )
        propagate.inject(msg, trace.set_span_in_context(span), setter=_SETTER)
        span.end()
        return Link(span.get_span_context())

    # ---- consumer side ----

    def process(self, consumer: Any, msg: ReceivedMessage) -> tuple[trace.Span, object, float]:
        """Start the process span of one delivery and make it current; returns what
        :meth:`end_process` needs."""
        creation = propagate.extract(msg, getter=_GETTER)
        creation_span = trace.get_current_span(creation).get_span_context()
        links = [Link(creation_span)] if creation_span.is_valid else []
        parent = None
        if self.creation_parent and creation_span.is_valid:
            ambient = trace.get_current_span().get_span_context()
            if ambient.is_valid:
                links.append(Link(ambient))  # parent stays the ambient span (the default)
            else:
                parent = creation
        attrs = self._consumer_attributes(consumer, "process", msg.topic)
        _received_attributes(msg, attrs)
        span = self.tracer.start_span(
            f"process {msg.topic}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=attrs,
            links=links,
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        return span, token, time.perf_counter()

    def end_process(
        self,
        consumer: Any,
        msg: ReceivedMessage,
        started: tuple[trace.Span, object, float],
        verdict: Any = None,
        exc: BaseException | None = None,
    ) -> None:
        span, token, begin = started
        elapsed = time.perf_counter() - begin
        error = None
        if exc is not None:
            error = _error_type(exc)
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{error}: {exc}"))
        elif not _succeeded(verdict):
            error = "RECONSUME_LATER"
            span.set_status(Status(StatusCode.ERROR, f"callback answered {verdict!r}"))
        if error is not None:
            span.set_attribute("error.type", error)
        span.end()
        otel_context.detach(token)  # type: ignore[arg-type]
        attrs = {
            "messaging.system": "rocketmq",
            "messaging.operation.name": "process",
            "messaging.operation.type": "process",
            "messaging.destination.name": msg.topic,
            "messaging.consumer.group.name": consumer.group,
        }
        if error is not None:
            attrs["error.type"] = error
        self.process_duration.record(elapsed, attrs)
        self.consumed.add(1, attrs)

    def received(
        self,
        consumer: Any,
        start_ns: int,
        elapsed: float,
        msgs: list[ReceivedMessage] | None,
        exc: BaseException | None = None,
    ) -> None:
        """The receive span of one poll (made after it returned, with its start time)."""
        if exc is None and not msgs:
            return
        msgs = msgs or []
        topics = {m.topic for m in msgs}
        topic = topics.pop() if len(topics) == 1 else None
        attrs = self._consumer_attributes(consumer, "receive", topic)
        attrs["messaging.batch.message_count"] = len(msgs)
        links = []
        for msg in msgs:
            ctx = trace.get_current_span(propagate.extract(msg, getter=_GETTER)).get_span_context()
            if ctx.is_valid:
                links.append(Link(ctx, {"messaging.message.id": msg.id}))
        span = self.tracer.start_span(
            f"receive {topic}" if topic else "receive",
            kind=SpanKind.CLIENT,
            attributes=attrs,
            links=links,
            start_time=start_ns,
        )
        metric_attrs = {
            "messaging.system": "rocketmq",
            "messaging.operation.name": "receive",
            "messaging.operation.type": "receive",
            "messaging.consumer.group.name": consumer.group,
        }
        if topic:
            metric_attrs["messaging.destination.name"] = topic
        if exc is not None:
            error = _error_type(exc)
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{error}: {exc}"))
            span.set_attribute("error.type", error)
            metric_attrs["error.type"] = error
        span.end(start_ns + int(elapsed * 1e9))
        self.operation_duration.record(elapsed, metric_attrs)
        if msgs:
            self.consumed.add(len(msgs), metric_attrs)

    def _consumer_attributes(self, consumer: Any, operation: str, topic: str | None) -> _Attributes:
        attrs: _Attributes = {
            "messaging.system": "rocketmq",
            "messaging.operation.name": operation,
            "messaging.operation.type": operation,
            "messaging.consumer.group.name": consumer.group,
        }
        if topic:
            attrs["messaging.destination.name"] = topic
        client_id = consumer.client_id
        if client_id:
            attrs["messaging.client.id"] = client_id
        return attrs


class _OutgoingGetter(Getter[Message]):
    """Reads a creation context the caller put into an outgoing message."""

    def get(self, carrier: Message, key: str) -> list[str] | None:
        value = carrier.get_property(key)
        return None if value is None else [value]

    def keys(self, carrier: Message) -> list[str]:
        return list(carrier.properties)


_GETTER_OUT = _OutgoingGetter()


class _Send:
    """One send span (not made current: async sends end it on another thread)."""

    __slots__ = ("_attrs", "_begin", "_count", "_tel", "span")

    def __init__(self, tel: _Telemetry, span: trace.Span, attrs: _Attributes, count: int) -> None:
        self._tel = tel
        self.span = span
        self._attrs = attrs
        self._count = count
        self._begin = time.perf_counter()

    def ok(self, result: Any) -> None:
        if result is not None:
            attrs: _Attributes = {
                "messaging.message.id": result.msg_id,
                "messaging.destination.partition.id": str(result.queue_id),
            }
            host = _store_host(result.offset_msg_id.split(",")[0])
            if host is not None:
                attrs["server.address"], attrs["server.port"] = host
            self.span.set_attributes(attrs)
        self._finish(None)

    def fail(self, exc: BaseException) -> None:
        error = _error_type(exc)
        self.span.record_exception(exc)
        self.span.set_status(Status(StatusCode.ERROR, f"{error}: {exc}"))
        self.span.set_attribute("error.type", error)
        self._finish(error)

    def _finish(self, error: str | None) -> None:
        elapsed = time.perf_counter() - self._begin
        self.span.end()
        attrs = self._attrs
        if error is not None:
            attrs = {**attrs, "error.type": error}
        self._tel.operation_duration.record(elapsed, attrs)
        self._tel.sent.add(self._count, attrs)


# ---- the patches --------------------------------------------------------------------------------

_state: _Telemetry | None = None
_lock = threading.Lock()


def _sync_send(original: Callable[..., Any], fifo: bool = False) -> Callable[..., Any]:
    @functools.wraps(original)
    def send(producer: Any, msg: Message, *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return original(producer, msg, *args, **kwargs)
        group = args[0] if fifo and args and isinstance(args[0], str) else None
        record = tel.start_send(producer, [msg], fifo=fifo, fifo_group=group)
        with trace.use_span(record.span, end_on_exit=False):
            try:
                result = original(producer, msg, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
        record.ok(result)
        return result

    return send


def _sync_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def send_batch(producer: Any, msgs: Iterable[Message], *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return original(producer, msgs, *args, **kwargs)
        msgs = list(msgs)
        record = tel.start_send(producer, msgs)
        with trace.use_span(record.span, end_on_exit=False):
            try:
                result = original(producer, msgs, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
        record.ok(result)
        return result

    return send_batch


def _send_async(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def send_async(
        producer: Any,
        msg: Message,
        success_callback: Callable[[Any], Any] | None,
        exception_callback: Callable[[Any], Any] | None,
    ) -> None:
        tel = _state
        if tel is None:
            return original(producer, msg, success_callback, exception_callback)  # type: ignore[no-any-return]
        record = tel.start_send(producer, [msg])

        def on_success(result: Any) -> Any:
            record.ok(result)
            if success_callback is not None:
                with trace.use_span(record.span, end_on_exit=False):
                    return success_callback(result)
            return None

        def on_exception(exc: Any) -> Any:
            record.fail(exc)
            if exception_callback is not None:
                with trace.use_span(record.span, end_on_exit=False):
                    return exception_callback(exc)
            return None

        try:
            original(producer, msg, on_success, on_exception)
        except BaseException as exc:
            record.fail(exc)
            raise
        return None

    return send_async


def _aio_send(original: Callable[..., Any], fifo: bool = False) -> Callable[..., Any]:
    @functools.wraps(original)
    async def send(producer: Any, msg: Message, *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return await original(producer, msg, *args, **kwargs)
        group = args[0] if fifo and args and isinstance(args[0], str) else None
        record = tel.start_send(producer, [msg], fifo=fifo, fifo_group=group)
        with trace.use_span(record.span, end_on_exit=False):
            try:
                result = await original(producer, msg, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
        record.ok(result)
        return result

    return send


def _aio_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def send_batch(producer: Any, msgs: Iterable[Message], *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return await original(producer, msgs, *args, **kwargs)
        msgs = list(msgs)
        record = tel.start_send(producer, msgs)
        with trace.use_span(record.span, end_on_exit=False):
            try:
                result = await original(producer, msgs, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
        record.ok(result)
        return result

    return send_batch


class _ConsumerView:
    """The group and client id of a consumer, read through a weak reference: a strong one from
    the callback (which the native consumer holds) would make a reference cycle, and a consumer
    dropped without shutdown() would then wait for the garbage collector."""

    __slots__ = ("_group", "_ref")

    def __init__(self, consumer: Any) -> None:
        self._ref = weakref.ref(consumer)
        self._group: str = consumer.group

    @property
    def group(self) -> str:
        consumer = self._ref()
        if consumer is not None:
            self._group = consumer.group
        return self._group

    @property
    def client_id(self) -> str | None:
        consumer = self._ref()
        return None if consumer is None else consumer.client_id


def _traced_callback(owner: Any, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A push callback that makes a process span per message while instrumented."""
    consumer = _ConsumerView(owner)

    def process(msg: ReceivedMessage) -> Any:
        tel = _state
        if tel is None:
            return callback(msg)
        started = tel.process(consumer, msg)
        try:
            verdict = callback(msg)
        except BaseException as exc:
            tel.end_process(consumer, msg, started, exc=exc)
            raise
        tel.end_process(consumer, msg, started, verdict)
        return verdict

    return process


def _traced_aio_callback(owner: Any, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The asyncio twin: awaits what the callback returns when it is awaitable."""
    consumer = _ConsumerView(owner)

    async def process(msg: ReceivedMessage) -> Any:
        tel = _state
        if tel is None:
            verdict = callback(msg)
            return (await verdict) if inspect.isawaitable(verdict) else verdict
        started = tel.process(consumer, msg)
        try:
            verdict = callback(msg)
            if inspect.isawaitable(verdict):
                verdict = await verdict
        except BaseException as exc:
            tel.end_process(consumer, msg, started, exc=exc)
            raise
        tel.end_process(consumer, msg, started, verdict)
        return verdict

    return process


def _subscribe(
    original: Callable[..., Any], wrap: Callable[[Any, Callable[[Any], Any]], Callable[[Any], Any]]
) -> Callable[..., Any]:
    @functools.wraps(original)
    def subscribe(consumer: Any, topic: str, callback: Any, *args: Any, **kwargs: Any) -> Any:
        return original(consumer, topic, wrap(consumer, callback), *args, **kwargs)

    return subscribe


def _poll(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def poll(consumer: Any, *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return original(consumer, *args, **kwargs)
        start_ns, begin = time.time_ns(), time.perf_counter()
        try:
            msgs = original(consumer, *args, **kwargs)
        except Exception as exc:
            tel.received(consumer, start_ns, time.perf_counter() - begin, None, exc)
            raise
        tel.received(consumer, start_ns, time.perf_counter() - begin, msgs)
        return msgs

    return poll


def _aio_poll(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def poll(consumer: Any, *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return await original(consumer, *args, **kwargs)
        start_ns, begin = time.time_ns(), time.perf_counter()
        try:
            msgs = await original(consumer, *args, **kwargs)
        except Exception as exc:
            tel.received(consumer, start_ns, time.perf_counter() - begin, None, exc)
            raise
        tel.received(consumer, start_ns, time.perf_counter() - begin, msgs)
        return msgs

    return poll


#: (class, method, wrapper factory): everything instrument() replaces.
_PATCHES: list[tuple[type, str, Callable[[Callable[..., Any]], Callable[..., Any]]]] = [
    (client.Producer, "send_sync", _sync_send),
    (client.Producer, "send_oneway", _sync_send),
    (client.Producer, "send_orderly", functools.partial(_sync_send, fifo=True)),
    (client.Producer, "send_orderly_with_sharding_key", functools.partial(_sync_send, fifo=True)),
    (client.Producer, "send_batch", _sync_batch),
    (client.Producer, "send_async", _send_async),
    (aio.Producer, "send", _aio_send),
    (aio.Producer, "send_oneway", _aio_send),
    (aio.Producer, "send_orderly_with_sharding_key", functools.partial(_aio_send, fifo=True)),
    (aio.Producer, "send_batch", _aio_batch),
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
        return _state is not None

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
        global _state
        with _lock:
            if _state is not None:
                _logger.warning("rocketmq.otel: already instrumented")
                return
            telemetry = _Telemetry(tracer_provider, meter_provider, use_creation_context_as_parent)
            for cls, name, factory in _PATCHES:
                original = cls.__dict__[name]
                _originals[(cls, name)] = original
                setattr(cls, name, factory(original))
            _state = telemetry

    def uninstrument(self, **_ignored: Any) -> None:
        """Put the original methods back. Callbacks subscribed while instrumented call straight
        through from now on."""
        global _state
        with _lock:
            if _state is None:
                return
            for (cls, name), original in _originals.items():
                setattr(cls, name, original)
            _originals.clear()
            _state = None
