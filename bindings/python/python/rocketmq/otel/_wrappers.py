"""The replacements ``instrument()`` installs: sends, push callbacks (wrapped at subscribe) and
polls. Each reads the current :class:`~rocketmq.otel._telemetry.Telemetry` at call time and calls
straight through when there is none (after ``uninstrument()``)."""

from __future__ import annotations

import functools
import inspect
import time
import weakref
from collections.abc import Iterable
from typing import Any, Callable

from opentelemetry import trace

from .._rocketmq import Message, ReceivedMessage
from ._telemetry import Telemetry

#: Set by RocketMQInstrumentor.instrument(), cleared by uninstrument().
_state: Telemetry | None = None


def _sync_send(
    original: Callable[..., Any], message_type: str | None = None, operation: str = "send"
) -> Callable[..., Any]:
    """A send of one message; ``operation="request"``: a request (its result is the reply, not
    a SendResult)."""

    @functools.wraps(original)
    def send(producer: Any, msg: Message, *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return original(producer, msg, *args, **kwargs)
        fifo = message_type == "fifo"
        group = args[0] if fifo and args and isinstance(args[0], str) else None
        record = tel.start_send(
            producer, [msg], message_type=message_type, fifo_group=group, operation=operation
        )
        with trace.use_span(record.span, end_on_exit=False):
            try:
                result = original(producer, msg, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
        record.ok(result if operation == "send" else None)
        return result

    return send


def _sync_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def send_batch(producer: Any, msgs: Iterable[Message], *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return original(producer, msgs, *args, **kwargs)
        msgs = list(msgs)
        record = tel.start_send(producer, msgs)
        with trace.use_span(record.span, end_on_exit=False):
            try:
                result = original(producer, msgs, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
        record.ok(result)
        return result

    return send_batch


def _send_async(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def send_async(
        producer: Any,
        msg: Message,
        success_callback: Callable[[Any], Any] | None,
        exception_callback: Callable[[Any], Any] | None,
    ) -> None:
        tel = _state
        if tel is None:
            return original(producer, msg, success_callback, exception_callback)  # type: ignore[no-any-return]
        record = tel.start_send(producer, [msg])

        def on_success(result: Any) -> Any:
            record.ok(result)
            if success_callback is not None:
                with trace.use_span(record.span, end_on_exit=False):
                    return success_callback(result)
            return None

        def on_exception(exc: Any) -> Any:
            record.fail(exc)
            if exception_callback is not None:
                with trace.use_span(record.span, end_on_exit=False):
                    return exception_callback(exc)
            return None

        try:
            original(producer, msg, on_success, on_exception)
        except BaseException as exc:
            record.fail(exc)
            raise
        return None

    return send_async


def _aio_send(
    original: Callable[..., Any], message_type: str | None = None, operation: str = "send"
) -> Callable[..., Any]:
    @functools.wraps(original)
    async def send(producer: Any, msg: Message, *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return await original(producer, msg, *args, **kwargs)
        fifo = message_type == "fifo"
        group = args[0] if fifo and args and isinstance(args[0], str) else None
        record = tel.start_send(
            producer, [msg], message_type=message_type, fifo_group=group, operation=operation
        )
        with trace.use_span(record.span, end_on_exit=False):
            try:
                result = await original(producer, msg, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
        record.ok(result if operation == "send" else None)
        return result

    return send


def _aio_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def send_batch(producer: Any, msgs: Iterable[Message], *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return await original(producer, msgs, *args, **kwargs)
        msgs = list(msgs)
        record = tel.start_send(producer, msgs)
        with trace.use_span(record.span, end_on_exit=False):
            try:
                result = await original(producer, msgs, *args, **kwargs)
            except BaseException as exc:
                record.fail(exc)
                raise
        record.ok(result)
        return result

    return send_batch


class _ConsumerView:
    """The group and client id of a consumer, read through a weak reference: a strong one from
    the callback (which the native consumer holds) would make a reference cycle, and a consumer
    dropped without shutdown() would then wait for the garbage collector."""

    __slots__ = ("_group", "_ref")

    def __init__(self, consumer: Any) -> None:
        self._ref = weakref.ref(consumer)
        self._group: str = consumer.group

    @property
    def group(self) -> str:
        consumer = self._ref()
        if consumer is not None:
            self._group = consumer.group
        return self._group

    @property
    def client_id(self) -> str | None:
        consumer = self._ref()
        return None if consumer is None else consumer.client_id


def _traced_callback(owner: Any, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A push callback that makes a process span per message while instrumented."""
    consumer = _ConsumerView(owner)

    def process(msg: ReceivedMessage) -> Any:
        tel = _state
        if tel is None:
            return callback(msg)
        started = tel.process(consumer, msg)
        try:
            verdict = callback(msg)
        except BaseException as exc:
            tel.end_process(consumer, msg, started, exc=exc)
            raise
        tel.end_process(consumer, msg, started, verdict)
        return verdict

    return process


def _traced_aio_callback(owner: Any, callback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The asyncio twin: awaits what the callback returns when it is awaitable."""
    consumer = _ConsumerView(owner)

    async def process(msg: ReceivedMessage) -> Any:
        tel = _state
        if tel is None:
            verdict = callback(msg)
            return (await verdict) if inspect.isawaitable(verdict) else verdict
        started = tel.process(consumer, msg)
        try:
            verdict = callback(msg)
            if inspect.isawaitable(verdict):
                verdict = await verdict
        except BaseException as exc:
            tel.end_process(consumer, msg, started, exc=exc)
            raise
        tel.end_process(consumer, msg, started, verdict)
        return verdict

    return process


def _subscribe(
    original: Callable[..., Any], wrap: Callable[[Any, Callable[[Any], Any]], Callable[[Any], Any]]
) -> Callable[..., Any]:
    @functools.wraps(original)
    def subscribe(consumer: Any, topic: str, callback: Any, *args: Any, **kwargs: Any) -> Any:
        return original(consumer, topic, wrap(consumer, callback), *args, **kwargs)

    return subscribe


def _poll(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def poll(consumer: Any, *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return original(consumer, *args, **kwargs)
        start_ns, begin = time.time_ns(), time.perf_counter()
        try:
            msgs = original(consumer, *args, **kwargs)
        except Exception as exc:
            tel.received(consumer, start_ns, time.perf_counter() - begin, None, exc)
            raise
        tel.received(consumer, start_ns, time.perf_counter() - begin, msgs)
        return msgs

    return poll


def _aio_poll(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def poll(consumer: Any, *args: Any, **kwargs: Any) -> Any:
        tel = _state
        if tel is None:
            return await original(consumer, *args, **kwargs)
        start_ns, begin = time.time_ns(), time.perf_counter()
        try:
            msgs = await original(consumer, *args, **kwargs)
        except Exception as exc:
            tel.received(consumer, start_ns, time.perf_counter() - begin, None, exc)
            raise
        tel.received(consumer, start_ns, time.perf_counter() - begin, msgs)
        return msgs

    return poll
