"""The ``rocketmq`` CLI without a broker: arguments, time parsing, tables, dead name servers."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest

from rocketmq.cli import build_parser, main
from rocketmq.cli._output import parse_time, table

RUN_TIMEOUT = 60.0


def cli(*args: str, namesrv: str | None = None) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env.pop("NAMESRV_ADDR", None)
    if namesrv is not None:
        env["NAMESRV_ADDR"] = namesrv
    return subprocess.run(
        [sys.executable, "-m", "rocketmq", *args],
        input=b"",
        capture_output=True,
        env=env,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def test_parse_time_forms() -> None:
    now = int(time.time() * 1000)
    assert parse_time("1764600000000") == 1764600000000
    assert parse_time("1764600000") == 1764600000000
    assert parse_time("2026-12-01T20:00:00Z") == 1796155200000
    assert parse_time("2026-12-01T21:00:00+01:00") == 1796155200000
    assert abs(parse_time("now") - now) < 5000
    assert abs(parse_time("-10m") - (now - 600_000)) < 5000
    assert abs(parse_time("2h ago") - (now - 7_200_000)) < 5000
    with pytest.raises(ValueError, match="cannot read the time"):
        parse_time("yesterday-ish")


def test_table_aligns_numbers_right() -> None:
    out = io.StringIO()
    table(["#Name", "#N"], [["a", 5], ["bbb", 123]], out)
    assert out.getvalue().splitlines() == ["#Name  #N", "a        5", "bbb    123"]


def test_common_options_before_and_after_the_command() -> None:
    p = build_parser()
    a = p.parse_args(["--namesrv", "h:1", "topics"])
    assert a.namesrv == "h:1"
    b = p.parse_args(["topics", "--namesrv", "h:2", "--json"])
    assert (b.namesrv, b.json) == ("h:2", True)


def test_help_lists_the_commands_and_exit_codes() -> None:
    r = cli("--help")
    assert r.returncode == 0
    for word in [b"send", b"consume", b"progress", b"reset-offset", b"bench", b"exit codes"]:
        assert word in r.stdout


def test_usage_errors_exit_2() -> None:
    assert cli().returncode == 2
    assert cli("nosuchcommand").returncode == 2
    for args in (["topics"], ["send", "T", "x"]):
        r = cli(*args)
        assert r.returncode == 2, args
        assert b"--namesrv host:port or set NAMESRV_ADDR" in r.stderr, r.stderr
    r = cli("reset-offset", "g", "t", "whenever", namesrv="127.0.0.1:9")
    assert r.returncode == 2
    assert b"cannot read the time" in r.stderr
    assert main(["create-topic", "t", "--namesrv", "127.0.0.1:9"]) == 2


def test_refused_name_server_exits_3_quickly_saying_what_to_check(closed_addr: str) -> None:
    for args in (
        ["topics"],
        ["cluster"],
        ["send", "T", "x"],
        ["progress", "g"],
        ["msg", "--key", "k", "--topic", "T"],
    ):
        started = time.monotonic()
        r = cli("--namesrv", closed_addr, *args)
        assert r.returncode == 3, (args, r.stderr)
        assert time.monotonic() - started < 20, args
        err = r.stderr.decode()
        assert closed_addr in err, err
        assert "hint:" in err, err
        assert "NAMESRV_ADDR" in err, err


def test_silent_name_server_exits_3_within_the_timeout(black_hole: str) -> None:
    started = time.monotonic()
    r = cli("topics", "--timeout-ms", "500", namesrv=black_hole)
    assert r.returncode == 3, r.stderr
    assert time.monotonic() - started < 20
    assert black_hole.encode() in r.stderr
