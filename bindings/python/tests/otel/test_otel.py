"""rocketmq.otel against the real broker, with the OpenTelemetry SDK's in-memory exporters.

Needs opentelemetry-api and -sdk (the Makefile's DEV_PACKAGES; the `otel` extra installs the
API only). Kept out of tests/integration so the installed-wheel run, which has neither, does
not collect it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from rocketmq import aio, client
from rocketmq.client import ConsumeFromWhere, LitePullConsumer, Message, Producer, PushConsumer
from rocketmq.otel import RocketMQInstrumentor

from helpers import WAIT_TIMEOUT, Inbox, MakeConsumer, unique, wait_until

pytestmark = pytest.mark.integration


class Telemetry:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self, name_prefix: str = "") -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if s.name.startswith(name_prefix)]

    def wait_spans(self, prefix: str, n: int) -> list[ReadableSpan]:
        wait_until(lambda: len(self.spans(prefix)) >= n, what=f"{n} '{prefix}' spans")
        return self.spans(prefix)

    def points(self, metric: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found = []
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == metric:
                        found.extend(m.data.data_points)
        return found

    def total(self, metric: str, **attrs: Any) -> int:
        return sum(
            p.value
            for p in self.points(metric)
            if all(p.attributes.get(k.replace("_", ".")) == v for k, v in attrs.items())
        )


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    tel = Telemetry()
    RocketMQInstrumentor().instrument(
        tracer_provider=tel.tracer_provider, meter_provider=tel.meter_provider
    )
    try:
        yield tel
    finally:
        RocketMQInstrumentor().uninstrument()


def message(topic: str, body: bytes, **props: str) -> Message:
    msg = Message(topic)
    msg.set_body(body)
    msg.set_tags("TagA")
    msg.set_keys(["k1", "k2"])
    for key, value in props.items():
        msg.set_property(key, value)
    return msg


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_send_and_consume_form_one_trace(
    otel: Telemetry, producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    result = producer.send_sync(message(topic, b"one"))
    (send,) = otel.spans("send ")
    assert send.kind == SpanKind.PRODUCER
    assert send.name == f"send {topic}"
    a = attrs(send)
    assert a["messaging.system"] == "rocketmq"
    assert a["messaging.operation.type"] == "send"
    assert a["messaging.destination.name"] == topic
    assert a["messaging.message.id"] == result.msg_id
    assert a["messaging.destination.partition.id"] == str(result.queue_id)
    assert a["messaging.rocketmq.message.tag"] == "TagA"
    assert a["messaging.rocketmq.message.keys"] == ("k1", "k2")
    assert a["messaging.rocketmq.message.type"] == "normal"
    assert a["messaging.rocketmq.producer_group"] == producer.group
    assert a["messaging.client.id"] == producer.client_id
    assert a["server.port"] > 0

    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    (got,) = inbox.wait_for(1)
    assert got.get_property("traceparent") is not None, "the creation context travels along"
    (process,) = otel.wait_spans("process ", 1)
    assert process.kind == SpanKind.CONSUMER
    assert process.context.trace_id == send.context.trace_id, "one trace"
    assert process.parent is not None
    assert process.parent.span_id == send.context.span_id
    assert [link.context.span_id for link in process.links] == [send.context.span_id]
    p = attrs(process)
    assert p["messaging.operation.type"] == "process"
    assert p["messaging.consumer.group.name"] == consumer.group
    # The client id is known once start() has returned; a delivery racing start() has none.
    assert p.get("messaging.client.id", consumer.client_id) == consumer.client_id
    assert p["messaging.message.id"] == result.msg_id
    assert p["messaging.rocketmq.message.delivery_count"] == 1
    assert p["server.address"] == a["server.address"]
    assert process.status.status_code == StatusCode.UNSET

    assert otel.total("messaging.client.sent.messages", messaging_destination_name=topic) == 1
    assert otel.total("messaging.client.consumed.messages", messaging_destination_name=topic) == 1
    durations = otel.points("messaging.process.duration")
    assert sum(p.count for p in durations) == 1
    assert sum(p.count for p in otel.points("messaging.client.operation.duration")) == 1


def test_context_survives_a_redelivery(
    otel: Telemetry, producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    producer.send_sync(message(topic, b"retry-me"))
    (send,) = otel.spans("send ")
    calls = []

    def flaky(msg: Any) -> None:
        calls.append(msg.reconsume_times)
        if len(calls) == 1:
            raise RuntimeError("first delivery fails")

    consumer = make_consumer()
    consumer.set_delay_level_when_next_consume(1)  # redeliver after 1 s
    consumer.subscribe(topic, flaky)
    consumer.start()
    first, second = sorted(
        otel.wait_spans("process ", 2),
        key=lambda s: s.attributes["messaging.rocketmq.message.delivery_count"],
    )
    for span in (first, second):
        assert span.context.trace_id == send.context.trace_id
        assert span.parent is not None
        assert span.parent.span_id == send.context.span_id
    assert first.status.status_code == StatusCode.ERROR
    assert attrs(first)["error.type"] == "RuntimeError"
    assert any(e.name == "exception" for e in first.events)
    assert attrs(second)["messaging.rocketmq.message.delivery_count"] == 2
    assert "error.type" not in attrs(second)
    assert otel.total("messaging.client.consumed.messages", error_type="RuntimeError") == 1
    assert otel.total("messaging.client.consumed.messages", messaging_destination_name=topic) == 2


def test_a_message_without_context_starts_a_new_trace(
    otel: Telemetry, producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    instrumented = client.Producer.send_sync
    RocketMQInstrumentor().uninstrument()
    assert client.Producer.send_sync is not instrumented
    assert "send_sync" in client.Producer.__dict__
    assert not hasattr(client.Producer.send_sync, "__wrapped__"), "the original is back"
    producer.send_sync(message(topic, b"plain"))  # like a Java producer without tracing
    RocketMQInstrumentor().instrument(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider
    )
    assert otel.spans() == [], "nothing traced while off"

    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    (got,) = inbox.wait_for(1)
    assert got.get_property("traceparent") is None
    (process,) = otel.wait_spans("process ", 1)
    assert process.parent is None, "a root span"
    assert process.links == ()


def test_async_callback_batch_and_orderly_sends(
    otel: Telemetry, producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    done = threading.Event()
    outcome: list[Any] = []

    def on_success(result: Any) -> None:
        outcome.append(result)
        done.set()

    producer.send_async(message(topic, b"async"), on_success, None)
    assert done.wait(WAIT_TIMEOUT)
    batch = [message(topic, f"batch-{i}".encode()) for i in range(3)]
    producer.send_batch(batch)
    producer.send_orderly_with_sharding_key(message(topic, b"fifo"), "order-7")
    producer.send_orderly(message(topic, b"selected"), 3)  # queue 3 % 4, no group

    sends = otel.spans("send ")
    assert len(sends) == 4
    async_send, batch_send, fifo_send, selected_send = sends
    assert attrs(async_send)["messaging.message.id"] == outcome[0].msg_id
    creates = otel.spans("create ")
    assert len(creates) == 3
    assert batch_send.kind == SpanKind.CLIENT
    assert attrs(batch_send)["messaging.batch.message_count"] == 3
    assert {link.context.span_id for link in batch_send.links} == {
        c.context.span_id for c in creates
    }
    assert attrs(fifo_send)["messaging.rocketmq.message.type"] == "fifo"
    assert attrs(fifo_send)["messaging.rocketmq.message.group"] == "order-7"
    assert attrs(selected_send)["messaging.rocketmq.message.type"] == "fifo"
    assert "messaging.rocketmq.message.group" not in attrs(selected_send)
    assert attrs(selected_send)["messaging.destination.partition.id"] == "3"

    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    inbox.wait_for(6)
    processes = otel.wait_spans("process ", 6)
    parent_of = {attrs(p)["messaging.message.id"]: p.parent.span_id for p in processes if p.parent}
    expected = {s.context.span_id for s in (async_send, fifo_send, selected_send)} | {
        c.context.span_id for c in creates
    }
    assert set(parent_of.values()) == expected, "each message's own creation context"
    assert otel.total("messaging.client.sent.messages") == 6


def test_asyncio_producer_and_consumer(otel: Telemetry, namesrv_addr: str, topic: str) -> None:
    async def run() -> tuple[str, Any]:
        got: asyncio.Queue[Any] = asyncio.Queue()

        async def on_message(msg: Any) -> None:
            await got.put(msg)

        async with aio.Producer(unique("apg"), namesrv_addr=namesrv_addr) as producer:
            result = await producer.send(message(topic, b"aio"))
        consumer = aio.PushConsumer(
            unique("acg"),
            namesrv_addr=namesrv_addr,
            consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        )
        consumer.subscribe(topic, on_message)
        async with consumer:
            msg = await asyncio.wait_for(got.get(), WAIT_TIMEOUT)
        return result.msg_id, msg

    msg_id, msg = asyncio.run(run())
    assert msg.id == msg_id
    (send,) = otel.spans("send ")
    (process,) = otel.wait_spans("process ", 1)
    assert process.context.trace_id == send.context.trace_id
    assert process.parent is not None
    assert process.parent.span_id == send.context.span_id


def test_lite_pull_poll_is_a_receive_span(
    otel: Telemetry, producer: Producer, topic: str, namesrv_addr: str
) -> None:
    result = producer.send_sync(message(topic, b"pulled"))
    (send,) = otel.spans("send ")
    with LitePullConsumer(
        unique("lpg"),
        namesrv_addr=namesrv_addr,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
    ) as consumer:
        consumer.subscribe(topic)
        got: list[Any] = []
        wait_until(lambda: bool(got.extend(consumer.poll(timeout_ms=200)) or got))
    assert [m.id for m in got] == [result.msg_id]
    (receive,) = otel.spans("receive")
    assert receive.kind == SpanKind.CLIENT
    assert receive.name == f"receive {topic}"
    assert attrs(receive)["messaging.batch.message_count"] == 1
    assert [link.context.span_id for link in receive.links] == [send.context.span_id]
    assert otel.total("messaging.client.consumed.messages", messaging_operation_type="receive") == 1


def test_uninstrument_restores_every_method(otel: Telemetry) -> None:
    patched = {
        (cls, name): cls.__dict__[name]
        for cls in (client.Producer, aio.Producer, PushConsumer, aio.PushConsumer)
        for name in ("send_sync", "send", "subscribe")
        if name in cls.__dict__
    }
    assert all(hasattr(f, "__wrapped__") for f in patched.values())
    RocketMQInstrumentor().uninstrument()
    for (cls, name), wrapper in patched.items():
        assert cls.__dict__[name] is wrapper.__wrapped__
    assert not RocketMQInstrumentor().is_instrumented_by_opentelemetry
    RocketMQInstrumentor().instrument(tracer_provider=otel.tracer_provider)
    assert RocketMQInstrumentor() is RocketMQInstrumentor()


def test_transaction_and_request_reply(
    otel: Telemetry, namesrv_addr: str, topic: str, make_consumer: MakeConsumer
) -> None:
    txn = client.TransactionMQProducer(unique("tpg"), lambda msg: client.TransactionStatus.COMMIT)
    txn.set_name_server_address(namesrv_addr)
    txn.start()
    try:
        result = txn.send_message_in_transaction(
            message(topic, b"txn"), lambda msg, args: client.TransactionStatus.COMMIT
        )
    finally:
        txn.shutdown()
    (send,) = otel.spans("send ")
    assert attrs(send)["messaging.rocketmq.message.type"] == "transaction"
    assert attrs(send)["messaging.message.id"] == result.msg_id

    # The replier answers every request; the requester's span is the request's parent.
    replier_producer = Producer(unique("rpg"))
    replier_producer.set_name_server_address(namesrv_addr)
    replier_producer.start()

    def on_message(msg: Any) -> None:
        if msg.body == b"ping":
            replier_producer.send_sync(client.create_reply_message(msg, b"pong"))

    consumer = make_consumer()
    consumer.subscribe(topic, on_message)
    consumer.start()
    requester = Producer(unique("qpg"))
    requester.set_name_server_address(namesrv_addr)
    requester.start()
    try:
        reply = requester.request(message(topic, b"ping"), timeout_ms=30_000)
    finally:
        requester.shutdown()
        replier_producer.shutdown()
    assert reply.body == b"pong"
    (request,) = otel.spans("request ")
    assert request.kind == SpanKind.PRODUCER
    assert attrs(request)["messaging.operation.name"] == "request"
    processes = otel.wait_spans("process ", 2)
    parents = {p.parent.span_id for p in processes if p.parent is not None}
    assert parents == {send.context.span_id, request.context.span_id}, "txn and request traced"
