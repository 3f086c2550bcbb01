"""What a student feels at the REPL while a big lab runs: keystroke to echo, and the
commands they type, on the REPL's own driver (PacedDriver at real speed).

    python benchmarks/repl_bench.py [--hosts 1000 --tasks 30000 --update 1000] [--quick]

At three sizes (100 hosts and 3,000 tasks, 300 and 10,000, 1,000 and 30,000), or the
one given: the lab (three managers, the rest workers) is formed and its tasks started
unpaced, then goes live on the wall clock; a rolling update of a service of as many
tasks as hosts (20 at a time) runs meanwhile. Measured, in wall milliseconds (median,
p99 by nearest rank and the highest; 200 keystrokes, 100 runs of each command):
- `keystroke`: a key sent to prompt_toolkit's prompt (pipe input, with the REPL's
  toolbar redrawn every second) until it is in the line being edited;
- `docker service ls`, `docker node ls`, `docker service ps big` typed at the session.
Targets (issue "Performance"): each under 50 ms at p99 with 1,000 hosts and 30,000
tasks (a docker command's own start-up is 30 ms of it, as the real CLI's: no command
ends sooner; the lab's and the CLI's Python work overlaps it, as PacedDriver lets a
command run ahead of the wall clock). The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prompt_toolkit import PromptSession  # noqa: E402
from prompt_toolkit.input import create_pipe_input  # noqa: E402
from prompt_toolkit.output import DummyOutput  # noqa: E402

from miniswarm.lab import Lab  # noqa: E402
from miniswarm.repl import Session, _toolbar  # noqa: E402


def hosts(n: int) -> list[tuple[str, str]]:
    names = [f"manager{i + 1}" for i in range(min(3, n))]
    names += [f"worker{i + 1}" for i in range(n - len(names))]
    return [(name, f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256 + 1}") for i, name in
            enumerate(names)]  # fmt: skip


def quantiles(ms: list[float]) -> dict:
    """Median, p99 by nearest rank (the least sample that 99 % of them do not exceed:
    with 100 samples, the second highest) and the highest."""
    ms = sorted(ms)
    p99 = ms[math.ceil(len(ms) * 0.99) - 1]
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p99_ms": round(p99, 2),
        "max_ms": round(ms[-1], 2),
    }


def ready(lab: Lab, session: Session, service: str, n: int) -> None:
    quiet = lambda _: None  # noqa: E731
    want = f"{service} {n}/{n}"
    while True:
        out: list[str] = []
        session.run(f"docker service ls --filter name={service} --format "
                    "'{{.Name}} {{.Replicas}}'", out.append, quiet)  # fmt: skip
        if "".join(out).strip() == want:
            return
        lab.kernel.run_until(lab.now() + 2.0)


def keystrokes(session: Session, count: int) -> list[float]:
    """Type `count` keys at a prompt_toolkit prompt with the REPL's toolbar."""
    with create_pipe_input() as pipe:
        prompt: PromptSession[str] = PromptSession(
            input=pipe, output=DummyOutput(), bottom_toolbar=lambda: _toolbar(session),
            refresh_interval=1.0,
        )  # fmt: skip
        done = threading.Event()

        def run() -> None:
            try:
                prompt.prompt("manager1 $ ")
            finally:
                done.set()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        time.sleep(0.5)
        lag = []
        for k in range(count):
            before = len(prompt.default_buffer.text)
            t0 = time.perf_counter()
            pipe.send_text("abcdefghij"[k % 10])
            while len(prompt.default_buffer.text) == before:
                time.sleep(0.0002)
            lag.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.01)  # a fast typist: 100 keys a second
        pipe.send_text("\r")
        done.wait(5)
    return lag


def measure(n_hosts: int, n_tasks: int, n_update: int, seed: int) -> dict:
    """One lab of that size, live, with the update rolling: the figures."""
    wall0 = time.perf_counter()
    lab = Lab(hosts(n_hosts), driver="paced", seed=seed)
    lab.form_swarm(lab.names[:3], lab.names[3:], at_once=100)  # as swarm3k's joined
    session = Session(lab, tty=True, width=200)
    quiet = lambda _: None  # noqa: E731
    session.run(f"docker service create -d --name web --replicas {n_tasks} nginx", quiet, quiet)
    session.run(f"docker service create -d --name big --replicas {n_update} nginx:1.24",
                quiet, quiet)  # fmt: skip
    ready(lab, session, "web", n_tasks)
    ready(lab, session, "big", n_update)
    setup = time.perf_counter() - wall0
    session.run("docker service update -d --image nginx:1.25 --update-parallelism 20 "
                "--update-delay 1s big", quiet, quiet)  # fmt: skip
    lab.go_live()
    figures: dict = {"setup_s": round(setup, 1)}
    figures["keystroke"] = quantiles(keystrokes(session, 200))
    for command in ("docker service ls", "docker node ls", "docker service ps big"):
        lag = []
        for _ in range(COMMAND_SAMPLES):
            t0 = time.perf_counter()
            session.run(command, quiet, quiet)
            lag.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.1)
        figures[command] = quantiles(lag)
    out: list[str] = []  # "updating": the update rolled all the while
    session.run("docker service inspect --format '{{.UpdateStatus.State}}' big", out.append, quiet)
    figures["update_state"] = "".join(out).strip()
    lab.close()
    return figures


# A command's samples: a p99 of 15 was their highest; of 100, a p99 is one at last.
COMMAND_SAMPLES = 100
# (hosts, tasks, tasks updated): how the cost grows, up to the size
SIZES = ((100, 3_000, 100), (300, 10_000, 300), (1000, 30_000, 1000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, help="one size only: this many hosts")
    parser.add_argument("--tasks", type=int, default=30_000)
    parser.add_argument("--update", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = SIZES
    if args.quick:
        sizes = ((20, 300, 40),)
    elif args.hosts:
        sizes = ((args.hosts, args.tasks, args.update),)
    results = []
    for n_hosts, n_tasks, n_update in sizes:
        figures = measure(n_hosts, n_tasks, n_update, args.seed)
        print(f"-- {n_hosts:,} hosts, {n_tasks:,} tasks, an update of {n_update:,} rolling")
        for name, value in figures.items():
            print(f"{name:<24} {value}", flush=True)
        results.append({"hosts": n_hosts, "tasks": n_tasks, **figures})
    print(json.dumps(results if len(results) > 1 else results[0]))


if __name__ == "__main__":
    main()
