"""Raft consensus as a pure state machine, in the style of etcd-io/raft.

No threads, no sockets, no clock. The host that owns a `Raft` feeds it four kinds of
input — `tick()` once per tick (1 s in swarm), `step(msg)` for every message, and the
local requests `propose()`, `add_voter()` / `remove_voter()`, `transfer_leadership()` —
and after each input takes `ready()`: what to persist, what to send, what to apply. It
must persist, then send, then apply, before the next input; that order is what makes a
vote or an acknowledged entry survive a crash.

Swarm's settings are the defaults: a heartbeat every tick, an election after 10 ticks
(randomised to [10, 20)), CheckQuorum on. One deliberate difference: swarm runs with
PreVote off, we run with it on. Swarm answers a removed member's messages with
ErrMemberRemoved; a manager left behind by `--force-new-cluster` learns it when it first
campaigns, but in the same instant its old peer, as stale as itself, may already have
voted it leader of the old configuration. The pre-vote (which changes no one's term) and
waiting on the answer of every member not yet heard from (`_after_pre_vote`) close that
window, so there are never two leaders.

Membership changes are single-server changes (Ongaro's thesis, §4.1), not joint
consensus. A configuration takes effect on a server as soon as its entry is in that
server's log, committed or not, and a server whose log loses that entry to a new leader
falls back to the previous configuration in its log. Why this is safe: any majority of
a configuration C and any majority of C plus or minus one server share a server, so two
servers using adjacent configurations can neither be elected leaders of one term nor
commit two different entries at one index. The leader keeps it to adjacent
configurations: it starts a change only when (a) the previous change is committed, and
(b) it has committed an entry of its own term — the fix for the bug Ongaro described in
2015, where a new leader could append a change on top of an uncommitted change of an
earlier leader and leave two configurations two servers apart. Swarm never needs more
than one change at a time (join, promote, demote, leave and rm each add or remove one
manager), and this rule is much easier to read and to argue than joint consensus.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from random import Random
from typing import Any

FOLLOWER = "follower"
PRE_CANDIDATE = "pre-candidate"
CANDIDATE = "candidate"
LEADER = "leader"

# How the leader is replicating to one follower (etcd's progress states).
PROBE = "probe"  # one append at a time, until we know where the follower's log ends
REPLICATE = "replicate"  # appends streamed optimistically, up to max_inflight messages
SNAPSHOT = "snapshot"  # a snapshot is on its way; nothing else until it is acknowledged


def data_size(data: Any) -> int:
    """Bytes a command takes on the wire (an estimate for anything but bytes and text)."""
    kind = type(data)  # asked of every entry of every append: the common cases first
    if kind is bytes or kind is str or kind is bytearray:
        return len(data)
    if data is None:
        return 0
    if isinstance(data, (bytes, bytearray, str)):
        return len(data)
    return 64


# -- what is stored and sent ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Config:
    """The voting members. `addresses` is not Raft's business: it rides along so that
    every member learns where the others are from the log itself. `removed` is swarm's
    blacklist of removed members: a message from one of them is answered with Removed,
    so that a member removed while away (by a demotion, or --force-new-cluster) learns
    it on its return instead of campaigning in an old configuration."""

    voters: frozenset[str] = frozenset()
    addresses: tuple[tuple[str, str], ...] = ()
    removed: frozenset[str] = frozenset()

    def address_of(self, member: str) -> str | None:
        for m, addr in self.addresses:
            if m == member:
                return addr
        return None

    def with_voter(self, member: str, address: str | None = None) -> Config:
        addrs = tuple(p for p in self.addresses if p[0] != member)
        if address is not None:
            addrs += ((member, address),)
        return Config(self.voters | {member}, addrs, self.removed - {member})

    def without_voter(self, member: str) -> Config:
        addrs = tuple(p for p in self.addresses if p[0] != member)
        return Config(self.voters - {member}, addrs, self.removed | {member})

    @property
    def quorum(self) -> int:
        return len(self.voters) // 2 + 1


@dataclass(slots=True)
class Entry:
    """One log entry: a command (`data`), a configuration, or the new leader's no-op
    (both None)."""

    term: int
    index: int
    data: Any = None
    config: Config | None = None

    def wire_size(self) -> int:
        return 24 + data_size(self.data)


@dataclass(slots=True)
class Snapshot:
    """The state machine at `index`, with the configuration in force there."""

    index: int
    term: int
    config: Config
    data: Any = None

    def wire_size(self) -> int:
        return 48 + data_size(self.data)


@dataclass(slots=True)
class HardState:
    term: int = 0
    vote: str | None = None
    commit: int = 0


@dataclass(slots=True, kw_only=True)
class Message:
    src: str
    dst: str
    term: int

    def wire_size(self) -> int:
        return 32


@dataclass(slots=True, kw_only=True)
class VoteRequest(Message):
    last_index: int
    last_term: int
    transfer: bool = False  # campaigning at the old leader's request: ignore leases


@dataclass(slots=True, kw_only=True)
class VoteResponse(Message):
    granted: bool


@dataclass(slots=True, kw_only=True)
class PreVoteRequest(Message):
    """Would you vote for me at `term` (one more than mine)? Asked before a campaign,
    changing nobody's term: a member that cannot win — cut off, behind, or removed
    while away — never raises the others' terms nor disrupts a working leader."""

    last_index: int
    last_term: int


@dataclass(slots=True, kw_only=True)
class PreVoteResponse(Message):
    granted: bool


@dataclass(slots=True, kw_only=True)
class Append(Message):
    prev_index: int
    prev_term: int
    entries: list[Entry]
    commit: int

    def wire_size(self) -> int:
        return 48 + sum(e.wire_size() for e in self.entries)


@dataclass(slots=True, kw_only=True)
class AppendResponse(Message):
    """Success: the follower's log matches the leader's up to `index`. Rejection: the
    append at `index` did not fit; `hint_index`/`hint_term` say where to try next."""

    index: int
    reject: bool = False
    hint_index: int = 0
    hint_term: int = 0


@dataclass(slots=True, kw_only=True)
class Heartbeat(Message):
    commit: int


@dataclass(slots=True, kw_only=True)
class HeartbeatResponse(Message):
    pass


@dataclass(slots=True, kw_only=True)
class InstallSnapshot(Message):
    snapshot: Snapshot

    def wire_size(self) -> int:
        return 32 + self.snapshot.wire_size()


@dataclass(slots=True, kw_only=True)
class TimeoutNow(Message):
    """From a leader handing over: campaign now."""


@dataclass(slots=True, kw_only=True)
class Removed(Message):
    """To a member that was removed from the configuration: it is no longer one of us
    (swarm's ErrMemberRemoved)."""


@dataclass(slots=True)
class Ready:
    """What the host must do after an input, in this order: persist (`hard_state`,
    `snapshot`, `log_start`, `entries`), send `messages`, then apply `committed` (and,
    first, load `snapshot` into the state machine if `restore`)."""

    hard_state: HardState | None = None
    snapshot: Snapshot | None = None
    restore: bool = False
    log_start: tuple[int, int] | None = None  # (index, term) the kept log now starts after
    entries_from: int | None = None  # stored entries from here on are replaced by `entries`
    entries: list[Entry] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    committed: list[Entry] = field(default_factory=list)
    # (leader, role) when either changed since the last Ready (etcd's SoftState): a leader
    # that steps down may have nothing to persist or send, and its host must still know.
    soft_state: tuple[str | None, str] | None = None


class RaftStorage:
    """What one member has persisted: hard state, snapshot, and the log after the
    snapshot's compaction point. It is the object that lives on the simulated disk, and
    it changes only through `save(ready)`."""

    def __init__(self) -> None:
        self.hard_state = HardState()
        self.snapshot: Snapshot | None = None
        self.offset = 0  # index of the entry just before `entries`
        self.offset_term = 0
        self.entries: list[Entry] = []

    @classmethod
    def bootstrap(cls, config: Config) -> RaftStorage:
        """A new cluster: its first entry (term 1, index 1) is its configuration."""
        s = cls()
        s.entries = [Entry(1, 1, config=config)]
        s.hard_state = HardState(term=1, vote=None, commit=1)
        return s

    def save(self, rd: Ready) -> None:
        if rd.snapshot is not None:
            self.snapshot = rd.snapshot
        if rd.log_start is not None:
            start, term = rd.log_start
            keep = start - self.offset
            self.entries = self.entries[keep:] if 0 <= keep <= len(self.entries) else []
            self.offset, self.offset_term = start, term
        if rd.entries_from is not None:
            assert rd.entries_from > self.offset, "rewriting compacted entries"
            del self.entries[rd.entries_from - self.offset - 1 :]
            self.entries.extend(rd.entries)
        if rd.hard_state is not None:
            self.hard_state = rd.hard_state

    def force_new_cluster(self, member: str, address: str | None = None) -> None:
        """Make this member's log say it is alone (swarm's --force-new-cluster): drop what
        was never committed, and commit a configuration with only this member in it.
        Only for a member that is not running; it starts again as a one-member cluster
        with everything that had been committed."""
        hs = self.hard_state
        keep = hs.commit - self.offset
        self.entries = self.entries[: max(keep, 0)]
        old = self.snapshot.config if self.snapshot else Config()
        for e in self.entries:
            if e.config is not None:
                old = e.config
        gone = (old.voters | old.removed) - {member}  # the others are removed for good
        cfg = Config(frozenset({member}), ((member, address),) if address else (), gone)
        index = self.last_index + 1
        self.entries.append(Entry(hs.term, index, config=cfg))
        self.hard_state = HardState(hs.term, hs.vote, index)

    @property
    def last_index(self) -> int:
        return self.offset + len(self.entries)

    def term_at(self, index: int) -> int | None:
        if index == self.offset:
            return self.offset_term
        if self.offset < index <= self.last_index:
            return self.entries[index - self.offset - 1].term
        if self.snapshot is not None and index == self.snapshot.index:
            return self.snapshot.term
        return None


# -- errors -----------------------------------------------------------------------------------


class ProposalRefused(Exception):
    """This member cannot take the request; `leader` says who can (None: nobody known)."""

    def __init__(self, message: str, leader: str | None = None) -> None:
        super().__init__(message)
        self.leader = leader


class NotLeader(ProposalRefused):
    pass


class LeadershipTransferring(ProposalRefused):
    pass


class ConfigChangeRefused(Exception):
    pass


# -- the leader's view of one follower -----------------------------------------------------


class Progress:
    __slots__ = (
        "match",
        "next",
        "state",
        "probe_sent",
        "pending_snapshot",
        "snapshot_ticks",
        "inflight",
        "recent_active",
    )

    def __init__(self, next_index: int) -> None:
        self.match = 0
        self.next = next_index
        self.state = PROBE
        self.probe_sent = False
        self.pending_snapshot = 0
        self.snapshot_ticks = 0
        self.inflight: deque[int] = deque()  # last index of each append in flight
        self.recent_active = False

    def become_probe(self) -> None:
        if self.state == SNAPSHOT:
            self.next = max(self.match + 1, self.pending_snapshot + 1)
        else:
            self.next = self.match + 1
        self.state = PROBE
        self.probe_sent = False
        self.pending_snapshot = 0
        self.inflight.clear()

    def become_replicate(self) -> None:
        self.state = REPLICATE
        self.next = self.match + 1
        self.probe_sent = False
        self.inflight.clear()

    def become_snapshot(self, index: int) -> None:
        self.state = SNAPSHOT
        self.pending_snapshot = index
        self.snapshot_ticks = 0
        self.inflight.clear()

    def paused(self, max_inflight: int) -> bool:
        if self.state == PROBE:
            return self.probe_sent
        if self.state == REPLICATE:
            return len(self.inflight) >= max_inflight
        return True

    def update(self, index: int) -> bool:
        """The follower holds our log up to `index`; whether that is news."""
        updated = index > self.match
        if updated:
            self.match = index
            self.probe_sent = False
        if self.next < index + 1:
            self.next = index + 1
        return updated

    def decrease_to(self, rejected: int, hint: int) -> bool:
        """An append at `rejected` did not fit; whether we now know to back off."""
        if self.state == REPLICATE:
            if rejected <= self.match:
                return False  # stale
            self.next = self.match + 1
            return True
        if self.next - 1 != rejected:
            return False  # stale: probes go one at a time
        self.next = max(min(rejected, hint + 1), self.match + 1)
        self.probe_sent = False
        return True


@dataclass(slots=True)
class Status:
    id: str
    state: str
    term: int
    leader: str | None
    commit: int
    applied: int
    last_index: int
    snapshot_index: int
    voters: frozenset[str]
    progress: dict[str, tuple[int, int, str, bool]]  # member -> (match, next, state, active)


# -- the state machine ---------------------------------------------------------------------------


class Raft:
    def __init__(
        self,
        id: str,
        storage: RaftStorage,
        rng: Random,
        *,
        election_tick: int = 10,
        heartbeat_tick: int = 1,
        check_quorum: bool = True,
        max_entries_per_msg: int = 1024,
        max_inflight: int = 256,
    ) -> None:
        self.id = id
        self.rng = rng
        self.election_timeout = election_tick
        self.heartbeat_timeout = heartbeat_tick
        self.check_quorum = check_quorum
        self.max_entries_per_msg = max_entries_per_msg
        self.max_inflight = max_inflight

        hs = storage.hard_state
        self.term = hs.term
        self.vote = hs.vote
        self.snapshot = storage.snapshot
        self.commit = max(hs.commit, self.snapshot.index if self.snapshot else 0)
        self._log: list[Entry] = [Entry(storage.offset_term, storage.offset)]
        self._log.extend(storage.entries)
        base = self.snapshot.index if self.snapshot else 0
        self.applied = base  # the host loads the snapshot, then applies what follows
        self._configs: list[tuple[int, Config]] = [
            (base, self.snapshot.config if self.snapshot else Config())
        ]
        for e in self._log[1:]:
            if e.config is not None and e.index > base:
                self._configs.append((e.index, e.config))

        self.state = FOLLOWER
        self.lead: str | None = None
        self.removed = False  # a member told us we were removed: we take no more part
        # Members we have heard from since we started, and whether we won a pre-vote
        # while waiting on one we have not (see _after_pre_vote).
        self.heard: set[str] = set()
        self.pre_won = False
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.randomized_election_timeout = election_tick
        self.votes: dict[str, bool] = {}
        self.progress: dict[str, Progress] = {}
        self.lead_transferee: str | None = None
        self.term_start_index = 0  # index of the leader's no-op: committed => may reconfigure

        self._msgs: list[Message] = []
        self._saved = HardState(hs.term, hs.vote, hs.commit)
        self._soft: tuple[str | None, str] | None = None  # as of the last Ready
        self._unstable_from: int | None = None
        self._new_snapshot: Snapshot | None = None
        self._restore = False
        self._log_start_changed = False
        self._need_appends = False
        self._reset_election_timeout()

    # -- the log -----------------------------------------------------------------------------

    @property
    def last_index(self) -> int:
        return self._log[-1].index

    @property
    def last_term(self) -> int:
        return self._log[-1].term

    @property
    def first_index(self) -> int:
        """The first entry still in the log (earlier ones are only in the snapshot)."""
        return self._log[0].index + 1

    def term_at(self, index: int) -> int | None:
        off = self._log[0].index
        if off <= index <= self._log[-1].index:
            return self._log[index - off].term
        if self.snapshot is not None and index == self.snapshot.index:
            return self.snapshot.term
        return None

    def entries(self, lo: int, hi: int | None = None) -> list[Entry]:
        """Entries lo..hi (inclusive) that are still in the log."""
        off = self._log[0].index
        hi = self._log[-1].index if hi is None else hi
        return self._log[max(lo, off + 1) - off : hi - off + 1]

    def entry(self, index: int) -> Entry | None:
        off = self._log[0].index
        if off < index <= self._log[-1].index:
            return self._log[index - off]
        return None

    @property
    def config(self) -> Config:
        return self._configs[-1][1]

    def config_at(self, index: int) -> Config:
        for i, cfg in reversed(self._configs):
            if i <= index:
                return cfg
        return self._configs[0][1]

    @property
    def promotable(self) -> bool:
        """Whether this member may campaign: it is in its latest configuration, or it
        cannot know yet that its removal is committed (it still is a member as of its
        commit index). The second case is a leader that crashed while removing itself:
        its log, longer than the others', keeps them from electing anyone else, so it
        must come back, commit its removal (counting votes and acknowledgements of the
        new configuration only), and step down."""
        return (
            self.id in self._configs[-1][1].voters or self.id in self.config_at(self.commit).voters
        )

    def _append(self, entries: list[Entry]) -> None:
        self._log.extend(entries)
        first = entries[0].index
        if self._unstable_from is None or first < self._unstable_from:
            self._unstable_from = first
        changed = False
        for e in entries:
            if e.config is not None:
                self._configs.append((e.index, e.config))
                changed = True
        if changed:
            self._config_changed()

    def _truncate(self, index: int) -> None:
        """Drop entries from `index` on (never committed ones: a leader overwrote them)."""
        if index <= self.commit:
            raise AssertionError(f"{self.id}: truncating committed entry {index}")
        del self._log[index - self._log[0].index :]
        if self._unstable_from is None or index < self._unstable_from:
            self._unstable_from = index
        if self._configs[-1][0] >= index:
            while len(self._configs) > 1 and self._configs[-1][0] >= index:
                self._configs.pop()
            self._config_changed()

    def _up_to_date(self, last_index: int, last_term: int) -> bool:
        return last_term > self.last_term or (
            last_term == self.last_term and last_index >= self.last_index
        )

    # -- inputs ------------------------------------------------------------------------------

    def tick(self) -> None:
        if self.removed:
            return
        if self.state == LEADER:
            self._tick_leader()
        else:
            self.election_elapsed += 1
            if self.state == PRE_CANDIDATE and self.pre_won:
                self.campaign(pre=False)  # waited a tick for the silent ones: go ahead
            elif self.promotable and self.election_elapsed >= self.randomized_election_timeout:
                self.election_elapsed = 0
                self.campaign()

    def _tick_leader(self) -> None:
        self.heartbeat_elapsed += 1
        self.election_elapsed += 1
        for pr in self.progress.values():
            if pr.state == SNAPSHOT:
                # The snapshot may have been lost: after an election timeout, probe again.
                pr.snapshot_ticks += 1
                if pr.snapshot_ticks > self.election_timeout:
                    pr.become_probe()
        if self.election_elapsed >= self.election_timeout:
            self.election_elapsed = 0
            if self.check_quorum and not self._quorum_active():
                self._become_follower(self.term, None)
                return
            for pr in self.progress.values():
                pr.recent_active = False
            if self.lead_transferee is not None:
                self.lead_transferee = None  # the transfer took too long: give up
        if self.heartbeat_elapsed >= self.heartbeat_timeout:
            self.heartbeat_elapsed = 0
            for m, pr in self.progress.items():
                commit = min(pr.match, self.commit)
                self._send(Heartbeat(src=self.id, dst=m, term=self.term, commit=commit))

    def _quorum_active(self) -> bool:
        voters = self.config.voters
        active = sum(
            1
            for m in voters
            if m == self.id or (m in self.progress and self.progress[m].recent_active)
        )
        return active >= len(voters) // 2 + 1

    def campaign(self, transfer: bool = False, pre: bool = True) -> None:
        """Ask for the others' votes: first in a pre-vote (unless the leader handing over
        asked us to campaign now), then for real."""
        if not self.promotable:
            return
        if pre and not transfer and len(self.config.voters) > 1:
            self._reset(self.term)
            self.state = PRE_CANDIDATE
            self.votes = {self.id: True}
            for m in sorted(self.config.voters):
                if m != self.id:
                    self._send(
                        PreVoteRequest(
                            src=self.id,
                            dst=m,
                            term=self.term + 1,
                            last_index=self.last_index,
                            last_term=self.last_term,
                        )
                    )
            return
        self._reset(self.term + 1)
        self.state = CANDIDATE
        self.vote = self.id
        self.votes = {self.id: True}
        if self._tally() == "won":
            self._become_leader()
            return
        for m in sorted(self.config.voters):
            if m != self.id:
                self._send(
                    VoteRequest(
                        src=self.id,
                        dst=m,
                        term=self.term,
                        last_index=self.last_index,
                        last_term=self.last_term,
                        transfer=transfer,
                    )
                )

    def _tally(self) -> str:
        voters = self.config.voters
        granted = sum(1 for m, g in self.votes.items() if g and m in voters)
        rejected = sum(1 for m, g in self.votes.items() if not g and m in voters)
        q = len(voters) // 2 + 1
        if granted >= q:
            return "won"
        if rejected >= q:
            return "lost"
        return "pending"

    def step(self, m: Message) -> None:
        if isinstance(m, Removed):
            if m.src in self.config.voters:  # only a member can say so
                self.removed = True
                self._become_follower(self.term, None)
            return
        if self.removed:
            return
        # Only a removal that has committed, and that no later change has undone, is
        # final: an uncommitted one may yet be overwritten, and the member it names may
        # still be needed to elect a leader.
        if (
            m.src in self.config_at(self.commit).removed
            and m.src not in self.config.voters
            and self.id in self.config.voters
        ):
            self._send(Removed(src=self.id, dst=m.src, term=self.term))
            return
        if isinstance(m, PreVoteRequest):
            self._pre_vote(m)
            return
        self.heard.add(m.src)
        if isinstance(m, PreVoteResponse) and m.granted:
            if self.state == PRE_CANDIDATE and m.term == self.term + 1:
                self.votes.setdefault(m.src, True)
                self._after_pre_vote()
            return
        if m.term > self.term:
            if isinstance(m, VoteRequest):
                in_lease = (
                    self.check_quorum
                    and self.lead is not None
                    and self.election_elapsed < self.election_timeout
                )
                if in_lease and not m.transfer:
                    return  # we heard from a leader lately: don't let a stray node depose it
            if isinstance(m, (Append, Heartbeat, InstallSnapshot)):
                self._become_follower(m.term, m.src)
            elif isinstance(m, VoteRequest):
                # A newer term, but not a reason to wait longer ourselves: the timer is
                # reset only if we grant the vote (the paper's rule). Otherwise a member
                # whose log is behind, campaigning again and again, would keep the
                # members that can win from ever timing out (a transfer skips the pre-vote).
                elapsed = self.election_elapsed
                self._become_follower(m.term, None)
                self.election_elapsed = elapsed
            else:
                self._become_follower(m.term, None)
        elif m.term < self.term:
            if self.check_quorum and isinstance(m, (Append, Heartbeat)):
                # A deposed leader cut off from the rest: tell it about the newer term,
                # or it would never learn and never step down for good.
                self._send(AppendResponse(src=self.id, dst=m.src, term=self.term, index=0))
            elif isinstance(m, VoteRequest):
                # The paper's answer (false, with our term): a candidate behind the times
                # learns the newer term, rather than campaign on in its own for ever.
                self._send(VoteResponse(src=self.id, dst=m.src, term=self.term, granted=False))
            return

        if isinstance(m, VoteRequest):
            can_vote = self.vote == m.src or (self.vote is None and self.lead is None)
            granted = can_vote and self._up_to_date(m.last_index, m.last_term)
            if granted:
                self.election_elapsed = 0
                self.vote = m.src
            self._send(VoteResponse(src=self.id, dst=m.src, term=self.term, granted=granted))
            return

        if self.state == LEADER:
            self._step_leader(m)
        elif self.state in (CANDIDATE, PRE_CANDIDATE):
            self._step_candidate(m)
        else:
            self._step_follower(m)

    def _pre_vote(self, m: PreVoteRequest) -> None:
        """Grant a pre-vote if we would vote for it now: its term is ahead of ours, its
        log is as up to date, and we have not heard from a leader lately. Our own term
        and vote do not change."""
        in_lease = self.lead is not None and self.election_elapsed < self.election_timeout
        granted = (
            m.term > self.term and not in_lease and self._up_to_date(m.last_index, m.last_term)
        )
        term = m.term if granted else self.term
        self._send(PreVoteResponse(src=self.id, dst=m.src, term=term, granted=granted))

    def _step_follower(self, m: Message) -> None:
        if isinstance(m, Append):
            self.election_elapsed = 0
            self.lead = m.src
            self._handle_append(m)
        elif isinstance(m, Heartbeat):
            self.election_elapsed = 0
            self.lead = m.src
            if m.commit > self.commit:
                self.commit = min(m.commit, self.last_index)
            self._send(HeartbeatResponse(src=self.id, dst=m.src, term=self.term))
        elif isinstance(m, InstallSnapshot):
            self.election_elapsed = 0
            self.lead = m.src
            self._handle_snapshot(m)
        elif isinstance(m, TimeoutNow):
            self.campaign(transfer=True)

    def _step_candidate(self, m: Message) -> None:
        if isinstance(m, (Append, Heartbeat, InstallSnapshot)):
            # Someone won this term.
            self._become_follower(self.term, m.src)
            self._step_follower(m)
        elif isinstance(m, VoteResponse) and self.state == CANDIDATE:
            self.votes.setdefault(m.src, m.granted)
            outcome = self._tally()
            if outcome == "won":
                self._become_leader()
            elif outcome == "lost":
                self._become_follower(self.term, None)
        elif isinstance(m, PreVoteResponse) and self.state == PRE_CANDIDATE:
            self.votes.setdefault(m.src, m.granted)  # a refusal at our own term
            self._after_pre_vote()

    def _after_pre_vote(self) -> None:
        """Campaign for real once the straw poll is won, but not while a member we have
        not heard from since we started has yet to answer: its answer may be Removed (we
        were dropped from the cluster while away, and the others who grant are stale like
        us). Such a member gets until the next tick; one known silent is not waited for,
        so a failover costs nothing more."""
        outcome = self._tally()
        if outcome == "lost":
            self._become_follower(self.term, None)
        elif outcome == "won":
            voters = self.config.voters
            if any(v not in self.votes and v not in self.heard for v in voters):
                self.pre_won = True
            else:
                self.campaign(pre=False)

    def _step_leader(self, m: Message) -> None:
        pr = self.progress.get(m.src)
        if pr is None:
            return
        if isinstance(m, AppendResponse):
            pr.recent_active = True
            if m.reject:
                hint = m.hint_index
                if m.hint_term > 0:
                    hint = self._find_conflict_by_term(m.hint_index, m.hint_term)[0]
                if pr.state != SNAPSHOT and pr.decrease_to(m.index, hint):
                    if pr.state == REPLICATE:
                        pr.become_probe()
                    self._send_append(m.src, pr)
                return
            if pr.update(m.index):
                if pr.state == PROBE:
                    pr.become_replicate()
                elif pr.state == SNAPSHOT and pr.match >= pr.pending_snapshot:
                    pr.become_probe()
                    pr.become_replicate()
                inflight = pr.inflight
                while inflight and inflight[0] <= m.index:
                    inflight.popleft()
                if self._maybe_commit():
                    if self.state != LEADER:
                        return  # we committed our own removal and stepped down
                    # Every follower learns the commit now, not at the next heartbeat
                    # (etcd's bcastAppend): what it applies is never a second behind.
                    for to, other in self.progress.items():
                        self._send_append(to, other)
                if m.src == self.lead_transferee and pr.match == self.last_index:
                    self._send(TimeoutNow(src=self.id, dst=m.src, term=self.term))
            if pr.next <= self.last_index:
                self._send_append(m.src, pr)
        elif isinstance(m, HeartbeatResponse):
            pr.recent_active = True
            pr.probe_sent = False
            if pr.state == REPLICATE and len(pr.inflight) >= self.max_inflight:
                pr.inflight.popleft()  # something was lost: free a slot so we resend
            if pr.match < self.last_index:
                self._send_append(m.src, pr)

    # -- elections ---------------------------------------------------------------------------

    def _reset_election_timeout(self) -> None:
        self.randomized_election_timeout = self.election_timeout + self.rng.randrange(
            self.election_timeout
        )

    def _reset(self, term: int) -> None:
        if term != self.term:
            self.term = term
            self.vote = None
        self.lead = None
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self._reset_election_timeout()
        self.lead_transferee = None
        self.votes = {}
        self.pre_won = False

    def _become_follower(self, term: int, lead: str | None) -> None:
        self._reset(term)
        self.state = FOLLOWER
        self.lead = lead
        self.progress = {}

    def _become_leader(self) -> None:
        self._reset(self.term)
        self.state = LEADER
        self.lead = self.id
        self.progress = {}
        # A no-op of our own term: committing it commits everything before it, and
        # tells us we may start a configuration change.
        self._append([Entry(self.term, self.last_index + 1)])
        self.term_start_index = self.last_index
        self._sync_progress()
        self._need_appends = True

    def _sync_progress(self) -> None:
        voters = self.config.voters
        for m in sorted(voters):  # sorted: set order differs between processes
            if m != self.id and m not in self.progress:
                # Probe from our last entry (the no-op, or the change that added it):
                # it goes out at once, and a follower that lacks more says so.
                self.progress[m] = Progress(self.last_index)
        for m in list(self.progress):
            if m not in voters:
                del self.progress[m]
        if self.lead_transferee is not None and self.lead_transferee not in voters:
            self.lead_transferee = None

    def _config_changed(self) -> None:
        if self.state == LEADER:
            self._sync_progress()
            self._need_appends = True
        elif self.state == CANDIDATE and self._tally() == "won":
            self._become_leader()

    # -- replication -------------------------------------------------------------------------

    def _send(self, m: Message) -> None:
        self._msgs.append(m)

    def _send_append(self, to: str, pr: Progress) -> None:
        if pr.paused(self.max_inflight):
            return
        prev = pr.next - 1
        prev_term = self.term_at(prev)
        if prev_term is None or prev < self._log[0].index:
            self._send_snapshot(to, pr)
            return
        entries = self.entries(pr.next, pr.next + self.max_entries_per_msg - 1)
        self._send(
            Append(
                src=self.id,
                dst=to,
                term=self.term,
                prev_index=prev,
                prev_term=prev_term,
                entries=entries,
                commit=self.commit,
            )
        )
        if pr.state == REPLICATE:
            if entries:
                last = entries[-1].index
                pr.next = last + 1
                pr.inflight.append(last)
        else:
            pr.probe_sent = True

    def _send_snapshot(self, to: str, pr: Progress) -> None:
        if not pr.recent_active or self.snapshot is None:
            return
        self._send(InstallSnapshot(src=self.id, dst=to, term=self.term, snapshot=self.snapshot))
        pr.become_snapshot(self.snapshot.index)

    def _maybe_commit(self) -> bool:
        voters = self.config.voters
        if not voters:
            return False
        last = self.last_index
        matches = sorted(
            (last if m == self.id else (self.progress[m].match if m in self.progress else 0))
            for m in voters
        )
        index = matches[(len(matches) - 1) // 2]  # held by a majority (len//2 + 1 of them)
        if index > self.commit and self.term_at(index) == self.term:
            self.commit = index
            if self.id not in voters and self.commit >= self._configs[-1][0]:
                # Our own removal is committed: hand the cluster to the others.
                self._become_follower(self.term, None)
            return True
        return False

    def _find_conflict_by_term(self, index: int, term: int) -> tuple[int, int]:
        """The last index <= `index` whose term is <= `term` (and that term)."""
        while True:
            t = self.term_at(index)
            if t is None or t <= term:
                return index, (t or 0)
            index -= 1

    def _handle_append(self, m: Append) -> None:
        if m.prev_index < self.commit:
            self._send(AppendResponse(src=self.id, dst=m.src, term=self.term, index=self.commit))
            return
        if self.term_at(m.prev_index) == m.prev_term:
            last_new = m.prev_index + len(m.entries)
            log, off = self._log, self._log[0].index
            last = log[-1].index
            for k, e in enumerate(m.entries):
                if e.index > last:
                    self._append(m.entries[k:])
                    break
                if log[e.index - off].term != e.term:
                    self._truncate(e.index)
                    self._append(m.entries[k:])
                    break
            new_commit = min(m.commit, last_new)
            if new_commit > self.commit:
                self.commit = new_commit
            self._send(AppendResponse(src=self.id, dst=m.src, term=self.term, index=last_new))
            return
        hint = min(m.prev_index, self.last_index)
        hint, hint_term = self._find_conflict_by_term(hint, m.prev_term)
        self._send(
            AppendResponse(
                src=self.id,
                dst=m.src,
                term=self.term,
                index=m.prev_index,
                reject=True,
                hint_index=hint,
                hint_term=hint_term,
            )
        )

    def _handle_snapshot(self, m: InstallSnapshot) -> None:
        s = m.snapshot
        if s.index <= self.commit:
            self._send(AppendResponse(src=self.id, dst=m.src, term=self.term, index=self.commit))
            return
        if self.term_at(s.index) == s.term:
            # We already have everything it covers: just learn that it is committed. What
            # we hold after it may be ours from an old term: only its index is known to
            # match the leader's log (etcd answers the same).
            self.commit = s.index
            self._send(AppendResponse(src=self.id, dst=m.src, term=self.term, index=s.index))
            return
        self.snapshot = s
        self._log = [Entry(s.term, s.index)]
        self._configs = [(s.index, s.config)]
        self.commit = self.applied = s.index
        self._new_snapshot = s
        self._restore = True
        self._log_start_changed = True
        self._unstable_from = s.index + 1  # the stored log after the snapshot is void
        self._config_changed()
        self._send(AppendResponse(src=self.id, dst=m.src, term=self.term, index=s.index))

    # -- local requests ------------------------------------------------------------------------

    def _check_can_propose(self) -> None:
        if self.state != LEADER:
            raise NotLeader("not the leader", self.lead)
        if self.lead_transferee is not None:
            raise LeadershipTransferring("leadership transfer in progress", self.lead_transferee)

    def propose(self, data: Any) -> tuple[int, int]:
        """Append a command; its (index, term). It is committed if and when the entry at
        that index has that term and the commit index reaches it."""
        return self.propose_many((data,))

    def propose_many(self, commands: Iterable[Any]) -> tuple[int, int]:
        """Append commands at consecutive indexes; the first's (index, term). (A client's
        burst appended at once: the checks and the bookkeeping once, not a command each.)"""
        self._check_can_propose()
        term, index = self.term, self.last_index + 1
        entries = [Entry(term, i, data) for i, data in enumerate(commands, index)]
        if entries:
            self._append(entries)
            self._need_appends = True
        return index, term

    def _propose_config(self, config: Config) -> tuple[int, int]:
        self._check_can_propose()
        if self._configs[-1][0] > self.commit:
            raise ConfigChangeRefused("a configuration change is already in progress")
        if self.commit < self.term_start_index:
            raise ConfigChangeRefused("the leader has not committed an entry of its term yet")
        index = self.last_index + 1
        self._append([Entry(self.term, index, config=config)])
        self._need_appends = True
        return index, self.term

    def add_voter(self, member: str, address: str | None = None) -> tuple[int, int]:
        if member in self.config.voters:
            raise ConfigChangeRefused(f"{member} is already a member")
        return self._propose_config(self.config.with_voter(member, address))

    def remove_voter(self, member: str) -> tuple[int, int]:
        if member not in self.config.voters:
            raise ConfigChangeRefused(f"{member} is not a member")
        if len(self.config.voters) == 1:
            raise ConfigChangeRefused("cannot remove the last member")
        return self._propose_config(self.config.without_voter(member))

    def transfer_leadership(self, target: str) -> None:
        """Hand leadership to `target` once it has our whole log (swarm does this before a
        leader is demoted). Gives up after an election timeout."""
        if self.state != LEADER:
            raise NotLeader("not the leader", self.lead)
        if target == self.id or target not in self.progress:
            raise ConfigChangeRefused(f"cannot transfer leadership to {target}")
        self.lead_transferee = target
        self.election_elapsed = 0
        pr = self.progress[target]
        if pr.match == self.last_index:
            self._send(TimeoutNow(src=self.id, dst=target, term=self.term))
        else:
            self._send_append(target, pr)

    def compact(self, index: int, data: Any, keep: int = 500) -> None:
        """The state machine, as of applied entry `index`, is `data`: keep it as the
        snapshot, and drop the log before `index - keep` (slow followers can still be
        caught up from the kept entries instead of the whole snapshot)."""
        if index > self.applied or (self.snapshot and index <= self.snapshot.index):
            return
        term = self.term_at(index)
        if term is None:
            return
        self.snapshot = Snapshot(index, term, self.config_at(index), data)
        self._new_snapshot = self.snapshot
        start = index - keep
        off = self._log[0].index
        if start > off:
            self._log = self._log[start - off :]
            self._log[0] = Entry(self._log[0].term, self._log[0].index)  # the sentinel
            self._log_start_changed = True
        self._configs = [(index, self.snapshot.config)] + [c for c in self._configs if c[0] > index]

    # -- output ------------------------------------------------------------------------------

    def has_ready(self) -> bool:
        return bool(
            self._msgs
            or self._need_appends
            or self._unstable_from is not None
            or self._new_snapshot is not None
            or self.commit > self.applied
            or self._saved.term != self.term
            or self._saved.vote != self.vote
            or self._saved.commit != self.commit
            or self._soft != (self.lead, self.state)
        )

    def ready(self) -> Ready:
        """Everything to persist, send and apply since the last call (see `Ready`)."""
        if self.state == LEADER and self._need_appends:
            self._need_appends = False
            self._maybe_commit()
            if self.state == LEADER:
                # New entries go out now. A new commit index alone does not: followers
                # learn it from the next append or heartbeat (at most a tick later), which
                # halves the messages per agreement; only the leader serves reads anyway.
                last = self.last_index
                for m, pr in self.progress.items():
                    if pr.next <= last:
                        self._send_append(m, pr)
        rd = Ready()
        if self._soft != (self.lead, self.state):
            self._soft = rd.soft_state = (self.lead, self.state)
        if (
            self._saved.term != self.term
            or self._saved.vote != self.vote
            or self._saved.commit != self.commit
        ):
            self._saved = HardState(self.term, self.vote, self.commit)
            rd.hard_state = self._saved
        if self._new_snapshot is not None:
            rd.snapshot = self._new_snapshot
            rd.restore = self._restore
            self._new_snapshot = None
            self._restore = False
        if self._log_start_changed:
            rd.log_start = (self._log[0].index, self._log[0].term)
            self._log_start_changed = False
        if self._unstable_from is not None:
            rd.entries_from = self._unstable_from
            rd.entries = self.entries(self._unstable_from)
            self._unstable_from = None
        if self._msgs:
            rd.messages = self._msgs
            self._msgs = []
        if self.commit > self.applied:
            rd.committed = self.entries(self.applied + 1, self.commit)
            self.applied = self.commit
        return rd

    def status(self) -> Status:
        return Status(
            id=self.id,
            state=self.state,
            term=self.term,
            leader=self.lead,
            commit=self.commit,
            applied=self.applied,
            last_index=self.last_index,
            snapshot_index=self.snapshot.index if self.snapshot else 0,
            voters=self.config.voters,
            progress={
                m: (pr.match, pr.next, pr.state, pr.recent_active)
                for m, pr in sorted(self.progress.items())
            },
        )
