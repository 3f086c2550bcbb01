"""CLI figures with 100 hosts in the swarm: how long `docker node ls` takes to answer, and
how long 100 hosts take to join.

    python benchmarks/cli_bench.py [--hosts 100] [--calls 200] [--seed 0] [--quick]

- joining: manager1 runs `swarm init`, manager2 and manager3 join as managers and the
  rest as workers, one after another as a student's loop would (each `swarm join` returns
  once its node is ready). Reported in simulated seconds (what the student would wait on a
  real swarm) and in wall seconds (what it costs the simulator).
- `docker node ls` on the leader and on a follower (which passes it on to the leader):
  wall-clock latency, median and p99 over --calls calls, on SimDriver (the simulator's own
  cost) and on ThreadDriver at real speed (what the REPL's student waits).

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from miniswarm.lab import Lab  # noqa: E402
from miniswarm.repl import parse_hosts  # noqa: E402


def join_all(lab: Lab) -> tuple[float, float]:
    """Form the swarm host by host; (simulated seconds, wall seconds) it took."""
    names = lab.names
    sim0, wall0 = lab.now(), time.perf_counter()
    first = names[0]
    ok(lab, first, ["swarm", "init", "--advertise-addr", lab.address(first)])
    tokens = {
        r: ok(lab, first, ["swarm", "join-token", "-q", r]).strip() for r in ("manager", "worker")
    }
    target = f"{lab.address(first)}:2377"
    for i, host in enumerate(names[1:], 1):
        role = "manager" if i < 3 else "worker"
        ok(lab, host, ["swarm", "join", "--token", tokens[role], target])
    while ok(lab, first, ["node", "ls", "--format", "{{.Status}}"]).split().count("Ready") < len(
        names
    ):
        lab.sleep(0.1)
    return lab.now() - sim0, time.perf_counter() - wall0


def ok(lab: Lab, host: str, argv: list[str]) -> str:
    r = lab.docker(host, argv)
    if r.status != 0:
        raise SystemExit(f"{host}: docker {' '.join(argv)}: {r.err}")
    return r.out


def latencies(lab: Lab, host: str, calls: int, expect: int) -> list[float]:
    out = []
    for _ in range(calls):
        t = time.perf_counter()
        r = lab.docker(host, ["node", "ls"])
        out.append(time.perf_counter() - t)
        assert r.status == 0 and r.out.count("\n") == expect + 1, r.err
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def ms(x: float) -> float:
    return round(x * 1000, 2)


def measure(lab: Lab, driver: str, prefix: str, calls: int, hosts: int, figures: dict) -> None:
    """`docker node ls` on the leader (manager1) and on a follower (manager2)."""
    for host, key in (("manager1", "leader"), ("manager2", "follower")):
        lat = latencies(lab, host, calls, hosts)
        p50, p99 = ms(statistics.median(lat)), ms(pct(lat, 0.99))
        figures[f"{prefix}node_ls_{key}_p50_ms"] = p50
        figures[f"{prefix}node_ls_{key}_p99_ms"] = p99
        print(f"{driver:12} docker node ls on the {key:8}: median {p50} ms, p99 {p99} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="fewer calls, for a smoke run")
    args = ap.parse_args()
    calls = 20 if args.quick else args.calls
    hosts = parse_hosts(str(args.hosts))
    figures: dict[str, float] = {"hosts": args.hosts}

    lab = Lab(hosts, seed=args.seed)
    join_sim, join_wall = join_all(lab)
    figures["join_sim_s"] = round(join_sim, 1)
    figures["join_wall_s"] = round(join_wall, 2)
    print(
        f"{args.hosts} hosts joined one by one: {join_sim:.1f} s simulated, {join_wall:.2f} s wall"
    )
    measure(lab, "SimDriver", "sim_", calls, args.hosts, figures)

    # The REPL's driver: the same swarm, in real time. Formed at 20x speed to save time,
    # then measured at real speed.
    lab = Lab(hosts, driver="thread", seed=args.seed, speed=20.0)
    try:
        join_all(lab)
        lab.kernel.set_speed(1.0)
        measure(lab, "ThreadDriver", "", max(10, calls // 4), args.hosts, figures)
    finally:
        lab.close()
    figures["node_ls_p50_ms"] = figures["node_ls_leader_p50_ms"]
    figures["node_ls_p99_ms"] = figures["node_ls_leader_p99_ms"]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
