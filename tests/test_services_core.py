"""Services as sets of tasks, the pure core (`miniswarm/services.py`): a service, its
tasks and the nodes in; what to create, shut down, delete or replace out."""

from __future__ import annotations

from random import Random

from controllers import node, service, task
from hypothesis import given, settings
from hypothesis import strategies as st

from miniswarm import services
from miniswarm.services import Create, Delete, Desire


def never(_: dict) -> bool:
    return False


def always(_: dict) -> bool:
    return True


def creates(plan: services.Plan) -> list[Create]:
    return [a for a in plan.actions if isinstance(a, Create)]


def desires(plan: services.Plan) -> list[tuple[str, str]]:
    return [(a.task["ID"], a.state) for a in plan.actions if isinstance(a, Desire)]


def deletes(plan: services.Plan) -> list[str]:
    return [a.task_id for a in plan.actions if isinstance(a, Delete)]


# -- replicated ---------------------------------------------------------------------------------


def test_scaling_up_fills_the_lowest_free_slots():
    web = service("web", replicas=4)
    tasks = [task(web, "t1", slot=1, state="running"), task(web, "t3", slot=3, state="running")]
    plan = services.reconcile_replicated(web, tasks, always)
    assert creates(plan) == [Create(slot=2), Create(slot=4)]
    assert sorted(plan.keep) == [1, 3]


def test_scaling_down_keeps_running_tasks_and_one_copy_per_node_first():
    web = service("web", replicas=2)
    tasks = [
        task(web, "t1", slot=1, node_id="a", state="running"),
        task(web, "t2", slot=2, node_id="a", state="running"),
        task(web, "t3", slot=3, node_id="b", state="running"),
        task(web, "t4", slot=4, node_id="b", state="preparing"),
    ]
    plan = services.reconcile_replicated(web, tasks, always)
    assert sorted(plan.keep) == [1, 3]
    assert desires(plan) == [("t2", "remove"), ("t4", "remove")]


def test_a_dead_slot_is_deleted_unless_a_new_task_takes_it():
    web = service("web", replicas=1)
    dead = task(web, "old", slot=2, state="failed", desired="shutdown")
    plan = services.reconcile_replicated(web, [dead], always)
    assert creates(plan) == [Create(slot=1)] and deletes(plan) == ["old"]
    plan = services.reconcile_replicated(service("web", replicas=2), [dead], always)
    assert creates(plan) == [Create(slot=1), Create(slot=2)] and deletes(plan) == []


def test_a_slot_stopped_for_good_stays_the_slots():
    job = service("job", replicas=1)
    done = task(job, "t1", slot=1, state="complete")
    plan = services.reconcile_replicated(job, [done], never)  # the policy says no restart
    assert plan.actions == [] and list(plan.keep) == [1]


# -- global -------------------------------------------------------------------------------------


def test_a_global_service_has_one_task_on_each_eligible_node():
    agent = service("agent", mode="global", Placement={"Constraints": ["node.role==worker"]})
    nodes = [
        node("m", role="manager"),
        node("w1"),
        node("w2"),
        node("w3", availability="pause"),
        node("w4", availability="drain"),
    ]
    running = [
        task(agent, "on-w2", node_id="w2", state="running"),
        task(agent, "on-w4", node_id="w4", state="running"),
        task(agent, "on-m", node_id="m", state="running"),
    ]
    plan = services.reconcile_global(agent, running, nodes, always)
    assert creates(plan) == [Create(node_id="w1")]  # not the paused w3
    assert desires(plan) == [("on-m", "shutdown"), ("on-w4", "shutdown")]
    assert list(plan.keep) == ["w2"]


def test_a_removed_nodes_global_tasks_are_deleted_at_once():
    agent = service("agent", mode="global")
    gone = task(agent, "t", node_id="old", state="running")
    plan = services.reconcile_global(agent, [gone], [node("a")], always)
    assert deletes(plan) == ["t"]


def test_a_removed_service_deletes_what_never_ran_and_asks_the_rest_to_go():
    web = service("web", replicas=3)
    tasks = [
        task(web, "new", slot=1, state="pending"),
        task(web, "up", slot=2, state="running"),
        task(web, "dead", slot=3, state="failed", desired="shutdown"),
    ]
    acts = services.remove_service(tasks)
    assert [type(a).__name__ for a in acts] == ["Delete", "Desire", "Delete"]


# -- restarts -----------------------------------------------------------------------------------


def policy(**rp) -> dict:
    return service("web", RestartPolicy=rp)


def test_the_restart_condition():
    failed = task(policy(), "t", state="failed")
    complete = task(policy(), "t", state="complete")
    assert services.should_restart(policy(Condition="any"), complete, [])
    assert not services.should_restart(policy(Condition="on-failure"), complete, [])
    assert services.should_restart(policy(Condition="on-failure"), failed, [])
    assert not services.should_restart(policy(Condition="none"), failed, [])
    assert not services.should_restart(None, failed, [])


def test_max_attempts_count_within_the_window_and_start_again_with_a_new_spec():
    svc = policy(MaxAttempts=2, Window=int(10e9))
    t = task(svc, "t", state="failed", created=100.0)
    assert services.should_restart(svc, t, [95.0])
    assert not services.should_restart(svc, t, [95.0, 99.0])
    assert services.should_restart(svc, t, [80.0, 85.0])  # outside the window
    older = task(svc, "t", state="failed", created=100.0, spec_version=0)
    assert services.should_restart(svc, older, [95.0, 99.0])


def test_no_restart_delay_off_a_drained_node():
    svc = policy(Delay=int(5e9))
    assert services.restart_delay(svc, node("a")) == 5.0
    assert services.restart_delay(svc, None) == 5.0
    assert services.restart_delay(svc, node("a", availability="drain")) == 0.0


# -- the reaper ---------------------------------------------------------------------------------


def test_removed_tasks_are_deleted_once_stopped():
    web = service("web")
    assert services.reap(task(web, "t", state="running", desired="remove"), False) == "wait"
    assert services.reap(task(web, "t", state="shutdown", desired="remove"), False) == "delete"
    assert services.reap(task(web, "t", state="pending"), True) == "delete"
    assert services.reap(task(web, "t", state="running"), False) is None


def test_each_slot_keeps_its_newest_history():
    web = service("web")
    cluster = {"Spec": {"Orchestration": {"TaskHistoryRetentionLimit": 2}}}
    assert services.history_limit(cluster, web) == 2
    assert services.history_limit(cluster, policy(MaxAttempts=4)) == 5
    slot = [task(web, f"t{i}", slot=1, state="failed", created=i) for i in range(4)]
    slot.append(task(web, "live", slot=1, state="running", created=9))
    assert [t["ID"] for t in services.history_to_delete(slot, 2)] == ["t0", "t1", "t2"]
    assert services.history_to_delete(slot, -1) == []


# -- rolling updates ----------------------------------------------------------------------------


def test_which_slots_an_update_replaces():
    old = service("web", replicas=3)
    new = service("web", replicas=3, Placement={"Constraints": ["node.labels.disk==ssd"]})
    new["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = "nginx:latest"
    ssd, hdd = node("a", labels={"disk": "ssd"}), node("b", labels={"disk": "hdd"})
    slots = {
        1: [task(old, "on-ssd", slot=1, node_id="a", state="running")],
        2: [task(old, "on-hdd", slot=2, node_id="b", state="running")],
        3: [task(new, "x", slot=3, state="running"), task(new, "y", slot=3, state="running")],
    }
    dirty = services.dirty_slots(new, slots, {"a": ssd, "b": hdd}.get)
    assert sorted(dirty) == [2, 3]  # a constraint its node still meets changes nothing
    image = service("web", replicas=3)
    image["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = "nginx:1.25"
    assert sorted(services.dirty_slots(image, slots, {"a": ssd, "b": hdd}.get)) == [1, 2, 3]


@given(st.lists(st.integers(1, 50), unique=True), st.integers(0, 100))
def test_an_update_walks_every_dirty_slot_once_in_a_random_order(slots, seed):
    order = services.update_order(slots, Random(seed))
    assert sorted(order) == sorted(slots)
    assert order == services.update_order(list(reversed(slots)), Random(seed))


def test_failures_beyond_the_ratio_trigger_the_failure_action():
    config = {"FailureAction": "pause", "MaxFailureRatio": 0.2, "Monitor": int(5e9)}
    assert services.failure_action(config, 2, 10) is None
    assert services.failure_action(config, 3, 10) == "pause"
    assert services.failure_action({**config, "FailureAction": "continue"}, 10, 10) is None
    assert services.failed_early(None, 100.0, config)
    assert services.failed_early(96.0, 100.0, config)
    assert not services.failed_early(90.0, 100.0, config)


def test_the_update_status_words_swarm_uses():
    web = service("web")
    web["PreviousSpec"] = {"Name": "web", "was": True}
    web["_previous_spec_version"] = 0
    started = services.updating(web, 10.0)
    assert started["UpdateStatus"]["Message"] == "update in progress"
    back = services.after_failure(started, False, "rollback", "abc", 20.0)
    assert back["Spec"] == {"Name": "web", "was": True} and "PreviousSpec" not in back
    assert back["UpdateStatus"]["State"] == "rollback_started"
    assert back["UpdateStatus"]["Message"] == (
        "update rolled back due to failure or early termination of task abc"
    )
    paused = services.after_failure(back, True, "pause", "def", 30.0)
    assert (paused["UpdateStatus"]["State"], paused["UpdateStatus"]["Message"]) == (
        "rollback_paused",
        "update paused due to failure or early termination of task def",
    )
    done = services.completed(started, False, 40.0)["UpdateStatus"]
    assert (done["State"], done["Message"]) == ("completed", "update completed")
    assert list(done) == ["State", "StartedAt", "CompletedAt", "Message"]


@settings(max_examples=80, deadline=None)
@given(
    want=st.integers(0, 12),
    states=st.lists(st.sampled_from(["running", "preparing", "failed", "shutdown"]), max_size=12),
    nodes=st.integers(1, 4),
)
def test_a_replicated_plan_ends_with_exactly_the_replicas_wanted(want, states, nodes):
    web = service("web", replicas=want)
    tasks = [
        task(
            web,
            f"t{i}",
            slot=i + 1,
            node_id=f"n{i % nodes}",
            state=s,
            desired="shutdown" if s in ("failed", "shutdown") else "running",
        )
        for i, s in enumerate(states)
    ]
    plan = services.reconcile_replicated(web, tasks, always)
    removed = {tid for tid, state in desires(plan) if state == "remove"}
    live = {t["Slot"] for t in tasks if t["DesiredState"] == "running" and t["ID"] not in removed}
    new = {a.slot for a in creates(plan)}
    assert not live & new
    assert set(plan.keep) == live  # what stays is what an update may replace
    assert len(live | new) == want
