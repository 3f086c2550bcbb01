"""The replicated cluster state (swarmkit's MemoryStore).

It changes only by applying committed Raft entries, in log order, identically on every
manager. An entry carries a batch of changes — create, update, delete of objects — that
apply all together or not at all. Objects have the Engine API's shapes (`ID`, `Version`,
`CreatedAt`, `UpdatedAt`, `Spec`, ...); a change stamps `Version.Index` with the index of
its entry, and an update that names a stale version is refused ("update out of
sequence"), as swarm refuses it.

Objects are never changed in place: an update replaces the object. That is what lets a
snapshot share them, and readers hold them without copying. Keys that start with "_"
are the store's own (a node's observed role, say) and are not shown by the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..services import Slot, slot_key

KINDS = ("clusters", "nodes", "services", "tasks", "networks", "secrets", "configs")
NAMED = {"services", "networks", "secrets", "configs"}  # names unique per kind


class StoreError(Exception):
    """A change the store refuses, with the gRPC status code swarm gives it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class Change:
    """One change of a batch. For an update, `version` (when given) must be the object's
    current Version.Index. Never changed once made — not frozen only because a frozen
    dataclass is made three times slower (2.0 against 0.7 us), and each manager's
    write makes one a change: at swarm2k's size, half a million."""

    action: str  # "create" | "update" | "delete"
    kind: str
    obj: dict | None = None
    id: str | None = None
    version: int | None = None
    # The change owns `obj` (a transaction's own copy): a store stamps its Version in
    # place and keeps it, and every manager's store shares it with the log that holds it.
    owned: bool = False
    # How the update moves its object in a store's indexes (`_moved`), found by the first
    # manager to apply it: each applies it over the same state (-1: not found yet).
    moved: int = field(default=-1, compare=False, repr=False)

    def __reduce__(self) -> tuple:  # pickled in every Raft entry: keep it quick
        # A copy read back from the disk is nobody's to share: `owned` is not kept.
        return (Change, (self.action, self.kind, self.obj, self.id, self.version))

    @property
    def target(self) -> str:
        """The ID of the object it changes."""
        if self.obj is not None:
            return self.obj["ID"]
        assert self.id is not None, "a change names its object"
        return self.id

    @property
    def body(self) -> dict:
        """The object a create or update writes."""
        assert self.obj is not None, "a delete writes no object"
        return self.obj

    @staticmethod
    def create(kind: str, obj: dict, owned: bool = False) -> Change:
        return Change("create", kind, obj, owned=owned)

    @staticmethod
    def update(kind: str, obj: dict, version: int | None = None, owned: bool = False) -> Change:
        return Change("update", kind, obj, version=version, owned=owned)

    @staticmethod
    def delete(kind: str, id: str) -> Change:
        return Change("delete", kind, id=id)


@dataclass(frozen=True, slots=True, weakref_slot=True)  # (encryption.serialise's cache)
class Batch:
    """What one Raft entry carries: changes applied together, or refused together."""

    changes: tuple[Change, ...]

    def __reduce__(self) -> tuple:
        # Its changes as plain tuples: pickled a third quicker than a reduce each.
        return (_batch, (tuple((c.action, c.kind, c.obj, c.id, c.version) for c in self.changes),))

    def wire_size(self) -> int:
        return 200 * len(self.changes)


def _batch(changes: tuple[tuple, ...]) -> Batch:
    """A batch read back from the disk (its changes nobody's to share: not `owned`)."""
    return Batch(tuple(Change(*change) for change in changes))


class Applied:
    """What applying a batch did, for watchers: the index, and each change with its
    object as it was and as it now is (None: none). Kept as three lists, each change's
    triple made as it is read: every manager applies every change, and most have no
    watcher that reads them."""

    __slots__ = ("index", "_changes", "_olds", "_news")

    def __init__(self, index: int, changes: tuple[Change, ...] = ()) -> None:
        self.index = index
        self._changes = changes
        self._olds: list[dict | None] = []
        self._news: list[dict | None] = []

    @property
    def changes(self) -> Iterator[tuple[Change, dict | None, dict | None]]:
        return zip(self._changes, self._olds, self._news, strict=True)

    @property
    def kinds(self) -> set[str]:
        """The kinds of object it changed."""
        return {ch.kind for ch in self._changes}


def _name_key(obj: dict) -> str:
    return obj.get("Spec", {}).get("Name", "").lower()


def _moved(kind: str, old: dict, new: dict) -> int:
    """Whether an update moves an object in the store's indexes: 2 if it does (for a
    task: its service, its node, or whether it waits to be placed changed), 1 if only
    what a task counts toward changed (whether it runs, whether it is meant to), 0 if
    neither — most updates, a task's status: then the indexes are not touched."""
    if kind == "tasks":
        was, now = old["Status"]["State"], new["Status"]["State"]
        if (
            old.get("NodeID") != new.get("NodeID")
            or old.get("ServiceID", "") != new.get("ServiceID", "")
            or (was in _UNPLACED) != (now in _UNPLACED)
        ):
            return 2
        running = (was == "running") != (now == "running")
        return 1 if running or old.get("DesiredState") != new.get("DesiredState") else 0
    if kind in NAMED:
        return 2 if _name_key(old) != _name_key(new) else 0
    if kind == "nodes":
        return 2 if old.get("_attachments") != new.get("_attachments") else 0
    return 0


_UNPLACED = ("new", "pending")  # a task in these states waits for the scheduler


def _drop(index: dict[str, dict[str, None]], key: str, id: str) -> None:
    """`id` leaves `index[key]`, which goes once empty."""
    ids = index.get(key)
    if ids is not None:
        ids.pop(id, None)
        if not ids:
            del index[key]


class Store:
    def __init__(self) -> None:
        self.watchers: list[Callable[[Applied], None]] = []
        self._reset()

    def _reset(self) -> None:
        self.tables: dict[str, dict[str, dict]] = {k: {} for k in KINDS}
        self.index = 0  # the last Raft index applied
        self._names: dict[str, dict[str, str]] = {k: {} for k in NAMED}
        # Tasks by service and by node, in the order they were indexed: a dict used as an
        # ordered set, so that whoever walks them does so in the same order every run
        # (a set's order follows the process's hash seed).
        self._tasks_by_service: dict[str, dict[str, None]] = {}
        self._tasks_by_node: dict[str, dict[str, None]] = {}
        self._unassigned: set[str] = set()  # tasks the scheduler has still to place
        # network ID -> {node ID: the node's own address on it} (ingress, given at a join)
        self._node_addresses: dict[str, dict[str, str]] = {}
        # per service: tasks running, and tasks meant to run (`service ls` counts them)
        self._running: dict[str, int] = {}
        self._desired_running: dict[str, int] = {}
        # service -> slot -> its tasks' IDs, for the services asked about (tasks_in_slot)
        self._slots: dict[str, dict[Slot, dict[str, None]]] = {}

    def watch(self, fn: Callable[[Applied], None]) -> None:
        """Call `fn` with what each applied batch did (a controller, while it runs)."""
        self.watchers.append(fn)

    def unwatch(self, fn: Callable[[Applied], None]) -> None:
        """Stop calling `fn` (nothing if it was not watching)."""
        if fn in self.watchers:
            self.watchers.remove(fn)

    # -- reading ----------------------------------------------------------------------------

    def get(self, kind: str, id: str) -> dict | None:
        return self.tables[kind].get(id)

    def all(self, kind: str) -> Iterable[dict]:
        return self.tables[kind].values()

    def by_name(self, kind: str, name: str) -> dict | None:
        id = self._names[kind].get(name.lower())
        return self.tables[kind].get(id) if id else None

    def tasks_of_service(self, service_id: str) -> Iterator[dict]:
        tasks = self.tables["tasks"]
        return (tasks[t] for t in self._tasks_by_service.get(service_id, ()))

    def tasks_in_slot(self, service_id: str, key: Slot) -> tuple[str, ...]:
        """The IDs of a service's tasks in a slot (`services.slot_key`), in the order they
        were indexed. A service's slots are indexed when first asked for, and kept from
        then on: the leader's updater and reaper ask, a slot at a time, and a rolling
        update of 30,000 tasks looked through all of them at each step (30 ms). Kept for
        every service, they would cost swarm2k's managers 22 MB each."""
        slots = self._slots.get(service_id)
        if slots is None:
            slots = self._slots[service_id] = {}
            tasks = self.tables["tasks"]
            for id in self._tasks_by_service.get(service_id, ()):
                slots.setdefault(slot_key(tasks[id]), {})[id] = None
        return tuple(slots.get(key, ()))

    def tasks_on_node(self, node_id: str) -> Iterator[dict]:
        tasks = self.tables["tasks"]
        return (tasks[t] for t in self._tasks_by_node.get(node_id, ()))

    def node_addresses(self, net_id: str) -> dict[str, str]:
        """The nodes' own addresses on a network (ingress): node ID -> address."""
        return self._node_addresses.get(net_id, {})

    def running_tasks(self, service_id: str) -> int:
        """How many of the service's tasks are running."""
        return self._running.get(service_id, 0)

    def desired_running(self, service_id: str) -> int:
        """How many of the service's tasks are meant to run."""
        return self._desired_running.get(service_id, 0)

    def pending_tasks(self) -> Iterator[dict]:
        """Tasks not yet assigned to a node (new or pending)."""
        tasks = self.tables["tasks"]
        return (tasks[t] for t in sorted(self._unassigned))

    @property
    def cluster(self) -> dict | None:
        return next(iter(self.tables["clusters"].values()), None)

    # -- applying ---------------------------------------------------------------------------

    def apply(self, index: int, batch: Batch) -> Applied:
        """Apply a committed batch (all of it, or none: StoreError says why)."""
        self._check(batch)
        applied = Applied(index, batch.changes)
        olds, news = applied._olds.append, applied._news.append
        tables = self.tables
        version = {"Index": index}  # one for all the entry writes: a Version is never changed
        slotted = self._slots  # (a slot index kept: see tasks_in_slot)
        for ch in batch.changes:  # (every manager applies every change: kept lean)
            kind = ch.kind
            table = tables[kind]
            if ch.action == "delete":
                gone = table.pop(ch.target)
                self._unindex(kind, gone)
                olds(gone)
                news(None)
                continue
            if ch.owned:  # stamped by the first manager to apply it, shared by the others
                obj = ch.obj
                assert obj is not None
                stamped = obj["Version"]
                if stamped is None or stamped["Index"] != index:
                    obj["Version"] = version
            else:
                # Version right after ID, where the Engine API's structs have it.
                obj = {"ID": None, "Version": None, **ch.body}
                obj["Version"] = version
            id = obj["ID"]
            old = table.get(id)
            table[id] = obj
            if old is None:
                self._index(kind, obj)
            else:
                moved = ch.moved
                if moved < 0:
                    moved = ch.moved = _moved(kind, old, obj)
                if moved != 2 and slotted and kind == "tasks":  # (a slot index is kept)
                    if old.get("Slot") != obj.get("Slot"):  # (swarm never does it; a write could)
                        moved = 2
                if moved == 2:
                    self._unindex(kind, old)
                    self._index(kind, obj)
                elif moved == 1:  # only the counts: the task keeps its place
                    self._count(old, -1)
                    self._count(obj, 1)
            olds(old)
            news(obj)
        self.index = index
        for watch in self.watchers:
            watch(applied)
        return applied

    def _check(self, batch: Batch) -> None:
        # (kind, id) -> exists after the earlier changes: only objects a create or delete
        # of this batch touched (most batches are updates alone, checked at their table)
        seen: dict[tuple[str, str], bool] = {}
        names: dict[tuple[str, str], str | None] = {}
        tables = self.tables
        for ch in batch.changes:
            kind = ch.kind
            table = tables[kind]
            obj = ch.obj
            action = ch.action
            if action == "update" and not seen and ch.version is None and kind not in NAMED:
                if obj is None or obj["ID"] not in table:  # (quickly: a status, say)
                    raise StoreError("NotFound", "object does not exist")
                continue
            id = obj["ID"] if obj is not None else ch.target
            if action == "update":
                current = table.get(id)
                exists = seen[kind, id] if seen and (kind, id) in seen else current is not None
                if not exists:
                    raise StoreError("NotFound", "object does not exist")
                if ch.version is not None and current is not None:
                    if current["Version"]["Index"] != ch.version:
                        raise StoreError("Unknown", "update out of sequence")
                if kind in NAMED and current is not None:
                    if _name_key(ch.body) != _name_key(current):
                        raise StoreError("Unimplemented", "renaming objects is not supported")
                continue
            exists = seen.get((kind, id), id in table)
            if action == "create":
                if exists:
                    raise StoreError("AlreadyExists", "object already exists")
                if kind in NAMED:
                    key = _name_key(ch.body)
                    holder = names.get((kind, key), self._names[kind].get(key))
                    if holder is not None:
                        raise StoreError("AlreadyExists", "name conflicts with an existing object")
                    names[(kind, key)] = id
                seen[(kind, id)] = True
            else:
                if not exists:
                    raise StoreError("NotFound", "object does not exist")
                seen[(kind, id)] = False
                if kind in NAMED and id in table:
                    names[(kind, _name_key(table[id]))] = None

    def _index(self, kind: str, obj: dict) -> None:
        if kind in NAMED:
            self._names[kind][_name_key(obj)] = obj["ID"]
        elif kind == "nodes":
            for net_id, address in (obj.get("_attachments") or {}).items():
                self._node_addresses.setdefault(net_id, {})[obj["ID"]] = address
        elif kind == "tasks":
            service = obj.get("ServiceID", "")
            self._tasks_by_service.setdefault(service, {})[obj["ID"]] = None
            if obj.get("NodeID"):
                self._tasks_by_node.setdefault(obj["NodeID"], {})[obj["ID"]] = None
            if obj["Status"]["State"] in _UNPLACED:
                self._unassigned.add(obj["ID"])
            self._count(obj, 1)
            if self._slots and service in self._slots:
                self._slots[service].setdefault(slot_key(obj), {})[obj["ID"]] = None

    def _unindex(self, kind: str, obj: dict) -> None:
        if kind in NAMED:
            self._names[kind].pop(_name_key(obj), None)
        elif kind == "nodes":
            for net_id in obj.get("_attachments") or {}:
                self._node_addresses.get(net_id, {}).pop(obj["ID"], None)
        elif kind == "tasks":
            # (An index emptied goes, or is made anew: a set or dict keeps its table when
            # emptied, 4 MiB a manager once swarm2k's 95,000 tasks were all placed.)
            id = obj["ID"]
            service = obj.get("ServiceID", "")
            _drop(self._tasks_by_service, service, id)
            if obj.get("NodeID"):
                _drop(self._tasks_by_node, obj["NodeID"], id)
            if obj["Status"]["State"] in _UNPLACED:  # (as _index saw it)
                self._unassigned.discard(id)
                if not self._unassigned:
                    self._unassigned = set()
            self._count(obj, -1)
            if self._slots and service in self._slots:
                self._unslot(service, obj)

    def _unslot(self, service: str, task: dict) -> None:
        """A task leaves its slot's index (an emptied slot goes, and a service's index goes
        with its last task)."""
        slots = self._slots[service]
        key = slot_key(task)
        ids = slots.get(key)
        if ids is not None:
            ids.pop(task["ID"], None)
            if not ids:
                del slots[key]
        if not self._tasks_by_service.get(service):
            del self._slots[service]

    def _count(self, task: dict, n: int) -> None:
        service = task.get("ServiceID", "")
        if task["Status"]["State"] == "running":
            self._running[service] = self._running.get(service, 0) + n
        if task.get("DesiredState") == "running":
            self._desired_running[service] = self._desired_running.get(service, 0) + n

    # -- snapshots --------------------------------------------------------------------------

    def snapshot(self) -> Any:
        """The whole state, sharing the (never mutated) objects."""
        return (self.index, {k: dict(t) for k, t in self.tables.items()})

    def restore(self, data: Any) -> None:
        index, tables = data
        self._reset()
        self.index = index
        for kind, table in tables.items():
            for obj in table.values():
                self.tables[kind][obj["ID"]] = obj
                self._index(kind, obj)


def public(obj: dict) -> dict:
    """An object as the API shows it: without the store's own keys (a copy, less the
    few: twice as quick as a comprehension, and every listed object is shown so)."""
    view = obj.copy()
    for key in obj:
        if key[:1] == "_":
            del view[key]
    return view
