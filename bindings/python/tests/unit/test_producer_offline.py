"""Producer behaviour that needs no broker: lifecycle, settings, validation before I/O,
unreachable and black-hole name servers, Ctrl-C, GIL release, send_async failure paths."""

from __future__ import annotations

import _thread
import gc
import logging
import os
import signal
import threading
import time
import weakref
from collections.abc import Iterator

import pytest

from rocketmq import exceptions as exc
from rocketmq.client import Message, Producer, TransactionMQProducer, TransactionStatus

from helpers import WAIT_TIMEOUT, LogCapture, unique


def message(topic: str = "TopicA", body: bytes = b"payload") -> Message:
    msg = Message(topic)
    msg.set_body(body)
    return msg


@pytest.fixture
def hole_producer(black_hole: str) -> Iterator[Producer]:
    """A started producer whose name server never answers (send timeout 30 s)."""
    p = Producer(unique("pg"), timeout=30_000)
    p.set_name_server_address(black_hole)
    p.start()
    try:
        yield p
    finally:
        p.shutdown()


# ---- lifecycle -----------------------------------------------------------------------------


def test_send_before_start() -> None:
    p = Producer(unique("pg"))
    with pytest.raises(exc.ProducerSendSyncFailed) as info:
        p.send_sync(message())
    assert isinstance(info.value, exc.NotStartedError)
    assert isinstance(info.value, RuntimeError)
    assert info.value.kind == "not_started"
    assert "start()" in str(info.value)
    with pytest.raises(exc.ProducerSendOnewayNotStarted):
        p.send_oneway(message())
    with pytest.raises(exc.ProducerSendOrderlyNotStarted):
        p.send_orderly_with_sharding_key(message(), "k")
    with pytest.raises(exc.ProducerSendOrderlyNotStarted):
        p.send_orderly(message(), 1)
    with pytest.raises(exc.ProducerSendAsyncNotStarted):
        p.send_async(message(), None, None)
    with pytest.raises(exc.ProducerSendSyncNotStarted):
        p.send_batch([message()])


def test_send_after_shutdown(closed_addr: str) -> None:
    p = Producer(unique("pg"))
    p.set_name_server_address(closed_addr)
    p.start()
    p.shutdown()
    p.shutdown()  # idempotent
    with pytest.raises(exc.ProducerSendSyncNotStarted) as info:
        p.send_sync(message())
    assert info.value.kind == "shutdown"
    assert "shut down" in str(info.value)
    with pytest.raises(exc.ProducerStartNotStarted):
        p.start()


def test_shutdown_before_start_is_a_no_op() -> None:
    Producer(unique("pg")).shutdown()


def test_start_twice_is_a_no_op(closed_addr: str) -> None:
    p = Producer(unique("pg"))
    p.set_name_server_address(closed_addr)
    p.start()
    client_id = p.client_id
    p.start()
    assert p.client_id == client_id
    p.shutdown()


def test_with_binds_the_producer(closed_addr: str) -> None:
    p = Producer(unique("pg"))
    p.set_name_server_address(closed_addr)
    with p as bound:
        assert bound is p
        assert p.client_id is not None
    with pytest.raises(exc.NotStartedError):
        p.send_sync(message())


def test_two_producers_have_different_client_ids(closed_addr: str) -> None:
    a, b = Producer(unique("pg")), Producer(unique("pg"))
    for p in (a, b):
        p.set_name_server_address(closed_addr)
        p.start()
    try:
        assert a.client_id
        assert b.client_id
        assert a.client_id != b.client_id
    finally:
        a.shutdown()
        b.shutdown()


def test_instance_name_is_used(closed_addr: str) -> None:
    p = Producer(unique("pg"))
    p.set_name_server_address(closed_addr)
    p.set_instance_name("inst-1")
    with p:
        assert p.client_id is not None
        assert p.client_id.endswith("@inst-1")


def test_namesrv_addr_from_environment(closed_addr: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAMESRV_ADDR", closed_addr)
    with Producer(unique("pg")) as p:
        assert p.client_id is not None


# ---- settings ------------------------------------------------------------------------------


def test_start_without_name_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NAMESRV_ADDR", raising=False)
    p = Producer(unique("pg"))
    with pytest.raises(exc.ProducerStartFailed) as info:
        p.start()
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, exc.InvalidConfigError)
    assert "set_name_server_address" in str(info.value)


@pytest.mark.parametrize(
    ("configure", "fragment"),
    [
        (lambda p: p.set_timeout(0), "send timeout"),
        (lambda p: p.set_timeout(-5), "send timeout"),
        (lambda p: p.set_compress_level(10), "compress level"),
        (lambda p: p.set_compress_level(-1), "compress level"),
        (lambda p: p.set_max_message_size(0), "max message size"),
        (lambda p: p.set_group("bad group!"), "group"),
        (lambda p: p.set_group(""), "group"),
        (lambda p: p.set_group("DEFAULT_PRODUCER"), "reserved"),
        (lambda p: p.set_name_server_address("no-port"), "name server"),
        (lambda p: p.set_name_server_address("host:99999"), "name server"),
    ],
)
def test_invalid_settings_fail_start(configure, fragment: str, closed_addr: str) -> None:  # type: ignore[no-untyped-def]
    p = Producer(unique("pg"))
    p.set_name_server_address(closed_addr)
    configure(p)
    with pytest.raises(exc.ProducerStartInvalidConfig) as info:
        p.start()
    assert isinstance(info.value, ValueError)
    assert fragment in str(info.value)
    # The producer can still be fixed and started.
    fixed = Producer(unique("pg"))
    fixed.set_name_server_address(closed_addr)
    fixed.start()
    fixed.shutdown()


def test_constructor_options_are_checked_at_start(closed_addr: str) -> None:
    p = Producer(unique("pg"), False, 0)
    p.set_name_server_address(closed_addr)
    with pytest.raises(exc.ProducerStartFailed):
        p.start()


def test_settings_after_start_are_refused(closed_addr: str) -> None:
    p = Producer(unique("pg"))
    p.set_name_server_address(closed_addr)
    p.start()
    try:
        with pytest.raises(exc.InvalidConfigError, match="before start"):
            p.set_timeout(1000)
        with pytest.raises(exc.InvalidConfigError):
            p.set_name_server_address(closed_addr)
    finally:
        p.shutdown()


def test_name_server_domain_is_checked_by_start() -> None:
    """The lookup itself is tested against real name servers (integration/test_namespace.py)."""
    p = Producer(unique("pg"))
    with pytest.raises(exc.InvalidConfigError, match="refresh interval"):
        p.set_name_server_domain("ns.example", refresh_interval_ms=0)
    p.set_namesrv_domain("https://ns.example/rocketmq/nsaddr")  # 0.x name
    with pytest.raises(exc.InvalidConfigError, match="only http://"):
        p.start()
    p.shutdown()
    p = Producer(unique("pg"))
    p.set_name_server_domain("http://127.0.0.1:9/rocketmq/nsaddr")
    p.start()  # like Java, start does not look up; the first request does
    p.shutdown()


def test_session_credentials_are_stored() -> None:
    p = Producer(unique("pg"))
    p.set_session_credentials("AK", "SK", "ALIYUN")
    assert p._core.has_credentials
    assert "SK" not in repr(p._core)


def test_message_trace_is_a_setting_checked_by_start() -> None:
    p = Producer(unique("pg"))
    p.set_message_trace(False)
    p.set_message_trace(True)
    p.set_name_server_address("127.0.0.1:9")
    p.set_message_trace(True, "bad topic!")
    with pytest.raises(exc.ProducerStartFailed, match="trace topic"):
        p.start()


# ---- validation happens before any I/O -----------------------------------------------------

# `hole_producer`'s name server never answers: anything touching the network would block for
# seconds, so failing within 1 s proves nothing was sent.


@pytest.mark.parametrize(
    ("topic", "body"),
    [
        ("bad topic", b"x"),
        ("", b"x"),
        ("t" * 128, b"x"),
        ("SCHEDULE_TOPIC_XXXX", b"x"),
        ("TopicA", b""),
    ],
)
def test_invalid_message_fails_before_io(hole_producer: Producer, topic: str, body: bytes) -> None:
    msg = Message(topic)
    if body:
        msg.set_body(body)
    started = time.monotonic()
    with pytest.raises(exc.ProducerSendSyncInvalidMessage) as info:
        hole_producer.send_sync(msg)
    assert time.monotonic() - started < 1.0
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "invalid_message"
    with pytest.raises(exc.ProducerSendOnewayInvalidMessage):
        hole_producer.send_oneway(msg)
    with pytest.raises(exc.ProducerSendOrderlyInvalidMessage):
        hole_producer.send_orderly_with_sharding_key(msg, "k")


def test_oversized_body_fails_before_io(black_hole: str) -> None:
    p = Producer(unique("pg"), max_message_size=1024)
    p.set_name_server_address(black_hole)
    with p:
        started = time.monotonic()
        with pytest.raises(ValueError, match="1025 bytes, more than the maximum 1024") as info:
            p.send_sync(message(body=b"x" * 1025))
        assert time.monotonic() - started < 1.0
        assert isinstance(info.value, exc.ProducerSendSyncFailed)
        assert info.value.topic == "TopicA"


def test_wrong_argument_types_fail_before_io(hole_producer: Producer) -> None:
    with pytest.raises(TypeError):
        hole_producer.send_sync("not a message")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hole_producer.send_batch([message(), "x"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        hole_producer.send_async(message(), "not callable", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hole_producer.send_orderly(message(), 1, "not callable")  # type: ignore[arg-type]


def test_empty_batch_is_invalid(hole_producer: Producer) -> None:
    with pytest.raises(exc.ProducerSendSyncInvalidMessage):
        hole_producer.send_batch([])


# ---- unreachable / silent name servers ------------------------------------------------------


def test_unreachable_name_server_is_a_connection_error(closed_addr: str) -> None:
    p = Producer(unique("pg"), timeout=2000)
    p.set_name_server_address(closed_addr)
    with p:
        started = time.monotonic()
        with pytest.raises(exc.ProducerSendSyncFailed) as info:
            p.send_sync(message())
        elapsed = time.monotonic() - started
    assert isinstance(info.value, ConnectionError), repr(info.value)
    assert isinstance(info.value, exc.RocketMQConnectionError)
    assert info.value.kind == "connect"
    assert info.value.topic == "TopicA"
    assert elapsed < 2.0 + 2.0


def _send_against_silent_name_server(black_hole: str) -> tuple[BaseException, float]:
    p = Producer(unique("pg"), timeout=1000)
    p.set_name_server_address(black_hole)
    with p:
        started = time.monotonic()
        with pytest.raises(exc.ProducerSendSyncFailed) as info:
            p.send_sync(message())
        return info.value, time.monotonic() - started


def test_silent_name_server_fails_within_the_timeout(black_hole: str) -> None:
    error, elapsed = _send_against_silent_name_server(black_hole)
    assert isinstance(error, (TimeoutError, ConnectionError)), repr(error)
    assert 0.5 < elapsed < 1.0 + 2.0, elapsed


def test_silent_name_server_is_a_timeout(black_hole: str) -> None:
    error, _ = _send_against_silent_name_server(black_hole)
    assert isinstance(error, TimeoutError), repr(error)
    assert getattr(error, "kind", None) == "timeout"


# ---- Ctrl-C and the GIL ---------------------------------------------------------------------


def _interrupt_soon(how: str, delay: float = 0.3) -> threading.Timer:
    if how == "interrupt_main":
        action = _thread.interrupt_main
    else:

        def action() -> None:
            os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(delay, action)
    timer.start()
    return timer


@pytest.mark.parametrize("how", ["interrupt_main", "SIGINT"])
def test_ctrl_c_interrupts_a_blocked_send(hole_producer: Producer, how: str) -> None:
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    started = time.monotonic()
    timer = _interrupt_soon(how)
    try:
        with pytest.raises(KeyboardInterrupt):
            hole_producer.send_sync(message())
    finally:
        timer.cancel()
        timer.join(WAIT_TIMEOUT)
    elapsed = time.monotonic() - started
    # Interrupted at 0.3 s; the send alone would take >= 3 s (name-server request timeout).
    assert elapsed < 1.5, elapsed
    # The producer still works after the interrupted call.
    with pytest.raises(exc.ProducerSendSyncInvalidMessage):
        hole_producer.send_sync(Message("TopicA"))


def test_ctrl_c_interrupts_send_orderly(hole_producer: Producer) -> None:
    started = time.monotonic()
    timer = _interrupt_soon("interrupt_main")
    try:
        with pytest.raises(KeyboardInterrupt):
            hole_producer.send_orderly(message(), 1)
    finally:
        timer.cancel()
        timer.join(WAIT_TIMEOUT)
    assert time.monotonic() - started < 1.5


def test_blocked_send_releases_the_gil(hole_producer: Producer) -> None:
    """Another thread runs Python code while the main thread is blocked in a send: it spins
    until it has run TICKS times, then interrupts the send. Were the GIL held by the send, the
    spinner could not run at all and the send would end with its 30 s timeout instead of the
    KeyboardInterrupt. No clock is involved, so a loaded machine cannot fail it."""
    # Many more ticks than fit in the interpreter's switch interval (5 ms), so the main thread
    # has surely entered the send when the last one runs.
    ticks_needed = 20_000
    ticks = 0
    stop = threading.Event()
    sending = threading.Event()

    def spin_then_interrupt() -> None:
        nonlocal ticks
        # Start counting once the main thread is about to send: its few bytecodes up to the
        # native call run as soon as the first tick lets the GIL go.
        sending.wait(WAIT_TIMEOUT)
        while not stop.is_set() and ticks < ticks_needed:
            ticks += 1
            time.sleep(0)  # lets the GIL go, so a held GIL would stall this loop
        if ticks >= ticks_needed:
            _thread.interrupt_main()

    worker = threading.Thread(target=spin_then_interrupt)
    worker.start()
    try:
        msg = message()
        sending.set()
        with pytest.raises(KeyboardInterrupt):
            hole_producer.send_sync(msg)
    finally:
        stop.set()
        worker.join(WAIT_TIMEOUT)
    assert ticks == ticks_needed, ticks


# ---- send_async failure paths ----------------------------------------------------------------


def test_send_async_failure_reaches_the_exception_callback(closed_addr: str) -> None:
    got: list[BaseException] = []
    threads: list[int] = []
    done = threading.Event()

    def on_success(result: object) -> None:
        done.set()

    def on_exception(e: BaseException) -> None:
        got.append(e)
        threads.append(threading.get_ident())
        done.set()

    p = Producer(unique("pg"), timeout=2000)
    p.set_name_server_address(closed_addr)
    with p:
        p.send_async(message(), on_success, on_exception)
        assert done.wait(WAIT_TIMEOUT)
    assert len(got) == 1
    e = got[0]
    assert isinstance(e, exc.ProducerSendAsyncFailed)
    assert isinstance(e, ConnectionError)
    assert e.kind == "connect"
    assert threads != [threading.get_ident()], "callbacks run on the rocketmq-callbacks thread"


def test_raising_callback_is_logged_and_ignored(closed_addr: str, rocketmq_log: LogCapture) -> None:
    calls = threading.Event()

    def bad_callback(e: BaseException) -> None:
        raise RuntimeError("callback bug")

    p = Producer(unique("pg"), timeout=2000)
    p.set_name_server_address(closed_addr)
    with p:
        p.send_async(message(), None, bad_callback)
        record = rocketmq_log.wait_for(lambda r: r.exc_info is not None)
        assert record.levelno == logging.ERROR
        assert "exception_callback" in record.getMessage()
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], RuntimeError)
        assert "bad_callback" in "".join(
            logging.Formatter().formatException(record.exc_info).splitlines()
        )
        # Callbacks keep working afterwards.
        p.send_async(message(), None, lambda e: calls.set())
        assert calls.wait(WAIT_TIMEOUT)


def test_send_async_failure_without_callback_is_logged(
    closed_addr: str, rocketmq_log: LogCapture
) -> None:
    p = Producer(unique("pg"), timeout=2000)
    p.set_name_server_address(closed_addr)
    with p:
        p.send_async(message(), None, None)
        record = rocketmq_log.wait_for(lambda r: "no exception_callback" in r.getMessage())
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], exc.ProducerSendAsyncFailed)


# ---- logging bridge --------------------------------------------------------------------------


def test_info_records_reach_the_rocketmq_logger(closed_addr: str, rocketmq_log: LogCapture) -> None:
    group = unique("pg")
    p = Producer(group)
    p.set_name_server_address(closed_addr)
    with p:
        record = rocketmq_log.wait_for(lambda r: "producer started" in r.getMessage())
    assert record.name == "rocketmq"
    assert record.levelno == logging.INFO
    assert group in record.getMessage()
    assert getattr(record, "rocketmq_target", "").startswith("rocketmq_client")


def test_logger_level_is_respected(closed_addr: str, rocketmq_log: LogCapture) -> None:
    logging.getLogger("rocketmq").setLevel(logging.WARNING)
    p = Producer(unique("pg"))
    p.set_name_server_address(closed_addr)
    with p:
        pass
    assert not [r for r in rocketmq_log.records if r.levelno < logging.WARNING]


def test_debug_records_when_enabled(closed_addr: str, rocketmq_log: LogCapture) -> None:
    logging.getLogger("rocketmq").setLevel(logging.DEBUG)
    p = Producer(unique("pg"))
    p.set_name_server_address(closed_addr)
    with p, pytest.raises(ConnectionError):
        p.send_sync(message())
    rocketmq_log.wait_for(lambda r: r.levelno == logging.DEBUG)
    logging.getLogger("rocketmq").setLevel(logging.INFO)


def test_message_can_change_while_it_is_being_sent(black_hole: str) -> None:
    p = Producer(unique("pg"), timeout=1000)
    p.set_name_server_address(black_hole)
    msg = message()
    errors: list[BaseException] = []

    def send() -> None:
        try:
            p.send_sync(msg)
        except exc.RocketMQException as e:
            errors.append(e)

    with p:
        sender = threading.Thread(target=send)
        sender.start()
        changes = 0
        try:
            # Throughout the send (about 1 s, blocked on the silent name server), the message
            # stays writable: the send holds no borrow of it.
            while sender.is_alive() and changes < 10_000_000:
                changes += 1
                msg.set_body(f"changed-{changes}")
        finally:
            sender.join(WAIT_TIMEOUT)
    assert not sender.is_alive()
    assert changes > 100
    assert msg.body == f"changed-{changes}".encode()
    assert len(errors) == 1


def test_a_stats_callback_cycle_is_collected() -> None:
    import gc
    import weakref

    p = Producer(unique("pg"))
    p.set_stats_callback(lambda s, p=p: None, 1.0)  # callback -> producer -> callback
    assert p.stats() == {}, "empty before start"
    ref = weakref.ref(p)
    del p
    gc.collect()
    assert ref() is None, "the producer core's __traverse__ shows the callback to the collector"


def make_checker_cycle() -> tuple[weakref.ref[TransactionMQProducer], weakref.ref[object]]:
    class Checker:
        producer: TransactionMQProducer | None = None

        def __call__(self, msg: object) -> TransactionStatus:
            return TransactionStatus.COMMIT

    checker = Checker()
    producer = TransactionMQProducer("pg_gc", checker)
    checker.producer = producer
    return weakref.ref(producer), weakref.ref(checker)


def test_a_transaction_checker_cycle_is_collected() -> None:
    """producer -> core -> checker -> producer: found by the collector (``__traverse__``)."""
    producer_ref, checker_ref = make_checker_cycle()
    gc.collect()
    assert producer_ref() is None
    assert checker_ref() is None


def test_request_needs_a_started_producer() -> None:
    p = Producer(unique("pg"))
    with pytest.raises(exc.ProducerRequestFailed) as not_started:
        p.request(message(), 1000)
    assert isinstance(not_started.value, RuntimeError)
    with pytest.raises(exc.ProducerRequestFailed):
        p.request_async(message(), print, 1000)
    with pytest.raises(TypeError):
        p.request_async(message(), "not callable", 1000)  # type: ignore[arg-type]
