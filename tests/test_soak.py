"""A soak of the whole swarm (issue 14): crashes, partitions, drains, promotions and
demotions, scaling, updates, services and secrets removed and made again — then
everything heals, and after a settling period:

- every service runs exactly its desired tasks (replicated: its replicas; global: one on
  every eligible Ready node), on the containers the hosts really run;
- no container runs without a task of its own in the store;
- the managers agree (the same store on every manager);
- no plaintext secret is anywhere a running task of its own does not need it.

Derandomized examples (a few in CI); MINISWARM_SOAK_EXAMPLES=N runs more,
MINISWARM_SOAK_STEPS=N makes each N/2 to N steps long (3 to 14), and MINISWARM_SOAK_EXPLORE=1
lets hypothesis look for new examples. A failing example names the lab's seed and its
steps.
"""

from __future__ import annotations

import os

import hypothesis.strategies as st
from hypothesis import HealthCheck, example, given, note, settings

from miniswarm.lab import Lab

HOSTS = ["manager1", "manager2", "manager3", "worker1", "worker2"]
EXAMPLES = int(os.environ.get("MINISWARM_SOAK_EXAMPLES", "4"))
STEPS = int(os.environ.get("MINISWARM_SOAK_STEPS", "14"))
MIN_STEPS = 3 if STEPS == 14 else STEPS // 2  # long runs are long: hypothesis favours short lists
SETTLE = 300.0  # simulated seconds allowed after healing
SECRET = "soak-Pa55word"

step = st.one_of(
    st.tuples(st.just("crash"), st.sampled_from(HOSTS)),
    st.tuples(st.just("restart"), st.sampled_from(HOSTS)),
    st.tuples(st.just("partition"), st.sampled_from(HOSTS)),
    st.tuples(st.just("heal"), st.none()),
    st.tuples(st.just("drain"), st.sampled_from(HOSTS)),
    st.tuples(st.just("activate"), st.sampled_from(HOSTS)),
    st.tuples(st.just("promote"), st.sampled_from(HOSTS[3:])),
    st.tuples(st.just("demote"), st.sampled_from(HOSTS)),
    st.tuples(st.just("scale"), st.integers(0, 6)),
    st.tuples(st.just("update"), st.sampled_from(["nginx:1.24", "nginx:1.25"])),
    st.tuples(st.just("remove"), st.sampled_from(["db", "web"])),
    st.tuples(st.just("create"), st.sampled_from(["db", "web"])),
    st.tuples(st.just("wait"), st.sampled_from([1.0, 5.0, 20.0])),
)

CREATE = {
    "web": "service create -d --name web --replicas 3 nginx:1.24",
    "db": "service create -d --name db --secret pw busybox sleep 1d",
}


def docker(lab: Lab, argv: str, host: str | None = None) -> tuple[int, str]:
    """On the given host, or on the first manager that answers."""
    hosts = [host] if host else [h for h in HOSTS if lab.kernel.host(h).up]
    for h in hosts:
        r = lab.docker(h, argv.split())
        if r.status == 0:
            return 0, r.out
    return 1, ""


def leader(lab: Lab):
    for h in HOSTS:
        process = lab.kernel.host(h).process
        if process is not None and process.manager is not None and process.manager.leading:
            return process.manager
    return None


def containers(lab: Lab) -> list[tuple[str, object]]:
    out = []
    for h in HOSTS:
        process = lab.kernel.host(h).process
        for c in process.runtime.containers.values() if process else ():
            out.append((h, c))
    return out


def healed(lab: Lab) -> list[str]:
    """What is still wrong; nothing once healed."""
    wrong = []
    m = leader(lab)
    if m is None:
        return ["no leader"]
    store = m.store
    nodes = list(store.all("nodes"))
    ready = {n["ID"] for n in nodes if n["Status"]["State"] == "ready"}
    if len(ready) != len(HOSTS) - len(stranded(lab)):
        wrong.append(f"{len(ready)} nodes ready")
    running = [(h, c) for h, c in containers(lab) if c.running]
    tasks = {t["ID"]: t for t in store.all("tasks")}
    for h, c in running:
        task_id = c.labels.get("com.docker.swarm.task.id", "")
        task = tasks.get(task_id)
        if task is None or task["DesiredState"] != "running":
            wrong.append(f"{c.name} runs on {h} without a running task")
    for service in store.all("services"):
        name = service["Spec"]["Name"]
        mine = [
            c for _, c in running if c.labels.get("com.docker.swarm.service.id") == service["ID"]
        ]
        mode = service["Spec"].get("Mode") or {}
        if "Global" in mode:
            want = sum(
                1 for n in nodes if n["ID"] in ready and n["Spec"]["Availability"] == "active"
            )
        else:
            want = int((mode.get("Replicated") or {}).get("Replicas", 1))
        if len(mine) != want:
            wrong.append(f"{name}: {len(mine)} running, {want} wanted")
    # the managers of the swarm agree
    snapshots = [lab.kernel.host(h).process.manager.store.snapshot() for h in current_managers(lab)]
    if any(s != snapshots[0] for s in snapshots[1:]):
        wrong.append("managers disagree")
    return wrong


def current_managers(lab: Lab) -> list[str]:
    """The hosts whose Raft member is in the leader's committed configuration."""
    m = leader(lab)
    if m is None:
        return []
    raft = m.raft.raft
    voters = raft.config_at(raft.commit).voters
    out = []
    for h in HOSTS:
        process = lab.kernel.host(h).process
        if process is not None and process.manager is not None:
            if process.manager.member_id in voters:
                out.append(h)
    return out


def stranded(lab: Lab) -> list[str]:
    """Hosts that were down while every manager they knew was demoted (a manager among
    them, demoted while down): as in real swarm, none of the addresses they kept leads to
    a manager of the swarm, and they stay Down until they leave and join again."""
    managers = {lab.kernel.host(h).process.advertise_addr for h in current_managers(lab)}
    out = []
    for h in HOSTS:
        process = lab.kernel.host(h).process
        if process is None or process.state is None or process.advertise_addr in managers:
            continue
        known = {addr.rsplit(":", 1)[0] for _, addr in process.remote_managers()}
        if not (known - {process.advertise_addr}) & managers:
            out.append(h)
    return out


def secret_leaks(lab: Lab) -> list[str]:
    """Plaintext of the secret anywhere but the running containers of tasks that use it."""
    out = []
    for h, c in containers(lab):
        needs = c.running and c.name.startswith("db.")
        if not needs and any(SECRET in str(v) for v in c.files.values()):
            out.append(f"{c.name} on {h} ({'running' if c.running else 'exited'})")
    return out


# Found by long soaks (MINISWARM_SOAK_STEPS=120), each fixed with this example failing
# first: a promoted host that went down before its joining of the managers committed
# (booting, it waited for a leader that never knew it; or it kept the joining's
# uncommitted entries and a store of its own).
FOUND = [
    (
        3094,
        [
            ("crash", "manager3"),
            ("crash", "manager1"),
            ("restart", "manager1"),
            ("heal", None),
            ("crash", "manager1"),
            ("crash", "worker2"),
            ("crash", "manager1"),
            ("restart", "manager1"),
            ("promote", "worker2"),
            ("crash", "manager1"),
            ("heal", None),
            ("crash", "manager1"),
            ("restart", "manager1"),
            ("restart", "worker2"),
            ("demote", "manager3"),
            ("crash", "manager1"),
            ("drain", "manager1"),
            ("crash", "worker2"),
        ],
    ),
    (
        3094,
        [
            ("crash", "manager3"),
            ("crash", "worker1"),
            ("partition", "manager1"),
            ("remove", "db"),
            ("remove", "db"),
            ("drain", "manager1"),
            ("promote", "worker1"),
            ("drain", "manager1"),
            ("drain", "manager1"),
            ("activate", "manager1"),
            ("wait", 1.0),
            ("heal", None),
            ("crash", "manager3"),
            ("drain", "manager1"),
            ("drain", "manager1"),
            ("drain", "manager1"),
            ("drain", "manager1"),
            ("wait", 1.0),
            ("crash", "worker2"),
            ("wait", 20.0),
            ("promote", "worker2"),
            ("crash", "manager1"),
            ("heal", None),
            ("crash", "manager1"),
            ("drain", "manager1"),
            ("heal", None),
            ("heal", None),
            ("crash", "manager1"),
            ("restart", "manager1"),
            ("restart", "worker2"),
            ("drain", "manager1"),
            ("crash", "manager1"),
            ("drain", "manager1"),
            ("drain", "manager1"),
        ],
    ),
]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("MINISWARM_SOAK_EXPLORE"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(seed=st.integers(0, 2**31 - 1), steps=st.lists(step, min_size=MIN_STEPS, max_size=STEPS))
@example(seed=FOUND[0][0], steps=FOUND[0][1])
@example(seed=FOUND[1][0], steps=FOUND[1][1])
def test_after_any_chaos_the_swarm_heals_to_exactly_what_is_desired(seed, steps):
    note(f"lab seed {seed}")
    lab = Lab(seed=seed)
    lab.form_swarm(HOSTS[:3], HOSTS[3:])
    lab.docker("manager1", ["secret", "create", "pw", "-"], stdin=SECRET)
    for argv in CREATE.values():
        assert docker(lab, argv)[0] == 0
    docker(lab, "service create -d --name agent --mode global busybox sleep 1d")
    lab.sleep(5)
    for kind, arg in steps:
        if kind == "crash":
            lab.stop(arg)
        elif kind == "restart":
            if not lab.kernel.host(arg).up:
                lab.start(arg)
        elif kind == "partition":
            lab.heal()
            lab.partition([arg], [h for h in HOSTS if h != arg])
        elif kind == "heal":
            lab.heal()
        elif kind in ("drain", "activate"):
            docker(
                lab, f"node update --availability {'drain' if kind == 'drain' else 'active'} {arg}"
            )
        elif kind in ("promote", "demote"):
            docker(lab, f"node {kind} {arg}")
        elif kind == "scale":
            docker(lab, f"service scale -d web={arg}")
        elif kind == "update":
            docker(lab, f"service update -d --image {arg} web")
        elif kind == "remove":
            docker(lab, f"service rm {arg}")
        elif kind == "create":
            docker(lab, CREATE[arg])
        else:
            lab.sleep(arg)

    # Heal: the network mended, every host up, every node active, and time to settle.
    lab.heal()
    for h in HOSTS:
        if not lab.kernel.host(h).up:
            lab.start(h)
    lab.sleep(40)
    for h in HOSTS:
        docker(lab, f"node update --availability active {h}")
    deadline = lab.now() + SETTLE
    while healed(lab):
        assert lab.now() < deadline, f"seed {seed}: {healed(lab)} after {SETTLE:.0f} s"
        lab.sleep(5.0)
    assert secret_leaks(lab) == [], f"seed {seed}"
    lab.close()
