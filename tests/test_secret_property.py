"""Secrets, as a property: whatever secrets are created, whichever services use them, however
the services are updated and the hosts crash and restart, a secret's value

- never lies on any host's disk in the clear (nor in base64): managers keep the Raft log
  encrypted, and the data key wrapped;
- is never printed by any docker command but `cat` of its own mounted file;
- is held in no worker's memory unless a task running there uses it.

Derandomized examples; a failing one prints the lab's seed and steps, and replays from
them. MINISWARM_SECRET_EXAMPLES=N runs more.
"""

from __future__ import annotations

import base64
import os
import pickle

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, note, settings

from miniswarm.lab import Lab
from miniswarm.shell import Shell

HOSTS = ["manager1", "manager2", "manager3", "worker1", "worker2"]
EXAMPLES = int(os.environ.get("MINISWARM_SECRET_EXAMPLES", "10"))
NAMES = ["alpha", "beta", "gamma"]

step = st.one_of(
    st.tuples(st.just("use"), st.sampled_from(NAMES)),
    st.tuples(st.just("add"), st.sampled_from(NAMES)),
    st.tuples(st.just("drop"), st.sampled_from(NAMES)),
    st.tuples(st.just("scale"), st.integers(0, 4)),
    st.tuples(st.just("crash"), st.sampled_from(HOSTS)),
    st.tuples(st.just("restart"), st.sampled_from(HOSTS)),
    st.tuples(st.just("wait"), st.sampled_from([1.0, 5.0, 20.0])),
)


def disk_bytes(lab: Lab, host: str) -> bytes:
    disk = lab.kernel.host(host).disk
    return b"".join(pickle.dumps(disk.read(key)) for key in sorted(disk._files))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(seed=st.integers(0, 2**31 - 1), steps=st.lists(step, min_size=1, max_size=10))
def test_a_secret_is_never_stored_shown_or_held_where_it_should_not_be(seed, steps):
    note(f"lab seed {seed}")
    lab = Lab(seed=seed)
    lab.form_swarm(HOSTS[:3], HOSTS[3:])
    values = {name: f"s3cr3t-{name}-{seed % 9973}" for name in NAMES}
    printed: list[str] = []

    def run(line: str, host: str = "manager1") -> int:
        if not lab.kernel.host(host).up:
            return 1
        out = Shell(lab, host).run(line)
        printed.append(out.text)
        return out.status

    def manager() -> str:
        return next((h for h in HOSTS[:3] if lab.kernel.host(h).up), "manager1")

    for name, value in values.items():
        assert run(f"printf '{value}' | docker secret create {name} -") == 0
    run("docker service create -d --name app --replicas 2 --secret alpha busybox sleep 1d")
    for kind, arg in steps:
        if kind == "use":
            run(f"docker service create -d --name svc-{arg} --secret {arg} busybox sleep 1d",
                manager())  # fmt: skip
        elif kind == "add":
            run(f"docker service update -d --secret-add {arg} app", manager())
        elif kind == "drop":
            run(f"docker service update -d --secret-rm {arg} app", manager())
        elif kind == "scale":
            run(f"docker service scale -d app={arg}", manager())
        elif kind == "crash":
            lab.stop(arg)
        elif kind == "restart":
            if not lab.kernel.host(arg).up:
                lab.start(arg)
        else:
            lab.sleep(arg)
        for h in HOSTS:
            run("docker secret ls", h)
            run("docker secret inspect alpha beta gamma", h)
            run("docker service inspect app", h)
    lab.sleep(10)

    for value in values.values():
        hidden = (value.encode(), base64.b64encode(value.encode()))
        for h in HOSTS:
            stored = disk_bytes(lab, h)
            assert not any(v in stored for v in hidden), f"seed {seed}: {value} on {h}'s disk"
        assert not any(value in text for text in printed), f"seed {seed}: {value} printed"

    for h in HOSTS:
        daemon = lab.kernel.host(h).process
        if daemon is None or daemon.agent is None:
            continue
        used = set()
        for c in daemon.runtime.containers.values():
            if c.running:
                used |= {v for v in values.values() if v in c.files.values()}
        held = {base64.b64decode(d).decode() for d in daemon.agent.worker.files["secret"].values()}
        tasks_need = set()
        for runner in daemon.agent.worker.runners.values():
            if runner.state in ("complete", "shutdown", "failed", "rejected"):
                continue
            for ref in runner.spec["ContainerSpec"].get("Secrets") or []:
                tasks_need.add(values[ref["SecretName"]])
        assert held <= tasks_need, f"seed {seed}: {h} holds {held - tasks_need}"
        assert used <= tasks_need
    lab.close()
