"""Worker sessions and node health (swarmkit's dispatcher), on the leader.

Every node's agent registers a session and then heartbeats every period (5 s, give or
take half a second, the dispatcher says which each time). A node silent for three periods
is marked down ("heartbeat failure"). A new leader knows nothing of the sessions its
predecessor held: it marks every node that is not down "unknown" and gives it six periods
(each node its own draw of the jittered period: 27 to 33 s) to register again before
marking it down too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import specs, taskstate
from ..gocompat import rfc3339nano
from ..rpc import RpcError
from . import networks, secretapi
from .context import ControllerContext, Timer
from .store import Applied

if TYPE_CHECKING:
    from .writer import Tx

GRACE = 3  # periods of silence before a node is down
GRACE_UNKNOWN = 6  # the same, for a node left "unknown" by a change of leader
EPSILON = 0.5  # seconds of jitter on each period
UNKNOWN_MESSAGE = 'Node moved to "unknown" state due to leadership change in cluster'
DOWN_MESSAGE = "heartbeat failure"
DOWN_UNKNOWN_MESSAGE = 'heartbeat failure for node in "unknown" state'


@dataclass(slots=True)
class SessionUpdate:
    """Pushed to a node's agent when something it must act on changes (its role, the
    managers it can talk to)."""

    node_id: str
    role: str
    managers: list[tuple[str, str]]
    certificate: str = ""  # the node's TLS certificate (PEM), renewed with its role

    def wire_size(self) -> int:
        return 128 + len(self.certificate)


@dataclass(slots=True)
class Assignments:
    """The tasks a node must run (or stop), as swarmkit's assignments stream sends them:
    the whole set first (`complete`), then what changed — the tasks that are new or
    changed, and the IDs of those `removed`. `seq` counts the session's messages: a set
    of changes applies to the one before it only, and the agent's heartbeat says the
    last it applied, so that one lost (or late) is made good with the whole set then — a
    lost message costs one period, as a broken stream would (swarmkit's AppliesTo and
    ResultsIn)."""

    node_id: str
    tasks: tuple
    mesh: dict  # the routing mesh's backends (mesh.Table)
    # What the node's tasks need, and nothing else: {"secret"|"config": {ID: data, base64}}
    files: dict
    # The swarm networks the node is on (ingress, and its tasks'): {ID: (network, the
    # node's own address on it or "")}
    networks: dict = field(default_factory=dict)
    # Service discovery on the overlay networks (mesh.Discovery): what real swarm's
    # nodes learn by gossip
    discovery: dict = field(default_factory=dict)
    seq: int = 0
    complete: bool = True
    removed: tuple = ()
    session: str = ""

    def wire_size(self) -> int:
        size = 64 + 512 * len(self.tasks) + 64 * sum(len(e[2]) + 1 for e in self.mesh.values())
        size += 512 * len(self.networks)
        size += 64 * sum(len(e[1]) + 1 for net in self.discovery.values() for e in net.values())
        return size + sum(len(d) for kind in self.files.values() for d in kind.values())


STATUS_BATCH = 0.1  # swarmkit dispatcher's maxBatchInterval: status reports written as one entry
# swarmkit's Assignments stream: the changes to a node's tasks go as one set once none has
# come for EVENT_PAUSED_GAP, or once MODIFICATION_BATCH_LIMIT of them wait
EVENT_PAUSED_GAP = 0.05
MODIFICATION_BATCH_LIMIT = 200
# What a status report changes of a task (swarmkit's TasksEqualStable leaves out its
# Status and its Meta: version and times)
_REPORTED = frozenset(("Status", "UpdatedAt", "Version"))
_BLANK = dict.fromkeys(_REPORTED)


def news_to_agent(old: dict | None, new: dict) -> bool:
    """Whether a node's agent is told of its task as it is now (`new`), having been told
    of it as `old` (swarmkit's assignmentSet.addOrUpdateTask). Past ASSIGNED the status
    is the agent's own report: a change of status alone is no news to it, and is not sent
    back. Whatever else a manager changes (the desired state, the spec) is."""
    if old is new:
        return False
    if old is None or taskstate.RANK[new["Status"]["State"]] <= taskstate.ASSIGNED:
        return True
    return {**old, **_BLANK} != {**new, **_BLANK}  # (compared in C: what is shared, at once)


@dataclass
class Session:
    id: str
    addr: str
    expiry: Timer | None = None
    sent: int = 0  # the last Assignments' seq (0: none yet)
    # The node's tasks as its agent knows them: as last sent, or as it reported them
    # since (ID -> task)
    tasks: dict[str, dict] = field(default_factory=dict)


class Dispatcher:
    def __init__(
        self,
        c: ControllerContext,
        send: Callable[[str, Any], None],
        managers: Callable[[], list[tuple[str, str]]],
    ) -> None:
        self.c = c
        self.send = send  # a message to a node's agent
        self.managers = managers  # (node ID, address:2377) of each manager, as agents get them
        self.sessions: dict[str, Session] = {}
        self._unknown_timers: dict[str, Timer] = {}
        self._running = False
        # Nodes whose tasks changed since their last set: how many changes wait for each
        self._dirty_nodes: dict[str, int] = {}
        self._last_change = 0.0
        self._statuses: dict[str, dict[str, dict]] = {}  # node -> task -> status
        self._flushing = False
        self._mesh: dict = {}  # the routing mesh's backends, as last sent
        self._discovery: dict = {}  # service discovery on the overlays, as last sent
        self._stale = False  # a change since the tables were made may change them
        self._pushing = False  # a _push_dirty is due

    @property
    def period(self) -> float:
        c = self.c.store.cluster
        ns = c["Spec"]["Dispatcher"]["HeartbeatPeriod"] if c else 5_000_000_000
        return ns / 1e9

    def start(self) -> None:
        self._running = True
        self._mesh = self._mesh_table()
        self._discovery = self._discovery_table()
        self.c.store.watch(self._watch)
        self.c.update(self._mark_unknown)

    def stop(self) -> None:
        self._running = False
        self.c.store.unwatch(self._watch)
        for s in self.sessions.values():
            if s.expiry is not None:
                s.expiry.cancel()
        for t in self._unknown_timers.values():
            t.cancel()
        self.sessions.clear()
        self._unknown_timers.clear()

    # -- a new leader's view of the nodes ------------------------------------------------------

    def _mark_unknown(self, tx: Tx) -> None:
        for node in list(tx.all("nodes")):
            if node["Status"]["State"] == "down" or node["ID"] in self.sessions:
                continue
            new = dict(node)
            new["Status"] = {
                "State": "unknown",
                "Message": UNKNOWN_MESSAGE,
                "Addr": node["Status"].get("Addr", ""),
            }
            new["UpdatedAt"] = rfc3339nano(tx.now)
            tx.update("nodes", new)
            self._unknown_timers[node["ID"]] = self.c.clock.after(
                self._next_period() * GRACE_UNKNOWN, self._expire_unknown, node["ID"]
            )

    def _expire_unknown(self, node_id: str) -> None:
        self._unknown_timers.pop(node_id, None)
        if self._running and node_id not in self.sessions:
            self._set_down(node_id, DOWN_UNKNOWN_MESSAGE)

    # -- sessions ----------------------------------------------------------------------------

    def register(self, body: dict) -> dict:
        node_id = body["node_id"]
        node = self.c.store.get("nodes", node_id)
        if node is None:
            raise RpcError("NotFound", "node not found")
        old = self.sessions.get(node_id)
        if old is not None and old.expiry is not None:
            old.expiry.cancel()
        timer = self._unknown_timers.pop(node_id, None)
        if timer is not None:
            timer.cancel()
        # the stream goes back the way the agent came, whatever address it advertises
        session = Session(f"{self.c.rng.getrandbits(64):016x}", body.get("at") or body["addr"])
        self.sessions[node_id] = session
        period = self._next_period()
        session.expiry = self.c.clock.after(period * GRACE, self._expire, node_id, session.id)
        description = body.get("description") or {}

        def ready(tx: Tx) -> None:
            current = tx.get("nodes", node_id)
            if current is None:
                return
            new = dict(current)
            new["Status"] = {"State": "ready", "Addr": body["addr"]}
            desc = copy.deepcopy(description)
            cluster = (
                tx.get("clusters", self.c.store.cluster["ID"]) if self.c.store.cluster else None
            )
            if cluster is not None:
                desc["TLSInfo"] = {
                    k: cluster["TLSInfo"][k]
                    for k in ("TrustRoot", "CertIssuerSubject", "CertIssuerPublicKey")
                }
            new["Description"] = desc
            new["UpdatedAt"] = rfc3339nano(tx.now)
            tx.update("nodes", new)

        self.c.update(ready)
        self.c.clock.after(0.0, self.push_tasks, node_id)
        return {
            "session_id": session.id,
            "period": period,
            "managers": self.managers(),
            "role": node.get("_role", node["Spec"]["Role"]),
        }

    def heartbeat(self, body: dict) -> dict:
        session = self.sessions.get(body["node_id"])
        if session is None or session.id != body["session_id"]:
            raise RpcError("NotFound", "node not registered")
        if session.expiry is not None:
            session.expiry.cancel()
        period = self._next_period()
        session.expiry = self.c.clock.after(
            period * GRACE, self._expire, body["node_id"], session.id
        )
        if body.get("assigned") != session.sent:  # the last set sent did not arrive
            self.push_tasks(body["node_id"], whole=True)
        return {"period": period}

    # -- tasks ------------------------------------------------------------------------------------

    def update_task_status(self, body: dict) -> dict:
        """An agent reports how its tasks are doing; reports are written in batches."""
        session = self.sessions.get(body["node_id"])
        if session is None or session.id != body["session_id"]:
            raise RpcError("NotFound", "node not registered")
        self._statuses.setdefault(body["node_id"], {}).update(body["updates"])
        if not self._flushing:
            self._flushing = True
            self.c.clock.after(STATUS_BATCH, self._flush_statuses)
        return {}

    def _flush_statuses(self) -> None:
        self._flushing = False
        if not self._running or not self._statuses:
            return
        updates, self._statuses = self._statuses, {}

        def write(tx: Tx) -> None:
            stamp = rfc3339nano(tx.now)
            rank = taskstate.RANK
            for node_id, statuses in updates.items():
                for task_id, status in statuses.items():
                    task = tx.get("tasks", task_id)
                    if task is None or task.get("NodeID") != node_id:
                        continue
                    if rank[status["State"]] < rank[task["Status"]["State"]]:
                        continue  # states only move forward
                    if status == task["Status"]:
                        continue
                    new = dict(task)
                    new["Status"] = status
                    new["UpdatedAt"] = stamp
                    tx.update("tasks", new, fresh=True)

        self.c.update(write)

    def push_tasks(self, node_id: str, whole: bool = False) -> None:
        """Send the node what changed of its tasks since the last set (the whole set
        first, or when `whole`)."""
        session = self.sessions.get(node_id)
        if session is None or not self._running:
            return
        self._fresh()
        self._due()  # (if the tables changed, every node is to be told)
        tasks = tuple(
            t
            for t in self.c.store.tasks_on_node(node_id)
            if taskstate.rank(t["Status"]["State"]) >= taskstate.rank("assigned")
        )
        whole = whole or not session.sent
        changed, removed = tasks, tuple[str, ...]()
        known = {t["ID"]: t for t in tasks}
        if not whole:  # a task changed is another object: the store never mutates one
            before = session.tasks
            changed = tuple(t for t in tasks if news_to_agent(before.pop(t["ID"], None), t))
            removed = tuple(before)
        session.sent += 1
        session.tasks = known
        message = Assignments(
            node_id,
            changed,
            self._mesh,
            self._files(tasks),
            self._networks(node_id, tasks),
            self._discovery,
            session.sent,
            whole,
            removed,
            session.id,
        )
        self.send(session.addr, message)

    def _networks(self, node_id: str, tasks: tuple) -> dict:
        """The swarm networks a node is on: ingress (its own address there), and those
        its live tasks are attached to."""
        store = self.c.store
        node = store.get("nodes", node_id) or {}
        own = node.get("_attachments") or {}
        out: dict[str, tuple[dict, str]] = {}
        for net in store.all("networks"):
            if networks.is_ingress(net) and net["ID"] in own:
                out[net["ID"]] = (networks.view(net), own[net["ID"]])
        for t in tasks:
            if taskstate.terminal(t["Status"]["State"]):
                continue
            for a in t.get("NetworksAttachments") or []:
                attached = store.get("networks", a["Network"]["ID"])
                if attached is not None and attached["ID"] not in out:
                    out[attached["ID"]] = (networks.view(attached), own.get(attached["ID"], ""))
        return out

    def _discovery_table(self) -> dict:
        """Per overlay network, each service on it by name: its virtual IP (None in
        dnsrr mode) and its running tasks on that network (task, address, node)."""
        store = self.c.store
        table: dict[str, dict[str, tuple]] = {}
        for service in store.all("services"):
            spec = service["Spec"]
            mode = (spec.get("EndpointSpec") or {}).get("Mode") or "vip"
            vips = {
                v["NetworkID"]: v["Addr"].split("/")[0]
                for v in (service.get("Endpoint") or {}).get("VirtualIPs") or []
            }
            for net_id in networks.service_networks(spec):
                backends = []
                for t in store.tasks_of_service(service["ID"]):
                    if t["Status"]["State"] != "running" or t["DesiredState"] != "running":
                        continue
                    node = store.get("nodes", t.get("NodeID", ""))
                    if node is None:
                        continue
                    for a in t.get("NetworksAttachments") or []:
                        if a["Network"]["ID"] == net_id and a["Addresses"]:
                            address = a["Addresses"][0].split("/")[0]
                            backends.append((t["ID"], address, node["Status"].get("Addr", "")))
                backends.sort()
                vip = vips.get(net_id) if mode == "vip" else None
                table.setdefault(net_id, {})[spec["Name"]] = (vip, tuple(backends))
        return table

    def _files(self, tasks: tuple) -> dict:
        """The secrets and configs the node's live tasks refer to (swarm's assignment set:
        a node never holds one that none of its tasks needs)."""
        out: dict[str, dict[str, str]] = {"secret": {}, "config": {}}
        specs = {
            id(t["Spec"]): t["Spec"] for t in tasks if not taskstate.terminal(t["Status"]["State"])
        }
        for spec in specs.values():  # a service's tasks share their spec (one object)
            for kind in out:
                for ref in secretapi.refs(spec, kind):
                    obj = self.c.store.get(kind + "s", secretapi.ref_id(ref, kind))
                    if obj is not None:
                        out[kind][obj["ID"]] = obj["Spec"].get("Data") or ""
        return out

    def _mesh_table(self) -> dict:
        """Every ingress-published port and the running tasks behind it, by node address."""
        store = self.c.store
        table = {}
        for service in store.all("services"):
            ports = [p for p in specs.endpoint_ports(service) if p["PublishMode"] == "ingress"]
            if not ports:
                continue
            backends = []
            for t in store.tasks_of_service(service["ID"]):
                if t["Status"]["State"] == "running" and t["DesiredState"] == "running":
                    node = store.get("nodes", t.get("NodeID", ""))
                    if node is not None:
                        backends.append((t["ID"], node["Status"].get("Addr", "")))
            backends.sort(key=lambda b: b[0])
            for p in ports:
                table[(p["Protocol"], p["PublishedPort"])] = (
                    service["ID"],
                    p["TargetPort"],
                    tuple(backends),
                )
        return table

    def _due(self) -> None:
        """A push of what is dirty once the changes pause (swarmkit's Assignments: a
        burst goes as one set — a bulk write's entries commit over several rounds)."""
        if not self._pushing and (self._dirty_nodes or self._stale):
            self._pushing = True
            self.c.clock.after(EVENT_PAUSED_GAP, self._push_dirty)

    def _push_dirty(self) -> None:
        self._pushing = False
        wait = self._last_change + EVENT_PAUSED_GAP - self.c.clock.now()
        if wait > 1e-9:  # changes still coming: wait for the pause
            self._pushing = True
            self.c.clock.after(wait, self._push_dirty)
            return
        self._fresh()
        nodes, self._dirty_nodes = self._dirty_nodes, {}
        for node_id in sorted(nodes):
            self.push_tasks(node_id)

    def _dirty(self, node_id: str, changes: int = 1) -> None:
        waiting = self._dirty_nodes.get(node_id, 0) + changes
        if waiting >= MODIFICATION_BATCH_LIMIT:  # enough for a set of its own, now
            self._dirty_nodes.pop(node_id, None)
            self.c.clock.after(0.0, self.push_tasks, node_id)
        else:
            self._dirty_nodes[node_id] = waiting

    def _fresh(self) -> None:
        """The routing mesh's and the overlays' tables made anew, if a change may have
        changed them: once for all the entries of a bulk write (200 changes each), not
        at each. Every node balances over new backends, and resolves names anew."""
        if not self._stale:
            return
        self._stale = False
        mesh, discovery = self._mesh_table(), self._discovery_table()
        if mesh != self._mesh or discovery != self._discovery:
            self._mesh, self._discovery = mesh, discovery
            for node_id in self.sessions:
                self._dirty_nodes.setdefault(node_id, 0)

    def _next_period(self) -> float:
        return self.period + EPSILON * (2 * self.c.rng.random() - 1)

    def _expire(self, node_id: str, session_id: str) -> None:
        session = self.sessions.get(node_id)
        if session is None or session.id != session_id:
            return
        del self.sessions[node_id]
        self._set_down(node_id, DOWN_MESSAGE)

    def _set_down(self, node_id: str, message: str) -> None:
        def down(tx: Tx) -> None:
            node = tx.get("nodes", node_id)
            if node is None:
                return
            new = dict(node)
            new["Status"] = {
                "State": "down",
                "Message": message,
                "Addr": node["Status"].get("Addr", ""),
            }
            new["UpdatedAt"] = rfc3339nano(tx.now)
            tx.update("nodes", new)

        self.c.update(down)

    # -- telling agents --------------------------------------------------------------------------

    def _watch(self, applied: Applied) -> None:
        kinds = applied.kinds
        if not kinds.isdisjoint(("tasks", "services", "nodes")):
            self._stale = True  # the tables are made anew before the next push
        if "networks" in kinds:
            for node_id in self.sessions:  # the networks nodes are on changed
                self._dirty_nodes.setdefault(node_id, 0)
        for ch, old, new in applied.changes:
            if ch.kind == "tasks":
                if old is not None and new is not None:
                    session = self.sessions.get(new.get("NodeID", ""))
                    known = None if session is None else session.tasks.get(new["ID"])
                    if session is not None and known is not None and not news_to_agent(known, new):
                        session.tasks[new["ID"]] = new  # (of its own report, mostly)
                        continue
                on = {t["NodeID"] for t in (old, new) if t is not None and t.get("NodeID")}
                for node_id in sorted(on):
                    self._dirty(node_id)
                continue
            if ch.kind != "nodes" or new is None:
                continue
            if (
                old is None
                or old.get("_role") != new.get("_role")
                or old.get("_certificate") != new.get("_certificate")
            ):
                self.push(new["ID"])
        self._last_change = self.c.clock.now()
        self._due()

    def push(self, node_id: str) -> None:
        session = self.sessions.get(node_id)
        node = self.c.store.get("nodes", node_id)
        if session is None or node is None:
            return
        role = node.get("_role", node["Spec"]["Role"])
        self.send(
            session.addr,
            SessionUpdate(node_id, role, self.managers(), node.get("_certificate", "")),
        )

    def push_all(self) -> None:
        for node_id in list(self.sessions):
            self.push(node_id)

    def sessions_info(self) -> dict[str, Any]:
        return {nid: s.addr for nid, s in self.sessions.items()}
