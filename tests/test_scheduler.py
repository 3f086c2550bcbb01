"""The scheduler as a pure core (`miniswarm/scheduler.py`): nodes and pending tasks in,
decisions out — and the leader's controller that runs it (`manager/scheduling.py`),
driven on a bare store with a clock moved by hand."""

from __future__ import annotations

from collections import Counter
from random import Random

from controllers import Leader, node, service, task
from hypothesis import example, given, settings
from hypothesis import strategies as st

from miniswarm import scheduler, taskstate
from miniswarm.manager.scheduling import Scheduling
from miniswarm.manager.store import Batch, Change
from miniswarm.manager.writer import Tx


def infos(*nodes: dict, tasks: tuple[dict, ...] = ()) -> dict[str, scheduler.NodeInfo]:
    return scheduler.node_infos(nodes, lambda nid: [t for t in tasks if t.get("NodeID") == nid])


def placed(decisions: list) -> Counter[str]:
    return Counter(d.node_id for d in decisions if isinstance(d, scheduler.Assign))


def errors(decisions: list) -> list[str]:
    return [d.err for d in decisions if isinstance(d, scheduler.Unplaced)]


def pending(svc: dict, n: int, **kw) -> list[dict]:
    return [task(svc, f"{svc['ID']}-{i}", slot=i, **kw) for i in range(1, n + 1)]


def test_tasks_spread_evenly_over_the_nodes():
    web = service("web", replicas=6)
    out = scheduler.schedule(pending(web, 6), infos(node("a"), node("b"), node("c")), Random(1))
    assert placed(out) == {"a": 2, "b": 2, "c": 2}
    assert all(d.message == "scheduler assigned task to node" for d in out)


def test_fewest_tasks_of_the_service_first_then_fewest_tasks_in_all():
    web, db = service("web"), service("db")
    busy = [task(db, f"db{i}", node_id="a", state="running") for i in range(3)]
    out = scheduler.schedule(
        pending(web, 2), infos(node("a"), node("b"), node("c"), tasks=tuple(busy)), Random(1)
    )
    assert placed(out) == {"b": 1, "c": 1}  # a carries three tasks of another service


def test_a_down_or_drained_node_takes_nothing_and_says_why():
    web = service("web", replicas=2)
    nodes = infos(node("a", state="down"), node("b", availability="drain"))
    out = scheduler.schedule(pending(web, 2), nodes, Random(1))
    assert errors(out) == ["no suitable node (2 nodes not available for new tasks)"] * 2


def test_reservations_count_what_the_node_has_left():
    big = service("big", replicas=3, Resources={"Reservations": {"NanoCPUs": int(1.5e9)}})
    out = scheduler.schedule(pending(big, 3), infos(node("a"), node("b")), Random(1))
    assert placed(out) == {"a": 1, "b": 1}
    assert errors(out) == ["no suitable node (insufficient resources on 2 nodes)"]


def test_constraints_and_the_reasons_of_each_node_counted():
    web = service("web", Placement={"Constraints": ["node.role==manager"]})
    nodes = infos(node("m", role="manager", state="down"), node("w1"), node("w2"))
    out = scheduler.schedule(pending(web, 1), nodes, Random(1))
    assert errors(out) == [
        "no suitable node (scheduling constraints not satisfied on 2 nodes; "
        "1 node not available for new tasks)"
    ]


def test_a_host_mode_port_is_taken_once_per_node():
    web = service("web", replicas=3)
    ts = pending(web, 3)
    port = {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080, "PublishMode": "host"}
    for t in ts:
        t["Endpoint"] = {"Ports": [port]}
    out = scheduler.schedule(ts, infos(node("a"), node("b")), Random(1))
    assert placed(out) == {"a": 1, "b": 1}
    assert errors(out) == ["no suitable node (host-mode port already in use on 2 nodes)"]


def test_max_replicas_per_node():
    web = service("web", replicas=3, Placement={"MaxReplicas": 1})
    out = scheduler.schedule(pending(web, 3), infos(node("a"), node("b")), Random(1))
    assert placed(out) == {"a": 1, "b": 1}
    assert errors(out) == ["no suitable node (max replicas per node limit exceed)"]


def test_the_platform_filter_reads_go_architecture_names():
    arm = service("arm", Placement={"Platforms": [{"Architecture": "arm64", "OS": "linux"}]})
    out = scheduler.schedule(
        pending(arm, 1), infos(node("x"), node("pi", arch="aarch64")), Random(1)
    )
    assert placed(out) == {"pi": 1}


def test_a_preassigned_task_is_confirmed_or_told_why_alone():
    agent = service("agent", mode="global")
    ok = task(agent, "t1", node_id="a")
    refused = task(agent, "t2", node_id="b")
    out = scheduler.schedule(
        [ok, refused], infos(node("a"), node("b", availability="pause")), Random(1)
    )
    assert [d.message for d in out if isinstance(d, scheduler.Assign)] == [
        "scheduler confirmed task can run on preassigned node"
    ]
    assert errors(out) == ["1 node not available for new tasks"]  # no "no suitable node"


def test_a_task_already_pending_for_the_same_reason_changes_nothing():
    web = service("web")
    (t,) = pending(web, 1)
    t["Status"]["Err"] = "no suitable node (1 node not available for new tasks)"
    assert scheduler.schedule([t], infos(node("a", state="down")), Random(1)) == []


def test_placement_preferences_give_each_label_value_an_equal_share():
    web = service(
        "web",
        replicas=4,
        Placement={"Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}]},
    )
    nodes = infos(
        node("a", labels={"zone": "east"}),
        node("b", labels={"zone": "west"}),
        node("c", labels={"zone": "west"}),
        node("d", labels={"zone": "west"}),
    )
    out = scheduler.schedule(pending(web, 4), nodes, Random(1))
    assert placed(out)["a"] == 2  # east's half, on its one node


def test_only_ties_are_left_to_chance():
    web = service("web", replicas=1)
    where = {
        d.node_id
        for seed in range(30)
        for d in scheduler.schedule(pending(web, 1), infos(node("a"), node("b")), Random(seed))
    }
    assert where == {"a", "b"}
    again = [scheduler.schedule(pending(web, 1), infos(node("a"), node("b")), Random(7))]
    assert again == [scheduler.schedule(pending(web, 1), infos(node("a"), node("b")), Random(7))]


def test_why_lists_the_nodes_in_the_order_the_spread_tries_them():
    web = service("web")
    mine = task(web, "old", node_id="b", state="running")
    rows = scheduler.why(
        task(web, "t"), infos(node("a", state="down"), node("b"), node("c"), tasks=(mine,))
    )
    assert [(i.node["ID"], refused) for i, refused in rows] == [
        ("c", None),
        ("b", None),
        ("a", "ready"),
    ]


@settings(max_examples=60, deadline=None)
@given(
    n_nodes=st.integers(1, 6),
    n_tasks=st.integers(1, 30),
    drained=st.sets(st.integers(0, 5)),
    seed=st.integers(0, 1000),
)
def test_every_placement_passes_the_filters_and_the_spread_stays_even(
    n_nodes, n_tasks, drained, seed
):
    web = service("web", replicas=n_tasks)
    nodes = [
        node(f"n{i}", availability="drain" if i in drained else "active") for i in range(n_nodes)
    ]
    out = scheduler.schedule(pending(web, n_tasks), infos(*nodes), Random(seed))
    usable = [n["ID"] for n in nodes if n["Spec"]["Availability"] == "active"]
    counts = placed(out)
    assert set(counts) <= set(usable)
    if usable:
        assert sum(counts.values()) == n_tasks
        spread = [counts[n] for n in usable]
        assert max(spread) - min(spread) <= 1
    else:
        assert len(errors(out)) == n_tasks


# -- the controller -------------------------------------------------------------------------


nodes_states = st.lists(
    st.tuples(
        st.sampled_from(["ready", "down", "unknown"]),
        st.sampled_from(["active", "drain", "pause"]),
        st.sampled_from(["a", "b"]),  # a label a constraint may ask for
    ),
    max_size=8,
)
ASKS = [
    {},
    {"Placement": {"Constraints": ["node.labels.zone==a"]}},
    {"Placement": {"MaxReplicas": 1}},
]


@given(nodes_states, st.sampled_from(range(len(ASKS))), st.booleans())
@example([("down", "active", "a"), ("ready", "active", "a"), ("down", "active", "a")], 0, False)
@example([("down", "drain", "a"), ("ready", "pause", "b")], 0, True)  # none passes
def test_a_pipeline_finds_the_usable_nodes_and_counts_failures_as_node_by_node(
    states, ask, failed_before
):
    nodes = [
        node(f"n{k}", state=state, availability=avail, labels={"zone": zone})
        for k, (state, avail, zone) in enumerate(states)
    ]
    web = service("web", replicas=2, **ASKS[ask])
    one_by_one, at_once = (scheduler.Pipeline(task(web, "t1")) for _ in range(2))
    for pipeline in (one_by_one, at_once):
        if failed_before:  # what an earlier check left counted
            pipeline.failures["resources"] += 2
    found = list(infos(*nodes).values())
    assert at_once.usable(found) == [i for i in found if one_by_one.passes(i)]
    assert at_once.failures == one_by_one.failures
    assert at_once.explain() == one_by_one.explain()


def test_the_controller_places_new_tasks_50_ms_after_the_last_change():
    lead = Leader()
    web = service("web", replicas=2)
    lead.put("nodes", node("a"), node("b"))
    lead.put("services", web)
    Scheduling(lead.context).start()
    lead.put("tasks", *pending(web, 2))
    lead.clock.advance(0.049)
    assert all(t["Status"]["State"] == "pending" for t in lead.tasks())
    lead.clock.advance(0.002)
    assert sorted(t["NodeID"] for t in lead.tasks()) == ["a", "b"]
    assert {t["Status"]["State"] for t in lead.tasks()} == {"assigned"}
    assert lead.writes == 1  # the whole pass is one batch


def test_a_task_that_becomes_pending_gets_a_pass():
    lead = Leader()
    web = service("web")
    lead.put("nodes", node("a"))
    lead.put("services", web)
    lead.put("tasks", *pending(web, 1, state="new"))
    Scheduling(lead.context).start()
    lead.clock.advance(0.1)
    (t,) = lead.tasks()
    assert t["Status"]["State"] == "new"  # not yet allocated: not the scheduler's
    lead.set("tasks", {**t, "Status": {**t["Status"], "State": "pending"}})  # the allocator's
    lead.clock.advance(0.06)
    (t,) = lead.tasks()
    assert (t["Status"]["State"], t["NodeID"]) == ("assigned", "a")


def test_the_controller_runs_a_pass_within_a_second_while_changes_keep_coming():
    lead = Leader()
    web = service("web", replicas=1)
    lead.put("nodes", node("a"))
    lead.put("services", web)
    Scheduling(lead.context).start()
    lead.clock.advance(0.06)  # the first pass found nothing to do
    lead.put("tasks", *pending(web, 1))
    for i in range(40):  # a node changes every 30 ms
        lead.clock.advance(0.03)
        lead.set("nodes", node("a", labels={"n": str(i)}))
        if lead.tasks()[0]["Status"]["State"] == "assigned":
            break
    assert lead.tasks()[0]["Status"]["State"] == "assigned"
    assert 0.95 <= lead.clock.now() - 0.06 <= 1.05


def test_the_controller_writes_why_a_task_waits_and_places_it_when_a_node_comes():
    lead = Leader()
    web = service("web")
    lead.put("nodes", node("a", availability="drain"))
    lead.put("services", web)
    Scheduling(lead.context).start()
    lead.put("tasks", *pending(web, 1))
    lead.clock.advance(0.1)
    (t,) = lead.tasks()
    assert t["Status"]["Err"] == "no suitable node (1 node not available for new tasks)"
    lead.set("nodes", node("a"))
    lead.clock.advance(0.1)
    (t,) = lead.tasks()
    assert (t["Status"]["State"], t["NodeID"]) == ("assigned", "a")


def signature(infos: dict[str, scheduler.NodeInfo]) -> list:
    """What a pass reads of each node, in the order it reads them."""
    return [
        (id, i.node, +i.by_service, i.total, i.cpu, i.memory, +i.ports) for id, i in infos.items()
    ]


STATES = ("pending", "assigned", "running", "failed", "shutdown")
changes = st.lists(
    st.tuples(
        st.sampled_from(("task", "task", "task", "node", "node-gone", "node-new")),
        st.integers(0, 7),  # which task or node
        st.sampled_from(("", "a", "b", "c", "d")),  # its node
        st.sampled_from(STATES),
        st.sampled_from(("running", "shutdown")),
        st.integers(0, 2),  # reserved CPUs / node CPUs
        st.booleans(),  # a host-mode port / drained
    ),
    max_size=30,
)


def mutate(lead: Leader, services: list[dict], change: tuple, tx=None) -> None:
    """One random change, committed (or written in `tx`)."""
    kind, n, node_id, state, desired, cpus, flag = change
    write = tx.update if tx is not None else lead.set
    if kind == "task":
        tid = f"t{n}"
        exists = tx.get("tasks", tid) if tx is not None else lead.store.get("tasks", tid)
        if exists is None:
            t = task(services[flag], tid, node_id=node_id, state=state, desired=desired)
            if flag:  # lb's tasks publish port 80 in host mode
                t["Endpoint"] = {"Ports": [{"Protocol": "tcp", "PublishedPort": 80,
                                            "PublishMode": "host"}]}  # fmt: skip
            tx.create("tasks", t) if tx is not None else lead.put("tasks", t)
        elif state == "failed" and desired == "shutdown":
            tx.delete("tasks", tid) if tx is not None else lead.store.apply(
                lead.store.index + 1,
                Batch((Change.delete("tasks", tid),)),
            )
        else:
            write("tasks", {**exists, "NodeID": node_id, "DesiredState": desired,
                            "Status": {**exists["Status"], "State": state}})  # fmt: skip
    else:
        nid = "abcd"[n % 4]
        exists = tx.get("nodes", nid) if tx is not None else lead.store.get("nodes", nid)
        if kind == "node-gone" and exists is not None:
            tx.delete("nodes", nid) if tx is not None else lead.store.apply(
                lead.store.index + 1, Batch((Change.delete("nodes", nid),))
            )
        elif exists is None:
            new = node(nid, cpus=cpus + 1)
            tx.create("nodes", new) if tx is not None else lead.put("nodes", new)
        else:
            write("nodes", node(nid, cpus=cpus + 1, availability="drain" if flag else "active"))


@given(changes, changes)
@example(  # a task the write moves off a node the controller keeps
    [("task", 0, "a", "running", "running", 0, False)],
    [("task", 0, "b", "running", "running", 0, False)],
)
@settings(max_examples=150, deadline=None)
def test_what_the_controller_keeps_of_each_node_is_what_a_pass_would_count_afresh(
    committed, in_write
):
    lead = Leader()
    lead.put("nodes", node("a"), node("b"))
    services = [
        service("web", replicas=3, Resources={"Reservations": {"NanoCPUs": 10**9}}),
        service("lb", replicas=3),
    ]
    lead.put("services", *services)
    ctl = Scheduling(lead.context)
    ctl.start()
    for change in committed:
        mutate(lead, services, change)
    store = lead.store
    assert signature(ctl._infos) == signature(
        scheduler.node_infos(store.all("nodes"), store.tasks_on_node)
    )
    # A pass in a write that made changes of its own sees them too.
    tx = Tx(store, 0.0)
    for change in in_write:
        mutate(lead, services, change, tx)
    afresh = scheduler.node_infos(
        tx.all("nodes"),
        lambda n: (
            tx.get("tasks", t["ID"]) for t in store.tasks_on_node(n) if tx.get("tasks", t["ID"])
        ),
    )
    assert signature(ctl._infos_in(tx)) == signature(afresh)
    kept = signature(ctl._infos)
    assert signature(ctl._infos_in(tx, shared=True)) == signature(afresh)
    assert signature(ctl._infos) == kept  # (a node a write changed is copied)
    ctl.schedule(tx)  # a pass counts what it places where it sees it...
    assert signature(ctl._infos) == kept  # ...and leaves what is kept as it was


def test_a_task_counts_on_its_node_from_assigned_to_running_while_meant_to_run_or_complete():
    for state in taskstate.ORDER:
        for desired in taskstate.ORDER:
            t = {"Status": {"State": state}, "DesiredState": desired}
            meant = taskstate.active(t)
            on_node = not taskstate.terminal(state) and not taskstate.before(state, "assigned")
            assert scheduler.counts(t) == (meant and on_node), (state, desired)
