"""Consumer benchmark: Python callbacks against the Rust core, same broker, same sitting.

    python bench/bench_consumer.py --rust-bench target/release/examples/bench_consumer

With 1 KiB bodies, against a local name server + broker started by the test kit:

* drain -- fill a topic with ``--count`` messages (``send_batch``), then consume them all from
  the first offset into a Python callback: msg/s from ``start()`` to the last callback, and
  this process's CPU time per message (the Python drains; the broker runs in another process);
* latency -- send at a steady ``--rate`` msg/s for ``--seconds`` s, each body starting with its
  send time in ns (20 ASCII digits, padded with ``x``): send-to-callback p50/p99/p999;

* lite-pull drain -- the same backlog through ``LitePullConsumer.poll()`` (fresh group, pull
  batch 32) into a Python loop;
* asyncio drain -- the same backlog into ``async def`` callbacks of ``rocketmq.aio.PushConsumer``
  (fresh group) on one event loop, with a 1 ms ticker on the loop measuring its lag (how late
  the ticker wakes) while draining;

then the same two by the Rust core alone (the ``bench_consumer`` example: drain with a fresh
group on the same filled topic, latency on a topic of its own), and the Python/Rust ratios.

``--push-drains N`` runs only the push drains (sync, asyncio, asyncio with batch 8) N times on
one filled topic, each asyncio figure as a ratio to the sync drain of the same round, with the
process's CPU time per message: the quick loop for tuning the asyncio consumer on a shared
machine, where figures of separate runs are not comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import threading
import time
import uuid
from typing import Any

from _common import TestCluster, percentile, ratio, run_rust_reference
from rocketmq import aio
from rocketmq.client import (
    ConsumeFromWhere,
    LitePullConsumer,
    Message,
    Producer,
    PushConsumer,
    ReceivedMessage,
)

BATCH = 32  # messages per send_batch when filling


def fill(producer: Producer, topic: str, count: int, body: bytes) -> float:
    """Store ``count`` messages in ``topic`` (batches of BATCH); return msg/s."""
    started = time.perf_counter()
    sent = 0
    while sent < count:
        n = min(BATCH, count - sent)
        batch = []
        for _ in range(n):
            msg = Message(topic)
            msg.set_body(body)
            batch.append(msg)
        producer.send_batch(batch)
        sent += n
    return count / (time.perf_counter() - started)


def new_consumer(namesrv: str, args: argparse.Namespace) -> PushConsumer:
    consumer = PushConsumer(f"bench_py_{uuid.uuid4().hex[:8]}")
    consumer.set_name_server_address(namesrv)
    consumer.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    if args.threads:
        consumer.set_thread_count(args.threads)
    if args.batch_size:
        consumer.set_message_batch_max_size(args.batch_size)
    return consumer


def python_drain(
    namesrv: str, topic: str, args: argparse.Namespace
) -> dict[str, float]:
    counter = itertools.count(1)
    done = threading.Event()
    finished_at = [0.0]
    count = args.count

    def on_message(msg: ReceivedMessage) -> None:
        if next(counter) == count:
            finished_at[0] = time.perf_counter()
            done.set()

    consumer = new_consumer(namesrv, args)
    consumer.subscribe(topic, on_message)
    cpu = time.process_time()
    started = time.perf_counter()
    consumer.start()
    try:
        if not done.wait(600):
            raise RuntimeError(f"drain incomplete: {next(counter) - 1} of {count}")
        cpu_us = (time.process_time() - cpu) / count * 1e6
    finally:
        consumer.shutdown()
    seconds = finished_at[0] - started
    return {"msg_per_s": count / seconds, "seconds": seconds, "cpu_us": cpu_us}


def lite_drain(namesrv: str, topic: str, args: argparse.Namespace) -> dict[str, float]:
    """Drain ``topic`` by polling a lite-pull consumer; msg/s from start() to the last message."""
    consumer = LitePullConsumer(
        f"bench_lite_{uuid.uuid4().hex[:8]}",
        namesrv_addr=namesrv,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
        pull_batch_size=32,
    )
    consumer.subscribe(topic)
    got = 0
    cpu = time.process_time()
    started = time.perf_counter()
    consumer.start()
    try:
        deadline = started + 600
        while got < args.count and time.perf_counter() < deadline:
            for _msg in consumer.poll(5000):
                got += 1
    finally:
        consumer.shutdown()
    seconds = time.perf_counter() - started
    cpu_us = (time.process_time() - cpu) / max(got, 1) * 1e6
    if got < args.count:
        raise RuntimeError(f"lite-pull drain incomplete: {got} of {args.count}")
    return {"msg_per_s": got / seconds, "seconds": seconds, "cpu_us": cpu_us}


def aio_drain(
    namesrv: str, topic: str, args: argparse.Namespace, batch: int | None = None
) -> dict[str, float]:
    """Drain ``topic`` into async callbacks (``batch`` messages per task, default 1); msg/s and
    the loop's lag percentiles (ms)."""
    count = args.count

    async def run() -> dict[str, float]:
        seen = 0
        done = asyncio.Event()
        finished_at = 0.0
        lags: list[float] = []

        async def on_message(msg: ReceivedMessage) -> None:
            nonlocal seen, finished_at
            seen += 1
            if seen == count:
                finished_at = time.perf_counter()
                done.set()

        async def ticker() -> None:
            while not done.is_set():
                t0 = time.perf_counter()
                await asyncio.sleep(0.001)
                lags.append((time.perf_counter() - t0 - 0.001) * 1000)

        consumer = aio.PushConsumer(
            f"bench_aio_{uuid.uuid4().hex[:8]}",
            namesrv_addr=namesrv,
            consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
            batch_max_size=batch,
        )
        consumer.subscribe(topic, on_message)
        tick = asyncio.ensure_future(ticker())
        cpu = time.process_time()
        started = time.perf_counter()
        loop_cpu = (
            time.thread_time()
        )  # the loop's thread: the drain's share of the work
        await consumer.start()
        try:
            await asyncio.wait_for(done.wait(), 600)
            cpu_us = (time.process_time() - cpu) / count * 1e6
            loop_cpu = time.thread_time() - loop_cpu
        finally:
            await consumer.shutdown()
            await tick
        values = sorted(lags)
        seconds = finished_at - started
        return {
            "msg_per_s": count / seconds,
            "seconds": seconds,
            "cpu_us": cpu_us,
            "lag_p50_ms": percentile(values, 0.50),
            "lag_p99_ms": percentile(values, 0.99),
            "lag_max_ms": values[-1],
            "loop_cpu_us": loop_cpu / count * 1e6,
        }

    return asyncio.run(run())


def python_latency(
    namesrv: str, producer: Producer, topic: str, args: argparse.Namespace
) -> dict[str, float]:
    count = args.rate * args.seconds
    latencies: list[float] = []
    warm = threading.Event()
    done = threading.Event()
    lock = threading.Lock()

    def on_message(msg: ReceivedMessage) -> None:
        now = time.time_ns()
        body = msg.body
        if body.startswith(b"warm"):
            warm.set()
            return
        sent = int(body[:20])
        with lock:
            latencies.append((now - sent) / 1e6)
            if len(latencies) == count:
                done.set()

    consumer = new_consumer(namesrv, args)
    consumer.subscribe(topic, on_message)
    consumer.start()
    try:
        # The consumer owns its queues (and has connections) before the clock starts.
        for _ in range(8):
            msg = Message(topic)
            msg.set_body(b"warm")
            producer.send_sync(msg)
        if not warm.wait(30):
            raise RuntimeError("warm-up message not consumed")
        pad = max(args.body, 20)
        interval = 1.0 / args.rate
        next_send = time.perf_counter()
        for _ in range(count):
            delay = next_send - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            next_send += interval
            msg = Message(topic)
            msg.set_body(f"{time.time_ns():020d}".encode().ljust(pad, b"x"))
            producer.send_sync(msg)
        if not done.wait(60):
            raise RuntimeError(f"latency run incomplete: {len(latencies)} of {count}")
    finally:
        consumer.shutdown()
    values = sorted(latencies)
    return {
        "count": float(len(values)),
        "p50_ms": percentile(values, 0.50),
        "p99_ms": percentile(values, 0.99),
        "p999_ms": percentile(values, 0.999),
        "max_ms": values[-1],
    }


def rust_cpu(result: dict[str, Any]) -> str:
    """The Rust run's CPU time per message, as printed ("-" where /proc did not tell it)."""
    cpu = result.get("cpu_us")
    return f"{float(cpu):.1f}" if isinstance(cpu, (int, float)) else "-"


def push_drains(args: argparse.Namespace) -> None:
    """``--push-drains``: the sync and asyncio push drains, round after round (see the docs)."""
    topic = f"bench_drain_{uuid.uuid4().hex[:8]}"
    with TestCluster().start(namesrvs=1, brokers=1) as cluster:
        namesrv = cluster.namesrv_addr
        cluster.create_topic(topic, args.queues)
        producer = Producer(f"bench_fill_{uuid.uuid4().hex[:8]}", timeout=10_000)
        producer.set_name_server_address(namesrv)
        producer.start()
        try:
            fill(producer, topic, args.count, b"x" * args.body)
        finally:
            producer.shutdown()
        print(f"filled {topic} with {args.count} messages")
        cases = (
            ("sync", lambda: python_drain(namesrv, topic, args)),
            ("asyncio", lambda: aio_drain(namesrv, topic, args)),
            ("asyncio8", lambda: aio_drain(namesrv, topic, args, batch=8)),
        )
        for round_ in range(args.push_drains):
            sync = 0.0
            for name, drain in cases:
                cpu = time.process_time()
                r = drain()
                cpu_us = (time.process_time() - cpu) / args.count * 1e6
                sync = sync or r["msg_per_s"]
                lag = (
                    f" ({r['loop_cpu_us']:.1f} on the loop); loop lag p50 "
                    f"{r['lag_p50_ms']:.2f} ms, p99 {r['lag_p99_ms']:.2f} ms"
                    if "lag_p99_ms" in r
                    else ""
                )
                print(
                    f"round {round_} {name:<9} {r['msg_per_s']:>8.0f} msg/s "
                    f"{ratio(r['msg_per_s'], sync):>6} of sync, {cpu_us:.1f} us CPU/msg{lag}",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rust-bench", help="the bench_consumer example binary")
    parser.add_argument(
        "--push-drains",
        type=int,
        default=0,
        metavar="N",
        help="only the push drains (sync, asyncio, asyncio batch 8), N rounds",
    )
    parser.add_argument("--count", type=int, default=100_000, help="messages to drain")
    parser.add_argument("--rate", type=int, default=1000, help="latency run: msg/s")
    parser.add_argument("--seconds", type=int, default=10, help="latency run: duration")
    parser.add_argument("--body", type=int, default=1024)
    parser.add_argument("--queues", type=int, default=8)
    parser.add_argument(
        "--threads", type=int, default=0, help="consume threads (default 20)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=0, help="consume batch (default 1)"
    )
    args = parser.parse_args()
    if args.push_drains:
        push_drains(args)
        return
    if not args.rust_bench:
        parser.error("--rust-bench is required (unless --push-drains)")
    body = b"x" * args.body
    tag = uuid.uuid4().hex[:8]
    drain_topic, py_topic, rs_topic = (
        f"bench_{k}_{tag}" for k in ("drain", "lat_py", "lat_rs")
    )

    with TestCluster().start(namesrvs=1, brokers=1) as cluster:
        namesrv = cluster.namesrv_addr
        for topic in (drain_topic, py_topic, rs_topic):
            cluster.create_topic(topic, args.queues)
        print(
            f"cluster up: namesrv {namesrv}, {args.queues} queues per topic, {args.body} B bodies"
        )
        producer = Producer(f"bench_fill_{tag}", timeout=10_000)
        producer.set_name_server_address(namesrv)
        producer.start()
        try:
            fill_rate = fill(producer, drain_topic, args.count, body)
            print(
                f"filled {drain_topic} with {args.count} messages ({fill_rate:.0f} msg/s)"
            )
            common = ["--namesrv", namesrv, "--body", str(args.body)]
            drain_args = [*common, "--topic", drain_topic, "--mode", "drain"]
            drain_args += ["--count", str(args.count)]
            # The Rust reference drains (with a fresh group) before and after the Python run;
            # the faster of the two is the reference, so page-cache warmth cannot flatter Python.
            rust_drains = [run_rust_reference(args.rust_bench, drain_args)["drain"]]
            py_drain = python_drain(namesrv, drain_topic, args)
            rust_drains.append(run_rust_reference(args.rust_bench, drain_args)["drain"])
            py_aio_drain = aio_drain(namesrv, drain_topic, args)
            py_aio_drain8 = aio_drain(namesrv, drain_topic, args, batch=8)
            py_lite_drain = lite_drain(namesrv, drain_topic, args)
            rust: dict[str, dict[str, Any]] = {
                "drain": max(rust_drains, key=lambda r: float(r["msg_per_s"]))
            }
            lite_args = [*common, "--topic", drain_topic, "--mode", "lite-drain"]
            lite_args += ["--count", str(args.count), "--group", f"bench_rs_lite_{tag}"]
            rust["lite-drain"] = run_rust_reference(args.rust_bench, lite_args)[
                "lite-drain"
            ]
            py_latency = python_latency(namesrv, producer, py_topic, args)
            rust |= run_rust_reference(
                args.rust_bench,
                [
                    *common,
                    "--topic",
                    rs_topic,
                    "--mode",
                    "latency",
                    "--count",
                    str(args.rate * args.seconds),
                    "--rate",
                    str(args.rate),
                ],
            )
        finally:
            producer.shutdown()

    rust_runs = ", ".join(f"{float(r['msg_per_s']):.0f}" for r in rust_drains)
    rs_drain, rs_latency = rust["drain"], rust["latency"]
    print()
    print(f"{'drain':<8} {'python msg/s':>13} {'rust msg/s':>11} {'py/rust':>8}")
    print(
        f"{'':<8} {py_drain['msg_per_s']:>13.0f} {rs_drain['msg_per_s']:>11.0f} "
        f"{ratio(py_drain['msg_per_s'], rs_drain['msg_per_s']):>8}   "
        f"({args.count} messages: {py_drain['seconds']:.2f} s vs {rs_drain['seconds']:.2f} s; "
        f"rust runs: {rust_runs} msg/s; CPU us/msg python {py_drain['cpu_us']:.1f}, "
        f"rust {rust_cpu(rs_drain)})"
    )
    rs_lite = rust["lite-drain"]
    print(
        f"{'lite':<8} {py_lite_drain['msg_per_s']:>13.0f} {rs_lite['msg_per_s']:>11.0f} "
        f"{ratio(py_lite_drain['msg_per_s'], rs_lite['msg_per_s']):>8}   "
        f"(poll(); vs the sync push drain: "
        f"{ratio(py_lite_drain['msg_per_s'], py_drain['msg_per_s'])}; "
        f"CPU us/msg python {py_lite_drain['cpu_us']:.1f}, rust {rust_cpu(rs_lite)})"
    )
    print(
        f"{'asyncio':<8} {py_aio_drain['msg_per_s']:>13.0f} {'':>11} "
        f"{ratio(py_aio_drain['msg_per_s'], py_drain['msg_per_s']):>8}   "
        f"(vs the sync push drain; event-loop lag while draining: p50 "
        f"{py_aio_drain['lag_p50_ms']:.2f} ms, p99 {py_aio_drain['lag_p99_ms']:.2f} ms, "
        f"max {py_aio_drain['lag_max_ms']:.2f} ms; CPU {py_aio_drain['cpu_us']:.1f} us/msg)"
    )
    print(
        f"{'asyncio8':<8} {py_aio_drain8['msg_per_s']:>13.0f} {'':>11} "
        f"{ratio(py_aio_drain8['msg_per_s'], py_drain['msg_per_s']):>8}   "
        f"(batch_max_size=8: a task awaits 8 callbacks in turn; loop lag p99 "
        f"{py_aio_drain8['lag_p99_ms']:.2f} ms; CPU {py_aio_drain8['cpu_us']:.1f} us/msg)"
    )
    print()
    print(f"latency at {args.rate} msg/s for {args.seconds} s, send -> callback (ms)")
    print(f"{'':<8} {'p50':>8} {'p99':>8} {'p999':>8} {'max':>8}")
    for name, r in (("python", py_latency), ("rust", rs_latency)):
        print(
            f"{name:<8} {r['p50_ms']:>8.3f} {r['p99_ms']:>8.3f} {r['p999_ms']:>8.3f} "
            f"{r['max_ms']:>8.3f}"
        )
    print(
        f"{'py/rust':<8} {ratio(py_latency['p50_ms'], rs_latency['p50_ms']):>8} "
        f"{ratio(py_latency['p99_ms'], rs_latency['p99_ms']):>8} "
        f"{ratio(py_latency['p999_ms'], rs_latency['p999_ms']):>8}"
    )
    print()
    print(
        "targets: python p99 <= 5 ms, p999 <= 20 ms; python drain >= 0.7x the Rust core's; "
        "lite-pull drain >= 1.0x and asyncio drain >= 0.7x the sync push drain, loop lag p99 <= 5 ms"
    )


if __name__ == "__main__":
    main()
