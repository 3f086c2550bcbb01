"""The store and the leader's transactions: batches apply whole or not at all, and a
write that fails inside a batch leaves no trace in it."""

import pickle
import sys
from concurrent.futures import Future

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from miniswarm.manager.networks import addresses_in_use
from miniswarm.manager.store import Batch, Change, Store, StoreError, public
from miniswarm.manager.writer import MAX_CHANGES, Tx, Writer, entries
from miniswarm.services import slot_key


def task(id: str, service: str = "s1", state: str = "running") -> dict:
    return {"ID": id, "ServiceID": service, "Status": {"State": state}}


def store_with(*objs: dict) -> Store:
    store = Store()
    store.apply(1, Batch(tuple(Change.create("tasks", o) for o in objs)))
    return store


def test_an_applied_object_gets_its_entry_index_as_version_right_after_its_id():
    store = store_with(task("t1"))
    assert list(store.get("tasks", "t1"))[:2] == ["ID", "Version"]
    assert store.get("tasks", "t1")["Version"] == {"Index": 1}


def test_a_batch_with_one_bad_change_changes_nothing():
    store = store_with(task("t1"))
    with pytest.raises(StoreError):
        store.apply(
            2,
            Batch(
                (
                    Change.update("tasks", task("t1", state="failed")),
                    Change.delete("tasks", "missing"),
                )
            ),
        )
    assert store.get("tasks", "t1")["Status"]["State"] == "running"
    assert store.index == 1


def test_undo_forgets_only_the_changes_since_the_mark():
    store = store_with(task("t1"), task("t2"))
    tx = Tx(store, 0.0)
    tx.update("tasks", task("t1", state="failed"))
    mark = tx.mark()
    tx.create("tasks", task("t3"))
    tx.update("tasks", task("t1", state="shutdown"))
    tx.delete("tasks", "t2")
    tx.undo(mark)
    assert tx.get("tasks", "t1")["Status"]["State"] == "failed"
    assert tx.get("tasks", "t2") is not None
    assert tx.get("tasks", "t3") is None
    assert sorted(t["ID"] for t in tx.tasks_of_service("s1")) == ["t1", "t2"]
    assert [c.action for c in tx.changes] == ["update"]


def test_a_transaction_sees_its_own_changes_over_the_committed_state():
    store = store_with(task("t1"), task("t2", service="s2"))
    tx = Tx(store, 0.0)
    tx.create("tasks", task("t3"))
    tx.update("tasks", task("t2", service="s1"))
    tx.delete("tasks", "t1")
    assert sorted(t["ID"] for t in tx.tasks_of_service("s1")) == ["t2", "t3"]
    assert sorted(t["ID"] for t in tx.all("tasks")) == ["t2", "t3"]
    assert store.get("tasks", "t1") is not None  # nothing committed yet


def test_a_write_owns_a_copy_of_what_it_is_given_unless_it_was_made_for_the_write():
    store = store_with(task("t1"))
    tx = Tx(store, 0.0)
    given = store.get("tasks", "t1") | {"Status": {"State": "failed"}}
    assert tx.update("tasks", given) is not given  # (its writer may hold on to it)
    fresh = dict(store.get("tasks", "t1"))  # a copy made for the write, and let go of
    fresh["Status"] = {"State": "running"}
    assert tx.update("tasks", fresh, fresh=True) is fresh
    made = {"ID": "t2", "Version": None} | task("t2")  # (a new task, as services makes it)
    assert tx.create("tasks", made, fresh=True) is made
    assert tx.create("tasks", task("t3")) is not None
    store.apply(2, Batch(tuple(tx.changes)))
    assert store.get("tasks", "t1") is fresh and store.get("tasks", "t2") is made
    for id in ("t1", "t2", "t3"):
        stored = store.get("tasks", id)
        assert list(stored)[:2] == ["ID", "Version"] and stored["Version"] == {"Index": 2}


def test_the_store_counts_each_service_s_running_tasks_and_those_meant_to_run():
    def meant(id: str, state: str, desired: str = "running") -> dict:
        return {**task(id, "s", state), "DesiredState": desired}

    store = store_with(meant("t1", "assigned"), meant("t2", "assigned"))
    assert (store.running_tasks("s"), store.desired_running("s")) == (0, 2)
    store.apply(2, Batch((Change.update("tasks", meant("t1", "running")),)))
    assert (store.running_tasks("s"), store.desired_running("s")) == (1, 2)
    assert [t["ID"] for t in store.tasks_of_service("s")] == ["t1", "t2"]  # kept its place
    store.apply(
        3,
        Batch(
            (
                Change.update("tasks", meant("t1", "running", "shutdown")),
                Change.delete("tasks", "t2"),
            )
        ),
    )
    assert (store.running_tasks("s"), store.desired_running("s")) == (1, 0)


def test_the_store_knows_each_node_s_own_address_on_a_network_as_it_changes():
    s = Store()
    a = {"ID": "a", "_attachments": {"ingress": "10.0.0.2/24"}}
    b = {"ID": "b"}
    s.apply(1, Batch((Change.create("nodes", a), Change.create("nodes", b))))
    assert s.node_addresses("ingress") == {"a": "10.0.0.2/24"}
    s.apply(
        2, Batch((Change.update("nodes", {"ID": "b", "_attachments": {"ingress": "10.0.0.3/24"}}),))
    )
    s.apply(
        3, Batch((Change.update("nodes", {"ID": "a", "_attachments": {"ingress": "10.0.0.4/24"}}),))
    )
    assert s.node_addresses("ingress") == {"a": "10.0.0.4/24", "b": "10.0.0.3/24"}
    s.apply(4, Batch((Change.delete("nodes", "b"),)))
    assert s.node_addresses("ingress") == {"a": "10.0.0.4/24"}
    again = Store()
    again.restore(s.snapshot())
    assert again.node_addresses("ingress") == {"a": "10.0.0.4/24"}
    assert again.node_addresses("other") == {}


def test_addresses_in_use_on_a_network_see_the_write_s_own_nodes():
    s = Store()
    nodes = [
        {"ID": n, "_attachments": {"ingress": f"10.0.0.{i + 2}/24"}} for i, n in enumerate("abc")
    ]
    s.apply(1, Batch(tuple(Change.create("nodes", n) for n in nodes)))
    tx = Tx(s, 0.0)
    tx.delete("nodes", "a")
    tx.update("nodes", {"ID": "b", "_attachments": {"ingress": "10.0.0.9/24"}})
    tx.create("nodes", {"ID": "d", "_attachments": {"ingress": "10.0.0.7/24"}})
    assert addresses_in_use(tx, "ingress") == {"10.0.0.9/24", "10.0.0.4/24", "10.0.0.7/24"}


def test_a_batch_read_back_from_the_disk_is_the_batch_and_nobodys_to_share():
    task = {"ID": "t1", "Status": {"State": "running"}}
    batch = Batch(
        (Change.create("tasks", task, owned=True), Change.update("tasks", task, version=3),
         Change.delete("tasks", "t0"))
    )  # fmt: skip
    back = pickle.loads(pickle.dumps(batch))
    assert [(c.action, c.kind, c.obj, c.id, c.version) for c in back.changes] == [
        ("create", "tasks", task, None, None),
        ("update", "tasks", task, None, 3),
        ("delete", "tasks", None, "t0", None),
    ]
    assert not any(c.owned for c in back.changes)


def indexes(store: Store) -> tuple:
    """What the store's indexes say, in a form two stores can be compared by."""
    tasks = list(store.all("tasks"))
    services = sorted({t.get("ServiceID", "") for t in tasks})
    nodes = sorted({t["NodeID"] for t in tasks if t.get("NodeID")})
    return (
        {s: sorted(t["ID"] for t in store.tasks_of_service(s)) for s in services},
        {n: sorted(t["ID"] for t in store.tasks_on_node(n)) for n in nodes},
        sorted(t["ID"] for t in store.pending_tasks()),
        {s: (store.running_tasks(s), store.desired_running(s)) for s in services},
    )


updates = st.lists(
    st.tuples(
        st.sampled_from(["t1", "t2", "t3"]),
        st.sampled_from(["s1", "s2"]),
        st.sampled_from([None, "n1", "n2"]),
        st.sampled_from(["new", "pending", "assigned", "running", "failed"]),
        st.sampled_from(["running", "ready", "shutdown"]),
    ),
    max_size=12,
)


@given(updates)
def test_the_indexes_kept_through_updates_are_the_ones_made_afresh(writes):
    store = store_with(task("t1"), task("t2", "s2"), task("t3", state="pending"))
    for index, (id, service, node, state, desired) in enumerate(writes, start=2):
        obj = {"ID": id, "ServiceID": service, "Status": {"State": state}}
        obj |= {"DesiredState": desired} | ({"NodeID": node} if node else {})
        store.apply(index, Batch((Change.update("tasks", obj),)))
    afresh = Store()
    afresh.restore(store.snapshot())
    assert indexes(store) == indexes(afresh)


def test_what_empties_an_index_frees_what_it_held():
    # A set or dict keeps its table when emptied: the 95,000 tasks swarm2k's scheduler
    # placed would leave each manager 4 MiB of an empty set, a removed service its dict.
    store = store_with(*(task(f"t{i}", state="pending") | {"NodeID": "n1"} for i in range(5000)))
    placed = tuple(Change.update("tasks", task(f"t{i}") | {"NodeID": "n2"}) for i in range(5000))
    store.apply(2, Batch(placed))
    assert list(store.pending_tasks()) == []
    assert sys.getsizeof(store._unassigned) == sys.getsizeof(set())
    assert "n1" not in store._tasks_by_node
    store.apply(3, Batch(tuple(Change.delete("tasks", f"t{i}") for i in range(5000))))
    assert store._tasks_by_service == {} and store._tasks_by_node == {}
    assert indexes(store) == indexes(Store())


@given(updates)
def test_managers_applying_the_same_batches_find_how_each_update_moves_its_task_once(writes):
    # Every manager applies the very same Change over the same state: the first to apply
    # it finds how it moves the task in the indexes, the others read it.
    import miniswarm.manager.store as store_module

    stores = [store_with(task("t1"), task("t2", "s2"), task("t3", state="pending"))]
    stores.append(Store())
    stores[1].restore(stores[0].snapshot())
    looked = []
    moved = store_module._moved
    store_module._moved = lambda *a: looked.append(a) or moved(*a)
    try:
        for index, (id, service, node, state, desired) in enumerate(writes, start=2):
            obj = {"ID": id, "ServiceID": service, "Status": {"State": state}}
            obj |= {"DesiredState": desired} | ({"NodeID": node} if node else {})
            batch = Batch((Change.update("tasks", obj),))
            for store in stores:
                store.apply(index, batch)
    finally:
        store_module._moved = moved
    assert len(looked) == len(writes)
    afresh = Store()
    afresh.restore(stores[0].snapshot())
    assert indexes(stores[0]) == indexes(stores[1]) == indexes(afresh)


slot_writes = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete"]),
        st.sampled_from(["t1", "t2", "t3", "t4"]),
        st.sampled_from(["s1", "s2"]),
        st.sampled_from([0, 1, 2]),  # its slot (0: none, a global task's)
        st.sampled_from([None, "n1", "n2"]),  # its node
        st.sampled_from(["pending", "running", "failed"]),
    ),
    max_size=15,
)
SLOTS = [(s, key) for s in ("s1", "s2") for key in (1, 2, "n1", "n2", "")]


@given(slot_writes, st.booleans())
@example([("put", "t2", "s1", 0, "n1", "running"), ("put", "t2", "s1", 1, "n1", "running")], True)
def test_a_services_slots_are_its_tasks_in_each_slot_in_the_order_it_lists_them(writes, early):
    store = store_with(task("t1") | {"Slot": 1}, task("t2", "s2") | {"NodeID": "n1"})
    if early:  # asked before the writes: the index is kept through them
        for service, key in SLOTS:
            store.tasks_in_slot(service, key)
    for index, (action, id, service, slot, node, state) in enumerate(writes, start=2):
        obj = task(id, service, state) | ({"Slot": slot} if slot else {})
        obj |= {"NodeID": node} if node else {}
        exists = store.get("tasks", id) is not None
        if action == "delete" and exists:
            store.apply(index, Batch((Change.delete("tasks", id),)))
        elif action == "put":
            store.apply(index, Batch((Change("update" if exists else "create", "tasks", obj),)))
    assert all(ids for slots in store._slots.values() for ids in slots.values())  # none empty
    for service, key in SLOTS:
        listed = [t["ID"] for t in store.tasks_of_service(service) if slot_key(t) == key]
        assert list(store.tasks_in_slot(service, key)) == listed, (service, key)


@given(st.lists(st.integers(0, 450), max_size=12))
def test_a_batch_goes_in_entries_of_200_changes_splitting_only_a_write_that_has_more(sizes):
    ends = [sum(sizes[: i + 1]) for i in range(len(sizes))]
    got = entries(ends)
    assert [a for a, _ in got] == [0, *(b for _, b in got[:-1])][: len(got)]  # in order
    assert (got[-1][1] if got else 0) == (ends[-1] if ends else 0)
    assert all(0 < b - a <= MAX_CHANGES for a, b in got)
    cuts = {b for _, b in got}
    for start, end, size in zip([0, *ends], ends, sizes, strict=False):
        if size <= MAX_CHANGES:  # a write that fits one entry is never split
            assert not any(start < cut < end for cut in cuts), (start, end, got)


def test_a_bulk_write_is_committed_in_entries_and_its_writers_answered_once_all_are():
    class Clock:
        def __init__(self) -> None:
            self.due: list = []

        def wallclock(self) -> float:
            return 0.0

        def after(self, delay: float, fn, *args) -> None:
            self.due.append((fn, args))

    proposed: list[tuple[Batch, Future]] = []

    def propose(batch: Batch) -> Future:
        proposed.append((batch, Future()))
        return proposed[-1][1]

    clock = Clock()
    writer = Writer(Store(), clock, propose)  # type: ignore[arg-type]
    bulk = writer.update(lambda tx: [tx.create("tasks", task(f"t{i}")) for i in range(450)])
    one = writer.update(lambda tx: tx.create("tasks", task("t1000")))
    fn, args = clock.due.pop()
    fn(*args)
    assert [len(b.changes) for b, _ in proposed] == [200, 200, 51]
    for _, fut in proposed[:2]:
        fut.set_result(None)
    assert not bulk.done() and not one.done()  # the last entry is not committed yet
    proposed[2][1].set_exception(RuntimeError("lost leadership"))
    assert isinstance(bulk.exception(), RuntimeError) and isinstance(one.exception(), RuntimeError)


def refused_by_the_rules(store: Store, changes: list[Change]) -> str | None:
    """What the store's rules refuse a batch with, checked one change at a time over
    what the batch's earlier changes left (a create or update checked against the
    committed object: its version, its name)."""
    exists = {(k, id): True for k in ("tasks", "services") for id in store.tables[k]}
    names = {(k, o["Spec"]["Name"]): o["ID"] for k in ("services",) for o in store.all(k)}
    for ch in changes:
        key, committed = (ch.kind, ch.target), store.get(ch.kind, ch.target)
        name = ch.obj.get("Spec", {}).get("Name") if ch.obj else None
        if ch.action == "create":
            if exists.get(key) or (ch.kind == "services" and names.get((ch.kind, name))):
                return "AlreadyExists"
            exists[key] = True
            if ch.kind == "services":
                names[(ch.kind, name)] = ch.target
        elif not exists.get(key):
            return "NotFound"
        elif ch.action == "delete":
            exists[key] = False
            if committed is not None and ch.kind == "services":
                names[(ch.kind, committed["Spec"]["Name"])] = None
        elif committed is not None:
            if ch.version is not None and committed["Version"]["Index"] != ch.version:
                return "Unknown"
            if ch.kind == "services" and name != committed["Spec"]["Name"]:
                return "Unimplemented"
    return None


changes = st.lists(
    st.tuples(
        st.sampled_from(["create", "update", "delete"]),
        st.sampled_from(["tasks", "services"]),
        st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["web", "db"]),
        st.sampled_from([None, 1, 2]),
    ).map(
        lambda c: (
            Change.delete(c[1], c[2])
            if c[0] == "delete"
            else Change(
                c[0],
                c[1],
                {"ID": c[2], "Spec": {"Name": c[3]}, "Status": {"State": "new"}},
                version=c[4] if c[0] == "update" else None,
            )
        )  # fmt: skip
    ),
    max_size=6,
)


@given(st.lists(changes, max_size=4))
def test_a_batch_is_refused_exactly_when_a_change_breaks_a_rule_and_then_changes_nothing(
    batches,
):
    store = Store()
    store.apply(1, Batch((Change.create("services", {"ID": "a", "Spec": {"Name": "web"}}),)))
    for index, batch in enumerate(batches, start=2):
        before = store.snapshot()
        why = refused_by_the_rules(store, batch)
        try:
            store.apply(index, Batch(tuple(batch)))
        except StoreError as exc:
            assert exc.code == why
            assert store.snapshot() == before
        else:
            assert why is None


@given(st.dictionaries(st.text(max_size=4), st.integers(), max_size=8))
def test_an_object_is_shown_without_the_stores_own_keys_and_is_left_as_it_was(obj):
    before = dict(obj)
    view = public(obj)
    assert list(view.items()) == [(k, v) for k, v in before.items() if not k.startswith("_")]
    assert obj == before and view is not obj
