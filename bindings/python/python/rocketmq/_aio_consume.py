"""Tasks of :class:`rocketmq.aio.PushConsumer` (used by the native asyncio listener,
``bindings/python/src/aio_listener.rs``; not public API).

The native side hands each batch of messages to :meth:`Spawner.spawn` on the event loop; the
task awaits the topic's callback for each message in order and reports through ``verdict``:
None means done; any other result goes through ``verdict.accepts(msg, result)``, the blocking
consumer's rules (CONSUME_SUCCESS: done; anything else: redelivered, logged);
``verdict.finish(done)`` says how many are done.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
import logging
import socket
import sys
import types
from typing import Any, Callable

_logger = logging.getLogger("rocketmq")

#: (callback, messages, verdict): a batch waiting for a free slot.
_Batch = tuple[Callable[[Any], Any], list[Any], Any]


class Spawner:
    """Creates the tasks and keeps a strong reference to each until it ends (asyncio only keeps
    weak ones); on Python 3.12+ tasks start eagerly, so a callback that finishes without waiting
    costs no extra turn of the loop. Also owns the read end of the native side's wake socket."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = 20) -> None:
        self._loop = loop
        self._limit = max(1, limit)
        self._running = 0
        self._waiting: collections.deque[_Batch] = collections.deque()
        self.tasks: set[asyncio.Task[None]] = set()
        self._wake: socket.socket | None = None
        self._eager = sys.version_info >= (3, 12)

    def spawn(self, callback: Callable[[Any], Any], messages: list[Any], verdict: Any) -> None:
        """Run the batch now if fewer than ``limit`` run, else when one finishes (in order)."""
        if self._waiting or self._running >= self._limit:
            self._waiting.append((callback, messages, verdict))
            return
        # Called once per batch: the common case (a free slot) inline.
        self._running += 1
        if self._start(_run(callback, messages, verdict)):
            self._running -= 1  # finished without waiting

    def _start_waiting(self) -> None:
        while self._waiting and self._running < self._limit:
            callback, messages, verdict = self._waiting.popleft()
            self._running += 1
            if self._start(_run(callback, messages, verdict)):
                self._running -= 1  # finished without waiting

    def _start(self, coro: Any) -> bool:
        """Start ``coro`` eagerly; True if it already finished."""
        if self._eager:
            task = asyncio.Task(coro, loop=self._loop, eager_start=True)  # type: ignore[call-arg]
            if task.done():
                return True
        else:
            # Eager start by hand (Python < 3.12): run the first step now; a callback that
            # finishes without waiting needs no task at all.
            try:
                first = coro.send(None)
            except StopIteration:
                return True
            task = self._loop.create_task(_continue(coro, first))
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return False

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self._running -= 1
        self._start_waiting()

    def watch(self, fd: int, drain: Callable[[], None]) -> bool:
        """Take ownership of the socket ``fd`` and run ``drain`` whenever the native side writes
        to its other end; False (socket closed) where the loop cannot watch sockets."""
        wake = socket.socket(fileno=fd)
        wake.setblocking(False)
        try:
            self._loop.add_reader(wake.fileno(), self._on_wake, drain)
        except (NotImplementedError, RuntimeError):
            wake.close()
            return False
        self._wake = wake
        return True

    def _on_wake(self, drain: Callable[[], None]) -> None:
        wake = self._wake
        if wake is None:
            return
        try:
            data = wake.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the native side is gone (consumer dropped)
            self.close()
            return
        drain()

    def close(self) -> None:
        wake, self._wake = self._wake, None
        if wake is not None:
            with contextlib.suppress(RuntimeError, ValueError):  # the loop is closed already
                self._loop.remove_reader(wake.fileno())
            wake.close()


class _Resume:
    """Awaitable that continues a coroutine whose first step already ran and yielded
    ``first`` (a future it waits for): the enclosing task gets the same future (so it waits for
    it exactly as if it had run that step), and every later send or throw goes to the
    coroutine, as ``yield from`` would."""

    __slots__ = ("_coro", "_first")

    def __init__(self, coro: Any, first: Any) -> None:
        self._coro = coro
        self._first = first

    def __await__(self) -> Any:
        coro, value = self._coro, self._first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # thrown in by the task (cancellation)
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                value = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _continue(coro: Any, first: Any) -> None:
    await _Resume(coro, first)


_CoroutineType = types.CoroutineType


async def _run(callback: Callable[[Any], Any], messages: list[Any], verdict: Any) -> None:
    done = 0
    try:
        for msg in messages:
            try:
                result = callback(msg)
                # Per message: the cheap tests first (None, then a coroutine of an async def).
                if result is not None and (
                    type(result) is _CoroutineType or inspect.isawaitable(result)
                ):
                    result = await result
            except Exception:
                _logger.warning(
                    "consumer callback for topic %r raised; message %s will be redelivered "
                    "(RECONSUME_LATER)",
                    msg.topic,
                    msg.id,
                    exc_info=True,
                )
                break
            # None (the usual result) is done without asking the native side.
            if result is not None and not verdict.accepts(msg, result):
                break
            done += 1
    finally:
        # Also on cancellation (loop shutting down): what is not done is redelivered.
        verdict.finish(done)
