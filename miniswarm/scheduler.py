"""Placement (swarmkit's manager/scheduler): where each pending task goes — a pure core.

Given the nodes (what they are and the tasks they carry) and the tasks waiting to be
placed, `schedule` decides: no store, no clock, no network.

Pending tasks are grouped by service and spec version and placed a group at a time:
swarm's filters decide which nodes can take a task (ready and active, resources,
constraints, platform, host ports, max replicas per node), then the spread puts each
task on the node with the fewest tasks of its service, then the fewest tasks in all —
ties broken at random, as swarm's unstable sort breaks them. Placement preferences
split the nodes into a tree by label value and give each branch an equal share first.
A task that fits nowhere stays pending with swarm's `no suitable node (...)` and is
tried again when anything changes.

The leader's scheduling controller (`manager/scheduling.py`) decides when a pass runs,
feeds it the store's nodes and tasks, and proposes what it decides.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from random import Random
from typing import Any

from . import constraint, taskstate

# The filters in swarm's order, with the words of their explanation.
FILTERS = (
    ("ready", "not available for new tasks"),
    ("resources", "insufficient resources on {}"),
    ("constraints", "scheduling constraints not satisfied on {}"),
    ("platform", "unsupported platform on {}"),
    ("hostports", "host-mode port already in use on {}"),
    ("maxreplicas", "max replicas per node limit exceed"),
)


def _nodes(n: int) -> str:
    return f"{n} node" if n == 1 else f"{n} nodes"


class NodeInfo:
    """What the scheduler knows of a node: its tasks, by service, and what they reserve.
    Kept up to date task by task (`add`, `remove`), as swarmkit's nodeSet is."""

    __slots__ = ("node", "by_service", "total", "cpu", "memory", "ports")

    def __init__(self, node: dict) -> None:
        self.node = node
        self.by_service: Counter[str] = Counter()
        self.total = 0
        res = (node.get("Description") or {}).get("Resources") or {}
        self.cpu = res.get("NanoCPUs", 0)  # what is left of it
        self.memory = res.get("MemoryBytes", 0)
        self.ports: Counter[tuple[str, int]] = Counter()  # host-mode ports taken

    def add(self, task: dict) -> None:
        self._count(task, 1)

    def remove(self, task: dict) -> None:
        self._count(task, -1)

    def _count(self, task: dict, n: int) -> None:
        self.by_service[task.get("ServiceID", "")] += n
        self.total += n
        res = (task["Spec"].get("Resources") or {}).get("Reservations") or {}
        self.cpu -= n * res.get("NanoCPUs", 0)
        self.memory -= n * res.get("MemoryBytes", 0)
        for p in host_ports(task):
            self.ports[p] += n
            if not self.ports[p]:
                del self.ports[p]

    def copy(self, node: dict | None = None) -> NodeInfo:
        """The same tasks; on `node` as it is now, if given (its resources anew). A pass
        copies every node's (1,000 nodes, 20 passes a second while an update rolls), so
        the copy is made field by field, without __init__'s reading of the node."""
        info = NodeInfo.__new__(NodeInfo)
        info.node = self.node if node is None else node
        info.cpu, info.memory = self.cpu, self.memory
        if node is not None:
            was = (self.node.get("Description") or {}).get("Resources") or {}
            now = (node.get("Description") or {}).get("Resources") or {}
            info.cpu += now.get("NanoCPUs", 0) - was.get("NanoCPUs", 0)
            info.memory += now.get("MemoryBytes", 0) - was.get("MemoryBytes", 0)
        info.by_service = _counter_copy(self.by_service)
        info.total = self.total
        info.ports = _counter_copy(self.ports)
        return info


def _counter_copy(counter: Counter) -> Counter:
    """A Counter's copy at dict speed (Counter.copy runs __init__ and update in Python)."""
    new: Counter = Counter.__new__(Counter)
    dict.update(new, counter)
    return new


_RANK = taskstate.RANK
_ASSIGNED, _RUNNING, _COMPLETE = taskstate.ASSIGNED, taskstate.RUNNING, taskstate.COMPLETE


def counts(task: dict) -> bool:
    """Whether a task assigned to a node counts there: not a preassigned task still
    pending (global mode), nor one that has ended or is being shut down — meant to run
    or complete (taskstate.active), and ASSIGNED to RUNNING. (Ranks compared here: twice
    for each of a big swarm's status reports.)"""
    return (
        _RANK[task["DesiredState"]] <= _COMPLETE
        and _ASSIGNED <= _RANK[task["Status"]["State"]] <= _RUNNING
    )


def host_ports(task: dict) -> list[tuple[str, int]]:
    ports = (task.get("Endpoint") or {}).get("Ports") or []
    return [
        (p.get("Protocol", "tcp"), p["PublishedPort"])
        for p in ports
        if p.get("PublishMode") == "host" and p.get("PublishedPort")
    ]


class Pipeline:
    """The filters for one group of identical tasks, counting why nodes fail."""

    def __init__(self, task: dict) -> None:
        spec = task["Spec"]
        placement = spec.get("Placement") or {}
        res = (spec.get("Resources") or {}).get("Reservations") or {}
        self.cpu = res.get("NanoCPUs", 0)
        self.memory = res.get("MemoryBytes", 0)
        try:
            self.constraints = constraint.parse(placement.get("Constraints") or [])
        except constraint.ConstraintError:
            self.constraints = [constraint.Constraint("invalid", "==", "")]
        self.platforms = placement.get("Platforms") or []
        self.ports = host_ports(task)
        self.max_replicas = placement.get("MaxReplicas") or 0
        self.service = task.get("ServiceID", "")
        self.failures: Counter[str] = Counter()

    def check(self, info: NodeInfo) -> str | None:
        """The first filter the node fails, or None."""
        node = info.node
        if node["Status"]["State"] != "ready" or node["Spec"]["Availability"] != "active":
            return "ready"
        if (self.cpu or self.memory) and (self.cpu > info.cpu or self.memory > info.memory):
            return "resources"
        if self.constraints and not constraint.node_matches(self.constraints, node):
            return "constraints"
        if self.platforms and not self._platform_ok(node):
            return "platform"
        if self.ports and any(p in info.ports for p in self.ports):
            return "hostports"
        if self.max_replicas and info.by_service[self.service] >= self.max_replicas:
            return "maxreplicas"
        return None

    def passes(self, info: NodeInfo) -> bool:
        failed = self.check(info)
        if failed is None:
            self.failures.clear()
            return True
        self.failures[failed] += 1
        return False

    def usable(self, infos: list[NodeInfo]) -> list[NodeInfo]:
        """The nodes that pass, in order, counting failures as `passes` one by one would
        (since the last node that passed). A group that asks nothing of a node but that
        it be ready and active — most do — is filtered in one sweep: a rolling update's
        pass of 20 tasks over 1,000 nodes spent half its time calling `passes`."""
        asks_more = self.cpu or self.memory or self.constraints or self.platforms
        if asks_more or self.ports or self.max_replicas:
            return [i for i in infos if self.passes(i)]
        ready = [
            i.node["Status"]["State"] == "ready" and i.node["Spec"]["Availability"] == "active"
            for i in infos
        ]
        if True in ready:
            self.failures.clear()
            last = len(ready) - 1 - ready[::-1].index(True)
            failed_after = len(ready) - 1 - last
        else:
            failed_after = len(ready)
        if failed_after:
            self.failures["ready"] += failed_after
        return list(itertools.compress(infos, ready))

    def _platform_ok(self, node: dict) -> bool:
        plat = (node.get("Description") or {}).get("Platform") or {}
        arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(plat.get("Architecture", ""), "")
        for p in self.platforms:
            want_arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(
                p.get("Architecture", ""), p.get("Architecture", "")
            )
            if (not p.get("OS") or p["OS"] == plat.get("OS", "").lower()) and (
                not want_arch or want_arch == arch
            ):
                return True
        return False

    def explain(self) -> str:
        order = {name: i for i, (name, _) in enumerate(FILTERS)}
        parts = []
        for name, count in sorted(self.failures.items(), key=lambda kv: (-kv[1], order[kv[0]])):
            text = dict(FILTERS)[name]
            if name == "ready":
                parts.append(f"{_nodes(count)} {text}")
            else:
                parts.append(text.format(_nodes(count)))
        return "; ".join(parts)


def node_infos(
    nodes: Iterable[dict], tasks_on: Callable[[str], Iterable[dict]]
) -> dict[str, NodeInfo]:
    """Each node and the tasks that count on it (`tasks_on(node ID)`: the tasks assigned
    to a node, as they are now)."""
    infos = {}
    for node in nodes:
        info = NodeInfo(node)
        for t in tasks_on(node["ID"]):
            if counts(t):
                info.add(t)
        infos[node["ID"]] = info
    return infos


def why(task: dict, infos: dict[str, NodeInfo]) -> list[tuple[NodeInfo, str | None]]:
    """For `lab why`: each node, and the filter that refuses the task there (None: it
    fits), in the order the spread would try them (fewest tasks of the service, then
    fewest in all)."""
    pipeline = Pipeline(task)
    rows = [(info, pipeline.check(info)) for info in infos.values()]
    service = pipeline.service
    return sorted(
        rows,
        key=lambda r: (
            r[1] is not None,
            r[0].by_service[service],
            r[0].total,
            (r[0].node.get("Description") or {}).get("Hostname", ""),
        ),
    )


def no_suitable_node(explanation: str) -> str:
    return f"no suitable node ({explanation})" if explanation else "no suitable node"


# -- one pass --------------------------------------------------------------------------------


@dataclass(slots=True)  # (not frozen: one a task placed, made three times quicker)
class Assign:
    """Put `task` on node `node_id` (its status message in swarm's words)."""

    task: dict
    node_id: str
    message: str


@dataclass(frozen=True)
class Unplaced:
    """`task` fits nowhere: it stays pending with this error."""

    task: dict
    err: str


ASSIGNED = "scheduler assigned task to node"
CONFIRMED = "scheduler confirmed task can run on preassigned node"


def schedule(
    pending: Iterable[dict], infos: dict[str, NodeInfo], rng: Random
) -> list[Assign | Unplaced]:
    """One pass: where each pending task goes, in the order swarm decides. `infos` (see
    `node_infos`) is brought up to date with every task placed; `rng` breaks ties. A task
    already pending with the same error is left out of the answer (nothing changes)."""
    groups: dict[tuple[str, Any], list[dict]] = {}
    preassigned: list[dict] = []
    for t in pending:
        if t.get("NodeID"):
            preassigned.append(t)
        else:
            groups.setdefault((t.get("ServiceID", ""), t.get("_spec_version")), []).append(t)
    out: list[Assign | Unplaced] = []
    for t in preassigned:
        info = infos.get(t["NodeID"])
        pipeline = Pipeline(t)
        if info is not None and pipeline.passes(info):
            _assign(out, t, info, CONFIRMED)
        else:  # swarm's taskFitNode: the explanation alone, no "no suitable node"
            _unplaced(out, t, pipeline.explain())
    for key in sorted(groups, key=lambda k: (k[0], str(k[1]))):
        _schedule_group(out, groups[key], infos, rng)
    return out


def _schedule_group(
    out: list[Assign | Unplaced], tasks: list[dict], infos: dict[str, NodeInfo], rng: Random
) -> None:
    tasks.sort(key=lambda t: (t.get("Slot", 0), t["ID"]))
    pipeline = Pipeline(tasks[0])
    order = list(infos.values())
    rng.shuffle(order)  # ties go anywhere, reproducibly
    usable = pipeline.usable(order)
    prefs = ((tasks[0]["Spec"].get("Placement") or {}).get("Preferences")) or []
    descriptors = [
        p["Spread"]["SpreadDescriptor"]
        for p in prefs
        if (p.get("Spread") or {}).get("SpreadDescriptor")
    ]
    pending = list(tasks)
    _place_tree(out, pending, usable, list(infos.values()), descriptors, pipeline)
    explanation = pipeline.explain() if pending else ""
    for t in pending:
        _unplaced(out, t, no_suitable_node(explanation))


def _place_tree(
    out: list[Assign | Unplaced],
    pending: list[dict],
    usable: list[NodeInfo],
    all_nodes: list[NodeInfo],
    descriptors: list[str],
    pipeline: Pipeline,
) -> int:
    """Placement preferences: each branch (label value) gets an equal share of the
    service's tasks, counting the ones already there; then the spread inside it."""
    if not descriptors:
        return _spread(out, pending, usable, pipeline)
    key = descriptors[0]
    branches: dict[str, list[NodeInfo]] = {}
    existing: Counter[str] = Counter()
    for info in all_nodes:
        value = constraint.node_value(info.node, key) or ""
        existing[value] += info.by_service[pipeline.service]
        branches.setdefault(value, [])
    for info in usable:
        branches[constraint.node_value(info.node, key) or ""].append(info)
    live = sorted(v for v in branches if branches[v])
    placed = 0
    while pending and live:
        total = sum(existing[v] for v in live) + len(pending)
        share, extra = divmod(total, len(live))
        progress = False
        for i, v in enumerate(sorted(live, key=lambda v: existing[v])):
            want = share + (1 if i < extra else 0) - existing[v]
            if want <= 0 or not pending:
                continue
            batch = pending[:want]
            rest = pending[want:]
            n = _place_tree(out, batch, branches[v], branches[v], descriptors[1:], pipeline)
            pending[:] = batch + rest
            existing[v] += n
            placed += n
            progress = progress or n > 0
            if batch:
                live.remove(v)  # no room for its share: the others take the rest
        if not progress:
            break
    return placed


def _spread(
    out: list[Assign | Unplaced], pending: list[dict], usable: list[NodeInfo], pipeline: Pipeline
) -> int:
    """Fewest tasks of the service first, then fewest tasks; a node that stops passing
    the filters (resources, max replicas) drops out. Placed tasks leave `pending`."""
    service = pipeline.service  # (a Counter's get: its [] of a missing key runs Python)
    heap = [(i.by_service.get(service, 0), i.total, k, i) for k, i in enumerate(usable)]
    heapq.heapify(heap)
    placed = 0
    while heap and placed < len(pending):
        _, _, k, info = heapq.heappop(heap)
        _assign(out, pending[placed], info, ASSIGNED)
        placed += 1
        # The filters again on that node, counted (swarm's Process): a node the task
        # just filled is a reason the next task finds no room.
        if pipeline.passes(info):
            heapq.heappush(heap, (info.by_service.get(service, 0), info.total, k, info))
    del pending[:placed]
    return placed


def _assign(out: list[Assign | Unplaced], task: dict, info: NodeInfo, message: str) -> None:
    out.append(Assign(task, info.node["ID"], message))
    info.add(task)


def _unplaced(out: list[Assign | Unplaced], task: dict, err: str) -> None:
    if task["Status"].get("Err") != err:
        out.append(Unplaced(task, err))
