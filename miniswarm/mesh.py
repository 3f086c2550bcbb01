"""The routing mesh on one host: moby's ingress network and IPVS, in small.

A port published in ingress mode answers on every node of the swarm, whether or not the
node runs a task of the service: the node passes the request to one of the service's
running tasks, in turn (IPVS's round-robin), wherever that task runs. The backends come
from the leader with the node's assignments (real swarm spreads them by gossip among the
nodes), so a node keeps balancing over what it last heard when the managers are gone.
A port published in host mode answers only on a node where a task of the service runs,
from that task; other nodes refuse the connection.

On an overlay network, a container finds a service by its name (the embedded DNS server
at 127.0.0.11): its virtual IP, which balances over its running tasks as the ingress
does, or in dnsrr mode the tasks' own addresses, in a new order each time; `tasks.NAME`
gives the tasks' addresses in any mode. Only the networks the container is on are seen.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .rpc import RpcError, failed, plain_error, resolved

if TYPE_CHECKING:
    from .rpc import Rpc
    from .runtime.container import Runtime
    from .sim.kernel import HostContext
    from .worker import TaskRunner

# Where ingress requests come from, as the backend sees them: the load balancer's address
# on the ingress network (source NAT: the client's own address is lost, moby/moby#25526).
INGRESS_SOURCE = "10.0.0.2"
FORWARD_TIMEOUT = 130.0  # seconds: Linux gives up a TCP connect after about this long

Backends = tuple[tuple[str, str], ...]  # (task ID, node address), running tasks only
# (protocol, published port) -> (service ID, target port, backends)
Table = dict[tuple[str, int], tuple[str, int, Backends]]
# network ID -> service name -> (virtual IP or None, ((task ID, address, node address), ...))
Discovery = dict[str, dict[str, tuple[str | None, tuple[tuple[str, str, str], ...]]]]


def refused() -> RpcError:
    return plain_error("Refused", "connection refused")


class Mesh:
    def __init__(
        self,
        ctx: HostContext,
        rpc: Rpc,
        runtime: Runtime,
        in_swarm: Callable[[], bool],
        runners: Callable[[], list[TaskRunner]],
    ) -> None:
        self.ctx = ctx
        self.rpc = rpc
        self.runtime = runtime
        self.in_swarm = in_swarm  # the node is in a swarm: its ingress answers
        self.runners = runners  # the tasks this node's worker runs
        self.table: Table = {}
        self.discovery: Discovery = {}
        self.networks: dict[str, tuple[dict, str]] = {}  # swarm networks this node is on
        self._turn: dict[Any, int] = {}
        rpc.serve("mesh.request", self._serve_request)
        rpc.serve("mesh.backend", self._serve_backend)

    def lookup(self, on: list[str], name: str) -> list[str] | None:
        """What the embedded DNS server answers a container on the networks `on`: a
        service's virtual IP, or its tasks' addresses (dnsrr, or `tasks.NAME`); None for a
        name it does not know."""
        wants_tasks = name.startswith("tasks.")
        service = name[len("tasks.") :] if wants_tasks else name
        for net_id in on:
            entry = self.discovery.get(net_id, {}).get(service)
            if entry is None:
                continue
            vip, backends = entry
            if vip is not None and not wants_tasks:
                return [vip]
            addresses = [b[1] for b in backends]
            self.ctx.rng.shuffle(addresses)  # the resolver's round robin
            return addresses
        return None

    def _overlay(self, on: list[str], address: str) -> tuple[str, str] | None | bool:
        """Where a connection to `address` on the networks `on` goes: (task, node
        address); None when a virtual IP has no task behind it; False (never True) when
        the address is none of theirs."""
        for net_id in on:
            for vip, backends in self.discovery.get(net_id, {}).values():
                if vip == address:
                    if not backends:
                        return None
                    turn = self._turn.get(vip, 0)  # IPVS's round robin
                    self._turn[vip] = turn + 1
                    task_id, _, node = backends[turn % len(backends)]
                    return task_id, node
                for task_id, task_address, node in backends:
                    if task_address == address:
                        return task_id, node
        return False

    def get(
        self,
        address: str,
        port: int,
        path: str,
        timeout: float,
        source: tuple[str, list[str]] | None = None,
    ) -> Future:
        """A client on this host asks `address:port` for `path` — a container, when
        `source` is its address and networks: a Future of (status, body), failing with
        `refused()`, or as the network fails (Unavailable when that host is down,
        DeadlineExceeded when nothing answers in time)."""
        if source is not None:
            client, on = source
            route = self._overlay(on, address)
            if route is None:
                return failed(refused())
            if isinstance(route, tuple):
                task_id, node = route
                if self._here(task_id, node):
                    try:
                        return resolved(self.backend(task_id, port, path, client))
                    except RpcError as exc:
                        return failed(exc)
                body = (task_id, port, path, client)
                return self.rpc.call(node, "mesh.backend", body, timeout=timeout)
        if address in (self.ctx.address, "127.0.0.1", "localhost"):
            try:
                answer = self.request(port, path, self.ctx.address)
            except RpcError as exc:
                return failed(exc)
            return answer if isinstance(answer, Future) else resolved(answer)
        return self.rpc.call(address, "mesh.request", (port, path), timeout=timeout)

    def _serve_request(self, src: str, body: tuple[int, str]) -> Any:
        port, path = body
        return self.request(port, path, src)

    def request(self, port: int, path: str, client: str) -> Any:
        """A request arriving on this host's `port`: ingress first (the DOCKER-INGRESS
        chain comes before docker's own), then host-mode bindings."""
        key = ("tcp", port)
        entry = self.table.get(key)
        if entry is not None and self.in_swarm():
            _, target, backends = entry
            if not backends:
                raise refused()
            turn = self._turn.get(key, 0)
            self._turn[key] = turn + 1
            task_id, address = backends[turn % len(backends)]
            if self._here(task_id, address):
                return self.backend(task_id, target, path, INGRESS_SOURCE)
            forwarded = self.rpc.call(
                address, "mesh.backend", (task_id, target, path), timeout=FORWARD_TIMEOUT
            )
            answer: Future = Future()

            def done(f: Future) -> None:
                # A backend that cannot be reached leaves the connection hanging, as a
                # lost SYN does; the client's own deadline ends it.
                if f.exception() is None:
                    answer.set_result(f.result())
                elif isinstance(exc := f.exception(), RpcError) and exc.code == "Refused":
                    answer.set_exception(exc)

            forwarded.add_done_callback(done)
            return answer
        for runner in self.runners():
            if runner.container is None or not runner.container.running:
                continue  # a stopped task's binding went with its container
            for p in runner.host_ports():
                if p.get("PublishedPort") == port and p.get("Protocol", "tcp") == "tcp":
                    return self._answer(runner.container, p["TargetPort"], path, client)
        raise refused()

    def _here(self, task_id: str, node: str) -> bool:
        """Whether a backend runs on this node: its address, or one of its own tasks
        (a node may advertise an address not its own, and reaches its tasks itself)."""
        return node == self.ctx.address or any(r.id == task_id for r in self.runners())

    def _serve_backend(self, src: str, body: tuple) -> Any:
        task_id, target, path = body[:3]
        client = body[3] if len(body) > 3 else INGRESS_SOURCE  # an overlay's client is seen
        return self.backend(task_id, target, path, client)

    def backend(self, task_id: str, target: int, path: str, client: str) -> tuple[int, str]:
        for runner in self.runners():
            if runner.id == task_id:
                return self._answer(runner.container, target, path, client)
        raise refused()

    def _answer(self, container: Any, port: int, path: str, client: str) -> tuple[int, str]:
        answer = None if container is None else self.runtime.http(container, port, path, client)
        if answer is None:
            raise refused()
        return answer

    def clear(self) -> None:
        """The node left the swarm: it forgets the mesh."""
        self.table = {}
        self.discovery = {}
        self.networks = {}
        self._turn = {}
