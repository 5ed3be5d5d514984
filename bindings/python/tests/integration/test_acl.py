"""ACL signing from Python (#9 §2).

* Against the real broker with rocketmq-rust's authentication on (``TestCluster(acl=...)``,
  one ACL 2.0 user): our ACL 1.0 signatures are verified, a signed producer and consumer work;
  a wrong secret, an unknown key or no signature is refused with NO_PERMISSION (16), an
  ``AuthError`` (a ``PermissionError``) naming the key.
* Against a fake Java 4.9.4 ACL broker (name server + broker in one thread, verifying
  signatures as ``PlainAccessValidator`` does and refusing with SYSTEM_ERROR and the
  ``AclException`` remark): ``send_sync`` and ``PushConsumer.start`` raise ``AuthError`` (a
  ``PermissionError``) naming the access key.
* In both runs every ``rocketmq`` log record (DEBUG and up) is searched for the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from rocketmq import exceptions as exc
from rocketmq.client import (
    ConsumeFromWhere,
    ConsumeStatus,
    Message,
    Producer,
    PushConsumer,
    ReceivedMessage,
)

from helpers import WAIT_TIMEOUT, LogCapture, unique, wait_until
from testkit import TestCluster

SECRET = "py-S3cret-Value-42"
REAL_AK = "pyRealAK"
WRONG = "py-Wrong-Value-17"


def java_signature(secret: str, fields: dict[str, str], body: bytes) -> str:
    """AclUtils.combineRequestContent + calSignature: values sorted by key, then the body."""
    data = "".join(v for _, v in sorted(fields.items())).encode() + body
    return base64.b64encode(hmac.new(secret.encode(), data, hashlib.sha1).digest()).decode()


def read_frame(sock: socket.socket) -> tuple[dict[str, object], bytes] | None:
    def exact(n: int) -> bytes | None:
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    head = exact(8)
    if head is None:
        return None
    length, word = struct.unpack(">II", head)
    rest = exact(length - 4)
    if rest is None:
        return None
    header_len = word & 0xFFFFFF
    assert word >> 24 == 0, "JSON headers"
    return json.loads(rest[:header_len]), rest[header_len:]


def write_frame(sock: socket.socket, header: dict[str, object], body: bytes = b"") -> None:
    h = json.dumps(header).encode()
    sock.sendall(struct.pack(">II", 4 + len(h) + len(body), len(h)) + h + body)


class FakeAclBroker:
    """Java 4.9.4 with aclEnable=true: routes for everyone, broker requests verified."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.addr = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.refused: list[int] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    frame = read_frame(conn)
                except OSError:
                    return
                if frame is None:
                    return
                header, body = frame
                code = int(header["code"])  # type: ignore[call-overload]
                ext = dict(header.get("extFields") or {})  # type: ignore[call-overload]
                answer: dict[str, object] = {
                    "code": 0,
                    "flag": 1,
                    "language": "JAVA",
                    "opaque": header["opaque"],
                    "serializeTypeCurrentRPC": "JSON",
                    "version": 401,
                }
                reply = b""
                if code == 105:
                    route = {
                        "brokerDatas": [
                            {"brokerAddrs": {"0": self.addr}, "brokerName": "b-acl", "cluster": "c"}
                        ],
                        "queueDatas": [
                            {
                                "brokerName": "b-acl",
                                "perm": 6,
                                "readQueueNums": 1,
                                "writeQueueNums": 1,
                                "topicSysFlag": 0,
                            }
                        ],
                    }
                    reply = json.dumps(route).encode()
                else:
                    given = ext.pop("Signature", "")
                    if java_signature(SECRET, ext, body) != given:
                        self.refused.append(code)
                        answer["code"] = 1
                        answer["remark"] = (
                            "org.apache.rocketmq.acl.common.AclException: "
                            f"Check signature failed for accessKey={ext.get('AccessKey')}, "
                            "org.apache.rocketmq.acl.plain.PlainPermissionManager"
                            ".validate(PlainPermissionManager.java:683)"
                        )
                    elif code not in (34, 35):
                        answer["code"] = 3  # REQUEST_CODE_NOT_SUPPORTED
                if int(header.get("flag", 0)) & 2:  # type: ignore[call-overload]
                    continue
                try:
                    write_frame(conn, answer, reply)
                except OSError:
                    return

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def acl_broker() -> Iterator[FakeAclBroker]:
    fake = FakeAclBroker()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def debug_log(rocketmq_log: LogCapture) -> LogCapture:
    logging.getLogger("rocketmq").setLevel(logging.DEBUG)
    return rocketmq_log


def assert_no_secret(log: LogCapture) -> None:
    text = "\n".join(f"{r.levelname} {r.getMessage()} {r.__dict__}" for r in log.records)
    assert text, "the run logged something"
    assert SECRET not in text, "a secret reached the log"
    assert WRONG not in text, "a secret reached the log"


def test_refusals_raise_auth_errors_naming_the_key(
    acl_broker: FakeAclBroker, debug_log: LogCapture
) -> None:
    p = Producer(unique("pg_acl"), timeout=5_000)
    p.set_name_server_address(acl_broker.addr)
    p.set_session_credentials("pyAK", WRONG, "ALIYUN")
    p.start()
    try:
        with pytest.raises(exc.ProducerSendSyncAuthError) as info:
            p.send_sync(_msg("T_acl"))
        err = info.value
        assert isinstance(err, PermissionError)
        assert isinstance(err, exc.AuthError)
        assert isinstance(err, exc.ProducerSendSyncFailed)
        assert isinstance(err, exc.BrokerError)
        assert err.kind == "auth"
        assert err.code == 1
        assert "pyAK" in str(err)
        assert WRONG not in str(err)
        assert WRONG not in repr(err.__dict__)
    finally:
        p.shutdown()
    assert acl_broker.refused.count(310) == 1, "not retried"

    c = PushConsumer(unique("cg_acl"))
    c.set_name_server_address(acl_broker.addr)
    c.set_session_credentials("pyAK", WRONG, "ALIYUN")
    c.subscribe("T_acl", lambda m: ConsumeStatus.CONSUME_SUCCESS)
    try:
        with pytest.raises(PermissionError) as cinfo:
            c.start()
        assert isinstance(cinfo.value, exc.PushConsumerStartFailed)
        assert "pyAK" in str(cinfo.value)
    finally:
        c.shutdown()
    assert_no_secret(debug_log)


@pytest.fixture(scope="module")
def acl_cluster() -> Iterator[TestCluster]:
    """A real name server + broker with rocketmq-rust's authentication on, one user."""
    with TestCluster().start(acl=(REAL_AK, SECRET)) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def acl_topic(acl_cluster: TestCluster) -> str:
    """A topic on the ACL broker, auto-created by a signed send (create_topic is unsigned)."""
    name = unique("T_acl_routed")
    p = Producer(unique("pg_topic"), timeout=10_000)
    p.set_name_server_address(acl_cluster.namesrv_addr)
    p.set_session_credentials(REAL_AK, SECRET, "")
    p.start()
    try:
        p.send_sync(_msg(name))
    finally:
        p.shutdown()
    return name


def test_signed_clients_work_against_the_real_broker(
    acl_cluster: TestCluster, debug_log: LogCapture
) -> None:
    ns = acl_cluster.namesrv_addr
    topic = unique("T_acl")  # auto-created by the signed send (create_topic is unsigned)
    p = Producer(unique("pg_signed"), timeout=10_000)
    p.set_name_server_address(ns)
    p.set_session_credentials(REAL_AK, SECRET, "")
    p.start()
    got: list[bytes] = []
    c = PushConsumer(unique("cg_signed"))
    c.set_name_server_address(ns)
    c.set_session_credentials(REAL_AK, SECRET, "")

    def on_message(m: ReceivedMessage) -> ConsumeStatus:
        got.append(m.body)
        return ConsumeStatus.CONSUME_SUCCESS

    c.set_consume_from_where(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET)
    c.subscribe(topic, on_message)
    try:
        p.send_sync(_msg(topic))
        c.start()
        wait_until(lambda: got == [b"signed"], WAIT_TIMEOUT, "the signed message consumed")
    finally:
        c.shutdown()
        p.shutdown()
    assert_no_secret(debug_log)


@pytest.mark.parametrize(
    "credentials",
    [(REAL_AK, WRONG), ("noSuchUser", SECRET), None],
    ids=["wrong-secret", "unknown-key", "unsigned"],
)
def test_the_real_broker_refuses_bad_signatures_as_auth_errors(
    acl_cluster: TestCluster,
    acl_topic: str,
    debug_log: LogCapture,
    credentials: tuple[str, str] | None,
) -> None:
    """rocketmq-rust answers NO_PERMISSION (16) "Authentication credentials are invalid"."""
    p = Producer(unique("pg_refused"), timeout=5_000)
    p.set_name_server_address(acl_cluster.namesrv_addr)
    if credentials is not None:
        p.set_session_credentials(credentials[0], credentials[1], "")
    p.start()
    try:
        with pytest.raises(exc.ProducerSendSyncAuthError) as info:
            p.send_sync(_msg(acl_topic))
        err = info.value
        assert isinstance(err, PermissionError)
        assert err.kind == "auth"
        assert err.code == 16
        assert "Authentication credentials are invalid" in str(err)
        if credentials is not None:
            assert credentials[0] in str(err)
        assert SECRET not in str(err)
        assert WRONG not in str(err)
    finally:
        p.shutdown()
    if credentials is not None:
        c = PushConsumer(unique("cg_refused"))
        c.set_name_server_address(acl_cluster.namesrv_addr)
        c.set_session_credentials(credentials[0], credentials[1], "")
        # Routed to the broker, so the start's heartbeat reaches it and is refused.
        c.subscribe(acl_topic, lambda m: ConsumeStatus.CONSUME_SUCCESS)
        try:
            with pytest.raises(PermissionError) as cinfo:
                c.start()
            assert isinstance(cinfo.value, exc.PushConsumerStartFailed)
            assert credentials[0] in str(cinfo.value)
        finally:
            c.shutdown()
    assert_no_secret(debug_log)


def _msg(topic: str) -> Message:
    m = Message(topic)
    m.set_body(b"signed")
    return m
