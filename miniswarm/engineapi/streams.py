"""The Engine API's streams: logs (docker's multiplexed frames, going on with follow=1)
and exec (a hijacked connection: the process's output one way, its input the other).

A stream is polled on its host's loop: each poll answers what came since the last. The
in-process CLI polls it between sleeps of its Job (simulated time); the socket server
polls it between real sleeps and writes what it gets to the connection.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any
from urllib.parse import quote

from .. import shlang
from ..gocompat import parse_rfc3339, rfc3339nano
from ..rpc import mapped
from . import cluster, containers, schema
from .router import Request, Response

STDOUT, STDERR, SYSTEM = 1, 2, 3
MULTIPLEXED = "application/vnd.docker.multiplexed-stream"
RAW = "application/vnd.docker.raw-stream"

# One source of log lines: (key, entries [(time, "stdout"|"stderr", line)], the details
# that go before each line, whether more may come).
Source = tuple[str, list, str, bool]


def then(fut: Future, value: Any) -> Future:
    """`value` once `fut` has succeeded; its error if it failed."""
    return mapped(fut, lambda _: value)


def frame(kind: int, data: bytes) -> bytes:
    """One frame of docker's stdcopy format: stream, three zero bytes, length, data."""
    return struct.pack(">BxxxL", kind, len(data)) + data


def read_frames(data: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The whole frames in `data`, and what is left of an unfinished one."""
    out = []
    while len(data) >= 8:
        kind, size = struct.unpack(">BxxxL", data[:8])
        if len(data) < 8 + size:
            break
        out.append((kind, data[8 : 8 + size]))
        data = data[8 + size :]
    return out, data


def _since(req: Request) -> float | None:
    value = req.arg("since")
    if not value or value == "0":
        return None
    try:
        return float(value)
    except ValueError:
        return parse_rfc3339(value)


def _tail(req: Request) -> int | None:
    value = req.arg("tail", "all")
    if value in ("", "all"):
        return None
    try:
        n = int(value)
    except ValueError:
        return None
    return n if n >= 0 else None


def log_frames(entries: list, req: Request, details: str = "", start: int = 0) -> bytes:
    """Log lines as the API sends them: one frame each, [time ][details ]line."""
    want = {"stdout": req.flag("stdout"), "stderr": req.flag("stderr")}
    since = _since(req)
    stamps = req.flag("timestamps")
    tail = _tail(req)
    if tail is not None:
        start = max(start, len(entries) - tail)
    out = []
    for when, stream, line in entries[start:]:
        if not want.get(stream) or (since is not None and when < since):
            continue
        text = (rfc3339nano(when) + " " if stamps else "") + (details + " " if details else "")
        out.append(
            frame(STDOUT if stream == "stdout" else STDERR, shlang.to_bytes(text + line + "\n"))
        )
    return b"".join(out)


def swarm_details(task: dict) -> str:
    """The details before each line of a service's log: its node, service and task, as
    `k=v` pairs, query-escaped, by key (daemon/cluster/services.go)."""
    pairs = {
        "com.docker.swarm.node.id": task.get("NodeID", ""),
        "com.docker.swarm.service.id": task.get("ServiceID", ""),
        "com.docker.swarm.task.id": task.get("ID", ""),
    }
    return ",".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(pairs.items()))


class LogStream:
    """Logs as they come: `poll()` answers the frames written since the last poll and
    whether the stream has ended (without follow=1, after the first)."""

    def __init__(self, req: Request, source: Callable[[], Future]) -> None:
        self.req = req
        self.source = source  # -> Future of [Source]
        self.follow = req.flag("follow")
        self.seen: dict[str, int] = {}
        self.polled = False

    def poll(self) -> Future:
        out: Future = Future()

        def got(f: Future) -> None:
            exc = f.exception()
            if exc is not None:
                out.set_exception(exc)
                return
            chunks = []
            more = False
            # --tail cuts what was logged before the request; a task that comes later
            # streams from its first line.
            req = self.req if not self.polled else _without_tail(self.req)
            self.polled = True
            for key, entries, details, running in f.result():
                start = self.seen.get(key, 0)
                chunks.append(log_frames(entries, req, details, start))
                self.seen[key] = len(entries)
                more = more or running
            ended = not self.follow or not more
            out.set_result((b"".join(chunks), ended))

        self.source().add_done_callback(got)
        return out

    def first(self) -> Future:
        """The response: the lines so far, and the stream itself if more may come."""

        def respond(polled: tuple[bytes, bool]) -> Response:
            data, ended = polled
            return Response(200, data, MULTIPLEXED, stream=None if ended else self)

        return mapped(self.poll(), respond)


def _without_tail(req: Request) -> Request:
    query = {k: v for k, v in req.query.items() if k != "tail"}
    return Request(req.method, req.path, query, req.body, req.headers)


def container_logs(daemon: Any, req: Request, ref: str) -> LogStream:
    def source() -> Future:
        c = containers.logs(daemon, ref)
        out: Future = Future()
        out.set_result([(ref, c["Logs"], "", c["Running"])])
        return out

    return LogStream(req, source)


def swarm_logs(daemon: Any, req: Request, kind: str, ref: str) -> LogStream:
    """A service's or a task's logs, from the nodes that run its tasks; the tasks are
    looked up again at each poll, so that a follow takes in new ones."""
    return LogStream(req, lambda: _swarm_sources(daemon, kind, ref))


def _swarm_sources(daemon: Any, kind: str, ref: str) -> Future:
    out: Future = Future()

    def step(fut: Future, then_: Callable[[Any], None]) -> None:
        def done(f: Future) -> None:
            exc = f.exception()
            if exc is not None:
                if not out.done():
                    out.set_exception(exc)
                return
            try:
                then_(f.result())
            except Exception as e:  # noqa: BLE001 - a DaemonError, or a bug: the caller's
                if not out.done():
                    out.set_exception(e)

        fut.add_done_callback(done)

    def with_tasks(tasks: list[dict]) -> None:
        tasks = sorted(tasks, key=lambda t: t["CreatedAt"])

        def with_nodes(nodes: list[dict]) -> None:
            addrs = {n["ID"]: n["Status"].get("Addr", "") for n in nodes}

            def with_logs(logs: dict) -> None:
                out.set_result(
                    [
                        (
                            t["ID"],
                            logs.get(t["ID"], []),
                            swarm_details(t),
                            kind == "service" or t.get("DesiredState") == "running",
                        )
                        for t in tasks
                    ]
                )

            step(daemon.task_logs(tasks, addrs), with_logs)

        step(cluster.nodes(daemon), with_nodes)

    if kind == "service":
        step(
            cluster.service(daemon, ref, False),
            lambda svc: step(cluster.tasks(daemon, {"service": [svc["ID"]]}), with_tasks),
        )
    else:
        step(cluster.task(daemon, ref), lambda t: with_tasks([t]))
    return out


class ExecStream:
    """A hijacked `exec start`: the process starts when its client has given what it
    reads (`start`), then `poll` answers its output since the last poll, the line it
    waits for and its exit code; `send` gives it a line, `signal` a Ctrl-C."""

    def __init__(self, daemon: Any, exec_id: str, tty: bool, interactive: bool) -> None:
        self.daemon = daemon
        self.exec_id = exec_id
        self.tty = tty
        self.interactive = interactive  # it reads standard input (AttachStdin)
        self.seen = 0

    def start(self, stdin: str | None) -> None:
        containers.exec_start(self.daemon, self.exec_id, stdin)

    def poll(self) -> dict:
        state = containers.exec_poll(self.daemon, self.exec_id, self.seen)
        self.seen += len(state["Output"])
        return state

    def send(self, line: str | None) -> None:
        containers.exec_input(self.daemon, self.exec_id, line)

    def signal(self) -> None:
        containers.exec_signal(self.daemon, self.exec_id)


def exec_stream(daemon: Any, exec_id: str, req: Request) -> Response:
    containers.exec_check(daemon, exec_id)
    state = containers.exec_inspect(daemon, exec_id)
    tty = bool(req.decode(schema.EXEC_START).get("Tty", state["ProcessConfig"]["tty"]))
    headers = {"Connection": "Upgrade", "Upgrade": "tcp"}
    status = 101 if "upgrade" in req.headers.get("connection", "").lower() else 200
    stream = ExecStream(daemon, exec_id, tty, bool(state["OpenStdin"]))
    return Response(status, b"", RAW if tty else MULTIPLEXED, headers, stream)
