"""The docker CLI's connection to one host's daemon.

Each call runs on that host's own loop (as a request to its Engine API would) and waits
for the answer through the command's Job: in simulated seconds under SimDriver, real ones
under ThreadDriver — and Ctrl-C or `timeout` stop the wait.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from ..daemon import DaemonError
from ..job import Job
from ..sim.kernel import HostDown, Kernel

CANNOT_CONNECT = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?"
)
STARTUP = 0.03  # seconds a docker command takes to start and reach its daemon


class Client:
    def __init__(self, kernel: Kernel, host: str, job: Job | None = None) -> None:
        self.kernel = kernel
        self.host = host
        self.job = job if job is not None else Job(kernel)
        self._started = False

    def call(self, method: str, *args: Any) -> Any:
        """Call the daemon's `method`; its DaemonError, or DaemonUnreachable, on failure.
        The job's Killed exceptions stop the wait."""
        k = self.kernel
        if not self._started:
            self._started = True
            if not k.paused:  # the CLI's own start-up; paused, only the cluster stands still
                self.sleep(STARTUP)
        try:
            result = self.job.wait(k.submit(self.host, lambda d: getattr(d, method)(*args)))
            if isinstance(result, Future):
                result = self.job.wait(result)
        except HostDown:
            raise DaemonUnreachable(CANNOT_CONNECT) from None
        return result

    def now(self) -> float:
        """The client's wall clock, for ages ("5 seconds ago")."""
        return self.kernel.epoch + self.kernel.now()

    def sleep(self, seconds: float) -> None:
        """Let time pass (polling loops, progress displays)."""
        self.job.sleep(seconds)


class DaemonUnreachable(Exception):
    pass


__all__ = ["Client", "DaemonError", "DaemonUnreachable"]
