"""Driving the leader's parts without a lab: a store, a clock moved by hand, and writes
that commit the moment they run (a one-manager Raft that never fails) — the way
swarmkit's tests drive an orchestrator on a bare MemoryStore.

Also small builders of the objects those parts read: nodes, services, tasks.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from concurrent.futures import Future
from random import Random
from typing import Any

from miniswarm import specs
from miniswarm.gocompat import rfc3339nano
from miniswarm.manager.context import ControllerContext
from miniswarm.manager.store import Batch, Change, Store
from miniswarm.manager.writer import Tx


class Timer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualClock:
    """Timers that fire only when the test moves the clock (`advance`)."""

    def __init__(self) -> None:
        self.t = 0.0
        self._queue: list[tuple[float, int, Timer, Callable, tuple]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.t

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer()
        heapq.heappush(self._queue, (self.t + delay, next(self._order), timer, fn, args))
        return timer

    def every(self, period: float, fn: Callable[[], Any]) -> Timer:
        timer = Timer()

        def fire() -> None:
            if not timer.cancelled:
                fn()
                self._queue_at(period, fire, timer)

        self._queue_at(period, fire, timer)
        return timer

    def _queue_at(self, delay: float, fn: Callable, timer: Timer) -> None:
        heapq.heappush(self._queue, (self.t + delay, next(self._order), timer, fn, ()))

    def advance(self, seconds: float) -> None:
        """Run every timer due within `seconds`, in time order, then stop there."""
        end = self.t + seconds
        while self._queue and self._queue[0][0] <= end:
            at, _, timer, fn, args = heapq.heappop(self._queue)
            self.t = at
            if not timer.cancelled:
                fn(*args)
        self.t = end


class Leader:
    """A store, a clock, and writes committed at once, in the order they were asked for."""

    def __init__(self, seed: int = 0) -> None:
        self.store = Store()
        self.clock = ManualClock()
        self.rng = Random(seed)
        self.context = ControllerContext(self.store, self.update, self.clock, self.rng)
        self.writes = 0

    def update(self, write: Callable[[Tx], Any]) -> Future:
        fut: Future = Future()

        def run() -> None:
            tx = Tx(self.store, self.clock.now())
            try:
                result = write(tx)
            except Exception as exc:
                fut.set_exception(exc)
                return
            if tx.changes:
                self.writes += 1
                self.store.apply(self.store.index + 1, Batch(tuple(tx.changes)))
            fut.set_result(result)

        self.clock.after(0.0, run)  # as the leader's writer: in a batch of its own, soon
        return fut

    def put(self, kind: str, *objs: dict) -> None:
        """Objects straight into the store, as if committed long ago."""
        changes = tuple(Change.create(kind, o) for o in objs)
        self.store.apply(self.store.index + 1, Batch(changes))

    def set(self, kind: str, obj: dict) -> None:
        self.store.apply(self.store.index + 1, Batch((Change.update(kind, obj),)))

    def tasks(self, service_id: str | None = None) -> list[dict]:
        ts = self.store.all("tasks")
        return [t for t in ts if service_id is None or t.get("ServiceID") == service_id]


def node(
    id: str,
    *,
    role: str = "worker",
    availability: str = "active",
    state: str = "ready",
    labels: dict | None = None,
    cpus: float = 2,
    memory: int = 2 << 30,
    arch: str = "x86_64",
) -> dict:
    return {
        "ID": id,
        "Spec": {"Role": role, "Availability": availability, "Labels": labels or {}},
        "Description": {
            "Hostname": id,
            "Platform": {"OS": "linux", "Architecture": arch},
            "Resources": {"NanoCPUs": int(cpus * 1e9), "MemoryBytes": memory},
        },
        "Status": {"State": state, "Addr": ""},
    }


def service(id: str, *, replicas: int | None = 1, mode: str = "replicated", **task_spec) -> dict:
    spec: dict[str, Any] = {
        "Name": id,
        "TaskTemplate": {"ContainerSpec": {"Image": "nginx:latest"}, **task_spec},
        "Mode": {"Global": {}} if mode == "global" else {"Replicated": {"Replicas": replicas}},
    }
    return {"ID": id, "Spec": specs.with_defaults(spec), "_spec_version": 1}


def task(
    service: dict,
    id: str,
    *,
    slot: int = 0,
    node_id: str = "",
    state: str = "pending",
    desired: str = "running",
    created: float = 0.0,
    spec_version: int | None = None,
) -> dict:
    t: dict[str, Any] = {
        "ID": id,
        "CreatedAt": rfc3339nano(created),
        "Spec": specs.task_spec(service),
        "ServiceID": service["ID"],
        "Status": {"Timestamp": rfc3339nano(created), "State": state},
        "DesiredState": desired,
        "_spec_version": service.get("_spec_version", 0) if spec_version is None else spec_version,
    }
    if slot:
        t["Slot"] = slot
    if node_id:
        t["NodeID"] = node_id
    return t
