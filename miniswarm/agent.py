"""A node's agent (swarmkit's agent): its session with the dispatcher.

It registers with a manager chosen at random from the ones it knows (followers pass the
call on to the leader), then heartbeats at the period the dispatcher gives. When the
session fails — the manager died, a new leader does not know it — it registers again,
backing off (0.1 s, growing to 8 s, randomised) while no leader answers. The dispatcher
tells it when its role changes, and the daemon acts on that.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

from .manager.dispatcher import Assignments, SessionUpdate
from .rpc import RpcError
from .worker import Worker

if TYPE_CHECKING:
    from .manager import Manager
    from .mesh import Mesh
    from .rpc import Rpc
    from .runtime.container import Runtime
    from .sim.kernel import Event, HostContext

NODE_CERT = "swarm/certificates/swarm-node.crt"
INITIAL_BACKOFF = 0.1
MAX_BACKOFF = 8.0
REGISTER_TIMEOUT = 5.0


class Node(Protocol):
    """What an agent asks of its daemon (daemon.py): who the node is, the managers it
    knows, its routing mesh and containers, and to act on the role it is given."""

    ctx: HostContext
    rpc: Rpc
    mesh: Mesh
    runtime: Runtime
    manager: Manager | None

    @property
    def node_id(self) -> str: ...

    @property
    def advertise_addr(self) -> str: ...

    def node_description(self) -> dict: ...

    def remote_managers(self) -> list[tuple[str, str]]: ...

    def set_remote_managers(self, managers: list[tuple[str, str]]) -> None: ...

    def role_changed(self, role: str) -> None: ...

    def check_ready(self) -> None: ...


class Agent:
    def __init__(self, daemon: Node) -> None:
        self.d = daemon
        self.ctx = daemon.ctx
        self.session_id: str | None = None
        # The last assignment set applied: its session and its seq
        self.assigned: tuple[str, int] | None = None
        self.manager_addr: str | None = None
        self.backoff = 0.0
        self.timer: Event | None = None
        self.stopped = False
        self.registered = False
        self._ready: list[Future] = []
        self.worker = Worker(self, daemon.runtime)

    @property
    def node_id(self) -> str:
        return self.d.node_id

    def call(self, to: str, method: str, body: Any, timeout: float) -> Future:
        """A call to a manager (the worker's task reports go through it)."""
        return self.d.rpc.call(to, method, body, timeout=timeout)

    def start(self) -> None:
        self._register()

    def stop(self) -> None:
        self.stopped = True
        self.worker.stop()
        if self.timer is not None:
            self.timer.cancel()
        for fut in self._ready:
            if not fut.done():
                fut.set_exception(RpcError("Canceled", "agent stopped"))
        self._ready = []

    def ready(self) -> Future:
        """Resolves once a session is registered."""
        fut: Future = Future()
        if self.registered:
            fut.set_result(None)
        else:
            self._ready.append(fut)
        return fut

    # -- the session ------------------------------------------------------------------------

    def _pick_manager(self) -> str | None:
        """A manager's agent talks to its own manager once that one is connected to the
        swarm (swarmkit's connection broker prefers the local connection, which the node
        sets up when its manager is running); until then, and on a worker, it picks one
        of the managers it knows."""
        own = self.d.advertise_addr
        m = self.d.manager
        if m is not None and m.raft.leader is not None:
            return self.ctx.address  # local: whatever address the node advertises
        remotes = [addr.rsplit(":", 1)[0] for _, addr in self.d.remote_managers()]
        others = [a for a in remotes if a != own] or remotes
        if not others:
            return None
        return self.ctx.rng.choice(others)

    def _register(self) -> None:
        if self.stopped:
            return
        addr = self._pick_manager()
        if addr is None:
            self._retry()
            return
        body = {
            "node_id": self.d.node_id,
            "addr": self.d.advertise_addr,
            "at": self.ctx.address,  # where the session's messages reach this agent
            "description": self.d.node_description(),
        }
        fut = self.d.rpc.call(addr, "dispatcher.register", body, timeout=REGISTER_TIMEOUT)
        fut.add_done_callback(lambda f: self._registered(addr, f))

    def _registered(self, addr: str, fut: Future) -> None:
        if self.stopped:
            return
        if fut.exception() is not None:
            self.registered = False
            self._retry()
            return
        reply = fut.result()
        self.backoff = 0.0
        self.session_id = reply["session_id"]
        self.manager_addr = addr
        self.registered = True
        self.d.set_remote_managers(reply["managers"])
        self.d.role_changed(reply["role"])
        self.d.check_ready()
        for waiter in self._ready:
            if not waiter.done():
                waiter.set_result(None)
        self._ready = []
        self.timer = self.ctx.after(reply["period"], self._heartbeat)

    def _retry(self) -> None:
        self.backoff = min(INITIAL_BACKOFF + 2 * self.backoff, MAX_BACKOFF)
        self.timer = self.ctx.after(self.ctx.rng.random() * self.backoff, self._register)

    def _heartbeat(self) -> None:
        if self.stopped or self.manager_addr is None:
            return
        body = {
            "node_id": self.d.node_id,
            "session_id": self.session_id,
            # the last set of this session applied: the dispatcher sends the whole set
            # again if it is not the last it sent
            "assigned": self.assigned[1]
            if self.assigned and self.assigned[0] == self.session_id
            else None,
        }
        fut = self.d.rpc.call(
            self.manager_addr, "dispatcher.heartbeat", body, timeout=REGISTER_TIMEOUT
        )
        fut.add_done_callback(self._beat)

    def _beat(self, fut: Future) -> None:
        if self.stopped:
            return
        if fut.exception() is not None:
            # The session is gone (its manager died, or a new leader does not know it).
            self.registered = False
            self.session_id = None
            self._register()
            return
        self.timer = self.ctx.after(fut.result()["period"], self._heartbeat)

    def assignments(self, msg: Assignments) -> None:
        if self.stopped or msg.node_id != self.d.node_id:
            return
        # A set names its session: it may come before the session's own reply does,
        # when another manager passed the registration on.
        last = self.assigned
        if msg.complete:
            if last is not None and last[0] == msg.session and msg.seq <= last[1]:
                return  # this session's older whole set, late or twice
        elif last != (msg.session, msg.seq - 1):
            return  # not changes to what this node has: its heartbeat says so
        # before the tasks that need them; the worker's own copy
        self.worker.files = {kind: dict(held) for kind, held in msg.files.items()}
        if msg.complete:
            self.worker.assign(msg.tasks)
        else:
            self.worker.change(msg.tasks, msg.removed)
        self.assigned = (msg.session, msg.seq)
        self.d.mesh.table = msg.mesh
        self.d.mesh.discovery = msg.discovery
        self.d.mesh.networks = msg.networks

    def session_update(self, msg: SessionUpdate) -> None:
        if self.stopped or msg.node_id != self.d.node_id:
            return
        self.d.set_remote_managers(msg.managers)
        if msg.certificate and self.d.ctx.disk.read(NODE_CERT) != msg.certificate:
            self.d.ctx.disk.write(NODE_CERT, msg.certificate)
        self.d.role_changed(msg.role)
