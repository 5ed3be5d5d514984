"""The interpreter exits cleanly right after mixed blocking, callback and asyncio sends against
the real broker, run many times (an abort, exit 134, was once seen in 1 of 26 such runs: a
runtime worker resolving an asyncio future while the interpreter finalized). The sequence of
issue #13: send_sync and send_async callbacks on one producer, asyncio sends on another (some
left in flight at exit), and an event loop on a daemon thread still sending as the interpreter
exits."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from testkit import TestCluster

pytestmark = pytest.mark.integration

RUNS = 12

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, threading, uuid
    from rocketmq import aio
    from rocketmq.client import Message, Producer

    namesrv, topic = sys.argv[1], sys.argv[2]
    msg = Message(topic)
    msg.set_body(b"x" * 64)
    p = Producer("pg_exit_" + uuid.uuid4().hex[:8], timeout=10000)
    p.set_name_server_address(namesrv)
    p.start()
    for _ in range(50):
        p.send_sync(msg)
    done = threading.Semaphore(0)
    for _ in range(200):
        p.send_async(msg, lambda r: done.release(), lambda e: done.release())
    for _ in range(100):  # half of them may still be in flight at exit
        done.acquire(timeout=10)

    async def burst():
        q = aio.Producer("pg_exit_aio_" + uuid.uuid4().hex[:8], namesrv_addr=namesrv)
        await q.start()
        await asyncio.gather(*(q.send(msg) for _ in range(200)))
        # And some left in flight, never awaited, when the loop and the interpreter end.
        for _ in range(200):
            asyncio.ensure_future(q.send(msg))

    asyncio.run(burst())

    # A loop on a daemon thread still sending (and resolving futures) when the interpreter exits.
    sending = threading.Event()

    async def forever():
        q = aio.Producer("pg_exit_aio2_" + uuid.uuid4().hex[:8], namesrv_addr=namesrv)
        await q.start()
        slots = asyncio.Semaphore(64)

        async def one():
            try:
                await q.send(msg)
                sending.set()
            finally:
                slots.release()

        pending = set()
        while True:
            await slots.acquire()
            t = asyncio.ensure_future(one())
            pending.add(t)
            t.add_done_callback(pending.discard)

    threading.Thread(target=lambda: asyncio.run(forever()), daemon=True).start()
    sending.wait(timeout=20)
    print("bye", flush=True)
    """
)


def test_exit_after_mixed_sends_never_aborts(cluster: TestCluster, topic: str) -> None:
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    for run in range(RUNS):
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, cluster.namesrv_addr, topic],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert proc.returncode == 0, (run, proc.returncode, proc.stderr[-3000:])
        assert proc.stdout.strip() == "bye", (run, proc.stdout, proc.stderr[-3000:])
