"""Producer benchmark: the Python API against the Rust core, same broker, same sitting.

    python bench/bench_producer.py --rust-bench target/release/examples/bench_producer

Measures, with 1 KiB bodies: sync sends from one Python thread (p50/p99/p999, msg/s),
send_async throughput from one Python thread (callbacks, bounded in-flight window), batch
throughput; then the same three by the Rust core alone; prints Python/Rust ratios.
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid

from _common import TestCluster, percentile, ratio, run_rust_reference
from rocketmq.client import Message, Producer


def sync_sends(
    producer: Producer, topic: str, body: bytes, count: int
) -> dict[str, float]:
    msg = Message(topic)
    msg.set_body(body)
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(count):
        t = time.perf_counter_ns()
        producer.send_sync(msg)
        latencies.append((time.perf_counter_ns() - t) / 1e6)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "msg_per_s": count / elapsed,
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

    started = time.perf_counter()
    for _ in range(count):
        slots.acquire()
        producer.send_async(
            msg, lambda _result: finish(True), lambda _error: finish(False)
        )
    if not done.wait(timeout=300):
        raise RuntimeError(f"async sends did not complete: {state}")
    elapsed = time.perf_counter() - started
    return {"msg_per_s": count / elapsed, "failed": float(state["failed"])}


def batch_sends(
    producer: Producer, topic: str, body: bytes, count: int, batch: int
) -> dict[str, float]:
    msgs = []
    for _ in range(batch):
        m = Message(topic)
        m.set_body(body)
        msgs.append(m)
    rounds = max(1, count // batch)
    started = time.perf_counter()
    for _ in range(rounds):
        producer.send_batch(msgs)
    elapsed = time.perf_counter() - started
    return {"msg_per_s": rounds * batch / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--rust-bench", required=True, help="path of the bench_producer example binary"
    )
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--body", type=int, default=1024)
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--batch", type=int, default=32)
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
            py_batch = batch_sends(producer, topic, body, args.count, args.batch)
        finally:
            producer.shutdown()

    rs_sync, rs_async, rs_batch = rust["sync"], rust["async"], rust["batch"]
    print()
    print(
        f"{'mode':<8} {'python msg/s':>13} {'rust msg/s':>11} {'py/rust':>8}   latency (ms) python | rust"
    )
    print(
        f"{'sync':<8} {py_sync['msg_per_s']:>13.0f} {rs_sync['msg_per_s']:>11.0f} "
        f"{ratio(py_sync['msg_per_s'], rs_sync['msg_per_s']):>8}   "
        f"p50 {py_sync['p50_ms']:.3f} p99 {py_sync['p99_ms']:.3f} p999 {py_sync['p999_ms']:.3f} | "
        f"p50 {rs_sync['p50_ms']:.3f} p99 {rs_sync['p99_ms']:.3f} p999 {rs_sync['p999_ms']:.3f}"
    )
    print(
        f"{'async':<8} {py_async['msg_per_s']:>13.0f} {rs_async['msg_per_s']:>11.0f} "
        f"{ratio(py_async['msg_per_s'], rs_async['msg_per_s']):>8}   window {args.window}"
    )
    print(
        f"{'batch':<8} {py_batch['msg_per_s']:>13.0f} {rs_batch['msg_per_s']:>11.0f} "
        f"{ratio(py_batch['msg_per_s'], rs_batch['msg_per_s']):>8}   {args.batch} per batch"
    )
    print()
    print(
        "targets: sync p99 <= 0.5 ms on loopback; Python throughput >= 0.85x the Rust core's"
    )


if __name__ == "__main__":
    main()
