"""Swarm behaviour the notes teach that the recordings do not show: the warning about two
managers, a demoted leader handing over, and a partition that leaves a minority of
managers unable to do anything while the majority carries on."""

from __future__ import annotations

import pytest

from miniswarm.lab import Lab
from miniswarm.repl import Session

WARNING = (
    "WARNING: Running Swarm in a two-manager configuration. This configuration provides\n"
    "         no fault tolerance, and poses a high risk to lose control over the cluster.\n"
    "         Refer to https://docs.docker.com/engine/swarm/admin_guide/ to configure the\n"
    "         Swarm for fault-tolerance.\n"
)


def managers(lab: Lab, on: str) -> dict[str, str]:
    r = lab.docker(
        on,
        ["node", "ls", "--filter", "role=manager", "--format", "{{.Hostname}} {{.ManagerStatus}}"],
    )
    assert r.status == 0, r.err
    return dict(line.split() for line in r.out.splitlines())


@pytest.mark.parametrize(("count", "warned"), [(1, False), (2, True), (3, False), (4, False)])
def test_docker_info_warns_when_there_are_exactly_two_managers(count, warned):
    lab = Lab()
    names = lab.names
    lab.form_swarm(names[:count], names[count:])
    r = lab.docker("manager1", ["info"])
    assert r.status == 0
    assert r.err == (WARNING if warned else "")


def test_a_demoted_leader_hands_leadership_over_first(seed):
    lab = Lab(seed=seed)
    lab.form_swarm(["manager1", "manager2", "manager3"], ["worker1"])
    assert managers(lab, "manager1")["manager1"] == "Leader"
    r = lab.docker("manager1", ["node", "demote", "manager1"])
    assert (r.out, r.status) == ("Manager manager1 demoted in the swarm.\n", 0)
    lab.sleep(10)
    status = managers(lab, "manager2")
    assert set(status) == {"manager2", "manager3"}, f"seed {seed}: {status}"
    assert sorted(status.values()) == ["Leader", "Reachable"]
    r = lab.docker("manager1", ["node", "ls"])
    assert r.status == 1 and "Worker nodes can't be used" in r.err
    r = lab.docker("manager2", ["node", "update", "--label-add", "after=demotion", "worker1"])
    assert r.status == 0


def test_a_minority_of_managers_cut_off_cannot_do_anything(seed):
    lab = Lab(seed=seed)
    lab.form_swarm(["manager1", "manager2", "manager3"], ["worker1", "worker2"])
    assert managers(lab, "manager1")["manager1"] == "Leader"
    lab.partition(["manager1", "worker1"], ["manager2", "manager3", "worker2"])
    lab.sleep(40)  # CheckQuorum: a leader unheard by a majority steps down; the rest elect

    r = lab.docker("manager1", ["node", "update", "--availability", "drain", "worker2"])
    assert r.status == 1, f"seed {seed}: the cut-off manager accepted a change"
    assert "The swarm does not have a leader" in r.err
    majority = managers(lab, "manager2")
    assert "Leader" in (majority["manager2"], majority["manager3"])
    assert majority["manager1"] == "Unreachable"
    assert (
        lab.docker("manager2", ["node", "update", "--label-add", "side=majority", "worker2"]).status
        == 0
    )

    lab.heal()
    lab.sleep(30)
    healed = managers(lab, "manager1")
    assert healed["manager1"] == "Reachable", f"seed {seed}: {healed}"
    r = lab.docker("manager1", ["node", "inspect", "--format", "{{json .Spec.Labels}}", "worker2"])
    assert r.out == '{"side":"majority"}\n'


@pytest.mark.parametrize(
    "argv",
    [["swarm", "ca", "--rotate"]],
)
def test_what_the_lab_cannot_do_yet_it_says_so_rather_than_pretend(argv):
    lab = Lab()
    lab.form_swarm(["manager1"], [])
    r = lab.docker("manager1", argv)
    assert r.status == 1 and r.out == ""
    assert r.err.startswith("miniswarm: ") and "not part of this lab" in r.err


def test_workers_that_join_together_all_join_as_workers():
    # (as swarm3k's volunteers joined: a big lab forms in a batch's time, not a host's)
    hosts = [(f"h{i}", f"10.0.9.{i + 1}") for i in range(12)]
    lab = Lab(hosts, seed=5)
    try:
        lab.form_swarm(["h0"], [h for h, _ in hosts[1:]], at_once=5)
        rows = lab.docker("h0", ["node", "ls", "--format", "{{.Hostname}} {{.Status}}"]).out
        assert sorted(rows.split()) == sorted([h for h, _ in hosts] + ["Ready"] * 12)
        info = lab.docker("h7", ["info", "--format", "{{.Swarm.ControlAvailable}}"]).out
        assert info.strip() == "false"
    finally:
        lab.close()


@pytest.mark.parametrize("seed", range(3))
def test_a_manager_advertising_an_address_not_its_own_is_still_ready_and_runs_tasks(seed):
    # moby takes any IP to advertise (a NAT's, say); the node's own agent talks to its
    # manager locally (swarmkit's connection broker), not by that address
    lab = Lab(seed=seed)
    elsewhere = lab.address("manager2")
    r = lab.docker("manager1", ["swarm", "init", "--advertise-addr", elsewhere])
    assert r.status == 0, r.err
    r = lab.docker("manager1", "service create -d --name web --replicas 2 -p 80:80 nginx".split())
    assert r.status == 0, r.err
    lab.sleep(10)
    node = lab.docker("manager1", "node ls --format {{.Status}}/{{.ManagerStatus}}".split())
    assert node.out == "Ready/Leader\n", f"seed {seed}"
    states = lab.docker("manager1", "service ps --format {{.CurrentState}} web".split()).out
    assert [s.split()[0] for s in states.splitlines()] == ["Running", "Running"], f"seed {seed}"
    session = Session(lab)  # and the routing mesh reaches them on the node itself
    assert "Welcome to nginx!" in session.feed("curl -s localhost"), f"seed {seed}"
