"""A host's fake container runtime: containers made from the image catalog, their main
process run by the container shell on the host's clock, their logs, exec, stop and kill.

A container's record and its log live on the host's disk, as dockerd keeps them under
/var/lib/docker: when the host loses power its processes die, and when it boots again
its containers are there, Exited (255), until whoever owns them removes them. What
lives in memory only is lost — the processes, and the secrets and configs mounted on
tmpfs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from .. import ids
from ..encryption import deserialise

# clients registers the programs that talk to servers (wget, curl, mysql, redis-cli …)
# among the shell's commands.
from . import clients, images, programs, sh  # noqa: F401

STOP_TIME = 1.1  # seconds a stopped server takes to exit (SIGTERM, then cleanup)
START_TIME = 0.25  # from "starting" to the process running


@functools.lru_cache(maxsize=1024)  # an image's and a service's: every container the same
def _pair(assignment: str) -> tuple[str, str]:
    """NAME=value (a NAME alone is an empty value)."""
    name, _, value = assignment.partition("=")
    return name, value


@functools.lru_cache(maxsize=256)  # the image's: a copy each container
def _environ(env: tuple[str, ...]) -> dict[str, str]:
    return dict(map(_pair, env))


# What most containers have none of (no swarm network, no secret's mode) is this one
# empty mapping, read-only by its type: a host of thousands holds no empty dict each.
_NONE: Mapping[str, Any] = {}


def _given(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The container's own copy of a mapping it was given, or the shared empty one."""
    return dict(mapping) if mapping else _NONE


@functools.lru_cache(maxsize=256)  # the image's: its containers share it
def _default_argv(entrypoint: tuple[str, ...], cmd: tuple[str, ...]) -> tuple[str, ...]:
    return entrypoint + cmd


def _on_path(spec: images.Image, standins: bool, program: str) -> bool:
    """Whether an image has `program` on the PATH (with busybox's, for a stand-in)."""
    if standins and spec.base != "scratch":
        return spec.has(program) or program.rsplit("/", 1)[-1] in images.BASES["busybox"]
    return spec.has(program)


def _in_memory(c: Container) -> set[str]:
    """The paths mounted on tmpfs in a container (its secrets and configs)."""
    return {line.split()[2] for line in c.mounts if line.startswith("tmpfs on ")}


CONTAINERS = "containers"  # the disk's directory of container records
_RECORD = (
    "id", "name", "image", "argv", "created", "labels", "env", "hostname", "files",
    "address", "networks", "state", "started", "finished", "exit_code", "logs",
)  # fmt: skip


def _record(saved: Any) -> dict:
    """A container's record as `_save` wrote it (in sessions saved before: a dict, or a
    pickle and the log)."""
    if isinstance(saved, dict):
        return saved
    if len(saved) == 2:
        config, logs = saved
        return {**deserialise(config), "logs": logs}  # (compressed or not)
    return dict(zip(_RECORD, saved, strict=True))


class NoSuchImage(Exception):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No such image: {ref}")


class ExecNotFound(Exception):
    """`docker exec` of a program the image does not have."""

    def __init__(self, program: str) -> None:
        super().__init__(
            "OCI runtime exec failed: exec failed: unable to start container process: exec: "
            f'"{program}": executable file not found in $PATH: unknown'
        )


class Log:
    """A container's output as dockerd's json.log keeps it, read as (time, stream, line).
    The lines printed at one instant on one stream (a server's start-up lines) are held
    as one run of their time and stream: thousands of containers hold their lines, not a
    tuple each."""

    __slots__ = ("_runs", "_lines")

    def __init__(self, entries: Iterable[tuple[float, str, str]] = ()) -> None:
        self._runs: list[tuple[float, str, int]] = []  # (time, stream, how many lines)
        self._lines: list[str] = []
        for entry in entries:
            self.append(*entry)

    def append(self, time: float, stream: str, line: str) -> None:
        runs = self._runs
        if runs and runs[-1][0] == time and runs[-1][1] == stream:
            runs[-1] = (runs[-1][0], stream, runs[-1][2] + 1)
        else:
            runs.append((time, stream, 1))
        self._lines.append(line)

    def __iter__(self) -> Iterator[tuple[float, str, str]]:
        lines = iter(self._lines)
        for time, stream, count in self._runs:
            for line in islice(lines, count):
                yield time, stream, line

    def __len__(self) -> int:
        return len(self._lines)


@dataclass(slots=True)  # a host may hold thousands: no __dict__ each
class Container:
    id: str
    name: str
    image: str
    argv: tuple[str, ...]
    created: float
    labels: dict[str, str]
    env: dict[str, str]
    hostname: str
    files: dict[str, str]
    mounts: tuple[str, ...]
    spec: images.Image
    state: str = "created"  # created, running, exited
    started: float = 0.0
    finished: float = 0.0
    exit_code: int = 0
    logs: Log = field(default_factory=Log)
    address: str = ""  # on the network its requests come in by
    networks: Mapping[str, str] = field(default_factory=lambda: _NONE)  # swarm network -> address
    # path -> (mode, uid, gid, mtime), for ls -l
    meta: Mapping[str, tuple] = field(default_factory=lambda: _NONE)
    # (port, handler) for each port a server listens on: a pair or two, not a dict each
    listeners: tuple[tuple[int, sh.Handler], ...] = ()
    server: dict = field(default_factory=dict)  # its servers' state: databases, keys
    on_exit: Callable[[Container], None] | None = None
    _gen: Any = None
    _timer: Any = None
    # Its runtime's: the host's clock, and whether images carry busybox's programs too.
    clock: Callable[[], float] = lambda: 0.0
    standins: bool = False

    @property
    def running(self) -> bool:
        return self.state == "running"

    def has(self, program: str) -> bool:
        """Whether its image has `program` (on the PATH)."""
        return _on_path(self.spec, self.standins, program)

    def listener(self, port: int) -> sh.Handler | None:
        """What answers on `port` while it runs (None: the connection is refused)."""
        if self.running:
            for listening, handler in self.listeners:
                if listening == port:
                    return handler
        return None

    def log(self, stream: str, line: str) -> None:
        """A line of its main process's output, stamped."""
        self.logs.append(self.clock(), stream, line)


@dataclass
class Exec:
    """A process started in a running container by `docker exec`: its output as it comes,
    the line it waits for (a shell's prompt), its exit code once it has ended."""

    id: str
    container: Container
    argv: list[str]
    tty: bool
    interactive: bool
    output: list[tuple[str, str]] = field(default_factory=list)  # (stream, text)
    waiting: tuple[str, bool] | None = None  # (prompt, secret) while it reads a line
    exit_code: int | None = None
    _gen: Any = None
    _timer: Any = None


class Runtime:
    def __init__(self, ctx, standins: bool = False) -> None:
        self.ctx = ctx
        self.standins = standins  # images carry busybox's programs too (the recordings')
        self._clock = ctx.wallclock  # one for all its containers
        self.containers: dict[str, Container] = {}
        self.address = ctx.address
        self.execs: dict[str, Exec] = {}
        self._exec_ids = ctx.stream("exec-ids")  # apart from the host's other choices
        # How a container's request leaves its host (the daemon's mesh): (address, port,
        # path, timeout, (its address, its networks)) -> Future of (status, body).
        self.http_get: Callable[..., Any] | None = None
        # The embedded DNS server: (the container's networks, name) -> addresses or None.
        self.dns: Callable[[list[str], str], list[str] | None] | None = None
        # Indexes, so that a host with thousands of containers finds one in one step.
        self._by_task: dict[str, str] = {}  # task ID -> its container's ID
        self._bridge_used: set[int] = set()  # 172.17.x.y as x * 256 + y
        self._bridge_low = 2  # no free bridge address below this
        # What is on the PATH, one callable per image: its containers' processes share it.
        # (By the image's id(): each callable holds its image, so the id stays its own.)
        self._paths: dict[int, Callable[[str], bool]] = {}
        self._load()

    # -- on the disk ---------------------------------------------------------------------

    def _records(self) -> dict[str, Any]:
        """The disk's directory of container records, ID -> record (dockerd's
        /var/lib/docker/containers): an entry each, where a file each would cost every
        container a path of its own. It lives on the disk, and changes only there."""
        records = self.ctx.disk.read(CONTAINERS)
        if records is None:
            records = {}
            self.ctx.disk.write(CONTAINERS, records)
        return records

    def _save(self, c: Container) -> None:
        """The container's record on disk, as dockerd writes config.v2.json: its state as
        it is now, and what its creation set (labels, environment, networks) shared, not
        copied (a tenth of the memory of a pickle, and no pickling at each state). Its
        files are its writable layer, on the disk as they are written — all but what is
        mounted on tmpfs (its secrets and configs), which a copy leaves out. Its log is
        the very `Log` it appends to, as dockerd appends to the container's json.log."""
        in_memory = _in_memory(c)
        files = {k: v for k, v in c.files.items() if k not in in_memory} if in_memory else c.files
        record = (
            c.id, c.name, c.image, c.argv, c.created, c.labels, c.env, c.hostname, files,
            c.address, c.networks, c.state, c.started, c.finished, c.exit_code, c.logs,
        )  # fmt: skip
        self._records()[c.id] = record

    def _load(self) -> None:
        """After a boot: the containers dockerd had, their processes dead (Exited (255))."""
        now = self.ctx.wallclock()
        disk, records = self.ctx.disk, self._records()
        for key in list(disk.keys()):
            if key.startswith(CONTAINERS + "/"):  # a session saved before: a file each
                records[key.removeprefix(CONTAINERS + "/")] = disk.read(key)
                disk.delete(key)
        for cid in sorted(records):
            r = _record(records[cid])
            spec = images.find(r["image"])
            if spec is None:
                continue
            was_running = r["state"] == "running"
            c = Container(
                id=r["id"],
                name=r["name"],
                image=r["image"],
                argv=tuple(r["argv"]),
                created=r["created"],
                labels=r["labels"],
                env=r["env"],
                hostname=r["hostname"],
                files=dict(r["files"]),
                mounts=(),
                spec=spec,
                state="exited" if was_running else r["state"],
                started=r["started"],
                finished=now if was_running else r["finished"],
                exit_code=255 if was_running else r["exit_code"],
                logs=r["logs"] if isinstance(r["logs"], Log) else Log(r["logs"]),
                address=r["address"],
                networks=_given(r.get("networks")),
                clock=self._clock,
                standins=self.standins,
            )
            self._add(c)
            self._save(c)

    def _add(self, c: Container) -> None:
        self.containers[c.id] = c
        task_id = c.labels.get("com.docker.swarm.task.id")
        if task_id is not None:
            self._by_task.setdefault(task_id, c.id)
        n = _bridge_number(c.address)
        if n is not None:
            self._bridge_used.add(n)

    def by_task(self, task_id: str) -> Container | None:
        """The container of a swarm task, if this host has it."""
        cid = self._by_task.get(task_id)
        return self.containers.get(cid) if cid is not None else None

    def create(
        self,
        image_ref: str,
        name: str,
        argv: list[str] | None,
        env: list[str],
        labels: dict[str, str],
        hostname: str = "",
        files: dict[str, str] | None = None,
        mounts: list[str] | None = None,
        address: str = "",
        meta: dict | None = None,
        networks: dict[str, str] | None = None,
    ) -> Container:
        spec = images.find(image_ref)
        if spec is None:
            raise NoSuchImage(image_ref)
        cid = ids.hex_id(self.ctx.rng)
        environ = dict(_environ(spec.env))
        environ.update(map(_pair, env))
        host = hostname or cid[:12]
        own = address or self._bridge_address()
        environ["HOSTNAME"] = host
        environ.setdefault("HOME", "/root")
        base_files = {
            "/etc/hostname": host + "\n",
            "/etc/hosts": f"127.0.0.1\tlocalhost\n{own}\t{host}\n",
        }
        base_files.update(files or {})
        c = Container(
            id=cid,
            name=name,
            image=image_ref,
            argv=tuple(argv) if argv is not None else _default_argv(spec.entrypoint, spec.cmd),
            created=self.ctx.wallclock(),
            labels=labels,
            env=environ,
            hostname=host,
            files=base_files,
            mounts=tuple(mounts or ()),
            spec=spec,
            address=own,
            meta=_given(meta),
            networks=_given(networks),
            clock=self._clock,
            standins=self.standins,
        )
        self._add(c)
        self._save(c)
        return c

    def _bridge_address(self) -> str:
        """A container on no swarm network is on the host's default bridge: the first
        free address of 172.17.0.0/16 (docker0 is .1)."""
        n = self._bridge_low
        while n in self._bridge_used:
            n += 1
        self._bridge_low = n
        return f"172.17.{n // 256}.{n % 256}"

    def _proc(self, c: Container, env: dict[str, str]) -> sh.Proc:
        proc = sh.Proc(
            env,
            c.hostname,
            c.files,
            c.mounts,
            self._clock,
            c.meta,
            has=self._programs(c.spec),
            shell=c.spec.shell,
            server=c.server,
            cwd=c.spec.workdir,
        )
        proc.address = c.address
        proc.dirs = images.ROOT_DIRS[c.spec.base]
        proc.version = c.spec.version
        dns = self.dns
        if dns is not None and c.networks:
            proc.lookup = lambda name: dns(list(c.networks), name)
        return proc

    def _programs(self, spec: images.Image) -> Callable[[str], bool]:
        has = self._paths.get(id(spec))
        if has is None:
            has = self._paths[id(spec)] = functools.partial(_on_path, spec, self.standins)
        return has

    def start(self, c: Container) -> None:
        if c.running:
            return
        c.state = "running"
        c.started = self.ctx.wallclock()
        c.server.clear()  # a server starts afresh (what it kept in memory is gone)
        self._save(c)
        proc = self._proc(c, c.env)
        proc.log = c.log
        c._gen = programs.program(proc, c.spec, list(c.argv))
        self._step(c)

    def _step(self, c: Container, value: Any = None) -> None:
        """Run the main process until it waits or ends."""
        c._timer = None
        if not c.running or c._gen is None:
            return
        self._drive(c._gen, value, False, c, _MainStep(self, c))

    def _drive(self, gen: sh.Program, value: Any, throw: bool, c: Container, io: _Step) -> None:
        """Run a program (sh.py's generator protocol) until it waits or ends: its output,
        servers, sleeps, reads and requests go to `io`."""
        steps = 0
        try:
            while True:
                if throw:
                    throw = False
                    kind, v = gen.throw(sh.Interrupt())
                else:
                    kind, v = gen.send(value)
                value = None
                steps += 1
                if kind in ("out", "err"):
                    io.output(kind, v)
                elif kind == "listen":
                    port, handler = v
                    others = tuple(pair for pair in c.listeners if pair[0] != port)
                    c.listeners = (*others, (port, handler))
                elif kind == "sleep":
                    io.wait(v if v == sh.FOREVER else max(v, 0.001))
                    return
                elif kind == "read":
                    if io.read(v):
                        return
                elif kind == "http":
                    io.http(v)
                    return
                if steps > 10_000:  # a loop that never sleeps: let time pass
                    io.wait(0.01)
                    return
        except StopIteration as stop:
            io.done(stop.value or 0)
        except sh.Exit as x:
            io.done(x.status)
        except sh.Interrupt:
            io.done(130)

    def _exited(self, c: Container, code: int) -> None:
        if not c.running:
            return
        c.state = "exited"
        c.exit_code = code
        c.finished = self.ctx.wallclock()
        self._flush(c)
        self._save(c)
        c._gen = None
        c.listeners = ()  # its sockets close with it
        if c._timer is not None:
            c._timer.cancel()
            c._timer = None
        if c.on_exit is not None:
            c.on_exit(c)

    def _flush(self, c: Container) -> None:
        """Its in-memory filesystems go when it stops (or is stopped before it ran): the
        secrets and configs on tmpfs are unmounted and flushed, as docker does when a
        task's container stops."""
        for path in _in_memory(c):
            c.files.pop(path, None)

    def stop(self, c: Container, done: Callable[[], None] | None = None, code: int = 0) -> None:
        """SIGTERM: the process takes a moment to go."""
        if not c.running:
            self._flush(c)
            if done:
                done()
            return
        if c._timer is not None:
            c._timer.cancel()
            c._timer = None
        c._gen = None
        c.listeners = ()  # SIGTERM: the server stops accepting at once

        def gone() -> None:
            self._exited(c, code)
            if done:
                done()

        self.ctx.after(STOP_TIME * (0.9 + 0.2 * self.ctx.rng.random()), gone)

    def kill(self, c: Container, code: int = 137) -> None:
        self._flush(c)
        self._exited(c, code)

    def remove(self, c: Container) -> None:
        if c.running:
            self.kill(c)
        self.containers.pop(c.id, None)
        task_id = c.labels.get("com.docker.swarm.task.id")
        if task_id is not None and self._by_task.get(task_id) == c.id:
            del self._by_task[task_id]
        n = _bridge_number(c.address)
        if n is not None:
            self._bridge_used.discard(n)
            self._bridge_low = min(self._bridge_low, n)
        self._records().pop(c.id, None)

    def find(self, ref: str) -> Container | None:
        for c in self.containers.values():
            if ref in (c.id, c.name):
                return c
        matches = [c for c in self.containers.values() if c.id.startswith(ref)]
        return matches[0] if len(matches) == 1 else None

    # -- docker exec ---------------------------------------------------------------------

    def exec_create(self, c: Container, argv: list[str], tty: bool, interactive: bool) -> Exec:
        e = Exec(ids.hex_id(self._exec_ids), c, list(argv), tty, interactive)
        self.execs[e.id] = e
        return e

    def exec_start(self, e: Exec, stdin: str | None) -> None:
        """Start the process (ExecNotFound if the image has no such program); `stdin` is
        what is piped into it (`echo ls | docker exec -i C sh`)."""
        c = e.container
        name = e.argv[0] if e.argv else ""
        if not c.has(name):
            e.exit_code = 127
            raise ExecNotFound(name)
        proc = self._proc(c, dict(c.env))
        proc.tty = e.tty
        proc.interactive = e.interactive and stdin is None
        if stdin is not None:
            proc.files = dict(c.files)  # its own standard input, not the container's files
            proc.files["/dev/stdin"] = stdin
        e._gen = sh.command(proc, e.argv)
        self._exec_step(e, None)

    def exec_input(self, e: Exec, line: str | None) -> None:
        """A line typed at the process's prompt (None: Ctrl-D)."""
        if e.waiting is None or e.exit_code is not None:
            return
        e.waiting = None
        self._exec_step(e, line)

    def exec_signal(self, e: Exec) -> None:
        """SIGINT (Ctrl-C at its terminal): thrown into the process where it waits."""
        if e.exit_code is not None or e._gen is None:
            return
        if e._timer is not None:
            e._timer.cancel()
            e._timer = None
        e.waiting = None
        self._exec_step(e, None, throw=True)

    def _exec_step(self, e: Exec, value: Any, throw: bool = False) -> None:
        """Run the process until it waits (time, input, an answer) or ends."""
        e._timer = None
        if e.exit_code is not None or e._gen is None:
            return
        if not e.container.running:
            self._exec_done(e, 137)
            return
        self._drive(e._gen, value, throw, e.container, _ExecStep(self, e))

    def _exec_done(self, e: Exec, code: int) -> None:
        e.exit_code = code
        e.waiting = None
        e._gen = None
        if e._timer is not None:
            e._timer.cancel()
            e._timer = None

    def _http(self, c: Container, request: tuple, resume: Callable[[Any], None]) -> None:
        """A request from inside the container: to itself, or out through its host."""
        address, port, path, timeout = request
        if address in ("127.0.0.1", c.address):
            handler = c.listener(port)
            answer: Any = "refused" if handler is None else handler(path, "127.0.0.1")
            self.ctx.after(0.001, resume, answer)
            return
        if self.http_get is None:
            self.ctx.after(0.001, resume, "unreachable")
            return

        def answered(f: Any) -> None:
            exc = f.exception()
            if exc is None:
                answer = f.result()
            else:
                code = getattr(exc, "code", "")
                answer = {"Refused": "refused", "DeadlineExceeded": "timeout"}.get(
                    code, "unreachable"
                )
            self.ctx.after(0.001, resume, answer)

        source = (c.address, list(c.networks))
        self.http_get(address, port, path, timeout, source).add_done_callback(answered)

    def http(self, c: Container, port: int, path: str, client: str) -> tuple[int, str] | None:
        """A request from `client` to the container's `port`: (status, body), or None when
        nothing listens there (the connection is refused)."""
        handler = c.listener(port)
        return None if handler is None else handler(path, client)


def _bridge_number(address: str) -> int | None:
    """172.17.x.y as x * 256 + y; None for an address elsewhere."""
    if not address.startswith("172.17."):  # (a swarm task's: at once)
        return None
    x, _, y = address[7:].partition(".")  # (a dot more in y: not a number, so None)
    if not (x.isdigit() and y.isdigit()):
        return None
    return int(x) * 256 + int(y)


class _Step(Protocol):
    """Where a running program's output, sleeps, reads and requests go (`_drive`)."""

    def output(self, kind: str, text: str) -> None: ...
    def wait(self, seconds: float) -> None: ...
    def read(self, prompt: tuple[str, bool]) -> bool: ...
    def http(self, request: tuple) -> None: ...
    def done(self, code: int) -> None: ...


class _MainStep:
    """A step of a container's main process: one object a step, not a closure for each
    callback (two steps for each of 95,000 containers)."""

    __slots__ = ("rt", "c", "now")

    def __init__(self, rt: Runtime, c: Container) -> None:
        self.rt, self.c = rt, c
        self.now = rt._clock()  # a step runs at one instant: its lines share their time

    def output(self, kind: str, text: str) -> None:
        self.c.logs.append(self.now, "stdout" if kind == "out" else "stderr", text)

    def wait(self, seconds: float) -> None:
        c = self.c
        if seconds == sh.FOREVER:  # a server: nothing will wake it, so it is let go
            c._gen = None  # of, with all it held but what it serves with
        else:
            c._timer = self.rt.ctx.after(seconds, self.rt._step, c)

    def read(self, prompt: tuple[str, bool]) -> bool:
        return False  # no standard input: the end of it at once

    def http(self, request: tuple) -> None:
        rt, c = self.rt, self.c
        rt._http(c, request, lambda answer: rt._step(c, answer))

    def done(self, code: int) -> None:
        self.rt._exited(self.c, code)


class _ExecStep:
    """A step of a process `docker exec` started."""

    __slots__ = ("rt", "e")

    def __init__(self, rt: Runtime, e: Exec) -> None:
        self.rt, self.e = rt, e

    def output(self, kind: str, text: str) -> None:
        self.e.output.append((kind, text + ("\r\n" if self.e.tty else "\n")))

    def wait(self, seconds: float) -> None:
        if seconds != sh.FOREVER:  # (forever: until Ctrl-C is thrown in)
            self.e._timer = self.rt.ctx.after(seconds, self.rt._exec_step, self.e, None)

    def read(self, prompt: tuple[str, bool]) -> bool:
        self.e.waiting = prompt
        return True

    def http(self, request: tuple) -> None:
        rt, e = self.rt, self.e
        rt._http(e.container, request, lambda answer: rt._exec_step(e, answer))

    def done(self, code: int) -> None:
        self.rt._exec_done(self.e, code)
