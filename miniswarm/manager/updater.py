"""Rolling updates and rollbacks (swarmkit's manager/orchestrator/update), on the leader.

When a service's spec changes, the slots whose tasks run the old spec are "dirty"
(`services.dirty_slots`). An updater replaces them `Parallelism` at a time (0: all at
once), in a random order: each worker takes a slot, replaces its task — stop-first: the
new task starts once the old one has stopped; start-first: the old one stops once the
new one runs — waits until the new task runs, waits `Delay`, and takes the next slot.
A new task that fails before running, or within `Monitor` of running, is a failure;
more failures than `MaxFailureRatio` of the dirty slots triggers the failure action:
pause, continue, or roll back to the previous spec (`services.failure_action`). After
the last slot the updater watches one more monitor period, then marks the update
completed. The rules are in `services.py`; here is when they are applied.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future
from typing import Any

from .. import services, specs, taskstate
from .context import ControllerContext, Timer
from .restarts import RestartSupervisor
from .writer import Tx


class Updater:
    def __init__(self, sup: UpdateSupervisor, service: dict, slots: dict[Any, list[dict]]) -> None:
        self.sup = sup
        self.c = sup.c
        self.service_id = service["ID"]
        self.spec_version = service.get("_spec_version", 0)
        status = service.get("UpdateStatus") or {}
        self.rollback = status.get("State") == "rollback_started"
        self.config = specs.update_config(service["Spec"], rollback=self.rollback)
        self.queue = deque(services.update_order(slots, self.c.rng))
        self.total = len(self.queue)
        self.failures = 0
        self.ours: dict[str, float | None] = {}  # our new tasks -> when they ran
        self.waiting: dict[str, Any] = {}  # new task -> what to do once it runs
        self.busy = 0
        self.stopped = False
        self.monitor_timer: Timer | None = None
        self.needs_status = not status

    # -- running ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self.needs_status:
            self.c.update(self._mark_updating)
        workers = self.config["Parallelism"] or self.total
        for _ in range(min(workers, self.total)):
            self._next()

    def stop(self) -> None:
        self.stopped = True
        if self.monitor_timer is not None:
            self.monitor_timer.cancel()

    def _current(self, tx: Tx) -> dict | None:
        """The service, if it still has the spec this updater is rolling out."""
        service = tx.get("services", self.service_id)
        if service is None or service.get("_spec_version") != self.spec_version:
            return None
        return service

    def _mark_updating(self, tx: Tx) -> None:
        service = self._current(tx)
        if service is not None and not service.get("UpdateStatus"):
            tx.update("services", services.updating(service, tx.now))

    def _next(self) -> None:
        if self.stopped:
            return
        if not self.queue:
            if self.busy == 0:
                self._monitor()
            return
        key = self.queue.popleft()
        self.busy += 1
        fut = self.c.update(lambda tx: self._replace(tx, key))
        fut.add_done_callback(lambda f: self._replaced(key, f))

    def _replace(self, tx: Tx, key: Any) -> tuple[str, list[str]] | None:
        """Start replacing a slot's task; returns (new task, old tasks)."""
        service = self._current(tx)
        if service is None:
            return None
        live = [t for t in tx.tasks_in_slot(self.service_id, key) if taskstate.runnable(t)]
        fresh, old = services.fresh_and_old(service, live)
        if fresh:  # an up-to-date task is there already: keep it, stop the others
            for t in old:
                tx.update("tasks", services.with_desired(t, "shutdown", tx.now), fresh=True)
            new = fresh[0]
            if new["DesiredState"] == "ready":
                tx.update("tasks", services.with_desired(new, "running", tx.now), fresh=True)
            return new["ID"], []
        start_first = self.config["Order"] == "start-first"
        slot = key if isinstance(key, int) else 0
        node_id = key if isinstance(key, str) else ""
        desired = "running" if start_first else "ready"
        new = self.sup.restarts.new_task(tx, service, slot, node_id, desired)
        if not start_first:
            for t in old:
                tx.update("tasks", services.with_desired(t, "shutdown", tx.now), fresh=True)
        return new["ID"], [t["ID"] for t in old]

    def _replaced(self, key: Any, fut: Future) -> None:
        if self.stopped:
            return
        if fut.exception() is not None or fut.result() is None:
            self.busy -= 1
            self._next()
            return
        new_id, old_ids = fut.result()
        self.ours.setdefault(new_id, None)
        start_first = self.config["Order"] == "start-first"
        if not start_first:
            self.sup.restarts.delay_start(new_id, old_ids[0] if old_ids else None, 0.0)
        self.waiting[new_id] = old_ids if start_first else []
        task = self.c.store.get("tasks", new_id)
        if task is not None:
            self.task_changed(None, task)

    def task_changed(self, old: dict | None, new: dict) -> None:
        """A task of the service changed: ours running, or ours failing."""
        if self.stopped or new["ID"] not in self.ours:
            return
        state = new["Status"]["State"]
        now = self.c.clock.now()
        if state == "running" and self.ours[new["ID"]] is None:
            self.ours[new["ID"]] = now
        if taskstate.terminal(state) and services.failed_early(
            self.ours[new["ID"]], now, self.config
        ):
            self._failed(new["ID"])
            if self.stopped:
                return
        if new["ID"] in self.waiting and (state == "running" or taskstate.terminal(state)):
            shut = self.waiting.pop(new["ID"])
            if shut:
                self.c.update(
                    lambda tx: [
                        tx.update("tasks", services.with_desired(t, "shutdown", tx.now), fresh=True)
                        for t in (tx.get("tasks", i) for i in shut)
                        if t is not None and taskstate.runnable(t)
                    ]
                )
            delay = (self.config.get("Delay") or 0) / 1e9
            self.c.clock.after(delay, self._slot_done)

    def _slot_done(self) -> None:
        self.busy -= 1
        self._next()

    def _failed(self, task_id: str) -> None:
        if self.config["FailureAction"] != "continue":
            self.failures += 1
        action = services.failure_action(self.config, self.failures, self.total)
        if action is None:
            return
        self.stop()
        self.sup.finished(self)

        def write(tx: Tx) -> None:
            service = self._current(tx)
            if service is not None:
                new = services.after_failure(service, self.rollback, action, task_id, tx.now)
                tx.update("services", new)

        self.c.update(write)

    def _monitor(self) -> None:
        if self.stopped or self.monitor_timer is not None:
            return
        # Whatever the failure action (continue too), the update is complete only once
        # the last batch has run through the monitor period.
        self.monitor_timer = self.c.clock.after(
            services.monitor_period(self.config), self._complete
        )

    def _complete(self) -> None:
        if self.stopped:
            return
        self.stop()
        self.sup.finished(self)

        def write(tx: Tx) -> None:
            service = self._current(tx)
            if service is not None:
                tx.update("services", services.completed(service, self.rollback, tx.now))

        self.c.update(write)


class UpdateSupervisor:
    """One updater per service at a time; a new spec replaces the one running."""

    def __init__(self, c: ControllerContext, restarts: RestartSupervisor) -> None:
        self.c = c
        self.restarts = restarts
        self.updaters: dict[str, Updater] = {}
        self.done: dict[str, int] = {}  # service -> the spec version last finished

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

        def node_of(node_id: str) -> dict | None:
            if node_id not in nodes:
                nodes[node_id] = tx.get("nodes", node_id)
            return nodes[node_id]

        dirty = services.dirty_slots(service, slots, node_of)
        if not dirty:
            if state in ("updating", "rollback_started") and self.done.get(sid) != version:
                self.done[sid] = version
                tx.update(
                    "services", services.completed(service, state == "rollback_started", tx.now)
                )
            return
        if self.done.get(sid) == version and state in ("completed", "rollback_completed"):
            return
        updater = Updater(self, service, dirty)
        self.updaters[sid] = updater
        self.c.clock.after(0.0, updater.start)

    def finished(self, updater: Updater) -> None:
        if self.updaters.get(updater.service_id) is updater:
            del self.updaters[updater.service_id]
            self.done[updater.service_id] = updater.spec_version

    def task_changed(self, old: dict | None, new: dict) -> None:
        u = self.updaters.get(new.get("ServiceID", ""))
        if u is not None:
            u.task_changed(old, new)
