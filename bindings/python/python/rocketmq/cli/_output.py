"""Output helpers of the CLI: tables, JSON lines, times, messages."""

from __future__ import annotations

import base64
import datetime as _dt
import json
import re
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from .._rocketmq import ReceivedMessage


def now_ms() -> int:
    """The current time, epoch ms."""
    return int(time.time() * 1000)


_RELATIVE = re.compile(r"^-?(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)(?:\s+ago)?$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def parse_time(text: str) -> int:
    """A point in time as epoch ms.

    Accepted: ``now``; epoch milliseconds (``1764600000000``) or seconds (``1764600000``);
    ISO 8601 (``2026-12-01T20:00:00``, local time unless it has ``Z`` or an offset; a plain
    date means its midnight); a time ago (``-10m``, ``30s``, ``2h ago``, ``1d``).
    """
    value = text.strip()
    if value.lower() == "now":
        return now_ms()
    if re.fullmatch(r"\d+", value):
        n = int(value)
        return n if n >= 100_000_000_000 else n * 1000
    m = _RELATIVE.match(value.lower())
    if m:
        return now_ms() - int(float(m.group(1)) * _UNIT_MS[m.group(2)])
    iso = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = _dt.datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(
            f"cannot read the time {text!r}: use 'now', epoch ms or s, ISO 8601 "
            "(2026-12-01T20:00:00, add Z or +01:00 for a zone), or a time ago like -10m, 2h, 1d"
        ) from None
    return int(parsed.timestamp() * 1000)


def fmt_time(ms: int) -> str:
    """Epoch ms as local ISO time with ms (``-`` for 0 or less)."""
    if ms <= 0:
        return "-"
    return _dt.datetime.fromtimestamp(ms / 1000).isoformat(sep=" ", timespec="milliseconds")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO | None = None) -> None:
    """A plain text table; numbers right-aligned."""
    out = out or sys.stdout
    cells = [[str(c) for c in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    numeric = [
        all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) for r in rows) and rows
        for i in range(len(headers))
    ]
    for n, row in enumerate(cells):
        parts = [
            c.rjust(widths[i]) if numeric[i] and n > 0 else c.ljust(widths[i])
            for i, c in enumerate(row)
        ]
        out.write("  ".join(parts).rstrip() + "\n")


def json_line(obj: Any, out: TextIO | None = None) -> None:
    """One JSON document on one line."""
    out = out or sys.stdout
    out.write(json.dumps(obj, ensure_ascii=False, sort_keys=False) + "\n")
    out.flush()


def _text(b: bytes) -> str | None:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return None


def message_dict(msg: ReceivedMessage) -> dict[str, Any]:
    """Everything about a received message, JSON-ready. ``body`` is the UTF-8 text (None if the
    body is not UTF-8); ``body_base64`` is always the exact bytes."""
    body = msg.body
    return {
        "topic": msg.topic,
        "msg_id": msg.id,
        "offset_msg_id": msg.offset_msg_id,
        "tags": _text(msg.tags) or "",
        "keys": _text(msg.keys) or "",
        "broker_name": msg.broker_name,
        "queue_id": msg.queue_id,
        "queue_offset": msg.queue_offset,
        "commit_log_offset": msg.commit_log_offset,
        "reconsume_times": msg.reconsume_times,
        "born_timestamp": msg.born_timestamp,
        "store_timestamp": msg.store_timestamp,
        "born_host": msg.born_host,
        "store_host": msg.store_host,
        "store_size": msg.store_size,
        "properties": msg.properties,
        "body_size": len(body),
        "body": _text(body),
        "body_base64": base64.b64encode(body).decode("ascii"),
    }


def print_message(msg: ReceivedMessage, out: TextIO | None = None) -> None:
    """A message for humans: its fields, its user properties, its body."""
    out = out or sys.stdout
    d = message_dict(msg)
    rows = [
        ("Topic", d["topic"]),
        ("Msg id", d["msg_id"]),
        ("Offset msg id", d["offset_msg_id"]),
        ("Tags", d["tags"] or "-"),
        ("Keys", d["keys"] or "-"),
        ("Queue", f"{d['broker_name'] or '?'}:{d['queue_id']} offset {d['queue_offset']}"),
        ("Born", f"{fmt_time(d['born_timestamp'])} from {d['born_host']}"),
        ("Stored", f"{fmt_time(d['store_timestamp'])} on {d['store_host']}"),
        ("Reconsume times", d["reconsume_times"]),
    ]
    for name, value in rows:
        out.write(f"{name + ':':<17}{value}\n")
    props = d["properties"]
    if props:
        out.write("Properties:\n")
        for k in sorted(props):
            out.write(f"  {k}={props[k]}\n")
    body: bytes = msg.body
    text = d["body"]
    shown = text if text is not None else body.decode("utf-8", "backslashreplace")
    kind = "" if text is not None else ", not UTF-8: escaped"
    out.write(f"Body ({len(body)} bytes{kind}):\n{shown}\n")
