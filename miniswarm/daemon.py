"""dockerd on a simulated host: its life, and its part in the swarm.

Every host runs one. Outside a swarm it answers `info` and `version`; `swarm init` or
`swarm join` makes it a node — an agent for every node, and a manager (Raft member,
store, controllers) for managers. Cluster requests (nodes, the swarm's spec, tokens) are
answered by the Raft leader — another manager passes them on (manager/raftproxy.py
says how it waits when there is none) — and a worker refuses them, as moby does. A
request gives up after 20 s (moby's swarmRequestTimeout) with DeadlineExceeded.

Its one door is the Engine API (engineapi/): the router's handlers call what is here —
the swarm's lifecycle (`api_swarm_*`), `cluster_call` for what the leader answers, the
host's networks, info and version — on the host's own loop; a value or a Future comes
back, and an error is a DaemonError, which the CLI prints as "Error response from
daemon: ...".
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from . import ca, dockernet, engine, ids
from .agent import NODE_CERT, Agent
from .daemonerror import DaemonError
from .encryption import DecryptError, InvalidKeyString, new_key, parse_human_key
from .gocompat import rfc3339nano
from .manager import Manager, networks
from .manager.dispatcher import Assignments, SessionUpdate
from .manager.raftproxy import RaftProxy
from .mesh import Mesh
from .raft import Config
from .raftnode import Locked, Packet, Unreachable, edit_log
from .rpc import Rpc, RpcError, chain, failed, mapped, resolved
from .runtime.container import Runtime
from .sim.kernel import HostContext, Process
from .worker import TaskRunner

SWARM_REQUEST_TIMEOUT = 20.0
DISPATCHER_TIMEOUT = 5.0  # an agent's session and heartbeat calls (dispatcherRPCTimeout)
JOIN_TIMEOUT = 20.0
# From learning it is promoted to being a Raft member: getting a manager certificate,
# starting the manager, joining — 0.5 to 1.5 s in all, as swarm takes.
PROMOTION_DELAY = (0.4, 1.3)
# A manager found removed from Raft (left behind by --force-new-cluster) runs as a worker
# until its certificate is renewed; still meant to be a manager, it then joins again, as
# a new member. Real swarm: removed about 16 s after the old manager's restart (its first
# campaign), Reachable 45-50 s after it; here removal comes 10-20 s after the restart
# (the election timeout), so Reachable 41-52 s after it.
REJOIN_DELAY = (30.0, 34.0)
# After a promotion, the daemon connects to its new local manager's control API only
# after a while (the reference saw it not yet connected 7.7 s after a promotion, and
# connected 30.5 s after another); until then it answers as moby does in that window.
PROMOTED_CONTROL_DELAY = 20.0
LEAVE_STATS_TIMEOUT = 5.0

MANAGER_PREPARING = (
    "This node is not a swarm manager. Manager is being prepared or has trouble connecting "
    "to the cluster."
)
NOT_IN_SWARM = (
    'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to '
    "connect this node to swarm and try again."
)
NOT_MANAGER = (
    "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster "
    "state. Please run this command on a manager node or promote the current node to a "
    "manager."
)
ALREADY_IN_SWARM = (
    'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and '
    "join another one."
)
NO_SWARM = "This node is not part of a swarm"
WORKER_CREATE = (
    "Cannot create a multi-host network from a worker node. Please create the network from "
    "a manager node."
)
JOIN_TIMED_OUT = (
    "Timeout was reached before node joined. The attempt to join the swarm will continue in "
    'the background. Use the "docker info" command to see the current swarm status of your '
    "node."
)
TWO_MANAGERS_WARNING = (
    "WARNING: Running Swarm in a two-manager configuration. This configuration provides\n"
    "         no fault tolerance, and poses a high risk to lose control over the cluster.\n"
    "         Refer to https://docs.docker.com/engine/swarm/admin_guide/ to configure the\n"
    "         Swarm for fault-tolerance."
)

DEFAULT_SPEC = {
    "Name": "default",
    "Labels": {},
    "Orchestration": {"TaskHistoryRetentionLimit": 5},
    "Raft": {
        "SnapshotInterval": 10000,
        "KeepOldSnapshots": 0,
        "LogEntriesForSlowFollowers": 500,
        "ElectionTick": 10,
        "HeartbeatTick": 1,
    },
    "Dispatcher": {"HeartbeatPeriod": 5_000_000_000},
    "CAConfig": {"NodeCertExpiry": 7_776_000_000_000_000},
    "TaskDefaults": {},
    "EncryptionConfig": {"AutoLockManagers": False},
}


# A swarm.ClusterInfo with every field at Go's zero value.
ZERO_CLUSTER = {
    "ID": "",
    "Version": {},
    "CreatedAt": "0001-01-01T00:00:00Z",
    "UpdatedAt": "0001-01-01T00:00:00Z",
    "Spec": {
        "Labels": None,
        "Orchestration": {},
        "Raft": {"ElectionTick": 0, "HeartbeatTick": 0},
        "Dispatcher": {},
        "CAConfig": {},
        "TaskDefaults": {},
        "EncryptionConfig": {"AutoLockManagers": False},
    },
    "TLSInfo": {},
    "RootRotationInProgress": False,
    "DefaultAddrPool": None,
    "SubnetSize": 0,
    "DataPathPort": 0,
}


SWARM_LOCKED = (
    'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker '
    'swarm unlock" to unlock it.'
)
LEAVE_LOCKED = (
    "Swarm is encrypted and locked. Please unlock it first or use `--force` to ignore this message."
)

# A manager's Raft state on its disk: the encrypted log, its member ID, the wrapped data
# key and (without autolock) the key that wraps it.
RAFT_FILES = ("swarm/raft", "swarm/raft-id", "swarm/raft-dek", "swarm/raft-kek")

# gRPC codes as moby's errdefs turn them into HTTP statuses
HTTP_STATUS = {"NotFound": 404, "InvalidArgument": 400, "AlreadyExists": 409}


def as_daemon_error(exc: BaseException) -> BaseException:
    if isinstance(exc, RpcError):
        return DaemonError(str(exc), HTTP_STATUS.get(exc.code, 500))
    return exc


class Daemon(Process):
    def __init__(self, ctx: HostContext, standins: bool = False) -> None:
        """`standins`: every image also carries busybox's programs, as the reference
        recordings' busybox stand-in images did (see Lab); and, as on the machine that
        recorded them, no registry is asked about images (the warnings it then printed
        were taken out of the recordings)."""
        super().__init__(ctx)
        self.rpc = Rpc(ctx)
        disk = ctx.disk
        if disk.read("engine/id") is None:
            disk.write("engine/id", ids.engine_id(ctx.rng))
        self.engine_id: str = disk.read("engine/id")
        state = disk.read("swarm/state")
        self.state: dict | None = copy.deepcopy(state) if state else None
        self.manager: Manager | None = None
        self.agent: Agent | None = None
        self.joining = False  # a join is under way
        self.locked = False  # a manager of an autolocked swarm, restarted: waits for its key
        self.was_ready = False  # the node has been ready since it started
        self.control_from = 0.0  # when the control API connection is up (moby's controlClient)
        self.assigned_role: str | None = None  # the role the dispatcher last gave this node
        self.rejoin_at = 0.0  # removed from Raft: no manager again before then
        self.error = ""
        self._remotes: list[tuple[str, str]] = list(self.state["managers"]) if self.state else []
        self._init_cluster: dict | None = None
        self.proxy = RaftProxy(ctx, self.rpc, lambda: self.manager)
        self.proxy.handle("control", self._serve_control)
        self.runtime = Runtime(ctx, standins)
        self.mesh = Mesh(ctx, self.rpc, self.runtime, lambda: self.state is not None, self._runners)
        self.runtime.http_get = self.mesh.get  # containers' requests leave through the mesh
        self.runtime.dns = self.mesh.lookup
        for method in ("register", "heartbeat", "update_task_status"):
            self.rpc.serve("dispatcher." + method, self._dispatch(method))
            self.proxy.handle("dispatcher." + method, self._serve_dispatcher(method))
        self.rpc.serve("task.logs", self._task_logs)
        for method in ("join", "raft.join"):
            self.rpc.serve(method, self._joining(method))
        self.local_networks()

    # -- identity -----------------------------------------------------------------------------

    @property
    def node_id(self) -> str:
        return self.state["node_id"] if self.state else ""

    @property
    def advertise_addr(self) -> str:
        return self.state["advertise_addr"] if self.state else ""

    @property
    def role(self) -> str | None:
        return self.state["role"] if self.state else None

    @property
    def status(self) -> str:
        """The local node state `docker info` shows: inactive, pending, active."""
        if self.state is None:
            return "pending" if self.joining else "inactive"
        if self.locked:
            return "locked"
        return "active" if self.was_ready else "pending"

    def swarm_header(self) -> str:
        """/_ping's Swarm header: inactive, pending, error, locked, or active/ROLE."""
        status = self.status
        if status == "active":
            return f"active/{'manager' if self.manager is not None else 'worker'}"
        return status

    def _runners(self) -> list[TaskRunner]:
        return [] if self.agent is None else list(self.agent.worker.runners.values())

    def node_description(self) -> dict:
        return engine.node_description(self.ctx.name)

    def remote_managers(self) -> list[tuple[str, str]]:
        if self.manager is not None:
            return self.manager.peers()
        return list(self._remotes)

    def set_remote_managers(self, managers: list[tuple[str, str]]) -> None:
        self._remotes = [(m[0], m[1]) for m in managers]
        if self.state is not None and self.state["managers"] != self._remotes:
            self.state["managers"] = list(self._remotes)
            self._save()

    def _save(self) -> None:
        self.ctx.disk.write("swarm/state", copy.deepcopy(self.state))
        self.local_networks()  # a node in a swarm has its docker_gwbridge

    # -- the host's life ----------------------------------------------------------------------

    def start(self) -> None:
        if self.state is not None:
            self._start_node()

    def on_message(self, src: str, msg: Any) -> None:
        if self.rpc.on_message(src, msg):
            return
        if isinstance(msg, (Packet, Unreachable)):
            if self.manager is not None:
                self.manager.raft.receive(src, msg)
            elif isinstance(msg, Packet):
                # No Raft server here (the node left, or is a worker now): the connection
                # is refused at once, and the sender sees this member unreachable.
                self.ctx.send(src, msg.refused())
        elif isinstance(msg, SessionUpdate):
            if self.agent is not None:
                self.agent.session_update(msg)
        elif isinstance(msg, Assignments):
            if self.agent is not None:
                self.agent.assignments(msg)

    def _start_node(self, kek: bytes | None = None) -> None:
        """Run this node's parts, as its persisted state says (after init, join, or a
        restart of the daemon). A manager whose data key is locked runs nothing until
        `swarm unlock` gives it the key (`kek`)."""
        assert self.state is not None
        if self.state["role"] == "manager" and self.state.get("member_id") is None:
            # Promoted, and down before its Raft member was made: it runs as the worker
            # it still is, and joins the managers when the dispatcher says its role again.
            self.state["role"] = "worker"
            self._save()
        if self.state["role"] == "manager":
            try:
                self._start_manager(kek=kek)
            except Locked:
                self.locked = True
                return
            manager = self.manager
            if manager is not None and not _joined(manager):
                # Its member was made but its joining never committed (the power went
                # first): as swarmkit's manager does when Join has not returned, it asks
                # to join again.
                self._ask_to_join(manager.member_id, 0)
        self.locked = False
        self.agent = Agent(self)
        self.agent.start()

    def _start_manager(
        self,
        member_id: str | None = None,
        bootstrap: Config | None = None,
        kek: bytes | None = None,
    ) -> None:
        self.manager = Manager(self, member_id=member_id, bootstrap=bootstrap, kek=kek)
        self.manager.start()
        if self.manager.raft.raft.config.voters == {self.manager.member_id}:
            self.manager.raft.campaign()  # the only member: no need to wait for a timeout

    def _stop_node(self) -> None:
        if self.agent is not None:
            self.agent.stop()
            self.agent = None
        if self.manager is not None:
            self.manager.stop()
            self.manager = None
        self.was_ready = False

    # -- roles, as the dispatcher tells them ----------------------------------------------------

    def role_changed(self, role: str) -> None:
        self.assigned_role = role  # what the managers say this node should be
        if self.state is None:
            return
        if role == "manager" and self.manager is None:
            if self.ctx.now() < self.rejoin_at:
                return  # _rejoin will see to it
            if self.state["role"] != "manager":
                self.state["role"] = "manager"
                self._save()
            self.ctx.after(self.ctx.rng.uniform(*PROMOTION_DELAY), self._join_raft)
        elif role == "worker" and self.manager is not None and self.state["role"] == "manager":
            self.manager.stop()
            self.manager = None
            for key in RAFT_FILES:
                self.ctx.disk.delete(key)
            self.state["role"] = "worker"
            self.state.pop("member_id", None)
            self._save()

    def removed_from_raft(self) -> None:
        """Another manager says this one was removed from the cluster while it was away
        (demoted, or left behind by --force-new-cluster): its manager stops — requests
        waiting on it fail, "transport is closing" — and the node goes on as a worker
        with its node identity. If its desired role is still manager, swarm promotes it
        again, and it joins Raft as a new member."""
        if self.manager is None or self.state is None:
            return
        self.manager.stop()
        self.manager = None
        for key in RAFT_FILES:
            self.ctx.disk.delete(key)
        self.state["role"] = "worker"
        self.state.pop("member_id", None)
        self._save()
        delay = self.ctx.rng.uniform(*REJOIN_DELAY)
        self.rejoin_at = self.ctx.now() + delay
        self.ctx.after(delay, self._rejoin)

    def _rejoin(self) -> None:
        if self.manager is None and self.assigned_role == "manager":
            self.role_changed("manager")

    def _join_raft(self) -> None:
        if self.state is None or self.manager is not None or self.state["role"] != "manager":
            return
        member = ids.raft_member_id(self.node_id, self.ctx.rng)
        for key in RAFT_FILES:
            self.ctx.disk.delete(key)
        if self.was_ready:  # promoted while running, not joining as a manager
            self.control_from = self.ctx.now() + PROMOTED_CONTROL_DELAY
        self._start_manager(member_id=member)
        self.state["member_id"] = member
        self._save()
        self._ask_to_join(member, 0)

    def _ask_to_join(self, member: str, attempt: int) -> None:
        """Ask a known manager (who passes it on to the leader) to make our Raft member a
        voter; try the next one, a second later, until one does."""
        if self.manager is None or self.manager.member_id != member:
            return
        if _joined(self.manager):
            return  # its joining has committed
        remotes = [a for n, a in self._remotes if n != self.node_id] or [
            a for _, a in self._remotes
        ]
        if not remotes:
            return
        addr = _host(remotes[attempt % len(remotes)])
        body = {"member": member, "addr": self.advertise_addr}
        call = self.rpc.call(addr, "raft.join", body, timeout=SWARM_REQUEST_TIMEOUT)
        call.add_done_callback(
            lambda f: (
                f.exception() is not None
                and self.ctx.after(1.0, self._ask_to_join, member, attempt + 1)
            )
        )

    def leading_started(self) -> None:
        """This node's manager now leads: if it is the first, it creates the swarm."""
        if self._init_cluster is not None:
            self._create_cluster()

    def managers_changed(self) -> None:
        if self.manager is not None:
            self._remotes = self.manager.peers()
            from .manager.dispatcher import Dispatcher

            dispatcher = self.manager.controller(Dispatcher)
            if dispatcher is not None:
                dispatcher.push_all()

    # -- cluster requests ------------------------------------------------------------------------

    def _joining(self, method: str) -> Callable[[str, Any], Future]:
        """A node joining knows only the manager it was told about: that one has the
        leader answer."""
        return lambda src, body: self.control(method, body)

    def _serve_control(self, body: tuple[str, Any]) -> Any:
        method, args = body
        if self.manager is None:
            raise RpcError("Unavailable", "node is not a manager")
        return self.manager.control.handle(method, args)

    def _serve_dispatcher(self, method: str) -> Callable[[Any], Any]:
        def serve(body: Any) -> Any:
            from .manager.dispatcher import Dispatcher

            dispatcher = self.manager.controller(Dispatcher) if self.manager else None
            if dispatcher is None:
                raise RpcError("Unavailable", "dispatcher is stopped")
            return getattr(dispatcher, method)(body)

        return serve

    def _dispatch(self, method: str) -> Callable[[str, Any], Any]:
        """Dispatcher calls from agents, which give them DISPATCHER_TIMEOUT."""

        def serve(src: str, body: Any) -> Any:
            if self.manager is None:
                raise RpcError("Unavailable", "node is not a manager")
            return self.proxy.call("dispatcher." + method, body, DISPATCHER_TIMEOUT)

        return serve

    def control(self, method: str, body: Any = None) -> Future:
        """A cluster request, answered by the leader (see manager/raftproxy.py)."""
        if self.manager is None:
            return failed(RpcError("Unavailable", "node is not a manager"))
        return self.proxy.call("control", (method, body), SWARM_REQUEST_TIMEOUT)

    def cluster_call(self, method: str, body: Any = None) -> Future:
        """A cluster request on behalf of the API: errors become DaemonErrors."""
        if self.state is None:
            return failed(DaemonError(NOT_IN_SWARM, 503))
        if self.locked:
            return failed(DaemonError(SWARM_LOCKED, 503))
        if self.state["role"] != "manager" or self.manager is None:
            return failed(DaemonError(NOT_MANAGER, 503))
        if self.ctx.now() < self.control_from:
            return failed(DaemonError(MANAGER_PREPARING, 503))
        answer = self.control(method, body)
        if answer.done():  # the leader is this manager, and it had the answer at once
            exc = answer.exception()
            return answer if exc is None else failed(as_daemon_error(exc))
        out: Future = Future()

        def done(f: Future) -> None:
            exc = f.exception()
            if exc is not None:
                out.set_exception(as_daemon_error(exc))
            else:
                out.set_result(f.result())

        answer.add_done_callback(done)
        return out

    # -- swarm ---------------------------------------------------------------------------------

    def api_swarm_init(self, req: dict) -> Future:
        if self.state is not None and not req.get("ForceNewCluster"):
            return failed(DaemonError(ALREADY_IN_SWARM, 503))
        if self.state is not None:
            return self._force_new_cluster()
        availability = (req.get("Availability") or "active").lower()
        advertise = _host(req.get("AdvertiseAddr")) or self.ctx.address
        now = self.ctx.wallclock()
        rng = self.ctx.rng
        node_id = ids.new_id(rng)
        root = ca.RootCA.create(rng, now)
        member = ids.raft_member_id(node_id, rng)
        spec: dict[str, Any] = copy.deepcopy(DEFAULT_SPEC)
        for key, value in (req.get("Spec") or {}).items():
            if isinstance(value, dict):
                spec.setdefault(key, {}).update({k: v for k, v in value.items() if v is not None})
        spec["EncryptionConfig"] = {"AutoLockManagers": bool(req.get("AutoLockManagers"))}
        stamp = rfc3339nano(now)
        self._init_cluster = {
            "cluster": {
                "ID": ids.new_id(rng),
                "CreatedAt": stamp,
                "UpdatedAt": stamp,
                "Spec": spec,
                "TLSInfo": root.tls_info(),
                "RootRotationInProgress": False,
                "DefaultAddrPool": None,
                "SubnetSize": 24,
                "DataPathPort": 4789,
                "JoinTokens": {
                    "Worker": ca.generate_join_token(rng, root),
                    "Manager": ca.generate_join_token(rng, root),
                },
                "_ca_key": root.key_pem,
                **({"_unlock_key": new_key(rng)} if req.get("AutoLockManagers") else {}),
            },
            "node": {
                "ID": node_id,
                "CreatedAt": stamp,
                "UpdatedAt": stamp,
                "Spec": {"Labels": {}, "Role": "manager", "Availability": availability},
                "Description": {"Hostname": self.ctx.name},
                "Status": {"State": "unknown", "Addr": advertise},
                "_role": "manager",
            },
        }
        self._init_cluster["node"]["_certificate"] = ca.issue_node_certificate(
            root,
            node_id,
            "manager",
            self._init_cluster["cluster"]["ID"],
            self.ctx.stream("ca"),
            now,
        )
        self.state = {
            "node_id": node_id,
            "cluster_id": self._init_cluster["cluster"]["ID"],
            "role": "manager",
            "advertise_addr": advertise,
            "managers": [(node_id, f"{advertise}:2377")],
            "ca_cert": root.cert_pem,
            "member_id": member,
        }
        self._save()
        self.ctx.disk.write(NODE_CERT, self._init_cluster["node"]["_certificate"])
        self._start_manager(member, Config(frozenset({member}), ((member, advertise),)))
        self.agent = Agent(self)
        self.agent.start()
        return self._when(
            lambda: (
                self.manager is not None and self.manager.store.get("nodes", node_id) is not None
            ),
            JOIN_TIMEOUT,
            node_id,
        )

    def _create_cluster(self) -> None:
        init, self._init_cluster = self._init_cluster, None
        assert init is not None and self.manager is not None

        # Its own randomness: the network's ID leaves every other draw as it was.
        rng = self.ctx.named_stream(f"ingress/{init['cluster']['ID']}")
        ingress = networks.ingress_network(rng, self.ctx.wallclock())

        def write(tx) -> None:
            if tx.store.cluster is None:
                tx.create("clusters", init["cluster"])
                tx.create("networks", ingress)
            if tx.get("nodes", init["node"]["ID"]) is None:
                tx.create("nodes", networks.attach_node(tx, init["node"]))

        self.manager.update(write)

    def _force_new_cluster(self) -> Future:
        """Recover a swarm that lost its quorum from this manager alone."""
        if self.manager is None or self.state is None or self.state.get("member_id") is None:
            return failed(DaemonError(ALREADY_IN_SWARM, 503))
        member = self.manager.member_id
        self.manager.stop()
        self.manager = None
        edit_log(
            self.ctx.disk,
            "swarm/raft",
            self.ctx.stream("raft-crypto"),
            lambda storage: storage.force_new_cluster(member, self.advertise_addr),
        )
        self._start_manager()
        self.set_remote_managers([(self.node_id, f"{self.advertise_addr}:2377")])
        node_id = self.node_id
        return self._when(
            lambda: self.manager is not None and self.manager.leading, JOIN_TIMEOUT, node_id
        )

    def api_swarm_join(self, req: dict) -> Future:
        if self.state is not None:
            return failed(DaemonError(ALREADY_IN_SWARM, 503))
        token = req.get("JoinToken", "")
        try:
            digest, _ = ca.parse_join_token(token)
        except ca.InvalidJoinToken:
            return failed(DaemonError("invalid join token"))
        remote = _host((req.get("RemoteAddrs") or [""])[0])
        advertise = _host(req.get("AdvertiseAddr")) or self.ctx.address
        self.joining = True
        out: Future = Future()
        body = {
            "token": token,
            "addr": advertise,
            "hostname": self.ctx.name,
            "availability": (req.get("Availability") or "active").lower(),
        }
        call = self.rpc.call(remote, "join", body, timeout=JOIN_TIMEOUT)

        def joined(f: Future) -> None:
            exc = f.exception()
            self.joining = False
            if exc is not None:
                out.set_exception(as_daemon_error(exc))
                return
            reply = f.result()
            expected = ca.RootCA(reply["ca_cert"], "").digest
            if ids.base36(int(expected, 16), 50) != digest:
                out.set_exception(
                    DaemonError(f"remote CA does not match fingerprint. Expected: {digest}")
                )
                return
            self.state = {
                "node_id": reply["node_id"],
                "cluster_id": reply["cluster_id"],
                "role": reply["role"],
                "advertise_addr": advertise,
                "managers": list(reply["managers"]),
                "ca_cert": reply["ca_cert"],
            }
            self._remotes = list(reply["managers"])
            self._save()
            self.ctx.disk.write(NODE_CERT, reply["certificate"])
            self.agent = Agent(self)
            self.agent.start()
            if reply["role"] == "manager":
                self._join_raft()
            ready = self._when(self._joined, JOIN_TIMEOUT, None, DaemonError(JOIN_TIMED_OUT))
            ready.add_done_callback(lambda r: chain(r, out))

        call.add_done_callback(joined)
        return out

    def check_ready(self) -> None:
        """Note when the node becomes ready (a manager may need a moment more)."""
        if not self.was_ready and not self._joined() and self.state is not None:
            self._when(self._joined, JOIN_TIMEOUT)

    def _joined(self) -> bool:
        """Whether the node is ready: its agent has a session and, for a manager, its Raft
        member is a voter that has the swarm's state. Once it is, it stays active."""
        if self.state is None or self.agent is None or not self.agent.registered:
            return False
        if self.state["role"] == "manager":
            m = self.manager
            if m is None or m.member_id not in m.raft.raft.config.voters or m.store.cluster is None:
                return False
        self.was_ready = True
        return True

    def api_swarm_leave(self, force: bool) -> Future:
        if self.state is None:
            return failed(DaemonError(NO_SWARM, 503))
        if self.locked and not force:
            return failed(DaemonError(LEAVE_LOCKED, 503))
        if self.manager is not None and not force:
            return self._refuse_leave()
        self._leave()
        return resolved(None)

    def _leave(self) -> None:
        self._stop_node()
        self.locked = False
        self.mesh.clear()
        for c in list(self.runtime.containers.values()):
            if "com.docker.swarm.task.id" in c.labels:
                self.runtime.remove(c)
        for key in list(self.ctx.disk.keys()):
            if key.startswith("swarm/"):
                self.ctx.disk.delete(key)
        self.state = None
        self._remotes = []

    def _refuse_leave(self) -> Future:
        prefix = (
            "You are attempting to leave the swarm on a node that is participating as a manager. "
        )
        suffix = (
            "The only way to restore a swarm that has lost consensus is to reinitialize it with "
            "`--force-new-cluster`. Use `--force` to suppress this message."
        )
        if not self.active_manager():
            return failed(
                DaemonError(
                    prefix + "Doing so may lose the consensus of your cluster. " + suffix, 503
                )
            )
        out: Future = Future()
        stats = self.control("node.list", {"filters": {}})
        timer = self.ctx.after(
            LEAVE_STATS_TIMEOUT,
            lambda: None if out.done() else out.set_exception(DaemonError(prefix + suffix, 503)),
        )

        def counted(f: Future) -> None:
            timer.cancel()
            if out.done():
                return
            msg = prefix
            if f.exception() is None:
                reachable = unreachable = 0
                me = False
                for n in f.result():
                    ms = n.get("ManagerStatus")
                    if ms is None:
                        continue
                    if ms["Reachability"] == "reachable":
                        reachable += 1
                        me = me or n["ID"] == self.node_id
                    elif ms["Reachability"] == "unreachable":
                        unreachable += 1
                if me and reachable - 2 <= unreachable:
                    if reachable == 1 and unreachable == 0:
                        out.set_exception(
                            DaemonError(
                                prefix
                                + "Removing the last manager erases all current state of the "
                                "swarm. Use `--force` to ignore this message. ",
                                503,
                            )
                        )
                        return
                    msg += (
                        f"Removing this node leaves {reachable - 1} managers out of "
                        f"{reachable + unreachable}. Without a Raft quorum your swarm will be "
                        "inaccessible. "
                    )
            out.set_exception(DaemonError(msg + suffix, 503))

        stats.add_done_callback(counted)
        return out

    def active_manager(self) -> bool:
        """Whether this node's manager is ready to take control requests (moby's
        IsActiveManager): it has joined Raft and has the swarm's state, and the daemon's
        connection to it is up."""
        m = self.manager
        return (
            m is not None
            and m.member_id in m.raft.raft.config.voters
            and m.store.cluster is not None
            and self.ctx.now() >= self.control_from
        )

    def api_swarm_unlock(self, text: str) -> Future:
        """The unlock key, given to a locked manager: it can read its state again."""
        if not self.locked:
            return failed(DaemonError("swarm is not locked", 503))
        try:
            kek = parse_human_key(text)
        except InvalidKeyString as exc:
            return failed(DaemonError(str(exc), 400))
        try:
            self._start_node(kek=kek)
        except DecryptError:
            return failed(DaemonError("swarm could not be unlocked: invalid key provided", 400))
        return resolved(None)

    # -- the registry, and the nodes' logs ----------------------------------------------

    def api_distribution(self, name: str) -> dict:
        """GET /distribution/{name}/json: what the registry says of an image — here, the
        Hub as the lab knows it; with the stand-in images, no registry at all, as on the
        machine that recorded the reference."""
        from .runtime import images

        if self.runtime.standins:
            raise DaemonError(
                'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: '
                "no such host",
                500,
            )
        if images.find(name) is None:
            raise DaemonError(
                "errors:\ndenied: requested access to the resource is denied\n"
                "unauthorized: authentication required\n",
                401,
            )
        ref = "registry/" + images.normalise(name.split("@")[0])
        digest = "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
        return {
            "Descriptor": {
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": digest,
                "size": 10229,
            },
            "Platforms": [],
        }

    def task_logs(self, tasks: list[dict], nodes: dict[str, str]) -> Future:
        """The logs of these tasks' containers, from the nodes that run them:
        {task ID: [(time, stream, line), ...]}."""
        out: Future = Future()
        result: dict[str, list] = {}
        by_node: dict[str, list[str]] = {}
        for t in tasks:
            if t.get("NodeID") in nodes:
                by_node.setdefault(nodes[t["NodeID"]], []).append(t["ID"])
        if not by_node:
            out.set_result(result)
            return out
        left = [len(by_node)]

        def got(f: Future) -> None:
            if f.exception() is None:
                result.update(f.result())
            left[0] -= 1
            if left[0] == 0:
                out.set_result(result)

        for addr, task_ids in by_node.items():
            if addr == self.ctx.address:
                f: Future = resolved(self._task_logs(self.ctx.address, task_ids))
            else:
                f = self.rpc.call(addr, "task.logs", task_ids, timeout=5.0)
            f.add_done_callback(got)
        return out

    def _task_logs(self, src: str, task_ids: list[str]) -> dict[str, list]:
        wanted = set(task_ids)
        return {
            c.labels["com.docker.swarm.task.id"]: list(c.logs)
            for c in self.runtime.containers.values()
            if c.labels.get("com.docker.swarm.task.id") in wanted
        }

    # -- networks ----------------------------------------------------------------------------------

    def local_networks(self) -> list[dict]:
        """The host's own networks (made on its first start, docker_gwbridge in a swarm)."""
        return dockernet.local_networks(
            self.ctx.disk,
            lambda name: self.ctx.named_stream(f"network/{name}"),
            self.ctx.wallclock(),
            self.state is not None,
        )

    def _local_resources(self) -> list[dict]:
        out = []
        for rec in self.local_networks():
            containers = {}
            if rec["Name"] == "docker_gwbridge" and self.state is not None:
                containers["ingress-sbox"] = dockernet.endpoint(
                    "gateway_ingress-sbox", "172.18.0.2/16", f"{self.node_id}/gwbridge"
                )
            out.append(dockernet.local_resource(rec, containers))
        return out

    def _attached_resources(self) -> list[dict]:
        """The swarm networks this host is on, as libnetwork sees them here."""
        out = []
        for net_id, (net, own) in sorted(self.mesh.networks.items()):
            containers = {}
            for c in self.runtime.containers.values():
                if c.running and net_id in c.networks:
                    containers[c.id] = dockernet.endpoint(c.name, c.networks[net_id], c.id)
            if own:
                name = f"{net['Spec']['Name']}-endpoint"
                containers[f"{net['Spec']['Name']}-sbox"] = dockernet.endpoint(
                    name, own, f"{self.node_id}/{net_id}"
                )
            peers = {self.advertise_addr}
            for _, tasks in self.mesh.discovery.get(net_id, {}).values():
                peers.update(node for _, _, node in tasks)
            if networks.is_ingress(net):
                for _, _, backends in self.mesh.table.values():
                    peers.update(node for _, node in backends)
            out.append(dockernet.swarm_resource(net, containers, sorted(peers)))
        return out

    def _cluster_networks(self) -> Future:
        """The swarm's networks, as the managers have them: on a manager that can reach
        the leader; otherwise none (what this host is on is added by the caller)."""
        if self.state is None or self.state["role"] != "manager" or self.manager is None:
            return resolved([])
        out: Future = Future()

        def done(f: Future) -> None:
            out.set_result([] if f.exception() is not None else f.result())

        self.cluster_call("network.list", {}).add_done_callback(done)
        return out

    def _all_networks(self) -> Future:
        out: Future = Future()

        def done(f: Future) -> None:
            resources = self._local_resources()
            attached = self._attached_resources()
            known = {r["Id"] for r in attached}
            resources += attached
            resources += [
                dockernet.swarm_resource(net) for net in f.result() if net["ID"] not in known
            ]
            out.set_result(resources)

        self._cluster_networks().add_done_callback(done)
        return out

    def api_networks(self, filters: dict | None = None) -> Future:
        """GET /networks: the host's, and the swarm's it can see."""
        filters = filters or {}
        for key in filters:
            if key not in dockernet.FILTERS:
                return failed(DaemonError(f"invalid filter '{key}'", 400))
        out: Future = Future()

        def done(f: Future) -> None:
            out.set_result([r for r in f.result() if dockernet.matches(r, filters)])

        self._all_networks().add_done_callback(done)
        return out

    def api_network_inspect(self, ref: str, scope: str = "") -> Future:
        """GET /networks/{ref}: by ID, name or ID prefix; scope "swarm" looks only at the
        swarm's."""
        out: Future = Future()

        def done(f: Future) -> None:
            resources = f.result()
            if scope:
                resources = [r for r in resources if r["Scope"] == scope]
            found = dockernet.find(resources, ref)
            if found is None:
                out.set_exception(DaemonError(f"network {ref} not found", 404))
            else:
                out.set_result(found)

        self._all_networks().add_done_callback(done)
        return out

    def api_network_create(self, req: dict) -> Future:
        """POST /networks/create: an overlay network is the swarm's (on a manager); any
        other, this host's."""
        name = req.get("Name") or ""
        driver = req.get("Driver") or "bridge"
        swarm_scoped = driver == "overlay" or req.get("Scope") == "swarm"
        if not swarm_scoped:
            if any(n["Name"] == name for n in self.local_networks()):
                return failed(DaemonError(f"network with name {name} already exists", 409))
            try:
                rec = dockernet.create_local(
                    self.ctx.disk, self.ctx.rng, self.ctx.wallclock(), dict(req, Name=name)
                )
            except dockernet.NetworkError as exc:
                return failed(DaemonError(exc.message, exc.status))
            return resolved({"Id": rec["Id"], "Warning": ""})
        if self.state is None:
            return failed(DaemonError(NOT_IN_SWARM, 503))
        if self.state["role"] != "manager":
            return failed(DaemonError(WORKER_CREATE, 403))
        if any(n["Name"] == name for n in self.local_networks()):
            return failed(DaemonError(f"network with name {name} already exists", 409))
        created = self.cluster_call("network.create", dict(req, Driver="overlay"))
        return mapped(created, lambda net: {"Id": net["ID"], "Warning": ""})

    def api_network_remove(self, ref: str) -> Future:
        """DELETE /networks/{ref}."""
        local = dockernet.find(self.local_networks(), ref)
        if local is not None:
            try:
                dockernet.remove_local(self.ctx.disk, local, self.state is not None)
            except dockernet.NetworkError as exc:
                return failed(DaemonError(exc.message, exc.status))
            return resolved(None)
        out: Future = Future()

        def found(f: Future) -> None:
            exc = f.exception()
            if exc is not None:
                out.set_exception(exc)
                return
            if self.state is None or self.state["role"] != "manager":
                out.set_exception(DaemonError(NOT_MANAGER, 503))
                return

            def removed(g: Future) -> None:
                err = g.exception()
                if err is not None:
                    out.set_exception(err)
                else:
                    out.set_result(None)

            self.cluster_call("network.remove", {"ref": f.result()["Id"]}).add_done_callback(
                removed
            )

        self.api_network_inspect(ref, "swarm").add_done_callback(found)
        return out

    # -- system -----------------------------------------------------------------------------------

    def api_version(self) -> dict:
        return engine.server_version()

    def api_info(self) -> Future:
        info = engine.system_info(self.ctx.name, self.engine_id)
        info.update(
            {"Containers": 0, "ContainersRunning": 0, "ContainersPaused": 0, "ContainersStopped": 0}
        )
        swarm: dict[str, Any] = {
            "NodeID": self.node_id,
            "NodeAddr": self.advertise_addr,
            "LocalNodeState": self.status,
            "ControlAvailable": False,
            "Error": self.error,
            "RemoteManagers": None,
        }
        info["Swarm"] = swarm
        if self.state is None:
            return resolved(info)
        swarm["RemoteManagers"] = [{"NodeID": n, "Addr": a} for n, a in self.remote_managers()]
        if self.manager is None:
            return resolved(info)
        swarm["ControlAvailable"] = True
        out: Future = Future()

        def answered(f: Future) -> None:
            exc = f.exception()
            if exc is not None:
                swarm["Error"] = str(exc)
                swarm["Cluster"] = ZERO_CLUSTER  # moby fills in an empty one
            else:
                result = f.result()
                swarm["Nodes"] = result["Nodes"]
                swarm["Managers"] = result["Managers"]
                swarm["Cluster"] = result["Cluster"]
                if result["Managers"] == 2:
                    info["Warnings"] = [TWO_MANAGERS_WARNING]
            out.set_result(info)

        self.control("info").add_done_callback(answered)
        return out

    # -- helpers ------------------------------------------------------------------------------

    def _when(
        self,
        ready: Callable[[], bool],
        timeout: float,
        value: Any = None,
        error: BaseException | None = None,
    ) -> Future:
        """A future that resolves with `value` once `ready()` holds (checked every 0.1 s),
        or fails with `error` after `timeout` seconds."""
        out: Future = Future()
        deadline = self.ctx.now() + timeout

        def check() -> None:
            if out.done():
                return
            if ready():
                out.set_result(value)
            elif self.ctx.now() >= deadline:
                out.set_exception(error or DaemonError("timed out"))
            else:
                self.ctx.after(0.1, check)

        check()
        return out


def _joined(manager: Manager) -> bool:
    """Whether the manager's Raft member is a voter of a configuration that committed."""
    raft = manager.raft.raft
    return manager.member_id in raft.config_at(raft.commit).voters


def _host(addr: str | None) -> str:
    """The host part of "host[:port]"."""
    if not addr:
        return ""
    return addr.rsplit(":", 1)[0] if addr.count(":") == 1 else addr
