"""The leader's scheduling controller: when a pass of the scheduler runs, on what.

It watches the store for what can change a placement (a node, a task waiting), runs a
pass 50 ms after the last change and at least once a second while changes keep coming
(swarm's commitDebounceGap and maxLatency), feeds `scheduler.schedule` the nodes and
the tasks waiting as this write sees them, and writes its decisions as one batch.

What each node carries is kept from one pass to the next, changed as the store's
changes are applied (swarmkit's nodeSet, kept by the scheduler's event loop): a pass
costs what is waiting and the nodes, not every task in the swarm.
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


def _same_load(old: dict | None, new: dict | None) -> bool:
    """Whether a task's change leaves what its node carries as it was."""
    return (
        old is not None
        and new is not None
        and old.get("NodeID") == new.get("NodeID")
        and old["Spec"] is new["Spec"]
        and old.get("Endpoint") is new.get("Endpoint")
        and old.get("ServiceID") == new.get("ServiceID")
        and scheduler.counts(old) == scheduler.counts(new)
    )


class Scheduling:
    def __init__(self, c: ControllerContext) -> None:
        self.c = c
        self._timer: Timer | None = None
        self._first_change: float | None = None
        self._running = False
        # Each node and what counts on it, as committed (the store's order of nodes).
        self._infos: dict[str, scheduler.NodeInfo] = {}

    def start(self) -> None:
        self._running = True
        self.take_stock()
        self.c.store.watch(self._watch)
        self._kick()

    def take_stock(self) -> None:
        """What each node carries, counted afresh from the store (a new leader's
        scheduler does it once: swarmkit's buildNodeSet)."""
        store = self.c.store
        self._infos = scheduler.node_infos(store.all("nodes"), store.tasks_on_node)

    def stop(self) -> None:
        self._running = False
        self.c.store.unwatch(self._watch)
        if self._timer is not None:
            self._timer.cancel()

    def _watch(self, applied: Applied) -> None:
        kick = False
        infos = self._infos
        fresh: set[str] = set()  # nodes new to the controller: counted afresh, below
        for ch, old, new in applied.changes:
            if ch.kind == "tasks":
                kick = kick or new is None or new["Status"]["State"] == "pending"
                if _same_load(old, new):
                    continue  # a status report, mostly: the node carries what it did
                for t, count in ((old, scheduler.NodeInfo.remove), (new, scheduler.NodeInfo.add)):
                    if t is None:
                        continue
                    node_id = t.get("NodeID")
                    if node_id in infos and node_id not in fresh and scheduler.counts(t):
                        count(infos[node_id], t)
            elif ch.kind == "nodes":
                kick = True
                if new is None:
                    infos.pop(ch.target, None)
                    fresh.discard(ch.target)
                elif ch.target in infos and ch.target not in fresh:
                    infos[ch.target] = infos[ch.target].copy(new)
                else:
                    fresh.add(ch.target)
                    infos[ch.target] = scheduler.NodeInfo(new)
        for node_id in sorted(fresh):  # whatever the store already had on it counts
            for t in self.c.store.tasks_on_node(node_id):
                if scheduler.counts(t):
                    infos[node_id].add(t)
        if kick:
            self._kick()

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

    def _infos_in(self, tx: Tx, shared: bool = False) -> dict[str, scheduler.NodeInfo]:
        """The nodes as this write sees them: what is kept, with the changes of the
        writes before it in the batch (a changed node comes last, as the transaction
        lists it; a task counts where the store has it). Copies, or (`shared`) the kept
        infos themselves but for a node those writes changed: the pass fills them and
        `schedule` empties them again — for a few tasks on many nodes (1,000 copies a
        pass were most of a rolling update's scheduling at 1,000 nodes)."""
        store = self.c.store
        nodes = tx.changed("nodes")
        held = self._infos if shared else {}
        infos = {
            id: info if shared else info.copy()
            for id, info in self._infos.items()
            if id not in nodes
        }
        fresh = set()
        for id, node in nodes.items():
            kept = self._infos.get(id)
            if node is not None and kept is not None:
                infos[id] = kept.copy(node)
            elif node is not None:
                fresh.add(id)
                infos[id] = info = scheduler.NodeInfo(node)
                for t in store.tasks_on_node(id):
                    now = tx.get("tasks", t["ID"])  # as this write sees it (None: deleted)
                    if now is not None and scheduler.counts(now):
                        info.add(now)
        for id, task in tx.changed("tasks").items():
            committed = store.get("tasks", id)
            if committed is None or committed.get("NodeID") in fresh:
                continue  # on no node yet, or counted above
            where = committed.get("NodeID", "")
            here = infos.get(where)
            if here is None:
                continue
            if here is held.get(where):
                here = infos[where] = here.copy()
            if scheduler.counts(committed):
                here.remove(committed)
            if task is not None and scheduler.counts(task):
                here.add(task)
        return infos

    def schedule(self, tx: Tx) -> int:
        """One pass, written in `tx`; returns how many tasks were placed."""
        pending = []
        for t in self._pending():
            now = tx.get("tasks", t["ID"])
            if now is not None and now["Status"]["State"] == "pending":
                pending.append(now)
        # Fewer tasks than nodes: each placed is counted and uncounted on a kept info;
        # more (a service created): each node's info is copied once
        shared = len(pending) < len(self._infos)
        infos = self._infos_in(tx, shared)
        placed = 0
        stamp = rfc3339nano(tx.now)
        try:
            decisions = scheduler.schedule(pending, infos, self.c.rng)
        except BaseException:
            if shared:
                self.take_stock()  # what the pass had counted in the kept infos, gone
            raise
        kept = self._infos if shared else {}
        for decision in decisions:
            task = dict(decision.task)
            if isinstance(decision, scheduler.Assign):
                info = infos[decision.node_id]
                if info is kept.get(decision.node_id):
                    info.remove(decision.task)  # counted when the write commits
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
            tx.update("tasks", task, fresh=True)
        return placed
