"""rocketmq.stats: a stats() dict flattened into Prometheus samples and text."""

from __future__ import annotations

from rocketmq.stats import Sample, samples, to_text

STATS = {
    "group": "pg",
    "client_id": 'ip@"x"',
    "sends_ok": 5,
    "sends_failed": 2,
    "sends_failed_by_kind": {"timeout": 2},
    "send_latency": {"count": 5, "p99_ms": 1.5},
    "queues": {"T@b@0": {"cached_msgs": 3, "lag": 7}},
}


def test_samples_name_and_label_every_number() -> None:
    got = {(s.name, tuple(sorted(s.labels.items()))): s.value for s in samples(STATS)}
    base = (("client_id", 'ip@"x"'), ("group", "pg"))
    assert got[("rocketmq_sends_ok", base)] == 5.0
    assert got[("rocketmq_sends_failed_by_kind", (*base, ("kind", "timeout")))] == 2.0
    assert got[("rocketmq_send_latency_p99_ms", base)] == 1.5
    queue = tuple(sorted((*base, ("queue", "T@b@0"))))
    assert got[("rocketmq_queue_cached_msgs", queue)] == 3.0
    assert got[("rocketmq_queue_lag", queue)] == 7.0
    assert len(got) == 7, got
    assert all(isinstance(s, Sample) for s in samples(STATS))


def test_text_format_escapes_labels_and_types_each_metric_once() -> None:
    text = to_text(STATS, prefix="app")
    assert text.count("# TYPE app_queue_lag gauge") == 1
    assert 'app_sends_ok{client_id="ip@\\"x\\"",group="pg"} 5.0' in text
    assert text.endswith("\n")
    assert to_text({}) == "\n"
