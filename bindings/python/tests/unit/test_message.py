"""Message: 2.x setters, read access, type checks; no broker."""

from __future__ import annotations

import pytest

from rocketmq.client import Message
from rocketmq.consts import MessageProperty
from rocketmq.exceptions import InvalidMessageError, RocketMQException


def test_defaults() -> None:
    msg = Message("TopicA")
    assert msg.topic == "TopicA"
    assert msg.body == b""
    assert msg.tags is None
    assert msg.keys is None
    assert msg.delay_time_level == 0
    assert msg.delivery_time_ms is None
    assert msg.get_property("color") is None
    assert msg.get_property(MessageProperty.WAIT_STORE_MSG_OK) == "true"


def test_topic_as_bytes() -> None:
    assert Message(b"TopicB").topic == "TopicB"


@pytest.mark.parametrize("topic", [None, 3, ["t"]])
def test_topic_type_is_checked(topic: object) -> None:
    with pytest.raises(TypeError):
        Message(topic)  # type: ignore[arg-type]


def test_setters_and_getters() -> None:
    msg = Message("T")
    msg.set_keys("k1 k2")
    msg.set_tags("TagA")
    msg.set_body("héllo")
    msg.set_property("color", "red")
    msg.set_delay_time_level(3)
    msg.set_delivery_time_ms(1_900_000_000_000)
    assert msg.keys == "k1 k2"
    assert msg.tags == "TagA"
    assert msg.body == "héllo".encode()
    assert msg.get_property("color") == "red"
    assert msg.get_property(MessageProperty.KEYS) == "k1 k2"
    assert msg.get_property(MessageProperty.TAGS) == "TagA"
    assert msg.delay_time_level == 3
    assert msg.get_property(MessageProperty.DELAY_TIME_LEVEL) == "3"
    assert msg.delivery_time_ms == 1_900_000_000_000
    assert msg.get_property(MessageProperty.TIMER_DELIVER_MS) == "1900000000000"
    props = msg.properties
    assert props["color"] == "red"
    assert props["KEYS"] == "k1 k2"
    props["color"] = "blue"  # a copy
    assert msg.get_property("color") == "red"


def test_bytes_arguments_like_2x() -> None:
    msg = Message("T")
    msg.set_keys(b"k1")
    msg.set_tags(b"TagB")
    msg.set_property(b"size", b"XL")
    assert (msg.keys, msg.tags, msg.get_property("size")) == ("k1", "TagB", "XL")


def test_keys_from_a_list() -> None:
    msg = Message("T")
    msg.set_keys(["a", "b", "c"])
    assert msg.keys == "a b c"
    msg.set_keys(("x",))
    assert msg.keys == "x"


def test_empty_tag_clears() -> None:
    msg = Message("T")
    msg.set_tags("A")
    msg.set_tags("")
    assert msg.tags is None


def test_binary_body_keeps_nul_bytes() -> None:
    body = bytes(range(256)) * 4 + b"\x00\x00tail\x00"
    msg = Message("T")
    msg.set_body(body)
    assert msg.body == body
    assert len(msg.body) == len(body)
    msg.set_body(bytearray(b"\x00a\x00"))
    assert msg.body == b"\x00a\x00"


@pytest.mark.parametrize("body", [None, 1, 1.5, ["a"], {"a": 1}, object()])
def test_body_type_is_checked(body: object) -> None:
    msg = Message("T")
    with pytest.raises(TypeError, match="body must be bytes"):
        msg.set_body(body)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, 3])
def test_text_types_are_checked(value: object) -> None:
    msg = Message("T")
    with pytest.raises(TypeError):
        msg.set_keys(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        msg.set_tags(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        msg.set_property("k", value)  # type: ignore[arg-type]


def test_invalid_utf8_bytes() -> None:
    with pytest.raises(ValueError, match="UTF-8"):
        Message("T").set_tags(b"\xff\xfe")


@pytest.mark.parametrize(
    ("key", "value"), [("", "v"), ("k", ""), ("  ", "v"), ("k", "a\x01b"), ("a\x02", "v")]
)
def test_invalid_properties(key: str, value: str) -> None:
    with pytest.raises(InvalidMessageError) as info:
        Message("T").set_property(key, value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, RocketMQException)
    assert info.value.kind == "invalid_message"


def test_negative_delay_level() -> None:
    with pytest.raises(InvalidMessageError):
        Message("T").set_delay_time_level(-1)
    msg = Message("T")
    msg.set_delay_time_level(2)
    msg.set_delay_time_level(0)
    assert msg.delay_time_level == 0


def test_invalid_delivery_time() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the class is InvalidMessageError
        Message("T").set_delivery_time_ms(0)


def test_repr_never_shows_the_body() -> None:
    msg = Message("T")
    msg.set_body(b"secret-payload")
    text = repr(msg)
    assert "secret" not in text
    assert "14 bytes" in text
    assert text.startswith("<Message topic='T' tags=None keys=None")


def test_subclassable() -> None:
    class OrderMessage(Message):
        def __init__(self, topic: str, order_id: int) -> None:
            self.order_id = order_id
            self.set_keys(str(order_id))

    msg = OrderMessage("Orders", 42)
    assert isinstance(msg, Message)
    assert msg.topic == "Orders"
    assert msg.keys == "42"
    assert msg.order_id == 42
    assert repr(msg).startswith("<OrderMessage ")


def test_subclass_calling_super_init() -> None:
    class Tagged(Message):
        def __init__(self, topic: str, tag: str) -> None:
            super().__init__(topic)
            self.set_tags(tag)

    msg = Tagged("T", "TagA")
    assert (msg.topic, msg.tags) == ("T", "TagA")


def test_base_class_rejects_extra_arguments() -> None:
    with pytest.raises(TypeError):
        Message("T", "extra")  # type: ignore[call-arg]


def test_module_name() -> None:
    assert Message.__module__ == "rocketmq.client"
