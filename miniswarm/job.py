"""A command line running at a student's terminal, and the three ways it is stopped.

A command spends its life waiting — for a daemon's answer, or for time to pass (`sleep`,
a progress display polling, `logs -f`). `Job` is the one place where it waits, and so
the one place where it can be stopped: by Ctrl-C (the terminal's SIGINT), by `timeout`,
or by the reader of its output going away (`| head -3`: SIGPIPE). Each is an exception a
command may catch and handle — docker's progress display catches Ctrl-C and says the
operation goes on in the background — or let go, and die with the status a shell shows.

Under SimDriver the job advances simulated time itself; under ThreadDriver it waits on
the real clock. Either way it waits in short slices and looks at the keyboard between
them, never inside a host's event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sim.kernel import Kernel

# How often a waiting command looks at the keyboard: wall seconds under ThreadDriver,
# simulated seconds under SimDriver.
SLICE = 0.05
FOREVER = 24 * 3600.0  # a safety net for a wait nobody bounded; daemons have their own


class Killed(BaseException):  # noqa: N818 - a signal, not an error
    """The command was stopped from outside. Like KeyboardInterrupt it is not an
    Exception, so no `except Exception` in a command swallows it by accident."""

    status = 1


class Interrupted(Killed):
    """Ctrl-C: SIGINT, exit status 130."""

    status = 130


class TimedOut(Killed):
    """`timeout N` ran out: the command is stopped where it is, exit status 124."""

    status = 124

    def __init__(self, deadline: float) -> None:
        super().__init__(deadline)
        self.deadline = deadline


class Paused(Killed):
    """Lab time is paused (`lab pause`) and the command needs it to run: it stops and
    says so, rather than hang until someone resumes."""

    status = 1


class Rewound(Killed):
    """`lab rewind` made the lab again: the rest of the line it was on belonged to the
    lab that is gone, and is dropped."""

    status = 0


class BrokenPipe(Killed):
    """What reads this command's output has gone (`| head -n 3`): SIGPIPE, status 141."""

    status = 141


class Job:
    """How a command line waits. `interrupted()` looks at the keyboard (the REPL's) and
    says whether Ctrl-C was typed since it last looked."""

    def __init__(self, kernel: Kernel, interrupted: Callable[[], bool] | None = None) -> None:
        self.kernel = kernel
        self.interrupted = interrupted
        self._deadlines: list[float] = []

    @property
    def deadline(self) -> float | None:
        """When the innermost `timeout` stops the command (simulated time), if any."""
        return min(self._deadlines) if self._deadlines else None

    @contextmanager
    def timeout(self, seconds: float) -> Iterator[float]:
        """Within this block the command is stopped `seconds` from now (TimedOut)."""
        deadline = self.kernel.now() + seconds
        self._deadlines.append(deadline)
        try:
            yield deadline
        finally:
            self._deadlines.remove(deadline)

    def check(self) -> None:
        """Raise if the command must stop now."""
        if self.interrupted is not None and self.interrupted():
            raise Interrupted()
        deadline = self.deadline
        if deadline is not None and self.kernel.now() >= deadline:
            raise TimedOut(deadline)

    def _slice(self, remaining: float) -> float:
        return min(remaining, SLICE) if self.interrupted is not None else remaining

    def sleep(self, seconds: float) -> None:
        """Let `seconds` of lab time pass (less if the command is stopped first)."""
        from .sim.simdriver import SimDriver

        self.check()
        k = self.kernel
        if k.paused and seconds > 0:
            raise Paused()
        end = k.now() + max(0.0, seconds)
        deadline = self.deadline
        if deadline is not None:
            end = min(end, deadline)
        while True:
            remaining = end - k.now()
            if remaining <= 0:
                break
            if isinstance(k, SimDriver):
                k.run_for(self._slice(remaining))
            else:
                import time

                time.sleep(self._slice(remaining / getattr(k, "speed", 1.0)))
            self.check()
        self.check()

    def wait(self, fut: Future, limit: float = FOREVER) -> Any:
        """The future's result, waiting at most `limit` seconds of lab time (then
        TimeoutError); stopped early by Ctrl-C or `timeout`."""
        k = self.kernel
        end = k.now() + limit
        while True:
            self.check()
            remaining = end - k.now()
            deadline = self.deadline
            if deadline is not None:
                remaining = min(remaining, deadline - k.now())
            if remaining <= 0 and not fut.done():
                self.check()
                raise TimeoutError("no answer in time")
            try:
                return k.wait(fut, self._slice(max(remaining, 0.0)))
            except (TimeoutError, FutureTimeout):
                if fut.done():
                    return fut.result()
                if k.paused:  # what is due now has run; the answer needs time to pass
                    raise Paused() from None
