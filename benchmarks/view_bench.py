"""What the live views cost: `lab map`, `lab raft` and the toolbar, at three lab sizes.

    python benchmarks/view_bench.py [--seed 0] [--quick]

For 5 hosts with 15 tasks, 100 with 3,000 and 1,000 with 30,000 (three managers, the rest
workers, one service of nginx replicas, every task Running), on SimDriver: the wall
milliseconds to gather and draw each view once (the median and the worst of --repeat
runs): the whole map (`lab map`), the map as a 16-row pane shows it (`lab watch map`),
the Raft view, and the toolbar seen from a manager and from a worker. The REPL redraws a
watched view and the toolbar every second; the target is under 50 ms at 1,000 hosts.
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

from miniswarm import views  # noqa: E402
from miniswarm.lab import Lab  # noqa: E402
from miniswarm.labcmd import view_text  # noqa: E402
from miniswarm.shell import Shell  # noqa: E402

SIZES = ((5, 15), (100, 3_000), (1_000, 30_000))
QUICK = ((5, 15), (20, 300), (50, 1_000))


def hosts(n: int) -> list[tuple[str, str]]:
    names = [f"manager{i + 1}" for i in range(min(3, n))]
    names += [f"worker{i + 1}" for i in range(n - len(names))]
    return [(name, f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256 + 1}") for i, name in
            enumerate(names)]  # fmt: skip


def timed(fn, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), max(runs)


def case(n_hosts: int, n_tasks: int, seed: int, repeat: int) -> dict:
    lab = Lab(hosts(n_hosts), seed=seed)
    lab.form_swarm(lab.names[:3], lab.names[3:])
    sh = Shell(lab, "manager1")
    sh.run(f"docker service create -d --name web --replicas {n_tasks} nginx")
    want = f"web {n_tasks}/{n_tasks}"
    while sh.run("docker service ls --format '{{.Name}} {{.Replicas}}'").text.strip() != want:
        lab.sleep(1.0)
    figures = {}
    for name, fn in (
        ("map", lambda: views.draw_map(views.cluster_picture(lab), 80)),
        ("map_pane", lambda: view_text(lab, "map", 80, rows=16)),
        ("raft", lambda: views.draw_raft(views.raft_picture(lab), 80)),
        ("toolbar", lambda: views.toolbar_facts(lab, "manager1")),
        ("toolbar_worker", lambda: views.toolbar_facts(lab, lab.names[-1])),
    ):
        median, worst = timed(fn, repeat)
        figures[name] = {"median_ms": round(median, 2), "max_ms": round(worst, 2)}
    lab.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = {}
    for n_hosts, n_tasks in QUICK if args.quick else SIZES:
        figures = case(n_hosts, n_tasks, args.seed, args.repeat)
        key = f"hosts{n_hosts}_tasks{n_tasks}"
        out[key] = figures
        line = "  ".join(
            f"{view} {f['median_ms']:.1f} ms (max {f['max_ms']:.1f})" for view, f in figures.items()
        )
        print(f"{n_hosts:>5} hosts {n_tasks:>6} tasks:  {line}", flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
