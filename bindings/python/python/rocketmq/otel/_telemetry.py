"""What one ``instrument()`` call records: the tracer and the instruments, send spans (with
the creation context injected into the messages), process and receive spans, and the metrics.

Follows the OpenTelemetry semantic conventions for messaging (open-telemetry/
semantic-conventions ``docs/messaging/messaging-spans.md``, ``messaging-metrics.md``,
``rocketmq.md``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from .._rocketmq import Message, ReceivedMessage
from .._rocketmq import __version__ as _version
from ._carriers import (
    _GETTER,
    _GETTER_OUT,
    _SETTER,
    TRACEPARENT,
    Attributes,
    _error_type,
    _message_attributes,
    _received_attributes,
    _store_host,
    _succeeded,
)

#: The semantic-conventions version the attribute names follow.
SCHEMA_URL = "https://opentelemetry.io/schemas/1.44.0"
#: Bucket boundaries the conventions advise for the duration histograms (seconds).
_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]


class Telemetry:
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
        message_type: str | None = None,
        fifo_group: str | None = None,
        operation: str = "send",
    ) -> Send:
        """Start the send span (and, for a batch, one create span per message) and inject the
        creation context into each message that has none."""
        topic = messages[0].topic if messages else ""
        attrs: Attributes = {
            "messaging.system": "rocketmq",
            "messaging.operation.name": operation,
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.rocketmq.producer_group": producer.group,
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
            if message_type is not None:
                attrs["messaging.rocketmq.message.type"] = message_type
            if fifo_group is not None:
                attrs["messaging.rocketmq.message.group"] = fifo_group
            _message_attributes(msg, attrs)
            custom = self._custom_context(msg)
            if custom is not None:
                links.append(Link(custom))
            span = self.tracer.start_span(
                f"{operation} {topic}", kind=SpanKind.PRODUCER, attributes=attrs, links=links
            )
            if custom is None:
                propagate.inject(msg, trace.set_span_in_context(span), setter=_SETTER)
        metric_attrs = {
            "messaging.system": "rocketmq",
            "messaging.operation.name": operation,
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
        }
        return Send(self, span, metric_attrs, len(messages))

    def _custom_context(self, msg: Message) -> trace.SpanContext | None:
        """A creation context the caller put into the message already (kept unchanged)."""
        if msg.get_property(TRACEPARENT) is None:
            return None
        ctx = propagate.extract(msg, getter=_GETTER_OUT)
        span_context = trace.get_current_span(ctx).get_span_context()
        return span_context if span_context.is_valid else None

    def _create(self, msg: Message, send_attrs: Attributes) -> Link:
        """A create span for one message of a batch; its context is the creation context."""
        custom = self._custom_context(msg)
        if custom is not None:
            return Link(custom)
        attrs: Attributes = {
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

    def _consumer_attributes(self, consumer: Any, operation: str, topic: str | None) -> Attributes:
        attrs: Attributes = {
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


class Send:
    """One send span (not made current: async sends end it on another thread)."""

    __slots__ = ("_attrs", "_begin", "_count", "_tel", "span")

    def __init__(self, tel: Telemetry, span: trace.Span, attrs: Attributes, count: int) -> None:
        self._tel = tel
        self.span = span
        self._attrs = attrs
        self._count = count
        self._begin = time.perf_counter()

    def ok(self, result: Any) -> None:
        if result is not None:
            attrs: Attributes = {
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
