"""Producer benchmark: the Python API against the Rust core, same broker, same sitting.

    python bench/bench_producer.py --rust-bench target/release/examples/bench_producer

Measures, with 1 KiB bodies: sync sends from one Python thread (p50/p99/p999, msg/s),
send_async throughput from one Python thread (callbacks, bounded in-flight window), the same
with auto-batching on (``set_auto_batch``; twice the messages, a larger window), asyncio
sends (``rocketmq.aio.Producer.send``) awaited one at a time and with 16 / 256 in flight
(``asyncio.gather`` behind a semaphore; and 256 worker coroutines, row ``aio 256w``; and one at a time on uvloop, row ``aio 1uv``, where uvloop is installed), batch throughput (32 and 128 per batch, and the CPU one more message in a batch costs: the per-request CPU of the two sizes differenced), transactional sends from one
thread (``TransactionMQProducer``; each local transaction commits; compared with the sync
sends of the same run) and request-reply round trips from one thread (p50/p99; the replier
is a lite-pull consumer answering with its own producer, in the same language); then the
same by the Rust core alone; prints Python/Rust ratios, asyncio against the blocking and
callback figures of the same run, and the client's CPU time per message (this process's
user+system CPU time over the messages of the path; the broker runs in another process).
The auto-batched row also prints what the benchmark's own Python code (semaphore, lock,
lambdas) costs per message with a stand-in producer that completes at once: the floor under
the Python figure there.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from _common import TestCluster, percentile, ratio, run_rust_reference
from rocketmq import aio
from rocketmq.client import (
    ConsumeFromWhere,
    LitePullConsumer,
    Message,
    Producer,
    TransactionMQProducer,
    TransactionStatus,
    create_reply_message,
)
from rocketmq.exceptions import RocketMQException


def cpu_us_per_msg(cpu_started: float, count: int) -> float:
    """This process's CPU time since `cpu_started` (time.process_time) per message, in µs."""
    return (time.process_time() - cpu_started) / max(count, 1) * 1e6


def sync_sends(
    producer: Producer, topic: str, body: bytes, count: int
) -> dict[str, float]:
    msg = Message(topic)
    msg.set_body(body)
    latencies: list[float] = []
    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(count):
        t = time.perf_counter_ns()
        producer.send_sync(msg)
        latencies.append((time.perf_counter_ns() - t) / 1e6)
    elapsed = time.perf_counter() - started
    cpu_us = cpu_us_per_msg(cpu, count)
    latencies.sort()
    return {
        "msg_per_s": count / elapsed,
        "cpu_us": cpu_us,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "p999_ms": percentile(latencies, 0.999),
    }


def async_sends(
    producer: Producer, topic: str, body: bytes, count: int, window: int
) -> dict[str, float]:
    msg = Message(topic)
    msg.set_body(body)
    slots = threading.Semaphore(window)
    done = threading.Event()
    state = {"ok": 0, "failed": 0}
    lock = threading.Lock()

    def finish(ok: bool) -> None:
        with lock:
            state["ok" if ok else "failed"] += 1
            if state["ok"] + state["failed"] == count:
                done.set()
        slots.release()

    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(count):
        slots.acquire()
        producer.send_async(
            msg, lambda _result: finish(True), lambda _error: finish(False)
        )
    if not done.wait(timeout=300):
        raise RuntimeError(f"async sends did not complete: {state}")
    elapsed = time.perf_counter() - started
    return {
        "msg_per_s": count / elapsed,
        "cpu_us": cpu_us_per_msg(cpu, count),
        "failed": float(state["failed"]),
    }


class InlineProducer:
    """A stand-in for `Producer.send_async` that completes at once, on the calling thread:
    `async_sends` against it costs only the benchmark's own Python code per message (the
    semaphore, the lock, the two lambdas), the floor under any client's figure there."""

    def send_async(
        self,
        msg: Message,
        success_callback: Callable[[Any], None],
        exception_callback: Callable[[Any], None],
    ) -> None:
        success_callback(None)


def aio_sends(
    namesrv: str,
    topic: str,
    body: bytes,
    count: int,
    window: int,
    workers: bool = False,
    on_uvloop: bool = False,
) -> dict[str, float]:
    """`rocketmq.aio.Producer.send` with `window` sends in flight (1: awaited one at a time),
    on asyncio's own loop or, with ``on_uvloop``, on uvloop's:
    ``asyncio.gather`` of one coroutine per message behind a semaphore (the issue's pattern),
    or, with ``workers``, `window` coroutines each awaiting its sends one after another (no
    coroutine, task or semaphore per message: what the asyncio machinery itself costs per
    message in the gather pattern shows as the difference)."""

    async def main() -> dict[str, float]:
        producer = aio.Producer(
            f"bench_aio_{uuid.uuid4().hex[:8]}", namesrv_addr=namesrv
        )
        async with producer:
            msg = Message(topic)
            msg.set_body(body)
            for _ in range(200):
                await producer.send(msg)
            cpu = time.process_time()
            started = time.perf_counter()
            if window == 1:
                for _ in range(count):
                    await producer.send(msg)
            elif workers:
                left = count

                async def worker() -> None:
                    nonlocal left
                    while left > 0:
                        left -= 1
                        await producer.send(msg)

                await asyncio.gather(*(worker() for _ in range(window)))
            else:
                slots = asyncio.Semaphore(window)

                async def one() -> None:
                    async with slots:
                        await producer.send(msg)

                await asyncio.gather(*(one() for _ in range(count)))
            elapsed = time.perf_counter() - started
            return {"msg_per_s": count / elapsed, "cpu_us": cpu_us_per_msg(cpu, count)}

    if on_uvloop:
        import uvloop

        return uvloop.run(main())
    return asyncio.run(main())


def batch_sends(
    producer: Producer, topic: str, body: bytes, count: int, batch: int
) -> dict[str, float]:
    msgs = []
    for _ in range(batch):
        m = Message(topic)
        m.set_body(body)
        msgs.append(m)
    rounds = max(1, count // batch)
    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(rounds):
        producer.send_batch(msgs)
    elapsed = time.perf_counter() - started
    return {
        "msg_per_s": rounds * batch / elapsed,
        "cpu_us": cpu_us_per_msg(cpu, rounds * batch),
    }


def transactional_sends(
    namesrv: str, topic: str, body: bytes, count: int
) -> dict[str, float]:
    producer = TransactionMQProducer(
        f"bench_py_txn_{uuid.uuid4().hex[:8]}", lambda msg: TransactionStatus.COMMIT
    )
    producer.set_name_server_address(namesrv)
    msg = Message(topic)
    msg.set_body(body)

    def commit(_msg: object, _args: object) -> TransactionStatus:
        return TransactionStatus.COMMIT

    with producer:
        for _ in range(100):
            producer.send_message_in_transaction(msg, commit)
        started = time.perf_counter()
        for _ in range(count):
            producer.send_message_in_transaction(msg, commit)
        elapsed = time.perf_counter() - started
    return {"msg_per_s": count / elapsed}


def request_reply(
    producer: Producer, namesrv: str, topic: str, body: bytes, count: int
) -> dict[str, float]:
    """Round trips through a lite-pull replier answering on its own thread. Requests carry
    the tag ``rr_py`` (the Rust reference's, ``rr``, were answered by its own replier)."""
    replier = LitePullConsumer(
        f"bench_py_replier_{uuid.uuid4().hex[:8]}",
        namesrv_addr=namesrv,
        consume_from_where=ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET,
    )
    replier.subscribe(topic, "rr_py")
    sender = Producer(f"bench_py_reply_p_{uuid.uuid4().hex[:8]}")
    sender.set_name_server_address(namesrv)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            for request in replier.poll(timeout_ms=100):
                try:
                    sender.send_sync(create_reply_message(request, request.body))
                except RocketMQException as e:  # the requester gave up and left
                    print(f"reply not delivered: {e}")

    msg = Message(topic)
    msg.set_tags("rr_py")
    msg.set_body(body)
    with replier, sender:
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            for _ in range(50):
                producer.request(msg, 10_000)
            latencies: list[float] = []
            started = time.perf_counter()
            for _ in range(count):
                t = time.perf_counter_ns()
                producer.request(msg, 10_000)
                latencies.append((time.perf_counter_ns() - t) / 1e6)
            elapsed = time.perf_counter() - started
        finally:
            stop.set()
            thread.join(timeout=10)
    latencies.sort()
    return {
        "per_s": count / elapsed,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rust-bench", required=True, help="path of the bench_producer example binary"
    )
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--body", type=int, default=1024)
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument(
        "--auto-window",
        type=int,
        default=2048,
        help="in-flight window of the auto-batched send_async run",
    )
    parser.add_argument("--txn-count", type=int, default=5000)
    parser.add_argument("--rr-count", type=int, default=2000)
    args = parser.parse_args()
    body = b"x" * args.body

    with TestCluster().start(namesrvs=1, brokers=1) as cluster:
        topic = f"bench_{uuid.uuid4().hex[:8]}"
        cluster.create_topic(topic, 8)
        print(
            f"cluster up: namesrv {cluster.namesrv_addr}, topic {topic}, {args.count} x {args.body} B"
        )

        rust = run_rust_reference(
            args.rust_bench,
            [
                "--namesrv",
                cluster.namesrv_addr,
                "--topic",
                topic,
                "--count",
                str(args.count),
                "--body",
                str(args.body),
                "--window",
                str(args.window),
                "--batch",
                str(args.batch),
                "--auto-window",
                str(args.auto_window),
                "--txn-count",
                str(args.txn_count),
                "--rr-count",
                str(args.rr_count),
            ],
        )

        producer = Producer(f"bench_py_{uuid.uuid4().hex[:8]}")
        producer.set_name_server_address(cluster.namesrv_addr)
        producer.start()
        try:
            warm = Message(topic)
            warm.set_body(body)
            for _ in range(200):
                producer.send_sync(warm)
            py_sync = sync_sends(producer, topic, body, args.count)
            py_async = async_sends(producer, topic, body, args.count, args.window)
            # Right after the callbacks, so that the ratios compare neighbours in time.
            py_aio = {
                str(w): aio_sends(cluster.namesrv_addr, topic, body, args.count, w)
                for w in (1, 16, args.window)
            }
            py_aio[f"{args.window}w"] = aio_sends(
                cluster.namesrv_addr, topic, body, args.count, args.window, workers=True
            )
            if importlib.util.find_spec("uvloop"):
                py_aio["1uv"] = aio_sends(
                    cluster.namesrv_addr, topic, body, args.count, 1, on_uvloop=True
                )
            py_batch = batch_sends(producer, topic, body, args.count, args.batch)
            big_batch = args.batch * 4
            py_batch_big = batch_sends(producer, topic, body, args.count * 2, big_batch)
            py_txn = transactional_sends(
                cluster.namesrv_addr, topic, body, args.txn_count
            )
            py_rr = request_reply(
                producer, cluster.namesrv_addr, topic, body, args.rr_count
            )
        finally:
            producer.shutdown()
        auto = Producer(f"bench_auto_{uuid.uuid4().hex[:8]}")
        auto.set_name_server_address(cluster.namesrv_addr)
        auto.set_auto_batch(True)
        auto.start()
        try:
            for _ in range(200):
                auto.send_sync(warm)
            py_auto = async_sends(auto, topic, body, args.count * 2, args.auto_window)
            harness = async_sends(
                InlineProducer(),  # type: ignore[arg-type]
                topic,
                body,
                args.count * 2,
                args.auto_window,
            )
        finally:
            auto.shutdown()

    rs_sync, rs_async, rs_batch = rust["sync"], rust["async"], rust["batch"]
    rs_txn, rs_rr = rust["txn"], rust["request_reply"]
    print()
    print(
        f"{'mode':<10} {'python msg/s':>13} {'rust msg/s':>11} {'py/rust':>8} "
        f"{'cpu us/msg py':>14} {'rust':>6}   notes"
    )

    def row(
        name: str, py: dict[str, float], rs: dict[str, Any] | None, note: str
    ) -> None:
        rs_rate = f"{rs['msg_per_s']:>11.0f}" if rs else f"{'-':>11}"
        rs_ratio = ratio(py["msg_per_s"], rs["msg_per_s"]) if rs else "-"
        rs_cpu = rs.get("cpu_us") if rs else None
        rs_cpu_s = (
            f"{rs_cpu:>6.1f}" if isinstance(rs_cpu, (int, float)) else f"{'-':>6}"
        )
        print(
            f"{name:<10} {py['msg_per_s']:>13.0f} {rs_rate} {rs_ratio:>8} "
            f"{py['cpu_us']:>14.1f} {rs_cpu_s}   {note}"
        )

    row(
        "sync",
        py_sync,
        rs_sync,
        f"p50 {py_sync['p50_ms']:.3f} p99 {py_sync['p99_ms']:.3f} p999 {py_sync['p999_ms']:.3f} | "
        f"rust p50 {rs_sync['p50_ms']:.3f} p99 {rs_sync['p99_ms']:.3f} p999 {rs_sync['p999_ms']:.3f}",
    )
    row("async", py_async, rs_async, f"callbacks, window {args.window}")
    row(
        "async auto",
        py_auto,
        rust.get("async_auto"),
        f"auto-batched, window {args.auto_window}: "
        f"{ratio(py_auto['msg_per_s'], py_async['msg_per_s'])} of async; "
        f"the bench's own Python code alone: {harness['cpu_us']:.2f} us CPU",
    )
    for w, result in py_aio.items():
        versus = (
            f"{ratio(result['msg_per_s'], py_sync['msg_per_s'])} of sync"
            if w in ("1", "1uv")
            else f"{ratio(result['msg_per_s'], py_async['msg_per_s'])} of callbacks (window {args.window})"
        )
        if w == "1uv":
            how = "1 in flight, on uvloop"
        elif w.endswith("w"):
            how = f"{w[:-1]} worker coroutines"
        else:
            how = f"{w} in flight"
        row(f"aio {w}", result, None, f"asyncio, {how}: {versus}")
    row("batch", py_batch, rs_batch, f"{args.batch} per batch")
    # The client's cost of one more message in a batch: the per-request CPU of the two batch
    # sizes, differenced (the round trip's own cost, the same for both, drops out).
    marginal = (
        py_batch_big["cpu_us"] * big_batch - py_batch["cpu_us"] * args.batch
    ) / (big_batch - args.batch)
    row(
        f"batch {big_batch}",
        py_batch_big,
        None,
        f"{big_batch} per batch; each message beyond the round trip: {marginal:.2f} us CPU",
    )
    print(
        f"{'txn':<10} {py_txn['msg_per_s']:>13.0f} {rs_txn['msg_per_s']:>11.0f} "
        f"{ratio(py_txn['msg_per_s'], rs_txn['msg_per_s']):>8}   "
        f"vs sync of this run: python {ratio(py_txn['msg_per_s'], py_sync['msg_per_s'])}, "
        f"rust {ratio(rs_txn['msg_per_s'], rs_sync['msg_per_s'])}"
    )
    print(
        f"{'request':<10} {py_rr['per_s']:>13.0f} {rs_rr['per_s']:>11.0f} "
        f"{ratio(py_rr['per_s'], rs_rr['per_s']):>8}   "
        f"round trip p50 {py_rr['p50_ms']:.3f} p99 {py_rr['p99_ms']:.3f} | "
        f"p50 {rs_rr['p50_ms']:.3f} p99 {rs_rr['p99_ms']:.3f}"
    )
    print()
    print(
        "targets (issue #13): Python throughput >= 0.9x the Rust core's on every path; "
        "sync p99 <= 1.15x the Rust core's; "
        f"aio 1 >= 0.95x sync; aio {args.window} >= 0.9x callbacks; "
        "async auto >= 4x async and >= 50k msg/s; "
        "CPU <= 10 us/msg sync, <= 2 us/msg batched and auto-batched"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
