"""CLI commands built on the clients: send, consume, bench produce, bench consume."""

from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
import uuid
from typing import Any

from .._types import ConsumeFromWhere, ConsumeStatus
from ..client import Message, Producer, PushConsumer, ReceivedMessage, SendResult
from ._errors import INCOMPLETE, OK, CliError
from ._output import json_line, message_dict, now_ms, parse_time

#: The ``set_*`` calls share the name server setting of ``--namesrv`` / ``NAMESRV_ADDR``.
_NAMESRV_ENV = "NAMESRV_ADDR"


def _namesrv(args: argparse.Namespace) -> str:
    addr = args.namesrv or os.environ.get(_NAMESRV_ENV, "").strip()
    if not addr:
        raise CliError("no name server: pass --namesrv host:port or set NAMESRV_ADDR")
    return str(addr)


def _group(args: argparse.Namespace, kind: str) -> str:
    return args.group or f"rocketmq-cli-{kind}-{uuid.uuid4().hex[:12]}"


def _producer(args: argparse.Namespace) -> Producer:
    producer = Producer(_group(args, "producer"), timeout=args.timeout_ms)
    producer.set_name_server_address(_namesrv(args))
    producer.start()
    return producer


def _body(args: argparse.Namespace) -> bytes:
    given = [x for x in (args.body is not None, args.file is not None) if x]
    if len(given) > 1:
        raise CliError("give the body as an argument or with --file, not both")
    if args.file is not None:
        if args.file == "-":
            return sys.stdin.buffer.read()
        with open(args.file, "rb") as f:
            return f.read()
    if args.body == "-" or (args.body is None and not sys.stdin.isatty()):
        return sys.stdin.buffer.read()
    if args.body is None:
        raise CliError("no body: give it as an argument, with --file PATH, or on stdin")
    return str(args.body).encode("utf-8")


def _properties(pairs: list[str]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CliError(f"--property wants NAME=VALUE, got {pair!r}")
        out.append((name, value))
    return out


def _result_dict(r: SendResult) -> dict[str, Any]:
    return {
        "status": r.status.name,
        "msg_id": r.msg_id,
        "offset_msg_id": r.offset_msg_id,
        "topic": r.topic,
        "broker_name": r.broker_name,
        "queue_id": r.queue_id,
        "queue_offset": r.offset,
    }


def cmd_send(args: argparse.Namespace) -> int:
    body = _body(args)
    props = _properties(args.property or [])
    keys = [k for group in (args.keys or []) for k in group.split()]
    if args.count < 1:
        raise CliError("--count must be at least 1")
    producer = _producer(args)
    try:
        for _ in range(args.count):
            msg = Message(args.topic)
            msg.set_body(body)
            if args.tags:
                msg.set_tags(args.tags)
            if keys:
                msg.set_keys(keys)
            for name, value in props:
                msg.set_property(name, value)
            if args.delay_level:
                msg.set_delay_time_level(args.delay_level)
            r = producer.send_sync(msg)
            if args.json:
                json_line(_result_dict(r))
            else:
                print(
                    f"{r.status.name} msg_id={r.msg_id} offset_msg_id={r.offset_msg_id} "
                    f"queue={r.broker_name}:{r.queue_id} offset={r.offset}"
                )
    finally:
        producer.shutdown()
    return OK


def _consumer(args: argparse.Namespace, on_message: Any) -> PushConsumer:
    consumer = PushConsumer(_group(args, "consumer"))
    consumer.set_name_server_address(_namesrv(args))
    start = args.start.strip().lower()
    if start == "first":
        consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    elif start == "last":
        consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET)
    else:
        consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_TIMESTAMP)
        consumer.set_consume_timestamp(parse_time(args.start))
    if getattr(args, "sql", None):
        consumer.subscribe_sql(args.topic, on_message, args.sql)
    else:
        consumer.subscribe(args.topic, on_message, getattr(args, "tag", None) or "*")
    return consumer


def cmd_consume(args: argparse.Namespace) -> int:
    if args.tag and args.sql:
        raise CliError("give --tag or --sql, not both")
    inbox: queue.Queue[ReceivedMessage] = queue.Queue()

    def on_message(msg: ReceivedMessage) -> ConsumeStatus:
        inbox.put(msg)
        return ConsumeStatus.CONSUME_SUCCESS

    consumer = _consumer(args, on_message)
    consumer.start()
    received = 0
    deadline = None if args.timeout is None else time.monotonic() + args.timeout
    out = sys.stdout
    try:
        while args.count is None or received < args.count:
            wait = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if wait <= 0:
                break
            try:
                msg = inbox.get(timeout=wait)
            except queue.Empty:
                continue
            received += 1
            if args.json:
                json_line(message_dict(msg))
            elif args.raw:
                out.buffer.write(msg.body)
                out.buffer.flush()
            else:
                body = msg.body.decode("utf-8", "backslashreplace")
                tags = msg.tags.decode("utf-8", "replace") or "-"
                print(
                    f"[{msg.broker_name}:{msg.queue_id}@{msg.queue_offset} {msg.id} tags={tags}] "
                    f"{body}",
                    flush=True,
                )
    finally:
        consumer.shutdown()
    if args.count is not None and received < args.count:
        print(
            f"rocketmq: received {received} of {args.count} messages within {args.timeout} s",
            file=sys.stderr,
        )
        return INCOMPLETE
    return OK


# ---- bench ------------------------------------------------------------------------------------


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    if not samples_ms:
        return {}
    s = sorted(samples_ms)

    def p(q: float) -> float:
        return s[min(len(s) - 1, int(q * len(s)))]

    return {"p50": p(0.5), "p90": p(0.9), "p99": p(0.99), "p999": p(0.999), "max": s[-1]}


class _Progress:
    """A progress line on stderr, at most once a second."""

    def __init__(self, what: str, total: int) -> None:
        self.what, self.total = what, total
        self.started = self.last = time.monotonic()
        self.enabled = sys.stderr.isatty()

    def tick(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 1.0:
            return
        self.last = now
        rate = done / max(now - self.started, 1e-9)
        line = f"{self.what}: {done}/{self.total} ({rate:,.0f} msg/s)"
        if self.enabled:
            sys.stderr.write("\r" + line)
            if force:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _report(
    args: argparse.Namespace, what: str, n: int, secs: float, size: int, latencies: list[float]
) -> None:
    tput = n / max(secs, 1e-9)
    pct = _percentiles(latencies)
    if args.json:
        json_line(
            {
                "bench": what,
                "messages": n,
                "seconds": round(secs, 3),
                "msg_per_s": round(tput, 1),
                "mib_per_s": round(tput * size / 2**20, 3),
                "latency_ms": {k: round(v, 3) for k, v in pct.items()},
            }
        )
        return
    print(f"{what}: {n} messages of {size} bytes in {secs:.2f} s")
    print(f"throughput: {tput:,.0f} msg/s, {tput * size / 2**20:.2f} MiB/s")
    if pct:
        print("latency ms: " + ", ".join(f"{k} {v:.3f}" for k, v in pct.items()))


def cmd_bench_produce(args: argparse.Namespace) -> int:
    if args.count < 1 or args.size < 0 or args.threads < 1:
        raise CliError("--count and --threads must be at least 1, --size at least 0")
    producer = _producer(args)
    body = os.urandom(args.size) if args.size else b""
    latencies: list[float] = []
    lock = threading.Lock()
    sent = 0
    errors: list[BaseException] = []
    progress = _Progress("produce", args.count)

    def worker(n: int) -> None:
        nonlocal sent
        for _ in range(n):
            msg = Message(args.topic)
            msg.set_body(body)
            t0 = time.perf_counter()
            try:
                producer.send_sync(msg)
            except Exception as e:  # reported after the run
                with lock:
                    errors.append(e)
                return
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)
                sent += 1

    shares = [
        args.count // args.threads + (1 if i < args.count % args.threads else 0)
        for i in range(args.threads)
    ]
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in shares]
    start = time.perf_counter()
    try:
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=0.2)
            progress.tick(sent)
        elapsed = time.perf_counter() - start
        progress.tick(sent, force=True)
    finally:
        producer.shutdown()
    if errors:
        raise errors[0]
    _report(args, "produce", sent, elapsed, args.size, latencies)
    return OK


def cmd_bench_consume(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise CliError("--count must be at least 1")
    latencies: list[float] = []
    lock = threading.Lock()
    done = threading.Event()
    count = 0
    size = 0

    def on_message(msg: ReceivedMessage) -> ConsumeStatus:
        nonlocal count, size
        e2e = now_ms() - msg.born_timestamp
        with lock:
            if count < args.count:
                count += 1
                size = len(msg.body)
                latencies.append(float(e2e))
                if count >= args.count:
                    done.set()
        return ConsumeStatus.CONSUME_SUCCESS

    consumer = _consumer(args, on_message)
    progress = _Progress("consume", args.count)
    consumer.start()
    start = time.perf_counter()
    deadline = start + args.timeout
    try:
        while not done.wait(timeout=0.2):
            progress.tick(count)
            if time.perf_counter() > deadline:
                break
        elapsed = time.perf_counter() - start
        progress.tick(count, force=True)
    finally:
        consumer.shutdown()
    _report(args, "consume (latency: born to received)", count, elapsed, size, latencies)
    return OK if count >= args.count else INCOMPLETE
