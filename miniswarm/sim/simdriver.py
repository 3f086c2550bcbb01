"""SimDriver: one thread, one event queue, virtual time; the same seed, the same run."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .kernel import Event, Host, Kernel
from .network import Network


class SimDriver(Kernel):
    """Events are popped in (virtual time, sequence number) order and run one at a time.

    Nothing here reads the wall clock: time jumps from one event to the next, so letting
    an idle hour pass costs only the events in that hour. Tests, property tests, lesson
    transcripts and benchmarks run on it.
    """

    def __init__(self, seed: int = 0, network: Network | None = None, record: bool = False):
        super().__init__(seed, network, record)
        self._now = 0.0
        self._queue: list[tuple[float, int, Event]] = []
        self.steps = 0

    def now(self) -> float:
        return self._now

    def _schedule(self, at: float, ev: Event) -> None:
        heapq.heappush(self._queue, (at, next(self._seq), ev))

    def _queued(self) -> list[tuple[float, Event]]:
        return [(at, ev) for at, _, ev in self._queue if not ev.cancelled]

    def _control(self, host: Host, fn: Callable[[], Any]) -> Any:
        # Single-threaded: between two events nothing else is running.
        return fn()

    # -- running the world --------------------------------------------------------------

    def step(self) -> bool:
        """Run the next event; False when there is none."""
        if not self._queue:
            return False
        at, _, ev = heapq.heappop(self._queue)
        if at > self._now:
            self._now = at
        self.steps += 1
        self._dispatch(ev)
        return True

    def set_clock(self, seconds: float, epoch: float | None = None) -> None:
        if self._queue:
            raise RuntimeError("set_clock() is for a lab where nothing has run yet")
        self._now = seconds
        if epoch is not None:
            self.epoch = epoch

    def advance(self, seconds: float) -> None:
        paused, self._paused = self._paused, False
        try:
            self.run_for(seconds)
        finally:
            self._paused = paused

    def run_until(self, t: float) -> None:
        """Run every event due by virtual time `t`, then set the clock to `t` (while
        paused, only what is due now: the clock stands still)."""
        if self.paused:
            t = min(t, self._now)
        q = self._queue
        while q and q[0][0] <= t:
            self.step()
        if t > self._now:
            self._now = t

    def run_for(self, seconds: float) -> None:
        self.run_until(self._now + seconds)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Run events until `predicate()` holds (checked after each event) or `timeout`
        virtual seconds pass; whether it held."""
        deadline = self._now if self.paused else self._now + timeout
        q = self._queue
        while not predicate():
            if not q or q[0][0] > deadline:
                self.run_until(deadline)
                return predicate()
            self.step()
        return True

    def wait(self, fut: Future, timeout: float | None = None) -> Any:
        deadline = float("inf") if timeout is None else self._now + timeout
        if self.paused:
            deadline, timeout = self._now, 0.0
        q = self._queue
        while not fut.done():
            if not q or q[0][0] > deadline:
                if timeout is not None:
                    self.run_until(deadline)
                if not fut.done():
                    raise TimeoutError(f"no answer within {timeout} simulated seconds")
                break
            self.step()
        return fut.result()
