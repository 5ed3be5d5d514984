"""PushConsumer against a real name server + broker (session cluster from conftest).

Every wait is bounded (``Inbox.wait_for``, ``wait_until``); nothing sleeps to synchronise.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter, defaultdict
from typing import Callable

import pytest

from rocketmq import exceptions as exc
from rocketmq.client import (
    ConsumeFromWhere,
    ConsumeStatus,
    Message,
    MessageModel,
    MessageQueue,
    Producer,
    PushConsumer,
    ReceivedMessage,
)

from helpers import WAIT_TIMEOUT, Inbox, LogCapture, MakeConsumer, unique, wait_until
from testkit import TestCluster

pytestmark = pytest.mark.integration


def send(
    producer: Producer, topic: str, body: bytes | str, tags: str | None = None, **props: str
) -> str:
    msg = Message(topic)
    msg.set_body(body)
    if tags:
        msg.set_tags(tags)
    for k, v in props.items():
        msg.set_property(k, v)
    return producer.send_sync(msg).msg_id


def new_topic(cluster: TestCluster, queues: int = 4) -> str:
    name = unique("ctopic")
    cluster.create_topic(name, queues=queues)
    return name


# ---- delivery ---------------------------------------------------------------------------------


def test_every_message_is_consumed_with_binary_bodies(
    producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    sent: dict[str, bytes] = {}
    for i in range(40):
        body = b"\x00" + f"msg-{i}".encode() + b"\x00\x01\xff\x00"
        sent[send(producer, topic, body, tags=f"T{i % 3}", k=str(i))] = body
    big = bytes(i % 251 for i in range(100_000))  # compressed on the wire
    sent[send(producer, topic, big)] = big
    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    got = inbox.wait_for(len(sent))
    assert {m.id: m.body for m in got} == sent
    assert Counter(m.body for m in got) == Counter(sent.values())
    for m in got:
        assert isinstance(m, ReceivedMessage)
        assert m.topic == topic
        assert m.reconsume_times == 0
        assert m.broker_name == "broker-0"
        if m.body != big:
            i = int(m.properties["k"])
            assert m.tags == f"T{i % 3}".encode()
            assert m.get_property("k") == str(i).encode()
    # Counted once the callback has returned.
    wait_until(lambda: consumer.consumed_count >= len(sent), what="consumed_count")
    # The messages outlive their callbacks (2.x's dangled).
    assert got[0].body == inbox.snapshot()[0].body


def test_tag_filter(producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer) -> None:
    # One queue: once the last wanted message arrived, every earlier one was pulled.
    topic = new_topic(cluster, queues=1)
    wanted = set()
    for i in range(30):
        tag = "ABC"[i % 3]
        body = f"{tag}-{i}".encode()
        send(producer, topic, body, tags=tag)
        if tag != "B":
            wanted.add(body)
    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox, "A || C")
    consumer.start()
    got = inbox.wait_for(lambda msgs: wanted <= {m.body for m in msgs})
    assert {m.tags for m in got} == {b"A", b"C"}
    assert sorted(m.body for m in got) == sorted(wanted)


def test_each_topic_has_its_own_callback(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer
) -> None:
    """2.x sent every topic's messages to the last callback subscribed."""
    topic_a, topic_b = new_topic(cluster), new_topic(cluster)
    for i in range(10):
        send(producer, topic_a, f"a{i}")
        send(producer, topic_b, f"b{i}")
    inbox_a, inbox_b = Inbox(), Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic_a, inbox_a)
    consumer.subscribe(topic_b, inbox_b)
    consumer.start()
    got_a = inbox_a.wait_for(10)
    got_b = inbox_b.wait_for(10)
    assert {m.topic for m in got_a} == {topic_a}
    assert {m.topic for m in got_b} == {topic_b}
    assert sorted(m.body for m in got_a) == sorted(f"a{i}".encode() for i in range(10))
    assert sorted(m.body for m in got_b) == sorted(f"b{i}".encode() for i in range(10))


def test_broadcasting_delivers_to_every_consumer(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer, tmp_path: object
) -> None:
    topic = new_topic(cluster, queues=2)
    group = unique("cg_bc")
    inboxes = [Inbox(), Inbox()]
    for inbox in inboxes:
        consumer = make_consumer(group, model=MessageModel.BROADCASTING)
        consumer.set_offset_store_dir(str(tmp_path))
        consumer.subscribe(topic, inbox)
        consumer.start()
    bodies = {f"bc-{i}".encode() for i in range(20)}
    for body in bodies:
        send(producer, topic, body)
    for inbox in inboxes:
        got = inbox.wait_for(lambda msgs: bodies <= {m.body for m in msgs})
        assert {m.body for m in got} == bodies


def queues_of(consumer: PushConsumer, topic: str) -> set[int]:
    return {q.queue_id for q in consumer.assigned_queues() if q.topic == topic}


def test_a_group_shares_queues_and_takes_over(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer
) -> None:
    topic = new_topic(cluster, queues=4)
    group = unique("cg_split")
    inbox1, inbox2 = Inbox(), Inbox()
    c1, c2 = make_consumer(group), make_consumer(group)
    c1.subscribe(topic, inbox1)
    c2.subscribe(topic, inbox2)
    c1.start()
    c2.start()

    def split() -> bool:
        c1.rebalance_now()
        c2.rebalance_now()
        a, b = queues_of(c1, topic), queues_of(c2, topic)
        return len(a) == 2 and len(b) == 2 and not (a & b)

    wait_until(split, what="queues split 2/2")
    assert all(isinstance(q, MessageQueue) for q in c1.assigned_queues())
    first = {f"s-{i}".encode() for i in range(40)}
    for body in first:
        send(producer, topic, body)
    wait_until(lambda: first <= set(inbox1.bodies()) | set(inbox2.bodies()), what="40 messages")
    assert inbox1.snapshot(), "both members consumed"
    assert inbox2.snapshot(), "both members consumed"
    assert not set(inbox1.bodies()) & set(inbox2.bodies()), "each message went to one member"

    c1.shutdown()

    def took_over() -> bool:
        c2.rebalance_now()
        return len(queues_of(c2, topic)) == 4

    wait_until(took_over, what="c2 owns all 4 queues")
    later = {f"t-{i}".encode() for i in range(20)}
    for body in later:
        send(producer, topic, body)
    inbox2.wait_for(lambda msgs: later <= {m.body for m in msgs})


# A consumer process for the kill test: prints each body, then waits for stdin to close.
CHILD = textwrap.dedent(
    """
    import sys, time
    from rocketmq.client import ConsumeFromWhere, PushConsumer

    namesrv, topic, group = sys.argv[1:4]
    consumer = PushConsumer(group)
    consumer.set_name_server_address(namesrv)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.set_thread_count(2)

    def on_message(msg):
        body = msg.body.decode()
        if body.startswith("p2"):
            time.sleep(0.01)  # slow enough to be killed in the middle of phase 2
        sys.stdout.write(body + "\\n")
        sys.stdout.flush()

    consumer.subscribe(topic, on_message)
    consumer.start()
    sys.stdout.write("started\\n")
    sys.stdout.flush()
    sys.stdin.read()
    consumer.shutdown()
    """
)


class Child:
    """A consumer in a subprocess; its output lines arrive on a queue."""

    def __init__(self, namesrv: str, topic: str, group: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, namesrv, topic, group],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read_until(self, done: Callable[[list[str]], bool], timeout: float = WAIT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not done(self.seen):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"child output incomplete: {len(self.seen)} lines")
            line = self.lines.get(timeout=remaining)
            if line is None:
                raise AssertionError(f"child exited ({self.proc.poll()}) after {self.seen[-5:]}")
            self.seen.append(line)

    def drain(self) -> None:
        """After the child ended: collect what it wrote before."""
        while True:
            line = self.lines.get(timeout=WAIT_TIMEOUT)
            if line is None:
                return
            self.seen.append(line)

    def consumed(self) -> list[str]:
        return [line for line in self.seen if line != "started"]

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def test_a_killed_consumer_resumes_from_its_committed_offset(
    producer: Producer, cluster: TestCluster
) -> None:
    topic = new_topic(cluster, queues=4)
    group = unique("cg_kill")
    phase1 = [f"p1-{i}" for i in range(40)]
    phase2 = [f"p2-{i}" for i in range(100)]
    child = Child(cluster.namesrv_addr, topic, group)
    try:
        child.read_until(lambda seen: "started" in seen)
        for body in phase1:
            send(producer, topic, body)
        child.read_until(lambda seen: set(phase1) <= set(seen))
        # The pulls that bring phase 2 carry the offsets committed for phase 1.
        for body in phase2:
            send(producer, topic, body)
        child.read_until(lambda seen: len(set(seen) & set(phase2)) >= 10)
    finally:
        child.proc.send_signal(signal.SIGKILL)
        child.proc.wait(timeout=WAIT_TIMEOUT)
    child.drain()
    child.close()
    first_run = child.consumed()
    assert len(set(first_run) & set(phase2)) < len(phase2), "killed in the middle of phase 2"

    restarted = Child(cluster.namesrv_addr, topic, group)
    try:
        everything = set(phase1) | set(phase2)
        restarted.read_until(lambda seen: everything <= set(seen) | set(first_run))
        assert restarted.proc.stdin is not None
        restarted.proc.stdin.close()
        assert restarted.proc.wait(timeout=WAIT_TIMEOUT) == 0
    finally:
        if restarted.proc.poll() is None:
            restarted.proc.kill()
    restarted.drain()
    restarted.close()
    second_run = restarted.consumed()
    duplicates = set(first_run) & set(second_run)
    print(f"first run {len(first_run)}, second run {len(second_run)}, duplicates {len(duplicates)}")
    assert set(first_run) | set(second_run) == everything, "nothing lost"
    assert set(second_run) - set(first_run), "the restart consumed what the first run left"
    # From the first offset (no commit honoured) the restart would redeliver all >= 50.
    assert len(duplicates) < len(phase1), f"{len(duplicates)} redelivered: {sorted(duplicates)}"


# ---- redelivery -------------------------------------------------------------------------------


def test_failures_are_redelivered_with_reconsume_times(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer, rocketmq_log: LogCapture
) -> None:
    topic = new_topic(cluster, queues=1)
    deliveries: dict[bytes, list[int]] = defaultdict(list)
    topics: set[str] = set()
    lock = threading.Lock()

    def answer(msg: ReceivedMessage) -> object:
        with lock:
            deliveries[msg.body].append(msg.reconsume_times)
            topics.add(msg.topic)
            first = len(deliveries[msg.body]) == 1
        if not first:
            return ConsumeStatus.CONSUME_SUCCESS
        if msg.body == b"later":
            return ConsumeStatus.RECONSUME_LATER
        if msg.body == b"raise":
            raise RuntimeError("callback failure")
        if msg.body == b"garbage":
            return "not a status"
        return None  # b"none": success

    inbox = Inbox(answer)
    consumer = make_consumer()
    consumer.set_delay_level_when_next_consume(1)  # 1 s instead of 10 s
    consumer.subscribe(topic, inbox)
    consumer.start()
    for body in ["later", "raise", "garbage", "none"]:
        send(producer, topic, body)
    retried = [b"later", b"raise", b"garbage"]
    inbox.wait_for(lambda _: all(len(deliveries[b]) >= 2 for b in retried))
    with lock:
        for body in retried:
            assert deliveries[body][:2] == [0, 1], (body, deliveries[body])
        assert deliveries[b"none"] == [0], "None means CONSUME_SUCCESS"
        assert topics == {topic}, "redeliveries show the original topic"
    raised = rocketmq_log.wait_for(lambda r: "raised" in r.getMessage())
    assert raised.levelno == logging.WARNING
    assert raised.exc_info is not None
    assert "callback failure" in str(raised.exc_info[1])
    garbage = rocketmq_log.wait_for(lambda r: "'not a status'" in r.getMessage())
    assert garbage.levelno == logging.WARNING


def test_after_max_reconsume_times_a_message_goes_to_the_dlq(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer
) -> None:
    topic = new_topic(cluster, queues=1)
    group = unique("cg_dlq")
    inbox = Inbox(lambda msg: ConsumeStatus.RECONSUME_LATER)
    consumer = make_consumer(group)
    consumer.set_max_reconsume_times(1)
    consumer.set_delay_level_when_next_consume(1)
    consumer.subscribe(topic, inbox)
    consumer.start()
    msg_id = send(producer, topic, "poison")
    got = inbox.wait_for(2)
    assert [(m.reconsume_times, m.topic, m.id) for m in got] == [
        (0, topic, msg_id),
        (1, topic, msg_id),
    ]
    # The second failure sends it to the group's dead-letter queue, readable as a topic.
    dlq = f"%DLQ%{group}"
    dead = Inbox()
    reader = make_consumer()
    reader.subscribe(dlq, dead)
    reader.start()

    def reading_the_dlq() -> bool:
        reader.rebalance_now()  # fetches the route once the broker has created the topic
        return any(q.topic == dlq for q in reader.assigned_queues())

    wait_until(reading_the_dlq, what="the DLQ topic exists and is assigned")
    # At least once: a send-back the broker stored but answered too late for us is sent again,
    # so the letter may be there twice; every copy is this message.
    letters = dead.wait_for(1)
    assert {letter.id for letter in letters} == {msg_id}
    letter = letters[0]
    assert letter.body == b"poison"
    assert letter.get_property("RETRY_TOPIC") == topic.encode()
    # Not delivered again: the first delivery and the retry, plus at most one local retry per
    # extra DLQ copy (a send-back answered too late is consumed locally again, then sent back).
    assert 2 <= len(inbox.snapshot()) <= 1 + len(letters), "not delivered again"


def test_sql92_subscriptions_are_checked_by_the_broker(
    topic: str, make_consumer: MakeConsumer
) -> None:
    bad = make_consumer()
    bad.subscribe_sql(topic, Inbox(), "a >>> (")
    with pytest.raises(exc.PushConsumerStartInvalidConfig, match="SQL92"):
        bad.start()
    # A valid expression is accepted (the test broker, rocketmq-rust 1.0, then delivers nothing
    # for property conditions: docs/rocketmq-rust-broker.md).
    good = make_consumer()
    good.subscribe(topic, Inbox(), "a > 5 AND b = 'x'", expression_type="SQL92")
    good.start()
    assert good.client_id is not None


def test_batches_stop_at_the_first_failure(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer
) -> None:
    """With a batch size > 1 the callback still gets one message per call; a failure sends it
    and the rest of its batch back, the messages before it are done."""
    topic = new_topic(cluster, queues=1)
    bodies = [f"b{i}".encode() for i in range(10)]
    for body in bodies:
        send(producer, topic, body)
    calls: list[tuple[bytes, int]] = []

    def answer(msg: ReceivedMessage) -> ConsumeStatus:
        calls.append((msg.body, msg.reconsume_times))
        if msg.body == b"b3" and msg.reconsume_times == 0:
            return ConsumeStatus.RECONSUME_LATER
        return ConsumeStatus.CONSUME_SUCCESS

    inbox = Inbox(answer)
    consumer = make_consumer(threads=1)
    consumer.set_message_batch_max_size(32)
    consumer.set_delay_level_when_next_consume(1)
    consumer.subscribe(topic, inbox)
    consumer.start()
    # All 10 were stored before start(), so the first pull brings them as one batch.
    inbox.wait_for(lambda _: {b for b, t in calls if t == 1} >= set(bodies[3:]))
    first_pass = [body for body, times in calls if times == 0]
    assert first_pass == bodies[:4], "one call per message, the batch stopped at b3"
    redelivered = sorted(body for body, times in calls if times == 1)
    assert redelivered == bodies[3:], "b3 and the rest of its batch came back, b0-b2 were done"


def test_delay_level_messages_arrive_after_their_delay(
    producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    msg = Message(topic)
    msg.set_body(b"delayed")
    msg.set_delay_time_level(2)  # 5 s
    sent_at = time.monotonic()
    producer.send_sync(msg)
    got = inbox.wait_for(1)
    waited = time.monotonic() - sent_at
    assert waited >= 4.5, f"arrived after {waited:.2f} s, before its 5 s delay"
    assert got[0].body == b"delayed"


def test_orderly_consumption_keeps_per_key_order(
    producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    for i in range(100):
        key = f"order-{i % 5}"
        msg = Message(topic)
        msg.set_body(f"{key}:{i}")
        producer.send_orderly_with_sharding_key(msg, key)
    inbox = Inbox()
    consumer = make_consumer(orderly=True)
    consumer.subscribe(topic, inbox)
    consumer.start()
    got = inbox.wait_for(100)
    per_key: dict[str, list[int]] = defaultdict(list)
    for m in got:
        key, seq = m.body.decode().split(":")
        per_key[key].append(int(seq))
    assert len(per_key) == 5
    for key, seqs in per_key.items():
        assert seqs == sorted(seqs), f"{key} out of order: {seqs}"
        assert len(seqs) == 20


# ---- where a new group starts -----------------------------------------------------------------


def test_consume_from_first_last_and_timestamp(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer
) -> None:
    topic = new_topic(cluster, queues=1)
    old = [f"old-{i}".encode() for i in range(5)]
    for body in old:
        send(producer, topic, body)
    first = Inbox()
    c_first = make_consumer()
    c_first.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET, strict=True)
    c_first.subscribe(topic, first)
    c_first.start()
    old_stored = max(m.store_timestamp for m in first.wait_for(len(old)))
    # Messages stored from the next millisecond on are "new".
    wait_until(lambda: time.time() * 1000 > old_stored + 1, what="clock past the old messages")
    new = [f"new-{i}".encode() for i in range(5)]
    for body in new:
        send(producer, topic, body)

    last, stamped = Inbox(), Inbox()
    c_last = make_consumer(first=False)
    c_last.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET, strict=True)
    c_last.subscribe(topic, last)
    c_last.start()
    c_stamp = make_consumer(first=False)
    c_stamp.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_TIMESTAMP, strict=True)
    c_stamp.set_consume_timestamp(old_stored + 1)
    c_stamp.subscribe(topic, stamped)
    c_stamp.start()
    latest = [f"latest-{i}".encode() for i in range(5)]
    for body in latest:
        send(producer, topic, body)

    stamped.wait_for(len(new + latest))
    last.wait_for(len(latest))
    first.wait_for(len(old + new + latest))
    assert sorted(stamped.bodies()) == sorted(new + latest), "from the timestamp on"
    assert sorted(last.bodies()) == sorted(latest), "only what was stored after start()"
    assert sorted(first.bodies()) == sorted(old + new + latest), "everything"


# ---- lifecycle --------------------------------------------------------------------------------


def test_settings_are_frozen_after_start(topic: str, make_consumer: MakeConsumer) -> None:
    consumer = make_consumer()
    consumer.subscribe(topic, Inbox())
    consumer.set_allocate_strategy("CONSISTENT_HASH")
    consumer.set_pull_threshold_for_queue(10)
    consumer.set_pull_threshold_size_for_queue(1)
    consumer.set_max_reconsume_times(3)
    consumer.start()
    consumer.start()  # a second start does nothing
    assert consumer.client_id is not None
    with pytest.raises(exc.InvalidConfigError, match="already started"):
        consumer.set_thread_count(2)
    with pytest.raises(exc.InvalidConfigError):
        consumer.subscribe(topic + "_other", Inbox())
    consumer.shutdown()
    consumer.shutdown()  # idempotent
    with pytest.raises(exc.PushConsumerStartFailed) as info:
        consumer.start()
    assert isinstance(info.value, RuntimeError)


def test_context_manager_binds_the_consumer(
    producer: Producer, topic: str, namesrv_addr: str
) -> None:
    inbox = Inbox()
    consumer = PushConsumer(unique("cg_with"))
    consumer.set_name_server_address(namesrv_addr)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, inbox)
    with consumer as bound:
        assert bound is consumer
        send(producer, topic, "in with")
        inbox.wait_for(1)
    with pytest.raises(exc.PushConsumerStartFailed):
        consumer.start()  # shut down by __exit__


def test_shutdown_inside_a_callback_does_not_deadlock(
    producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    returned = threading.Event()
    consumer = make_consumer()

    def stop(msg: ReceivedMessage) -> None:
        consumer.shutdown()  # on a consume thread: begins the shutdown, returns at once
        returned.set()

    consumer.subscribe(topic, stop)
    consumer.start()
    send(producer, topic, "stop")
    assert returned.wait(WAIT_TIMEOUT), "shutdown() inside the callback did not return"
    started = time.monotonic()
    consumer.shutdown()  # waits for the background shutdown
    assert time.monotonic() - started < 5
    with pytest.raises(exc.PushConsumerStartFailed):
        consumer.start()


def test_a_slow_callback_does_not_block_other_queues(
    producer: Producer, cluster: TestCluster, make_consumer: MakeConsumer
) -> None:
    """One callback blocked for good (GIL released while it waits) does not stop the others."""
    topic = new_topic(cluster, queues=4)
    release = threading.Event()

    def answer(msg: ReceivedMessage) -> None:
        if msg.body == b"slow":
            release.wait(WAIT_TIMEOUT)

    inbox = Inbox(answer)
    consumer = make_consumer(threads=4)
    consumer.subscribe(topic, inbox)
    consumer.start()
    try:
        send(producer, topic, "slow")
        inbox.wait_for(1)
        others = {f"fast-{i}".encode() for i in range(30)}
        for body in others:
            send(producer, topic, body)
        inbox.wait_for(lambda msgs: others <= {m.body for m in msgs})
    finally:
        release.set()


# ---- interpreter exit (subprocess) -------------------------------------------------------------

EXIT_SCRIPT = textwrap.dedent(
    """
    import sys, threading, time
    from rocketmq.client import ConsumeFromWhere, Message, Producer, PushConsumer

    namesrv, topic, mode = sys.argv[1:4]
    producer = Producer("pg_exit")
    producer.set_name_server_address(namesrv)
    producer.start()
    for i in range(200):
        m = Message(topic)
        m.set_body(b"x%d" % i)
        producer.send_oneway(m)
    enough = threading.Event()
    count = [0]

    def on_message(msg):
        count[0] += 1
        if count[0] >= 20:
            enough.set()
        time.sleep(0.002)  # still consuming when the interpreter exits

    consumer = PushConsumer("cg_exit_" + mode)
    consumer.set_name_server_address(namesrv)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, on_message)
    consumer.start()
    assert enough.wait(20)
    if mode == "shutdown":
        consumer.shutdown()
    print("bye", flush=True)
    """
)


@pytest.mark.parametrize("attempt", range(4))
@pytest.mark.parametrize("mode", ["no_shutdown", "shutdown"])
def test_interpreter_exit_while_consuming(cluster: TestCluster, mode: str, attempt: int) -> None:
    """Callbacks are running when the script ends, with or without shutdown(): the exit is
    clean (status 0, no crash, no hang)."""
    topic = new_topic(cluster, queues=4)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", EXIT_SCRIPT, cluster.namesrv_addr, topic, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == "bye\n"
    assert "panicked" not in done.stderr
    assert "Fatal Python error" not in done.stderr
    assert time.monotonic() - started < 15
