"""The simulation kernel: reproducible runs, virtual time, the network's faults, and
what a crash keeps (the disk) and loses (everything else)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

from miniswarm.sim import HostDown, Network, Process, SimDriver


class Echo(Process):
    """Replies to every message; keeps a counter in memory and one on disk."""

    def start(self) -> None:
        self.seen: list[tuple[str, Any]] = []
        self.in_memory = 0
        self.ctx.disk.write("boots", self.ctx.disk.read("boots", 0) + 1)

    def on_message(self, src: str, msg: Any) -> None:
        self.seen.append((src, msg))
        self.in_memory += 1
        if isinstance(msg, tuple) and msg[0] == "ping":
            self.ctx.send(src, ("pong", msg[1]))


def echo_lab(seed: int = 1, network: Network | None = None) -> SimDriver:
    d = SimDriver(seed=seed, network=network)
    d.add_host("a", "10.0.0.1", Echo)
    d.add_host("b", "10.0.0.2", Echo)
    return d


def ping(d: SimDriver, src: str, dst: str, n: int = 1, kind: str = "ping") -> None:
    """n numbered messages from src to dst; pings are answered, notes are not."""

    def send(p):
        for k in range(n):
            p.ctx.send(d.host(dst).address, (kind, k))

    d.call(src, send)


# -- determinism -------------------------------------------------------------------------------

SCENARIO = textwrap.dedent(
    """
    import hashlib, sys
    sys.path.insert(0, {tests!r})
    from raftcluster import RaftCluster
    cfg = RaftCluster(5, {seed}, unreliable=True, record=True, snapshot_interval=20)
    cfg.one(1, 5)
    for k in range(30):
        cfg.start_cmd(k % 5, k)
    cfg.crash(cfg.check_one_leader())
    cfg.sleep(30)
    cfg.start(0); cfg.start(1); cfg.start(2); cfg.start(3); cfg.start(4)
    cfg.one("last", 5)
    log = "\\n".join(cfg.driver.events).encode()
    print(len(cfg.driver.events), hashlib.sha256(log).hexdigest())
    """
)


def run_scenario(seed: int, hashseed: str) -> str:
    tests = os.path.dirname(__file__)
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    out = subprocess.run(
        [sys.executable, "-c", SCENARIO.format(tests=tests, seed=seed)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return out.stdout.strip()


def test_the_same_seed_gives_the_same_run_byte_for_byte(seed):
    """The full event log (every message with its contents, timer, crash and restart,
    with its virtual time) is identical across two processes — even with different
    hash seeds, so nothing depends on set or dict ordering of strings."""
    first = run_scenario(seed, "1")
    second = run_scenario(seed, "2")
    assert first == second
    events = int(first.split()[0])
    assert events > 500  # elections, replication, a crash, recovery


def test_a_different_seed_gives_a_different_run(seed):
    assert run_scenario(seed, "0") != run_scenario(seed + 1, "0")


# -- virtual time --------------------------------------------------------------------------------


def test_an_idle_hour_costs_only_its_events():
    from raftcluster import RaftCluster

    cfg = RaftCluster(3, 7)
    cfg.check_one_leader()
    steps = cfg.driver.steps
    wall = time.perf_counter()
    cfg.sleep(3600.0)
    wall = time.perf_counter() - wall
    events = cfg.driver.steps - steps
    # Heartbeats and ticks: about a dozen events per simulated second, each cheap.
    assert events < 3600 * 20
    assert wall < events * 200e-6  # well under a fifth of a millisecond per event


def test_time_stands_still_between_events_and_jumps_to_the_next():
    d = SimDriver(seed=1)
    d.add_host("a", "10.0.0.1", Echo)
    fired = []
    d.call("a", lambda p: p.ctx.after(100.0, lambda: fired.append(d.now())))
    assert d.now() == 0.0
    d.run_until(99.0)
    assert not fired and d.now() == 99.0
    d.run_for(2.0)
    assert fired == [100.0]


def test_cancelled_timers_do_not_fire():
    d = SimDriver(seed=1)
    d.add_host("a", "10.0.0.1", Echo)
    fired = []
    timer = d.call("a", lambda p: p.ctx.after(1.0, lambda: fired.append(1)))
    timer.cancel()
    d.run_for(5)
    assert fired == []


def test_a_repeating_timer_fires_every_period_until_cancelled():
    d = SimDriver(seed=1)
    d.add_host("a", "10.0.0.1", Echo)
    fired = []
    rep = d.call("a", lambda p: p.ctx.every(1.0, lambda: fired.append(d.now())))
    d.run_for(3.5)
    rep.cancel()
    d.run_for(5)
    assert fired == [1.0, 2.0, 3.0]


# -- the network -------------------------------------------------------------------------------


def test_messages_arrive_after_latency_and_in_order_on_a_link():
    d = echo_lab(network=Network(latency=0.01, jitter=0.05))
    ping(d, "a", "b", n=50)
    d.run_for(1)
    assert [m[1] for _, m in d.process("b").seen] == list(range(50))
    assert d.now() == 1.0


def test_loss_drops_about_the_configured_fraction():
    d = echo_lab(network=Network(loss=0.3))
    ping(d, "a", "b", n=1000, kind="note")
    d.run_for(1)
    got = len(d.process("b").seen)
    assert 600 < got < 800
    assert d.network.stats.dropped == 1000 - got


def test_duplication_delivers_some_messages_twice():
    d = echo_lab(network=Network(duplicate=0.2))
    ping(d, "a", "b", n=500, kind="note")
    d.run_for(1)
    got = len(d.process("b").seen)
    assert 550 < got < 650
    assert d.network.stats.duplicated == got - 500


def test_reordering_lets_later_messages_overtake():
    d = echo_lab(network=Network(reorder=0.3, reorder_delay=0.5))
    ping(d, "a", "b", n=100)
    d.run_for(2)
    order = [m[1] for _, m in d.process("b").seen]
    assert sorted(order) == list(range(100)) and order != list(range(100))


def test_a_symmetric_partition_cuts_both_ways_and_heal_restores():
    d = echo_lab()
    d.add_host("c", "10.0.0.3", Echo)
    d.partition(["a"], ["b", "c"])
    ping(d, "a", "b", kind="note")
    ping(d, "b", "a", kind="note")
    ping(d, "b", "c", kind="note")
    d.run_for(1)
    assert d.process("a").seen == [] and d.process("b").seen == []
    assert len(d.process("c").seen) == 1
    d.heal()
    ping(d, "a", "b")
    d.run_for(1)
    assert len(d.process("b").seen) == 1 and len(d.process("a").seen) == 1  # b's pong


def test_a_one_way_partition_cuts_one_direction_only():
    d = echo_lab()
    d.network.cut("10.0.0.1", "10.0.0.2", both_ways=False)
    ping(d, "a", "b")
    ping(d, "b", "a")
    d.run_for(1)
    assert d.process("b").seen == []  # a -> b is cut
    assert [m[0] for _, m in d.process("a").seen] == ["ping"]  # b -> a works; the pong is lost


def test_messages_in_flight_are_lost_when_the_link_is_cut():
    d = echo_lab(network=Network(latency=1.0, jitter=0.0))
    ping(d, "a", "b")
    d.run_for(0.5)
    d.partition(["a"], ["b"])
    d.run_for(1)
    assert d.process("b").seen == []


def test_unlisted_hosts_form_their_own_group():
    d = echo_lab()
    d.add_host("c", "10.0.0.3", Echo)
    d.partition(["a"])
    ping(d, "b", "c")
    ping(d, "b", "a")
    d.run_for(1)
    assert len(d.process("c").seen) == 1 and d.process("a").seen == []


# -- crashes -------------------------------------------------------------------------------


def test_a_crash_loses_memory_timers_and_inbox_and_keeps_the_disk():
    d = echo_lab(network=Network(latency=1.0, jitter=0.0))
    fired = []
    d.call("b", lambda p: p.ctx.after(2.0, lambda: fired.append("old life")))
    ping(d, "a", "b")
    d.run_for(0.5)
    d.crash("b")
    with pytest.raises(HostDown):
        d.process("b")
    d.run_for(1.0)  # the ping lands while b is down: lost
    d.start_host("b")
    d.run_for(5.0)
    b = d.process("b")
    assert b.seen == [] and b.in_memory == 0
    assert fired == []  # the old life's timer died with it
    assert d.host("b").disk.read("boots") == 2


def test_messages_reach_the_new_life_of_a_restarted_host():
    d = echo_lab(network=Network(latency=1.0, jitter=0.0))
    d.crash("b")
    d.start_host("b")
    ping(d, "a", "b")
    d.run_for(2)
    assert len(d.process("b").seen) == 1


def test_a_local_call_to_a_down_host_fails():
    d = echo_lab()
    d.crash("a")
    with pytest.raises(HostDown):
        d.call("a", lambda p: None)


def test_randomness_comes_from_the_seed_per_host_and_life():
    def draws(seed: int) -> list[float]:
        d = echo_lab(seed=seed)
        out = [d.call("a", lambda p: p.ctx.rng.random())]
        d.restart("a")
        out.append(d.call("a", lambda p: p.ctx.rng.random()))
        out.append(d.call("b", lambda p: p.ctx.rng.random()))
        return out

    assert draws(5) == draws(5)
    assert len(set(draws(5))) == 3  # each host and each life has its own stream
    assert draws(5) != draws(6)


def test_a_failing_event_reports_where_it_failed():
    d = echo_lab()

    def boom(p):
        raise ValueError("bad")

    with pytest.raises(ValueError):
        d.call("a", boom)
    d.run_for(1)  # the driver goes on
    assert d.process("a") is not None


@pytest.mark.parametrize("n", [1, 3])
def test_event_log_records_sends_receipts_and_lab_actions(n):
    d = SimDriver(seed=3, record=True)
    d.add_host("a", "10.0.0.1", Echo)
    d.add_host("b", "10.0.0.2", Echo)
    ping(d, "a", "b", n)
    d.run_for(1)
    d.partition(["a"], ["b"])
    kinds = [e.split()[2] for e in d.events]
    assert kinds.count("send") == 2 * n and kinds.count("recv") == 2 * n
    assert "partition" in kinds and kinds.count("start") == 2
    assert hashlib.sha256("\n".join(d.events).encode()).hexdigest()
