"""Scale figures: big swarms on SimDriver, and the scheduler alone.

    python benchmarks/scale_bench.py [--seed 0] [--quick]

- `tasksN_nodesM`: M hosts (3 managers) form a swarm (the workers joining a hundred at a
  time), then `docker service create -d --replicas N nginx`; the figure is the wall time from the
  create until `docker service ls` shows N/N (every task Running), polled every half
  simulated second as a student's `watch` would, and `docker service ps` listing them.
  The simulated time it took, the time forming the swarm took, and memory — per host
  (after forming) and per task (the peak beyond that) — are printed beside it. Sizes:
  1,000 tasks on 100 hosts, 10,000 on 1,000 and 30,000 on 1,000 (how the cost grows),
  95,000 on 2,400 (the swarm2k test) and 100,000 on 4,700 (swarm3k).
- `schedN`: the scheduler alone placing N pending tasks on N ready nodes in one pass, and
  the store applying the result, at 1,000, 10,000 and 100,000 — the last is what
  swarmkit's BenchmarkScheduler100kNodes100kTasks measures (29.2 s in moby/swarmkit#193).

Each case runs in a child process so that its peak memory (max RSS) is its own.
Memory is in binary units: MiB (2^20 bytes) and KiB, the JSON's `_mb` keys too.
The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from miniswarm import ids  # noqa: E402
from miniswarm.lab import Lab  # noqa: E402
from miniswarm.manager.context import ControllerContext  # noqa: E402
from miniswarm.manager.scheduling import Scheduling  # noqa: E402
from miniswarm.manager.store import Batch, Change, Store  # noqa: E402
from miniswarm.manager.writer import Tx  # noqa: E402

CASES = {
    # name: (hosts, tasks); --quick shrinks them for a smoke run
    "tasks1k_nodes100": (100, 1_000),
    "tasks10k_nodes1k": (1000, 10_000),
    "tasks30k_nodes1k": (1000, 30_000),
    "tasks95k_nodes2400": (2400, 95_000),
    "tasks100k_nodes4700": (4700, 100_000),
    "sched1k": (1_000, 1_000),
    "sched10k": (10_000, 10_000),
    "sched100k": (100_000, 100_000),
}
QUICK = {
    "tasks1k_nodes100": (10, 100),
    "tasks10k_nodes1k": (20, 300),
    "tasks30k_nodes1k": (30, 500),
    "tasks95k_nodes2400": (30, 500),
    "tasks100k_nodes4700": (40, 600),
    "sched1k": (100, 100),
    "sched10k": (300, 300),
    "sched100k": (500, 500),
}


JOIN_AT_ONCE = 100  # workers joining together, as swarm3k's volunteers joined


def rss_mb() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def hosts(n: int) -> list[tuple[str, str]]:
    names = [f"manager{i + 1}" for i in range(min(3, n))]
    names += [f"worker{i + 1}" for i in range(n - len(names))]
    return [(name, f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256 + 1}") for i, name in
            enumerate(names)]  # fmt: skip


def cluster_case(n_hosts: int, n_tasks: int, seed: int) -> dict:
    base_rss = rss_mb()  # the interpreter and the code, before any host
    lab = Lab(hosts(n_hosts), seed=seed)
    wall0 = time.perf_counter()
    names = lab.names
    lab.form_swarm(names[:3], names[3:], at_once=JOIN_AT_ONCE)
    form_wall = time.perf_counter() - wall0
    formed_rss = rss_mb()

    def docker(*argv: str) -> str:
        r = lab.docker("manager1", list(argv))
        if r.status != 0:
            raise SystemExit(f"docker {' '.join(argv)}: {r.err}")
        return r.out

    wall0, sim0 = time.perf_counter(), lab.now()
    docker("service", "create", "-d", "--name", "big", "--replicas", str(n_tasks), "nginx")
    want = f"{n_tasks}/{n_tasks}"
    while docker("service", "ls", "--format", "{{.Replicas}}").strip() != want:
        lab.sleep(0.5)
    running = docker("service", "ps", "-q", "--filter", "desired-state=running", "big")
    assert running.count("\n") == n_tasks, "every slot has one running task"
    return {
        "s": time.perf_counter() - wall0,
        "sim_s": lab.now() - sim0,
        "form_wall_s": form_wall,
        "formed_rss_mb": formed_rss,
        "base_rss_mb": base_rss,
    }


def sched_case(n_nodes: int, n_tasks: int, seed: int) -> dict:
    """Like swarmkit's benchmark: the nodes and tasks are made, then one pass places them."""
    rng = random.Random(seed)
    wall0 = time.perf_counter()
    store = Store()
    nodes = [
        {
            "ID": ids.new_id(rng),
            "Spec": {"Role": "worker", "Availability": "active", "Labels": {}},
            "Description": {"Hostname": f"node{i}", "Platform": {"OS": "linux"}},
            "Status": {"State": "ready", "Addr": ""},
        }
        for i in range(n_nodes)
    ]
    service = {"ID": ids.new_id(rng), "Spec": {"Name": "bench"}}
    spec = {"ContainerSpec": {"Image": "nginx:latest"}}
    tasks = [
        {
            "ID": ids.new_id(rng),
            "Spec": spec,
            "ServiceID": service["ID"],
            "Slot": i + 1,
            "Status": {"State": "pending", "Message": "pending task scheduling"},
            "DesiredState": "running",
        }
        for i in range(n_tasks)
    ]
    store.apply(1, Batch(tuple(Change.create("nodes", n) for n in nodes)))
    store.apply(2, Batch((Change.create("services", service),)))
    store.apply(3, Batch(tuple(Change.create("tasks", t) for t in tasks)))
    made = time.perf_counter() - wall0
    # The scheduler runs on a leader; a pass needs only the store and randomness.
    scheduler = Scheduling(ControllerContext(store, None, None, rng))  # type: ignore[arg-type]
    scheduler.take_stock()
    tx = Tx(store, 0.0)
    placed = scheduler.schedule(tx)
    store.apply(4, Batch(tuple(tx.changes)))
    assert placed == n_tasks
    per_node = {len(list(store.tasks_on_node(n["ID"]))) for n in nodes}
    if n_tasks == n_nodes:
        assert per_node == {1}, "one task per node"
    return {"s": time.perf_counter() - wall0, "setup_s": made}


def run_case(name: str, quick: bool, seed: int) -> dict:
    n, t = (QUICK if quick else CASES)[name]
    figures = (sched_case if name.startswith("sched") else cluster_case)(n, t, seed)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    ap.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)  # a child's case
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.quick, args.seed)))
        return
    out: dict[str, float] = {}
    peak = 0.0
    for name in CASES:
        cmd = [sys.executable, __file__, "--case", name, "--seed", str(args.seed)]
        cmd += ["--quick"] if args.quick else []
        child = subprocess.run(cmd, capture_output=True, text=True)
        if child.returncode != 0:
            raise SystemExit(f"{name} failed:\n{child.stderr}")
        fig = json.loads(child.stdout.strip().splitlines()[-1])
        n, t = (QUICK if args.quick else CASES)[name]
        out[f"{name}_s"] = round(fig["s"], 2)
        peak = max(peak, fig["peak_rss_mb"])
        if name.startswith("sched"):
            print(
                f"scheduler alone, {t:,} tasks on {n:,} nodes: {fig['s']:.2f} s "
                f"(of which {fig['setup_s']:.2f} s making them), peak {fig['peak_rss_mb']:.0f} MiB"
            )
        else:
            out[f"{name}_sim_s"] = round(fig["sim_s"], 2)
            out[f"{name}_form_s"] = round(fig["form_wall_s"], 2)
            out[f"{name}_peak_mb"] = round(fig["peak_rss_mb"])
            per_host = (fig["formed_rss_mb"] - fig["base_rss_mb"]) * 2**10 / n
            per_task = (fig["peak_rss_mb"] - fig["formed_rss_mb"]) * 2**10 / t
            print(
                f"{t:,} tasks on {n:,} hosts all Running: {fig['s']:.2f} s wall "
                f"({fig['sim_s']:.2f} s simulated; forming the swarm took "
                f"{fig['form_wall_s']:.2f} s wall), peak {fig['peak_rss_mb']:.0f} MiB: "
                f"{per_host:.0f} KiB a host, {per_task:.1f} KiB a task",
                flush=True,
            )
    out["peak_rss_mb"] = round(peak)
    out["quick"] = args.quick
    print(json.dumps(out))


if __name__ == "__main__":
    main()
