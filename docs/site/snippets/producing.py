"""Every send kind of the blocking producer (docs/site/producing.md)."""

import os
import threading
import time

from rocketmq.client import Message, Producer, SendStatus

NAMESRV = os.environ.get("NAMESRV_ADDR", "127.0.0.1:9876")
TOPIC = os.environ.get("TOPIC", "MyTopic")

# --8<-- [start:setup]
producer = Producer("orders_producer", timeout=3000)  # timeout: ms for a send, retries included
producer.set_name_server_address(NAMESRV)
producer.start()
# --8<-- [end:setup]


def new_message(body: bytes) -> Message:
    msg = Message(TOPIC)
    msg.set_body(body)
    return msg


# --8<-- [start:sync]
msg = Message(TOPIC)
msg.set_tags("TagA")
msg.set_keys(["order-42", "customer-7"])  # several keys: a list, or one space-separated str
msg.set_property("region", "eu")
msg.set_body(b'{"order": 42}')
result = producer.send_sync(msg)
assert result.status == SendStatus.OK
print(result.msg_id, result.offset, result.queue_id, result.broker_name)
# --8<-- [end:sync]

# --8<-- [start:oneway]
producer.send_oneway(new_message(b"fire and forget"))  # one attempt, no answer awaited
# --8<-- [end:oneway]

# --8<-- [start:async]
done = threading.Event()


def on_success(result):
    print("stored", result.msg_id)
    done.set()


def on_exception(error):
    print("failed", error)
    done.set()


producer.send_async(new_message(b"in the background"), on_success, on_exception)
done.wait(timeout=10)
# --8<-- [end:async]
assert done.is_set()

# --8<-- [start:batch]
batch = [new_message(f"item-{i}".encode()) for i in range(32)]  # one topic, one request
result = producer.send_batch(batch)
print(len(result.msg_id.split(",")), "messages from offset", result.offset)
# --8<-- [end:batch]
assert len(result.msg_id.split(",")) == 32

# --8<-- [start:orderly]
# Messages with the same sharding key go to the same queue, in order (Java-compatible hashing).
for step in ("created", "paid", "shipped"):
    producer.send_orderly_with_sharding_key(new_message(step.encode()), "order-42")


# Or pick the queue yourself: selector(queue_count, msg, arg) -> index.
def by_customer(queue_count, msg, customer_id):
    return customer_id % queue_count


producer.send_orderly(new_message(b"invoice"), 7, by_customer)
# --8<-- [end:orderly]

# --8<-- [start:delay]
later = new_message(b"in 10 seconds")
later.set_delay_time_level(3)  # broker delay levels: 1 = 1 s, 2 = 5 s, 3 = 10 s ... 18 = 2 h
producer.send_sync(later)

at = new_message(b"at a given time")
at.set_delivery_time_ms(int(time.time() * 1000) + 60_000)  # 5.x brokers: any time
producer.send_sync(at)
# --8<-- [end:delay]

producer.shutdown()

# --8<-- [start:auto_batch]
batching = Producer("orders_batching_producer")
batching.set_name_server_address(NAMESRV)
batching.set_auto_batch(True)  # send_async (and send_sync) calls are gathered into batches
batching.set_batch_max_delay_ms(5)  # hold a batch at most 5 ms
# or: rocketmq.aio.Producer("my_group", auto_batch=True, batch_max_delay_ms=5)
batching.start()
stored = threading.Semaphore(0)
ids = []


def on_stored(result):
    ids.append(result.msg_id)  # each message keeps an id and an offset of its own
    stored.release()


for i in range(100):
    batching.send_async(new_message(b"batched %d" % i), on_stored, on_exception)
for _ in range(100):
    assert stored.acquire(timeout=10)
batching.shutdown()
# --8<-- [end:auto_batch]
assert len(set(ids)) == 100
