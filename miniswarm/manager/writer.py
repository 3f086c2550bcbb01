"""How the leader changes the store: transactions, queued and batched into Raft entries.

Swarm runs every write as `store.Update(func(tx))` and holds the store's write lock while
the change is proposed and committed, so two writers never both start from the same
version of an object. The same here: a write is a function of a transaction; queued
writes run one batch at a time, each against the committed state plus the changes of
the writes before it in the batch, and the batch goes to Raft in entries of up to 200
changes (swarmkit's MaxChangesPerTransaction), a write split only when it alone has
more — a bulk write, as swarmkit's store.Batch commits one. A write that raises changes
nothing and fails alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ..services import Slot, slot_key
from .store import Batch, Change, Store, StoreError

if TYPE_CHECKING:
    from ..sim.kernel import HostContext


_ABSENT = object()


class Tx:
    """A write's view of the store: the committed state plus the changes so far."""

    def __init__(self, store: Store, now: float) -> None:
        self.store = store
        self.now = now
        self.changes: list[Change] = []
        self._objs: dict[str, dict[str, dict | None]] = {}  # kind -> ID -> as changed
        # What _objs held for each change's object before it (or _ABSENT): a failed
        # write's changes are undone from the end (a list beside `changes`, not a tuple
        # a change: the writes of 95,000 tasks' statuses make no garbage of their own)
        self._before: list[Any] = []
        self._slots: list | None = None  # (changes read, the last of them, what they wrote)

    def get(self, kind: str, id: str) -> dict | None:
        changed = self._objs.get(kind)
        if changed is not None and id in changed:
            return changed[id]  # (None: deleted)
        return self.store.tables[kind].get(id)

    def changed(self, kind: str) -> dict[str, dict | None]:
        """The objects of a kind this transaction has changed so far (None: deleted)."""
        return dict(self._objs.get(kind, {}))

    def all(self, kind: str) -> Iterable[dict]:
        changed = self.changed(kind)
        for obj in self.store.all(kind):
            if obj["ID"] not in changed:
                yield obj
        for changed_obj in changed.values():
            if changed_obj is not None:
                yield changed_obj

    def tasks_of_service(self, service_id: str) -> list[dict]:
        """The service's tasks as this transaction sees them."""
        out = {t["ID"]: t for t in self.store.tasks_of_service(service_id)}
        for id, obj in self._objs.get("tasks", {}).items():
            if obj is None:
                out.pop(id, None)
            elif obj.get("ServiceID") == service_id:
                out[id] = obj
            elif id in out:
                del out[id]
        return list(out.values())

    def tasks_in_slot(self, service_id: str, key: Slot) -> list[dict]:
        """A service's tasks in one slot (`services.slot_key`) as this transaction sees
        them, in `tasks_of_service`'s order: the store's index of the slot, and the tasks
        this transaction wrote there."""
        ids = dict.fromkeys(self.store.tasks_in_slot(service_id, key))
        ids.update(self._written_to_slots().get((service_id, key), {}))
        out = []
        for id in ids:
            t = self.get("tasks", id)
            if t is not None and t.get("ServiceID") == service_id and slot_key(t) == key:
                out.append(t)
        return out

    def _written_to_slots(self) -> dict[tuple[str, Slot], dict[str, None]]:
        """(service, slot) -> the tasks this transaction created or updated there: read
        from its changes since the last call (a write batch asks slot after slot), or
        from the first again if a failed write was undone meanwhile."""
        changes = self.changes
        memo = self._slots
        if memo is None or not _still(changes, memo[0], memo[1]):
            memo = self._slots = [0, None, {}]
        written = memo[2]
        for ch in changes[memo[0] :]:
            obj = ch.obj
            if ch.kind == "tasks" and obj is not None:
                written.setdefault((obj.get("ServiceID", ""), slot_key(obj)), {})[obj["ID"]] = None
        memo[0], memo[1] = len(changes), changes[-1] if changes else None
        return written

    def create(self, kind: str, obj: dict, fresh: bool = False) -> dict:
        """Write a new object (`fresh`: as `update`'s, made for the write with its ID and
        Version first)."""
        if self.get(kind, obj["ID"]) is not None:
            raise StoreError("AlreadyExists", "object already exists")
        if not fresh:
            obj = _own(obj)
        self.changes.append(Change("create", kind, obj, owned=True))
        self._set(kind, obj["ID"], obj)
        return obj

    def update(self, kind: str, obj: dict, fresh: bool = False) -> dict:
        """Write `obj` over the object of its ID. `fresh`: the writer made `obj` for this
        write alone (a stored object's copy, or a new task: ID and Version first), and
        lets go of it: it is the change's own as it is (a task's status reports, its
        allocation and placement: half a million copies fewer in swarm2k)."""
        if not fresh:
            obj = _own(obj)
        self.changes.append(Change("update", kind, obj, owned=True))
        self._set(kind, obj["ID"], obj)
        return obj

    def delete(self, kind: str, id: str) -> None:
        self.changes.append(Change.delete(kind, id))
        self._set(kind, id, None)

    def _set(self, kind: str, id: str, obj: dict | None) -> None:
        changed = self._objs.get(kind)
        if changed is None:
            changed = self._objs[kind] = {}
        self._before.append(changed.get(id, _ABSENT))
        changed[id] = obj

    def mark(self) -> int:
        return len(self.changes)

    def undo(self, mark: int) -> None:
        """Forget every change made since `mark`."""
        while len(self.changes) > mark:
            change, before = self.changes.pop(), self._before.pop()
            if before is _ABSENT:
                del self._objs[change.kind][change.target]
            else:
                self._objs[change.kind][change.target] = before


def _still(changes: list, read: int, last: Any) -> bool:
    """Whether the first `read` changes are those read, the last of them `last`: a write
    that failed is undone from the end, and the writes after it append changes anew."""
    return read <= len(changes) and (changes[read - 1] if read else None) is last


def _own(obj: dict) -> dict:
    """The change's own copy of what a write gives it (the writer may hold on to its
    dict, or hand over one the store holds), Version right after ID where the Engine
    API's structs have it; the store stamps that Version when the change commits."""
    return {"ID": obj["ID"], "Version": obj.get("Version"), **obj}


Write = Callable[[Tx], Any]
# swarmkit's MaxChangesPerTransaction: a store.Batch (the orchestrator creating 95,000
# tasks, the scheduler placing them) commits its changes in transactions of this many
MAX_CHANGES = 200


def entries(ends: list[int]) -> list[tuple[int, int]]:
    """The Raft entries a batch's changes go in, as (start, end): writes together up to
    MAX_CHANGES changes an entry, never one split unless it alone has more (then in
    entries of MAX_CHANGES, as swarmkit's store.Batch commits a bulk write)."""
    out: list[tuple[int, int]] = []
    start = prev = 0
    for end in ends:
        if end - start > MAX_CHANGES and prev > start:
            out.append((start, prev))  # the writes so far fill this entry
            start = prev
        while end - start > MAX_CHANGES:
            out.append((start, start + MAX_CHANGES))
            start += MAX_CHANGES
        prev = end
    if prev > start:
        out.append((start, prev))
    return out


class Writer:
    """The leader's write queue."""

    def __init__(self, store: Store, ctx: HostContext, propose: Callable[[Batch], Future]) -> None:
        self.store = store
        self.ctx = ctx  # the clock: writes run soon, stamped with the wall clock
        self.propose = propose
        self._queue: list[tuple[Write, Future]] = []
        self._busy = False

    def update(self, write: Write) -> Future:
        """Run `write(tx)` in the next batch; the future gets its result once committed."""
        fut: Future = Future()
        self._queue.append((write, fut))
        if not self._busy:
            self.ctx.after(0.0, self._flush)
            self._busy = True
        return fut

    def _flush(self) -> None:
        queue, self._queue = self._queue, []
        if not queue:
            self._busy = False
            return
        tx = Tx(self.store, self.ctx.wallclock())
        done: list[tuple[Future, Any]] = []
        ends: list[int] = []  # where each write's changes end
        for write, fut in queue:
            mark = tx.mark()
            try:
                result = write(tx)
            except Exception as exc:  # this write fails alone; its changes are undone
                tx.undo(mark)
                fut.set_exception(exc)
                continue
            done.append((fut, result))
            ends.append(len(tx.changes))
        if not tx.changes:
            for fut, result in done:
                fut.set_result(result)
            self._flush_next()
            return
        changes = tuple(tx.changes)
        try:
            commits = [self.propose(Batch(changes[a:b])) for a, b in entries(ends)]
        except Exception as exc:
            for fut, _ in done:
                fut.set_exception(exc)
            self._flush_next()
            return
        waiting, failures = [len(commits)], []

        def committed(f: Future) -> None:
            exc = f.exception()
            if exc is not None:
                failures.append(exc)
            waiting[0] -= 1
            if waiting[0]:
                return
            for fut, result in done:  # the batch's writes succeed or fail together
                if failures:
                    fut.set_exception(failures[0])
                else:
                    fut.set_result(result)
            self._flush_next()

        for commit in commits:
            commit.add_done_callback(committed)

    def _flush_next(self) -> None:
        if self._queue:
            self.ctx.after(0.0, self._flush)
        else:
            self._busy = False

    def fail_all(self, exc: Exception) -> None:
        queue, self._queue = self._queue, []
        for _, fut in queue:
            if not fut.done():
                fut.set_exception(exc)
