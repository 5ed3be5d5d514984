"""Real rocketmq-rust name servers and brokers for the Python tests.

`TestCluster` drives the `rmq-testkit` binary (crate `rocketmq-testkit`) over its stdin/stdout
JSON-lines protocol: the binary starts the processes on free loopback ports, each in its own
temporary directory, and kills them all when told to stop, on SIGTERM, or when its stdin closes
(so a crashed Python process leaves no broker behind).

    with TestCluster().start(namesrvs=1, brokers=2) as cluster:
        producer.set_name_server_address(cluster.namesrv_addr)
        cluster.create_topic("orders_1a2b", queues=4)
        cluster.kill_broker(0)
        cluster.start_broker(0)

Binary: $RMQ_TESTKIT_BIN, else the newest of <target>/{debug,release}/rmq-testkit
(`cargo build -p rocketmq-testkit --bin rmq-testkit`). The servers themselves come from
scripts/install-broker.sh ($ROCKETMQ_RUST_HOME). Every read from the binary has a timeout.
Pure stdlib, Python >= 3.9.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import queue
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

__all__ = ["BrokerInfo", "TestCluster", "TestkitError", "find_testkit_binary"]

REPO_ROOT = Path(__file__).resolve().parents[3]
BINARY_NAME = "rmq-testkit"
# Default seconds for one command (a broker restart takes ~0.3 s, a name server restart 10-40 s).
COMMAND_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0


class TestkitError(RuntimeError):
    """The test cluster could not be started or driven."""

    __test__ = False  # keep pytest from collecting it (the name starts with "Test")


@dataclass(frozen=True)
class BrokerInfo:
    """One broker: its name and its address as routes show it."""

    name: str
    addr: str


def find_testkit_binary() -> Path:
    """Locate `rmq-testkit`: $RMQ_TESTKIT_BIN, else the newest debug/release build."""
    explicit = os.environ.get("RMQ_TESTKIT_BIN")
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise TestkitError(f"RMQ_TESTKIT_BIN={explicit} is not an executable file")
        return path
    target_dirs = [REPO_ROOT / "target"]
    cargo_target = os.environ.get("CARGO_TARGET_DIR")
    if cargo_target:
        target_dirs.insert(0, Path(cargo_target))
    candidates = [
        d / profile / BINARY_NAME for d in target_dirs for profile in ("debug", "release")
    ]
    found = [p for p in candidates if p.is_file() and os.access(p, os.X_OK)]
    if not found:
        tried = ", ".join(str(p) for p in candidates)
        raise TestkitError(
            f"{BINARY_NAME} not found (tried {tried}); build it with "
            f"`cargo build -p rocketmq-testkit --bin {BINARY_NAME}` and install the broker with "
            "scripts/install-broker.sh, or set RMQ_TESTKIT_BIN"
        )
    return max(found, key=lambda p: p.stat().st_mtime)


class TestCluster:
    """A cluster of real name servers and brokers, owned by one `rmq-testkit` process.

    Thread-safe: commands are serialized. Not a pytest test class despite its name.
    """

    __test__ = False  # keep pytest from collecting this class

    def __init__(
        self,
        binary: os.PathLike[str] | str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._binary = Path(binary) if binary is not None else None
        self._env = dict(env) if env is not None else None
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=200)
        self._lock = threading.Lock()
        self._info: dict[str, Any] = {}

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(
        self,
        namesrvs: int = 1,
        brokers: int = 1,
        timeout: float = 120.0,
        cluster_name: str | None = None,
        broker_config: Mapping[str, str] | None = None,
        keep_dir: bool = False,
        acl: tuple[str, str] | None = None,
    ) -> TestCluster:
        """Start the cluster and wait until every broker is registered on every name server.

        `broker_config` maps "section.key" to a TOML literal, e.g.
        {"broker.traceTopicEnable": "true"}. `acl` = (access_key, secret) turns on the
        brokers' authentication with that one user (`rmq-testkit --acl`); `create_topic` is
        then refused (unsigned): let a signed send auto-create the topic. Returns self.
        """
        if self._proc is not None:
            raise TestkitError("this TestCluster was already started")
        binary = self._binary or find_testkit_binary()
        # The binary's own per-process deadline is shorter, so that a slow broker is reported
        # by it (with the broker's log tail) rather than by our read timeout.
        inner_timeout = max(5, int(timeout * 0.8))
        args = [
            str(binary),
            "cluster",
            "--namesrvs",
            str(namesrvs),
            "--brokers",
            str(brokers),
            "--timeout",
            str(inner_timeout),
        ]
        if cluster_name is not None:
            args += ["--cluster-name", cluster_name]
        for key, value in (broker_config or {}).items():
            args += ["--broker-config", f"{key}={value}"]
        if acl is not None:
            args += ["--acl", f"{acl[0]}:{acl[1]}"]
        if keep_dir:
            args.append("--keep")
        env = dict(os.environ) if self._env is None else dict(self._env)
        try:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=env,
                close_fds=True,
            )
        except OSError as e:
            raise TestkitError(f"cannot run {binary}: {e}") from e
        assert self._proc.stdout is not None
        assert self._proc.stderr is not None
        self._spawn_reader(self._proc.stdout, self._on_stdout_line, "stdout")
        self._spawn_reader(self._proc.stderr, self._stderr.append, "stderr")
        try:
            reply = self._read_reply(timeout, "cluster start")
            if not reply.get("ok"):
                raise TestkitError(
                    f"cluster start failed: {reply.get('error')}{self._stderr_tail()}"
                )
        except BaseException:
            self._terminate()
            self._proc = None
            raise
        self._info = reply
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Kill every process of the cluster and wait for `rmq-testkit` to exit. Idempotent."""
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            try:
                if proc.poll() is None:
                    try:
                        self._send("stop")
                        self._read_reply(timeout, "stop")
                    except (TestkitError, OSError):
                        pass
                    self._close_stdin()
                    try:
                        proc.wait(timeout=timeout)
                    except subprocess.TimeoutExpired:
                        self._terminate()
            finally:
                self._close_stdin()
                self._proc = None

    def __enter__(self) -> TestCluster:
        if self._proc is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- what the cluster looks like ---------------------------------------------------------

    @property
    def namesrv_addr(self) -> str:
        """`127.0.0.1:p1;127.0.0.1:p2`, for `set_name_server_address`."""
        return str(self._started_info()["namesrv_addr"])

    @property
    def namesrvs(self) -> list[str]:
        """Each name server's `127.0.0.1:port`."""
        return [str(a) for a in self._started_info()["namesrvs"]]

    @property
    def brokers(self) -> list[BrokerInfo]:
        """Each broker's name and address."""
        return [
            BrokerInfo(name=str(b["name"]), addr=str(b["addr"]))
            for b in self._started_info()["brokers"]
        ]

    @property
    def dir(self) -> Path:
        """The cluster's temporary directory (process logs live there)."""
        return Path(str(self._started_info()["dir"]))

    @property
    def info(self) -> dict[str, Any]:
        """The full startup reply of `rmq-testkit` (ports, log paths, PIDs)."""
        return dict(self._started_info())

    @property
    def running(self) -> bool:
        """Whether the `rmq-testkit` process is alive."""
        return self._proc is not None and self._proc.poll() is None

    # ---- faults and admin --------------------------------------------------------------------

    def kill_broker(self, i: int, timeout: float = COMMAND_TIMEOUT) -> None:
        """SIGKILL broker `i`; its port refuses connections when this returns."""
        self._command(f"kill-broker {int(i)}", timeout)

    def start_broker(self, i: int, timeout: float = COMMAND_TIMEOUT) -> None:
        """Restart broker `i` (same ports and store) and wait until it is registered again."""
        self._command(f"start-broker {int(i)}", timeout)

    def pause_broker(self, i: int, timeout: float = COMMAND_TIMEOUT) -> None:
        """SIGSTOP broker `i`: its sockets stay open, nothing answers (a hung broker)."""
        self._command(f"pause-broker {int(i)}", timeout)

    def resume_broker(self, i: int, timeout: float = COMMAND_TIMEOUT) -> None:
        """SIGCONT broker `i` after `pause_broker`."""
        self._command(f"resume-broker {int(i)}", timeout)

    def kill_namesrv(self, i: int, timeout: float = COMMAND_TIMEOUT) -> None:
        """SIGKILL name server `i`."""
        self._command(f"kill-namesrv {int(i)}", timeout)

    def start_namesrv(self, i: int, timeout: float = COMMAND_TIMEOUT) -> None:
        """Restart name server `i`; wait until every running broker re-registered (10-40 s)."""
        self._command(f"start-namesrv {int(i)}", timeout)

    def create_topic(self, name: str, queues: int = 4, timeout: float = COMMAND_TIMEOUT) -> None:
        """Create `name` with `queues` queues on every running broker and wait for its route."""
        if not name or any(c.isspace() for c in name):
            raise ValueError(f"invalid topic name {name!r}")
        self._command(f"create-topic {name} {int(queues)}", timeout)

    def refresh_info(self, timeout: float = COMMAND_TIMEOUT) -> dict[str, Any]:
        """Ask the binary for the current state (running flags and PIDs)."""
        reply = self._command("info", timeout)
        self._info = reply
        return dict(reply)

    # ---- plumbing ----------------------------------------------------------------------------

    def _started_info(self) -> dict[str, Any]:
        if not self._info:
            raise TestkitError("the cluster is not started; call start() first")
        return self._info

    def _command(self, line: str, timeout: float) -> dict[str, Any]:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                raise TestkitError(
                    f"cannot run {line!r}: rmq-testkit is not running{self._stderr_tail()}"
                )
            self._send(line)
            reply = self._read_reply(timeout, line)
        if not reply.get("ok"):
            raise TestkitError(f"{line!r} failed: {reply.get('error')}")
        return reply

    def _send(self, line: str) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise TestkitError("rmq-testkit is not running")
        try:
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError) as e:
            raise TestkitError(
                f"cannot send {line!r} to rmq-testkit: {e}{self._stderr_tail()}"
            ) from e

    def _read_reply(self, timeout: float, what: str) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            # The protocol is out of step now: tear the cluster down (SIGTERM makes rmq-testkit
            # kill its servers, even in the middle of a command).
            self._terminate()
            raise TestkitError(
                f"rmq-testkit gave no answer to {what!r} within {timeout:.0f} s; cluster stopped"
                f"{self._stderr_tail()}"
            ) from None
        if line is None:
            code = self._proc.poll() if self._proc is not None else None
            raise TestkitError(
                f"rmq-testkit exited (status {code}) before answering {what!r}{self._stderr_tail()}"
            )
        try:
            reply = json.loads(line)
        except ValueError as e:
            raise TestkitError(f"rmq-testkit answered {what!r} with non-JSON: {line!r}") from e
        if not isinstance(reply, dict):
            raise TestkitError(f"rmq-testkit answered {what!r} with {reply!r}")
        return reply

    def _on_stdout_line(self, line: str) -> None:
        self._lines.put(line)

    def _spawn_reader(self, stream: IO[str], sink: Callable[[str], None], name: str) -> None:
        def pump() -> None:
            try:
                for raw in stream:
                    sink(raw.rstrip("\n"))
            except (OSError, ValueError):
                pass
            finally:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()
                if name == "stdout":
                    self._lines.put(None)

        threading.Thread(target=pump, name=f"rmq-testkit-{name}", daemon=True).start()

    def _stderr_tail(self) -> str:
        lines = list(self._stderr)[-40:]
        return ("\n--- rmq-testkit stderr ---\n" + "\n".join(lines)) if lines else ""

    def _close_stdin(self) -> None:
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError, ValueError):
                proc.stdin.close()

    def _terminate(self) -> None:
        """SIGTERM (rmq-testkit then kills its servers), SIGKILL as a last resort."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        self._close_stdin()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        addr = self._info.get("namesrv_addr", "-") if self._info else "-"
        return f"<TestCluster {state} namesrv_addr={addr}>"
