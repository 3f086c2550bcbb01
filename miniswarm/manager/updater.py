"""Rolling updates and rollbacks (swarmkit's manager/orchestrator/update), on the leader.

When a service's spec changes, the slots whose tasks run the old spec are "dirty". The
updater replaces them `Parallelism` at a time (0: all at once): each worker takes a
slot, replaces its task — stop-first: the new task starts once the old one has stopped;
start-first: the old one stops once the new one runs — waits until the new task runs,
waits `Delay`, and takes the next slot. A new task that fails before running, or within
`Monitor` of running, is a failure; more failures than `MaxFailureRatio` of the dirty
slots triggers the failure action: pause, continue, or roll back to the previous spec.
After the last slot the updater watches one more monitor period, then marks the update
completed. UpdateStatus carries the state and swarm's messages.
"""

from __future__ import annotations

import copy
from collections import deque
from typing import TYPE_CHECKING, Any

from .. import taskstate
from ..gocompat import rfc3339nano
from . import specs
from .orchestrator import new_task, task_dirty, with_desired

if TYPE_CHECKING:
    from ..sim.kernel import Event
    from .orchestrator import Orchestrator
    from .writer import Tx

IN_PROGRESS = "update in progress"
COMPLETED = {
    False: ("completed", "update completed"),
    True: ("rollback_completed", "rollback completed"),
}


def failure_message(verb: str, task_id: str) -> str:
    return f"{verb} due to failure or early termination of task {task_id}"


class Updater:
    def __init__(self, sup: UpdateSupervisor, service: dict, slots: dict[Any, list[dict]]) -> None:
        self.sup = sup
        self.o = sup.o
        self.ctx = sup.o.ctx
        self.service_id = service["ID"]
        self.spec_version = service.get("_spec_version", 0)
        status = service.get("UpdateStatus") or {}
        self.rollback = status.get("State") == "rollback_started"
        self.config = specs.update_config(service["Spec"], rollback=self.rollback)
        # Swarm walks the dirty slots in Go's map order: a random one, every update.
        order = sorted(slots, key=lambda k: (isinstance(k, str), k))
        self.ctx.rng.shuffle(order)
        self.queue = deque(order)
        self.total = len(self.queue)
        self.failures = 0
        self.ours: dict[str, float | None] = {}  # our new tasks -> when they ran
        self.waiting: dict[str, Any] = {}  # new task -> what to do once it runs
        self.busy = 0
        self.stopped = False
        self.monitor_timer: Event | None = None
        self.needs_status = not status

    # -- running ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self.needs_status:
            self.o.m.update(self._mark_updating)
        workers = self.config["Parallelism"] or self.total
        for _ in range(min(workers, self.total)):
            self._next()

    def stop(self) -> None:
        self.stopped = True
        if self.monitor_timer is not None:
            self.monitor_timer.cancel()

    def _mark_updating(self, tx: Tx) -> None:
        service = tx.get("services", self.service_id)
        if (
            service is None
            or service.get("_spec_version") != self.spec_version
            or service.get("UpdateStatus")
        ):
            return
        new = dict(service)
        new["UpdateStatus"] = {
            "State": "updating",
            "StartedAt": rfc3339nano(tx.now),
            "Message": IN_PROGRESS,
        }
        tx.update("services", new)

    def _next(self) -> None:
        if self.stopped:
            return
        if not self.queue:
            if self.busy == 0:
                self._monitor()
            return
        key = self.queue.popleft()
        self.busy += 1
        fut = self.o.m.update(lambda tx: self._replace(tx, key))
        fut.add_done_callback(lambda f: self._replaced(key, f))

    def _replace(self, tx: Tx, key: Any) -> tuple[str, list[str]] | None:
        """Start replacing a slot's task; returns (new task, old tasks)."""
        service = tx.get("services", self.service_id)
        if service is None or service.get("_spec_version") != self.spec_version:
            return None
        live = [
            t
            for t in tx.tasks_of_service(self.service_id)
            if _key(t) == key and taskstate.runnable(t)
        ]
        node = None
        fresh = [t for t in live if not task_dirty(service, t, node)]
        old = [t for t in live if t not in fresh]
        if fresh:  # an up-to-date task is there already: keep it, stop the others
            for t in old:
                with_desired(tx, t, "shutdown")
            new = fresh[0]
            if new["DesiredState"] == "ready":
                with_desired(tx, new, "running")
            return new["ID"], []
        start_first = self.config["Order"] == "start-first"
        slot = key if isinstance(key, int) else 0
        node_id = key if isinstance(key, str) else ""
        new = new_task(
            tx, self.ctx.rng, service, slot, node_id, "running" if start_first else "ready"
        )
        if not start_first:
            for t in old:
                with_desired(tx, t, "shutdown")
        return new["ID"], [t["ID"] for t in old]

    def _replaced(self, key: Any, fut) -> None:
        if self.stopped:
            return
        if fut.exception() is not None or fut.result() is None:
            self.busy -= 1
            self._next()
            return
        new_id, old_ids = fut.result()
        self.ours.setdefault(new_id, None)
        start_first = self.config["Order"] == "start-first"
        if not start_first and old_ids:
            self.o.restarts.delay_start(new_id, old_ids[0], 0.0)
        elif not start_first:
            self.o.restarts.delay_start(new_id, None, 0.0)
        self.waiting[new_id] = old_ids if start_first else []
        task = self.o.m.store.get("tasks", new_id)
        if task is not None:
            self.task_changed(None, task)

    def task_changed(self, old: dict | None, new: dict) -> None:
        """A task of the service changed: ours running, or ours failing."""
        if self.stopped or new["ID"] not in self.ours:
            return
        state = new["Status"]["State"]
        if state == "running" and self.ours[new["ID"]] is None:
            self.ours[new["ID"]] = self.ctx.now()
        if taskstate.terminal(state):
            ran = self.ours[new["ID"]]
            monitor = self.config["Monitor"] / 1e9
            if ran is None or self.ctx.now() - ran <= monitor:
                self._failed(new["ID"])
                if self.stopped:
                    return
        if new["ID"] in self.waiting and (state == "running" or taskstate.terminal(state)):
            shut = self.waiting.pop(new["ID"])
            if shut:
                self.o.m.update(
                    lambda tx: [
                        with_desired(tx, t, "shutdown")
                        for t in (tx.get("tasks", i) for i in shut)
                        if t is not None and taskstate.runnable(t)
                    ]
                )
            delay = (self.config.get("Delay") or 0) / 1e9
            self.ctx.after(delay, self._slot_done)

    def _slot_done(self) -> None:
        self.busy -= 1
        self._next()

    def _failed(self, task_id: str) -> None:
        if self.config["FailureAction"] == "continue":
            return
        self.failures += 1
        if self.failures / max(1, self.total) <= (self.config.get("MaxFailureRatio") or 0):
            return
        self.stop()
        self.sup.finished(self)
        action = self.config["FailureAction"]
        self.o.m.update(lambda tx: self._on_failure(tx, action, task_id))

    def _on_failure(self, tx: Tx, action: str, task_id: str) -> None:
        service = tx.get("services", self.service_id)
        if service is None or service.get("_spec_version") != self.spec_version:
            return
        new = dict(service)
        status = dict(service.get("UpdateStatus") or {"StartedAt": rfc3339nano(tx.now)})
        if self.rollback:
            status.update(
                # swarm words a paused rollback as a paused update
                State="rollback_paused",
                Message=failure_message("update paused", task_id),
            )
        elif action == "rollback" and service.get("PreviousSpec") is not None:
            status.update(
                State="rollback_started", Message=failure_message("update rolled back", task_id)
            )
            new["Spec"] = copy.deepcopy(service["PreviousSpec"])
            new["_spec_version"] = service.get("_previous_spec_version", 0)
            new.pop("PreviousSpec", None)
            new.pop("_previous_spec_version", None)
            new["UpdatedAt"] = rfc3339nano(tx.now)
        else:
            status.update(State="paused", Message=failure_message("update paused", task_id))
        status.pop("CompletedAt", None)
        new["UpdateStatus"] = _status(status)
        tx.update("services", new)

    def _monitor(self) -> None:
        if self.stopped or self.monitor_timer is not None:
            return
        # Whatever the failure action (continue too), the update is complete only once
        # the last batch has run through the monitor period.
        period = self.config["Monitor"] / 1e9
        delay = (self.config.get("Delay") or 0) / 1e9
        if delay >= period:
            period = delay + 1.0
        self.monitor_timer = self.ctx.after(period, self._complete)

    def _complete(self) -> None:
        if self.stopped:
            return
        self.stop()
        self.sup.finished(self)
        self.o.m.update(self._mark_completed)

    def _mark_completed(self, tx: Tx) -> None:
        service = tx.get("services", self.service_id)
        if service is None or service.get("_spec_version") != self.spec_version:
            return
        complete(tx, service, self.rollback)


def complete(tx: Tx, service: dict, rollback: bool) -> None:
    new = dict(service)
    status = dict(service.get("UpdateStatus") or {"StartedAt": rfc3339nano(tx.now)})
    state, message = COMPLETED[rollback]
    status.update(State=state, CompletedAt=rfc3339nano(tx.now), Message=message)
    new["UpdateStatus"] = _status(status)
    tx.update("services", new)


def _status(status: dict) -> dict:
    return {k: status[k] for k in ("State", "StartedAt", "CompletedAt", "Message") if k in status}


def _key(task: dict) -> Any:
    return task.get("Slot") or task.get("NodeID", "")


class UpdateSupervisor:
    """One updater per service at a time; a new spec replaces the one running."""

    def __init__(self, orch: Orchestrator) -> None:
        self.o = orch
        self.updaters: dict[str, Updater] = {}
        self.done: dict[str, int] = {}  # service -> the spec version last finished

    def start(self) -> None:
        pass

    def stop(self) -> None:
        for u in self.updaters.values():
            u.stop()
        self.updaters.clear()

    def update(self, tx: Tx, service: dict, slots: dict[Any, list[dict]]) -> None:
        sid = service["ID"]
        version = service.get("_spec_version", 0)
        running = self.updaters.get(sid)
        if running is not None:
            if running.spec_version == version:
                return
            running.stop()
            del self.updaters[sid]
        state = (service.get("UpdateStatus") or {}).get("State")
        if state in ("paused", "rollback_paused"):
            return
        nodes: dict[str, dict | None] = {}
        dirty = {}
        for key, ts in slots.items():
            live = [t for t in ts if taskstate.runnable(t)]
            if not live:
                continue
            node = nodes.setdefault(
                live[0].get("NodeID", ""),
                tx.get("nodes", live[0].get("NodeID", "")) if live[0].get("NodeID") else None,
            )
            if len(live) > 1 or task_dirty(service, live[0], node):
                dirty[key] = live
        if not dirty:
            if state in ("updating", "rollback_started") and self.done.get(sid) != version:
                self.done[sid] = version
                complete(tx, service, state == "rollback_started")
            return
        if self.done.get(sid) == version and state in ("completed", "rollback_completed"):
            return
        updater = Updater(self, service, dirty)
        self.updaters[sid] = updater
        self.o.ctx.after(0.0, updater.start)

    def finished(self, updater: Updater) -> None:
        if self.updaters.get(updater.service_id) is updater:
            del self.updaters[updater.service_id]
            self.done[updater.service_id] = updater.spec_version

    def task_changed(self, old: dict | None, new: dict) -> None:
        u = self.updaters.get(new.get("ServiceID", ""))
        if u is not None:
            u.task_changed(old, new)
