"""The leader's scheduling controller: when a pass of the scheduler runs, on what.

It watches the store for what can change a placement (a node, a task waiting), runs a
pass 50 ms after the last change and at least once a second while changes keep coming
(swarm's commitDebounceGap and maxLatency), feeds `scheduler.schedule` the nodes and
the tasks waiting as this write sees them, and writes its decisions as one batch.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import scheduler, taskstate
from ..gocompat import rfc3339nano
from .context import ControllerContext, Timer
from .store import Applied
from .writer import Tx

DEBOUNCE = 0.05
MAX_LATENCY = 1.0


class Scheduling:
    def __init__(self, c: ControllerContext) -> None:
        self.c = c
        self._timer: Timer | None = None
        self._first_change: float | None = None
        self._running = False

    def start(self) -> None:
        self._running = True
        self.c.store.watch(self._watch)
        self._kick()

    def stop(self) -> None:
        self._running = False
        self.c.store.unwatch(self._watch)
        if self._timer is not None:
            self._timer.cancel()

    def _watch(self, applied: Applied) -> None:
        for ch, _, new in applied.changes:
            if ch.kind == "nodes" or (
                ch.kind == "tasks" and (new is None or new["Status"]["State"] == "pending")
            ):
                self._kick()
                return

    def _kick(self) -> None:
        """Run a pass DEBOUNCE after the last change, or MAX_LATENCY after the first."""
        now = self.c.clock.now()
        if self._first_change is None:
            self._first_change = now
        if self._timer is not None:
            self._timer.cancel()
        at = min(now + DEBOUNCE, self._first_change + MAX_LATENCY)
        self._timer = self.c.clock.after(max(0.0, at - now), self._pass)

    def _pass(self) -> None:
        self._timer = None
        self._first_change = None
        if self._running and any(True for _ in self._pending()):
            self.c.update(self.schedule)

    def _pending(self) -> Iterator[dict]:
        return (
            t
            for t in self.c.store.pending_tasks()
            if t["Status"]["State"] == "pending" and taskstate.runnable(t)
        )

    def schedule(self, tx: Tx) -> int:
        """One pass, written in `tx`; returns how many tasks were placed."""
        store = self.c.store
        infos = scheduler.node_infos(
            tx.all("nodes"),
            lambda node_id: (tx.get("tasks", t["ID"]) or t for t in store.tasks_on_node(node_id)),
        )
        pending = []
        for t in self._pending():
            now = tx.get("tasks", t["ID"])
            if now is not None and now["Status"]["State"] == "pending":
                pending.append(now)
        placed = 0
        stamp = rfc3339nano(tx.now)
        for decision in scheduler.schedule(pending, infos, self.c.rng):
            task = dict(decision.task)
            if isinstance(decision, scheduler.Assign):
                task["NodeID"] = decision.node_id
                task["Status"] = {
                    "Timestamp": stamp,
                    "State": "assigned",
                    "Message": decision.message,
                }
                task["UpdatedAt"] = stamp
                placed += 1
            else:
                task["Status"] = {**task["Status"], "Err": decision.err}
            tx.update("tasks", task)
        return placed
