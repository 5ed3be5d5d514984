"""RocketMQ's own message trace and the statistics (docs/site/observability.md)."""

import os
import threading

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

# --8<-- [start:trace]
from rocketmq.client import Message, Producer

producer = Producer("stats_and_trace")
producer.set_name_server_address(NAMESRV)
producer.set_message_trace(True)  # Pub records to RMQ_SYS_TRACE_TOPIC, as the Java client writes
producer.start()
# --8<-- [end:trace]

# --8<-- [start:stats]
reported = threading.Event()
producer.set_stats_callback(lambda stats: reported.set(), 0.5)  # every 0.5 s (confluent's stats_cb)
msg = Message(TOPIC)
msg.set_body(b"counted")
producer.send_sync(msg)
stats = producer.stats()  # a plain dict, cheap: atomics in the Rust core
print(stats["sends_ok"], stats["sends_failed_by_kind"], stats["send_latency"]["p99_ms"])
print(stats["trace"])  # {'appended': 1, 'dropped': 0, 'sent_records': ..., ...}
# --8<-- [end:stats]

# --8<-- [start:prometheus]
from rocketmq.stats import to_text

print(to_text(producer.stats()))  # serve it as "text/plain; version=0.0.4"
# --8<-- [end:prometheus]

assert reported.wait(20), "the statistics callback fired"
producer.shutdown()
assert stats["sends_ok"] == 1, stats
assert stats["trace"]["appended"] == 1, stats
assert "rocketmq_sends_ok{" in to_text(stats)
