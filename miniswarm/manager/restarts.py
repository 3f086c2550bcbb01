"""The restart supervisor (swarmkit's orchestrator/restart), on the leader: a dead task
is shut down and its replacement created in the same slot (desired READY), then started
once the restart delay is over and the old task has stopped — unless the restart
policy says no (`services.should_restart`)."""

from __future__ import annotations

from collections import defaultdict

from .. import ids, services, specs, taskstate
from .context import ControllerContext, Timer
from .writer import Tx

OLD_TASK_TIMEOUT = 60.0  # how long a replacement waits for the old task to stop


class RestartSupervisor:
    def __init__(self, c: ControllerContext) -> None:
        self.c = c
        self.running = False
        # services.restart_key -> when its slot was restarted
        self.history: dict[tuple, list[float]] = defaultdict(list)
        self.delayed: dict[str, Timer] = {}  # new task ID -> its timer
        # Tasks that failed while still in their own restart delay: they are restarted
        # when that delay is over, not before (no tight loop when an image is missing).
        self.waiting: dict[str, None] = {}

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        self.running = False
        for t in self.delayed.values():
            t.cancel()
        self.delayed.clear()
        self.waiting.clear()

    def should_restart(self, service: dict | None, task: dict) -> bool:
        if service is None:
            return False
        return services.should_restart(
            service, task, self.history.get(services.restart_key(service, task), [])
        )

    def new_task(
        self, tx: Tx, service: dict, slot: int = 0, node_id: str = "", desired: str = "running"
    ) -> dict:
        """Create a task of `service` in `tx` (its ID from the leader's randomness)."""
        task = services.new_task(service, ids.new_id(self.c.rng), tx.now, slot, node_id, desired)
        return tx.create("tasks", task, fresh=True)

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
        tx.update("tasks", services.with_desired(current, "shutdown", tx.now), fresh=True)
        if service is None or not self.should_restart(service, current):
            return None
        if specs.is_global(service["Spec"]):
            replacement = self.new_task(tx, service, 0, current.get("NodeID", ""), "ready")
        else:
            replacement = self.new_task(tx, service, current.get("Slot", 0), "", "ready")
        self.history[services.restart_key(service, current)].append(tx.now)
        node = tx.get("nodes", current.get("NodeID", "")) if current.get("NodeID") else None
        delay = services.restart_delay(service, node)
        wait_stop = not services.node_invalid(node)
        self.delay_start(replacement["ID"], current["ID"], delay, wait_stop=wait_stop)
        return replacement

    def delay_start(
        self, new_id: str, old_id: str | None, delay: float, wait_stop: bool = True
    ) -> None:
        """Start task `new_id` after `delay`, once task `old_id` has stopped (or its node
        is down, or OLD_TASK_TIMEOUT has passed)."""
        deadline = self.c.clock.now() + delay + OLD_TASK_TIMEOUT
        self.delayed[new_id] = self.c.clock.after(
            delay, self._try_start, new_id, old_id if wait_stop else None, deadline
        )

    def _try_start(self, new_id: str, old_id: str | None, deadline: float) -> None:
        self.delayed.pop(new_id, None)
        if not self.running:
            return
        store, now = self.c.store, self.c.clock.now()
        new = store.get("tasks", new_id)
        if new is None:
            if now < deadline:  # not committed yet
                self._again(new_id, old_id, deadline)
            return
        old = store.get("tasks", old_id) if old_id else None
        if old is not None and now < deadline:
            node = store.get("nodes", old.get("NodeID", "")) if old.get("NodeID") else None
            state = old["Status"]["State"]
            stopped = taskstate.terminal(state) or state in ("new", "pending", "assigned")
            if not stopped and not (node is None or node["Status"]["State"] == "down"):
                self._again(new_id, old_id, deadline)
                return
        self.c.update(lambda tx: self._delay_over(tx, new_id))

    def _again(self, new_id: str, old_id: str | None, deadline: float) -> None:
        self.delayed[new_id] = self.c.clock.after(0.1, self._try_start, new_id, old_id, deadline)

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
            tx.update("tasks", services.with_desired(task, "running", tx.now), fresh=True)


def apply(
    tx: Tx, actions: list[services.Action], restarts: RestartSupervisor, service: dict | None
) -> None:
    """Write an orchestrator's decisions (`services.Plan.actions`) in `tx`, in order."""
    for a in actions:
        if isinstance(a, services.Delete):
            tx.delete("tasks", a.task_id)
        elif isinstance(a, services.Desire):
            tx.update("tasks", services.with_desired(a.task, a.state, tx.now), fresh=True)
        elif service is not None:
            restarts.new_task(tx, service, a.slot, a.node_id)
