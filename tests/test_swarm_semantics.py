"""Real swarm's behaviour off the reference recordings' paths, as swarmkit and docker do
it: restart pacing, dead slots, promotion that completes after the command returns, a
force-new-cluster whose old managers come back, containers left behind by a crashed
daemon, and the timings around them. Each on SimDriver, from the test's seed."""

from __future__ import annotations

import pytest
from labshell import ok, swarm_lab

from miniswarm.gocompat import parse_rfc3339


@pytest.fixture
def lab(seed):
    yield from swarm_lab(seed)


def task_rows(lab, service: str, fmt: str) -> list[list[str]]:
    out = ok(lab, f"docker service ps --no-trunc --format '{fmt}' {service}")
    return [line.split("|") for line in out.splitlines()]


def test_a_missing_image_is_retried_once_per_restart_delay(lab):
    ok(lab, "docker service create -d --name ghost nginx:9.99")
    start = lab.now()
    lab.sleep(2.5)
    first = task_rows(lab, "ghost", "{{.CurrentState}}|{{.Error}}")
    assert first[0][0].startswith("Rejected")  # the pull fails about 1 s after assignment
    assert first[0][1] == '"No such image: nginx:9.99"'
    # Its replacement waits for the restart delay; prepared meanwhile (its desired state
    # is Ready), it may be rejected already: from then on, one attempt per delay.
    assert len(first) <= 2
    lab.sleep(20 - (lab.now() - start))
    rows = task_rows(lab, "ghost", "{{.ID}}|{{.Error}}")
    assert 4 <= len(rows) <= 5  # one new attempt about every 5 s, not a flood
    store = lab.kernel.host("manager1").process.manager.store
    stamps = sorted(
        parse_rfc3339(t["Status"]["Timestamp"])
        for t in store.all("tasks")
        if t["Status"]["State"] == "rejected"
    )
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert len(gaps) >= 3 and min(gaps[1:]) >= 4.8, gaps


def test_a_failing_task_is_not_restarted_before_its_delay(lab):
    ok(lab, "docker service create -d --name crash --restart-delay 3s busybox sh -c 'exit 1'")
    lab.sleep(16)
    store = lab.kernel.host("manager1").process.manager.store
    created = sorted(parse_rfc3339(t["CreatedAt"]) for t in store.all("tasks"))
    failed = sorted(
        parse_rfc3339(t["Status"]["Timestamp"])
        for t in store.all("tasks")
        if t["Status"]["State"] == "failed"
    )
    assert 3 <= len(failed) <= 5
    assert all(b - a >= 3.0 for a, b in zip(failed, failed[1:], strict=False))
    assert len(created) == len(failed) + 1
