"""The orchestrators (swarmkit's manager/orchestrator), on the leader.

They keep every service's tasks as its spec says:

- replicated services have slots 1..N. Scaling up adds tasks in the lowest free slots;
  scaling down keeps running tasks and low slots, fewest copies per node first, and
  marks the rest REMOVE. A dead task (failed, or on a node that went down or was
  drained) is handed to the restart supervisor.
- global services have one task per eligible node, pinned to it.
- the restart supervisor shuts the old task down and creates its replacement in the
  same slot (desired READY), then starts it after the restart delay once the old task
  has stopped — unless the restart policy says no (condition, max attempts, window).
- the task reaper keeps at most TaskHistoryRetentionLimit tasks per slot and deletes
  removed tasks once they have stopped.
- the constraint enforcer rejects running tasks whose node no longer meets their
  constraints.

Nothing moves back to a node that returns: swarm does not rebalance.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from .. import ids, taskstate
from ..gocompat import parse_rfc3339, rfc3339nano
from . import constraint, specs
from .store import Applied

if TYPE_CHECKING:
    from ..sim.kernel import Repeating
    from . import Manager
    from .writer import Tx

OLD_TASK_TIMEOUT = 60.0  # how long a restart waits for the old task to stop
REAPER_INTERVAL = 0.25


def slot_key(task: dict) -> Any:
    return task.get("Slot") or task.get("NodeID", "")


def node_invalid(node: dict | None) -> bool:
    """swarm's InvalidNode: deleted, down, or drained."""
    return (
        node is None or node["Status"]["State"] == "down" or node["Spec"]["Availability"] == "drain"
    )


def new_task(
    tx: Tx, rng, service: dict, slot: int, node_id: str = "", desired: str = "running"
) -> dict:
    now = rfc3339nano(tx.now)
    spec = specs.task_spec(service)  # shared: stored objects are never changed in place
    task: dict[str, Any] = {
        "ID": ids.new_id(rng),
        "CreatedAt": now,
        "UpdatedAt": now,
        "Labels": {},
        "Spec": spec,
        "ServiceID": service["ID"],
        "_service_name": service["Spec"]["Name"],
    }
    if slot:
        task["Slot"] = slot
    if node_id:
        task["NodeID"] = node_id
    task["Status"] = {"Timestamp": now, "State": "new", "Message": "created"}
    task["DesiredState"] = desired
    task["_spec_version"] = service.get("_spec_version", 0)
    if service.get("Endpoint", {}).get("Ports"):
        task["Endpoint"] = service["Endpoint"]
    return tx.create("tasks", task)


def with_desired(tx: Tx, task: dict, desired: str) -> dict:
    new = dict(task)
    new["DesiredState"] = desired
    new["UpdatedAt"] = rfc3339nano(tx.now)
    if taskstate.rank(desired) > taskstate.rank("running") and taskstate.before(
        task["Status"]["State"], "assigned"
    ):  # never sent to a node: nothing to stop, it is shut down at once
        new["Status"] = {"Timestamp": new["UpdatedAt"], "State": "shutdown", "Message": "shutdown"}
    return tx.update("tasks", new)


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


class RestartSupervisor:
    """Replacements for dead tasks, after the restart delay (restart/restart.go)."""

    def __init__(self, orch: Orchestrator) -> None:
        self.o = orch
        self.ctx = orch.ctx
        # (service, slot key, spec version) -> times of restarts
        self.history: dict[tuple, list[float]] = defaultdict(list)
        self.delayed: dict[str, Any] = {}  # new task ID -> its timer
        # Tasks that failed while still in their own restart delay: they are restarted
        # when that delay is over, not before (no tight loop when an image is missing).
        self.waiting: dict[str, None] = {}

    def stop(self) -> None:
        for t in self.delayed.values():
            t.cancel()
        self.delayed.clear()
        self.waiting.clear()

    def should_restart(self, service: dict | None, task: dict) -> bool:
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
        key = (service["ID"], slot_key(task), task.get("_spec_version"))
        times = self.history.get(key, [])
        window = (policy.get("Window") or 0) / 1e9
        if window:
            ts = parse_rfc3339(task["Status"]["Timestamp"])
            times = [t for t in times if ts - window <= t <= ts]
        return len(times) < policy["MaxAttempts"]

    def restart(self, tx: Tx, service: dict | None, task: dict) -> dict | None:
        """Shut `task` down and, if the policy allows, start its replacement."""
        current = tx.get("tasks", task["ID"])
        if current is None or not taskstate.runnable(current):
            return None
        if current["ID"] in self.delayed:
            # It failed before its own restart delay was over (a replacement that could
            # not even be prepared): its restart waits for that delay.
            self.waiting[current["ID"]] = None
            return None
        with_desired(tx, current, "shutdown")
        if service is None or not self.should_restart(service, current):
            return None
        if specs.is_global(service["Spec"]):
            replacement = new_task(tx, self.ctx.rng, service, 0, current.get("NodeID", ""), "ready")
        else:
            replacement = new_task(tx, self.ctx.rng, service, current.get("Slot", 0), "", "ready")
        key = (service["ID"], slot_key(current), current.get("_spec_version"))
        self.history[key].append(tx.now)
        node = tx.get("nodes", current.get("NodeID", "")) if current.get("NodeID") else None
        drained = node is not None and node["Spec"]["Availability"] == "drain"
        delay = 0.0 if drained else specs.restart_policy(service["Spec"])["Delay"] / 1e9
        self.delay_start(replacement["ID"], current["ID"], delay, wait_stop=not node_invalid(node))
        return replacement

    def delay_start(
        self, new_id: str, old_id: str | None, delay: float, wait_stop: bool = True
    ) -> None:
        deadline = self.ctx.now() + delay + OLD_TASK_TIMEOUT
        self.delayed[new_id] = self.ctx.after(
            delay, self._try_start, new_id, old_id if wait_stop else None, deadline
        )

    def _try_start(self, new_id: str, old_id: str | None, deadline: float) -> None:
        self.delayed.pop(new_id, None)
        if not self.o.running:
            return
        store = self.o.m.store
        new = store.get("tasks", new_id)
        if new is None:
            if self.ctx.now() < deadline:  # not committed yet
                self.delayed[new_id] = self.ctx.after(
                    0.1, self._try_start, new_id, old_id, deadline
                )
            return
        old = store.get("tasks", old_id) if old_id else None
        if old is not None and self.ctx.now() < deadline:
            node = store.get("nodes", old.get("NodeID", "")) if old.get("NodeID") else None
            stopped = taskstate.terminal(old["Status"]["State"]) or old["Status"]["State"] in (
                "new",
                "pending",
                "assigned",
            )
            if not stopped and not (node is None or node["Status"]["State"] == "down"):
                self.delayed[new_id] = self.ctx.after(
                    0.1, self._try_start, new_id, old_id, deadline
                )
                return
        self.o.m.update(lambda tx: self._delay_over(tx, new_id))

    def _delay_over(self, tx: Tx, task_id: str) -> None:
        self.start_now(tx, task_id)
        if self.waiting.pop(task_id, "no") is None:  # it failed meanwhile: restart it now
            task = tx.get("tasks", task_id)
            if task is not None and taskstate.runnable(task):
                self.restart(tx, tx.get("services", task.get("ServiceID", "")), task)

    @staticmethod
    def start_now(tx: Tx, task_id: str) -> None:
        task = tx.get("tasks", task_id)
        if task is not None and task["DesiredState"] == "ready":
            with_desired(tx, task, "running")


class Orchestrator:
    def __init__(self, manager: Manager) -> None:
        from .updater import UpdateSupervisor

        self.m = manager
        self.ctx = manager.ctx
        self.running = False
        self.restarts = RestartSupervisor(self)
        self.updates = UpdateSupervisor(self)
        self._services: set[str] = set()
        self._deleted: set[str] = set()
        self._tasks: set[str] = set()
        self._nodes: set[str] = set()
        self._reap: set[tuple] = set()
        self._removed: set[str] = set()
        self._scheduled = False
        self._reaper: Repeating | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.running = True
        self.m.store.watchers.append(self._watch)
        store = self.m.store
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
        self.updates.start()
        self._kick()
        self._reaper = self.ctx.every(REAPER_INTERVAL, self._reap_now)

    def stop(self) -> None:
        self.running = False
        if self._watch in self.m.store.watchers:
            self.m.store.watchers.remove(self._watch)
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
                node_id = ch.target
                if (
                    new is None
                    or old is None
                    or (
                        node_invalid(old) != node_invalid(new)
                        or old["Spec"]["Availability"] != new["Spec"]["Availability"]
                        or old["Spec"].get("Labels") != new["Spec"].get("Labels")
                        # what constraints match on: a promotion or demotion changes
                        # which nodes a `node.role` constraint lets a global task run on
                        or old["Spec"].get("Role") != new["Spec"].get("Role")
                        or old.get("Description") != new.get("Description")
                        or old["Status"]["State"] != new["Status"]["State"]
                    )
                ):
                    self._nodes.add(node_id)
        if self._services or self._deleted or self._tasks or self._nodes:
            self._kick()

    def _kick(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self.ctx.after(0.0, self._tick)

    def _tick(self) -> None:
        self._scheduled = False
        if not self.running:
            return
        services, self._services = self._services, set()
        deleted, self._deleted = self._deleted, set()
        tasks, self._tasks = self._tasks, set()
        nodes, self._nodes = self._nodes, set()
        if services or deleted or tasks or nodes:
            self.m.update(lambda tx: self._reconcile(tx, services, deleted, tasks, nodes))

    # -- reconciling ------------------------------------------------------------------------------

    def _reconcile(
        self, tx: Tx, services: set[str], deleted: set[str], tasks: set[str], nodes: set[str]
    ) -> None:
        for sid in sorted(deleted):
            self._remove_service_tasks(tx, sid)
        for node_id in sorted(nodes):
            self._node_changed(tx, node_id, services)
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
                node = tx.get("nodes", task.get("NodeID", ""))
                if node_invalid(node):
                    with_desired(tx, task, "shutdown")
                    continue
            self.restarts.restart(tx, service, task)
        for sid in sorted(services):
            service = tx.get("services", sid)
            if service is not None:
                self.reconcile(tx, service)

    def reconcile(self, tx: Tx, service: dict) -> None:
        if specs.is_global(service["Spec"]):
            self._reconcile_global(tx, service)
        else:
            self._reconcile_replicated(tx, service)

    def slots(self, tx: Tx, service: dict) -> tuple[dict[Any, list[dict]], dict[Any, list[dict]]]:
        """The service's slots: (runnable ones, dead ones), each slot's tasks newest first."""
        by_slot: dict[Any, list[dict]] = defaultdict(list)
        for t in tx.tasks_of_service(service["ID"]):
            by_slot[slot_key(t)].append(t)
        runnable, dead = {}, {}
        for key, ts in by_slot.items():
            ts.sort(key=lambda t: t["CreatedAt"], reverse=True)
            live = [t for t in ts if taskstate.runnable(t)]
            if live:
                runnable[key] = live
            elif (
                ts[0]["DesiredState"] != "remove"
                and not self.restarts.should_restart(service, ts[0])
                and taskstate.terminal(ts[0]["Status"]["State"])
            ):
                runnable[key] = [ts[0]]  # stopped for good, but still the slot's
            else:
                dead[key] = ts
        return runnable, dead

    def _reconcile_replicated(self, tx: Tx, service: dict) -> None:
        want = specs.replicas(service["Spec"])
        runnable, dead = self.slots(tx, service)
        have = len(runnable)
        free: list[int] = []
        if want > have:
            slot = 1
            while len(free) < want - have:
                if slot not in runnable:
                    free.append(slot)
                slot += 1
        for key in sorted(dead):  # a dead slot is deleted, unless a new task reuses it
            if key not in free:
                for t in dead[key]:
                    tx.delete("tasks", t["ID"])
        if want > have:
            for s in free:
                new_task(tx, self.ctx.rng, service, s)
            self.updates.update(tx, service, runnable)
        elif want < have:
            keep, remove = self._scale_down_choice(runnable, want)
            for key in remove:
                for t in runnable[key]:
                    if taskstate.runnable(t):
                        with_desired(tx, t, "remove")
            self.updates.update(tx, service, {k: runnable[k] for k in keep})
        else:
            self.updates.update(tx, service, runnable)

    @staticmethod
    def _scale_down_choice(runnable: dict[Any, list[dict]], want: int) -> tuple[list, list]:
        """swarm's rule: running slots first, then low slot numbers; each slot indexed as
        the k-th copy on its node; keep the lowest indices."""
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

    def _reconcile_global(self, tx: Tx, service: dict) -> None:
        runnable, dead = self.slots(tx, service)
        try:
            cons = constraint.parse(
                (specs.task_spec(service).get("Placement") or {}).get("Constraints") or []
            )
        except constraint.ConstraintError:
            cons = []
        keep = {}
        for node in tx.all("nodes"):
            nid = node["ID"]
            ts = runnable.get(nid)
            eligible = not node_invalid(node) and constraint.node_matches(cons, node)
            if not eligible:
                for t in ts or []:
                    if taskstate.runnable(t):
                        with_desired(tx, t, "shutdown")
                continue
            if ts:
                keep[nid] = ts
            elif node["Spec"]["Availability"] == "active":
                new_task(tx, self.ctx.rng, service, 0, nid)
        for nid in sorted({**runnable, **dead}):
            if tx.get("nodes", nid) is None:  # `node rm`: its tasks go with it, at once
                for t in tx.tasks_of_service(service["ID"]):
                    if t.get("NodeID") == nid:
                        tx.delete("tasks", t["ID"])
        self.updates.update(tx, service, keep)

    def _node_changed(self, tx: Tx, node_id: str, services: set[str]) -> None:
        node = tx.get("nodes", node_id)
        for s in tx.all("services"):
            if specs.is_global(s["Spec"]):
                services.add(s["ID"])
        if not node_invalid(node):
            return
        for stored in list(self.m.store.tasks_on_node(node_id)):
            t = tx.get("tasks", stored["ID"])
            if t is None or not taskstate.runnable(t):
                continue
            service = tx.get("services", t.get("ServiceID", ""))
            if service is not None and specs.is_global(service["Spec"]):
                continue  # the global reconcile shuts it down
            self.restarts.restart(tx, service, t)

    def _remove_service_tasks(self, tx: Tx, service_id: str) -> None:
        for t in tx.tasks_of_service(service_id):
            if taskstate.terminal(t["Status"]["State"]) or t["Status"]["State"] in (
                "new",
                "pending",
            ):
                tx.delete("tasks", t["ID"])
            elif t["DesiredState"] != "remove":
                with_desired(tx, t, "remove")

    # -- the task reaper ---------------------------------------------------------------------------

    def _reap_now(self) -> None:
        if not self.running or not (self._reap or self._removed):
            return
        slots, self._reap = self._reap, set()
        removed, self._removed = self._removed, set()
        self.m.update(lambda tx: self._reap_tx(tx, slots, removed))

    def _reap_tx(self, tx: Tx, slots: set[tuple], removed: set[str]) -> None:
        emptied: dict[tuple, None] = {}
        for tid in sorted(removed):
            t = tx.get("tasks", tid)
            if t is None:
                continue
            state = t["Status"]["State"]
            gone = tx.get("services", t.get("ServiceID", "")) is None
            if (t["DesiredState"] == "remove" or gone) and (
                taskstate.terminal(state) or taskstate.before(state, "assigned")
            ):
                tx.delete("tasks", tid)
                emptied[(t.get("ServiceID", ""), slot_key(t))] = None
            elif t["DesiredState"] == "remove" or gone:
                self._removed.add(tid)  # not stopped yet: look again later
        # A slot scaled away: its history goes with it. Each service's tasks are grouped
        # by slot once, not looked through again for every slot (a service of 100,000
        # removed at once would take hours).
        slots_of: dict[str, dict[Any, list[dict]]] = {}
        for sid, key in emptied:
            if sid not in slots_of:
                grouped: dict[Any, list[dict]] = defaultdict(list)
                for t in tx.tasks_of_service(sid):
                    grouped[slot_key(t)].append(t)
                slots_of[sid] = grouped
            ts = slots_of[sid].get(key, [])
            if ts and not any(taskstate.runnable(t) for t in ts):
                for t in ts:
                    tx.delete("tasks", t["ID"])
        cluster = self.m.store.cluster
        limit = (
            (cluster or {})
            .get("Spec", {})
            .get("Orchestration", {})
            .get("TaskHistoryRetentionLimit", 5)
        )
        by_service: dict[str, list] = defaultdict(list)
        for sid, key in slots:
            by_service[sid].append(key)
        for sid, keys in sorted(by_service.items(), key=lambda kv: kv[0]):
            service = tx.get("services", sid)
            if service is None:
                continue
            n = limit
            attempts = specs.restart_policy(service["Spec"]).get("MaxAttempts") or 0
            if attempts > 0:
                n = attempts + 1
            if n < 0:
                continue
            tasks = defaultdict(list)
            wanted = set(keys)
            for t in tx.tasks_of_service(sid):
                if slot_key(t) in wanted:
                    tasks[slot_key(t)].append(t)
            for ts in tasks.values():
                if len(ts) <= n:
                    continue
                dead = [
                    t
                    for t in ts
                    if taskstate.terminal(t["Status"]["State"])
                    or (
                        taskstate.before(t["Status"]["State"], "assigned")
                        and not taskstate.runnable(t)
                    )
                ]
                dead.sort(key=lambda t: t["Status"]["Timestamp"])
                for t in dead[: len(ts) - n]:
                    tx.delete("tasks", t["ID"])


class ConstraintEnforcer:
    """Rejects running tasks whose node no longer meets their constraints."""

    def __init__(self, manager: Manager) -> None:
        self.m = manager

    def start(self) -> None:
        self.m.store.watchers.append(self._watch)

    def stop(self) -> None:
        if self._watch in self.m.store.watchers:
            self.m.store.watchers.remove(self._watch)

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
            self.m.update(lambda tx: self._enforce(tx, changed))

    def _enforce(self, tx: Tx, node_ids: list[str]) -> None:
        for nid in node_ids:
            node = tx.get("nodes", nid)
            if node is None:
                continue
            for stored in list(self.m.store.tasks_on_node(nid)):
                t = tx.get("tasks", stored["ID"])
                if (
                    t is None
                    or not taskstate.runnable(t)
                    or taskstate.terminal(t["Status"]["State"])
                ):
                    continue
                cons = (t["Spec"].get("Placement") or {}).get("Constraints") or []
                try:
                    ok = constraint.node_matches(constraint.parse(cons), node)
                except constraint.ConstraintError:
                    ok = True
                if ok:
                    continue
                new = dict(t)  # the orchestrator replaces it, as it would a failed task
                new["Status"] = {
                    "Timestamp": rfc3339nano(tx.now),
                    "State": "rejected",
                    "Message": "task rejected by constraint enforcer",
                    "Err": "assigned node no longer meets constraints",
                }
                tx.update("tasks", new)
