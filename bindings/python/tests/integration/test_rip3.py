"""rocketmq.rip3 against the real broker: the proposal's own example flow (create, set the
address, start, send, consume, shut down, destroy), as sample/testProducer.py and
sample/testConsumer.py of librocketmqclientpython 1.x wrote it."""

from __future__ import annotations

import threading

import pytest

from rocketmq.rip3 import (
    CConsumeStatus,
    CMessageExt,
    CreateMessage,
    CreateProducer,
    CreatePushConsumer,
    CSendStatus,
    CStatus,
    DestroyMessage,
    DestroyProducer,
    DestroyPushConsumer,
    GetMessageBody,
    GetMessageId,
    GetMessageKeys,
    GetMessageProperty,
    GetMessageTags,
    GetMessageTopic,
    RegisterMessageCallback,
    SendMessageOneway,
    SendMessageSync,
    SetMessageBody,
    SetMessageKeys,
    SetMessageProperty,
    SetMessageTags,
    SetProducerNameServerAddress,
    SetPushConsumerMessageBatchMaxSize,
    SetPushConsumerNameServerAddress,
    SetPushConsumerThreadCount,
    ShutdownProducer,
    ShutdownPushConsumer,
    StartProducer,
    StartPushConsumer,
    Subscribe,
)

from helpers import WAIT_TIMEOUT, unique

pytestmark = pytest.mark.integration


def test_the_proposal_example_flow(namesrv_addr: str, topic: str) -> None:
    # ---- producer (sample/testProducer.py) ----
    producer = CreateProducer(unique("rip3_pg"))
    assert SetProducerNameServerAddress(producer, namesrv_addr) == CStatus.OK
    assert StartProducer(producer) == CStatus.OK
    sent = {}
    for i in range(3):
        msg = CreateMessage(topic)
        assert SetMessageBody(msg, f"body-{i}\x00tail") == CStatus.OK
        assert SetMessageKeys(msg, f"key-{i}") == CStatus.OK
        assert SetMessageTags(msg, "ThisMessageTag") == CStatus.OK
        assert SetMessageProperty(msg, "seq", str(i)) == CStatus.OK
        result = SendMessageSync(producer, msg)
        assert result.sendStatus == CSendStatus.E_SEND_OK
        assert result.offset >= 0
        assert len(result.GetMsgId()) == 32
        sent[result.GetMsgId()] = i
        assert DestroyMessage(msg) == CStatus.OK
    oneway = CreateMessage(topic)
    SetMessageBody(oneway, "oneway")
    assert SendMessageOneway(producer, oneway) == CStatus.OK
    DestroyMessage(oneway)
    assert ShutdownProducer(producer) == CStatus.OK
    assert DestroyProducer(producer) == CStatus.OK

    # ---- consumer (sample/testConsumer.py) ----
    got: dict[str, tuple[object, ...]] = {}
    done = threading.Event()
    failed_once: set[str] = set()

    def consumer_message(msg: CMessageExt) -> int:
        msg_id = GetMessageId(msg)
        assert msg_id is not None
        if GetMessageProperty(msg, "seq") == "1" and msg_id not in failed_once:
            failed_once.add(msg_id)  # 1.x: E_RECONSUME_LATER means "again later"
            return CConsumeStatus.E_RECONSUME_LATER
        got[msg_id] = (
            GetMessageTopic(msg),
            GetMessageTags(msg),
            GetMessageKeys(msg),
            GetMessageBody(msg),
            GetMessageProperty(msg, "seq"),
        )
        if len(got) >= 4:
            done.set()
        return CConsumeStatus.E_CONSUME_SUCCESS

    consumer = CreatePushConsumer(unique("rip3_cg"))
    assert SetPushConsumerNameServerAddress(consumer, namesrv_addr) == CStatus.OK
    assert SetPushConsumerThreadCount(consumer, 1) == CStatus.OK
    assert SetPushConsumerMessageBatchMaxSize(consumer, 1) == CStatus.OK
    assert Subscribe(consumer, topic, "*") == CStatus.OK
    assert RegisterMessageCallback(consumer, consumer_message) == CStatus.OK
    assert StartPushConsumer(consumer) == CStatus.OK
    try:
        assert Subscribe(consumer, topic, "*") == CStatus.NOT_SUPPORT_NOW
        # The rejected message comes back through the retry topic (10 s later by default).
        assert done.wait(WAIT_TIMEOUT + 15), f"consumed {len(got)} of 4"
    finally:
        assert ShutdownPushConsumer(consumer) == CStatus.OK
        assert DestroyPushConsumer(consumer) == CStatus.OK
    assert DestroyPushConsumer(consumer) == CStatus.NULL_POINTER

    for msg_id, i in sent.items():
        assert got[msg_id] == (
            topic,
            "ThisMessageTag",
            f"key-{i}",
            f"body-{i}\x00tail".encode(),
            str(i),
        )
    assert len(failed_once) == 1
    assert [v[3] for v in got.values()].count(b"oneway") == 1
