"""SendResult / SendStatus compatibility with 2.x, and the default queue selector."""

from __future__ import annotations

import pickle

from rocketmq.client import (
    Message,
    SendResult,
    SendStatus,
    TransactionSendResult,
    TransactionStatus,
    hashing_queue_selector,
)


def test_send_status_values() -> None:
    assert [(s.name, int(s)) for s in SendStatus] == [
        ("OK", 0),
        ("FLUSH_DISK_TIMEOUT", 1),
        ("FLUSH_SLAVE_TIMEOUT", 2),
        ("SLAVE_NOT_AVAILABLE", 3),
    ]


def make() -> SendResult:
    return SendResult(SendStatus.OK, "A" * 32, 7, "B" * 32, 2, "broker-a", "T", None)


def test_send_result_is_the_2x_namedtuple() -> None:
    r = make()
    assert isinstance(r, tuple)
    assert len(r) == 3
    status, msg_id, offset = r
    assert (status, msg_id, offset) == (SendStatus.OK, "A" * 32, 7)
    assert r[0] is SendStatus.OK
    assert r[1] == "A" * 32
    assert r[2] == 7
    assert r == (SendStatus.OK, "A" * 32, 7)
    assert r._fields == ("status", "msg_id", "offset")
    assert r._asdict() == {"status": SendStatus.OK, "msg_id": "A" * 32, "offset": 7}
    assert (r.status, r.msg_id, r.offset) == (SendStatus.OK, "A" * 32, 7)


def test_send_result_extra_attributes() -> None:
    r = make()
    assert r.offset_msg_id == "B" * 32
    assert r.queue_id == 2
    assert r.broker_name == "broker-a"
    assert r.topic == "T"
    assert r.queue_offset == 7
    assert r.transaction_id is None
    assert "broker-a" in repr(r)


def test_send_result_pickles() -> None:
    r = make()
    copy = pickle.loads(pickle.dumps(r))
    assert copy == r
    assert copy.queue_id == 2
    assert copy.broker_name == "broker-a"


def test_transaction_status_values_are_2x() -> None:
    assert [(s.name, int(s)) for s in TransactionStatus] == [
        ("COMMIT", 0),
        ("ROLLBACK", 1),
        ("UNKNOWN", 2),
    ]


def test_transaction_send_result() -> None:
    r = TransactionSendResult(
        SendStatus.OK, "A" * 32, 7, "B" * 32, 2, "b", "T", "TX1", TransactionStatus.COMMIT
    )
    assert isinstance(r, SendResult)
    assert tuple(r) == (SendStatus.OK, "A" * 32, 7)
    assert r.transaction_id == "TX1"
    assert r.local_state is TransactionStatus.COMMIT
    assert "local_state=<TransactionStatus.COMMIT: 0>" in repr(r)
    copy = pickle.loads(pickle.dumps(r))
    assert copy.local_state is TransactionStatus.COMMIT
    assert copy.transaction_id == "TX1"


def test_hashing_queue_selector() -> None:
    msg = Message("T")
    assert hashing_queue_selector(4, msg, 5) == 1
    assert hashing_queue_selector(4, msg, -1) == 3
    # Java: "TagA".hashCode() = 2598919, % 4 = 3 (same queue as send_orderly_with_sharding_key).
    assert hashing_queue_selector(4, msg, "TagA") == 3
    assert hashing_queue_selector(4, msg, b"TagA") == 3
    for arg in ["order-1", "ключ", "", ("tuple", 1), 3.5]:
        assert 0 <= hashing_queue_selector(7, msg, arg) < 7
