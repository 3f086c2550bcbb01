"""A host's own containers through the Engine API (api/server/router/container in
moby): list, inspect, logs, kill, stop, remove, and exec — each a function of the host's
daemon, whose runtime (runtime/container.py) runs them."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from typing import Any

from ..daemonerror import DaemonError
from ..gocompat import human_duration, rfc3339nano
from ..runtime.container import ExecNotFound


def listing(daemon: Any) -> list[dict]:
    now = daemon.ctx.wallclock()
    views = [_listed(c, now) for c in daemon.runtime.containers.values()]
    if daemon.runtime.standins:  # busybox stand-ins expose no ports
        for view in views:
            view["Ports"] = []
    return views


def _container(daemon: Any, ref: str) -> Any:
    c = daemon.runtime.find(ref)
    if c is None:
        raise DaemonError(f"No such container: {ref}", 404)
    return c


def inspect(daemon: Any, ref: str) -> dict:
    """GET /containers/{id}/json: what `docker inspect` shows of a container."""
    return _inspected(_container(daemon, ref), daemon.runtime.standins)


def logs(daemon: Any, ref: str) -> dict:
    """A container's log lines (time, stream, line), and whether it still runs."""
    c = _container(daemon, ref)
    return {"Logs": list(c.logs), "Running": c.running}


def exec_create(daemon: Any, ref: str, argv: list[str], tty: bool, interactive: bool) -> str:
    """POST /containers/{id}/exec: an exec instance's ID."""
    c = _container(daemon, ref)
    if not c.running:
        raise DaemonError(f"container {c.id} is not running", 409)
    return daemon.runtime.exec_create(c, argv, tty, interactive).id


def _exec(daemon: Any, exec_id: str) -> Any:
    e = daemon.runtime.execs.get(exec_id)
    if e is None:
        raise DaemonError(f"No such exec instance: {exec_id}", 404)
    return e


def exec_start(daemon: Any, exec_id: str, stdin: str | None) -> None:
    """POST /exec/{id}/start: the process starts; its output is read with
    exec_poll, as the hijacked stream gives it."""
    e = _exec(daemon, exec_id)
    if not e.container.running:
        raise DaemonError(f"container {e.container.id} is not running", 409)
    try:
        daemon.runtime.exec_start(e, stdin)
    except ExecNotFound as exc:
        e.exit_code = 126  # what GET /exec/{id}/json then says, as runc's failure does
        raise DaemonError(str(exc), 400) from None


def exec_check(daemon: Any, exec_id: str) -> None:
    """Before an exec is started: it exists and its container runs."""
    e = _exec(daemon, exec_id)
    if not e.container.running:
        raise DaemonError(f"container {e.container.id} is not running", 409)


def exec_inspect(daemon: Any, exec_id: str) -> dict:
    """GET /exec/{id}/json."""
    e = _exec(daemon, exec_id)
    running = e._gen is not None and e.exit_code is None
    return {
        "ID": e.id,
        "Running": running,
        "ExitCode": e.exit_code,
        "ProcessConfig": {
            "tty": e.tty,
            "entrypoint": e.argv[0] if e.argv else "",
            "arguments": e.argv[1:],
            "privileged": False,
        },
        "OpenStdin": e.interactive,
        "OpenStderr": True,
        "OpenStdout": True,
        "CanRemove": False,
        "ContainerID": e.container.id,
        "DetachKeys": "",
        "Pid": 0,
    }


def exec_poll(daemon: Any, exec_id: str, offset: int) -> dict:
    """What the process printed since `offset`, the line it waits for, its exit code."""
    e = _exec(daemon, exec_id)
    return {
        "Output": e.output[offset:],
        "Waiting": e.waiting,
        "ExitCode": e.exit_code,
    }


def exec_input(daemon: Any, exec_id: str, line: str | None) -> None:
    daemon.runtime.exec_input(_exec(daemon, exec_id), line)


def exec_signal(daemon: Any, exec_id: str) -> None:
    daemon.runtime.exec_signal(_exec(daemon, exec_id))


def kill(daemon: Any, ref: str) -> str:
    c = _container(daemon, ref)
    if not c.running:
        raise DaemonError(f"cannot kill container: {ref}: container {c.id} is not running", 409)
    daemon.runtime.kill(c)
    return c.id


def stop(daemon: Any, ref: str) -> Future:
    c = _container(daemon, ref)
    out: Future = Future()
    daemon.runtime.stop(c, lambda: out.set_result(c.id), code=0)
    return out


def remove(daemon: Any, ref: str, force: bool) -> str:
    c = _container(daemon, ref)
    if c.running and not force:
        raise DaemonError(
            f'cannot remove container "/{c.name}": container is running: stop the container '
            "before removing or force remove",
            409,
        )
    if c.running:
        daemon.runtime.kill(c)
    daemon.runtime.remove(c)
    return c.id


def _listed(c: Any, now: float) -> dict:
    """A container as the Engine API lists it (GET /containers/json)."""

    if c.running:
        status = f"Up {human_duration(now - c.started)}"
    elif c.state == "created":
        status = "Created"
    else:
        status = f"Exited ({c.exit_code}) {human_duration(now - c.finished)} ago"
    return {
        "Id": c.id,
        "Names": ["/" + c.name],
        "Image": c.image,
        "Command": " ".join(c.argv),
        "Created": int(c.created),  # whole seconds: Go's int64
        "State": c.state,
        "Status": status,
        # a stopped container's network settings are gone: no ports listed
        "Ports": [{"PrivatePort": int(p.split("/")[0]), "Type": "tcp"} for p in c.spec.exposed]
        if c.running
        else [],
        "Labels": dict(c.labels),
    }


def _inspected(c: Any, standins: bool = False) -> dict:
    """A container as GET /containers/{id}/json gives it (the fields a lesson reads)."""
    argv = list(c.argv)
    exposed: dict[str, dict] = {} if standins else {p: {} for p in c.spec.exposed}
    return {
        "Id": c.id,
        "Created": rfc3339nano(c.created),
        "Path": argv[0] if argv else "",
        "Args": argv[1:],
        "State": {
            "Status": c.state,
            "Running": c.running,
            "Paused": False,
            "Restarting": False,
            "OOMKilled": False,
            "Dead": False,
            "Pid": 4000 + int(c.id[:4], 16) % 60000 if c.running else 0,
            "ExitCode": c.exit_code,
            "Error": "",
            "StartedAt": rfc3339nano(c.started) if c.started else "0001-01-01T00:00:00Z",
            "FinishedAt": rfc3339nano(c.finished) if c.finished else "0001-01-01T00:00:00Z",
        },
        "Image": "sha256:" + hashlib.sha256(c.image.encode()).hexdigest(),
        "Name": "/" + c.name,
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "Config": {
            "Hostname": c.hostname,
            "Domainname": "",
            "User": "",
            "ExposedPorts": exposed or None,
            "Tty": False,
            "Env": [f"{k}={v}" for k, v in c.env.items()],
            "Cmd": argv[len(c.spec.entrypoint) :]
            if argv[: len(c.spec.entrypoint)] == list(c.spec.entrypoint)
            else argv,
            "Image": c.image,
            "WorkingDir": "" if c.spec.workdir == "/" else c.spec.workdir,
            "Entrypoint": list(c.spec.entrypoint) or None,
            "Labels": dict(c.labels),
        },
        "NetworkSettings": {
            "IPAddress": "",
            "Networks": {"ingress": {"IPAddress": c.address}} if c.address else {},
        },
    }
