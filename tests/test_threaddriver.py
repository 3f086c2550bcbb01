"""The same Raft members under ThreadDriver: a thread per host, the real clock sped up.

Nothing here sleeps: every wait is on an event (a future, or a condition the host
threads signal after each event), with a timeout only as a guard.
"""

from __future__ import annotations

import threading

import pytest

from miniswarm.raft import LEADER, Config
from miniswarm.raftnode import RaftProcess
from miniswarm.sim import HostDown, ThreadDriver

SPEED = 40.0  # a 10-20 s election timeout takes a quarter to half a second
NAMES = ["m1", "m2", "m3"]


def start_cluster(seed: int) -> ThreadDriver:
    config = Config(frozenset(NAMES), tuple((n, f"10.2.0.{i}") for i, n in enumerate(NAMES)))
    d = ThreadDriver(seed=seed, speed=SPEED)
    for i, n in enumerate(NAMES):
        d.add_host(
            n, f"10.2.0.{i}", lambda ctx, n=n: RaftProcess(ctx, member_id=n, bootstrap=config)
        )
    return d.start()


def leader_of(d: ThreadDriver, among=NAMES) -> str | None:
    for n in among:
        try:
            if d.call(n, lambda p: p.node.raft.state) == LEADER:
                return n
        except HostDown:
            pass
    return None


def applied(d: ThreadDriver, n: str) -> list:
    return d.call(n, lambda p: list(p.log.applied))


def test_three_hosts_elect_commit_1000_entries_survive_a_leader_crash_and_stop_cleanly(seed):
    threads_before = threading.active_count()
    d = start_cluster(seed)
    try:
        assert d.wait_until(lambda: leader_of(d) is not None, timeout=60)
        leader = leader_of(d)

        # 1,000 entries, proposed in batches as clients would pipeline them.
        futures = [
            d.call(leader, lambda p, b=batch: p.node.propose_many([(b, k) for k in range(100)]))
            for batch in range(10)
        ]
        results = [r for f in futures for r in d.wait(f, timeout=60)]
        assert len(set(results)) == 1000  # each at its own index
        assert d.wait_until(lambda: all(len(applied(d, n)) == 1000 for n in NAMES), 30)
        assert applied(d, NAMES[0]) == applied(d, NAMES[1]) == applied(d, NAMES[2])

        # The leader crashes: the two others elect a new one, which commits more.
        d.crash(leader)
        survivors = [n for n in NAMES if n != leader]
        assert d.wait_until(lambda: leader_of(d, survivors) is not None, timeout=60)
        new_leader = leader_of(d, survivors)
        fut = d.call(new_leader, lambda p: p.node.propose("after the crash"))
        d.wait(fut, timeout=60)

        # The old leader restarts from its disk and catches up.
        d.start_host(leader)
        assert d.wait_until(lambda: len(applied(d, leader)) == 1001, timeout=60)
        assert applied(d, leader) == applied(d, new_leader)
        assert d.errors == []
    finally:
        d.stop()
    assert all(not t.name.startswith("host-") for t in threading.enumerate())
    assert threading.active_count() <= threads_before


def test_stop_is_clean_even_with_work_in_flight(seed):
    d = start_cluster(seed)
    assert d.wait_until(lambda: leader_of(d) is not None, timeout=60)
    leader = leader_of(d)
    d.call(leader, lambda p: p.node.propose_many(list(range(5000))))
    d.stop(timeout=5)  # raises if a host thread does not stop
    assert all(not t.name.startswith("host-") for t in threading.enumerate())
    d.stop()  # twice is harmless


def test_a_bug_in_a_host_is_kept_and_the_host_goes_on(seed):
    d = start_cluster(seed)
    try:

        def boom():
            raise RuntimeError("a bug")

        d.call("m1", lambda p: p.ctx.after(0.0, boom))
        assert d.wait_until(lambda: bool(d.errors), timeout=10)
        assert isinstance(d.errors[0], RuntimeError)
        assert d.call("m1", lambda p: p.node.raft.id) == "m1"
    finally:
        d.stop()


def test_local_calls_on_a_down_host_fail(seed):
    d = start_cluster(seed)
    try:
        d.crash("m2")
        with pytest.raises(HostDown):
            d.call("m2", lambda p: None)
    finally:
        d.stop()


def test_changing_speed_keeps_the_clock_going_forward(seed):
    d = start_cluster(seed)
    try:
        before = d.now()
        d.set_speed(1.0)
        after = d.now()
        assert before <= after < before + 0.5  # no jump, either way
        d.set_speed(SPEED)
        assert d.now() >= after
    finally:
        d.stop()
