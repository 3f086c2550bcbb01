"""A Raft member on a simulated host: the pure core of `raft.py` driven by the host's
clock, disk and network, applying what commits to a state machine.

This is where the order that `Ready` demands is kept — persist, send, apply — and where
proposals wait for their entries to commit (swarm's `ProposeValue`).
"""

from __future__ import annotations

import pickle
import random
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from itertools import repeat
from typing import Any, Protocol

from .encryption import Cipher, deserialise, new_key, serialise, unwrap, wrap
from .raft import (
    Config,
    Entry,
    Message,
    ProposalRefused,
    Raft,
    RaftStorage,
    Ready,
    Snapshot,
    Status,
    data_size,
)
from .sim.kernel import Event, HostContext, Process, Repeating

# Swarm's settings (swarmkit manager/state/raft DefaultRaftConfig / DefaultNodeConfig).
TICK_SECONDS = 1.0
ELECTION_TICK = 10
HEARTBEAT_TICK = 1
SNAPSHOT_INTERVAL = 10_000
# The log in memory is compacted once what was applied since weighs this much (~40,000
# store changes), whatever the count of entries: the leader batches many writes into one.
MEMORY_LOG_WEIGHT = 8 << 20
LOG_ENTRIES_FOR_SLOW_FOLLOWERS = 500
BIG_MACHINE = 2 << 20  # a state machine this heavy (10,000 objects) is compacted by share


# gRPC's connection backoff, as swarmkit's Raft transport dials its peers (grpc-go's
# defaults with WithBackoffMaxDelay(8s)): a peer that refused a connection is not tried
# again until the backoff has passed, so a restarted manager shows as Unreachable for a
# few seconds — but never long enough for it to time out and call an election.
BACKOFF_BASE = 1.0
BACKOFF_FACTOR = 1.6
BACKOFF_JITTER = 0.2
BACKOFF_MAX = 8.0
# A leader hears from each follower every tick; this much silence means unreachable.
REACHABLE_SILENCE = 3.0


@dataclass(slots=True)
class Packet:
    """A Raft message on the wire. Refusable: sent to a host whose daemon is down, it
    comes back as Unreachable, like a refused gRPC connection."""

    msg: Message
    refusable = True

    @property
    def kind(self) -> str:
        return type(self.msg).__name__

    def wire_size(self) -> int:
        return self.msg.wire_size()

    def refused(self) -> Unreachable:
        return Unreachable(self.msg.dst)


@dataclass(slots=True)
class Unreachable:
    member: str

    def wire_size(self) -> int:
        return 40


class Peer:
    """The connection to one other member, as a gRPC client connection sees it."""

    __slots__ = ("active", "active_since", "last_heard", "backoff", "retry_at")

    def __init__(self, now: float) -> None:
        self.active = True
        self.active_since = now
        self.last_heard = now
        self.backoff = 0.0
        self.retry_at = 0.0


class LostLeadership(ProposalRefused):
    """The proposal's fate is unknown: this member stopped leading before it committed
    (swarm's `raft: failed to process the request: node lost leader status`)."""


class StateMachine(Protocol):
    def apply(self, entry: Entry) -> Any:
        """Apply one committed entry (commands, configurations and no-ops alike) and
        return what its proposer gets."""

    def snapshot(self) -> Any:
        """The whole state, as a value that will never be mutated afterwards."""

    def restore(self, data: Any) -> None:
        """Replace the whole state with a snapshot's."""


class RaftNode:
    """One member. Persisted state lives on the host's disk under `disk_key`; a new
    member with nothing on disk either bootstraps a cluster (`bootstrap`) or waits,
    without voting rights, for a leader to bring it a log that names it."""

    def __init__(
        self,
        ctx: HostContext,
        machine: StateMachine,
        *,
        member_id: str | None = None,
        bootstrap: Config | None = None,
        tick: float = TICK_SECONDS,
        election_tick: int = ELECTION_TICK,
        heartbeat_tick: int = HEARTBEAT_TICK,
        snapshot_interval: int = SNAPSHOT_INTERVAL,
        keep_entries: int = LOG_ENTRIES_FOR_SLOW_FOLLOWERS,
        disk_key: str = "raft",
        on_leader_change: Callable[[str | None], None] | None = None,
        on_tick: Callable[[], None] | None = None,
        on_removed: Callable[[], None] | None = None,
        kek: bytes | None = None,
    ) -> None:
        self.ctx = ctx
        self.machine = machine
        self.tick_seconds = tick
        self.snapshot_interval = snapshot_interval
        self.keep_entries = keep_entries
        self.on_leader_change = on_leader_change
        self.on_tick = on_tick
        self.on_removed = on_removed  # a member told us we are removed from the cluster
        self.peers: dict[str, Peer] = {}

        disk = ctx.disk
        self._crypto = ctx.stream("raft-crypto")
        self._disk_key = disk_key
        self._dek = data_key(disk, disk_key, self._crypto, kek)
        self.cipher = Cipher(self._dek, self._crypto)
        sealed = disk.read(disk_key)
        if sealed is None:
            if member_id is None:
                raise ValueError("a new Raft member needs an id")
            storage = RaftStorage.bootstrap(bootstrap) if bootstrap else RaftStorage()
            sealed = RaftStorage()
            sealed.save(seal_ready(_whole(storage), self.cipher))
            disk.write(disk_key + "-id", member_id)
            disk.write(disk_key, sealed)
        else:
            storage = unseal(sealed, self.cipher)
        self.storage: RaftStorage = storage
        self.sealed = sealed  # what lies on the disk: the same log, its contents encrypted
        self.id: str = disk.read(disk_key + "-id")
        self.raft = Raft(
            self.id,
            storage,
            ctx.rng,
            election_tick=election_tick,
            heartbeat_tick=heartbeat_tick,
        )
        self._pending: dict[int, tuple[int, Waiter]] = {}  # index -> (term, who waits)
        self._learned: dict[str, str] = {}  # member -> address, from messages received
        self._book: dict[str, str] = {}
        self._book_config: Config | None = None
        self._lead: str | None = None
        self._ticker: Event | Repeating | None = None
        self._log_weight = 0  # what was applied since the log was last compacted in memory

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self.storage.snapshot is not None:
            self.machine.restore(self.storage.snapshot.data)
        # Real hosts boot at different moments, so their ticks are out of phase; in step,
        # two members timing out on the same tick would split the vote far more often.
        phase = self.ctx.rng.random() * self.tick_seconds
        self._ticker = self.ctx.after(phase, self._start_ticking)
        self._flush()

    def _start_ticking(self) -> None:
        self._ticker = self.ctx.every(self.tick_seconds, self.tick)
        self.tick()

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self._fail_pending(LostLeadership("raft member stopped", None))

    def rewrap(self, kek: bytes | None) -> None:
        """Wrap the data key with `kek` (autolock: that key is never written here), or,
        with None, with a new KEK kept on the disk beside it (no autolock). Turning
        autolock on also rotates the data key, as swarm does: whoever copied the disk
        (and its clear KEK) before cannot read what is written from now on."""
        disk, key = self.ctx.disk, self._disk_key
        if kek is None:
            kek = new_key(self._crypto)
            disk.write(key + "-kek", kek)
        else:
            if disk.read(key + "-kek") is not None:
                self._rotate_data_key()
            disk.delete(key + "-kek")
        disk.write(key + "-dek", wrap(kek, self._dek, self._crypto))

    def _rotate_data_key(self) -> None:
        """A new DEK, and the whole log sealed again with it. (The new log and the new
        wrapped key reach the disk in the same event, so no crash falls between them.)"""
        self._dek = new_key(self._crypto)
        self.cipher = Cipher(self._dek, self._crypto)
        sealed = RaftStorage()
        sealed.save(seal_ready(_whole(self.storage), self.cipher))
        self.sealed = sealed
        self.ctx.disk.write(self._disk_key, sealed)

    # -- inputs ------------------------------------------------------------------------------

    def tick(self) -> None:
        self.raft.tick()
        self._flush()
        if self.on_tick is not None:
            self.on_tick()

    def receive(self, src: str, packet: Packet | Unreachable) -> None:
        """A Raft packet from the network, or news that a member refused one."""
        if isinstance(packet, Unreachable):
            self._peer_refused(packet.member)
            return
        msg = packet.msg
        if msg.dst != self.raft.id:
            return  # for a member this host was before it rejoined under a new ID
        self._learned[msg.src] = src
        peer = self._peer(msg.src)
        now = self.ctx.now()
        if not peer.active:
            peer.active, peer.active_since, peer.backoff = True, now, 0.0
        peer.last_heard = now
        self.step(msg)

    def step(self, msg: Message) -> None:
        self.raft.step(msg)
        self._flush()

    def propose(self, data: Any) -> Future:
        """A future for the result of applying `data` once it commits. Raises
        `ProposalRefused` (with the leader, if known) when this member is not the leader."""
        index, term = self.raft.propose(data)
        fut: Future = Future()
        self._pending[index] = (term, fut)
        self._flush()
        return fut

    def propose_many(self, items: list[Any]) -> Future:
        """Several proposals in one go: they leave in the same messages, and one future
        gives the results of applying them, in order, once the last has committed (it
        fails if any of them is lost)."""
        group = _Group(len(items))
        first, term = self.raft.propose_many(items)
        self._pending.update(zip(range(first, first + len(items)), repeat((term, group))))
        self._flush()
        return group.future

    def add_voter(self, member: str, address: str) -> Future:
        return self._config_change(self.raft.add_voter(member, address))

    def remove_voter(self, member: str) -> Future:
        return self._config_change(self.raft.remove_voter(member))

    def campaign(self) -> None:
        """Stand for election now (swarm does, when it is the only member)."""
        self.raft.campaign()
        self._flush()

    def transfer_leadership(self, target: str) -> None:
        self.raft.transfer_leadership(target)
        self._flush()

    def _config_change(self, where: tuple[int, int]) -> Future:
        index, term = where
        fut: Future = Future()
        self._pending[index] = (term, fut)
        self._flush()
        return fut

    # -- state --------------------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        return self.raft.state == "leader"

    @property
    def leader(self) -> str | None:
        return self.raft.lead

    def status(self) -> Status:
        return self.raft.status()

    # -- the transport -----------------------------------------------------------------------

    def _peer(self, member: str) -> Peer:
        peer = self.peers.get(member)
        if peer is None:
            peer = self.peers[member] = Peer(self.ctx.now())
        return peer

    def _peer_refused(self, member: str) -> None:
        peer = self._peer(member)
        now = self.ctx.now()
        if peer.active or now >= peer.retry_at:
            peer.backoff = (
                BACKOFF_BASE
                if peer.backoff == 0
                else min(peer.backoff * BACKOFF_FACTOR, BACKOFF_MAX)
            )
            jitter = 1 + BACKOFF_JITTER * (2 * self.ctx.rng.random() - 1)
            peer.retry_at = now + peer.backoff * jitter
        peer.active = False

    def _send(self, m: Message) -> None:
        addr = self.address_of(m.dst)
        if addr is None:
            return
        peer = self._peer(m.dst)
        if not peer.active and self.ctx.now() < peer.retry_at:
            return  # no connection, and not time to try again yet
        self.ctx.send(addr, Packet(m))

    def reachable(self, member: str) -> bool:
        """Whether this member can reach `member` (swarm's Reachability, as the leader
        sees it): connected, and heard from lately."""
        if member == self.id:
            return True
        peer = self.peers.get(member)
        if peer is None:
            return False
        return peer.active and self.ctx.now() - peer.last_heard <= REACHABLE_SILENCE

    def connected(self, member: str) -> bool:
        """Whether the transport holds a working connection to `member` (swarmkit's
        PeerConn fails for a peer it marked inactive)."""
        peer = self.peers.get(member)
        return peer is None or peer.active

    def active_since(self, member: str) -> float | None:
        peer = self.peers.get(member)
        return peer.active_since if peer is not None and peer.active else None

    def address_of(self, member: str) -> str | None:
        cfg = self.raft.config
        if cfg is not self._book_config:
            self._book = dict(cfg.addresses)
            self._book_config = cfg
        return self._book.get(member) or self._learned.get(member)

    # -- the Ready loop ---------------------------------------------------------------------

    def _flush(self) -> None:
        raft = self.raft
        while raft.has_ready():
            rd = raft.ready()
            self.storage.save(rd)  # 1. persist (encrypted on the disk)
            self.sealed.save(seal_ready(self._for_disk(rd), self.cipher))
            for m in rd.messages:  # 2. send
                self._send(m)
            if rd.restore and rd.snapshot is not None:  # 3. apply
                self.machine.restore(rd.snapshot.data)
            if rd.committed:
                self._apply(rd.committed)
                self._log_weight += sum(_weight(e.data) for e in rd.committed)
            if raft.lead != self._lead:
                self._leader_changed(raft.lead)
            snapshot_index = raft.snapshot.index if raft.snapshot else 0
            if (
                raft.applied - snapshot_index >= self.snapshot_interval
                or self._log_weight >= MEMORY_LOG_WEIGHT
                or self._log_weight >= self._rewritten()
            ):
                self._compact()
        if raft.removed and self.on_removed is not None:
            removed, self.on_removed = self.on_removed, None  # once
            self.ctx.after(0.0, removed)

    def _rewritten(self) -> float:
        """What written since makes a big state machine's snapshot worth taking anew: a
        quarter of its size. The snapshot in memory shares the store's objects, so it
        holds every version written over since; after a burst over a big store (a status
        round of 30,000 tasks) that was two old versions of every task."""
        size = getattr(self.machine, "weight", lambda: 0)()
        return size / 4 if size >= BIG_MACHINE else float("inf")

    def _compact(self) -> None:
        self.raft.compact(self.raft.applied, self.machine.snapshot(), self._keep())
        self._log_weight = 0

    def _keep(self) -> int:
        """Entries kept behind a compaction, for slow followers: `keep_entries`, or fewer
        when they weigh more than a quarter of the log's allowance."""
        kept, weight = 0, 0
        index = self.raft.applied
        while kept < self.keep_entries and index > 0:
            e = self.raft.entry(index)
            if e is None:
                break
            weight += _weight(e.data)
            if weight > MEMORY_LOG_WEIGHT // 4:
                break
            kept += 1
            index -= 1
        return kept

    def _for_disk(self, rd: Ready) -> Ready:
        """What of `rd` goes to the disk. The log in memory is compacted to a snapshot
        whenever it has grown heavy (the state machine's snapshot shares its objects: it
        costs little); the disk takes a snapshot, sealed whole, only every
        `snapshot_interval` entries, and keeps the log since — as etcd's WAL keeps its
        records between snapshots. A snapshot a leader sent is always written."""
        snap = rd.snapshot
        if snap is None or rd.restore:
            return rd
        on_disk = self.sealed.snapshot.index if self.sealed.snapshot else 0
        if snap.index - on_disk >= self.snapshot_interval:
            return rd
        return replace(rd, snapshot=None, log_start=None)

    def _apply(self, entries: list[Entry]) -> None:
        apply, pending = self.machine.apply, self._pending
        for e in entries:
            result = apply(e)
            if pending:
                waiter = pending.pop(e.index, None)
                if waiter is not None:
                    term, fut = waiter
                    if term == e.term:
                        fut.set_result(result)
                    else:
                        fut.set_exception(LostLeadership("entry overwritten", self.raft.lead))

    def _leader_changed(self, lead: str | None) -> None:
        was_leader = self._lead == self.id
        self._lead = lead
        if was_leader and lead != self.id:
            # Swarm cancels every pending wait when this member stops leading.
            self._fail_pending(LostLeadership("node lost leader status", lead))
        if self.on_leader_change is not None:
            self.on_leader_change(lead)

    def _fail_pending(self, exc: Exception) -> None:
        pending, self._pending = self._pending, {}
        for _, fut in pending.values():
            if not fut.done():
                fut.set_exception(exc)


class Waiter(Protocol):
    """What waits for an entry to be applied: a Future, or a group's share of one."""

    def done(self) -> bool: ...

    def set_result(self, result: Any) -> None: ...

    def set_exception(self, exc: BaseException) -> None: ...


class _Group:
    """The waiter of every entry of one `propose_many`: one future for all of them."""

    __slots__ = ("future", "results", "left")

    def __init__(self, n: int) -> None:
        self.future: Future = Future()
        self.results: list[Any] = []
        self.left = n
        if n == 0:
            self.future.set_result([])

    def done(self) -> bool:
        return self.future.done()

    def set_result(self, result: Any) -> None:
        self.results.append(result)  # entries apply in index order
        self.left -= 1
        if self.left == 0 and not self.future.done():
            self.future.set_result(self.results)

    def set_exception(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


def _weight(data: Any) -> int:
    """What a command weighs in the log in memory: a store batch says (200 bytes a
    change), anything else by its size on the wire."""
    if type(data) is bytes:
        return len(data)
    wire_size = getattr(data, "wire_size", None)
    return wire_size() if wire_size is not None else data_size(data)


class AppliedLog:
    """A state machine that only remembers what it applied, in order: enough to check
    that every member applies the same commands at the same indexes."""

    def __init__(self) -> None:
        self.applied: list[tuple[int, Any]] = []  # (index, command) of applied commands
        self.last_index = 0
        self.on_apply: Callable[[int, Any], None] | None = None

    def apply(self, entry: Entry) -> Any:
        if entry.index != self.last_index + 1:
            raise AssertionError(f"applied {entry.index} after {self.last_index}")
        self.last_index = entry.index
        if entry.data is not None:
            self.applied.append((entry.index, entry.data))
            if self.on_apply is not None:
                self.on_apply(entry.index, entry.data)
        return entry.index

    def snapshot(self) -> Any:
        return (self.last_index, tuple(self.applied))

    def restore(self, data: Any) -> None:
        self.last_index, applied = data
        self.applied = list(applied)


class RaftProcess(Process):
    """A host that is only a Raft member, applying to an `AppliedLog`: what the Raft
    tests, the benchmark and the REPL's Raft lab run."""

    def __init__(
        self,
        ctx: HostContext,
        *,
        member_id: str | None = None,
        bootstrap: Config | None = None,
        log: AppliedLog | None = None,
        **options: Any,
    ) -> None:
        super().__init__(ctx)
        self.log = log if log is not None else AppliedLog()
        self.node = RaftNode(ctx, self.log, member_id=member_id, bootstrap=bootstrap, **options)

    def start(self) -> None:
        self.node.start()

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, (Packet, Unreachable)):
            self.node.receive(src, msg)


# -- the log on disk -------------------------------------------------------------------------


class Locked(Exception):
    """The data key is wrapped by a key this manager does not have (autolock)."""


def data_key(disk: Any, disk_key: str, rng: Any, kek: bytes | None = None) -> bytes:
    """The member's DEK, unwrapped with `kek` or, without autolock, with the KEK kept on
    the disk beside it; a new member makes both."""
    wrapped = disk.read(disk_key + "-dek")
    if wrapped is None:
        dek = new_key(rng)
        if kek is None:
            kek = new_key(rng)
            disk.write(disk_key + "-kek", kek)
        disk.write(disk_key + "-dek", wrap(kek, dek, rng))
        return dek
    kek = kek if kek is not None else disk.read(disk_key + "-kek")
    if kek is None:
        raise Locked("the raft data key is locked")
    return unwrap(kek, wrapped, rng)


def unseal(sealed: RaftStorage, cipher: Cipher) -> RaftStorage:
    """The log as Raft works with it, from its encrypted form on the disk."""
    out = RaftStorage()
    out.hard_state = sealed.hard_state
    out.offset, out.offset_term = sealed.offset, sealed.offset_term
    opened: dict[int, list] = {}  # id(record) -> its commands, each record opened once

    def commands(record: bytes) -> list:
        if id(record) not in opened:
            opened[id(record)] = cipher.open_object(record)
        return opened[id(record)]

    def command(e: Entry) -> Any:
        data = e.data
        if type(data) is SealedRecord:
            kept = commands(data.record)[e.index - data.first]
            return kept if type(kept) is bytes else deserialise(kept[0])
        if data is None:
            return None
        if type(data) is SealedCommand:  # a log saved before (its record: pickles alone)
            return deserialise(commands(data.record)[data.position])
        return cipher.open_object(data)  # one command sealed alone (a log saved before)

    out.entries = [Entry(e.term, e.index, command(e), e.config) for e in sealed.entries]
    snap = sealed.snapshot
    if snap is not None:
        out.snapshot = Snapshot(snap.index, snap.term, snap.config, cipher.open_object(snap.data))
    return out


def read_log(disk: Any, disk_key: str = "raft", kek: bytes | None = None) -> RaftStorage | None:
    """A member's log as it is on its disk, decrypted (for tests and inspection)."""
    sealed = disk.read(disk_key)
    if sealed is None:
        return None
    rng = random.Random(0)  # opening consumes no randomness
    return unseal(sealed, Cipher(data_key(disk, disk_key, rng, kek), rng))


def edit_log(disk: Any, disk_key: str, rng: Any, edit: Callable[[RaftStorage], None]) -> None:
    """Change a stopped member's log on its disk (swarm's --force-new-cluster)."""
    cipher = Cipher(data_key(disk, disk_key, rng), rng)
    storage = unseal(disk.read(disk_key), cipher)
    edit(storage)
    sealed = RaftStorage()
    sealed.save(seal_ready(_whole(storage), cipher))
    disk.write(disk_key, sealed)


def _whole(storage: RaftStorage) -> Ready:
    """A Ready that writes all of `storage` afresh."""
    return Ready(
        hard_state=storage.hard_state,
        snapshot=storage.snapshot,
        log_start=(storage.offset, storage.offset_term),
        entries_from=storage.offset + 1,
        entries=list(storage.entries),
    )


@dataclass(slots=True)
class SealedRecord:
    """The commands of one write to the log as they lie on the disk: pickled together and
    sealed once, as a write-ahead log writes a record. Every entry of the write that has a
    command refers to it and finds its command by its index; it goes when the last of
    them is compacted away."""

    record: bytes
    first: int  # the index of the write's first entry


@dataclass(slots=True)
class SealedCommand:
    """A command in a record by its place among the record's commands, each pickled
    alone: how a log saved before SealedRecord lies on the disk (read, no longer written)."""

    record: bytes
    position: int


def seal_ready(rd: Ready, cipher: Cipher) -> Ready:
    """What `rd` asks to persist, with its commands sealed as one record and the snapshot
    sealed (index, term and configuration stay clear, as swarm's MaybeEncryptedRecord
    leaves them)."""
    snap = rd.snapshot
    if snap is not None:
        snap = Snapshot(snap.index, snap.term, snap.config, cipher.seal_object(snap.data))
    entries = rd.entries
    commands = [e.data for e in entries]
    if any(d is not None for d in commands):  # (a write's entries: consecutive)
        # A command as the record keeps it: bytes as they are (swarm's entries are
        # marshalled already, as raft_bench's are: a pickle each was a third of its
        # time); any other object pickled once for every member (serialise), in a 1-tuple.
        kept = [d if d is None or type(d) is bytes else (serialise(d),) for d in commands]
        sealed = cipher.seal(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
        record = SealedRecord(sealed, entries[0].index)
        entries = [
            Entry(e.term, e.index, record, e.config) if e.data is not None else e for e in entries
        ]
    return Ready(
        hard_state=rd.hard_state,
        snapshot=snap,
        log_start=rd.log_start,
        entries_from=rd.entries_from,
        entries=entries,
    )
