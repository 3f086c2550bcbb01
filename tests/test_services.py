"""Services on the five-host lab (SimDriver): what the reference recordings show swarm
doing — spread, scaling, global mode, restarts, failures, rolling updates — asserted on
what the docker commands print."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from miniswarm.lab import Lab

MANAGERS = ["manager1", "manager2", "manager3"]
WORKERS = ["worker1", "worker2"]


@pytest.fixture
def lab():
    lab = Lab(seed=7)
    lab.form_swarm(MANAGERS, WORKERS)
    yield lab
    lab.close()


def ok(lab: Lab, line: str, host: str = "manager1") -> str:
    r = lab.docker(host, line.split())
    assert r.status == 0, f"seed 7: {line}: {r.err}"
    return r.out


def rows(
    lab: Lab, service: str, fmt: str = "{{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}"
):
    r = lab.docker("manager1", ["service", "ps", service, "--format", fmt])
    assert r.status == 0, r.err
    return [line.split() for line in r.out.splitlines()]


def states_of(lab: Lab, service: str) -> list[tuple[str, str, str]]:
    """(node, desired state, current state) of each task, the node empty when unassigned"""
    fmt = "{{.Node}}|{{.DesiredState}}|{{.CurrentState}}"
    out = []
    for line in ok(lab, f"service ps --format {fmt} {service}").splitlines():
        node, desired, current = line.split("|")
        out.append((node, desired, current.split()[0]))
    return out


def test_replicas_spread_one_per_node_then_to_the_emptiest(lab):
    ok(lab, "service create -d --name web --replicas 5 nginx")
    lab.sleep(3)
    nodes = Counter(r[1] for r in rows(lab, "web"))
    assert sorted(nodes.values()) == [1, 1, 1, 1, 1]
    ok(lab, "service scale -d web=8")
    lab.sleep(3)
    nodes = Counter(r[1] for r in rows(lab, "web"))
    assert sorted(nodes.values()) == [1, 1, 2, 2, 2]
    assert "8/8" in ok(lab, "service ls")


def test_a_new_task_is_pending_with_no_node_then_runs_within_two_seconds(lab):
    ok(lab, "service create -d --name web --replicas 2 nginx")
    first = rows(lab, "web", "{{.Node}}|{{.CurrentState}}")
    assert all(r[0].startswith("|Pending") for r in first)
    lab.sleep(2)
    assert all(r[3] == "Running" for r in rows(lab, "web"))


def test_scaling_down_keeps_the_lowest_slots_and_the_removed_vanish(lab):
    ok(lab, "service create -d --name web --replicas 8 nginx")
    lab.sleep(3)
    ok(lab, "service scale -d web=3")
    during = rows(lab, "web")
    assert [r[2] for r in during].count("Remove") == 5
    lab.sleep(5)
    after = rows(lab, "web")
    assert [r[0] for r in after] == ["web.1", "web.2", "web.3"]
    assert "3/3" in ok(lab, "service ls")


def test_a_global_service_runs_once_on_every_node_and_refuses_scale(lab):
    ok(lab, "service create -d --name gweb --mode global nginx")
    lab.sleep(3)
    names = [r[0] for r in rows(lab, "gweb")]
    assert len(names) == 5 and all(len(n.split(".", 1)[1]) == 25 for n in names)
    r = lab.docker("manager1", "service scale gweb=3".split())
    assert r.status == 1
    assert r.err == "gweb: scale can only be used with replicated or replicated-job mode\n"


def test_a_missing_image_is_rejected_and_tried_again(lab):
    ok(lab, "service create -d --name ghost nginx:9.99")
    lab.sleep(12)
    out = ok(lab, "service ps --no-trunc ghost")
    assert out.count('"No such image: nginx:9.99"') >= 2
    assert "0/1" in ok(lab, "service ls")


def test_a_killed_container_is_replaced_in_its_slot_after_the_restart_delay(lab):
    ok(lab, "service create -d --name web --replicas 1 nginx")
    lab.sleep(3)
    node = rows(lab, "web")[0][1]
    cid = ok(lab, "ps -q", host=node).split()[0]
    ok(lab, f"kill {cid}", host=node)
    lab.sleep(1)
    out = ok(lab, "service ps --no-trunc web")
    assert '"task: non-zero exit (137)"' in out
    lab.sleep(6)
    current = rows(lab, "web")[0]
    assert current[0] == "web.1" and current[2:4] == ["Running", "Running"]


def test_tasks_of_a_crashed_worker_are_replaced_and_not_moved_back(lab):
    ok(lab, "service create -d --name web --replicas 5 nginx")
    lab.sleep(3)
    lab.stop("worker1")
    lab.sleep(25)
    running = [r for r in rows(lab, "web") if r[2] == "Running"]
    assert len(running) == 5 and all(r[1] != "worker1" for r in running)
    lab.start("worker1")
    lab.sleep(20)
    running = [r for r in rows(lab, "web") if r[2] == "Running"]
    assert all(r[1] != "worker1" for r in running)


def test_an_update_to_a_missing_image_pauses_and_a_rollback_restores(lab):
    ok(lab, "service create -d --name web --replicas 3 nginx:1.10")
    lab.sleep(3)
    ok(lab, "service update -d --image nginx:9.99 web")
    lab.sleep(3)
    status = ok(lab, "service inspect --format {{.UpdateStatus.State}} web")
    assert status == "paused\n"
    message = ok(lab, "service inspect --format {{.UpdateStatus.Message}} web")
    assert message.startswith("update paused due to failure or early termination of task ")
    r = lab.docker("manager1", "service rollback web".split())
    assert r.status == 0, r.err
    assert r.out.splitlines()[:2] == ["web", "rollback: manually requested rollback"]
    assert r.out.splitlines()[-2:] == [
        "verify: Service web converged",
        "rollback: rollback completed",
    ]
    running = [r for r in rows(lab, "web", "{{.Image}} {{.DesiredState}}") if r[1] == "Running"]
    assert running == [["nginx:1.10", "Running"]] * 3


def test_a_rolling_update_replaces_tasks_in_batches_with_the_delay(lab):
    ok(
        lab,
        "service create -d --name web --replicas 4 --update-parallelism 2 "
        "--update-delay 10s nginx:1.10",
    )
    lab.sleep(3)
    ok(lab, "service update -d --image nginx:1.11 web")
    lab.sleep(4)
    images = Counter(
        r[0] for r in rows(lab, "web", "{{.Image}} {{.DesiredState}}") if r[1] == "Running"
    )
    assert images == Counter({"nginx:1.11": 2, "nginx:1.10": 2})
    lab.sleep(25)  # the second batch, its delay, and the monitor (delay + 1 s)
    assert ok(lab, "service inspect --format {{.UpdateStatus.State}} web") == "updating\n"
    lab.sleep(10)
    assert ok(lab, "service inspect --format {{.UpdateStatus.State}} web") == "completed\n"


def test_an_unsatisfiable_constraint_leaves_the_task_pending_with_swarms_reason(lab):
    ok(lab, "service create -d --name c --constraint node.labels.zone==east nginx")
    lab.sleep(2)
    out = ok(lab, "service ps --no-trunc c")
    assert '"no suitable node (scheduling constraints not satisfied on 5 nodes)"' in out
    ok(lab, "node update --label-add zone=east worker2")
    lab.sleep(3)
    assert rows(lab, "c")[0][1:4] == ["worker2", "Running", "Running"]


@pytest.mark.parametrize(
    "line, err",
    [
        (
            "service create -d --name web nginx",
            "Error response from daemon: rpc error: code = AlreadyExists desc = name conflicts"
            " with an existing object: service web already exists\n",
        ),
        (
            "service create -d --name bad/name nginx",
            "Error response from daemon: rpc error: code = InvalidArgument desc = name must be"
            " valid as a DNS name component\n",
        ),
        ("service ps nosuch", "no such service: nosuch\n"),
        ("service rm nosuch", "Error response from daemon: service nosuch not found\n"),
        (
            "service scale nosuch=3",
            "nosuch: Error response from daemon: service nosuch not found\n",
        ),
        ("service update --replicas 3 gweb", "replicas can only be used with replicated mode\n"),
        ("service logs nosuch", "no such task or service: nosuch\n"),
    ],
)
def test_service_errors_are_dockers(lab, line, err):
    ok(lab, "service create -d --name web nginx")
    ok(lab, "service create -d --name gweb --mode global nginx")
    r = lab.docker("manager1", line.split())
    assert (r.status, r.err) == (1, err)


def test_a_worker_cannot_list_services(lab):
    r = lab.docker("worker1", "service ls".split())
    assert r.status == 1 and r.err.startswith(
        "Error response from daemon: This node is not a swarm manager."
    )


def test_service_logs_prefix_each_line_with_the_task_and_node(lab):
    ok(lab, "service create -d --name pinger --replicas 1 busybox ping -c 3 localhost")
    lab.sleep(6)
    out = ok(lab, "service logs pinger")
    first = out.splitlines()[0]
    assert (
        first.startswith("pinger.1.") and "    | PING localhost (127.0.0.1): 56 data bytes" in first
    )


def test_a_task_status_lost_with_the_leader_is_reported_again_to_the_next_one():
    """The leader takes a report in, then loses quorum before writing it: the agent sees
    the managers' view lag behind its own and says it again (swarmkit's task manager does)."""
    lab = Lab(seed=0)
    lab.form_swarm(MANAGERS, WORKERS)
    ok(lab, "service create -d --name agent --mode global busybox sleep 1d")
    lab.sleep(3)
    lab.stop("manager2")
    lab.stop("manager3")
    runtime = lab.kernel.host("manager1").process.runtime
    victim = next(c for c in runtime.containers.values() if c.running)
    ok(lab, f"rm -f {victim.name}")
    # A write ahead of the report waits for a quorum that never comes; the leader steps
    # down with both unwritten.
    r = lab.docker("manager1", "node update --label-add x=y worker1".split())
    assert "node lost leader status" in r.err
    lab.start("manager2")
    lab.start("manager3")
    lab.sleep(60)
    states = [r[2:4] for r in rows(lab, "agent") if r[1] == "manager1"]
    assert ["Running", "Running"] in states
    assert ["Shutdown", "Failed"] in states
    assert "5/5" in ok(lab, "service ls")


def test_service_ps_filters_by_node_name_or_self_and_by_task_name_prefix(lab):
    ok(lab, "service create -d --name web --replicas 5 nginx")
    lab.sleep(3)
    rows_ = ok(lab, "service ps --format {{.Name}}/{{.Node}} web").split()
    every = dict(row.split("/") for row in rows_)
    on_worker1 = ok(lab, "service ps --filter node=worker1 --format {{.Name}} web").split()
    assert on_worker1 == [name for name, node in every.items() if node == "worker1"]
    mine = ok(lab, "service ps --filter node=self --format {{.Name}} web", host="manager2").split()
    assert mine == [name for name, node in every.items() if node == "manager2"]
    assert ok(lab, "service ps --filter name=web.3 --format {{.Name}} web").split() == ["web.3"]
    r = lab.docker("manager1", "service ps --filter node=nosuch web".split())
    assert (r.status, r.err) == (1, "Error response from daemon: node nosuch not found\n")


def test_a_constraint_without_a_known_operator_is_refused_at_create(lab):
    r = lab.docker("manager1", "service create -d --constraint node.labels.zone=east nginx".split())
    assert (r.status, r.err) == (
        1,
        "Error response from daemon: rpc error: code = Unknown desc = constraint expected one "
        "operator from ==, !=\n",
    )
    assert ok(lab, "service ls -q") == ""


def test_tasks_rejected_by_the_constraint_enforcer_are_replaced_and_wait(lab):
    ok(lab, "node update --label-add zone=east worker1")
    ok(lab, "service create -d --name east --replicas 2 --constraint node.labels.zone==east nginx")
    lab.sleep(3)
    ok(lab, "node update --label-rm zone worker1")
    lab.sleep(8)
    states = sorted(states_of(lab, "east"))
    assert states == [("", "Running", "Pending")] * 2 + [("worker1", "Shutdown", "Rejected")] * 2
    ok(lab, "node update --label-add zone=east worker1")
    lab.sleep(2)
    running = [s for s in states_of(lab, "east") if s[1] == "Running"]
    assert running == [("worker1", "Running", "Running")] * 2


def test_a_pending_task_shut_down_by_an_update_shows_shutdown(lab):
    ok(lab, "service create -d --name nowhere --constraint node.labels.zone==mars nginx")
    lab.sleep(3)
    ok(lab, "service update -d --constraint-rm node.labels.zone==mars nowhere")
    lab.sleep(2)
    states = [s[1:] for s in states_of(lab, "nowhere")]
    assert states == [("Running", "Running"), ("Shutdown", "Shutdown")]


def test_service_ps_without_a_leader_says_so_rather_than_no_such_service(lab):
    ok(lab, "service create -d --name web nginx")
    lab.stop("manager1")
    lab.stop("manager2")
    lab.sleep(30)
    r = lab.docker("manager3", "service ps web".split())
    assert r.status == 1
    assert "The swarm does not have a leader" in r.err and "no such service" not in r.err


def test_a_service_of_thousands_of_tasks_is_removed_with_work_in_proportion():
    """Found by the hostile fuzzer: the task reaper looked through all of a service's
    tasks again for every slot it emptied — removing 20,000 replicas took minutes of
    wall time, 100,000 froze the lab."""
    from miniswarm.manager.writer import Tx

    lab = Lab([("solo", "10.0.0.1")], seed=3)
    lab.form_swarm(["solo"], [])
    argv = "service create -d --name many --replicas 2000 busybox sleep 1d".split()
    assert lab.docker("solo", argv).status == 0
    lab.sleep(60)
    looks = 0
    tasks_of_service = Tx.tasks_of_service

    def counted(self, service_id):
        nonlocal looks
        looks += 1
        return tasks_of_service(self, service_id)

    Tx.tasks_of_service = counted
    try:
        assert lab.docker("solo", ["service", "rm", "many"]).status == 0
        lab.sleep(60)
    finally:
        Tx.tasks_of_service = tasks_of_service
    assert lab.docker("solo", ["service", "ls", "-q"]).out == ""
    assert looks < 100


def test_a_node_starts_thousands_of_containers_with_work_in_proportion():
    """Found by the hostile fuzzer: each new container looked through all the node's
    containers twice (its task's, and a free bridge address) — 20,000 replicas on one
    node took minutes to start."""
    lab = Lab([("solo", "10.0.0.1")], seed=3)
    lab.form_swarm(["solo"], [])
    runtime = lab.kernel.host("solo").process.runtime
    looks = 0

    class Watched(dict):
        def values(self):
            nonlocal looks
            looks += 1
            return super().values()

    runtime.containers = Watched(runtime.containers)
    argv = "service create -d --name many --replicas 2000 busybox sleep 1d".split()
    assert lab.docker("solo", argv).status == 0
    lab.sleep(60)
    assert len(runtime.containers) == 2000
    addresses = {c.address for c in runtime.containers.values()}
    assert len(addresses) == 2000  # each its own
    assert looks < 500


def test_service_ps_names_the_nodes_of_many_tasks_as_each_nodes_inspect_would(monkeypatch):
    from miniswarm.cli.commands import tasks

    names = MANAGERS + [f"worker{i}" for i in range(1, 20)]
    lab = Lab([(name, f"10.0.1.{i + 1}") for i, name in enumerate(names)], seed=3)
    lab.form_swarm(MANAGERS, names[3:])
    ok(lab, f"service create -d --name web --replicas {len(names)} nginx")
    lab.sleep(30)
    gone = ok(lab, "node inspect --format {{.ID}} worker7").strip()
    ok(lab, "node rm --force worker7")  # its task's node is listed no more
    lab.sleep(10)
    listed = ok(lab, "service ps web")
    on = set(ok(lab, "service ps --no-resolve --format {{.Node}} web").split())
    assert len(on) > tasks.RESOLVE_BY_LIST and gone in on
    monkeypatch.setattr(tasks, "RESOLVE_BY_LIST", 10**6)  # each node inspected, as docker does
    assert ok(lab, "service ps web") == listed
    assert gone in listed and "worker8" in listed
    lab.close()


def test_service_ps_quiet_lists_the_tasks_the_table_lists_in_its_order(lab):
    ok(lab, "service create -d --name web --replicas 3 nginx:1.24")
    lab.sleep(10)
    ok(lab, "service update -d --image nginx:1.25 web")  # old tasks beside the new ones
    lab.sleep(20)
    table = ok(lab, "service ps --no-trunc --format {{.ID}} web").split()
    assert len(table) == 6 and ok(lab, "service ps -q web").split() == table
    nodes = " ".join(MANAGERS + WORKERS)
    shut = "--filter desired-state=shutdown"
    quiet = ok(lab, f"node ps -q {shut} {nodes}").split()
    assert len(quiet) == 3
    assert quiet == ok(lab, f"node ps --no-trunc --format {{{{.ID}}}} {shut} {nodes}").split()


def test_service_ps_filtered_by_node_lists_the_services_tasks_on_that_node_only(lab):
    ok(lab, "service create -d --name web --replicas 6 nginx:1.24")
    ok(lab, "service create -d --name db --replicas 6 nginx:1.24")
    lab.sleep(10)
    fmt = "--format {{.Name}}@{{.Node}}"
    placed = [line.split("@") for line in ok(lab, f"service ps {fmt} web db").splitlines()]
    node = placed[0][1]
    want = sorted(name for name, on in placed if on == node and name.startswith("web."))
    got = [
        line.split("@") for line in ok(lab, f"service ps --filter node={node} {fmt} web").split()
    ]
    assert sorted(name for name, _ in got) == want and {on for _, on in got} == {node}


def test_service_ps_prints_json_as_docker_marshals_a_task_row(lab):
    ok(lab, "service create -d --name web --replicas 2 nginx:1.24")
    lab.sleep(10)
    rows = [json.loads(line) for line in ok(lab, "service ps --format json web").splitlines()]
    assert [list(row) for row in rows] == [
        ["CurrentState", "DesiredState", "Error", "ID", "Image", "Name", "Node", "Ports"]
    ] * 2  # the fields by name, as encoding/json sorts a map's keys
    assert [row["Name"] for row in rows] == ["web.1", "web.2"]
    assert {row["Image"] for row in rows} == {"nginx:1.24"} and len(rows[0]["ID"]) == 12
    r = lab.docker("manager1", "service ps --format {{.Nope}} web".split())
    assert "can't evaluate field Nope in type *task.taskContext" in r.err
