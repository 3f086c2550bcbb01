"""Reconciliation, as a property: whatever hosts crash and come back, whatever nodes are
drained and made active again and however the service is scaled meanwhile, once every
host is up and active again and time passes,

- the replicated service runs exactly its replicas, one task per slot (which slots is
  swarm's choice when it scales down) — checked on the containers the hosts really run,
  and the managers agree;
- the global service runs exactly one task on every node, and nothing else runs;
- no task runs on a node that is down or drained;
- and a fresh scale-up spreads as the scheduler promises: the service's tasks differ by
  at most one between nodes.

The examples are derandomized (the same ones on every run); a failing example prints the
lab's seed and the steps, and replays from them. MINISWARM_RECONCILE_EXAMPLES=N runs more.
"""

from __future__ import annotations

import os
from collections import Counter

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, note, settings

from miniswarm.lab import Lab

HOSTS = ["manager1", "manager2", "manager3", "worker1", "worker2"]
EXAMPLES = int(os.environ.get("MINISWARM_RECONCILE_EXAMPLES", "25"))
CONVERGE = 240.0  # simulated seconds allowed after healing (down detection, restart delays)

step = st.one_of(
    st.tuples(st.just("crash"), st.sampled_from(HOSTS)),
    st.tuples(st.just("restart"), st.sampled_from(HOSTS)),
    st.tuples(st.just("drain"), st.sampled_from(HOSTS)),
    st.tuples(st.just("activate"), st.sampled_from(HOSTS)),
    st.tuples(st.just("scale"), st.integers(0, 9)),
    st.tuples(st.just("kill"), st.sampled_from(HOSTS)),
    st.tuples(st.just("wait"), st.sampled_from([0.5, 2.0, 7.0, 20.0])),
)


def docker(lab: Lab, argv: str, host: str | None = None) -> tuple[int, str]:
    """Run on the given host, or on the first manager that is up."""
    hosts = [host] if host else [h for h in HOSTS[:3] if lab.kernel.host(h).up]
    for h in hosts:
        r = lab.docker(h, argv.split())
        if r.status == 0:
            return 0, r.out
    return 1, ""


def running_containers(lab: Lab) -> dict[str, list[str]]:
    """host -> names of the service containers running there"""
    out = {}
    for h in HOSTS:
        daemon = lab.kernel.host(h).process  # None while the host is down
        containers = daemon.runtime.containers.values() if daemon else ()
        out[h] = sorted(c.name for c in containers if c.running)
    return out


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    seed=st.integers(0, 2**31 - 1),
    replicas=st.integers(1, 8),
    steps=st.lists(step, min_size=1, max_size=12),
)
def test_after_any_faults_the_services_heal_to_exactly_what_is_desired(seed, replicas, steps):
    note(f"lab seed {seed}")
    lab = Lab(seed=seed)
    lab.form_swarm(HOSTS[:3], HOSTS[3:])
    assert docker(lab, f"service create -d --name web --replicas {replicas} nginx")[0] == 0
    assert docker(lab, "service create -d --name agent --mode global busybox sleep 1d")[0] == 0
    lab.sleep(3)
    for kind, arg in steps:
        if kind == "crash":
            lab.stop(arg)
        elif kind == "restart":
            if not lab.kernel.host(arg).up:
                lab.start(arg)
        elif kind in ("drain", "activate"):
            availability = "drain" if kind == "drain" else "active"
            docker(lab, f"node update --availability {availability} {arg}")
        elif kind == "scale":
            # Without a quorum it may fail and still take effect later: a leader that
            # lost its followers keeps the entry, and commits it once they are back.
            docker(lab, f"service scale -d web={arg}")
        elif kind == "kill":
            names = running_containers(lab)[arg] if lab.kernel.host(arg).up else []
            if names:
                docker(lab, f"rm -f {names[0]}", arg)
        else:
            lab.sleep(arg)

    # Heal: every host up, every node active.
    for h in HOSTS:
        if not lab.kernel.host(h).up:
            lab.start(h)
    lab.sleep(30)
    for h in HOSTS:
        docker(lab, f"node update --availability active {h}")

    status, out = docker(lab, "service inspect --format {{.Spec.Mode.Replicated.Replicas}} web")
    want = int(out) if status == 0 else -1

    def converged() -> bool:
        status, out = docker(lab, "node ls --format {{.Status}}")
        if status != 0 or out.split() != ["Ready"] * len(HOSTS):
            return False
        names = running_containers(lab)
        web = Counter(n.split(".")[1] for ns in names.values() for n in ns if n[:4] == "web.")
        agents = [sum(n.startswith("agent.") for n in ns) for ns in names.values()]
        return len(web) == want and set(web.values()) <= {1} and agents == [1] * 5

    deadline = lab.now() + CONVERGE
    while not converged():
        assert lab.now() < deadline, (
            f"seed {seed}: not healed {CONVERGE:.0f} s after the faults ended: "
            f"{running_containers(lab)}"
        )
        lab.sleep(1.0)

    # The managers agree with the hosts: one running task per slot, none twice.
    status, out = docker(lab, "service ps --filter desired-state=running --format {{.Name}} web")
    assert status == 0
    assert sorted(out.split()) == sorted({n.split(".")[0] + "." + n.split(".")[1]
                                          for ns in running_containers(lab).values()
                                          for n in ns if n.startswith("web.")})  # fmt: skip
    status, out = docker(lab, "service ls --format {{.Name}}={{.Replicas}}")
    assert sorted(out.split()) == sorted([f"agent={5}/{5}", f"web={want}/{want}"])

    # A fresh scale-up spreads the service evenly over the (healed) nodes.
    docker(lab, "service scale -d web=0")
    lab.sleep(5)
    docker(lab, "service scale -d web=7")
    lab.sleep(5)
    per_host = [sum(n.startswith("web.") for n in ns) for ns in running_containers(lab).values()]
    assert sum(per_host) == 7 and max(per_host) - min(per_host) <= 1, per_host
    lab.close()
