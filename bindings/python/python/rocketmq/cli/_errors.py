"""Exit codes of the CLI and the messages that say what to do."""

from __future__ import annotations

from ..exceptions import RocketMQException

#: Success.
OK = 0
#: A broker or name server refused the request, or another failure.
FAILED = 1
#: Bad usage or an invalid argument (also argparse's own code).
USAGE = 2
#: No name server or broker could be reached, or it did not answer in time.
UNREACHABLE = 3
#: What was asked for does not exist: a topic without route, no such message, no consumer
#: of the group online.
NOT_FOUND = 4
#: ``consume`` / ``bench``: fewer messages than ``--count`` arrived before ``--timeout``.
INCOMPLETE = 5
#: Interrupted (Ctrl-C).
INTERRUPTED = 130

CONSUMER_NOT_ONLINE = 206
QUERY_NOT_FOUND = 22
TOPIC_NOT_EXIST = 17


class CliError(Exception):
    """A failure the CLI detected itself, with its exit code."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


def explain(exc: BaseException, namesrv: str | None) -> tuple[int, str]:
    """The exit code and the message (with a hint) for ``exc``."""
    if isinstance(exc, CliError):
        return exc.code, str(exc)
    if not isinstance(exc, RocketMQException):
        if isinstance(exc, ValueError):
            return USAGE, str(exc)
        if isinstance(exc, OSError):
            return FAILED, str(exc)
        return FAILED, f"{type(exc).__name__}: {exc}"
    kind = getattr(exc, "kind", None)
    code = getattr(exc, "code", None)
    peer = getattr(exc, "broker_addr", None)
    topic = getattr(exc, "topic", None)
    text = str(exc)
    ns = namesrv or "(none)"
    if kind in ("connect", "connection_closed", "timeout"):
        if peer and peer not in ("name server", "brokers") and peer not in (namesrv or ""):
            hint = (
                f"the broker at {peer} did not answer; check that it is running and reachable "
                f"from here (brokers register their address with the name server {ns})"
            )
        else:
            hint = (
                f"tried name server {ns}; check that it is running and that the address is "
                "right (--namesrv host:port, or NAMESRV_ADDR)"
            )
        return UNREACHABLE, f"{text}\nhint: {hint}"
    if kind == "route_not_found" or code == TOPIC_NOT_EXIST:
        what = f"topic {topic}" if topic else "the topic"
        return NOT_FOUND, (
            f"{text}\nhint: {what} does not exist on the name server {ns}; check the name "
            "(rocketmq topics) or create it (rocketmq create-topic TOPIC --cluster CLUSTER)"
        )
    if code == CONSUMER_NOT_ONLINE:
        return NOT_FOUND, f"{text}\nhint: no consumer of this group is connected to the brokers"
    if code == QUERY_NOT_FOUND:
        return NOT_FOUND, f"{text}\nhint: no such message (check the id, key and topic)"
    if kind == "config":
        return USAGE, text
    if kind == "auth":
        return FAILED, f"{text}\nhint: the broker refused the request (permissions / ACL)"
    return FAILED, text
