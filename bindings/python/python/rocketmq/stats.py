"""Client statistics as Prometheus samples, with no dependency (issue #11 §2).

``client.stats()`` returns a nested dict (see docs/stats.md). :func:`samples` flattens it into
``(name, labels, value)`` samples named the Prometheus way, for a ``prometheus_client`` custom
collector; :func:`to_text` renders the text exposition format directly, for a plain HTTP
handler. Rules:

* numbers become ``<prefix>_<key>``; nested maps join their keys with ``_``
  (``send_latency.p99_ms`` -> ``rocketmq_send_latency_p99_ms``);
* ``queues`` becomes a ``queue`` label (``topic@broker@id``), ``sends_failed_by_kind`` a
  ``kind`` label (``rocketmq_sends_failed_by_kind{kind="timeout"}``);
* text values (``group``, ``client_id``) become labels of every sample.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

__all__ = ["Sample", "samples", "to_text"]

#: Nested maps whose keys become a label instead of part of the name.
_LABELLED = {"queues": "queue", "sends_failed_by_kind": "kind"}


class Sample(NamedTuple):
    """One value: metric name, labels, value."""

    name: str
    labels: dict[str, str]
    value: float


def _walk(stats: Mapping[str, Any], name: str, labels: dict[str, str]) -> Iterator[Sample]:
    for key, value in sorted(stats.items()):
        if isinstance(value, (bool, str)):
            continue
        if isinstance(value, (int, float)):
            yield Sample(f"{name}_{key}", labels, float(value))
        elif isinstance(value, Mapping):
            label = _LABELLED.get(key)
            if label is None:
                yield from _walk(value, f"{name}_{key}", labels)
                continue
            for item, inner in sorted(value.items()):
                item_labels = {**labels, label: str(item)}
                if isinstance(inner, Mapping):
                    yield from _walk(inner, f"{name}_{_singular(key)}", item_labels)
                elif isinstance(inner, (int, float)) and not isinstance(inner, bool):
                    yield Sample(f"{name}_{key}", item_labels, float(inner))


def _singular(key: str) -> str:
    return key[:-1] if key.endswith("s") else key


def samples(stats: Mapping[str, Any], prefix: str = "rocketmq") -> list[Sample]:
    """Flatten a ``stats()`` dict into samples, sorted by name then labels."""
    labels = {k: v for k, v in stats.items() if isinstance(v, str)}
    out = list(_walk(stats, prefix, labels))
    out.sort(key=lambda s: (s.name, sorted(s.labels.items())))
    return out


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def to_text(stats: Mapping[str, Any], prefix: str = "rocketmq") -> str:
    """The samples in the Prometheus text exposition format (every metric a gauge)."""
    lines: list[str] = []
    typed: set[str] = set()
    for s in samples(stats, prefix):
        if s.name not in typed:
            typed.add(s.name)
            lines.append(f"# TYPE {s.name} gauge")
        labels = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(s.labels.items()))
        lines.append(f"{s.name}{{{labels}}} {s.value!r}")
    return "\n".join(lines) + "\n"
