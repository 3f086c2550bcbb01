"""What a leader's controller is given: the store to read and watch, a way to propose a
write, the host's clock and its randomness — not the whole manager.

A controller built on this alone can be driven by a test with a store, a clock of its
own and writes that commit at once, as swarmkit's tests drive its orchestrators on a
bare MemoryStore.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from random import Random
from typing import Any, Protocol

from .store import Store
from .writer import Tx


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    """The host's clock: what time it is, and timers (a host's `HostContext`)."""

    def now(self) -> float: ...

    def after(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer: ...

    def every(self, period: float, fn: Callable[[], Any]) -> Timer: ...


Update = Callable[[Callable[[Tx], Any]], Future]


@dataclass(frozen=True)
class ControllerContext:
    store: Store
    update: Update  # run a write transaction on the leader; the future says once committed
    clock: Clock
    rng: Random
