"""rocketmq.admin without a broker: configuration errors, unreachable name servers, fork."""

from __future__ import annotations

import asyncio
import time

import pytest

from rocketmq import exceptions as exc
from rocketmq.admin import Admin, AsyncAdmin


def test_bad_addresses_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NAMESRV_ADDR", raising=False)
    with pytest.raises(exc.AdminInvalidConfig) as e:
        Admin()
    assert "NAMESRV_ADDR" in str(e.value)
    assert isinstance(e.value, ValueError)
    with pytest.raises(exc.AdminInvalidConfig):
        Admin("nohost")
    with pytest.raises(exc.AdminInvalidConfig):
        Admin("127.0.0.1:9876", timeout_ms=0)


def test_namesrv_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAMESRV_ADDR", "127.0.0.1:1;127.0.0.1:2")
    admin = Admin(timeout_ms=1234)
    assert admin.namesrv_addr == "127.0.0.1:1;127.0.0.1:2"
    assert admin.timeout_ms == 1234
    assert "127.0.0.1:1" in repr(admin)


def test_refused_name_server_fails_fast(closed_addr: str) -> None:
    admin = Admin(closed_addr, timeout_ms=2000)
    started = time.monotonic()
    with pytest.raises(exc.AdminConnectionError) as e:
        admin.topic_list()
    assert time.monotonic() - started < 2.0
    assert closed_addr in str(e.value)
    assert isinstance(e.value, ConnectionError)
    assert e.value.kind == "connect"


def test_silent_name_server_times_out_within_the_deadline(black_hole: str) -> None:
    admin = Admin(black_hole, timeout_ms=500)
    started = time.monotonic()
    with pytest.raises(exc.AdminFailed) as e:
        admin.cluster_info()
    elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 3.0, elapsed
    assert isinstance(e.value, (TimeoutError, ConnectionError))


def test_async_errors_are_the_same_classes(closed_addr: str) -> None:
    async def main() -> None:
        async with AsyncAdmin(closed_addr, timeout_ms=2000) as admin:
            await admin.cluster_info()

    with pytest.raises(exc.AdminConnectionError):
        asyncio.run(asyncio.wait_for(main(), 10))


@pytest.mark.parametrize(
    "kind",
    [
        "Timeout",
        "ConnectionError",
        "InvalidMessage",
        "InvalidConfig",
        "BrokerError",
        "RouteNotFound",
        "ProtocolError",
        "NotStarted",
        "Forked",
    ],
)
def test_admin_exception_classes(kind: str) -> None:
    cls = getattr(exc, f"Admin{kind}")
    assert issubclass(cls, exc.AdminFailed)
    assert issubclass(cls, exc.RocketMQException)
    assert cls.__name__ in exc.__all__
