"""TLS settings and the compression type from Python (#9 §3, §7). The TLS handshake itself
(CA file, server name, mTLS, test mode, through a rustls proxy in front of the real servers)
is tested in the Rust core (crates/rocketmq-client/tests/tls.rs); here: the setters reach the
core."""

from __future__ import annotations

import time

import pytest

from rocketmq import exceptions as exc
from rocketmq.client import LitePullConsumer, Message, Producer, PullConsumer

from helpers import Inbox, MakeConsumer, unique


def test_a_missing_ca_file_fails_start(namesrv_addr: str) -> None:
    p = Producer(unique("pg_tls"))
    p.set_name_server_address(namesrv_addr)
    p.set_tls(ca_file="/nonexistent/ca.pem")
    with pytest.raises(exc.InvalidConfigError, match=r"ca\.pem"):
        p.start()
    p.shutdown()


def test_a_tls_client_on_the_plain_broker_fails_fast(namesrv_addr: str, topic: str) -> None:
    p = Producer(unique("pg_tls"), timeout=3_000)
    p.set_name_server_address(namesrv_addr)
    p.set_tls(test_mode=True)
    p.start()
    try:
        m = Message(topic)
        m.set_body(b"x")
        started = time.monotonic()
        with pytest.raises(exc.ProducerSendSyncFailed, match="TLS handshake"):
            p.send_sync(m)
        assert time.monotonic() - started < 5
    finally:
        p.shutdown()


def test_lz4_and_zstd_sends_are_consumed(
    namesrv_addr: str, topic: str, make_consumer: MakeConsumer
) -> None:
    """Compression type selectable from Python (#9 §7); every type decodes on the way back."""
    body = b"a compressible line of text\n" * 1000
    for kind in ["LZ4", "zstd", "ZLIB"]:
        p = Producer(unique("pg_codec"))
        p.set_name_server_address(namesrv_addr)
        p.set_compress_type(kind)
        p.start()
        try:
            m = Message(topic)
            m.set_body(body)
            m.set_tags(kind.upper())
            p.send_sync(m)
        finally:
            p.shutdown()
    inbox = Inbox()
    c = make_consumer()
    c.subscribe(topic, inbox)
    c.start()
    got = inbox.wait_for(3)
    assert sorted(m.tags for m in got) == [b"LZ4", b"ZLIB", b"ZSTD"]
    assert all(m.body == body for m in got)
    with pytest.raises(exc.InvalidConfigError):
        Producer(unique("pg_codec")).set_compress_type("BROTLI")


def test_lite_pull_and_pull_consumers_take_tls_settings(namesrv_addr: str) -> None:
    for consumer in (LitePullConsumer(unique("lite_tls")), PullConsumer(unique("pull_tls"))):
        consumer.set_name_server_address(namesrv_addr)
        consumer.set_tls(ca_file="/nonexistent/ca.pem")
        with pytest.raises(exc.InvalidConfigError, match=r"ca\.pem"):
            consumer.start()
        consumer.shutdown()
