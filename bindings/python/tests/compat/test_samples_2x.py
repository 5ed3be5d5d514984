"""2.x and 0.5-era user code, run unchanged against the test cluster."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, NoReturn

import pytest
import sample_producer_2x

from helpers import WAIT_TIMEOUT, unique
from testkit import TestCluster

from rocketmq.client import Message, Producer, PushConsumer, SendStatus

pytestmark = [pytest.mark.compat, pytest.mark.integration]

# README.md of rocketmq-client-python v2.0.0 ("Producer" example), verbatim.
README_2X = """\
from rocketmq.client import Producer, Message

producer = Producer('PID-XXX')
producer.set_name_server_address('127.0.0.1:9876')
producer.start()

msg = Message('YOUR-TOPIC')
msg.set_keys('XXX')
msg.set_tags('XXX')
msg.set_body('XXXX')
ret = producer.send_sync(msg)
print(ret.status, ret.msg_id, ret.offset)
producer.shutdown()
"""

# 0.5.x-style code (rocketmq-client-python 0.5 / messense rocketmq 0.4): the 0.x setter names,
# send_async with callbacks and send_orderly with a queue selector, all removed in 2.0.
STYLE_05 = """\
import threading
from rocketmq.client import Producer, Message

done = threading.Event()
results = []

def on_success(result):
    results.append(result)
    done.set()

def on_exception(exc):
    results.append(exc)
    done.set()

def selector(mq_size, msg, arg):
    return arg % mq_size

producer = Producer('PID-XXX')
producer.set_namesrv_addr('127.0.0.1:9876')
producer.start()
msg = Message('YOUR-TOPIC')
msg.set_keys('XXX')
msg.set_tags('XXX')
msg.set_body('XXXX')
producer.send_async(msg, on_success, on_exception)
ordered = producer.send_orderly(msg, 5, queue_selector=selector)
ret = producer.send_sync(msg)
"""


def configure(source: str, cluster: TestCluster, topic: str, group: str) -> str:
    return (
        source.replace("127.0.0.1:9876", cluster.namesrv_addr)
        .replace("'YOUR-TOPIC'", repr(topic))
        .replace("'PID-XXX'", repr(group))
    )


def test_samples_producer(cluster: TestCluster, topic: str, capsys: pytest.CaptureFixture[str]) -> None:
    sample_producer_2x.topic = topic
    sample_producer_2x.gid = unique("test")
    sample_producer_2x.name_srv = cluster.namesrv_addr
    sample_producer_2x.send_message_sync(3)
    sample_producer_2x.send_orderly_with_sharding_key(3)
    out = capsys.readouterr().out
    # str(IntEnum) is "SendStatus.OK" before Python 3.11 and "0" since: whatever the stdlib says.
    assert out.count(f"send message status: {SendStatus.OK} msgId: ") == 6
    assert "send sync message done" in out
    assert "send sync order message done" in out


def test_readme_2x(cluster: TestCluster, topic: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(configure(README_2X, cluster, topic, unique("pid")), {})
    out = capsys.readouterr().out
    assert out.startswith(f"{SendStatus.OK} ")
    assert len(out.split()[1]) == 32


def test_style_05(cluster: TestCluster, topic: str) -> None:
    scope: dict[str, object] = {}
    exec(configure(STYLE_05, cluster, topic, unique("pid")), scope)
    try:
        done = scope["done"]
        assert isinstance(done, threading.Event)
        assert done.wait(WAIT_TIMEOUT)
        results = scope["results"]
        assert isinstance(results, list)
        assert [type(r).__name__ for r in results] == ["SendResult"]
        assert scope["ordered"].queue_id == 1  # type: ignore[attr-defined]
        assert scope["ret"].status == 0  # type: ignore[attr-defined]
    finally:
        scope["producer"].shutdown()  # type: ignore[attr-defined]


class StopSample(Exception):
    """Raised by the fake ``time.sleep`` to leave the sample's ``while True`` loop."""


def test_samples_consumer(
    cluster: TestCluster, topic: str, producer: Producer, capsys: pytest.CaptureFixture[str]
) -> None:
    source = Path(__file__).with_name("sample_consumer_2x.py").read_text(encoding="utf-8")
    source = (
        source.replace("'127.0.0.1:9876'", repr(cluster.namesrv_addr))
        .replace("'TopicTest'", repr(topic))
        .replace("'consumer_group'", repr(unique("consumer_group")))
    )
    scope: dict[str, Any] = {"__name__": "sample_consumer_2x"}
    exec(compile(source, "sample_consumer_2x.py", "exec"), scope)
    printed = threading.Event()
    sample_callback = scope["callback"]

    def callback(msg: Any) -> Any:
        result = sample_callback(msg)
        printed.set()
        return result

    class FakeTime:
        @staticmethod
        def sleep(seconds: float) -> NoReturn:
            msg = Message(topic)
            msg.set_body("sample body")
            msg.set_property("property", "test")
            producer.send_sync(msg)
            assert printed.wait(WAIT_TIMEOUT)
            raise StopSample

    scope["callback"] = callback
    scope["time"] = FakeTime
    with pytest.raises(StopSample) as info:
        scope["start_consume_message"]()
    tb = info.value.__traceback__
    consumers = []
    while tb is not None:
        consumers += [v for v in tb.tb_frame.f_locals.values() if isinstance(v, PushConsumer)]
        tb = tb.tb_next
    assert len(consumers) == 1
    consumers[0].shutdown()
    out = capsys.readouterr().out
    assert out.startswith("start consume message\n")
    line = out.splitlines()[1]
    msg_id, rest = line.split(" ", 1)
    assert len(msg_id) == 32
    assert rest == "b'sample body' b'test'"
