"""Raft figures, on SimDriver: throughput beside PySyncObj's, failover time, memory.

    pip install -e '.[bench]'          # PySyncObj, the peer measured in the same run
    python benchmarks/raft_bench.py [--quick]

- committed entries per second (wall clock) with 3 managers, at three sizes, and with 5:
  clients pipeline proposals to the leader in bursts of 1,000 (one burst per simulated
  millisecond; each command its own 64 bytes, as marshalled store actions are, so that
  no pickle shares one command among many), the leader batches them into appends, and
  we time from the first proposal until every member has applied the last — each
  persists them (sealed, as swarm encrypts its log at rest), replicates and applies
  them on the way;
- PySyncObj (the most complete pure-Python Raft: loopback TCP, its own batching, no
  encryption) doing the same in the same run: 3 nodes in this process, ticked by one
  thread as SimDriver runs our three, a replicated counter, timed until every node has
  applied the last command; and the ratio of the two: after a round not counted, three
  rounds in turn at each size, the median of each side and of the rounds' ratios (and
  their spread);
- time to a new leader after the leader crashes (simulated seconds), over 100 seeds;
- memory taken by 100,000 log entries (the log in memory and on the simulated disk).

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import socket
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from miniswarm.raft import LEADER, Config, Entry, Raft, RaftStorage  # noqa: E402
from miniswarm.raftnode import AppliedLog, RaftProcess  # noqa: E402
from miniswarm.sim import SimDriver  # noqa: E402


class Counter:
    """The state machine of the throughput runs: a count of what was applied, as
    PySyncObj's side counts (AppliedLog, which the tests use, keeps every command, and
    its snapshots grow with the log)."""

    def __init__(self) -> None:
        self.last_index = 0
        self.count = 0

    def apply(self, entry: Entry) -> int:
        self.last_index = entry.index
        if entry.data is not None:
            self.count += 1
        return self.count

    def snapshot(self) -> tuple[int, int]:
        return self.last_index, self.count

    def restore(self, data: tuple[int, int]) -> None:
        self.last_index, self.count = data


def cluster(n: int, seed: int, machine: type = AppliedLog) -> tuple[SimDriver, list[str]]:
    names = [f"manager{i + 1}" for i in range(n)]
    config = Config(
        frozenset(names), tuple((m, f"192.168.0.{100 + i}") for i, m in enumerate(names))
    )
    d = SimDriver(seed=seed)
    for i, m in enumerate(names):
        d.add_host(
            m,
            f"192.168.0.{100 + i}",
            lambda ctx, m=m: RaftProcess(ctx, member_id=m, bootstrap=config, log=machine()),
        )
    return d, names


def leader(d: SimDriver, names: list[str]) -> str | None:
    for m in names:
        if d.hosts[m].up and d.process(m).node.raft.state == LEADER:
            return m
    return None


BURST = 1000  # commands a client proposes at once


def commands(entries: int) -> list[bytes]:
    """The commands both sides commit: 64 bytes each, each its own (as swarm's marshalled
    store actions are: none shares its bytes with another)."""
    return [k.to_bytes(8, "big") * 8 for k in range(entries)]


def throughput(n: int, payloads: list[bytes], seed: int = 1) -> float:
    """Entries per wall-clock second, from the first proposal until every member has
    applied the last (with the log sealed on each member's disk, as swarm keeps it)."""
    d, names = cluster(n, seed, Counter)
    d.wait_until(lambda: leader(d, names) is not None, 60)
    lead = leader(d, names)
    start_index = d.process(lead).node.raft.last_index
    entries = len(payloads)
    bursts = [payloads[k : k + BURST] for k in range(0, entries, BURST)]
    logs = [d.process(m).log for m in names]
    target = start_index + entries
    gc.collect()
    t0 = time.perf_counter()
    for burst in bursts:
        d.call(lead, lambda p, burst=burst: p.node.propose_many(burst))
        d.run_for(0.001)
    d.wait_until(lambda: all(log.last_index >= target for log in logs), 60)
    elapsed = time.perf_counter() - t0
    assert all(log.last_index >= target for log in logs), "not everything applied"
    return entries / elapsed


def pysyncobj_throughput(payloads: list[bytes]) -> float | None:
    """PySyncObj's committed entries per second, 3 nodes on loopback TCP; None when it
    is not installed."""
    try:
        from pysyncobj import SyncObj, SyncObjConf, replicated
    except ImportError:
        return None

    class Count(SyncObj):
        def __init__(self, me: str, others: list[str]) -> None:
            conf = SyncObjConf(autoTick=False, appendEntriesUseBatch=True, commandsQueueSize=10**7)
            super().__init__(me, others, conf)
            self.count = 0

        @replicated
        def add(self, data: bytes) -> int:
            self.count += 1
            return self.count

    ports = []
    for _ in range(3):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    addrs = [f"127.0.0.1:{p}" for p in ports]
    nodes = [Count(a, [o for o in addrs if o != a]) for a in addrs]
    try:
        deadline = time.monotonic() + 30
        while not any(n._isLeader() for n in nodes):
            for n in nodes:
                n.doTick(0.001)
            if time.monotonic() > deadline:
                raise RuntimeError("PySyncObj elected no leader")
        lead = next(n for n in nodes if n._isLeader())
        gc.collect()
        t0 = time.perf_counter()
        for k in range(0, len(payloads), BURST):
            for payload in payloads[k : k + BURST]:
                lead.add(payload)
            for n in nodes:
                n.doTick(0.0)
        while min(n.count for n in nodes) < len(payloads):
            for n in nodes:
                n.doTick(0.0)
        return len(payloads) / (time.perf_counter() - t0)
    finally:
        for n in nodes:
            n.destroy()


def failover_once(seed: int) -> float:
    d, names = cluster(3, seed)
    d.wait_until(lambda: leader(d, names) is not None, 60)
    d.run_for(30.0)  # a settled cluster
    old = leader(d, names)
    d.crash(old)
    t0 = d.now()
    survivors = [m for m in names if m != old]
    assert d.wait_until(lambda: leader(d, survivors) is not None, 300)
    return d.now() - t0


def failover(seeds: int) -> list[float]:
    return [failover_once(seed) for seed in range(seeds)]


def memory_per_100k() -> int:
    """Bytes for 100,000 entries of 64-byte commands, on one member without compaction:
    the in-memory log and what is on the simulated disk (they share the entries)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    storage = RaftStorage.bootstrap(Config(frozenset({"m"})))
    raft = Raft("m", storage, Random(1))
    raft.campaign()
    storage.save(raft.ready())
    for k in range(100_000):
        raft.propose(k.to_bytes(8, "big") * 8)  # (as `commands` makes them)
        if k % 1000 == 999:
            storage.save(raft.ready())
    storage.save(raft.ready())
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert raft.commit >= 100_000
    return used


ROUNDS = 3  # pairs (ours, PySyncObj's) at each size


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs, rougher figures")
    args = ap.parse_args()
    sizes = (10_000, 40_000) if args.quick else (20_000, 100_000, 500_000)
    seeds = 20 if args.quick else 100

    ours: dict[int, float] = {}
    peer: dict[int, float | None] = {}
    rounds = 1 if args.quick else ROUNDS
    warm = commands(sizes[0])
    throughput(3, warm)  # a round not counted, for both: what runs first warms up
    pysyncobj_throughput(warm)
    for entries in sizes:
        payloads = commands(entries)
        # In turn, round after round, each round's ratio taken of its own pair: a machine
        # whose speed drifts moves both sides of a pair alike.
        pairs = [(throughput(3, payloads), pysyncobj_throughput(payloads)) for _ in range(rounds)]
        ours[entries] = statistics.median(o for o, _ in pairs)
        line = f"throughput, 3 managers, {entries:,} entries: {ours[entries]:,.0f} entries/s"
        if pairs[0][1] is not None:
            peer[entries] = statistics.median(p for _, p in pairs if p is not None)
            ratios = sorted(o / p for o, p in pairs if p)
            line += (
                f"; PySyncObj {peer[entries]:,.0f} entries/s; ratio "
                f"{statistics.median(ratios):.2f}x (median of {rounds} rounds in turn, "
                f"{ratios[0]:.2f}-{ratios[-1]:.2f})"
            )
        else:
            peer[entries] = None
            line += "; PySyncObj not installed (pip install -e '.[bench]')"
        print(line, flush=True)
    c5 = throughput(5, commands(sizes[1]))
    print(f"throughput, 5 managers, {sizes[1]:,} entries: {c5:,.0f} entries/s", flush=True)
    times = failover(seeds)
    print(
        f"failover after a leader crash, {seeds} seeds (simulated s): "
        f"min {min(times):.1f}  p50 {pct(times, 50):.1f}  p90 {pct(times, 90):.1f}  "
        f"p99 {pct(times, 99):.1f}  max {max(times):.1f}  mean {statistics.mean(times):.1f}"
    )
    mem = memory_per_100k()
    print(
        f"memory per 100,000 log entries (64-byte commands): {mem / 1e6:.1f} MB "
        f"({mem / 100_000:.0f} bytes per entry)"
    )
    print(
        json.dumps(
            {
                "commits_per_s_3": {n: round(v) for n, v in ours.items()},
                "pysyncobj_per_s_3": {n: v and round(v) for n, v in peer.items()},
                "commits_per_s_5": round(c5),
                "failover_p50_s": round(pct(times, 50), 2),
                "failover_p99_s": round(pct(times, 99), 2),
                "failover_max_s": round(max(times), 2),
                "mem_bytes_per_100k_entries": mem,
            }
        )
    )


if __name__ == "__main__":
    main()
