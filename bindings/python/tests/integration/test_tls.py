"""TLS settings from Python (#9 §3). The handshake itself (CA file, server name, mTLS, test
mode, through a rustls proxy in front of the real servers) is tested in the Rust core
(crates/rocketmq-client/tests/tls.rs); here: the setter reaches the core."""

from __future__ import annotations

import time

import pytest

from rocketmq import exceptions as exc
from rocketmq.client import Message, Producer

from helpers import unique


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
