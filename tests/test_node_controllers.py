"""The leader's node-facing controllers (`manager/dispatcher.py`, `allocator.py`,
`rolemanager.py`) driven without a lab: a bare store, a clock moved by hand, writes that
commit at once, and the agents' side recorded instead of sent."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest
from controllers import Leader, node, service, task

from miniswarm.manager import networks
from miniswarm.manager.allocator import NETWORK_DELETE_DELAY, Allocator
from miniswarm.manager.dispatcher import (
    DOWN_MESSAGE,
    EVENT_PAUSED_GAP,
    GRACE,
    MODIFICATION_BATCH_LIMIT,
    Assignments,
    Dispatcher,
)
from miniswarm.manager.rolemanager import RoleManager
from miniswarm.manager.store import Batch, Change
from miniswarm.rpc import RpcError

PERIOD = 5.0  # the cluster's default heartbeat period, seconds
MANAGERS = [("m1", "10.0.0.1:2377")]


def dispatching() -> tuple[Leader, Dispatcher, list[tuple[str, Any]]]:
    lead = Leader(seed=5)
    lead.put("nodes", node("a"), node("b"))
    sent: list[tuple[str, Any]] = []
    d = Dispatcher(lead.context, lambda to, msg: sent.append((to, msg)), lambda: MANAGERS)
    d.start()
    lead.clock.advance(0.1)
    return lead, d, sent


def state(lead: Leader, node_id: str) -> str:
    return lead.store.get("nodes", node_id)["Status"]["State"]


def test_a_registered_node_is_ready_and_gets_its_assignments():
    lead, d, sent = dispatching()
    reply = d.register({"node_id": "a", "addr": "10.0.0.5"})
    assert reply["managers"] == MANAGERS and reply["role"] == "worker"
    assert abs(reply["period"] - PERIOD) <= 0.5  # the period, with its jitter
    lead.clock.advance(0.1)
    assert state(lead, "a") == "ready"
    assert [(to, type(msg)) for to, msg in sent] == [("10.0.0.5", Assignments)]


def test_a_new_leader_knows_no_node_until_it_registers():
    lead, d, _ = dispatching()
    assert {state(lead, n) for n in ("a", "b")} == {"unknown"}


def test_a_node_that_stops_heartbeating_is_down_after_the_grace_periods():
    lead, d, _ = dispatching()
    d.register({"node_id": "a", "addr": "10.0.0.5"})
    lead.clock.advance(PERIOD * GRACE - 2)
    assert state(lead, "a") == "ready"
    lead.clock.advance(4)
    node_a = lead.store.get("nodes", "a")
    assert node_a["Status"]["State"] == "down"
    assert node_a["Status"]["Message"] == DOWN_MESSAGE


def test_heartbeats_keep_a_node_ready():
    lead, d, _ = dispatching()
    session = d.register({"node_id": "a", "addr": "10.0.0.5"})["session_id"]
    for _ in range(10):
        lead.clock.advance(PERIOD)
        d.heartbeat({"node_id": "a", "session_id": session})
    assert state(lead, "a") == "ready"


def test_a_heartbeat_gets_the_assignments_again_only_if_the_last_did_not_arrive():
    lead, d, sent = dispatching()
    session = d.register({"node_id": "a", "addr": "10.0.0.5"})["session_id"]
    lead.clock.advance(0.1)
    ((_, first),) = sent
    beat = {"node_id": "a", "session_id": session, "assigned": first.seq}
    d.heartbeat(beat)
    assert len(sent) == 1  # the agent has it: nothing to send
    d.heartbeat(dict(beat, assigned=None))  # it was lost on the way
    assert [msg.tasks for _, msg in sent[1:]] == [first.tasks] and sent[1][1].seq > first.seq


def test_after_the_whole_set_a_node_is_sent_what_changed_of_its_tasks():
    lead, d, sent = dispatching()
    web = service("web", replicas=3)
    one, two, three = (task(web, f"t{i}", slot=i, node_id="a", state="assigned") for i in (1, 2, 3))
    lead.put("services", web)
    lead.put("tasks", one, two)
    session = d.register({"node_id": "a", "addr": "10.0.0.5"})["session_id"]
    lead.clock.advance(0.1)
    whole, *rest = (msg for _, msg in sent)
    assert whole.complete and {t["ID"] for t in whole.tasks} == {"t1", "t2"}
    assert all(not m.complete and not m.tasks and not m.removed for m in rest)  # nothing new
    lead.set("tasks", {**two, "DesiredState": "shutdown"})
    lead.put("tasks", three)
    lead.clock.advance(0.1)
    changes = sent[-1][1]
    assert not changes.complete and changes.seq == len(sent)
    assert sorted(t["ID"] for t in changes.tasks) == ["t2", "t3"] and changes.removed == ()
    lead.store.apply(lead.store.index + 1, Batch((Change.delete("tasks", "t1"),)))
    lead.clock.advance(0.1)
    assert (sent[-1][1].tasks, sent[-1][1].removed) == ((), ("t1",))
    # the agent says it missed one: the whole set again
    d.heartbeat({"node_id": "a", "session_id": session, "assigned": whole.seq})
    again = sent[-1][1]
    assert again.complete and {t["ID"] for t in again.tasks} == {"t2", "t3"}


def test_a_status_the_agent_reported_is_not_sent_back_to_it():
    # swarmkit's assignmentSet.addOrUpdateTask: past ASSIGNED a task's status is the
    # agent's own report, so a change of status alone is no news to the agent
    lead, d, sent = dispatching()
    web = service("web", replicas=2)
    one, two = (task(web, f"t{i}", slot=i, node_id="a", state="assigned") for i in (1, 2))
    lead.put("services", web)
    lead.put("tasks", one, two)
    d.register({"node_id": "a", "addr": "10.0.0.5"})
    lead.clock.advance(0.1)
    before = len(sent)
    for state in ("accepted", "preparing", "starting", "running"):
        lead.set("tasks", {**one, "Status": {"State": state}, "UpdatedAt": state})
        lead.clock.advance(0.1)
    assert len(sent) == before
    # a change a manager made goes, and with it nothing of the other's status
    lead.set("tasks", {**two, "Status": {"State": "running"}})
    lead.set("tasks", {**lead.store.get("tasks", "t1"), "DesiredState": "shutdown"})
    lead.clock.advance(0.1)
    ((_, changes),) = sent[before:]
    assert [t["ID"] for t in changes.tasks] == ["t1"]
    # the managers set a status at ASSIGNED and below: that is news
    lead.set("tasks", {**lead.store.get("tasks", "t2"), "Status": {"State": "assigned"}})
    lead.clock.advance(0.1)
    assert [t["ID"] for t in sent[-1][1].tasks] == ["t2"]
    # news, then a report before the set goes: what the agent was told is what counts
    lead.set("tasks", {**lead.store.get("tasks", "t2"), "DesiredState": "shutdown"})
    lead.set("tasks", {**lead.store.get("tasks", "t2"), "Status": {"State": "running"}})
    lead.clock.advance(0.1)
    assert [t["DesiredState"] for t in sent[-1][1].tasks] == ["shutdown"]


def test_the_mesh_tables_are_made_once_for_the_entries_of_a_bulk_write(monkeypatch):
    lead, d, sent = dispatching()
    d.register({"node_id": "a", "addr": "10.0.0.5"})
    lead.clock.advance(0.1)
    made = []
    table = d._mesh_table
    monkeypatch.setattr(d, "_mesh_table", lambda: made.append(1) or table())
    web = service("web", replicas=600)
    lead.put("services", web)
    for first in range(0, 600, 200):  # one write of 600 tasks: three entries
        tasks = [
            task(web, f"t{i}", slot=i + 1, node_id="a", state="assigned")
            for i in range(first, first + 200)
        ]
        lead.put("tasks", *tasks)
    lead.clock.advance(0.1)
    assert made == [1]
    assert {t["ID"] for _, m in sent if not m.complete for t in m.tasks} == {
        f"t{i}" for i in range(600)
    }


def test_a_burst_of_changes_goes_to_a_node_as_one_set_once_it_pauses():
    lead, d, sent = dispatching()
    d.register({"node_id": "a", "addr": "10.0.0.5"})
    lead.clock.advance(0.1)
    before = len(sent)
    web = service("web", replicas=30)
    lead.put("services", web)
    for i in range(3):  # three changes, 30 ms apart: still one burst
        lead.put("tasks", task(web, f"t{i}", slot=i + 1, node_id="a", state="assigned"))
        lead.clock.advance(0.03)
    assert len(sent) == before  # the changes have not paused yet
    lead.clock.advance(EVENT_PAUSED_GAP)
    ((_, changes),) = sent[before:]
    assert sorted(t["ID"] for t in changes.tasks) == ["t0", "t1", "t2"]
    many = [
        task(web, f"u{i}", slot=i + 4, node_id="a", state="assigned")
        for i in range(MODIFICATION_BATCH_LIMIT)
    ]
    lead.put("tasks", *many)
    lead.clock.advance(0.001)  # that many go at once, without waiting for a pause
    assert len(sent[-1][1].tasks) == MODIFICATION_BATCH_LIMIT


def test_a_heartbeat_of_an_old_session_is_refused():
    lead, d, _ = dispatching()
    old = d.register({"node_id": "a", "addr": "10.0.0.5"})["session_id"]
    d.register({"node_id": "a", "addr": "10.0.0.5"})
    with pytest.raises(RpcError, match="node not registered"):
        d.heartbeat({"node_id": "a", "session_id": old})


def test_a_node_the_store_does_not_know_cannot_register():
    _, d, _ = dispatching()
    with pytest.raises(RpcError, match="node not found"):
        d.register({"node_id": "zz", "addr": "10.0.0.9"})


def test_new_tasks_get_an_ingress_address_and_move_on_to_pending():
    lead = Leader(seed=2)
    lead.put("networks", networks.ingress_network(lead.rng, 0.0))
    web = service("web", replicas=2)
    t1 = task(web, "t1", slot=1, state="new")
    t2 = task(web, "t2", slot=2, state="new")
    t1["Endpoint"] = t2["Endpoint"] = {"Ports": [{"TargetPort": 80, "PublishedPort": 80}]}
    lead.put("services", web)
    lead.put("tasks", t1, t2)
    Allocator(lead.context).start()
    lead.clock.advance(0.1)
    tasks = sorted(lead.tasks(), key=lambda t: t["ID"])
    assert [t["Status"]["State"] for t in tasks] == ["pending", "pending"]
    addresses = [t["NetworksAttachments"][0]["Addresses"][0] for t in tasks]
    assert len(set(addresses)) == 2 and all(a.startswith("10.0.0.") for a in addresses)


def test_a_removed_network_is_deleted_a_moment_later():
    lead = Leader(seed=2)
    net = networks.ingress_network(lead.rng, 0.0)
    lead.put("networks", net)
    Allocator(lead.context).start()
    lead.set("networks", {**net, "_pending_delete": True})
    lead.clock.advance(NETWORK_DELETE_DELAY[0] / 2)
    assert lead.store.get("networks", net["ID"]) is not None
    lead.clock.advance(NETWORK_DELETE_DELAY[1])
    assert lead.store.get("networks", net["ID"]) is None


class Members:
    """A leader's Raft membership, as the role manager sees it: members by node."""

    def __init__(self, lead: Leader, members: dict[str, str]) -> None:
        self.raft: Any = None
        self.leading = True
        self.member_id = "m-a"
        self.by_node = members
        self.removed: list[str] = []
        self.lead = lead

    def member_of_node(self, node_id: str) -> str | None:
        return self.by_node.get(node_id)

    def remove_member(self, member: str) -> Future:
        self.removed.append(member)
        self.by_node = {n: m for n, m in self.by_node.items() if m != member}
        done: Future = Future()
        done.set_result(None)
        return done


def roles(members: dict[str, str]) -> tuple[Leader, Members]:
    lead = Leader(seed=1)
    lead.put(
        "nodes",
        {**node("a", role="manager"), "_role": "manager"},
        {**node("b", role="manager"), "_role": "manager"},
        {**node("c"), "_role": "worker"},
    )
    m = Members(lead, members)
    RoleManager(lead.context, m, lambda node_id, role: f"cert {node_id} {role}").start()
    return lead, m


def observed(lead: Leader, node_id: str) -> tuple[str, str]:
    n = lead.store.get("nodes", node_id)
    return n["_role"], n.get("_certificate", "")


def test_a_promoted_node_becomes_a_manager_with_a_new_certificate():
    lead, _ = roles({"a": "m-a", "b": "m-b"})
    lead.set("nodes", {**lead.store.get("nodes", "c"), "Spec": node("c", role="manager")["Spec"]})
    lead.clock.advance(0.1)
    assert observed(lead, "c") == ("manager", "cert c manager")


def test_a_demoted_node_leaves_raft_before_it_becomes_a_worker():
    lead, members = roles({"a": "m-a", "b": "m-b"})
    lead.set("nodes", {**lead.store.get("nodes", "b"), "Spec": node("b")["Spec"]})
    lead.clock.advance(0.1)
    assert members.removed == ["m-b"]
    assert observed(lead, "b") == ("worker", "cert b worker")
