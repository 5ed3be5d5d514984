"""The chaos ledger through the public Python API (issue #10; the Rust driver is rmq-chaos).

Starts 2 name servers + 2 brokers (test kit), sends at a fixed rate with ``rocketmq.client``'s
``Producer.send_sync``, consumes with a ``PushConsumer``, breaks broker 0 mid-stream (SIGKILL then
restart, or SIGSTOP then SIGCONT) and prints the same verdict line as the Rust driver:

    python bench/chaos.py --scenario broker-hang --rate 100 --seconds 8 --fault-at 2 --fault-for 3
    python bench/chaos.py --scenario broker-kill broker-hang --write docs/reliability.md

(`make chaos` runs the second line, which replaces the chaos-python block of the page.)

Exit status 1 when a send failed or an acknowledged message was never consumed.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import platform
import sys
import threading
import time
import uuid
from pathlib import Path

from _common import TestCluster
from rocketmq.client import (
    ConsumeFromWhere,
    Message,
    Producer,
    PushConsumer,
    ReceivedMessage,
)

PREFIX = b"chaos-"


class Ledger:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.lock = threading.Lock()
        self.acked: set[int] = set()
        self.ack_times: list[float] = []
        self.failed: collections.Counter[str] = collections.Counter()
        self.consumed: collections.Counter[int] = collections.Counter()
        self.consume_times: list[float] = []
        self.drained = threading.Condition(self.lock)

    def now(self) -> float:
        return time.monotonic() - self.start

    def ack(self, seq: int) -> None:
        with self.lock:
            self.acked.add(seq)
            self.ack_times.append(self.now())

    def fail(self, kind: str) -> None:
        with self.lock:
            self.failed[kind] += 1

    def consume(self, seq: int) -> None:
        with self.lock:
            self.consumed[seq] += 1
            self.consume_times.append(self.now())
            self.drained.notify_all()

    def lost(self) -> int:
        return len(self.acked - set(self.consumed))

    def wait_drained(self, within: float) -> float | None:
        started = time.monotonic()
        with self.lock:
            ok = self.drained.wait_for(lambda: self.lost() == 0, timeout=within)
        return time.monotonic() - started if ok else None


def max_gap(times: list[float]) -> float:
    times = sorted(times)
    return max((times[i + 1] - times[i] for i in range(len(times) - 1)), default=0.0)


def run(scenario: str, args: argparse.Namespace) -> tuple[str, bool]:
    """One scenario on a fresh cluster: (verdict line, passed)."""
    ledger = Ledger()
    with TestCluster().start(namesrvs=2, brokers=2) as cluster:
        topic = f"chaos_py_{uuid.uuid4().hex[:8]}"
        cluster.create_topic(topic, queues=4)
        consumer = PushConsumer(f"chaos_py_cg_{uuid.uuid4().hex[:8]}")
        consumer.set_name_server_address(cluster.namesrv_addr)
        consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)

        def on_message(msg: ReceivedMessage) -> None:
            body = msg.body
            if body.startswith(PREFIX):
                ledger.consume(int(body[len(PREFIX) :]))

        consumer.subscribe(topic, on_message)
        consumer.start()
        producer = Producer(f"chaos_py_pg_{uuid.uuid4().hex[:8]}")
        producer.set_name_server_address(cluster.namesrv_addr)
        producer.start()

        def inject() -> None:
            time.sleep(args.fault_at)  # the experiment's schedule
            if scenario == "broker-kill":
                cluster.kill_broker(0)
            else:
                cluster.pause_broker(0)
            time.sleep(args.fault_for)
            if scenario == "broker-kill":
                cluster.start_broker(0)
            else:
                cluster.resume_broker(0)

        faults = threading.Thread(target=inject, daemon=True)
        faults.start()
        interval = 1.0 / args.rate
        total = args.rate * args.seconds
        next_at = time.monotonic()
        try:
            for seq in range(total):
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                next_at += interval
                msg = Message(topic)
                msg.set_body(PREFIX + str(seq).encode())
                try:
                    producer.send_sync(msg)
                    ledger.ack(seq)
                except Exception as e:  # noqa: BLE001 - every failure is counted by kind
                    ledger.fail(type(e).__name__)
            send_end = ledger.now()
            faults.join(timeout=120)
            drain = ledger.wait_drained(args.drain_timeout)
        finally:
            producer.shutdown()
            consumer.shutdown()
    with ledger.lock:
        duplicates = sum(n - 1 for n in ledger.consumed.values())
        lost = ledger.lost()
        verdict = (
            f"verdict python {scenario}: sent={total} acked={len(ledger.acked)} "
            f"failed={sum(ledger.failed.values())} {dict(ledger.failed)} "
            f"consumed_unique={len(ledger.consumed)} duplicates={duplicates} "
            f"acked_never_consumed={lost} "
            f"max_publish_gap={max_gap(ledger.ack_times) * 1000:.0f} ms "
            f"max_consume_gap={max_gap([t for t in ledger.consume_times if t <= send_end]) * 1000:.0f} ms "
            f"drain={'-' if drain is None else f'{drain * 1000:.0f} ms'}"
        )
        passed = not (lost or ledger.failed or drain is None)
    return verdict, passed


def write_block(path: Path, args: argparse.Namespace, verdicts: list[str]) -> None:
    """Replace the block between the chaos-python markers of ``path`` with these verdicts."""
    start, end = "<!-- chaos-python:start -->", "<!-- chaos-python:end -->"
    text = path.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{path} has no {start} ... {end} block")
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        start,
        (
            f"Measured {when} on {platform.system()} {platform.release()} "
            f"({os.cpu_count()} cores), {args.rate} msg/s for {args.seconds} s, fault at "
            f"{args.fault_at:g} s for {args.fault_for:g} s (`make chaos-python`):"
        ),
        "",
        "```",
        *verdicts,
        "```",
        end,
    ]
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(head + "\n".join(lines) + tail)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--scenario",
        nargs="+",
        choices=["broker-kill", "broker-hang"],
        default=["broker-hang"],
        help="one or more, each on a fresh cluster",
    )
    ap.add_argument("--rate", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--fault-at", type=float, default=2.0)
    ap.add_argument("--fault-for", type=float, default=3.0)
    ap.add_argument("--drain-timeout", type=float, default=90.0)
    ap.add_argument(
        "--write", type=Path, help="markdown file whose chaos-python block to replace"
    )
    args = ap.parse_args()

    verdicts, ok = [], True
    for scenario in args.scenario:
        verdict, passed = run(scenario, args)
        print(verdict, flush=True)
        verdicts.append(verdict)
        ok = ok and passed
    if args.write is not None:
        write_block(args.write, args, verdicts)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
