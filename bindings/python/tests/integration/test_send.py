"""Producer against a real name server + broker (session cluster from conftest)."""

from __future__ import annotations

import copy
import pickle
import re
import threading
import time

import pytest

from rocketmq import exceptions as exc
from rocketmq.client import Message, Producer, SendResult, SendStatus, hashing_queue_selector
from rocketmq.consts import MessageProperty

from helpers import WAIT_TIMEOUT, Inbox, LogCapture, MakeConsumer, unique
from testkit import TestCluster

pytestmark = pytest.mark.integration

HEX32 = re.compile(r"^[0-9A-F]{32}$")


def message(topic: str, body: bytes | str = b"hello", **props: str) -> Message:
    msg = Message(topic)
    msg.set_body(body)
    for k, v in props.items():
        msg.set_property(k, v)
    return msg


def assert_ok(result: SendResult, topic: str) -> None:
    assert isinstance(result, SendResult)
    assert result.status is SendStatus.OK
    assert HEX32.match(result.msg_id), result.msg_id
    assert HEX32.match(result.offset_msg_id), result.offset_msg_id
    assert result.topic == topic
    assert 0 <= result.queue_id < 4
    assert result.broker_name == "broker-0"
    assert result.offset >= 0
    assert result.queue_offset == result.offset


def test_send_sync(producer: Producer, topic: str) -> None:
    msg = message(topic, "héllo")
    msg.set_keys("order-1")
    msg.set_tags("TagA")
    result = producer.send_sync(msg)
    assert_ok(result, topic)
    status, msg_id, offset = result
    assert (status, msg_id, offset) == (result.status, result.msg_id, result.offset)


def test_send_result_is_the_same_object_its_class_builds(producer: Producer, topic: str) -> None:
    # The native side builds SendResult without running its Python __new__ (speed, #13).
    result = producer.send_sync(message(topic))
    built = SendResult(
        result.status,
        result.msg_id,
        result.offset,
        result.offset_msg_id,
        result.queue_id,
        result.broker_name,
        result.topic,
        result.transaction_id,
    )
    assert type(result) is SendResult
    assert result == built
    assert len(result) == 3
    assert vars(result) == vars(built)
    assert repr(result) == repr(built)
    assert pickle.loads(pickle.dumps(result)) == result
    assert vars(pickle.loads(pickle.dumps(result))) == vars(result)
    assert vars(copy.copy(result)) == vars(result)


def test_msg_ids_are_unique(producer: Producer, topic: str) -> None:
    ids = {producer.send_sync(message(topic)).msg_id for _ in range(20)}
    assert len(ids) == 20


def test_binary_body_with_nul_bytes(producer: Producer, topic: str) -> None:
    body = b"\x00\x01\x02\x00" + bytes(range(256)) + b"\x00end\x00"
    key = unique("k")
    first = producer.send_orderly_with_sharding_key(message(topic, body), key)
    second = producer.send_orderly_with_sharding_key(message(topic, body), key)
    assert_ok(first, topic)
    assert_ok(second, topic)
    assert second.queue_id == first.queue_id
    assert second.offset == first.offset + 1
    # The broker stored the whole body: consecutive commit-log positions differ by more than
    # the body (2.x would have sent 0 bytes of it, truncating at the first NUL).
    stored = int(second.offset_msg_id[16:], 16) - int(first.offset_msg_id[16:], 16)
    assert stored > len(body), stored


def test_large_body_is_compressed_and_sent(producer: Producer, topic: str) -> None:
    assert_ok(producer.send_sync(message(topic, b"\x00abc" * 50_000)), topic)


def test_send_oneway(producer: Producer, topic: str) -> None:
    for _ in range(5):
        assert producer.send_oneway(message(topic)) is None
    # Later sends on the same connection still work.
    assert_ok(producer.send_sync(message(topic)), topic)


def test_send_batch(producer: Producer, topic: str) -> None:
    msgs = [message(topic, f"m{i}".encode()) for i in range(10)]
    result = producer.send_batch(msgs)
    assert result.status is SendStatus.OK
    ids = result.msg_id.split(",")
    assert len(ids) == 10
    assert all(HEX32.match(i) for i in ids)
    assert len(set(ids)) == 10
    after = producer.send_orderly(message(topic), result.queue_id, lambda n, m, a: a)
    assert after.queue_id == result.queue_id
    assert after.offset == result.offset + 10


def test_send_batch_of_mixed_topics_is_invalid(producer: Producer, topic: str) -> None:
    with pytest.raises(exc.ProducerSendSyncInvalidMessage):
        producer.send_batch([message(topic), message(unique("other"))])


def test_send_async_success(producer: Producer, topic: str) -> None:
    results: list[SendResult] = []
    errors: list[BaseException] = []
    done = threading.Semaphore(0)

    def ok(r: SendResult) -> None:
        results.append(r)
        done.release()

    def failed(e: BaseException) -> None:
        errors.append(e)
        done.release()

    for i in range(20):
        producer.send_async(message(topic, f"async-{i}"), ok, failed)
    for _ in range(20):
        assert done.acquire(timeout=WAIT_TIMEOUT)
    assert errors == []
    assert len({r.msg_id for r in results}) == 20
    for r in results:
        assert_ok(r, topic)


def test_message_changed_after_send_async_is_sent_as_it_was(
    producer: Producer, topic: str, make_consumer: MakeConsumer
) -> None:
    # A send shares the message instead of copying it; a setter called while the send is in
    # flight must copy it first, so the broker gets the message as it was at the call.
    msg = message(topic, b"as sent", color="red")
    outcome: list[object] = []
    done = threading.Event()

    def finish(value: object) -> None:
        outcome.append(value)
        done.set()

    producer.send_async(msg, finish, finish)
    msg.set_body(b"changed")
    msg.set_property("color", "blue")
    assert (msg.body, msg.get_property("color")) == (b"changed", "blue")
    assert done.wait(WAIT_TIMEOUT)
    sent = outcome[0]
    assert isinstance(sent, SendResult), sent
    inbox = Inbox()
    consumer = make_consumer()
    consumer.subscribe(topic, inbox)
    consumer.start()
    got = inbox.wait_for(lambda msgs: any(m.id == sent.msg_id for m in msgs))
    received = next(m for m in got if m.id == sent.msg_id)
    assert received.body == b"as sent"
    assert received.get_property("color") == b"red"


def test_raising_success_callback_is_logged(
    producer: Producer, topic: str, rocketmq_log: LogCapture
) -> None:
    def boom(result: SendResult) -> None:
        raise ValueError("callback bug")

    producer.send_async(message(topic), boom, None)
    record = rocketmq_log.wait_for(lambda r: r.exc_info is not None)
    assert "success_callback" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)
    # The producer and the callback thread are fine.
    again = threading.Event()
    producer.send_async(message(topic), lambda r: again.set(), None)
    assert again.wait(WAIT_TIMEOUT)
    assert_ok(producer.send_sync(message(topic)), topic)


def test_send_orderly_with_selector(producer: Producer, topic: str) -> None:
    calls: list[tuple[int, Message, object]] = []

    def selector(mq_size: int, msg: Message, arg: object) -> int:
        calls.append((mq_size, msg, arg))
        assert threading.current_thread() is threading.main_thread()
        return 2

    msg = message(topic)
    result = producer.send_orderly(msg, "my-arg", selector)
    assert_ok(result, topic)
    assert result.queue_id == 2
    assert calls == [(4, msg, "my-arg")]


def test_send_orderly_default_selector_matches_sharding_key(producer: Producer, topic: str) -> None:
    key = unique("order")
    by_selector = producer.send_orderly(message(topic), key)
    by_key = producer.send_orderly_with_sharding_key(message(topic), key)
    assert by_selector.queue_id == by_key.queue_id == hashing_queue_selector(4, message(topic), key)
    assert producer.send_orderly(message(topic), 7).queue_id == 3


def test_send_orderly_accepts_the_05_argument_order(producer: Producer, topic: str) -> None:
    result = producer.send_orderly(message(topic), 1, 3, lambda n, m, a: a)  # type: ignore[arg-type]
    assert result.queue_id == 1


def test_selector_errors(producer: Producer, topic: str) -> None:
    with pytest.raises(exc.ProducerSendOrderlyInvalidMessage, match="returned 4"):
        producer.send_orderly(message(topic), None, lambda n, m, a: n)
    with pytest.raises(ValueError):  # noqa: PT011
        producer.send_orderly(message(topic), None, lambda n, m, a: -1)
    with pytest.raises(TypeError, match="must return an int"):
        producer.send_orderly(message(topic), None, lambda n, m, a: "0")  # type: ignore[arg-type,return-value]

    class SelectorBug(Exception):
        pass

    def raising(n: int, m: Message, a: object) -> int:
        raise SelectorBug

    with pytest.raises(SelectorBug):
        producer.send_orderly(message(topic), None, raising)


def test_same_sharding_key_same_queue(producer: Producer, topic: str) -> None:
    for key in (unique("a"), unique("b"), unique("c")):
        results = [producer.send_orderly_with_sharding_key(message(topic), key) for _ in range(5)]
        assert len({r.queue_id for r in results}) == 1
        offsets = [r.offset for r in results]
        assert offsets == list(range(offsets[0], offsets[0] + 5))


def test_orderly_flag_is_not_required(namesrv_addr: str, topic: str) -> None:
    for orderly in (True, False):
        p = Producer(unique("pg"), orderly)
        p.set_name_server_address(namesrv_addr)
        with p:
            assert_ok(p.send_orderly_with_sharding_key(message(topic), "k"), topic)


def test_delay_level(producer: Producer, topic: str) -> None:
    msg = message(topic)
    msg.set_delay_time_level(1)
    result = producer.send_sync(msg)
    assert result.status is SendStatus.OK
    assert msg.get_property(MessageProperty.DELAY_TIME_LEVEL) == "1"


def test_delivery_time(producer: Producer, topic: str) -> None:
    msg = message(topic)
    deliver_at = int(time.time() * 1000) + 2_000
    msg.set_delivery_time_ms(deliver_at)
    assert producer.send_sync(msg).status is SendStatus.OK
    assert msg.delivery_time_ms == deliver_at


def test_properties_keys_and_tags(producer: Producer, topic: str) -> None:
    msg = message(topic, color="red", size="XL")
    msg.set_keys(["k1", "k2"])
    msg.set_tags("TagB")
    assert_ok(producer.send_sync(msg), topic)


def test_oversized_body_is_refused_before_sending(namesrv_addr: str, topic: str) -> None:
    p = Producer(unique("pg"), max_message_size=100)
    p.set_name_server_address(namesrv_addr)
    with p:
        with pytest.raises(exc.ProducerSendSyncInvalidMessage):
            p.send_sync(message(topic, b"x" * 101))
        assert_ok(p.send_sync(message(topic, b"x" * 100)), topic)


def test_send_with_explicit_timeout(producer: Producer, topic: str) -> None:
    result = producer._core.send(message(topic), 5_000)
    assert_ok(result, topic)


def test_two_producers_in_one_process(namesrv_addr: str, topic: str) -> None:
    a, b = Producer(unique("pg")), Producer(unique("pg"))
    for p in (a, b):
        p.set_name_server_address(namesrv_addr)
        p.start()
    try:
        assert a.client_id != b.client_id
        assert_ok(a.send_sync(message(topic)), topic)
        assert_ok(b.send_sync(message(topic)), topic)
    finally:
        a.shutdown()
        b.shutdown()


def test_concurrent_threads_share_a_producer(producer: Producer, topic: str) -> None:
    results: list[SendResult] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(25):
            r = producer.send_sync(message(topic))
            with lock:
                results.append(r)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_TIMEOUT * 3)
        assert not t.is_alive()
    assert len(results) == 100
    assert len({r.msg_id for r in results}) == 100
    seen = {(r.queue_id, r.offset) for r in results}
    assert len(seen) == 100, "two OK sends reported the same queue offset"


def test_topic_created_on_the_fly_by_testkit(cluster: TestCluster, producer: Producer) -> None:
    name = unique("fresh")
    cluster.create_topic(name, queues=2)
    result = producer.send_sync(message(name))
    assert result.status is SendStatus.OK
    assert result.queue_id in (0, 1)
