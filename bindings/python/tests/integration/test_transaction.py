"""Transactional messages through the 2.x API (``TransactionMQProducer``) and asyncio
(``rocketmq.aio.TransactionProducer``) against the real broker.

The session cluster checks unresolved transactions every second (conftest.py). Absence is
proved with a marker: on a one-queue topic, a plain message sent after the transaction was
resolved arrives after anything the transaction delivered, so consuming up to the marker has
seen everything the transaction could have delivered. The test broker also offers rolled-back
half messages to the checker (docs/rocketmq-rust-broker.md), so checkers here roll back what
they do not know.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from rocketmq import aio
from rocketmq.client import (
    Message,
    Producer,
    ReceivedMessage,
    SendStatus,
    TransactionMQProducer,
    TransactionSendResult,
    TransactionStatus,
)
from rocketmq.exceptions import ProducerSendTransactionFailed

from helpers import WAIT_TIMEOUT, Inbox, LogCapture, MakeConsumer, unique
from testkit import TestCluster

pytestmark = pytest.mark.integration


def one_queue_topic(cluster: TestCluster) -> str:
    topic = unique("txn")
    cluster.create_topic(topic, queues=1)
    return topic


def message(topic: str, body: str, keys: str = "") -> Message:
    msg = Message(topic)
    msg.set_body(body)
    if keys:
        msg.set_keys(keys)
    return msg


class Checker:
    """Answers from a table by body (ROLLBACK for anything else); counts and records calls."""

    def __init__(self, answers: dict[bytes, Any] | None = None) -> None:
        self.answers = answers or {}
        self.calls: list[ReceivedMessage] = []
        self._lock = threading.Lock()

    def __call__(self, msg: ReceivedMessage) -> Any:
        with self._lock:
            self.calls.append(msg)
            n = sum(1 for m in self.calls if m.body == msg.body)
        answer = self.answers.get(msg.body, TransactionStatus.ROLLBACK)
        if callable(answer):
            return answer(n)
        return answer

    def count(self, body: bytes) -> int:
        with self._lock:
            return sum(1 for m in self.calls if m.body == body)


@pytest.fixture
def make_txn_producer(namesrv_addr: str) -> Iterator[Any]:
    made: list[TransactionMQProducer] = []

    def make(checker: Any, group: str | None = None) -> TransactionMQProducer:
        p = TransactionMQProducer(group or unique("txpg"), checker, timeout=10_000)
        p.set_name_server_address(namesrv_addr)
        p.start()
        made.append(p)
        return p

    yield make
    for p in made:
        p.shutdown()


def consume_until_marker(
    make_consumer: MakeConsumer, topic: str, marker: bytes, inbox: Inbox | None = None
) -> list[bytes]:
    """Bodies consumed from the start of ``topic`` up to and including ``marker``."""
    if inbox is None:
        inbox = Inbox()
        consumer = make_consumer()
        consumer.subscribe(topic, inbox)
        consumer.start()
    inbox.wait_for(lambda msgs: any(m.body == marker for m in msgs))
    return inbox.bodies()


def test_commit_delivered_rollback_never_unknown_committed_by_check(
    cluster: TestCluster, make_txn_producer: Any, make_consumer: MakeConsumer, producer: Producer
) -> None:
    topic = one_queue_topic(cluster)
    checker = Checker({b"unknown": TransactionStatus.COMMIT})
    p = make_txn_producer(checker)
    args = {"order": 42}  # any Python object (2.x passed ints only)
    seen_args: list[Any] = []
    seen_msgs: list[ReceivedMessage] = []

    def local(answer: TransactionStatus) -> Any:
        def execute(msg: ReceivedMessage, user_args: Any) -> TransactionStatus:
            seen_msgs.append(msg)
            seen_args.append(user_args)
            return answer

        return execute

    results: dict[str, TransactionSendResult] = {}
    for body, answer in [
        ("commit", TransactionStatus.COMMIT),
        ("rollback", TransactionStatus.ROLLBACK),
        ("unknown", TransactionStatus.UNKNOWN),
    ]:
        results[body] = p.send_message_in_transaction(
            message(topic, body, keys=f"k-{body}"), local(answer), args
        )
    for body, answer in [
        ("commit", TransactionStatus.COMMIT),
        ("rollback", TransactionStatus.ROLLBACK),
        ("unknown", TransactionStatus.UNKNOWN),
    ]:
        r = results[body]
        assert isinstance(r, TransactionSendResult)
        assert r.status == SendStatus.OK
        assert r.local_state is answer
        assert r.transaction_id, "a transaction id"
        assert len(r) == 3, "still the 2.x SendResult tuple"
    assert all(a is args for a in seen_args), "user_args passed through as the same object"
    assert [m.body for m in seen_msgs] == [b"commit", b"rollback", b"unknown"]
    assert seen_msgs[0].topic == topic
    assert seen_msgs[0].keys == b"k-commit"
    assert seen_msgs[0].id == results["commit"].msg_id

    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    inbox.wait_for(lambda msgs: {b"commit", b"unknown"} <= {m.body for m in msgs})
    assert checker.count(b"unknown") >= 1, "the unknown one was committed by a check"
    checked = next(m for m in checker.calls if m.body == b"unknown")
    assert checked.keys == b"k-unknown"
    assert checked.id == results["unknown"].msg_id
    # Every transaction is resolved now: what a marker sent after them finds is all there is.
    producer.send_sync(message(topic, "marker"))
    bodies = consume_until_marker(make_consumer, topic, b"marker", inbox)
    assert b"rollback" not in bodies
    assert bodies.count(b"commit") >= 1


def test_a_raising_or_wrong_local_execute_means_unknown_then_the_check_decides(
    cluster: TestCluster,
    make_txn_producer: Any,
    make_consumer: MakeConsumer,
    rocketmq_log: LogCapture,
) -> None:
    topic = one_queue_topic(cluster)
    checker = Checker(
        {
            b"raises": TransactionStatus.COMMIT,
            b"wrong": TransactionStatus.COMMIT,
            b"interrupted": TransactionStatus.COMMIT,
        }
    )
    p = make_txn_producer(checker)

    def raises(msg: ReceivedMessage, user_args: Any) -> TransactionStatus:
        raise RuntimeError("local transaction failed")

    def wrong(msg: ReceivedMessage, user_args: Any) -> Any:
        return "yes"

    def interrupted(msg: ReceivedMessage, user_args: Any) -> TransactionStatus:
        raise KeyboardInterrupt

    # Ctrl-C in the local transaction: it ends UNKNOWN and the interrupt goes on.
    with pytest.raises(KeyboardInterrupt):
        p.send_message_in_transaction(message(topic, "interrupted"), interrupted)
    r1 = p.send_message_in_transaction(message(topic, "raises"), raises)
    r2 = p.send_message_in_transaction(message(topic, "wrong"), wrong)
    assert r1.local_state is TransactionStatus.UNKNOWN
    assert r2.local_state is TransactionStatus.UNKNOWN
    record = rocketmq_log.wait_for(
        lambda r: "local_execute" in r.getMessage() and "raised" in r.getMessage()
    )
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError
    assert record.levelno == logging.WARNING
    rocketmq_log.wait_for(
        lambda r: "'yes'" in r.getMessage() and "not a TransactionStatus" in r.getMessage()
    )
    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    inbox.wait_for(lambda msgs: {b"raises", b"wrong", b"interrupted"} <= {m.body for m in msgs})


def test_a_raising_checker_leaves_it_unresolved_and_it_is_checked_again(
    cluster: TestCluster,
    make_txn_producer: Any,
    make_consumer: MakeConsumer,
    rocketmq_log: LogCapture,
) -> None:
    topic = one_queue_topic(cluster)

    def flaky(n: int) -> TransactionStatus:
        if n == 1:
            raise ValueError("database down")
        return TransactionStatus.COMMIT

    checker = Checker({b"flaky": flaky})
    p = make_txn_producer(checker)
    p.send_message_in_transaction(message(topic, "flaky"), lambda m, a: TransactionStatus.UNKNOWN)
    record = rocketmq_log.wait_for(
        lambda r: "transaction checker" in r.getMessage() and "raised" in r.getMessage()
    )
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError
    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    inbox.wait_for(lambda msgs: any(m.body == b"flaky" for m in msgs))
    assert checker.count(b"flaky") >= 2, "checked again after the checker raised"


def test_a_checker_answering_unknown_is_asked_again_until_it_commits(
    cluster: TestCluster, make_txn_producer: Any, make_consumer: MakeConsumer
) -> None:
    topic = one_queue_topic(cluster)
    checker = Checker(
        {b"slow": lambda n: TransactionStatus.UNKNOWN if n < 3 else TransactionStatus.COMMIT}
    )
    p = make_txn_producer(checker)
    p.send_message_in_transaction(message(topic, "slow"), lambda m, a: TransactionStatus.UNKNOWN)
    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    inbox.wait_for(lambda msgs: any(m.body == b"slow" for m in msgs))
    assert checker.count(b"slow") >= 3


def test_transaction_api_errors(namesrv_addr: str, producer: Producer) -> None:
    with pytest.raises(TypeError):
        TransactionMQProducer(unique("txpg"), "not callable")  # type: ignore[arg-type]
    p = TransactionMQProducer(unique("txpg"), lambda m: TransactionStatus.COMMIT)
    with pytest.raises(ProducerSendTransactionFailed) as not_started:
        p.send_message_in_transaction(message("t", "x"), lambda m, a: TransactionStatus.COMMIT)
    assert isinstance(not_started.value, RuntimeError)
    p.set_name_server_address(namesrv_addr)
    p.start()
    try:
        delayed = message("t", "x")
        delayed.set_delay_time_level(2)
        with pytest.raises(ProducerSendTransactionFailed) as refused:
            p.send_message_in_transaction(delayed, lambda m, a: TransactionStatus.COMMIT)
        assert isinstance(refused.value, ValueError)
        with pytest.raises(TypeError):
            p.send_message_in_transaction(message("t", "x"), None)  # type: ignore[arg-type]
    finally:
        p.shutdown()
    # A plain producer has no transactions.
    with pytest.raises(ProducerSendTransactionFailed):
        producer._core.send_message_in_transaction(message("t", "x"), lambda m, a: 0, None)


# ---- a producer killed between the half message and its end -----------------------------------

# Sends one transactional message whose local transaction never returns: prints the message id,
# then waits to be killed.
KILLED_CHILD = textwrap.dedent(
    """
    import sys
    from rocketmq.client import Message, TransactionMQProducer, TransactionStatus

    namesrv, topic, group = sys.argv[1:4]
    producer = TransactionMQProducer(group, lambda msg: TransactionStatus.UNKNOWN)
    producer.set_name_server_address(namesrv)
    producer.start()

    def local_execute(msg, user_args):
        sys.stdout.write("half " + msg.id + "\\n")
        sys.stdout.flush()
        sys.stdin.read()  # until killed
        return TransactionStatus.ROLLBACK

    msg = Message(topic)
    msg.set_body(b"orphan")
    producer.send_message_in_transaction(msg, local_execute)
    """
)


def test_the_check_reaches_a_new_producer_of_the_group_after_the_first_was_killed(
    cluster: TestCluster, make_txn_producer: Any, make_consumer: MakeConsumer
) -> None:
    topic = one_queue_topic(cluster)
    group = unique("txpg_kill")
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, cluster.namesrv_addr, topic, group],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    try:
        line = lines.get(timeout=WAIT_TIMEOUT)
        assert line.startswith("half "), line
        msg_id = line.split()[1]
    finally:
        proc.kill()  # SIGKILL: no shutdown, no END_TRANSACTION
        proc.wait(timeout=WAIT_TIMEOUT)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()
    assert proc.returncode == -9

    checker = Checker({b"orphan": TransactionStatus.COMMIT})
    p = make_txn_producer(checker, group)
    # Its first send fetches the route, which greets the broker with the group's heartbeat.
    p.send_sync(message(topic, "hello"))
    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    inbox.wait_for(lambda msgs: any(m.body == b"orphan" for m in msgs))
    assert any(m.id == msg_id for m in checker.calls), "the new producer was asked"
    delivered = next(m for m in inbox.snapshot() if m.body == b"orphan")
    assert delivered.id == msg_id


# ---- asyncio ---------------------------------------------------------------------------------


def test_aio_transaction_producer(
    cluster: TestCluster, namesrv_addr: str, make_consumer: MakeConsumer, producer: Producer
) -> None:
    topic = one_queue_topic(cluster)
    checks: list[bytes] = []
    threads: list[int] = []

    async def main() -> dict[str, Any]:
        loop_thread = threading.get_ident()

        async def check(msg: ReceivedMessage) -> TransactionStatus:
            threads.append(threading.get_ident())
            checks.append(msg.body)
            await asyncio.sleep(0)
            return (
                TransactionStatus.COMMIT if msg.body == b"unknown" else TransactionStatus.ROLLBACK
            )

        async def local(msg: ReceivedMessage, user_args: Any) -> TransactionStatus:
            threads.append(threading.get_ident())
            await asyncio.sleep(0.01)
            return user_args  # type: ignore[no-any-return]

        def plain_local(msg: ReceivedMessage, user_args: Any) -> TransactionStatus:
            return TransactionStatus.COMMIT

        async def raising(msg: ReceivedMessage, user_args: Any) -> TransactionStatus:
            raise RuntimeError("boom")

        out: dict[str, Any] = {}
        async with aio.TransactionProducer(
            unique("txpg"), check, namesrv_addr=namesrv_addr, send_timeout_ms=10_000
        ) as p:
            out["results"] = await asyncio.gather(
                p.send_message_in_transaction(
                    message(topic, "commit"), local, TransactionStatus.COMMIT
                ),
                p.send_message_in_transaction(
                    message(topic, "rollback"), local, TransactionStatus.ROLLBACK
                ),
                p.send_message_in_transaction(
                    message(topic, "unknown"), local, TransactionStatus.UNKNOWN
                ),
                p.send_message_in_transaction(message(topic, "plain"), plain_local),
                p.send_message_in_transaction(message(topic, "raising"), raising),
            )
            inbox = Inbox()
            consumer = make_consumer()
            consumer.subscribe(topic, inbox)
            consumer.start()
            deadline = loop_time = asyncio.get_running_loop().time() + WAIT_TIMEOUT
            while b"unknown" not in inbox.bodies():
                loop_time = asyncio.get_running_loop().time()
                assert loop_time < deadline, f"not committed by the check: {inbox.bodies()}"
                await asyncio.sleep(0.05)
            out["inbox"] = inbox
        out["loop_thread"] = loop_thread
        return out

    out = asyncio.run(main())
    states = [r.local_state for r in out["results"]]
    assert states == [
        TransactionStatus.COMMIT,
        TransactionStatus.ROLLBACK,
        TransactionStatus.UNKNOWN,
        TransactionStatus.COMMIT,
        TransactionStatus.UNKNOWN,
    ]
    assert b"unknown" in checks
    assert set(threads) == {out["loop_thread"]}, "callbacks ran on the event loop"
    producer.send_sync(message(topic, "marker"))
    bodies = consume_until_marker(make_consumer, topic, b"marker", out["inbox"])
    assert {b"commit", b"plain", b"unknown"} <= set(bodies)
    assert b"rollback" not in bodies
