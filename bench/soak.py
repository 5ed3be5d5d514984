"""Soak: many messages sent and consumed through the public Python API, with the process's
resident memory, threads and file descriptors sampled (issue #10, "Soak and leaks").

Starts 1 name server + 1 broker (test kit), sends ``--messages`` messages from ``--threads``
threads with ``Producer.send_sync`` while a ``PushConsumer`` consumes them, samples RSS every
``--sample`` seconds, and prints the growth after warm-up (the first ``--warmup`` fraction of
the messages consumed):

    python bench/soak.py --messages 1000000           # make soak
    python bench/soak.py --messages 20000 --max-growth-mb 30

Exit status 1 when a message was lost or the RSS grew more than ``--max-growth-mb`` after
warm-up. Linux only (reads /proc/self).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

from _common import TestCluster
from rocketmq.client import (
    ConsumeFromWhere,
    Message,
    Producer,
    PushConsumer,
    ReceivedMessage,
)


def rss_mb() -> float:
    """Resident set size of this process, MiB (VmRSS)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Samples:
    """(elapsed s, consumed, RSS MiB, threads, fds) every period, from a sampler thread."""

    rows: list[tuple[float, int, float, int, int]] = field(default_factory=list)


def run(
    namesrv_addr: str,
    topic: str,
    messages: int,
    n_threads: int,
    body_size: int,
    warmup: float,
    sample_every: float,
    drain_timeout: float,
    progress: bool = False,
) -> dict[str, float | int]:
    """Send and consume ``messages``; return the figures (also used by the test suite)."""
    consumed = 0
    lock = threading.Lock()
    all_consumed = threading.Event()
    # One byte per message, allocated before the baseline: a set of ints would itself grow
    # by ~60 bytes per message and fake a leak.
    seen = bytearray(messages)

    def on_message(msg: ReceivedMessage) -> None:
        nonlocal consumed
        seq = int(msg.body[:12])
        with lock:
            if not seen[seq]:
                seen[seq] = 1
                consumed += 1
                if consumed >= messages:
                    all_consumed.set()

    consumer = PushConsumer(f"soak_cg_{uuid.uuid4().hex[:8]}")
    consumer.set_name_server_address(namesrv_addr)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    consumer.subscribe(topic, on_message)
    consumer.start()
    producer = Producer(f"soak_pg_{uuid.uuid4().hex[:8]}")
    producer.set_name_server_address(namesrv_addr)
    producer.start()

    samples = Samples()
    stop_sampling = threading.Event()
    started = time.monotonic()

    def sampler() -> None:
        reported = 0
        while not stop_sampling.wait(sample_every):
            with lock:
                n = consumed
            row = (time.monotonic() - started, n, rss_mb(), threads(), fds())
            samples.rows.append(row)
            if progress and n * 10 // messages > reported:
                reported = n * 10 // messages
                print(
                    f"  {row[0]:.0f} s: {n} consumed, RSS {row[2]:.1f} MiB, "
                    f"{row[3]} threads, {row[4]} fds",
                    file=sys.stderr,
                    flush=True,
                )

    failures: list[BaseException] = []
    padding = b"x" * max(0, body_size - 13)

    def send_range(first: int, last: int) -> None:
        for seq in range(first, last):
            msg = Message(topic)
            msg.set_keys(str(seq))
            msg.set_body(b"%012d-" % seq + padding)
            try:
                producer.send_sync(msg)
            except Exception as e:  # noqa: BLE001 - counted and reported
                failures.append(e)
                return

    sampling = threading.Thread(target=sampler, name="soak-sampler", daemon=True)
    sampling.start()
    per_thread = -(-messages // n_threads)
    senders = [
        threading.Thread(
            target=send_range,
            args=(i * per_thread, min(messages, (i + 1) * per_thread)),
            name=f"soak-send-{i}",
        )
        for i in range(n_threads)
    ]
    try:
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        drained = all_consumed.wait(drain_timeout)
        with lock:
            n = consumed
        samples.rows.append((time.monotonic() - started, n, rss_mb(), threads(), fds()))
    finally:
        elapsed = time.monotonic() - started
        stop_sampling.set()
        sampling.join()
        producer.shutdown()
        consumer.shutdown()
    rows = samples.rows
    warm = [r for r in rows if r[1] >= messages * warmup] or rows[-1:]
    baseline = warm[0] if warm else (0.0, 0, rss_mb(), threads(), fds())
    last = rows[-1] if rows else baseline
    return {
        "messages": messages,
        "sent_failed": len(failures),
        "consumed_unique": consumed,
        "lost": 0 if drained else messages - consumed,
        "seconds": round(elapsed, 1),
        "msg_per_s": round(messages / elapsed) if elapsed else 0,
        "rss_mb_warm": round(baseline[2], 1),
        "rss_mb_end": round(last[2], 1),
        "rss_mb_max_after_warmup": round(
            max(r[2] for r in warm) if warm else last[2], 1
        ),
        "rss_growth_mb": round(last[2] - baseline[2], 1),
        "threads_warm": baseline[3],
        "threads_end": last[3],
        "fds_warm": baseline[4],
        "fds_end": last[4],
        "samples": len(rows),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=4, help="sending threads")
    ap.add_argument("--body-size", type=int, default=128)
    ap.add_argument(
        "--warmup",
        type=float,
        default=0.1,
        help="fraction consumed before the baseline",
    )
    ap.add_argument("--sample", type=float, default=0.5, help="sampling period, s")
    ap.add_argument("--drain-timeout", type=float, default=300.0)
    ap.add_argument("--max-growth-mb", type=float, default=10.0)
    args = ap.parse_args()
    with TestCluster().start(namesrvs=1, brokers=1) as cluster:
        topic = f"soak_{uuid.uuid4().hex[:8]}"
        cluster.create_topic(topic, queues=8)
        figures = run(
            cluster.namesrv_addr,
            topic,
            args.messages,
            args.threads,
            args.body_size,
            args.warmup,
            args.sample,
            args.drain_timeout,
            progress=True,
        )
    print(json.dumps(figures))
    print(
        f"soak: {figures['messages']} sent and {figures['consumed_unique']} consumed in "
        f"{figures['seconds']} s ({figures['msg_per_s']} msg/s), {figures['sent_failed']} failed, "
        f"{figures['lost']} lost; RSS {figures['rss_mb_warm']} MiB after warm-up -> "
        f"{figures['rss_mb_end']} MiB at the end (growth {figures['rss_growth_mb']} MiB, "
        f"max {figures['rss_mb_max_after_warmup']} MiB); threads {figures['threads_warm']} -> "
        f"{figures['threads_end']}; fds {figures['fds_warm']} -> {figures['fds_end']}"
    )
    bad = (
        figures["lost"]
        or figures["sent_failed"]
        or float(figures["rss_growth_mb"]) > args.max_growth_mb
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
