"""``rocketmq``: a command line for RocketMQ, on :mod:`rocketmq.admin` and the clients.

Standard library only (argparse). ``rocketmq --help`` lists the commands, ``rocketmq CMD --help``
their options; docs/cli.md has examples and the exit codes:

=====  ======================================================================================
code   meaning
=====  ======================================================================================
0      success
1      a broker or name server refused the request, or another failure
2      bad usage or invalid argument
3      no name server / broker reachable, or no answer in time
4      not found: topic without route, no such message, no consumer of the group online
5      ``consume`` / ``bench consume``: fewer than ``--count`` messages before ``--timeout``
130    interrupted (Ctrl-C)
=====  ======================================================================================
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .. import __version__
from . import _admin_cmds as admin_cmds
from . import _client_cmds as client_cmds
from ._errors import INTERRUPTED, OK, explain

__all__ = ["build_parser", "main"]

_EPILOG = """\
name servers: --namesrv host:port[;host:port] or NAMESRV_ADDR.
exit codes: 0 ok, 1 refused/failed, 2 usage, 3 unreachable/timeout, 4 not found,
            5 fewer messages than --count before --timeout, 130 interrupted.
"""


def _common() -> argparse.ArgumentParser:
    """Options every command takes (also accepted before the command)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--namesrv",
        "-n",
        default=argparse.SUPPRESS,
        metavar="ADDR",
        help="name servers, host:port[;host:port] (default: $NAMESRV_ADDR)",
    )
    p.add_argument(
        "--timeout-ms",
        type=int,
        default=argparse.SUPPRESS,
        metavar="MS",
        help="deadline of each request (default 3000)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="machine-readable JSON instead of tables",
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``rocketmq``."""
    common = _common()
    parser = argparse.ArgumentParser(
        prog="rocketmq",
        description="Apache RocketMQ from the command line (rocketmq-py).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"rocketmq-py {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true", help="log to stderr (DEBUG)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=help,
            parents=[common],
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = add("send", "send messages to a topic")
    p.add_argument("topic")
    p.add_argument("body", nargs="?", help="the body text; '-' or omitted: read stdin")
    p.add_argument("--file", "-f", metavar="PATH", help="read the body (bytes) from a file")
    p.add_argument("--tags", "-t", help="the message tag")
    p.add_argument(
        "--keys",
        "-k",
        action="append",
        metavar="KEY",
        help="message keys (repeat, or space-separated)",
    )
    p.add_argument(
        "--property",
        "-p",
        action="append",
        metavar="NAME=VALUE",
        help="a user property (repeatable)",
    )
    p.add_argument("--delay-level", type=int, default=0, metavar="N", help="delay level 1-18")
    p.add_argument("--count", "-c", type=int, default=1, help="send the message N times")
    p.add_argument("--group", "-g", help="producer group (default: a fresh one)")
    p.set_defaults(func=client_cmds.cmd_send)

    def consumer_opts(p: argparse.ArgumentParser, default_start: str) -> None:
        p.add_argument("topic")
        p.add_argument("--group", "-g", help="consumer group (default: a fresh one)")
        p.add_argument(
            "--from",
            dest="start",
            default=default_start,
            metavar="WHERE",
            help="where a group without offsets starts: first, last, or a time "
            f"(epoch ms, ISO 8601, -10m); default {default_start}",
        )

    p = add("consume", "consume messages from a topic and print them")
    consumer_opts(p, "last")
    p.add_argument("--tag", help="tag filter, e.g. 'TagA || TagB' (default: all)")
    p.add_argument("--sql", help="SQL92 filter over message properties, e.g. 'a > 5'")
    p.add_argument("--count", "-c", type=int, help="stop after N messages")
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="stop after this long (exit 5 if --count was not reached)",
    )
    p.add_argument("--raw", action="store_true", help="write the bodies only, as bytes")
    p.set_defaults(func=client_cmds.cmd_consume)

    p = add("route", "show which brokers serve a topic")
    p.add_argument("topic")
    p.set_defaults(func=admin_cmds.cmd_route)

    p = add("topics", "list the topics")
    p.add_argument("--all", "-a", action="store_true", help="include %%RETRY%%, %%DLQ%% topics")
    p.set_defaults(func=admin_cmds.cmd_topics)

    p = add("cluster", "list clusters and brokers, with runtime stats")
    p.set_defaults(func=admin_cmds.cmd_cluster)

    p = add("create-topic", "create or update a topic")
    p.add_argument("topic")
    p.add_argument("--cluster", "-C", help="on every master of this cluster")
    p.add_argument("--broker", "-b", metavar="HOST:PORT", help="on this broker")
    p.add_argument("--queues", "-q", type=int, default=8, help="read and write queues (8)")
    p.add_argument("--perm", type=int, default=6, help="2 write, 4 read, 6 both (6)")
    p.add_argument("--order", action="store_true", help="an ordered topic")
    p.set_defaults(func=admin_cmds.cmd_create_topic)

    p = add("delete-topic", "delete a topic from the brokers and name servers")
    p.add_argument("topic")
    p.add_argument("--cluster", "-C", help="only from this cluster's brokers")
    p.set_defaults(func=admin_cmds.cmd_delete_topic)

    p = add("topic-status", "min / max offset per queue of a topic")
    p.add_argument("topic")
    p.set_defaults(func=admin_cmds.cmd_topic_status)

    p = add("progress", "a consumer group's progress: offsets and lag per queue")
    p.add_argument("group")
    p.add_argument("--topic", help="only this topic")
    p.add_argument("--all", "-a", action="store_true", help="include the %%RETRY%% topic")
    p.set_defaults(func=admin_cmds.cmd_progress)

    p = add("status", "a consumer group's clients, subscriptions and queues")
    p.add_argument("group")
    p.add_argument("--client", metavar="CLIENT_ID", help="only this client")
    p.add_argument("--jstack", action="store_true", help="ask Java clients for thread stacks")
    p.set_defaults(func=admin_cmds.cmd_status)

    p = add("msg", "look a message up by id, or by key")
    p.add_argument("id", nargs="?", help="offset msg id, or client msg id (needs --topic)")
    p.add_argument("--key", "-k", help="look up by key (needs --topic)")
    p.add_argument("--topic", "-t", help="the topic")
    p.add_argument("--max", type=int, default=64, help="at most this many messages by key")
    p.set_defaults(func=admin_cmds.cmd_msg)

    p = add("reset-offset", "move a consumer group on a topic to a point in time")
    p.add_argument("group")
    p.add_argument("topic")
    p.add_argument("time", help="now, epoch ms or s, ISO 8601, or a time ago (-10m, 2h, 1d)")
    p.add_argument("--no-force", action="store_true", help="only move queues backwards")
    p.set_defaults(func=admin_cmds.cmd_reset_offset)

    p = add("bench", "benchmarks: produce or consume, with throughput and latency")
    bench = p.add_subparsers(dest="bench", metavar="KIND")
    bench.required = True
    b = bench.add_parser("produce", help="send N messages and report", parents=[common])
    b.add_argument("topic")
    b.add_argument("--count", "-c", type=int, default=10_000)
    b.add_argument("--size", "-s", type=int, default=1024, help="body bytes (1024)")
    b.add_argument("--threads", type=int, default=1, help="sending threads (1)")
    b.add_argument("--group", "-g")
    b.set_defaults(func=client_cmds.cmd_bench_produce)
    b = bench.add_parser("consume", help="consume N messages and report", parents=[common])
    consumer_opts(b, "first")
    b.add_argument("--count", "-c", type=int, default=10_000)
    b.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS")
    b.set_defaults(func=client_cmds.cmd_bench_consume)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in (("namesrv", None), ("timeout_ms", None), ("json", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    if args.namesrv is None:
        args.namesrv = os.environ.get("NAMESRV_ADDR") or None
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
    try:
        code: int = args.func(args)
        return code
    except KeyboardInterrupt:
        print("rocketmq: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        return OK
    except Exception as e:
        code, message = explain(e, args.namesrv)
        print(f"rocketmq {args.command}: error: {message}", file=sys.stderr)
        return code
