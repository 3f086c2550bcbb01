"""ThreadDriver: a thread per host, each with its own inbox, on the real clock."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .kernel import Event, Host, Kernel
from .network import Network


class _Loop:
    """One host's event loop: a heap of due events and the thread that runs them."""

    __slots__ = ("host", "heap", "cond", "thread", "stopping", "busy")

    def __init__(self, host: Host) -> None:
        self.host = host
        self.heap: list[tuple[float, int, Event]] = []
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.stopping = False
        self.busy = False  # running an event


class ThreadDriver(Kernel):
    """The interactive driver: the cluster lives on while the student types.

    Each host runs its events on its own thread, in time order; messages between hosts
    go through the same network model as under SimDriver. Time is the real clock times
    `speed` (a speed of 10 makes a 10 s election timeout take one real second); paused,
    it stands still, and only what is due (a command's call on a host) runs until
    `advance` or `resume`. `clock` is the real clock (a test may give its own).
    An exception escaping an event is a bug: it is kept in `errors` (and the host goes
    on), so that a student's session survives it and a test can fail on it.
    """

    def __init__(
        self,
        seed: int = 0,
        speed: float = 1.0,
        network: Network | None = None,
        record: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(seed, network, record)
        self.speed = speed
        self.clock = clock
        self._frozen: float | None = None  # the lab time it stands at, while paused
        self._start_at = 0.0  # the lab time it starts at
        self._start_epoch: float | None = None  # its calendar's, if not today's
        self._t0: float | None = None
        self._loops: dict[str, _Loop] = {}
        self._running = False
        self._progress = threading.Condition()
        self._progress_count = 0
        self.errors: list[BaseException] = []

    def now(self) -> float:
        if self._frozen is not None:
            return self._frozen
        if self._t0 is None:
            return self._start_at
        return (self.clock() - self._t0) * self.speed

    def set_clock(self, seconds: float, epoch: float | None = None) -> None:
        if self._t0 is not None:
            raise RuntimeError("set_clock() is for a lab not started yet")
        self._start_at = seconds
        self._start_epoch = epoch

    def set_speed(self, speed: float) -> None:
        """Run faster or slower from now on; the clock does not jump."""
        now = self.now()
        self.speed = speed
        if self._t0 is not None:
            self._t0 = self.clock() - now / speed
        self._wake()

    @property
    def paused(self) -> bool:
        return self._frozen is not None

    def pause(self) -> None:
        if self._frozen is None:
            self._frozen = self.now()
            self._wake()

    def resume(self) -> None:
        if self._frozen is not None:
            frozen, self._frozen = self._frozen, None
            if self._t0 is not None:
                self._t0 = self.clock() - frozen / self.speed
            self._wake()

    def advance(self, seconds: float) -> None:
        """While paused: the clock moves `seconds` on, and the hosts run what falls due."""
        if self._frozen is None:
            raise RuntimeError("advance() is for a paused lab")
        self._frozen += max(0.0, seconds)
        self._wake()
        self.wait_until(self._caught_up, 5.0 * self.speed)

    def _caught_up(self) -> bool:
        """Every host has run what is due by now (paused: nothing more will be)."""
        now = self.now()
        for loop in self._loops.values():
            with loop.cond:
                if loop.busy or (loop.heap and loop.heap[0][0] <= now):
                    return False
        return True

    def _wake(self) -> None:
        for loop in self._loops.values():
            with loop.cond:
                loop.cond.notify()  # recompute how long to wait for the next event

    # -- lifecycle ------------------------------------------------------------------------

    def _host_added(self, host: Host) -> None:
        loop = self._loops[host.name] = _Loop(host)
        if self._running:
            self._spawn(loop)

    def start(self) -> ThreadDriver:
        if self._running:
            return self
        if self._t0 is None:
            self._t0 = self.clock() - self._start_at / self.speed
            # timestamps read the real date, or go on from a saved lab's
            self.epoch = (
                self._start_epoch if self._start_epoch is not None else time.time() - self._start_at
            )
        self._running = True
        for loop in self._loops.values():
            self._spawn(loop)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every host thread and wait for it; raise if one will not stop."""
        self._running = False
        for loop in self._loops.values():
            with loop.cond:
                loop.stopping = True
                loop.cond.notify()
        stuck = []
        for loop in self._loops.values():
            if loop.thread is not None:
                loop.thread.join(timeout)
                if loop.thread.is_alive():
                    stuck.append(loop.host.name)
                loop.thread = None
            loop.stopping = False
        if stuck:
            raise RuntimeError(f"host threads did not stop: {', '.join(stuck)}")

    def __enter__(self) -> ThreadDriver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, loop: _Loop) -> None:
        loop.thread = threading.Thread(
            target=self._run, args=(loop,), name=f"host-{loop.host.name}", daemon=True
        )
        loop.thread.start()

    # -- events -----------------------------------------------------------------------------

    def _schedule(self, at: float, ev: Event) -> None:
        loop = self._loops[ev.host.name]
        with loop.cond:
            heapq.heappush(loop.heap, (at, next(self._seq), ev))
            loop.cond.notify()

    def _queued(self) -> list[tuple[float, Event]]:
        out = []
        for loop in self._loops.values():
            with loop.cond:
                out += [(at, ev) for at, _, ev in loop.heap if not ev.cancelled]
        return out

    def _control(self, host: Host, fn: Callable[[], Any]) -> Any:
        loop = self._loops[host.name]
        if not self._running or threading.current_thread() is loop.thread:
            return fn()
        fut: Future = Future()

        def run() -> None:
            try:
                fut.set_result(fn())
            except Exception as exc:
                fut.set_exception(exc)

        self._schedule(self.now(), Event(host, None, run, (), "control"))
        return fut.result(timeout=30)

    def _run(self, loop: _Loop) -> None:
        heap, cond = loop.heap, loop.cond
        while True:
            with cond:
                while True:
                    if loop.stopping:
                        return
                    if heap:
                        delay = (heap[0][0] - self.now()) / self.speed
                        if delay <= 0:
                            _, _, ev = heapq.heappop(heap)
                            loop.busy = True
                            break
                        cond.wait(None if self._frozen is not None else delay)
                    else:
                        cond.wait()
            try:
                self._dispatch(ev)
            except BaseException as exc:  # a bug in a process: keep it, keep going
                self.errors.append(exc)
            with cond:
                loop.busy = False
            with self._progress:
                self._progress_count += 1
                self._progress.notify_all()

    # -- waiting from outside (tests, the REPL) ----------------------------------------------

    def wait(self, fut: Future, timeout: float | None = None) -> Any:
        wall = None if timeout is None else timeout / self.speed
        return fut.result(timeout=wall)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait (without polling) until `predicate()` holds after some host event, or
        `timeout` seconds of driver time pass; whether it held."""
        deadline = time.monotonic() + timeout / self.speed
        while True:
            with self._progress:
                seen = self._progress_count
            if predicate():
                return True
            with self._progress:
                while self._progress_count == seen:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return predicate()
                    self._progress.wait(remaining)
