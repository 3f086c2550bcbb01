"""Services as sets of tasks (swarmkit's orchestrators, restart supervisor, task reaper
and updater) — a pure core: given a service, its tasks and the nodes, what to do.

- A replicated service has slots 1..N. Scaling up adds tasks in the lowest free slots;
  scaling down keeps running tasks and low slots, fewest copies per node first, and
  marks the rest REMOVE (`reconcile_replicated`).
- A global service has one task per eligible node, pinned to it (`reconcile_global`).
- A dead task is shut down and replaced in its slot — unless the restart policy says no
  (condition, max attempts within the window): `should_restart`, `restart_delay`.
- Each slot keeps at most TaskHistoryRetentionLimit tasks; removed tasks are deleted
  once they have stopped (`reap`, `history_to_delete`).
- A rolling update replaces the dirty slots in a random order (`dirty_slots`,
  `update_order`); too many failures pause it, roll it back or let it continue
  (`failure_action`); the service's UpdateStatus says where it is (`updating`,
  `after_failure`, `completed`).

Nothing moves back to a node that returns: swarm does not rebalance.

Every function here reads only its arguments and returns what to do; the leader's
controllers in `manager/` (`orchestrator.py`, `restarts.py`, `updater.py`) watch the
store, call them, and propose what they decide.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from random import Random
from typing import Any

from . import constraint, specs, taskstate
from .gocompat import parse_rfc3339, rfc3339nano

Slot = Any  # a replicated task's slot number, or a global task's node ID

# -- tasks --------------------------------------------------------------------------------


def slot_key(task: dict) -> Slot:
    return task.get("Slot") or task.get("NodeID", "")


def node_invalid(node: dict | None) -> bool:
    """swarm's InvalidNode: deleted, down, or drained."""
    return (
        node is None or node["Status"]["State"] == "down" or node["Spec"]["Availability"] == "drain"
    )


def new_task(
    service: dict,
    task_id: str,
    now: float,
    slot: int = 0,
    node_id: str = "",
    desired: str = "running",
) -> dict:
    """A new task of `service`, in `slot` (replicated) or pinned to `node_id` (global)."""
    stamp = rfc3339nano(now)
    spec = specs.task_spec(service)  # shared: stored objects are never changed in place
    task: dict[str, Any] = {
        "ID": task_id,
        "Version": None,  # (stamped as it commits: right after ID, as a stored object has it)
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Labels": taskstate.EMPTY,
        "Spec": spec,
        "ServiceID": service["ID"],
        "_service_name": service["Spec"]["Name"],
    }
    if slot:
        task["Slot"] = slot
    if node_id:
        task["NodeID"] = node_id
    task["Status"] = {"Timestamp": stamp, "State": "new", "Message": "created"}
    task["DesiredState"] = desired
    task["_spec_version"] = service.get("_spec_version", 0)
    if service.get("Endpoint", {}).get("Ports"):
        task["Endpoint"] = service["Endpoint"]
    return task


def with_desired(task: dict, desired: str, now: float) -> dict:
    """`task` with a new desired state; one never sent to a node is shut down at once."""
    new = dict(task)
    new["DesiredState"] = desired
    new["UpdatedAt"] = rfc3339nano(now)
    if taskstate.rank(desired) > taskstate.rank("running") and taskstate.before(
        task["Status"]["State"], "assigned"
    ):  # nothing to stop
        new["Status"] = {"Timestamp": new["UpdatedAt"], "State": "shutdown", "Message": "shutdown"}
    return new


def task_dirty(service: dict, task: dict, node: dict | None = None) -> bool:
    """Whether a task runs an older spec than its service's (swarm's IsTaskDirty): a
    change of constraints alone that its node still meets does not count."""
    want = specs.task_spec(service)
    have = task["Spec"]
    if have == want and _ports(task) == _ports(service):
        return False
    if _ports(task) != _ports(service):
        return True
    a, b = dict(have), dict(want)
    pa, pb = dict(a.pop("Placement", None) or {}), dict(b.pop("Placement", None) or {})
    ca, cb = pa.pop("Constraints", None), pb.pop("Constraints", None)
    if a != b or pa != pb:
        return True
    if node is None:
        return ca != cb
    try:
        return not constraint.node_matches(constraint.parse(cb or []), node)
    except constraint.ConstraintError:
        return True


def _ports(obj: dict) -> list:
    return ((obj.get("Endpoint") or {}).get("Ports")) or []


# -- what the orchestrators do --------------------------------------------------------------


@dataclass(frozen=True)
class Create:
    """A new task in `slot`, or pinned to `node_id` (global)."""

    slot: int = 0
    node_id: str = ""


@dataclass(frozen=True)
class Desire:
    """Set `task`'s desired state."""

    task: dict
    state: str


@dataclass(frozen=True)
class Delete:
    task_id: str


Action = Create | Desire | Delete


@dataclass
class Plan:
    """What to do, in order, and the slots that stay (which an update may replace)."""

    actions: list[Action]
    keep: dict[Slot, list[dict]]


def by_slot(tasks: Iterable[dict]) -> dict[Slot, list[dict]]:
    """Tasks grouped by slot, in the order they come."""
    grouped: dict[Slot, list[dict]] = defaultdict(list)
    for t in tasks:
        grouped[slot_key(t)].append(t)
    return grouped


def slots(
    tasks: Iterable[dict], should_restart: Callable[[dict], bool]
) -> tuple[dict[Slot, list[dict]], dict[Slot, list[dict]]]:
    """A service's slots: (runnable ones, dead ones), each slot's tasks newest first. A
    slot whose last task stopped for good (its restart policy says so) stays runnable."""
    runnable, dead = {}, {}
    for key, ts in by_slot(tasks).items():
        ts.sort(key=lambda t: t["CreatedAt"], reverse=True)
        live = [t for t in ts if taskstate.runnable(t)]
        if live:
            runnable[key] = live
        elif (
            ts[0]["DesiredState"] != "remove"
            and not should_restart(ts[0])
            and taskstate.terminal(ts[0]["Status"]["State"])
        ):
            runnable[key] = [ts[0]]  # stopped for good, but still the slot's
        else:
            dead[key] = ts
    return runnable, dead


def reconcile_replicated(
    service: dict, tasks: Iterable[dict], should_restart: Callable[[dict], bool]
) -> Plan:
    """Slots 1..Replicas: new tasks in the lowest free slots, the extra ones removed, dead
    slots deleted (unless a new task reuses them)."""
    want = specs.replicas(service["Spec"])
    runnable, dead = slots(tasks, should_restart)
    have = len(runnable)
    free: list[int] = []
    if want > have:
        slot = 1
        while len(free) < want - have:
            if slot not in runnable:
                free.append(slot)
            slot += 1
    actions: list[Action] = []
    for key in sorted(dead):
        if key not in free:
            actions.extend(Delete(t["ID"]) for t in dead[key])
    if want > have:
        actions.extend(Create(slot=s) for s in free)
        return Plan(actions, runnable)
    if want < have:
        keep, remove = scale_down_choice(runnable, want)
        for key in remove:
            actions.extend(Desire(t, "remove") for t in runnable[key] if taskstate.runnable(t))
        return Plan(actions, {k: runnable[k] for k in keep})
    return Plan(actions, runnable)


def scale_down_choice(runnable: dict[Slot, list[dict]], want: int) -> tuple[list, list]:
    """swarm's rule: running slots first, then low slot numbers; each slot indexed as the
    k-th copy on its node; keep the lowest indices. Returns (slots kept, slots removed)."""
    order = sorted(
        runnable,
        key=lambda k: (not any(t["Status"]["State"] == "running" for t in runnable[k]), k),
    )
    per_node: dict[str, int] = defaultdict(int)
    index = {}
    for key in order:
        ts = runnable[key]
        node = ts[0].get("NodeID", "")
        if len(ts) > 1 or not node:
            index[key] = -1
            continue
        index[key] = per_node[node]
        per_node[node] += 1
    order.sort(key=lambda k: (index[k] < 0, index[k]))
    return order[:want], order[want:]


def reconcile_global(
    service: dict,
    tasks: Sequence[dict],
    nodes: Iterable[dict],
    should_restart: Callable[[dict], bool],
) -> Plan:
    """One task on each node that is up, active and meets the constraints; tasks on a
    node that no longer is are shut down, and those of a removed node deleted at once."""
    runnable, dead = slots(tasks, should_restart)
    try:
        cons = constraint.parse(
            (specs.task_spec(service).get("Placement") or {}).get("Constraints") or []
        )
    except constraint.ConstraintError:
        cons = []
    actions: list[Action] = []
    keep = {}
    present = set()
    for node in nodes:
        nid = node["ID"]
        present.add(nid)
        ts = runnable.get(nid)
        if node_invalid(node) or not constraint.node_matches(cons, node):
            actions.extend(Desire(t, "shutdown") for t in ts or [] if taskstate.runnable(t))
            continue
        if ts:
            keep[nid] = ts
        elif node["Spec"]["Availability"] == "active":
            actions.append(Create(node_id=nid))
    for nid in sorted({**runnable, **dead}):
        if nid not in present:  # `node rm`: its tasks go with it, at once
            actions.extend(Delete(t["ID"]) for t in tasks if t.get("NodeID") == nid)
    return Plan(actions, keep)


def remove_service(tasks: Iterable[dict]) -> list[Action]:
    """A removed service's tasks: deleted if they never ran or have stopped, else told to
    go (deleted by the reaper once they have)."""
    actions: list[Action] = []
    for t in tasks:
        if taskstate.terminal(t["Status"]["State"]) or t["Status"]["State"] in ("new", "pending"):
            actions.append(Delete(t["ID"]))
        elif t["DesiredState"] != "remove":
            actions.append(Desire(t, "remove"))
    return actions


# -- restarts -----------------------------------------------------------------------------------


def restart_key(service: dict, task: dict) -> tuple:
    """What restarts are counted by: the service, the slot, the spec version."""
    return (service["ID"], slot_key(task), task.get("_spec_version"))


def should_restart(service: dict | None, task: dict, restarts: Sequence[float]) -> bool:
    """Whether the restart policy replaces `task` (`restarts`: when its slot was
    restarted before under this spec)."""
    if service is None:
        return False
    policy = specs.restart_policy(service["Spec"])
    condition = policy["Condition"]
    if condition == "none":
        return False
    if condition == "on-failure" and task["Status"]["State"] == "complete":
        return False
    if not policy.get("MaxAttempts"):
        return True
    if task.get("_spec_version") != service.get("_spec_version"):
        return True  # a new spec starts counting again
    window = (policy.get("Window") or 0) / 1e9
    if window:
        ts = parse_rfc3339(task["Status"]["Timestamp"])
        restarts = [t for t in restarts if ts - window <= t <= ts]
    return len(restarts) < policy["MaxAttempts"]


def restart_delay(service: dict, node: dict | None) -> float:
    """Seconds before a replacement starts: the policy's delay, none off a drained node."""
    if node is not None and node["Spec"]["Availability"] == "drain":
        return 0.0
    return specs.restart_policy(service["Spec"])["Delay"] / 1e9


# -- the task reaper ----------------------------------------------------------------------------


def reap(task: dict, service_gone: bool) -> str | None:
    """A task on its way out: "delete" once it has stopped (or never ran), "wait" while
    it stops, None if it is not on its way out."""
    if task["DesiredState"] != "remove" and not service_gone:
        return None
    state = task["Status"]["State"]
    if taskstate.terminal(state) or taskstate.before(state, "assigned"):
        return "delete"
    return "wait"


def history_limit(cluster: dict | None, service: dict) -> int:
    """How many tasks a slot keeps (negative: no limit): TaskHistoryRetentionLimit, or
    the restart policy's MaxAttempts + 1 when it has one."""
    orchestration = (cluster or {}).get("Spec", {}).get("Orchestration", {})
    limit = orchestration.get("TaskHistoryRetentionLimit", 5)
    attempts = specs.restart_policy(service["Spec"]).get("MaxAttempts") or 0
    return attempts + 1 if attempts > 0 else limit


def history_to_delete(slot_tasks: list[dict], limit: int) -> list[dict]:
    """A slot's oldest dead tasks past the limit."""
    if limit < 0 or len(slot_tasks) <= limit:
        return []
    dead = [
        t
        for t in slot_tasks
        if taskstate.terminal(t["Status"]["State"])
        or (taskstate.before(t["Status"]["State"], "assigned") and not taskstate.runnable(t))
    ]
    dead.sort(key=lambda t: t["Status"]["Timestamp"])
    return dead[: len(slot_tasks) - limit]


# -- rolling updates --------------------------------------------------------------------------

IN_PROGRESS = "update in progress"


def dirty_slots(
    service: dict, slots: dict[Slot, list[dict]], node_of: Callable[[str], dict | None]
) -> dict[Slot, list[dict]]:
    """The slots an update must replace: a task on an older spec, or more than one task
    running (a replacement half done)."""
    dirty = {}
    for key, ts in slots.items():
        live = [t for t in ts if taskstate.runnable(t)]
        if not live:
            continue
        node = node_of(live[0].get("NodeID", "")) if live[0].get("NodeID") else None
        if len(live) > 1 or task_dirty(service, live[0], node):
            dirty[key] = live
    return dirty


def update_order(slots: Iterable[Slot], rng: Random) -> list[Slot]:
    """Swarm walks the dirty slots in Go's map order: a random one, every update."""
    order = sorted(slots, key=lambda k: (isinstance(k, str), k))
    rng.shuffle(order)
    return order


def fresh_and_old(service: dict, live: list[dict]) -> tuple[list[dict], list[dict]]:
    """A slot's running tasks split: those on the service's spec, and the others."""
    fresh = [t for t in live if not task_dirty(service, t)]
    return fresh, [t for t in live if t not in fresh]


def failed_early(ran_at: float | None, now: float, config: dict) -> bool:
    """A new task that stopped before running, or within the monitor period of it."""
    return ran_at is None or now - ran_at <= config["Monitor"] / 1e9


def failure_action(config: dict, failures: int, total: int) -> str | None:
    """After `failures` of `total` slots: the action to take now, or None to go on."""
    if config["FailureAction"] == "continue":
        return None
    if failures / max(1, total) <= (config.get("MaxFailureRatio") or 0):
        return None
    return config["FailureAction"]


def monitor_period(config: dict) -> float:
    """How long after the last slot the update is watched before it is complete."""
    period = config["Monitor"] / 1e9
    delay = (config.get("Delay") or 0) / 1e9
    return delay + 1.0 if delay >= period else period


def updating(service: dict, now: float) -> dict:
    new = dict(service)
    new["UpdateStatus"] = {
        "State": "updating",
        "StartedAt": rfc3339nano(now),
        "Message": IN_PROGRESS,
    }
    return new


def after_failure(service: dict, rollback: bool, action: str, task_id: str, now: float) -> dict:
    """The service once an update failed: paused, or rolled back to its previous spec."""
    new = dict(service)
    status = dict(service.get("UpdateStatus") or {"StartedAt": rfc3339nano(now)})
    if rollback:
        # swarm words a paused rollback as a paused update
        status.update(State="rollback_paused", Message=_failure("update paused", task_id))
    elif action == "rollback" and service.get("PreviousSpec") is not None:
        status.update(State="rollback_started", Message=_failure("update rolled back", task_id))
        new["Spec"] = copy.deepcopy(service["PreviousSpec"])
        new["_spec_version"] = service.get("_previous_spec_version", 0)
        new.pop("PreviousSpec", None)
        new.pop("_previous_spec_version", None)
        new["UpdatedAt"] = rfc3339nano(now)
    else:
        status.update(State="paused", Message=_failure("update paused", task_id))
    status.pop("CompletedAt", None)
    new["UpdateStatus"] = _status(status)
    return new


def completed(service: dict, rollback: bool, now: float) -> dict:
    new = dict(service)
    status = dict(service.get("UpdateStatus") or {"StartedAt": rfc3339nano(now)})
    state, message = (
        ("rollback_completed", "rollback completed")
        if rollback
        else (
            "completed",
            "update completed",
        )
    )
    status.update(State=state, CompletedAt=rfc3339nano(now), Message=message)
    new["UpdateStatus"] = _status(status)
    return new


def _failure(verb: str, task_id: str) -> str:
    return f"{verb} due to failure or early termination of task {task_id}"


def _status(status: dict) -> dict:
    return {k: status[k] for k in ("State", "StartedAt", "CompletedAt", "Message") if k in status}


def meets_constraints(task: dict, node: dict) -> bool:
    """Whether `node` still meets `task`'s constraints (an unreadable one: yes)."""
    cons = (task["Spec"].get("Placement") or {}).get("Constraints") or []
    try:
        return constraint.node_matches(constraint.parse(cons), node)
    except constraint.ConstraintError:
        return True
