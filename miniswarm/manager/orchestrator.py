"""The orchestrators (swarmkit's manager/orchestrator), on the leader: they watch the
store and keep every service's tasks as its spec says, by the rules of `services.py`.

What changed since the last pass — services, removed services, tasks that died, nodes
that went down, were drained or changed what constraints match — is gathered and
reconciled in one write: dead tasks go to the restart supervisor (`restarts.py`), each
changed service is reconciled (replicated or global), and the slots that stay go to
the update supervisor (`updater.py`). The task reaper runs four times a second. The
constraint enforcer rejects running tasks whose node no longer meets their constraints.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import services, specs, taskstate
from ..gocompat import rfc3339nano
from ..services import node_invalid, slot_key
from .context import ControllerContext, Timer
from .restarts import RestartSupervisor, apply
from .store import Applied
from .updater import UpdateSupervisor
from .writer import Tx

REAPER_INTERVAL = 0.25


class Orchestrator:
    def __init__(self, c: ControllerContext) -> None:
        self.c = c
        self.running = False
        self.restarts = RestartSupervisor(c)
        self.updates = UpdateSupervisor(c, self.restarts)
        self._services: set[str] = set()
        self._deleted: set[str] = set()
        self._tasks: set[str] = set()
        self._nodes: set[str] = set()
        self._reap: set[tuple] = set()
        self._removed: set[str] = set()
        self._scheduled = False
        self._reaper: Timer | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.running = True
        self.restarts.start()
        store = self.c.store
        store.watch(self._watch)
        self._services.update(s["ID"] for s in store.all("services"))
        for t in store.all("tasks"):
            if t["DesiredState"] == "ready":
                # A restart or update in flight under the old leader (swarm's taskinit).
                self.restarts.delay_start(t["ID"], None, 0.0)
            elif taskstate.runnable(t) and taskstate.terminal(t["Status"]["State"]):
                self._tasks.add(t["ID"])
            elif t["DesiredState"] == "remove":
                self._removed.add(t["ID"])
            elif store.get("services", t.get("ServiceID", "")) is None:
                # Its service was removed with no orchestrator to see it (the leader that
                # took the `service rm` was gone by the time it applied): remove it now.
                self._deleted.add(t.get("ServiceID", ""))
                self._removed.add(t["ID"])
        self._nodes.update(n["ID"] for n in store.all("nodes") if node_invalid(n))
        self._kick()
        self._reaper = self.c.clock.every(REAPER_INTERVAL, self._reap_now)

    def stop(self) -> None:
        self.running = False
        self.c.store.unwatch(self._watch)
        self.restarts.stop()
        self.updates.stop()
        if self._reaper is not None:
            self._reaper.cancel()

    def _watch(self, applied: Applied) -> None:
        for ch, old, new in applied.changes:
            if ch.kind == "services":
                if new is None:
                    self._deleted.add(ch.target)
                elif (
                    old is None
                    or old["Spec"] != new["Spec"]
                    or old.get("_spec_version") != new.get("_spec_version")
                ):
                    self._services.add(new["ID"])
            elif ch.kind == "tasks":
                if new is None:
                    continue
                if old is None:
                    self._reap.add((new.get("ServiceID", ""), slot_key(new)))
                state = new["Status"]["State"]
                if taskstate.runnable(new) and taskstate.terminal(state):
                    self._tasks.add(new["ID"])
                if new["DesiredState"] == "remove":
                    self._removed.add(new["ID"])
                self.updates.task_changed(old, new)
            elif ch.kind == "nodes":
                if new is None or old is None or _matters(old, new):
                    self._nodes.add(ch.target)
        if self._services or self._deleted or self._tasks or self._nodes:
            self._kick()

    def _kick(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self.c.clock.after(0.0, self._tick)

    def _tick(self) -> None:
        self._scheduled = False
        if not self.running:
            return
        services_, self._services = self._services, set()
        deleted, self._deleted = self._deleted, set()
        tasks, self._tasks = self._tasks, set()
        nodes, self._nodes = self._nodes, set()
        if services_ or deleted or tasks or nodes:
            self.c.update(lambda tx: self._reconcile(tx, services_, deleted, tasks, nodes))

    # -- reconciling ------------------------------------------------------------------------------

    def _reconcile(
        self, tx: Tx, changed: set[str], deleted: set[str], tasks: set[str], nodes: set[str]
    ) -> None:
        for sid in sorted(deleted):
            apply(tx, services.remove_service(tx.tasks_of_service(sid)), self.restarts, None)
        for node_id in sorted(nodes):
            self._node_changed(tx, node_id, changed)
        for tid in sorted(tasks):
            task = tx.get("tasks", tid)
            if (
                task is None
                or not taskstate.runnable(task)
                or not taskstate.terminal(task["Status"]["State"])
            ):
                continue
            service = tx.get("services", task.get("ServiceID", ""))
            if service is not None and specs.is_global(service["Spec"]):
                if node_invalid(tx.get("nodes", task.get("NodeID", ""))):
                    tx.update("tasks", services.with_desired(task, "shutdown", tx.now), fresh=True)
                    continue
            self.restarts.restart(tx, service, task)
        for sid in sorted(changed):
            service = tx.get("services", sid)
            if service is not None:
                self.reconcile(tx, service)

    def reconcile(self, tx: Tx, service: dict) -> None:
        def should_restart(t: dict) -> bool:
            return self.restarts.should_restart(service, t)

        tasks = tx.tasks_of_service(service["ID"])
        if specs.is_global(service["Spec"]):
            plan = services.reconcile_global(service, tasks, tx.all("nodes"), should_restart)
        else:
            plan = services.reconcile_replicated(service, tasks, should_restart)
        apply(tx, plan.actions, self.restarts, service)
        self.updates.update(tx, service, plan.keep)

    def _node_changed(self, tx: Tx, node_id: str, changed: set[str]) -> None:
        for s in tx.all("services"):
            if specs.is_global(s["Spec"]):
                changed.add(s["ID"])  # the global reconcile follows the node
        if not node_invalid(tx.get("nodes", node_id)):
            return
        for stored in list(self.c.store.tasks_on_node(node_id)):
            t = tx.get("tasks", stored["ID"])
            if t is None or not taskstate.runnable(t):
                continue
            service = tx.get("services", t.get("ServiceID", ""))
            if service is not None and specs.is_global(service["Spec"]):
                continue  # the global reconcile shuts it down
            self.restarts.restart(tx, service, t)

    # -- the task reaper ---------------------------------------------------------------------------

    def _reap_now(self) -> None:
        if not self.running or not (self._reap or self._removed):
            return
        slots, self._reap = self._reap, set()
        removed, self._removed = self._removed, set()
        self.c.update(lambda tx: self._reap_tx(tx, slots, removed))

    def _reap_tx(self, tx: Tx, slots: set[tuple], removed: set[str]) -> None:
        emptied: dict[tuple, None] = {}
        for tid in sorted(removed):
            t = tx.get("tasks", tid)
            if t is None:
                continue
            verdict = services.reap(t, tx.get("services", t.get("ServiceID", "")) is None)
            if verdict == "delete":
                tx.delete("tasks", tid)
                emptied[(t.get("ServiceID", ""), slot_key(t))] = None
            elif verdict == "wait":
                self._removed.add(tid)  # not stopped yet: look again later
        # A slot scaled away: its history goes with it.
        for sid, keys in _by_service(emptied).items():
            for ts in _slots_of(tx, sid, keys).values():
                if not any(taskstate.runnable(t) for t in ts):
                    for t in ts:
                        tx.delete("tasks", t["ID"])
        for sid, keys in _by_service(slots).items():
            service = tx.get("services", sid)
            if service is not None:
                limit = services.history_limit(self.c.store.cluster, service)
                for ts in _slots_of(tx, sid, keys).values():
                    for t in services.history_to_delete(ts, limit):
                        tx.delete("tasks", t["ID"])


# A reaper's batch of more slots of one service than this finds them in one pass over the
# service's tasks (95,000 new tasks' slots), rather than slot by slot in the store's index
# of them (a rolling update's few), which would then be kept up to date for good.
LOOKUP_AT_MOST = 64


def _by_service(slots: Iterable[tuple[str, Any]]) -> dict[str, list]:
    """(service, slot) pairs as each service's slots, the services in order of their IDs
    (the slots as they come, maybe in a set's order: `_slots_of` orders them itself)."""
    out: dict[str, list] = {}
    for sid, key in slots:
        out.setdefault(sid, []).append(key)
    return {sid: out[sid] for sid in sorted(out)}


def _slots_of(tx: Tx, sid: str, keys: list) -> dict[Any, list[dict]]:
    """Slot -> the service's tasks in it as `tx` sees them, for the slots `keys` that
    have any: a few looked up in order of their keys, many in the order the service's
    tasks come. (A service of 100,000 removed at once is looked through once, not once a
    slot: that would take hours; nor are 95,000 keys sorted.)"""
    if len(keys) <= LOOKUP_AT_MOST:
        found = {key: tx.tasks_in_slot(sid, key) for key in sorted(keys, key=str)}
        return {key: ts for key, ts in found.items() if ts}
    wanted = set(keys)
    return services.by_slot(t for t in tx.tasks_of_service(sid) if slot_key(t) in wanted)


def _matters(old: dict, new: dict) -> bool:
    """Whether a node's change can change which tasks belong on it."""
    return (
        node_invalid(old) != node_invalid(new)
        or old["Spec"]["Availability"] != new["Spec"]["Availability"]
        or old["Spec"].get("Labels") != new["Spec"].get("Labels")
        # what constraints match on: a promotion or demotion changes which nodes a
        # `node.role` constraint lets a global task run on
        or old["Spec"].get("Role") != new["Spec"].get("Role")
        or old.get("Description") != new.get("Description")
        or old["Status"]["State"] != new["Status"]["State"]
    )


class ConstraintEnforcer:
    """Rejects running tasks whose node no longer meets their constraints."""

    def __init__(self, c: ControllerContext) -> None:
        self.c = c

    def start(self) -> None:
        self.c.store.watch(self._watch)

    def stop(self) -> None:
        self.c.store.unwatch(self._watch)

    def _watch(self, applied: Applied) -> None:
        changed = [
            new["ID"]
            for ch, old, new in applied.changes
            if ch.kind == "nodes"
            and new is not None
            and old is not None
            and old["Spec"] != new["Spec"]
        ]
        if changed:
            self.c.update(lambda tx: self._enforce(tx, changed))

    def _enforce(self, tx: Tx, node_ids: list[str]) -> None:
        for nid in node_ids:
            node = tx.get("nodes", nid)
            if node is None:
                continue
            for stored in list(self.c.store.tasks_on_node(nid)):
                t = tx.get("tasks", stored["ID"])
                if (
                    t is None
                    or not taskstate.runnable(t)
                    or taskstate.terminal(t["Status"]["State"])
                    or services.meets_constraints(t, node)
                ):
                    continue
                new = dict(t)  # the orchestrator replaces it, as it would a failed task
                new["Status"] = {
                    "Timestamp": rfc3339nano(tx.now),
                    "State": "rejected",
                    "Message": "task rejected by constraint enforcer",
                    "Err": "assigned node no longer meets constraints",
                }
                tx.update("tasks", new)
