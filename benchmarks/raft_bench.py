"""Raft figures, on SimDriver: throughput, failover time, memory.

    python benchmarks/raft_bench.py [--quick]

- committed entries per second (wall clock) with 3 and 5 managers: clients pipeline
  proposals to the leader in bursts of 1,000 (one burst per simulated millisecond), the
  leader batches them into appends, and we time how long until the leader has
  committed them all — every member persists, replicates and applies them on the way;
- time to a new leader after the leader crashes (simulated seconds), over 100 seeds;
- memory taken by 100,000 log entries (the log in memory and on the simulated disk).

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from random import Random

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from miniswarm.raft import LEADER, Config, Raft, RaftStorage  # noqa: E402
from miniswarm.raftnode import RaftProcess  # noqa: E402
from miniswarm.sim import SimDriver  # noqa: E402


def cluster(n: int, seed: int) -> tuple[SimDriver, list[str]]:
    names = [f"manager{i + 1}" for i in range(n)]
    config = Config(
        frozenset(names), tuple((m, f"192.168.0.{100 + i}") for i, m in enumerate(names))
    )
    d = SimDriver(seed=seed)
    for i, m in enumerate(names):
        d.add_host(
            m,
            f"192.168.0.{100 + i}",
            lambda ctx, m=m: RaftProcess(ctx, member_id=m, bootstrap=config),
        )
    return d, names


def leader(d: SimDriver, names: list[str]) -> str | None:
    for m in names:
        if d.hosts[m].up and d.process(m).node.raft.state == LEADER:
            return m
    return None


def throughput(n: int, entries: int, seed: int = 1) -> float:
    d, names = cluster(n, seed)
    d.wait_until(lambda: leader(d, names) is not None, 60)
    lead = leader(d, names)
    node = d.process(lead).node
    burst = 1000
    payload = b"x" * 64
    start_index = node.raft.last_index
    gc.collect()
    t0 = time.perf_counter()
    for _ in range(entries // burst):
        d.call(lead, lambda p: p.node.propose_many([payload] * burst))
        d.run_for(0.001)
    target = start_index + entries
    d.wait_until(lambda: node.raft.commit >= target, 60)
    elapsed = time.perf_counter() - t0
    assert node.raft.commit >= target, "not everything committed"
    d.run_for(2.0)  # followers learn the last commit index at the next heartbeat
    for m in names:
        assert d.process(m).log.last_index >= target
    return entries / elapsed


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
        raft.propose(k.to_bytes(8, "big") * 8)  # 64 distinct bytes each
        if k % 1000 == 999:
            storage.save(raft.ready())
    storage.save(raft.ready())
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert raft.commit >= 100_000
    return used


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller runs, rougher figures")
    args = ap.parse_args()
    entries = 40_000 if args.quick else 200_000
    seeds = 20 if args.quick else 100

    c3 = throughput(3, entries)
    print(f"throughput, 3 managers: {c3:,.0f} committed entries/s ({entries:,} entries)")
    c5 = throughput(5, entries)
    print(f"throughput, 5 managers: {c5:,.0f} committed entries/s ({entries:,} entries)")
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
                "commits_per_s_3": round(c3),
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
