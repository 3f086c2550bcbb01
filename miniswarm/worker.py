"""A node's worker (swarmkit's agent/worker and the container executor): it runs the
tasks the dispatcher assigns on the host's container runtime and reports how they do.

For each task: ACCEPTED, PREPARING (the image must exist), READY; once the manager
wants it RUNNING: STARTING, RUNNING. Its container's exit makes it COMPLETE (status 0)
or FAILED ("task: non-zero exit (N)"); a task the manager wants stopped is stopped and
reported SHUTDOWN. Reports go to the dispatcher in small batches and are sent again
until one gets through. A task that leaves the assignments takes its container with it.
"""

from __future__ import annotations

import base64
import posixpath
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

from . import shlang, taskstate
from .gocompat import rfc3339nano
from .names import task_name
from .runtime import images
from .runtime.container import START_TIME, Container, NoSuchImage, Runtime

if TYPE_CHECKING:
    from .sim.kernel import Event, HostContext

PREPARE_TIME = 0.2  # checking the image and creating the container
# An image the registry does not have: the pull gives up after this long (the task is
# Rejected about 1 s after it was assigned, as the recordings show).
PULL_FAILS_AFTER = 0.6
REPORT_BATCH = 0.05
RETRY = 0.5


class MissingFile(Exception):
    """A secret or config the task needs has not reached this node."""


class TaskRunner:
    """One task on this node. It keeps what it acts on of its task — the spec, the state
    the managers want, the published ports — and the task whole only until its container
    is made of it: the managers' copies move on with every status report, which is not
    sent back to the agent, so the task as assigned would outlive its use (61 MiB in a
    95,000-task swarm)."""

    __slots__ = ("w", "id", "spec", "desired", "_endpoint", "_task", "state", "container",
                 "status", "busy")  # fmt: skip

    def __init__(self, worker: Worker, task: dict) -> None:
        self.w = worker
        self.id: str = task["ID"]
        self.state = task["Status"]["State"]  # as last reported
        self.container: Container | None = None
        self.status: dict | None = None  # as last reported
        self.busy = False  # a step is under way
        self._hold(task)

    def _hold(self, task: dict) -> None:
        self.spec: dict = task["Spec"]
        self.desired: str = task["DesiredState"]
        self._endpoint: dict | None = task.get("Endpoint")
        # (READY: its container is made)
        self._task: dict | None = task if taskstate.before(self.state, "ready") else None

    def report(self, state: str, message: str, err: str = "") -> None:
        rank = taskstate.RANK[state]  # (five reports a task: its rank looked up once)
        if rank < taskstate.RANK[self.state]:
            return
        self.state = state
        ended = rank > taskstate.RUNNING  # (past it, a task has ended)
        if ended:
            self.w.live.pop(self.id, None)
        status: dict[str, Any] = {
            "Timestamp": rfc3339nano(self.w.ctx.wallclock()),
            "State": state,
            "Message": message,
        }
        if err:
            status["Err"] = err
        if self.container is not None:
            c = self.container
            status["ContainerStatus"] = {
                "ContainerID": c.id,
                "PID": 1000 + int(c.id[:4], 16) % 30000 if c.running else 0,
                "ExitCode": c.exit_code,
            }
        status["PortStatus"] = taskstate.EMPTY
        ports = self.host_ports() if state == "running" else None
        if ports:  # each bound twice, on IPv4 and on IPv6, as docker 20.10 reports them
            status["PortStatus"] = {"Ports": [p for p in ports for _ in (0, 1)]}
        self.status = status
        self.w.report(self.id, status)
        if ended:
            self.w.forget_unused()

    def host_ports(self) -> list[dict]:
        """The ports it publishes in host mode: bound on this node while it runs."""
        ports = (self._endpoint or {}).get("Ports") or []
        return [p for p in ports if p.get("PublishMode") == "host"]

    def update(self, task: dict) -> None:
        self._hold(task)
        if self.status is not None and taskstate.before(task["Status"]["State"], self.state):
            # The managers' view lags ours: a report was lost with a leader. Say it again.
            self.w.report(self.id, self.status)
        self.step()

    def step(self) -> None:
        if self.busy or taskstate.terminal(self.state):
            return
        desired = self.desired
        if taskstate.rank(desired) > taskstate.rank("running"):
            self._shutdown()
            return
        if self.state in ("assigned", "new", "pending"):
            self.report("accepted", "accepted")
            self.busy = True
            self.w.ctx.after(0.05, self._prepare)
        elif self.state == "ready" and desired == "running":
            self.report("starting", "starting")
            self.busy = True
            self.w.ctx.after(START_TIME, self._started)

    def _prepare(self) -> None:
        self.busy = False
        if taskstate.terminal(self.state):
            return
        if taskstate.rank(self.desired) > taskstate.rank("running"):
            self._shutdown()
            return
        self.report("preparing", "preparing")
        self.busy = True
        cs = self.spec.get("ContainerSpec") or {}
        missing = images.find(cs.get("Image", "")) is None
        wait = (
            PULL_FAILS_AFTER * (0.85 + 0.3 * self.w.ctx.rng.random()) if missing else PREPARE_TIME
        )
        self.w.ctx.after(wait, self._prepared)

    def _prepared(self) -> None:
        self.busy = False
        if taskstate.terminal(self.state):
            return
        cs = self.spec.get("ContainerSpec") or {}
        ref = cs.get("Image", "")
        assert self._task is not None, "held until its container is made"
        try:
            self.container = self.w.create_container(self._task)
            self._task = None
        except MissingFile as exc:
            self.report("rejected", "preparing", str(exc))
            return
        except NoSuchImage:
            self.report(
                "rejected",
                "preparing",
                f"No such image: {images.split(ref)[0]}:{images.split(ref)[1]}"
                if "@" in ref
                else f"No such image: {ref}",
            )
            return
        self.report("ready", "prepared")
        self.step()

    def _started(self) -> None:
        self.busy = False
        if taskstate.terminal(self.state) or self.container is None:
            return
        if taskstate.rank(self.desired) > taskstate.rank("running"):
            self._shutdown()
            return
        self.container.on_exit = self._exited
        self.w.runtime.start(self.container)
        if self.container.running:
            self.report("running", "started")

    def _exited(self, c: Container) -> None:
        if self.busy:  # being stopped: _shutdown reports it
            return
        if c.exit_code == 0:
            self.report("complete", "finished")
        else:
            self.report("failed", "started", f"task: non-zero exit ({c.exit_code})")

    def _shutdown(self) -> None:
        c = self.container
        if c is None or not c.running:
            if c is not None:  # made but never started: its tmpfs (secrets) go all the same
                self.w.runtime.stop(c)
            self.report("shutdown", "shutdown")
            return
        self.busy = True

        def stopped() -> None:
            self.busy = False
            self.report("shutdown", "shutdown")

        self.w.runtime.stop(c, stopped)

    def remove(self) -> None:
        self.w.live.pop(self.id, None)
        if self.container is not None:
            self.w.runtime.remove(self.container)

    def needs(self, kind: str) -> set[str]:
        """The secrets (configs) this task uses, while it may still run."""
        if taskstate.terminal(self.state):
            return set()
        cs = self.spec.get("ContainerSpec") or {}
        refs = cs.get("Secrets" if kind == "secret" else "Configs") or []
        return {r.get(f"{kind.capitalize()}ID", "") for r in refs}


class Session(Protocol):
    """The agent's session with the dispatcher (agent.py), as the worker reports through
    it: whether it is up, to which manager, and a call to make there."""

    ctx: HostContext
    stopped: bool
    registered: bool
    session_id: str | None
    manager_addr: str | None

    @property
    def node_id(self) -> str: ...

    def call(self, to: str, method: str, body: Any, timeout: float) -> Future: ...


class Worker:
    def __init__(self, agent: Session, runtime: Runtime) -> None:
        self.agent = agent
        self.ctx = agent.ctx
        self.runtime = runtime
        self.runners: dict[str, TaskRunner] = {}
        # The runners whose tasks may still run: what a secret's holding depends on.
        self.live: dict[str, TaskRunner] = {}
        self._pending: dict[str, dict] = {}
        self._sending = False
        self._timer: Event | None = None
        # The secrets and configs this node's tasks need, from the dispatcher; held in
        # memory only, and forgotten when no task here needs them any more.
        self.files: dict[str, dict[str, str]] = {"secret": {}, "config": {}}

    def assign(self, tasks: tuple) -> None:
        """The whole set of this node's tasks: any other it runs is removed."""
        seen = set()
        for task in tasks:
            seen.add(task["ID"])
            self._take(task)
        for tid in [t for t in self.runners if t not in seen]:
            self.runners.pop(tid).remove()
        for c in list(self.runtime.containers.values()):  # tasks the managers forgot
            task_id = c.labels.get("com.docker.swarm.task.id")
            if task_id is not None and task_id not in seen:
                self.runtime.remove(c)
        self.forget_unused()  # the managers' view may lag behind what stopped here

    def change(self, tasks: tuple, removed: tuple) -> None:
        """Changes to the set: tasks new or changed, and the IDs of those removed."""
        for task in tasks:
            self._take(task)
        for tid in removed:
            runner = self.runners.pop(tid, None)
            if runner is not None:
                runner.remove()
        self.forget_unused()

    def _take(self, task: dict) -> None:
        runner = self.runners.get(task["ID"])
        if runner is None:
            runner = TaskRunner(self, task)
            self.runners[task["ID"]] = runner
            if not taskstate.terminal(runner.state):
                self.live[task["ID"]] = runner
            # A task this host had before it restarted: its container is still on the
            # disk, exited when the host went down.
            runner.container = self.runtime.by_task(task["ID"])
            state = task["Status"]["State"]
            if taskstate.rank(state) > taskstate.rank("assigned") and not taskstate.terminal(state):
                runner.report("complete", "finished")
                return
        runner.update(task)

    def create_container(self, task: dict) -> Container:
        cs = task["Spec"].get("ContainerSpec") or {}
        image = images.find(cs.get("Image", ""))
        argv = None
        if cs.get("Command") or cs.get("Args"):
            entry = list(cs.get("Command") or (image.entrypoint if image else ()))
            given = cs.get("Args")
            default = () if cs.get("Command") else (image.cmd if image else ())
            args = list(given if given is not None else default)
            argv = entry + args
        labels = {
            "com.docker.swarm.node.id": self.agent.node_id,
            "com.docker.swarm.service.id": task.get("ServiceID", ""),
            "com.docker.swarm.service.name": task.get("_service_name", ""),
            "com.docker.swarm.task": "",
            "com.docker.swarm.task.id": task["ID"],
            "com.docker.swarm.task.name": task_name(task).rsplit(".", 1)[0],
        }
        labels.update(cs.get("Labels") or {})
        files, meta, mounts = self._mounted(cs)
        return self.runtime.create(
            cs.get("Image", ""),
            task_name(task),
            argv,
            list(cs.get("Env") or []),
            labels,
            hostname=cs.get("Hostname", ""),
            files=files,
            meta=meta,
            mounts=mounts,
            address=next(
                (a["Addresses"][0].split("/")[0] for a in task.get("NetworksAttachments") or []),
                "",
            ),
            networks={
                a["Network"]["ID"]: a["Addresses"][0].split("/")[0]
                for a in task.get("NetworksAttachments") or []
                if a.get("Addresses")
            },
        )

    def forget_unused(self) -> None:
        """Drop what no task here may still need — at once, not when the managers next
        say so: with no leader, that could be never."""
        for kind, held in self.files.items():
            # Only the tasks that may still run, and each key until one needs it: a node
            # stopping thousands of tasks looks at each about once, not at all each time.
            keep = {
                k: v for k, v in held.items() if any(k in r.needs(kind) for r in self.live.values())
            }
            if len(keep) != len(held):
                self.files[kind] = keep

    def _mounted(self, cs: dict) -> tuple[dict, dict, list[str]]:
        """A task's secrets at /run/secrets/TARGET and configs at TARGET, each a file on
        its own in-memory filesystem: (contents, metadata, `mount` lines)."""
        files: dict[str, str] = {}
        meta: dict[str, tuple[int, str, str, float]] = {}
        now = self.ctx.wallclock()
        for kind, key in (("secret", "Secrets"), ("config", "Configs")):
            for ref in cs.get(key) or []:
                obj_id = ref.get(f"{kind.capitalize()}ID", "")
                if obj_id not in self.files[kind]:
                    raise MissingFile(f"{kind} {ref.get(f'{kind.capitalize()}Name')} not found")
                target = ref["File"]["Name"]
                if kind == "secret" and not target.startswith("/"):
                    target = "/run/secrets/" + target
                path = posixpath.normpath("/" + target.lstrip("/"))
                if kind == "secret" and not path.startswith("/run/secrets/"):
                    path = "/run/secrets/" + posixpath.basename(path)  # kept in its place
                files[path] = shlang.from_bytes(base64.b64decode(self.files[kind][obj_id]))
                meta[path] = (ref["File"].get("Mode", 0o444), ref["File"].get("UID", "0"),
                              ref["File"].get("GID", "0"), now)  # fmt: skip
        # moby mounts parents before children: by depth, then in order
        order = sorted(meta, key=lambda p: p.count("/"))
        mounts = [f"tmpfs on {p} type tmpfs (ro,relatime)" for p in order]
        return files, meta, mounts

    # -- reports ---------------------------------------------------------------------------------

    def report(self, task_id: str, status: dict) -> None:
        self._pending[task_id] = status
        if not self._sending and self._timer is None:
            self._timer = self.ctx.after(REPORT_BATCH, self._send)

    def _send(self) -> None:
        self._timer = None
        a = self.agent
        if not self._pending or a.stopped:
            return
        if not a.registered or a.manager_addr is None:
            self._timer = self.ctx.after(RETRY, self._send)
            return
        updates, self._pending = self._pending, {}
        self._sending = True
        body = {
            "node_id": a.node_id,
            "session_id": a.session_id,
            "updates": updates,  # (task ID -> status: this dict is the message's now)
        }
        fut = a.call(a.manager_addr, "dispatcher.update_task_status", body, timeout=5.0)

        def sent(f) -> None:
            self._sending = False
            if f.exception() is not None:
                for k, v in updates.items():
                    self._pending.setdefault(k, v)
                if self._timer is None:
                    self._timer = self.ctx.after(RETRY, self._send)
            elif self._pending and self._timer is None:
                self._timer = self.ctx.after(REPORT_BATCH, self._send)

        fut.add_done_callback(sent)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
