"""A lab: simulated hosts running dockerd, a network between them, and a way to type
docker commands on any of them. The REPL, transcripts, lessons and tests all use it."""

from __future__ import annotations

import functools
import json
import random
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from .cli import main as cli
from .cli.client import Client
from .cli.commands import Context, Terminal, Writer, swarm
from .daemon import Daemon
from .engineapi.router import Request, dispatch
from .job import Job
from .mesh import FORWARD_TIMEOUT
from .sim import Kernel, PacedDriver, SimDriver, ThreadDriver

# The notes' addresses, and the reference recordings' host names: three would-be managers
# (so that quorum can be explored) and two workers.
DEFAULT_HOSTS = [
    ("manager1", "192.168.0.100"),
    ("manager2", "192.168.0.101"),
    ("manager3", "192.168.0.102"),
    ("worker1", "192.168.0.103"),
    ("worker2", "192.168.0.104"),
]


SETTLE_SECONDS = 20.0  # at least; up to twice as long


@dataclass
class Result:
    out: str
    err: str
    status: int


class Lab:
    def __init__(
        self,
        hosts: list[tuple[str, str]] | None = None,
        *,
        driver: str = "sim",
        seed: int = 0,
        speed: float = 1.0,
        standins: bool = False,
        boot: Callable[[Lab], None] | None = None,
    ) -> None:
        """`standins`: the images carry busybox's programs as well as their own, as the
        busybox stand-ins of the reference recordings did (their `nginx` ran
        `httpd -f -p 80`); a lab for students runs the images as they are. `boot`: what
        to do instead of powering every host on (a saved session puts its disks back
        and its clock first)."""
        self.hosts = list(hosts or DEFAULT_HOSTS)
        self.standins = standins
        self.sockets: Any = None  # engineapi.server.Sockets, while `lab sockets` serves
        if driver == "sim":
            self.kernel: Kernel = SimDriver(seed=seed)
        elif driver == "paced":
            self.kernel = PacedDriver(seed=seed, speed=speed)
        else:
            self.kernel = ThreadDriver(seed=seed, speed=speed)
        factory = functools.partial(Daemon, standins=True) if standins else Daemon
        for name, address in self.hosts:
            self.kernel.add_host(name, address, factory, start=boot is None)
        # The docker CLI's own randomness (Go's map order), apart from the cluster's.
        self.cli_rng = random.Random(f"docker-cli/{seed}")
        # Each host's files (what `> FILE` writes and `secret create NAME FILE` reads).
        self.files: dict[str, dict[str, str]] = {name: {} for name, _ in self.hosts}
        if boot is not None:
            boot(self)
        if isinstance(self.kernel, ThreadDriver):
            self.kernel.start()

    def go_live(self) -> Lab:
        """A PacedDriver lab starts unpaced (a replay catches up at full speed); from
        here on it runs on the wall clock, and on its own while nobody types."""
        if isinstance(self.kernel, PacedDriver):
            self.kernel.start()
        return self

    def close(self) -> None:
        if self.sockets is not None:
            self.sockets.close()
            self.sockets = None
        if isinstance(self.kernel, (ThreadDriver, PacedDriver)):
            self.kernel.stop()

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.hosts]

    def address(self, host: str) -> str:
        return self.kernel.host(host).address

    def docker(
        self,
        host: str,
        argv: list[str],
        stdin: str | None = None,
        tty: bool = False,
        width: int = 80,
        height: int = 24,
        job: Job | None = None,
        terminal: Terminal | None = None,
        stdout: Writer | None = None,
        stderr: Writer | None = None,
        env: dict[str, str] | None = None,
    ) -> Result:
        """Run `docker ARGV...` on `host`, as a student at its prompt would. What it
        prints goes to `stdout`/`stderr` as it is printed (and into the Result); `job`
        is how it waits and is stopped (Ctrl-C, `timeout`); `terminal` is the keyboard
        when nothing is piped in; `env` is the shell's (DOCKER_HOST picks the daemon)."""
        job = job if job is not None else Job(self.kernel)
        out: list[str] = []
        err: list[str] = []

        def tee(into: list[str], then: Writer | None) -> Writer:
            def write(text: str) -> None:
                into.append(text)
                if then is not None:
                    then(text)

            return write

        ctx = Context(
            self.client(host, job),
            stdout=tee(out, stdout),
            stderr=tee(err, stderr),
            stdin=stdin,
            tty=tty,
            width=width,
            height=height,
            files=self.files[host],
            rng=self.cli_rng,
            terminal=terminal,
        )

        def connect(spec: str) -> bool:
            """-H HOST: HOST, its address, or tcp://ADDR[:PORT]."""
            target = spec.split("://", 1)[-1].rsplit(":", 1)[0] if ":" in spec else spec
            for name, address in self.hosts:
                if target in (name, address):
                    ctx.client = self.client(name, job)
                    return True
            return False

        ctx.connect = connect
        docker_host = (env or {}).get("DOCKER_HOST")
        if docker_host and not connect(docker_host):
            ctx.eprint(
                f"Cannot connect to the Docker daemon at {docker_host}. "
                "Is the docker daemon running?"
            )
            return Result("".join(out), "".join(err), 1)
        status = cli.run(argv, ctx)
        return Result("".join(out), "".join(err), status)

    def client(self, host: str, job: Job) -> Client:
        """A docker client of `host`'s daemon. (The reference recordings' machine could
        reach no registry: the warnings that gave were taken out of them.)"""
        return Client(self.kernel, host, job, registry_warnings=not self.standins)

    def http_get(self, host: str, address: str, port: int, path: str, job: Job) -> tuple[int, str]:
        """GET http://ADDRESS:PORT/PATH from `host` (curl): (status, body). Fails with the
        network's RpcError or DaemonUnreachable; the job's Killed when it is stopped."""
        client = self.client(host, job)
        deadline = job.deadline
        timeout = FORWARD_TIMEOUT if deadline is None else max(0.001, deadline - self.now())
        # Not the Engine API: the host's own network stack, where the mesh answers.
        return client.on_host(lambda daemon: daemon.mesh.get(address, port, path, timeout))

    def resolve(self, name: str) -> str | None:
        """A host name or address, as the lab machines' /etc/hosts resolve it."""
        for host, address in self.hosts:
            if name in (host, address):
                return address
        # a dotted quad is an address only if each part is a byte: 999.1.1.1 is a name
        # (and resolves to nothing), as the resolver of a real machine has it
        parts = name.split(".")
        if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
            return name
        return None

    # -- simulation actions ---------------------------------------------------------------------

    def stop(self, host: str) -> None:
        self.kernel.crash(host)

    def start(self, host: str) -> None:
        self.kernel.start_host(host)

    def partition(self, *groups: list[str]) -> None:
        self.kernel.partition(*groups)

    def heal(self) -> None:
        self.kernel.heal()

    def sleep(self, seconds: float) -> None:
        Job(self.kernel).sleep(seconds)

    def now(self) -> float:
        return self.kernel.now()

    # -- set-up -------------------------------------------------------------------------------

    def form_swarm_quickly(self, managers: list[str], workers: list[str]) -> None:
        """form_swarm on a lab in real time, a hundred times faster; then the lab's
        calendar meets the machine's again, so that a client reading the real clock
        (the real docker CLI) sees the ages the lab's own CLI sees."""
        speed = getattr(self.kernel, "speed", 1.0)
        self.kernel.set_speed(100)
        self.form_swarm(managers, workers)
        self.kernel.set_speed(speed)
        self.kernel.epoch = time.time() - self.now()

    def form_swarm(self, managers: list[str], workers: list[str], at_once: int = 1) -> None:
        """The first manager initialises a swarm; the others join it (silently), the
        workers `at_once` at a time (as swarm3k's volunteers joined theirs: a big lab is
        then formed in as many joins' time as there are batches, not hosts)."""
        first = managers[0]
        self._ok(first, ["swarm", "init", "--advertise-addr", self.address(first)])
        tokens = {
            role: self._ok(first, ["swarm", "join-token", "-q", role]).strip()
            for role in ("manager", "worker")
        }
        target = f"{self.address(first)}:2377"
        for host in managers[1:]:
            self._ok(host, ["swarm", "join", "--token", tokens["manager"], target])
        for start in range(0, len(workers), at_once):
            batch = workers[start : start + at_once]
            if len(batch) == 1:
                self._ok(batch[0], ["swarm", "join", "--token", tokens["worker"], target])
            else:
                self._join_together(batch, tokens["worker"], target)
        # A swarm formed for a lesson has been up a while before the first command, as
        # the recordings' were, and for no set time: heartbeats and elections are not in
        # step with the first command.
        self.sleep(SETTLE_SECONDS * (1 + self.kernel.rng.random()))

    def _join_together(self, hosts: list[str], token: str, target: str) -> None:
        """`docker swarm join` on each host at the same moment: their daemons' join
        requests, as the CLI sends them, answered together."""
        data = json.dumps(swarm.join_request(token, target)).encode()
        job = Job(self.kernel)
        asked = [
            self.kernel.submit(host, dispatch, Request.parse("POST", "/swarm/join", data))
            for host in hosts
        ]
        for host, future in zip(hosts, asked, strict=True):
            answer = job.wait(future)
            answer = job.wait(answer) if isinstance(answer, Future) else answer
            if answer.status >= 400:
                raise RuntimeError(f"{host}: docker swarm join: {answer.error}")

    def current_token(self, role: str) -> str | None:
        """The swarm's join token for `role`, asked of the first manager that answers."""
        for host in self.names:
            r = self.docker(host, ["swarm", "join-token", "-q", role])
            if r.status == 0:
                return r.out.strip()
        return None

    def _ok(self, host: str, argv: list[str]) -> str:
        r = self.docker(host, argv)
        if r.status != 0:
            raise RuntimeError(f"{host}: docker {' '.join(argv)}: {r.err.strip()}")
        return r.out
