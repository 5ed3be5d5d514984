"""Message properties as OpenTelemetry carriers, and the span attributes read from messages.

Follows the OpenTelemetry semantic conventions for messaging (open-telemetry/
semantic-conventions ``docs/messaging/messaging-spans.md``, ``messaging-metrics.md``,
``rocketmq.md``).
"""

from __future__ import annotations

from typing import Any

from opentelemetry.propagators.textmap import Getter, Setter

from .._rocketmq import Message, ReceivedMessage

Attributes = dict[str, Any]
TRACEPARENT = "traceparent"


class _PropertyGetter(Getter[Any]):
    """Reads propagation fields from a received message's properties (bytes values)."""

    def get(self, carrier: Any, key: str) -> list[str] | None:
        value = carrier.get_property(key)
        if value is None:
            return None
        return [value.decode("utf-8", "replace") if isinstance(value, bytes) else value]

    def keys(self, carrier: Any) -> list[str]:
        return list(carrier.properties)


class _PropertySetter(Setter[Message]):
    def set(self, carrier: Message, key: str, value: str) -> None:
        if key and value:
            carrier.set_property(key, value)


_GETTER = _PropertyGetter()
_SETTER = _PropertySetter()


# ---- attributes -------------------------------------------------------------------------------


def _split_addr(addr: str) -> tuple[str, int] | None:
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def _store_host(offset_msg_id: str) -> tuple[str, int] | None:
    """The broker address inside an offset message id (Java ``MessageDecoder.decodeMessageId``:
    IPv4 4 + port 4 + offset 8 bytes, IPv6 16 + 4 + 8, hex)."""
    try:
        raw = bytes.fromhex(offset_msg_id)
    except ValueError:
        return None
    if len(raw) == 16:
        ip = ".".join(str(b) for b in raw[:4])
        return ip, int.from_bytes(raw[4:8], "big")
    if len(raw) == 28:
        words = (raw[i : i + 2].hex() for i in range(0, 16, 2))
        return ":".join(words), int.from_bytes(raw[16:20], "big")
    return None


def _message_attributes(msg: Message, attrs: Attributes) -> None:
    tags = msg.tags
    if tags:
        attrs["messaging.rocketmq.message.tag"] = tags
    keys = msg.keys
    if keys:
        attrs["messaging.rocketmq.message.keys"] = keys.split()
    level = msg.delay_time_level
    delivery = msg.delivery_time_ms
    if level > 0:
        attrs["messaging.rocketmq.message.type"] = "delay"
        attrs["messaging.rocketmq.message.delay_time_level"] = level
    elif delivery is not None:
        attrs["messaging.rocketmq.message.type"] = "delay"
        attrs["messaging.rocketmq.message.delivery_timestamp"] = delivery
    else:
        attrs.setdefault("messaging.rocketmq.message.type", "normal")


def _received_attributes(msg: ReceivedMessage, attrs: Attributes) -> None:
    attrs["messaging.message.id"] = msg.id
    attrs["messaging.destination.partition.id"] = str(msg.queue_id)
    tags = msg.tags
    if tags:
        attrs["messaging.rocketmq.message.tag"] = tags.decode("utf-8", "replace")
    keys = msg.keys
    if keys:
        attrs["messaging.rocketmq.message.keys"] = keys.decode("utf-8", "replace").split()
    attrs["messaging.rocketmq.message.delivery_count"] = msg.reconsume_times + 1
    host = _split_addr(msg.store_host)
    if host is not None:
        attrs["server.address"], attrs["server.port"] = host


def _error_type(exc: BaseException) -> str:
    return type(exc).__qualname__


def _succeeded(verdict: Any) -> bool:
    """The consumers' rule: None or CONSUME_SUCCESS (0) is done, anything else redelivers."""
    return verdict is None or (type(verdict) is not bool and verdict == 0)


class _OutgoingGetter(Getter[Message]):
    """Reads a creation context the caller put into an outgoing message."""

    def get(self, carrier: Message, key: str) -> list[str] | None:
        value = carrier.get_property(key)
        return None if value is None else [value]

    def keys(self, carrier: Message) -> list[str]:
        return list(carrier.properties)


_GETTER_OUT = _OutgoingGetter()
