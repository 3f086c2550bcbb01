"""The simulated network between host addresses: latency, loss, duplication, reordering
and partitions, decided by the kernel's seeded randomness."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from random import Random
from typing import Any


@dataclass
class NetStats:
    """What crossed the network. `bytes` counts what messages say their wire size is."""

    sent: int = 0
    delivered: int = 0
    dropped: int = 0
    duplicated: int = 0
    bytes: int = 0
    by_kind: Counter = field(default_factory=Counter)

    def reset(self) -> None:
        self.sent = self.delivered = self.dropped = self.duplicated = self.bytes = 0
        self.by_kind.clear()


class Network:
    """Decides the fate of every message: when it arrives, twice, or never.

    Latency is `latency` plus a uniform jitter. Like a TCP connection (swarm talks gRPC),
    a link delivers in order: jitter never lets a message overtake an earlier one on the
    same link — unless it is one of the `reorder` fraction held back up to
    `reorder_delay` more, which later messages do overtake. Links can be cut one way or
    both; a cut link loses what is sent over it and what was in flight on it.
    """

    def __init__(
        self,
        latency: float = 0.0005,
        jitter: float = 0.0005,
        loss: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        reorder_delay: float = 0.05,
    ) -> None:
        self.latency = latency
        self.jitter = jitter
        self.loss = loss
        self.duplicate = duplicate
        self.reorder = reorder
        self.reorder_delay = reorder_delay
        self.rng = Random(0)
        self.stats = NetStats()
        self._blocked: set[tuple[str, str]] = set()
        self._last_arrival: dict[tuple[str, str], float] = {}  # per link, for FIFO
        # Called with (src, dst, msg) for every message sent: for tests and the REPL's
        # view of the traffic.
        self.taps: list[Callable[[str, str, Any], None]] = []
        # ThreadDriver routes from several host threads at once.
        self._lock = threading.Lock()

    # -- faults ---------------------------------------------------------------------------

    def set_faults(
        self,
        *,
        loss: float | None = None,
        duplicate: float | None = None,
        reorder: float | None = None,
        reorder_delay: float | None = None,
    ) -> None:
        with self._lock:
            if loss is not None:
                self.loss = loss
            if duplicate is not None:
                self.duplicate = duplicate
            if reorder is not None:
                self.reorder = reorder
            if reorder_delay is not None:
                self.reorder_delay = reorder_delay

    def reliable(self) -> None:
        """No loss, no duplication, no reordering (partitions are left as they are)."""
        self.set_faults(loss=0.0, duplicate=0.0, reorder=0.0)

    def cut(self, src: str, dst: str, *, both_ways: bool = True) -> None:
        with self._lock:
            self._blocked.add((src, dst))
            if both_ways:
                self._blocked.add((dst, src))

    def partition(self, groups: Iterable[Iterable[str]]) -> None:
        """Only hosts of the same group can reach each other (links already cut stay cut)."""
        groups = [list(g) for g in groups]
        with self._lock:
            for i, a in enumerate(groups):
                for b in groups[i + 1 :]:
                    for x in a:
                        for y in b:
                            self._blocked.add((x, y))
                            self._blocked.add((y, x))

    def isolate(self, addr: str, others: Iterable[str]) -> None:
        for other in others:
            if other != addr:
                self.cut(addr, other)

    def reconnect(self, addr: str) -> None:
        """Restore every link to and from one address."""
        with self._lock:
            self._blocked = {p for p in self._blocked if addr not in p}

    def heal(self) -> None:
        """Restore every link (the fault rates are left as they are)."""
        with self._lock:
            self._blocked.clear()

    def can_reach(self, src: str, dst: str) -> bool:
        return (src, dst) not in self._blocked

    @property
    def cut_links(self) -> frozenset[tuple[str, str]]:
        return frozenset(self._blocked)

    # -- routing --------------------------------------------------------------------------

    def route(self, src: str, dst: str, msg: Any, now: float) -> list[float]:
        """The delays after which copies of `msg`, sent at `now`, arrive: none if it is
        lost."""
        with self._lock:
            stats = self.stats
            stats.sent += 1
            stats.by_kind[getattr(msg, "kind", None) or type(msg).__name__] += 1
            size = getattr(msg, "wire_size", None)
            if size is not None:
                stats.bytes += size()
            for tap in self.taps:
                tap(src, dst, msg)
            if (src, dst) in self._blocked:
                stats.dropped += 1
                return []
            rng = self.rng
            if self.loss and rng.random() < self.loss:
                stats.dropped += 1
                return []
            delays = [self._delay(rng, (src, dst), now)]
            if self.duplicate and rng.random() < self.duplicate:
                stats.duplicated += 1
                delays.append(self._delay(rng, (src, dst), now))
            return delays

    def _delay(self, rng: Random, link: tuple[str, str], now: float) -> float:
        d = self.latency + rng.random() * self.jitter
        if self.reorder and rng.random() < self.reorder:
            return d + rng.random() * self.reorder_delay  # out of order, on purpose
        last = self._last_arrival.get(link, 0.0)
        if now + d < last:
            d = last - now
        self._last_arrival[link] = now + d
        return d

    def arrives(self, src: str, dst: str) -> bool:
        """Whether a message in flight may land: a link cut meanwhile loses it."""
        with self._lock:
            if (src, dst) in self._blocked:
                self.stats.dropped += 1
                return False
            self.stats.delivered += 1
            return True
