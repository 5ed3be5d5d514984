"""Logging, tracing and metrics (docs/site/observability.md). Needs rocketmq-py[otel] and the
OpenTelemetry SDK."""

import logging
import os
import threading

# --8<-- [start:logging]
logging.basicConfig(level=logging.INFO)
logging.getLogger("rocketmq").setLevel(logging.DEBUG)  # the Rust core logs here too
# --8<-- [end:logging]

# --8<-- [start:otel]
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rocketmq.client import ConsumeFromWhere, Message, Producer, PushConsumer
from rocketmq.otel import RocketMQInstrumentor

spans = InMemorySpanExporter()  # in production: an OTLP exporter in a BatchSpanProcessor
tracer_provider = TracerProvider()
tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
metrics = InMemoryMetricReader()
meter_provider = MeterProvider(metric_readers=[metrics])

RocketMQInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
# --8<-- [end:otel]

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

# --8<-- [start:traced]
producer = Producer("traced_producer")
producer.set_name_server_address(NAMESRV)
producer.start()
msg = Message(TOPIC)
msg.set_body(b"traced")
producer.send_sync(msg)  # a "send" span; its context travels in the message (traceparent)
producer.shutdown()

processed = threading.Event()
consumer = PushConsumer("traced_consumer")
consumer.set_name_server_address(NAMESRV)
consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
consumer.subscribe(TOPIC, lambda msg: processed.set())  # a "process" span per message
consumer.start()
processed.wait(timeout=30)
consumer.shutdown()

for span in spans.get_finished_spans():
    print(span.name, span.kind, format(span.context.trace_id, "032x"))
RocketMQInstrumentor().uninstrument()  # the original methods are back
# --8<-- [end:traced]
names = [s.name for s in spans.get_finished_spans()]
assert names == [f"send {TOPIC}", f"process {TOPIC}"], names
send, process = spans.get_finished_spans()
assert send.context.trace_id == process.context.trace_id
