"""The ``rocketmq`` CLI, run as ``python -m rocketmq`` subprocesses against a real broker."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from rocketmq import exceptions as exc
from rocketmq.admin import Admin
from rocketmq.client import PushConsumer

from helpers import Inbox, unique, wait_until
from testkit import TestCluster

pytestmark = pytest.mark.integration

RUN_TIMEOUT = 60.0


def cli(
    namesrv: str | None, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    full_env = dict(os.environ if env is None else env)
    full_env.pop("NAMESRV_ADDR", None)
    if namesrv is not None:
        full_env["NAMESRV_ADDR"] = namesrv
    return subprocess.run(
        [sys.executable, "-m", "rocketmq", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=full_env,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def ok(namesrv: str, *args: str, stdin: bytes | None = None) -> str:
    r = cli(namesrv, *args, stdin=stdin)
    assert r.returncode == 0, f"rocketmq {' '.join(args)} -> {r.returncode}: {r.stderr.decode()}"
    return r.stdout.decode()


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def eventually_ok(namesrv: str, *args: str) -> str:
    """Run until it exits 0 (e.g. a key lookup while the broker's index catches up)."""
    last: list[subprocess.CompletedProcess[bytes]] = []

    def attempt() -> bool:
        last[:] = [cli(namesrv, *args)]
        return last[0].returncode == 0

    wait_until(attempt, what=f"rocketmq {' '.join(args)}: {last and last[0].stderr.decode()}")
    return last[0].stdout.decode()


def test_send_then_consume_round_trips_text_tags_keys_properties(
    namesrv_addr: str, topic: str
) -> None:
    sent = json_lines(
        ok(
            namesrv_addr,
            "send",
            topic,
            "héllo wörld",
            "--tags",
            "TagA",
            "--keys",
            "k1 k2",
            "-p",
            "color=blue",
            "-p",
            "n=5",
            "--count",
            "3",
            "--json",
        )
    )
    assert len(sent) == 3
    assert all(s["status"] == "OK" and s["topic"] == topic for s in sent)
    got = json_lines(
        ok(
            namesrv_addr,
            "consume",
            topic,
            "--from",
            "first",
            "--count",
            "3",
            "--timeout",
            "30",
            "--json",
        )
    )
    assert sorted(m["msg_id"] for m in got) == sorted(s["msg_id"] for s in sent)
    for m in got:
        assert m["body"] == "héllo wörld"
        assert base64.b64decode(m["body_base64"]) == "héllo wörld".encode()
        assert m["tags"] == "TagA"
        assert m["keys"] == "k1 k2"
        assert m["properties"]["color"] == "blue"
        assert m["properties"]["n"] == "5"


def test_binary_body_from_a_file_and_stdin_round_trips_exactly(
    namesrv_addr: str, topic: str, tmp_path: Any
) -> None:
    body = bytes(range(256)) + b"\x00\xff\xfe not utf-8 \x80"
    path = tmp_path / "body.bin"
    path.write_bytes(body)
    ok(namesrv_addr, "send", topic, "--file", str(path))
    ok(namesrv_addr, "send", topic, stdin=body[::-1])
    got = json_lines(
        ok(
            namesrv_addr,
            "consume",
            topic,
            "--from",
            "first",
            "--count",
            "2",
            "--timeout",
            "30",
            "--json",
        )
    )
    bodies = sorted(base64.b64decode(m["body_base64"]) for m in got)
    assert bodies == sorted([body, body[::-1]])
    assert all(m["body"] is None for m in got), "not UTF-8: no text form"
    raw = cli(
        namesrv_addr,
        "consume",
        topic,
        "--from",
        "first",
        "--count",
        "1",
        "--timeout",
        "30",
        "--raw",
    )
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout in (body, body[::-1])


def test_progress_shows_zero_lag_after_consuming_and_the_lag_after_a_reset(
    namesrv_addr: str, topic: str
) -> None:
    group = unique("cg_cli")
    ok(namesrv_addr, "send", topic, "p", "--count", "6")
    ok(
        namesrv_addr,
        "consume",
        topic,
        "--group",
        group,
        "--from",
        "first",
        "--count",
        "6",
        "--timeout",
        "30",
    )
    progress = json.loads(eventually_ok(namesrv_addr, "progress", group, "--json"))
    assert progress["total_lag"] == 0
    rows = [q for q in progress["queues"] if q["topic"] == topic]
    assert len(rows) == 4
    assert sum(q["consumer_offset"] for q in rows) == 6
    assert all(q["lag"] == 0 for q in rows)
    table = ok(namesrv_addr, "progress", group)
    assert "Total lag: 0" in table
    assert topic in table

    reset = json.loads(ok(namesrv_addr, "reset-offset", group, topic, "0", "--json"))
    assert [o["offset"] for o in reset["offsets"]] == [0, 0, 0, 0]
    after = json.loads(ok(namesrv_addr, "progress", group, "--json"))
    assert after["total_lag"] == 6


def test_msg_finds_a_sent_message_by_id_and_by_key(namesrv_addr: str, topic: str) -> None:
    key = unique("order")
    sent = json.loads(ok(namesrv_addr, "send", topic, "find me", "--keys", key, "--json"))
    by_offset = json.loads(ok(namesrv_addr, "msg", sent["offset_msg_id"], "--json"))
    assert by_offset["body"] == "find me"
    assert by_offset["msg_id"] == sent["msg_id"]
    by_id = json_lines(
        eventually_ok(namesrv_addr, "msg", sent["msg_id"], "--topic", topic, "--json")
    )
    assert [m["offset_msg_id"] for m in by_id] == [sent["offset_msg_id"]]
    by_key = json_lines(
        eventually_ok(namesrv_addr, "msg", "--key", key, "--topic", topic, "--json")
    )
    assert [m["msg_id"] for m in by_key] == [sent["msg_id"]]
    text = ok(namesrv_addr, "msg", sent["offset_msg_id"])
    assert "find me" in text
    assert sent["msg_id"] in text

    missing = cli(namesrv_addr, "msg", "--key", unique("nokey"), "--topic", topic)
    assert missing.returncode in (1, 4), missing.stderr  # 1 while the index catches up
    needs_topic = cli(namesrv_addr, "msg", sent["msg_id"])
    assert needs_topic.returncode == 2
    assert b"topic" in needs_topic.stderr


def test_admin_views(cluster: TestCluster, topic: str) -> None:
    ns = cluster.namesrv_addr
    broker = cluster.brokers[0]
    assert topic in ok(ns, "topics").split()
    route = json.loads(ok(ns, "route", topic, "--json"))
    assert route["brokers"][0]["addrs"]["0"] == broker.addr
    assert route["queues"][0]["write_queue_nums"] == 4
    assert broker.addr in ok(ns, "route", topic)
    clusters = json.loads(ok(ns, "cluster", "--json"))
    assert [(c["cluster"], c["broker"], c["addr"]) for c in clusters] == [
        ("DefaultCluster", broker.name, broker.addr)
    ]
    new = unique("cli_t")
    ok(ns, "create-topic", new, "--cluster", "DefaultCluster", "--queues", "2")
    status = json_lines(eventually_ok(ns, "topic-status", new, "--json"))[0]
    assert [q["queue_id"] for q in status] == [0, 1]
    ok(ns, "delete-topic", new)
    gone = cli(ns, "route", new)
    assert gone.returncode == 4
    assert b"does not exist" in gone.stderr


def test_status_of_a_running_group(
    namesrv_addr: str, topic: str, make_consumer: type[PushConsumer]
) -> None:
    group = unique("cg_st")
    consumer = make_consumer(group)
    inbox = Inbox()
    consumer.subscribe(topic, inbox, "TagA || TagB")
    consumer.start()
    wait_until(
        lambda: len([q for q in consumer.assigned_queues() if q.topic == topic]) == 4,
        what="queues assigned",
    )
    status = json.loads(ok(namesrv_addr, "status", group, "--json"))
    assert [c["client_id"] for c in status["clients"]] == [consumer.client_id]
    assert status["subscriptions"][topic] == "TagA || TagB"
    assert len([q for q in status["clients"][0]["queues"] if q["topic"] == topic]) == 4
    assert consumer.client_id in ok(namesrv_addr, "status", group)
    consumer.shutdown()
    offline = cli(namesrv_addr, "status", group)
    assert offline.returncode == 4
    assert b"no consumer of this group" in offline.stderr


def test_consume_that_gets_too_few_messages_exits_5(namesrv_addr: str, topic: str) -> None:
    started = time.monotonic()
    r = cli(namesrv_addr, "consume", topic, "--from", "first", "--count", "1", "--timeout", "2")
    assert r.returncode == 5, r.stderr
    assert b"received 0 of 1" in r.stderr
    assert time.monotonic() - started < 30


def test_bench_produce_and_consume_report_throughput_and_percentiles(
    namesrv_addr: str, topic: str
) -> None:
    produce = json.loads(
        ok(namesrv_addr, "bench", "produce", topic, "--count", "300", "--size", "128", "--json")
    )
    assert produce["messages"] == 300
    assert produce["msg_per_s"] > 0
    assert set(produce["latency_ms"]) == {"p50", "p90", "p99", "p999", "max"}
    assert produce["latency_ms"]["p50"] <= produce["latency_ms"]["max"]
    consume = json.loads(
        ok(namesrv_addr, "bench", "consume", topic, "--count", "300", "--timeout", "60", "--json")
    )
    assert consume["messages"] == 300
    assert consume["latency_ms"]["p50"] >= 0
    human = ok(namesrv_addr, "bench", "produce", topic, "--count", "50")
    assert "throughput:" in human
    assert "p99" in human


def test_ctrl_c_stops_consume_promptly_with_exit_130(namesrv_addr: str, topic: str) -> None:
    group = unique("cg_int")
    env = dict(os.environ, NAMESRV_ADDR=namesrv_addr)
    proc = subprocess.Popen(
        [sys.executable, "-m", "rocketmq", "consume", topic, "--group", group],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        with Admin(namesrv_addr) as admin:

            def online() -> bool:
                try:
                    return bool(admin.consumer_connections(group).connections)
                except exc.AdminFailed:
                    return False

            wait_until(online, what="the CLI consumer is online")
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=RUN_TIMEOUT)
        assert proc.returncode == 130, err
        assert b"interrupted" in err
        assert time.monotonic() - started < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=RUN_TIMEOUT)
