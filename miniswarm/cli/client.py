"""The docker CLI's connection to one host's daemon.

Each call runs on that host's own loop (as a request to its Engine API would) and waits
for the answer: in simulated seconds under SimDriver, real ones under ThreadDriver.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from ..daemon import DaemonError
from ..sim.kernel import HostDown, Kernel

CANNOT_CONNECT = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?"
)
WAIT_LIMIT = 24 * 3600.0  # a safety net; the daemon has its own deadlines
STARTUP = 0.03  # seconds a docker command takes to start and reach its daemon


class Client:
    def __init__(self, kernel: Kernel, host: str, deadline: float | None = None) -> None:
        self.kernel = kernel
        self.host = host
        self.deadline = deadline  # simulated time at which the command is stopped
        self._started = False

    def _limit(self) -> float:
        if self.deadline is None:
            return WAIT_LIMIT
        left = self.deadline - self.kernel.now()
        if left <= 0:
            raise Stopped()
        return left

    def call(self, method: str, *args: Any) -> Any:
        """Call the daemon's `method`; its DaemonError, or DaemonUnreachable, on failure;
        Stopped if the command's deadline passes first."""
        k = self.kernel
        if not self._started:
            self._started = True
            self.sleep(STARTUP)
        try:
            result = k.wait(k.submit(self.host, lambda d: getattr(d, method)(*args)), self._limit())
            if isinstance(result, Future):
                result = k.wait(result, self._limit())
        except HostDown:
            raise DaemonUnreachable(CANNOT_CONNECT) from None
        except TimeoutError:
            raise Stopped() from None
        return result

    def now(self) -> float:
        """The client's wall clock, for ages ("5 seconds ago")."""
        return self.kernel.epoch + self.kernel.now()

    def sleep(self, seconds: float) -> None:
        """Let time pass (polling loops, progress displays)."""
        from ..sim.simdriver import SimDriver

        k = self.kernel
        if self.deadline is not None:
            if k.now() >= self.deadline:
                raise Stopped()
            seconds = min(seconds, self.deadline - k.now())
        if isinstance(k, SimDriver):
            k.run_for(seconds)
        else:
            import time

            time.sleep(seconds / getattr(k, "speed", 1.0))


class DaemonUnreachable(Exception):
    pass


class Stopped(Exception):
    """The command ran out of time (`timeout N docker ...`) and is stopped where it is."""


__all__ = ["Client", "DaemonError", "DaemonUnreachable"]
