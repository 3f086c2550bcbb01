"""The nemesis: hypothesis drives random faults against a Raft cluster on SimDriver, and
Raft's guarantees are checked all along.

Rules crash and restart hosts, partition and heal the network, lose, duplicate and delay
messages, propose commands, let time pass, add and remove members, bring removed
members back under new ids (as swarm rejoins them) and hand leadership over. Checked
after every simulator event: at most one leader per term; no member's commit index ever
goes back; a leader commits only what a majority of its configuration holds; no two
members apply different entries at one index. Checked after every rule: log matching,
leader append-only, leader completeness. And liveness, after every heal: once a majority
is connected and stable for a few election timeouts, there is a leader and a new
proposal commits.

One rule is an administrator's: with no leader left, `--force-new-cluster` on one
member, the others down. That starts a new lineage; what the others held beyond the
survivor's commit index is given up, as swarm gives it up, and the checks above then
hold for the new lineage. The others come back with stale configurations: one that
speaks to a member of the new lineage is told it was removed and never campaigns again,
and none of them may lead a configuration that includes a member which has removed it.

The examples are derandomized (the same ones on every run); a failing example prints
the simulator seed that replays it. MINISWARM_NEMESIS_EXAMPLES=N runs more of them, and
MINISWARM_NEMESIS_EXPLORE=1 lets hypothesis look for new ones.
"""

from __future__ import annotations

import os
from random import Random
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, event, note, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from miniswarm.raft import LEADER, Config, ConfigChangeRefused, Entry, ProposalRefused
from miniswarm.raftnode import AppliedLog, RaftProcess, edit_log, read_log
from miniswarm.sim import HostDown, SimDriver

ELECTION = 20.0  # seconds: the longest randomised election timeout (10 to 20 ticks of 1 s)
SPARES = 2  # hosts that can join as new members


class Violation(AssertionError):
    pass


class WatchedLog(AppliedLog):
    """An applied log that reports every entry it applies to the nemesis."""

    def __init__(self, report) -> None:
        super().__init__()
        self.report = report

    def apply(self, entry: Entry) -> Any:
        self.report(entry)
        return super().apply(entry)


class WatchedDriver(SimDriver):
    """A SimDriver that calls `watch()` after every event, however the event is run
    (letting time pass, or waiting for a local call)."""

    def __init__(self, seed: int, watch) -> None:
        super().__init__(seed=seed)
        self.watch = watch

    def step(self) -> bool:
        ran = super().step()
        if ran:
            self.watch()
        return ran


class RaftNemesis(RuleBasedStateMachine):
    # -- the cluster --------------------------------------------------------------------------

    @initialize(seed=st.integers(0, 2**31 - 1), size=st.sampled_from([3, 5]))
    def build(self, seed: int, size: int) -> None:
        note(f"simulator seed {seed}, {size} members")
        self.seed = seed
        self.driver = WatchedDriver(seed, self._observe)
        self.hosts = [f"h{i}" for i in range(size + SPARES)]
        self.address = {h: f"10.1.0.{i + 1}" for i, h in enumerate(self.hosts)}
        self.member_id: dict[str, str] = {}  # host -> its current Raft id
        first = self.hosts[:size]
        self.config = Config(frozenset(first), tuple((h, self.address[h]) for h in first))
        self.spares = list(self.hosts[size:])
        self.values = 0
        self.rejoins = 0
        # What has been seen, for the checks.
        self.leader_of_term: dict[int, str] = {}
        self.leader_log: dict[tuple[str, int], list[int]] = {}  # (id, term) -> its log terms
        self.commit_seen: dict[str, int] = {}
        self.committed: dict[int, tuple[int, Any]] = {}  # index -> (term, data) of commits
        self.committed_at: dict[int, int] = {}  # index -> event number when first committed
        self.leader_since: dict[tuple[str, int], int] = {}
        self.applied: dict[int, tuple] = {}
        self.events = 0
        self.stale: set[str] = set()  # members left behind by --force-new-cluster
        for h in first:
            self._add_host(h, bootstrap=self.config)
        self._advance(2 * ELECTION)

    def _add_host(self, host: str, bootstrap: Config | None) -> None:
        member = host if bootstrap is not None else f"{host}.joined"
        self.member_id[host] = member
        self.driver.add_host(host, self.address[host], self._factory(member, bootstrap))

    def _factory(self, member: str, bootstrap: Config | None):
        def make(ctx):
            log = WatchedLog(lambda e: self._check_apply(member, e))
            return RaftProcess(ctx, member_id=member, bootstrap=bootstrap, log=log)

        return make

    def _up(self) -> list[str]:
        return [h for h in self.member_id if self.driver.hosts[h].up]

    def _down(self) -> list[str]:
        return [h for h in self.member_id if not self.driver.hosts[h].up]

    def _raft(self, host: str):
        try:
            return self.driver.process(host).node.raft
        except HostDown:
            return None

    def _lineage(self) -> list[str]:
        """The up hosts of the current cluster (not left behind by a forced one)."""
        return [h for h in self._up() if self.member_id[h] not in self.stale]

    def _leaders(self) -> list[str]:
        return [h for h in self._lineage() if self._raft(h).state == LEADER]

    # -- per-event checks ------------------------------------------------------------------

    def _check_apply(self, member: str, e: Entry) -> None:
        if member in self.stale:
            return
        what = (e.term, e.data, e.config)
        if self.applied.setdefault(e.index, what) != what:
            raise Violation(
                f"state machine safety: {member} applied {what} at {e.index}, "
                f"another member applied {self.applied[e.index]}"
            )

    def _observe(self) -> None:
        self.events += 1
        for h in self._up():
            r = self._raft(h)
            if r.id in self.stale:
                if r.removed and r.state != "follower":
                    raise Violation(f"{r.id} was told it is removed, yet it is {r.state}")
                continue
            # Commit index never decreases (the persisted one survives restarts).
            before = self.commit_seen.get(r.id, 0)
            if r.commit < before:
                raise Violation(f"commit index of {r.id} went from {before} to {r.commit}")
            if r.state == LEADER:
                # Election safety.
                if self.leader_of_term.setdefault(r.term, r.id) != r.id:
                    raise Violation(
                        f"two leaders in term {r.term}: {self.leader_of_term[r.term]}, {r.id}"
                    )
                self.leader_since.setdefault((r.id, r.term), self.events)
                if r.commit > before:
                    self._check_majority_holds(r)
            if r.commit > before:
                for i in range(max(before + 1, r.first_index), r.commit + 1):
                    e = r.entry(i)
                    seen = self.committed.setdefault(i, (e.term, e.data))
                    if seen != (e.term, e.data):
                        raise Violation(f"index {i} committed as {seen} and {(e.term, e.data)}")
                    self.committed_at.setdefault(i, self.events)
                self.commit_seen[r.id] = r.commit

    def _check_majority_holds(self, leader) -> None:
        """The leader just committed up to its commit index: a majority of its
        configuration must have that entry on disk."""
        index, term = leader.commit, leader.term_at(leader.commit)
        voters = leader.config.voters
        holders = 0
        for h, member in self.member_id.items():
            if member in voters:
                # Index and term lie in the clear on the disk; only commands are sealed.
                storage = self.driver.hosts[h].disk.read("raft")
                if storage is not None and storage.term_at(index) == term:
                    holders += 1
        if holders < len(voters) // 2 + 1:
            raise Violation(
                f"{leader.id} committed {index} held by {holders} of {len(voters)} voters"
            )

    def _advance(self, seconds: float) -> None:
        self.driver.run_for(seconds)

    # -- per-rule checks ------------------------------------------------------------------------

    def _stored_logs(self) -> dict[str, tuple[int, list[Entry]]]:
        out = {}
        for h, member in self.member_id.items():
            if member in self.stale:
                continue
            storage = read_log(self.driver.hosts[h].disk)
            if storage is not None:
                out[member] = (storage.offset, storage.entries)
        return out

    @invariant()
    def log_matching(self) -> None:
        """If two logs hold an entry with the same index and term, they are identical up
        to that index."""
        if not hasattr(self, "driver"):
            return
        logs = list(self._stored_logs().items())
        for a in range(len(logs)):
            for b in range(a + 1, len(logs)):
                (ma, (oa, ea)), (mb, (ob, eb)) = logs[a], logs[b]
                lo = max(oa, ob) + 1
                hi = min(oa + len(ea), ob + len(eb))
                agreed = False
                for i in range(hi, lo - 1, -1):
                    x, y = ea[i - oa - 1], eb[i - ob - 1]
                    if not agreed and x.term == y.term:
                        agreed = True
                    if agreed and (x.term, x.data, x.config) != (y.term, y.data, y.config):
                        raise Violation(f"log matching: {ma} and {mb} differ at {i}")

    @invariant()
    def leader_append_only(self) -> None:
        """A leader never overwrites or deletes entries in its log."""
        if not hasattr(self, "driver"):
            return
        for h in self._leaders():
            r = self._raft(h)
            terms = [e.term for e in r.entries(r.first_index)]
            key = (r.id, r.term)
            before = self.leader_log.get(key)
            if before is not None:
                first, old = before
                start = max(first, r.first_index)
                for i in range(start, first + len(old)):
                    if r.term_at(i) != old[i - first]:
                        raise Violation(f"leader {r.id} rewrote its entry {i}")
            self.leader_log[key] = (r.first_index, terms)

    @invariant()
    def leader_completeness(self) -> None:
        """Every entry committed before a leader was elected is in that leader's log."""
        if not hasattr(self, "driver"):
            return
        for h in self._leaders():
            r = self._raft(h)
            since = self.leader_since.get((r.id, r.term), self.events)
            for index, (term, _) in self.committed.items():
                if self.committed_at[index] >= since:
                    continue
                if index <= (r.snapshot.index if r.snapshot else 0):
                    continue
                if r.term_at(index) != term:
                    raise Violation(f"leader {r.id} (term {r.term}) lacks committed {index}")

    # -- rules: faults ----------------------------------------------------------------------

    @precondition(lambda self: len(self._up()) > 1)
    @rule(data=st.data())
    def crash(self, data) -> None:
        host = data.draw(st.sampled_from(sorted(self._up())), label="crash")
        self.driver.crash(host)

    @rule()
    def crash_the_leader(self) -> None:
        leaders = self._leaders()
        if leaders and len(self._up()) > 1:
            self.driver.crash(leaders[0])

    @rule(data=st.data())
    def isolate_one(self, data) -> None:
        host = data.draw(st.sampled_from(sorted(self.member_id)), label="isolate")
        self.driver.heal()
        self.driver.partition([host])

    @precondition(lambda self: bool(self._down()))
    @rule(data=st.data())
    def restart(self, data) -> None:
        host = data.draw(st.sampled_from(sorted(self._down())), label="restart")
        self.driver.start_host(host)

    @precondition(lambda self: bool(self._down()) and not self._leaders())
    @rule(data=st.data())
    def force_new_cluster(self, data) -> None:
        """The quorum is lost: the administrator stops what is left and runs
        `swarm init --force-new-cluster` on one member."""
        hosts = sorted(h for h, m in self.member_id.items() if m not in self.stale)
        if not hosts:
            return
        survivor = data.draw(st.sampled_from(hosts), label="force-new-cluster on")
        for h in self._up():
            self.driver.crash(h)
        disk = self.driver.hosts[survivor].disk
        member = self.member_id[survivor]
        edit_log(
            disk,
            "raft",
            Random(self.events),
            lambda storage: storage.force_new_cluster(member, self.address[survivor]),
        )
        storage = read_log(disk)
        assert storage is not None
        kept = storage.hard_state.commit - 1  # the new configuration comes after
        # A member whose joining never reached the survivor's log is a stranger to the new
        # cluster, which has no way to turn it away; in swarm its join failed and it
        # kept no Raft state. It takes no more part here.
        config = storage.entries[-1].config
        assert config is not None
        for h, m in sorted(self.member_id.items()):
            if m != member and m not in config.removed:
                del self.member_id[h]
        self.stale = {m for m in self.member_id.values() if m != member}
        # What the others held beyond the survivor's commit index is given up.
        for index in [i for i in self.committed if i > kept]:
            del self.committed[index], self.committed_at[index]
        for index in [i for i in self.applied if i > kept]:
            del self.applied[index]
        self.leader_of_term.clear()
        self.leader_log.clear()
        self.leader_since.clear()
        self.driver.start_host(survivor)

    @rule(cuts=st.lists(st.integers(0, 2), min_size=7, max_size=7))
    def partition(self, cuts: list[int]) -> None:
        groups: dict[int, list[str]] = {}
        for h, g in zip(self.hosts, cuts, strict=False):
            if h in self.member_id:
                groups.setdefault(g, []).append(h)
        self.driver.heal()
        self.driver.partition(*groups.values())

    @rule()
    def heal(self) -> None:
        """Heal everything; then the cluster must be live again."""
        self.stabilize_and_commit()

    @rule(
        loss=st.sampled_from([0.0, 0.0, 0.1, 0.3]),
        duplicate=st.sampled_from([0.0, 0.1]),
        reorder=st.sampled_from([0.0, 0.2]),
    )
    def network_faults(self, loss: float, duplicate: float, reorder: float) -> None:
        self.driver.network.set_faults(
            loss=loss, duplicate=duplicate, reorder=reorder, reorder_delay=2.0
        )

    @rule(seconds=st.floats(0.01, 2 * ELECTION))
    def let_time_pass(self, seconds: float) -> None:
        self._advance(seconds)

    # -- rules: clients and administrators ------------------------------------------------

    @rule(count=st.integers(1, 5))
    def propose(self, count: int) -> None:
        for h in self._up():
            for _ in range(count):
                self.values += 1
                try:
                    self.driver.call(h, lambda p, v=self.values: p.node.propose(f"v{v}"))
                except ProposalRefused:
                    break
        self._advance(0.01)

    @precondition(lambda self: bool(self.spares))
    @rule()
    def add_member(self) -> None:
        leaders = self._leaders()
        if not leaders:
            return
        host = self.spares.pop(0)
        self._add_host(host, bootstrap=None)
        member = self.member_id[host]
        try:
            self.driver.call(leaders[0], lambda p: p.node.add_voter(member, self.address[host]))
        except (ProposalRefused, ConfigChangeRefused):
            pass
        self._advance(0.01)

    @rule(data=st.data())
    def remove_member(self, data) -> None:
        leaders = self._leaders()
        if not leaders:
            return
        voters = sorted(self._raft(leaders[0]).config.voters)
        member = data.draw(st.sampled_from(voters), label="remove")
        try:
            self.driver.call(leaders[0], lambda p: p.node.remove_voter(member))
        except (ProposalRefused, ConfigChangeRefused):
            pass
        self._advance(0.01)

    @precondition(lambda self: bool(self._removed_hosts()))
    @rule(data=st.data())
    def rejoin_removed(self, data) -> None:
        """A removed member comes back as swarm brings it back: `swarm leave --force`
        wipes its Raft state, and it joins again under a new Raft id (swarm never takes
        a removed id back)."""
        leaders = self._leaders()
        if not leaders:
            return
        host = data.draw(st.sampled_from(self._removed_hosts()), label="rejoin")
        self.driver.crash(host)
        self.driver.hosts[host].disk.wipe()
        self.stale.discard(self.member_id[host])
        self.rejoins += 1
        member = f"{host}.r{self.rejoins}"
        self.member_id[host] = member
        self.driver.hosts[host].factory = self._factory(member, bootstrap=None)
        self.driver.start_host(host)
        try:
            self.driver.call(leaders[0], lambda p: p.node.add_voter(member, self.address[host]))
            event("a removed member rejoined")  # counted by --hypothesis-show-statistics
        except (ProposalRefused, ConfigChangeRefused):
            pass
        self._advance(0.01)

    def _removed_hosts(self) -> list[str]:
        """Hosts whose member the current cluster has removed (by a removal, a demotion
        or a forced new cluster) — for good: the removal has committed. (Wiping a member
        whose removal may still be undone takes a voter away: with too few left, that is
        a lost quorum, which only --force-new-cluster mends.)"""
        leaders = self._leaders()
        if not leaders:
            return []
        r = self._raft(leaders[0])
        removed = r.config_at(r.commit).removed - r.config.voters
        return sorted(h for h, m in self.member_id.items() if m in removed or m in self.stale)

    @rule(data=st.data())
    def transfer_leadership(self, data) -> None:
        leaders = self._leaders()
        if not leaders:
            return
        r = self._raft(leaders[0])
        others = sorted(r.config.voters - {r.id})
        if not others:
            return
        target = data.draw(st.sampled_from(others), label="transfer to")
        try:
            self.driver.call(leaders[0], lambda p: p.node.transfer_leadership(target))
        except (ProposalRefused, ConfigChangeRefused):
            pass

    # -- liveness ------------------------------------------------------------------------------

    @rule()
    def stabilize_and_commit(self) -> None:
        """Heal everything and wait a few election timeouts: there must be a leader, and a
        new proposal must commit."""
        self.driver.heal()
        self.driver.network.reliable()
        for h in self._down():
            self.driver.start_host(h)
        self._advance(3 * ELECTION)
        self._check_no_stale_leader()
        # (A member removed before it heard of its removal may still be campaigning, at
        # ever higher terms, ignored by the others: the leader need not have the highest
        # term in sight.)
        for _ in range(10):
            for h in self._leaders():
                self.values += 1
                try:
                    fut = self.driver.call(h, lambda p, v=self.values: p.node.propose(v))
                except ProposalRefused:
                    continue
                deadline = self.driver.now() + ELECTION
                while not fut.done() and self.driver.now() < deadline:
                    self._advance(0.5)
                if fut.done() and fut.exception() is None:
                    return
            self._advance(ELECTION)
        states = {h: (self._raft(h).state, self._raft(h).term) for h in self._up()}
        raise Violation(f"no leader committed a proposal after healing: {states}")

    def _check_no_stale_leader(self) -> None:
        """Healed for a while, no member left behind by a forced cluster leads a
        configuration holding a member that removed it: its first heartbeat there was
        answered with Removed."""
        for h in self._up():
            old = self._raft(h)
            if old.id not in self.stale or old.state != LEADER:
                continue
            for k in self._lineage():
                r = self._raft(k)
                if r.id in old.config.voters and r.id in r.config.voters:
                    if old.id in r.config.removed:
                        raise Violation(f"{old.id}, removed by {r.id}, still leads")

    def teardown(self) -> None:
        if hasattr(self, "driver"):
            self.stabilize_and_commit()


EXAMPLES = int(os.environ.get("MINISWARM_NEMESIS_EXAMPLES", "200"))
RaftNemesis.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=30,
    deadline=None,
    derandomize=not os.environ.get("MINISWARM_NEMESIS_EXPLORE"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
TestRaftNemesis = RaftNemesis.TestCase
