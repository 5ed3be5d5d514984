"""A broker killed during a stream of sends (2-broker cluster of this module's own).

Without a consumer (next issue), "no send reported OK is lost" is checked through queue
offsets: after the killed broker restarts on the same store, a new message on each of its
queues must land after every offset that was reported OK there.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest

from rocketmq.client import Message, Producer, SendResult, SendStatus

from helpers import WAIT_TIMEOUT, unique
from testkit import TestCluster

pytestmark = [pytest.mark.integration, pytest.mark.fault]

QUEUES = 4


@pytest.fixture(scope="module")
def two_brokers() -> Iterator[TestCluster]:
    with TestCluster().start(namesrvs=1, brokers=2) as c:
        yield c


def message(topic: str, i: int) -> Message:
    msg = Message(topic)
    msg.set_body(f"failover-{i}".encode())
    return msg


@pytest.mark.timeout(180)
def test_broker_killed_during_a_stream_of_sends(two_brokers: TestCluster) -> None:
    topic = unique("failover")
    two_brokers.create_topic(topic, queues=QUEUES)
    names = sorted(b.name for b in two_brokers.brokers)
    victim, survivor = names[0], names[1]
    victim_index = [b.name for b in two_brokers.brokers].index(victim)

    producer = Producer(unique("pg"), timeout=5000)
    producer.set_name_server_address(two_brokers.namesrv_addr)
    producer.start()

    ok: list[tuple[float, SendResult]] = []  # (when the send started, result)
    failures: list[BaseException] = []
    stop = threading.Event()
    progress = threading.Condition()
    killed_at: list[float] = []

    def stream() -> None:
        i = 0
        while not stop.is_set():
            started = time.monotonic()
            try:
                result = producer.send_sync(message(topic, i))
                assert result.status is SendStatus.OK
                with progress:
                    ok.append((started, result))
                    progress.notify_all()
            except Exception as e:  # recorded and asserted on below
                failures.append(e)
            i += 1

    sender = threading.Thread(target=stream, name="sender")
    sender.start()
    try:
        # Both brokers take traffic before the kill.
        deadline = time.monotonic() + WAIT_TIMEOUT
        while {r.broker_name for _, r in ok} != {victim, survivor}:
            assert time.monotonic() < deadline, "sends never reached both brokers"
            assert sender.is_alive()
            time.sleep(0.01)
        two_brokers.kill_broker(victim_index)
        killed_at.append(time.monotonic())
        # Keep sending until enough sends started after the kill went through.
        deadline = time.monotonic() + WAIT_TIMEOUT
        while sum(1 for t, _ in ok if t > killed_at[0]) < 200:
            assert time.monotonic() < deadline, (
                f"too few sends after the kill; failures={failures[:3]}"
            )
            time.sleep(0.01)
    finally:
        stop.set()
        sender.join(WAIT_TIMEOUT)
        producer.shutdown()
    assert not sender.is_alive()

    # Every send succeeded: failures against the dead broker were retried on the survivor.
    assert failures == [], failures[:5]
    after = [r for t, r in ok if t > killed_at[0]]
    assert len(after) >= 200
    assert {r.broker_name for r in after} == {survivor}
    # No two OK sends share a (broker, queue, offset).
    keys = [(r.broker_name, r.queue_id, r.offset) for _, r in ok]
    assert len(keys) == len(set(keys))

    # Offsets reported OK on the victim, per queue.
    reported: dict[int, int] = defaultdict(lambda: -1)
    for _, r in ok:
        if r.broker_name == victim:
            reported[r.queue_id] = max(reported[r.queue_id], r.offset)
    assert reported, "nothing was sent to the victim before the kill"

    two_brokers.start_broker(victim_index)
    checker = Producer(unique("pg"), timeout=10_000)
    checker.set_name_server_address(two_brokers.namesrv_addr)
    with checker:
        queues_by_index: dict[int, tuple[str, int]] = {}
        for index in range(2 * QUEUES):
            r = checker.send_orderly(message(topic, -1), index, lambda n, m, a: a)
            queues_by_index[index] = (r.broker_name, r.queue_id)
            if r.broker_name == victim and r.queue_id in reported:
                assert r.offset > reported[r.queue_id], (
                    f"queue {r.queue_id} of {victim}: new offset {r.offset} <= "
                    f"{reported[r.queue_id]} reported OK before the kill"
                )
        assert {b for b, _ in queues_by_index.values()} == {victim, survivor}
