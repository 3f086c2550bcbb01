"""The leader's orchestration controllers (`manager/orchestrator.py`, `restarts.py`,
`updater.py`) driven without a lab: a bare store, a clock moved by hand, writes that
commit at once, and a stand-in for the nodes that runs what it is told to."""

from __future__ import annotations

from unittest.mock import patch

from controllers import Leader, node, service, task
from hypothesis import example, given, settings
from hypothesis import strategies as st

from miniswarm import taskstate
from miniswarm.gocompat import rfc3339nano
from miniswarm.manager import orchestrator
from miniswarm.manager.orchestrator import Orchestrator


def nodes_obey(lead: Leader) -> None:
    """What the workers would report: a task meant to run runs, one told to stop stops."""
    for t in sorted(lead.tasks(), key=lambda t: t["ID"]):
        state, desired = t["Status"]["State"], t["DesiredState"]
        if desired == "running" and taskstate.before(state, "running"):
            to = "running"
        elif taskstate.rank(desired) > taskstate.rank("running") and not taskstate.terminal(state):
            to = "shutdown"
        else:
            continue
        new = {**t, "NodeID": t.get("NodeID") or "a"}
        new["Status"] = {"Timestamp": rfc3339nano(lead.clock.now()), "State": to}
        lead.set("tasks", new)


def run(lead: Leader, seconds: float, step: float = 0.1) -> None:
    for _ in range(round(seconds / step)):
        lead.clock.advance(step)
        nodes_obey(lead)


def running(lead: Leader, sid: str = "web") -> list[dict]:
    return [
        t
        for t in lead.tasks(sid)
        if t["Status"]["State"] == "running" and t["DesiredState"] == "running"
    ]


def started(replicas: int = 3, **spec) -> Leader:
    lead = Leader(seed=3)
    lead.put("nodes", node("a"), node("b"))
    lead.put("services", service("web", replicas=replicas, **spec))
    Orchestrator(lead.context).start()
    run(lead, 1)
    return lead


def test_a_new_service_gets_a_task_in_each_slot():
    lead = started(3)
    assert sorted(t["Slot"] for t in running(lead)) == [1, 2, 3]


def test_scaling_down_removes_the_extra_tasks_and_the_reaper_deletes_them():
    lead = started(3)
    web = lead.store.get("services", "web")
    spec = {**web["Spec"], "Mode": {"Replicated": {"Replicas": 1}}}
    lead.set("services", {**web, "Spec": spec})
    run(lead, 1)
    assert len(running(lead)) == 1
    assert len(lead.tasks("web")) == 1  # removed and stopped: gone


def test_a_failed_task_is_replaced_in_its_slot_after_the_restart_delay():
    lead = started(1, RestartPolicy={"Condition": "any", "Delay": int(5e9)})
    (t,) = running(lead)
    lead.set("tasks", {**t, "Status": {**t["Status"], "State": "failed"}})
    run(lead, 1)
    (new,) = [x for x in lead.tasks("web") if x["ID"] != t["ID"]]
    assert (new["Slot"], new["DesiredState"]) == (1, "ready")  # waiting out the delay
    run(lead, 4.5)
    assert running(lead) and running(lead)[0]["ID"] == new["ID"]


def test_the_restart_policy_can_say_no():
    lead = started(1, RestartPolicy={"Condition": "on-failure"})
    (t,) = running(lead)
    lead.set("tasks", {**t, "Status": {**t["Status"], "State": "complete"}})
    run(lead, 10)
    assert [x["ID"] for x in lead.tasks("web")] == [t["ID"]]


def test_a_rolling_update_replaces_one_slot_at_a_time_and_completes():
    lead = started(3)
    web = lead.store.get("services", "web")
    spec = {**web["Spec"], "UpdateConfig": {**web["Spec"]["UpdateConfig"], "Monitor": int(5e9)}}
    spec["TaskTemplate"] = {**spec["TaskTemplate"], "ContainerSpec": {"Image": "nginx:1.25"}}
    lead.set("services", {**web, "Spec": spec, "_spec_version": 2})
    for _ in range(200):
        run(lead, 0.1)
        coming = [
            t
            for t in lead.tasks("web")
            if t["_spec_version"] == 2 and t["Status"]["State"] != "running"
        ]
        assert len(coming) <= 1  # parallelism 1: one slot at a time
    assert {t["Spec"]["ContainerSpec"]["Image"] for t in running(lead)} == {"nginx:1.25"}
    status = lead.store.get("services", "web")["UpdateStatus"]
    assert (status["State"], status["Message"]) == ("completed", "update completed")


# -- a slot's tasks, as a write batch sees them (the updater's and the reaper's) ----------

slot_writes = st.lists(
    st.tuples(
        st.sampled_from(("create", "update", "delete", "fail", "ask", "commit")),
        st.integers(0, 5),  # which task
        st.integers(1, 3),  # its slot
        st.sampled_from(("web", "db")),  # its service
    ),
    max_size=25,
)


@given(slot_writes)
@example([("ask", 0, 1, "web"), ("create", 1, 1, "web"), ("ask", 0, 1, "web")])
@example([("fail", 0, 1, "web"), ("create", 1, 1, "web"), ("ask", 0, 1, "web")])
@example([("ask", 0, 1, "web"), ("create", 1, 1, "web"), ("commit", 0, 1, "web"),
          ("delete", 1, 1, "web"), ("ask", 0, 1, "web")])  # fmt: skip
@settings(max_examples=150, deadline=None)
def test_a_write_sees_a_slots_tasks_as_a_scan_of_its_service_would(writes):
    # Each write of a batch may ask for one slot's tasks; what it is given is what a scan
    # of the service's tasks in that write would find, whatever the writes before it (in
    # its batch, and committed in the batches before) did.
    from miniswarm.manager.store import Batch
    from miniswarm.manager.writer import Tx
    from miniswarm.services import slot_key

    lead = Leader()
    web, db = service("web", replicas=3), service("db", replicas=3)
    lead.put("services", web, db)
    lead.put("tasks", *(task(web, f"c{i}", slot=i % 3 + 1) for i in range(4)))
    tx = Tx(lead.store, 0.0)
    made = set()  # (swarm never makes two tasks with one ID)
    for action, n, slot, svc in writes:
        mark = tx.mark()
        current = tx.get("tasks", f"t{n}")
        if action == "create" and n not in made:
            made.add(n)
            tx.create("tasks", task(web if svc == "web" else db, f"t{n}", slot=slot))
        elif action == "update" and current is not None:
            tx.update("tasks", {**current, "DesiredState": "shutdown"})
        elif action == "delete" and current is not None:
            tx.delete("tasks", f"t{n}")
        elif action == "fail":  # a write that looks, then raises: its changes are undone
            tx.create("tasks", task(web, f"u{n}", slot=slot))
            tx.tasks_in_slot("web", slot)
            tx.undo(mark)
        elif action == "commit" and tx.changes:  # the batch commits; the next one begins
            lead.store.apply(lead.store.index + 1, Batch(tuple(tx.changes)))
            tx = Tx(lead.store, 0.0)
        if action == "ask":
            scanned = [t for t in tx.tasks_of_service(svc) if slot_key(t) == slot]
            assert tx.tasks_in_slot(svc, slot) == scanned
            # the reaper's two ways to the same slots: in one pass, or slot by slot
            keys = [3, slot, 9]
            with patch.object(orchestrator, "LOOKUP_AT_MOST", 0):
                in_one_pass = orchestrator._slots_of(tx, svc, keys)
            by_lookup = orchestrator._slots_of(tx, svc, keys)
            assert in_one_pass == by_lookup
            assert by_lookup.get(slot, []) == scanned
