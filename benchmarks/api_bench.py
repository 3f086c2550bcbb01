"""The Engine API over a socket: how many requests a host's socket answers, and how long
the real docker CLI takes against it.

    python benchmarks/api_bench.py [--hosts 100] [--services 100] [--seconds 3] [--runs 30]

A swarm of HOSTS hosts (three managers) with SERVICES services of two replicas each is
made on the simulator, then served in real time as `lab sockets` serves the REPL's lab
(PacedDriver). One client on one keep-alive connection to manager1's Unix socket sends
`GET /v1.41/services` and then `GET /v1.41/nodes` for SECONDS each: requests per second.
Then the real `docker node ls` (the binary on PATH, if there is one) runs RUNS times:
its wall time, median and p99, from process start to exit. The last line is one JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from miniswarm.engineapi.server import Sockets  # noqa: E402
from miniswarm.lab import Lab  # noqa: E402


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost")
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def hosts(n: int) -> list[tuple[str, str]]:
    names = [f"manager{i + 1}" for i in range(min(3, n))]
    names += [f"worker{i + 1}" for i in range(n - len(names))]
    return [(name, f"10.{i // 256 % 256}.{i % 256}.{i // 65536 + 1}") for i, name in
            enumerate(names)]  # fmt: skip


def build(n_hosts: int, n_services: int, seed: int) -> Lab:
    lab = Lab(hosts(n_hosts), driver="paced", seed=seed)
    names = lab.names
    lab.form_swarm(names[:3], names[3:])
    for i in range(n_services):
        argv = f"service create -d --name svc{i} --replicas 2 nginx:1.24".split()
        assert lab.docker("manager1", argv).status == 0
    lab.sleep(30)
    lab.go_live()
    lab.kernel.start()
    return lab


def rate(path: str, target: str, seconds: float) -> tuple[float, int]:
    conn = UnixConnection(path)
    done, size = 0, 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        conn.request("GET", target)
        resp = conn.getresponse()
        body = resp.read()
        assert resp.status == 200, (resp.status, body[:200])
        size = len(body)
        done += 1
    conn.close()
    return done / seconds, size


def docker_latency(path: str, runs: int) -> dict | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    env = dict(os.environ, DOCKER_HOST=f"unix://{path}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([docker, "node", "ls"], capture_output=True, env=env, timeout=60)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr
    times.sort()
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    return {"median_ms": statistics.median(times) * 1000, "p99_ms": p99 * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    lab = build(args.hosts, args.services, args.seed)
    print(f"lab: {args.hosts} hosts, {args.services} services ({time.perf_counter() - t0:.1f} s)")
    directory = tempfile.mkdtemp(prefix="msapi")
    sockets = Sockets(lab.kernel, directory)
    path = sockets.servers["manager1"].path
    figures: dict = {"hosts": args.hosts, "services": args.services}
    try:
        for name, target in (("services", "/v1.41/services"), ("nodes", "/v1.41/nodes")):
            per_second, size = rate(path, target, args.seconds)
            figures[f"GET /{name} req/s"] = round(per_second, 1)
            print(f"GET /{name}: {per_second:.1f} requests/s ({size / 1024:.0f} KiB each)")
        latency = docker_latency(path, args.runs)
        if latency is None:
            print("docker node ls: no docker binary on PATH")
        else:
            figures["docker node ls"] = {k: round(v, 1) for k, v in latency.items()}
            print(
                f"docker node ls ({args.runs} runs): median {latency['median_ms']:.0f} ms, "
                f"p99 {latency['p99_ms']:.0f} ms"
            )
    finally:
        sockets.close()
        lab.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
