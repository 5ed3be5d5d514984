"""Tasks of :class:`rocketmq.aio.PushConsumer` (used by the native asyncio listener,
``bindings/python/src/aio_listener.rs``; not public API).

The native side hands each batch of messages to :meth:`Spawner.spawn` on the event loop; the
task awaits the topic's callback for each message in order and reports through ``verdict``:
``verdict.accepts(i, result)`` applies the blocking consumer's rules (None or CONSUME_SUCCESS:
done; anything else: redelivered, logged), ``verdict.finish(done)`` says how many are done.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable

_logger = logging.getLogger("rocketmq")


class Spawner:
    """Creates the tasks and keeps a strong reference to each until it ends (asyncio only keeps
    weak ones)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.tasks: set[asyncio.Task[None]] = set()

    def spawn(self, callback: Callable[[Any], Any], messages: list[Any], verdict: Any) -> None:
        task = self._loop.create_task(_run(callback, messages, verdict))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def _run(callback: Callable[[Any], Any], messages: list[Any], verdict: Any) -> None:
    done = 0
    try:
        for i, msg in enumerate(messages):
            try:
                result = callback(msg)
                if inspect.isawaitable(result):
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
            if not verdict.accepts(i, result):
                break
            done += 1
    finally:
        # Also on cancellation (loop shutting down): what is not done is redelivered.
        verdict.finish(done)
