"""A host's fake container runtime: containers made from the image catalog, their main
process run by the container shell on the host's clock, their logs, exec, stop and kill.

A container lives only in its host's memory: when the host loses power, its
containers are gone, as a real host's are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import ids
from . import images, programs, sh

STOP_TIME = 1.1  # seconds a stopped server takes to exit (SIGTERM, then cleanup)
START_TIME = 0.25  # from "starting" to the process running


class NoSuchImage(Exception):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No such image: {ref}")


@dataclass
class Container:
    id: str
    name: str
    image: str
    argv: list[str]
    created: float
    labels: dict[str, str]
    env: dict[str, str]
    hostname: str
    files: dict[str, str]
    mounts: list[str]
    spec: images.Image
    state: str = "created"  # created, running, exited
    started: float = 0.0
    finished: float = 0.0
    exit_code: int = 0
    logs: list[tuple[float, str, str]] = field(default_factory=list)  # (time, stream, line)
    address: str = ""  # on the network its requests come in by
    meta: dict = field(default_factory=dict)  # path -> (mode, uid, gid, mtime), for ls -l
    listeners: dict[int, sh.Handler] = field(default_factory=dict)
    on_exit: Callable[[Container], None] | None = None
    _gen: Any = None
    _timer: Any = None

    @property
    def running(self) -> bool:
        return self.state == "running"


class Runtime:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.containers: dict[str, Container] = {}
        self.address = ctx.address

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
    ) -> Container:
        spec = images.find(image_ref)
        if spec is None:
            raise NoSuchImage(image_ref)
        cid = ids.hex_id(self.ctx.rng)
        environ = dict(e.split("=", 1) if "=" in e else (e, "") for e in spec.env)
        environ.update(dict(e.split("=", 1) if "=" in e else (e, "") for e in env))
        host = hostname or cid[:12]
        environ["HOSTNAME"] = host
        environ.setdefault("HOME", "/root")
        base_files = {
            "/etc/hostname": host + "\n",
            "/etc/hosts": f"127.0.0.1\tlocalhost\n{address or self.address}\t{host}\n",
        }
        base_files.update(files or {})
        c = Container(
            id=cid,
            name=name,
            image=image_ref,
            argv=argv if argv is not None else list(spec.entrypoint + spec.cmd),
            created=self.ctx.wallclock(),
            labels=labels,
            env=environ,
            hostname=host,
            files=base_files,
            mounts=mounts or [],
            spec=spec,
            address=address or self.address,
            meta=dict(meta or {}),
        )
        self.containers[cid] = c
        return c

    def start(self, c: Container) -> None:
        if c.running:
            return
        c.state = "running"
        c.started = self.ctx.wallclock()
        proc = sh.Proc(c.env, c.hostname, c.files, c.mounts, self.ctx.wallclock, c.meta)
        proc.log = lambda stream, line: c.logs.append((self.ctx.wallclock(), stream, line))
        proc.address = c.address
        c._gen = programs.program(proc, c.spec, list(c.argv))
        self._step(c)

    def _step(self, c: Container) -> None:
        """Run the process until it sleeps or ends."""
        c._timer = None
        if not c.running or c._gen is None:
            return
        steps = 0
        try:
            while True:
                kind, value = next(c._gen)
                steps += 1
                if kind in ("out", "err"):
                    c.logs.append(
                        (self.ctx.wallclock(), "stdout" if kind == "out" else "stderr", value)
                    )
                elif kind == "listen":
                    port, handler = value
                    c.listeners[port] = handler
                elif kind == "sleep":
                    if value != sh.FOREVER:
                        c._timer = self.ctx.after(max(value, 0.001), self._step, c)
                    return
                if steps > 10_000:  # a loop that never sleeps: let time pass
                    c._timer = self.ctx.after(0.01, self._step, c)
                    return
        except StopIteration as stop:
            self._exited(c, stop.value or 0)
        except sh.Exit as e:
            self._exited(c, e.status)

    def _exited(self, c: Container, code: int) -> None:
        if not c.running:
            return
        c.state = "exited"
        c.exit_code = code
        c.finished = self.ctx.wallclock()
        c._gen = None
        c.listeners.clear()  # its sockets close with it
        if c._timer is not None:
            c._timer.cancel()
            c._timer = None
        if c.on_exit is not None:
            c.on_exit(c)

    def stop(self, c: Container, done: Callable[[], None] | None = None, code: int = 0) -> None:
        """SIGTERM: the process takes a moment to go."""
        if not c.running:
            if done:
                done()
            return
        if c._timer is not None:
            c._timer.cancel()
            c._timer = None
        c._gen = None
        c.listeners.clear()  # SIGTERM: the server stops accepting at once

        def gone() -> None:
            self._exited(c, code)
            if done:
                done()

        self.ctx.after(STOP_TIME * (0.9 + 0.2 * self.ctx.rng.random()), gone)

    def kill(self, c: Container, code: int = 137) -> None:
        self._exited(c, code)

    def remove(self, c: Container) -> None:
        if c.running:
            self.kill(c)
        self.containers.pop(c.id, None)

    def find(self, ref: str) -> Container | None:
        for c in self.containers.values():
            if ref in (c.id, c.name):
                return c
        matches = [c for c in self.containers.values() if c.id.startswith(ref)]
        return matches[0] if len(matches) == 1 else None

    def exec(self, c: Container, argv: list[str]) -> tuple[str, str, int]:
        """Run a command in the container to its end (or until it would wait)."""
        proc = sh.Proc(dict(c.env), c.hostname, c.files, c.mounts, self.ctx.wallclock, c.meta)
        gen = sh.command(proc, argv)
        out, err = [], []
        status = 0
        try:
            for _ in range(100_000):
                kind, value = next(gen)
                if kind == "out":
                    out.append(value + "\n")
                elif kind == "err":
                    err.append(value + "\n")
                elif kind == "sleep" and value == sh.FOREVER:
                    break
        except StopIteration as stop:
            status = stop.value or 0
        except sh.Exit as e:
            status = e.status
        return "".join(out), "".join(err), status

    def http(self, c: Container, port: int, path: str, client: str) -> tuple[int, str] | None:
        """A request from `client` to the container's `port`: (status, body), or None when
        nothing listens there (the connection is refused)."""
        handler = c.listeners.get(port) if c.running else None
        return None if handler is None else handler(path, client)
