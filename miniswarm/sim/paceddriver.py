"""PacedDriver: SimDriver's one queue and one order of events, run on the wall clock.

The REPL's lab lives on while the student types, as under ThreadDriver, but every event
runs in SimDriver's order — (time, sequence) — on one thread at a time. So a session is
its seed and the lines typed, each at the simulated moment it began (with the moment a
Ctrl-C stopped it, and what it read from the keyboard): played again on a fresh lab,
unpaced, it reaches the very same state. That is what `lab rewind` does.

Time is driven by whoever holds `lock`: a command of the student's (its waits step the
queue, each event when the wall clock reaches it at `speed`), or, between commands, the
pump thread, which runs what falls due. A look from the prompt (the toolbar, completion)
takes the lock too and runs only what is due now.

A command may run up to LOOKAHEAD ahead of the wall clock, and ends only when the wall
clock has reached its end: the Python work of the lab and of the CLI (answering a
request, laying out a table) overlaps the time the command takes in the simulation (the
CLI's 30 ms start-up), as a real daemon works while the real CLI starts. Nobody sees the
lab ahead: the command holds the lab until the wall clock has caught up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from . import gcpolicy
from .network import Network
from .simdriver import SimDriver

PUMP_EVERY = 0.02  # wall seconds between the pump's turns while nobody types
LOOKAHEAD = 0.05  # wall seconds a typed command may run ahead of the wall clock
IDLE_FOR = 1.0  # wall seconds since the last typed command: the collector may review


class PacedDriver(SimDriver):
    def __init__(
        self,
        seed: int = 0,
        speed: float = 1.0,
        network: Network | None = None,
        record: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(seed, network, record)
        self.speed = speed
        self.clock = clock
        self._sleep = sleep
        self.lock = threading.RLock()
        self.realtime = False  # paced by the wall clock (off while a session is replayed)
        self._anchor = (0.0, 0.0)  # (wall, simulated) time at the last change of pace
        self._pump: threading.Thread | None = None
        self._running = False
        self.errors: list[BaseException] = []  # a bug in a process, kept (as ThreadDriver)
        self._last_command = 0.0  # wall time a typed command last ended
        self._slack = 0.0  # wall seconds the lab may run ahead (LOOKAHEAD in a command)

    # -- the pace ---------------------------------------------------------------------------

    def target(self) -> float:
        """Where simulated time should be by now, by the wall clock."""
        if not self.realtime or self.paused:
            return self._now
        return max(self._now, self._by_the_wall())

    def _by_the_wall(self) -> float:
        """The simulated time the wall clock has reached (the lab may be ahead of it)."""
        wall, simulated = self._anchor
        return simulated + (self.clock() - wall) * self.speed

    def set_speed(self, speed: float) -> None:
        with self.lock:
            self._anchor = (self.clock(), self.target())
            self.speed = speed

    def pause(self) -> None:
        with self.lock:
            super().pause()

    def resume(self) -> None:
        with self.lock:
            super().resume()
            self._anchor = (self.clock(), self._now)

    def go_live(self) -> None:
        """From now on, paced by the wall clock (a replay has caught up)."""
        with self.lock:
            self.realtime = True
            self._anchor = (self.clock(), self._now)

    def _pace(self, at: float) -> None:
        """Hold until the wall clock reaches simulated time `at` (in a typed command, until
        `at` is no more than LOOKAHEAD ahead of it)."""
        while self.realtime and not self.paused:
            ahead = (at - self._by_the_wall()) / self.speed - self._slack  # in wall seconds
            if ahead <= 0:
                return
            self._sleep(min(ahead, 0.05))

    # -- SimDriver's loop, paced and locked -----------------------------------------------

    def step(self) -> bool:
        with self.lock:
            if not self._queue:
                return False
            at = self._queue[0][0]
            if at > self._now:
                self._pace(at)
            return super().step()

    def run_until(self, t: float) -> None:
        with self.lock:
            if self.paused:
                t = min(t, self._now)
            while self._queue and self._queue[0][0] <= t:
                self.step()
            self._pace(t)
            if t > self._now:
                self._now = t

    def wait(self, fut: Future, timeout: float | None = None) -> Any:
        with self.lock:
            return super().wait(fut, timeout)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self.lock:
            return super().wait_until(predicate, timeout)

    def _schedule(self, at: float, ev: Any) -> None:
        with self.lock:
            super()._schedule(at, ev)

    def _queued(self) -> list:
        with self.lock:
            return super()._queued()

    def advance(self, seconds: float) -> None:
        with self.lock:
            live, self.realtime = self.realtime, False  # a step is taken at once
            try:
                super().advance(seconds)
            finally:
                self.realtime = live
                self._anchor = (self.clock(), self._now)

    # -- between commands -----------------------------------------------------------------

    @contextmanager
    def command(self) -> Iterator[None]:
        """A typed command holds the lab while it runs (its time is the line's), from the
        wall clock's moment until the wall clock reaches its end, running up to LOOKAHEAD
        ahead meanwhile; when it ended is kept, so that the collector's long pauses wait
        for a quiet moment."""
        with self.lock:
            # It begins at the wall clock's moment: what fell due since the pump's last
            # turn runs first (the line is not stamped up to a pump's period early).
            self.run_until(self.target())
            outer, self._slack = self._slack, LOOKAHEAD
            gcpolicy.busy(True)
            try:
                yield
            finally:
                gcpolicy.busy(False)
                self._slack = outer
                self._pace(self._now)  # it ends when the wall clock reaches its end
                self._last_command = self.clock()

    def start(self) -> PacedDriver:
        """Run what falls due while nobody types (the pump)."""
        if self._running:
            return self
        self.go_live()
        gcpolicy.interactive(True)
        self._running = True
        self._pump = threading.Thread(target=self._pump_loop, name="lab-pump", daemon=True)
        self._pump.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if not self._running:
            return
        self._running = False
        if self._pump is not None:
            self._pump.join(timeout)
            self._pump = None
        gcpolicy.interactive(False)

    def _pump_loop(self) -> None:
        while self._running:
            if self.lock.acquire(timeout=PUMP_EVERY):
                try:
                    self.run_until(self.target())
                    if self.clock() - self._last_command >= IDLE_FOR:
                        gcpolicy.idle()
                except BaseException as exc:  # a bug in a process: keep it, keep going
                    self.errors.append(exc)
                finally:
                    self.lock.release()
            self._sleep(PUMP_EVERY)
