"""The simulation kernel: hosts, their clocks, randomness, disks and the network.

A host is an actor. All of its state is touched only by its own events: a message from
the network, a timer firing, or a local call (the CLI talking to its daemon). The two
drivers differ only in how they order those events and where time comes from
(`SimDriver`: one queue, virtual time; `ThreadDriver`: a thread per host, the real
clock); everything a process can do goes through this module, so both run the same code.

All randomness and all time come from here: a process asks its context for `now()` and
`rng`, never `time` or `random`, which is what makes a run reproducible from its seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from random import Random
from typing import Any

from . import gcpolicy, mallocpolicy
from .disk import Disk
from .network import Network


class HostDown(Exception):
    """The host is not running (it lost power, or was never started)."""


class UnknownHost(KeyError):
    pass


class Event:
    """A timer, a message in flight or a local call, waiting for its time."""

    __slots__ = ("host", "incarnation", "fn", "args", "kind", "cancelled")

    def __init__(
        self, host: Host, incarnation: int | None, fn: Callable | None, args: tuple, kind: str
    ) -> None:
        self.host = host
        # None: whatever incarnation is up when it lands (messages); otherwise the event
        # belongs to one life of the host and dies with it (timers).
        self.incarnation = incarnation
        self.fn = fn
        self.args = args
        self.kind = kind
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Repeating:
    """A timer that fires every `period` until cancelled (or its host crashes)."""

    __slots__ = ("_ctx", "period", "fn", "_event")

    def __init__(self, ctx: HostContext, period: float, fn: Callable[[], Any]) -> None:
        self._ctx = ctx
        self.period = period
        self.fn = fn
        self._event: Event | None = ctx.after(period, self._fire)

    def _fire(self) -> None:
        self._event = self._ctx.after(self.period, self._fire)
        self.fn()

    def cancel(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None


class HostContext:
    """What a process sees of the world: its host's clock, randomness, disk and network.

    One context per life of the host: after a crash, the old context's timers never fire.
    """

    __slots__ = ("_kernel", "host", "incarnation", "rng", "_streams")

    def __init__(self, kernel: Kernel, host: Host, incarnation: int) -> None:
        self._kernel = kernel
        self.host = host
        self.incarnation = incarnation
        self.rng = Random(f"{kernel.seed}/{host.name}/{incarnation}")
        self._streams = 0

    def stream(self, purpose: str) -> Random:
        """Randomness of its own for one purpose (keys, nonces), so that drawing from it
        leaves every other random choice of the host as it was. Each call gives a new
        stream: two users never share one (a nonce must never come twice)."""
        self._streams += 1
        return Random(
            f"{self._kernel.seed}/{self.host.name}/{self.incarnation}/{purpose}/{self._streams}"
        )

    def named_stream(self, purpose: str) -> Random:
        """The same randomness every time it is asked for: for what a host chooses once
        and keeps on its disk (its networks' IDs). Asking for it leaves every other
        stream as it was."""
        return Random(f"{self._kernel.seed}/{self.host.name}/{purpose}")

    @property
    def name(self) -> str:
        return self.host.name

    @property
    def address(self) -> str:
        return self.host.address

    @property
    def disk(self) -> Disk:
        return self.host.disk

    def now(self) -> float:
        return self._kernel.now()

    def wallclock(self) -> float:
        """Seconds since the Unix epoch, for timestamps that users see."""
        return self._kernel.epoch + self._kernel.now()

    def send(self, dst: str, msg: Any) -> None:
        """Put `msg` on the network to address `dst` (it may be delayed, lost, doubled)."""
        self._kernel._send(self.host, dst, msg)

    def after(self, delay: float, fn: Callable, *args: Any) -> Event:
        """Run `fn(*args)` on this host after `delay` seconds, unless cancelled first."""
        k = self._kernel
        ev = Event(self.host, self.incarnation, fn, args, "timer")
        k._schedule(k.now() + delay, ev)
        return ev

    def every(self, period: float, fn: Callable[[], Any]) -> Repeating:
        return Repeating(self, period, fn)

    def log(self, text: str) -> None:
        self._kernel._record(self.host.name, "log", text)


class Process:
    """What runs on a host. A crash throws it away; a restart builds a new one, which
    finds on `ctx.disk` only what the old one persisted."""

    def __init__(self, ctx: HostContext) -> None:
        self.ctx = ctx

    def start(self) -> None:
        """Called once when the host boots, on the host's own loop."""

    def on_message(self, src: str, msg: Any) -> None:
        """A message from address `src` arrived."""


ProcessFactory = Callable[[HostContext], Process]


class Host:
    """A simulated machine: a name, an address, a disk, and (while up) a process."""

    def __init__(self, name: str, address: str, factory: ProcessFactory) -> None:
        self.name = name
        self.address = address
        self.factory = factory
        self.disk = Disk()
        self.up = False
        self.incarnation = 0
        self.process: Process | None = None

    def __repr__(self) -> str:
        state = "up" if self.up else "down"
        return f"<Host {self.name} {self.address} {state}>"


# SimDriver's virtual time 0 is this moment (2026-11-25 21:58:00 UTC), so that simulated
# timestamps read like real ones.
SIM_EPOCH = 1795643880.0


class Kernel:
    """Hosts, the network and the event log; a driver supplies time and the event order."""

    def __init__(self, seed: int = 0, network: Network | None = None, record: bool = False):
        gcpolicy.install()  # a big lab's long-lived objects, out of the collector's way
        mallocpolicy.install()  # its big short-lived buffers, out of the heap
        self.seed = seed
        self.epoch = SIM_EPOCH
        self.network = network if network is not None else Network()
        self.network.rng = Random(f"{seed}/network")
        self.rng = Random(f"{seed}/kernel")
        self.hosts: dict[str, Host] = {}
        self._by_address: dict[str, Host] = {}
        self._seq = itertools.count()
        self.record = record
        self.events: list[str] = []

    # -- time and ordering: supplied by the drivers ----------------------------------------

    speed = 1.0  # how much faster than real time the lab runs (ThreadDriver)
    _paused = False

    def now(self) -> float:
        raise NotImplementedError

    def set_speed(self, speed: float) -> None:
        self.speed = speed

    @property
    def paused(self) -> bool:
        """The clock stands still: only what is due now runs (`lab pause`)."""
        return self._paused

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def advance(self, seconds: float) -> None:
        """While paused: let `seconds` of lab time pass, and stand still again."""
        raise NotImplementedError

    def set_clock(self, seconds: float, epoch: float | None = None) -> None:
        """Before anything runs: the lab's clock starts at `seconds`, and (when given) its
        calendar at `epoch` + `seconds`, so that a saved lab's timestamps go on from where
        they were rather than jump back or forth."""
        raise NotImplementedError

    def _schedule(self, at: float, ev: Event) -> None:
        raise NotImplementedError

    def _control(self, host: Host, fn: Callable[[], Any]) -> Any:
        """Run `fn` as an event of `host`'s own loop and return its result."""
        raise NotImplementedError

    def wait(self, fut: Future, timeout: float | None = None) -> Any:
        """The result of `fut`, waiting at most `timeout` seconds of the driver's time."""
        raise NotImplementedError

    def _queued(self) -> list[tuple[float, Event]]:
        """Every event waiting for its time (a copy), for views of the lab."""
        raise NotImplementedError

    def next_event_at(self) -> float | None:
        """When the next thing happens (a timer, a message landing), if anything will."""
        times = [at for at, _ in self._queued()]
        return min(times) if times else None

    def in_flight(self) -> list[tuple[float, str, str, Any]]:
        """Messages on the wire: (when it lands, from address, to host, message)."""
        return sorted(
            (
                (at, ev.args[0], ev.host.name, ev.args[1])
                for at, ev in self._queued()
                if ev.kind == "msg"
            ),
            key=lambda m: m[0],
        )

    # -- hosts ----------------------------------------------------------------------------

    def add_host(
        self, name: str, address: str, factory: ProcessFactory, *, start: bool = True
    ) -> Host:
        if name in self.hosts or address in self._by_address:
            raise ValueError(f"host {name} / {address} already exists")
        host = Host(name, address, factory)
        self.hosts[name] = host
        self._by_address[address] = host
        self._host_added(host)
        if start:
            self.start_host(name)
        return host

    def _host_added(self, host: Host) -> None:
        """A driver's chance to give a new host what it needs (a thread, say)."""

    def host(self, name_or_address: str) -> Host:
        host = self.hosts.get(name_or_address) or self._by_address.get(name_or_address)
        if host is None:
            raise UnknownHost(name_or_address)
        return host

    def process(self, name: str) -> Process:
        host = self.host(name)
        if not host.up or host.process is None:
            raise HostDown(name)
        return host.process

    def start_host(self, name: str) -> None:
        """Power the host on: a new process starts from what is on its disk."""
        host = self.host(name)

        def boot() -> None:
            if host.up:
                return
            host.incarnation += 1
            host.up = True
            ctx = HostContext(self, host, host.incarnation)
            self._record(host.name, "start", f"#{host.incarnation}")
            host.process = host.factory(ctx)
            host.process.start()

        self._control(host, boot)

    def crash(self, name: str) -> None:
        """The host loses power: its memory, timers and inbox are gone; its disk stays."""
        host = self.host(name)

        def kill() -> None:
            if not host.up:
                return
            host.up = False
            host.process = None
            self._record(host.name, "crash", f"#{host.incarnation}")

        self._control(host, kill)

    def restart(self, name: str) -> None:
        self.crash(name)
        self.start_host(name)

    # -- the network, by host name ----------------------------------------------------------

    def partition(self, *groups: Iterable[str]) -> None:
        """Split the hosts into groups that cannot reach each other; hosts named in no
        group form one more group together."""
        named = [[self.host(n).address for n in g] for g in groups]
        listed = {a for g in named for a in g}
        rest = [h.address for h in self.hosts.values() if h.address not in listed]
        self.network.partition(named + ([rest] if rest else []))
        self._record("lab", "partition", " / ".join(" ".join(g) for g in named))

    def isolate(self, name: str) -> None:
        addr = self.host(name).address
        self.network.isolate(addr, self._by_address)
        self._record("lab", "isolate", name)

    def reconnect(self, name: str) -> None:
        self.network.reconnect(self.host(name).address)
        self._record("lab", "reconnect", name)

    def heal(self) -> None:
        self.network.heal()
        self._record("lab", "heal", "")

    # -- local calls: the outside world (CLI, tests) talking to one host ---------------------

    def submit(self, name: str, fn: Callable[..., Any], *args: Any) -> Future:
        """Run `fn(process, *args)` on the host's loop; the future gets its result."""
        host = self.host(name)
        fut: Future = Future()

        def run() -> None:
            if not fut.set_running_or_notify_cancel():
                return
            if not host.up or host.process is None:
                fut.set_exception(HostDown(name))
                return
            try:
                fut.set_result(fn(host.process, *args))
            except Exception as exc:  # handed to whoever waits on the future
                fut.set_exception(exc)

        self._schedule(self.now(), Event(host, None, run, (), "call"))
        return fut

    def call(self, name: str, fn: Callable[..., Any], *args: Any, timeout: float = 60.0) -> Any:
        return self.wait(self.submit(name, fn, *args), timeout)

    # -- plumbing used by contexts and drivers -----------------------------------------------

    def _send(self, src: Host, dst: str, msg: Any) -> None:
        target = self._by_address.get(dst)
        now = self.now()
        delays = self.network.route(src.address, dst, msg, now)
        if self.record:
            fate = ",".join(f"{d:.6f}" for d in delays) or "lost"
            self._record(src.name, "send", f"{dst} {fate} {msg!r}")
        if target is None:
            return
        for d in delays:
            # A message lands on whatever life of the host is up when it arrives.
            self._schedule(now + d, Event(target, None, None, (src.address, msg), "msg"))

    def _dispatch(self, ev: Event) -> None:
        """Run one event on its host, if the host (and, for timers, that life of it) is up."""
        if ev.cancelled:
            return
        host = ev.host
        if ev.kind == "msg":
            src, msg = ev.args
            if not self.network.arrives(src, host.address):
                if self.record:
                    self._record(host.name, "lost", f"from {src} {msg!r}")
                return
            if not host.up:
                # Nothing listens: the machine refuses the connection (a crashed daemon,
                # not a machine gone dark), which the sender learns one trip later.
                if getattr(msg, "refusable", False):
                    self._send(host, src, msg.refused())
                if self.record:
                    self._record(host.name, "refused", f"from {src} {msg!r}")
                return
            if self.record:
                self._record(host.name, "recv", f"from {src} {msg!r}")
            assert host.process is not None  # an up host runs its process
            host.process.on_message(src, msg)
            return
        assert ev.fn is not None  # only messages carry no function
        if ev.kind == "call" or ev.kind == "control":
            ev.fn(*ev.args)
            return
        if not host.up or ev.incarnation != host.incarnation:
            return
        if self.record:
            self._record(host.name, "timer", getattr(ev.fn, "__qualname__", "?"))
        ev.fn(*ev.args)

    def _record(self, who: str, kind: str, detail: str) -> None:
        if self.record:
            self.events.append(f"{self.now():.6f} {who} {kind} {detail}")
