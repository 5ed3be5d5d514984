"""rocketmq.otel without a broker: how a process span is placed (parent, links) and what a
callback's verdict records, using a stand-in for a received message."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from rocketmq.client import ConsumeStatus
from rocketmq.otel import RocketMQInstrumentor, _carriers, _wrappers

PRODUCER_TRACE = 0x0AF7651916CD43DD8448EB211C80319C
PRODUCER_SPAN = 0xB7AD6B7169203331
TRACEPARENT = f"00-{PRODUCER_TRACE:032x}-{PRODUCER_SPAN:016x}-01"


class FakeReceived:
    """What the instrumentation reads from a ReceivedMessage."""

    topic = "T1"
    id = "AC11000100002A9F0000000000000001"
    queue_id = 2
    tags = b"TagA"
    keys = b"k1 k2"
    reconsume_times = 2
    store_host = "127.0.0.1:10911"

    def __init__(self, traceparent: str | None) -> None:
        self.properties = {"traceparent": traceparent} if traceparent else {}

    def get_property(self, key: str) -> bytes | None:
        value = self.properties.get(key)
        return None if value is None else value.encode()


class FakeConsumer:
    group = "cg1"
    client_id = "127.0.0.1@1#1"


@pytest.fixture
def spans() -> Iterator[tuple[InMemorySpanExporter, TracerProvider]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter, provider
    RocketMQInstrumentor().uninstrument()


def run(callback: Any, msg: FakeReceived) -> Any:
    return _wrappers._traced_callback(FakeConsumer(), callback)(msg)


def test_creation_context_is_parent_and_link(spans: Any) -> None:
    exporter, provider = spans
    RocketMQInstrumentor().instrument(tracer_provider=provider)
    assert run(lambda m: None, FakeReceived(TRACEPARENT)) is None
    (span,) = exporter.get_finished_spans()
    assert span.context.trace_id == PRODUCER_TRACE
    assert span.parent is not None
    assert span.parent.span_id == PRODUCER_SPAN
    assert [link.context.span_id for link in span.links] == [PRODUCER_SPAN]
    attrs = dict(span.attributes or {})
    assert attrs["messaging.rocketmq.message.delivery_count"] == 3
    assert attrs["messaging.rocketmq.message.keys"] == ("k1", "k2")
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == 10911
    assert attrs["messaging.destination.partition.id"] == "2"


def test_an_ambient_span_stays_the_parent(spans: Any) -> None:
    exporter, provider = spans
    RocketMQInstrumentor().instrument(tracer_provider=provider)
    with provider.get_tracer("test").start_as_current_span("http request") as ambient:
        run(lambda m: None, FakeReceived(TRACEPARENT))
    process = next(s for s in exporter.get_finished_spans() if s.name == "process T1")
    assert process.parent is not None
    assert process.parent.span_id == ambient.get_span_context().span_id
    assert [link.context.span_id for link in process.links] == [
        PRODUCER_SPAN,
        ambient.get_span_context().span_id,
    ]


def test_links_only_when_asked(spans: Any) -> None:
    exporter, provider = spans
    RocketMQInstrumentor().instrument(
        tracer_provider=provider, use_creation_context_as_parent=False
    )
    run(lambda m: None, FakeReceived(TRACEPARENT))
    (span,) = exporter.get_finished_spans()
    assert span.parent is None
    assert span.context.trace_id != PRODUCER_TRACE
    assert [link.context.span_id for link in span.links] == [PRODUCER_SPAN]


def test_verdicts(spans: Any) -> None:
    exporter, provider = spans
    RocketMQInstrumentor().instrument(tracer_provider=provider)
    assert run(lambda m: ConsumeStatus.RECONSUME_LATER, FakeReceived(None)) == 1
    assert run(lambda m: ConsumeStatus.CONSUME_SUCCESS, FakeReceived(None)) == 0

    def boom(msg: Any) -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError):
        run(boom, FakeReceived(None))
    later, ok, raised = exporter.get_finished_spans()
    assert later.status.status_code == StatusCode.ERROR
    assert dict(later.attributes or {})["error.type"] == "RECONSUME_LATER"
    assert ok.status.status_code == StatusCode.UNSET
    assert "error.type" not in dict(ok.attributes or {})
    assert dict(raised.attributes or {})["error.type"] == "KeyError"
    for span in (later, ok, raised):
        assert span.parent is None, "no creation context: a new trace"
        assert span.links == ()


def test_off_means_straight_through(spans: Any) -> None:
    exporter, _ = spans
    wrapped = _wrappers._traced_callback(FakeConsumer(), lambda m: "verdict")
    assert wrapped(FakeReceived(TRACEPARENT)) == "verdict"
    assert exporter.get_finished_spans() == ()
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_store_host_of_an_offset_msg_id() -> None:
    assert _carriers._store_host("7F00000100002A9F0000000000000A3C") == ("127.0.0.1", 10911)
    assert _carriers._store_host("not hex") is None
    assert _carriers._store_host("") is None


def test_auto_instrumentation_entry_point() -> None:
    found = [
        ep
        for ep in importlib.metadata.entry_points(group="opentelemetry_instrumentor")
        if ep.name == "rocketmq"
    ]
    assert len(found) == 1
    assert found[0].load() is RocketMQInstrumentor
