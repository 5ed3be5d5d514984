"""Tasks of :class:`rocketmq.aio.TransactionProducer` (used by the native side,
``bindings/python/src/transaction.rs``; not public API).

The native side schedules :func:`start` on the event loop (``call_soon_threadsafe``) for each
``local_execute`` and each broker check. The task calls the callback, awaits its result if it
is awaitable, and reports it: ``report(result)`` (the native side maps it to COMMIT / ROLLBACK /
UNKNOWN, logging anything that is not a ``TransactionStatus``) or ``report.unknown()`` after
logging the callback's exception. A task that never reports (cancelled as the loop closes)
means UNKNOWN: the broker checks the message again.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable

_logger = logging.getLogger("rocketmq")

#: Running tasks (asyncio keeps only weak references to tasks).
_TASKS: set[asyncio.Task[None]] = set()


def start(callback: Callable[..., Any], args: tuple[Any, ...], report: Any, what: str) -> None:
    task = asyncio.ensure_future(_run(callback, args, report, what))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


async def _run(callback: Callable[..., Any], args: tuple[Any, ...], report: Any, what: str) -> None:
    try:
        result = callback(*args)
        if inspect.isawaitable(result):
            result = await result
    except Exception:
        _logger.warning(
            "%s raised; the transaction stays UNKNOWN (the broker checks it again later)",
            what,
            exc_info=True,
        )
        report.unknown()
        return
    report(result)
