"""The pure Raft core, driven by hand: the test decides which message arrives when, so
each rule of the protocol can be shown on the exact scenario that needs it (the style of
etcd-io/raft's interaction tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from random import Random

import pytest

from miniswarm.raft import (
    CANDIDATE,
    FOLLOWER,
    LEADER,
    Append,
    AppendResponse,
    Config,
    ConfigChangeRefused,
    Entry,
    LeadershipTransferring,
    Message,
    NotLeader,
    Raft,
    RaftStorage,
    Removed,
    VoteRequest,
    VoteResponse,
)

Filter = Callable[[Message], Message | None]


class Cores:
    """Raft cores wired by hand. `deliver()` runs the Ready loop of every core (persist,
    then send, then apply) and hands messages over until none are left; a filter may
    drop or rewrite them on the way."""

    def __init__(self, ids: list[str], **options) -> None:
        self.config = Config(frozenset(ids))
        self.options = options
        self.storage = {i: RaftStorage.bootstrap(self.config) for i in ids}
        self.nodes = {i: self._new(i) for i in ids}
        self.applied: dict[str, list[Entry]] = {i: [] for i in ids}
        self.down: set[str] = set()
        self.sent: list[Message] = []

    def _new(self, i: str) -> Raft:
        return Raft(i, self.storage[i], Random(i), **self.options)

    def crash(self, *ids: str) -> None:
        self.down.update(ids)

    def restart(self, i: str) -> None:
        """A new core from what was persisted (its state machine starts empty)."""
        self.down.discard(i)
        self.nodes[i] = self._new(i)
        self.applied[i] = []

    def join(self, i: str) -> None:
        """A brand-new member with an empty log and no configuration."""
        self.storage[i] = RaftStorage()
        self.nodes[i] = self._new(i)
        self.applied[i] = []

    def deliver(self, only: Filter | None = None) -> None:
        while True:
            msgs = []
            for i, node in self.nodes.items():
                if i in self.down:
                    continue
                rd = node.ready()
                self.storage[i].save(rd)
                msgs.extend(rd.messages)
                self.applied[i].extend(rd.committed)
            if not msgs:
                return
            self.sent.extend(msgs)
            for m in msgs:
                if m.src in self.down or m.dst in self.down or m.dst not in self.nodes:
                    continue
                if only is not None:
                    m = only(m)
                    if m is None:
                        continue
                self.nodes[m.dst].step(m)

    def elect(self, i: str, only: Filter | None = None) -> Raft:
        """i campaigns after an election timeout without a leader: the others' leases
        (CheckQuorum's "I heard from a leader lately") have run out."""
        for _ in range(3):  # a candidate that loses times out and tries a higher term
            for node in self.nodes.values():
                if node.state != LEADER:
                    node.election_elapsed = max(node.election_elapsed, node.election_timeout)
            self.nodes[i].campaign()
            self.deliver(only)
            if self.nodes[i].pre_won:  # waiting a tick on a member never heard from
                self.tick(i, only=only)
            if self.nodes[i].state == LEADER:
                break
        return self.nodes[i]

    def tick(self, i: str, n: int = 1, only: Filter | None = None) -> None:
        for _ in range(n):
            self.nodes[i].tick()
            self.deliver(only)

    def __getitem__(self, i: str) -> Raft:
        return self.nodes[i]


def between(*pairs: tuple[str, str]) -> Filter:
    """Only messages between these pairs (either way) arrive."""
    allowed = {frozenset(p) for p in pairs}
    return lambda m: m if frozenset((m.src, m.dst)) in allowed else None


# -- elections --------------------------------------------------------------------------------


def test_a_candidate_with_a_majority_of_votes_leads():
    c = Cores(["a", "b", "c"])
    assert c.elect("a").state == LEADER
    assert c["b"].lead == "a" and c["c"].lead == "a"


def test_a_member_votes_once_per_term():
    c = Cores(["a", "b", "c"])
    c["a"].campaign(pre=False)
    c["b"].campaign(pre=False)  # same term as a's
    c.deliver(only=lambda m: m if m.dst == "c" or m.src == "c" else None)
    # c voted for whichever asked first, and only for it.
    leaders = [n for n in ("a", "b") if c[n].state == LEADER]
    assert len(leaders) == 1


def test_no_vote_for_a_candidate_whose_log_is_behind():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c["a"].propose("x")
    c.deliver(only=between(("a", "b")))  # c never sees x
    c.crash("a")
    term = c["b"].term
    assert c.elect("c").state != LEADER  # c's log lacks x: b refuses, every time
    assert c["b"].term == term  # in the pre-vote, which moves nobody's term
    assert c.elect("b").state == LEADER


def test_a_leader_cut_off_from_the_majority_steps_down_after_an_election_timeout():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c.crash("b", "c")
    c.tick("a", 9)
    assert c["a"].state == LEADER
    # It checks every election timeout whether it heard a majority since the last check.
    c.tick("a", 11)
    assert c["a"].state == FOLLOWER  # CheckQuorum: it stops accepting writes
    with pytest.raises(NotLeader):
        c["a"].propose("x")


def test_followers_that_heard_the_leader_lately_ignore_a_disruptive_candidate():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    term = c["a"].term
    # c was cut off, timed out many times and comes back with a much higher term.
    c["c"].term = term + 5
    c["c"].campaign(pre=False)  # skip the pre-vote, which would stop it sooner (below)
    c.deliver()
    assert c["a"].state == LEADER and c["a"].term == term
    assert c["b"].term == term


def test_a_member_that_cannot_win_raises_nobody_s_term():
    """The pre-vote: a member cut off from the others times out again and again, but
    it asks "would you vote for me?" before taking a new term, so on its return neither
    its term nor the others' has moved, and the leader stays."""
    c = Cores(["a", "b", "c"])
    c.elect("a")
    term = c["a"].term
    c.crash("a", "b")
    for _ in range(5):
        c.elect("c")
    assert c["c"].term == term
    c.restart("a")
    c.restart("b")
    c.elect("a")
    c.tick("a")
    assert c["c"].term == c["a"].term and c["c"].lead == "a"


def test_a_removed_member_is_told_so_and_takes_no_more_part():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c.crash("c")
    c["a"].remove_voter("c")
    c.deliver()
    assert c["a"].config.removed == {"c"}
    c.restart("c")  # still believes in {a, b, c}
    c.elect("c")
    assert c["c"].removed and c["c"].state == FOLLOWER
    assert c["a"].state == LEADER and c["a"].term == c["b"].term
    c.sent.clear()
    c.tick("c", 30)
    assert not c.sent  # it never campaigns again


def test_members_left_behind_by_force_new_cluster_never_elect_a_second_leader():
    """a is forced into a one-member cluster while b and c are down. They come back
    with the old configuration, each ready to vote for the other; b's straw poll is won
    with c's grant, but b waits on a, not heard from since it started, and a's answer
    is that b was removed."""
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c["a"].propose("x")
    c.deliver()
    c.crash("a", "b", "c")
    c.storage["a"].force_new_cluster("a")
    for i in ("a", "b", "c"):
        c.restart(i)
    c.elect("a")
    assert c["a"].state == LEADER and c["a"].config.voters == {"a"}
    assert c["a"].config.removed == {"b", "c"}
    not_a = between(("b", "c"))
    c["b"].campaign()
    c.deliver(only=not_a)  # a's answer is still on its way
    assert c["b"].pre_won and c["b"].state != LEADER
    c.deliver()
    c["b"].campaign()
    c.deliver()
    assert c["b"].removed and c["b"].state == FOLLOWER
    c.elect("c")
    assert c["c"].removed
    assert [i for i in c.nodes if c[i].state == LEADER] == ["a"]


def test_a_member_never_heard_from_is_waited_for_one_tick_only():
    """A cold start with one member still down: the straw poll is won, and after one
    tick without the missing member's answer the election goes ahead."""
    c = Cores(["a", "b", "c"])
    c.crash("c")
    c["a"].campaign()
    c.deliver()
    assert c["a"].pre_won and c["a"].state != LEADER
    c.tick("a")
    assert c["a"].state == LEADER


def test_a_follower_refuses_proposals_and_names_the_leader():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    with pytest.raises(NotLeader) as err:
        c["b"].propose("x")
    assert err.value.leader == "a"


# -- replication ---------------------------------------------------------------------------


def test_figure_8_an_old_term_entry_is_not_committed_by_counting_replicas():
    """The scenario of Figure 8 in the Raft paper, step by step."""
    c = Cores(["s1", "s2", "s3", "s4", "s5"], max_entries_per_msg=1)
    c.elect("s1")
    # (a) s1 leads term 2 and gets index X only to s2.
    x, term_a = c["s1"].propose("from term 2")
    c.deliver(only=between(("s1", "s2")))
    c.crash("s1")
    # (b) s5 leads term 3 with votes from s3, s4; its entry at X reaches nobody.
    c.elect("s5", only=lambda m: None if isinstance(m, Append) else m)
    assert c["s5"].state == LEADER
    assert c["s5"].propose("from term 3")[0] == x + 1
    c.crash("s5")
    # (c) s1 comes back and leads term 4; it replicates X (term 2) to s3, so X is on a
    # majority — but its own no-op (term 4) is delayed and reaches nobody.
    c.restart("s1")
    c.crash("s4")

    def no_term_4(m: Message) -> Message | None:
        if isinstance(m, Append):
            return replace(m, entries=[e for e in m.entries if e.term < 4])
        return m

    c.elect("s1", only=no_term_4)
    assert c["s1"].state == LEADER and c["s1"].term == 4
    for follower in ("s2", "s3"):
        assert c[follower].term_at(x) == term_a
    # X is held by s1, s2, s3, but it is not of s1's term: s1 must not commit it.
    assert c["s1"].commit < x
    # (d) Rightly so: s5 may still win term 5 and overwrite X everywhere.
    c.crash("s1")
    c.restart("s5")
    c.restart("s4")
    assert c.elect("s5").state == LEADER
    c.deliver()
    assert all(c[s].term_at(x) == 3 for s in ("s2", "s3", "s4", "s5"))
    applied = {s: [(e.index, e.data) for e in c.applied[s]] for s in c.nodes}
    assert all((x, "from term 2") not in a for a in applied.values())


def test_a_leader_backs_up_over_a_long_conflicting_log_in_few_round_trips():
    c = Cores(["a", "b", "c", "d", "e"])
    c.elect("a")
    c["a"].propose("common")
    c.deliver()
    # a, cut off with b, takes 50 entries that will never commit.
    for k in range(50):
        c["a"].propose(f"stale {k}")
    c.deliver(only=between(("a", "b")))
    c.crash("a", "b")
    # c leads a new term and commits 50 others with d and e.
    assert c.elect("c").state == LEADER
    for k in range(50):
        c["c"].propose(f"new {k}")
    c.deliver()
    # c fails and d takes over (with b's vote): d starts probing a at its own last
    # entry, 50 above the fork.
    c.crash("c")
    c.restart("b")
    assert c.elect("d").state == LEADER
    # a returns: its 50 conflicting entries must go without 50 round trips.
    c.restart("a")
    c.sent.clear()
    c.tick("d")
    rejections = [m for m in c.sent if isinstance(m, AppendResponse) and m.reject]
    assert c["a"].last_index == c["d"].last_index
    assert c["a"].term_at(c["a"].last_index) == c["d"].term
    assert len(rejections) <= 2, f"{len(rejections)} rejections to back up over 50 entries"


def test_a_burst_of_proposals_is_appended_at_consecutive_indexes_and_leaves_together():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    before = c["a"].last_index
    assert c["a"].propose_many([]) == (before + 1, c["a"].term)  # nothing appended
    assert c["a"].last_index == before
    first, term = c["a"].propose_many(["x", "y", "z"])
    assert (first, term) == (before + 1, c["a"].term)
    c.sent.clear()
    c.deliver()
    appends = [m for m in c.sent if isinstance(m, Append) and m.entries]
    assert {m.dst for m in appends} == {"b", "c"} and len(appends) == 2  # one each
    for i in "abc":
        assert [(e.index, e.term, e.data) for e in c.applied[i][-3:]] == [
            (first, term, "x"),
            (first + 1, term, "y"),
            (first + 2, term, "z"),
        ]
    with pytest.raises(NotLeader):
        c["b"].propose_many(["w"])


def test_every_follower_learns_the_commit_index_once_it_advances_not_at_the_heartbeat():
    # etcd's bcastAppend: what a follower applies is never a heartbeat behind the leader
    # (nor are the versions the leader has written over kept a second longer)
    c = Cores(["a", "b", "c"])
    c.elect("a")
    index, _ = c["a"].propose("x")
    c.sent.clear()
    c.deliver()
    assert all(c[i].commit >= index for i in "abc")  # no tick: no heartbeat told them
    empty = [m for m in c.sent if isinstance(m, Append) and not m.entries]
    assert sorted(m.dst for m in empty) == ["b", "c"]  # the commit, to each, once


# -- persistence ----------------------------------------------------------------------------


def test_term_vote_and_log_survive_a_restart():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c["a"].propose("x")
    c.deliver()
    before = (c["b"].term, c["b"].vote, [(e.index, e.term, e.data) for e in c["b"].entries(1)])
    c.restart("b")
    after = (c["b"].term, c["b"].vote, [(e.index, e.term, e.data) for e in c["b"].entries(1)])
    assert before == after


def test_a_restarted_member_does_not_vote_twice_in_a_term():
    c = Cores(["a", "b", "c"])
    c["a"].campaign(pre=False)
    c.deliver(only=between(("a", "b")))
    assert c["b"].vote == "a"
    c.restart("b")
    c["c"].term = c["a"].term - 1
    c["c"].campaign(pre=False)  # the same term as a's
    c.deliver(only=between(("c", "b")))
    assert c["c"].state == CANDIDATE


# -- membership -------------------------------------------------------------------------------


def test_a_new_member_catches_up_and_then_counts_toward_the_majority():
    c = Cores(["a"])
    c.elect("a")
    c["a"].propose("x")
    c.deliver()
    c.join("b")
    c["a"].add_voter("b")
    c.deliver()
    assert c["b"].config.voters == {"a", "b"}
    assert [e.data for e in c.applied["b"] if e.data] == ["x"]
    # Two voters: a alone can no longer commit.
    index, _ = c["a"].propose("y")
    c.deliver(only=lambda m: None)
    assert c["a"].commit < index


def test_one_configuration_change_at_a_time():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c.join("d")
    c.join("e")
    c["a"].add_voter("d")
    with pytest.raises(ConfigChangeRefused):
        c["a"].add_voter("e")  # the first is not committed yet
    c.deliver()
    c["a"].add_voter("e")  # now it is


def test_a_new_leader_changes_the_configuration_only_after_committing_in_its_term():
    c = Cores(["a", "b", "c"])
    c.elect("a", only=lambda m: None if isinstance(m, AppendResponse) else m)
    with pytest.raises(ConfigChangeRefused):
        c["a"].remove_voter("c")
    c.tick("a")
    c["a"].remove_voter("c")


def test_an_uncommitted_configuration_is_undone_with_its_entry():
    ids = ["a", "b", "c", "d", "e"]
    c = Cores(ids)
    c.elect("a")
    c["a"].remove_voter("e")
    # Only b gets the change (so it takes effect there), and its answer is lost.
    c.deliver(only=lambda m: m if (m.src, m.dst) == ("a", "b") else None)
    assert c["b"].config.voters == {"a", "b", "c", "d"}
    c.crash("a")
    # c, d, e never saw it and elect c; c's log overwrites b's, change included.
    assert c.elect("c", only=lambda m: m if "b" not in (m.src, m.dst) else None).state == LEADER
    c.tick("c")
    assert c["b"].config.voters == set(ids)
    assert c.storage["b"].entries[-1].config is None


def test_a_leader_that_removes_itself_steps_down_once_that_is_committed():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c["a"].remove_voter("a")
    c.deliver()
    assert c["a"].state == FOLLOWER
    assert not c["a"].promotable
    # The two others carry on and elect a leader among themselves.
    c.elect("b")
    assert c["b"].state == LEADER and c["b"].config.voters == {"b", "c"}


def test_leadership_transfer_hands_over_to_an_up_to_date_member():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c["a"].propose("x")
    c.deliver(only=between(("a", "b")))
    c["a"].transfer_leadership("c")  # c is behind: it is caught up first
    c.deliver()
    assert c["c"].state == LEADER
    assert c["a"].state == FOLLOWER and c["a"].lead == "c"


def test_proposals_wait_while_leadership_is_being_transferred():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c.crash("c")
    c["a"].transfer_leadership("c")
    with pytest.raises(LeadershipTransferring):
        c["a"].propose("x")
    c.tick("a", 10)  # the transfer gives up after an election timeout
    assert c["a"].state == LEADER
    c["a"].propose("x")


# -- snapshots --------------------------------------------------------------------------------


def test_compaction_keeps_a_tail_for_slow_followers():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    for k in range(100):
        c["a"].propose(k)
    c.deliver()
    applied = c["a"].applied
    c["a"].compact(applied, data=("state", applied), keep=10)
    c.deliver()
    assert c["a"].first_index == applied - 10 + 1
    assert c.storage["a"].snapshot.index == applied
    assert c.storage["a"].offset == applied - 10


def test_a_follower_behind_the_compacted_log_gets_the_snapshot():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c.crash("c")
    for k in range(100):
        c["a"].propose(k)
    c.deliver()
    c.tick("a")  # b learns the commit
    c["a"].compact(c["a"].applied, data="snapshot of a", keep=0)
    c.restart("c")
    c.tick("a", 2)
    assert c["c"].snapshot is not None and c["c"].snapshot.data == "snapshot of a"
    assert c.storage["c"].snapshot.index == c["a"].snapshot.index
    assert c["c"].last_index == c["a"].last_index


def test_vote_requests_carry_the_last_log_position():
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c["a"].propose("x")
    c.deliver()
    c.sent.clear()
    c["b"].campaign(pre=False)
    req = next(m for m in c["b"].ready().messages if isinstance(m, VoteRequest))
    assert (req.last_index, req.last_term) == (c["b"].last_index, c["b"].last_term)


def test_a_leader_that_crashed_while_removing_itself_finishes_the_job_after_a_restart():
    """a leads {a, b}, appends its own removal, and crashes before b has it. After both
    restart, a's log says it is no longer a member and is longer than b's, so b will
    not vote for b... unless a campaigns to finish what it started. It may: it cannot
    know the removal is committed, and it counts votes among {b} only."""
    c = Cores(["a", "b"])
    c.elect("a")
    removal, _ = c["a"].remove_voter("a")
    c.deliver(only=lambda m: None)  # persisted, but it never left a
    c.crash("a")
    c.restart("a")
    assert c["a"].config.voters == {"b"}
    assert c.elect("b").state != LEADER  # a refuses: its log is ahead of b's
    # a wins with b's vote, commits its removal and steps down, all in one go.
    c.elect("a")
    assert c["b"].config.voters == {"b"} and c["b"].term_at(removal) is not None
    assert c["a"].commit >= removal
    assert c["a"].state == FOLLOWER and not c["a"].promotable
    assert c.elect("b").state == LEADER


def test_a_cluster_reshaped_while_a_member_was_cut_off_always_elects_a_leader_again():
    """The nemesis's shape (issue 14): {n1, n2}; n2 cut off; n1 removes n2, adds n3, then
    removes itself; n2 comes back while n1 and n3 cannot talk for 300 ticks; n3 adds n1
    back; everything heals. A leader must follow, however the terms were raised meanwhile."""
    c = Cores(["n1", "n2"])
    c.elect("n1")
    cut: set[frozenset[str]] = set()

    def net(m):
        return None if frozenset((m.src, m.dst)) in cut else m

    def ticks(n: int) -> None:
        for _ in range(n):
            for i in list(c.nodes):
                if i not in c.down:
                    c[i].tick()
            c.deliver(net)

    cut |= {frozenset(("n1", "n2"))}
    c["n1"].remove_voter("n2")
    c.deliver(net)
    c.join("n3")
    c["n1"].add_voter("n3")
    c.deliver(net)
    ticks(5)
    c["n1"].remove_voter("n1")
    c.deliver(net)
    ticks(60)
    cut = {frozenset(("n1", "n3"))}
    ticks(300)
    leader = [i for i in c.nodes if c[i].state == LEADER]
    if leader == ["n3"]:
        c["n3"].add_voter("n1")
        c.deliver(net)
    cut = set()
    ticks(5000)
    leaders = [i for i in c.nodes if c[i].state == LEADER]
    assert len(leaders) == 1, {
        i: (c[i].state, c[i].term, sorted(c[i].config.voters)) for i in c.nodes
    }


def test_a_member_is_told_it_was_removed_only_once_its_removal_is_committed():
    """Found by the nemesis: a cut-off leader appended a change removing b that never
    committed; a member acting on it told b it was removed, and b, still needed by the
    configuration that did commit, never campaigned again — the cluster stayed leaderless.
    swarmkit answers "member removed" from the membership it has applied."""
    c = Cores(["a", "b", "c"])
    c.elect("a")
    cut = {"c"}
    c["a"].remove_voter("b")  # needs c's ack under {a, c}: it cannot commit
    c.deliver(lambda m: None if m.src in cut or m.dst in cut else m)
    assert c["a"].config.voters == {"a", "c"} and c["a"].commit < c["a"].last_index
    c["a"].step(VoteRequest(src="b", dst="a", term=c["a"].term + 1, last_index=9, last_term=9))
    assert not [m for m in c["a"].ready().messages if isinstance(m, Removed)]


def test_a_vote_request_of_an_old_term_is_answered_with_the_current_term():
    """The Raft paper's RequestVote: reply false with currentTerm, so that a candidate
    behind the times learns the newer term instead of waiting on an answer never sent."""
    c = Cores(["a", "b", "c"])
    c.elect("a")
    c["a"].term = 7  # a has moved on; b still asks in an old term
    c["b"].term = 4
    c["a"].step(VoteRequest(src="b", dst="a", term=5, last_index=0, last_term=0))
    answer = [m for m in c["a"].ready().messages if m.dst == "b"]
    assert answer == [VoteResponse(src="a", dst="b", term=7, granted=False)]


def test_a_snapshot_the_follower_already_holds_is_acknowledged_up_to_its_index_only():
    """Entries after the snapshot's last one may be the follower's own, from an old term:
    only the snapshot's index is known to match the leader (etcd answers the same)."""
    from miniswarm.raft import InstallSnapshot, Snapshot

    c = Cores(["a", "b", "c"])
    c.elect("a")
    for x in "xyz":
        c["a"].propose(x)
    c.deliver()
    b = c["b"]
    b.commit = 1  # b knows less committed than it holds
    held = b.last_index
    snap = Snapshot(index=held - 1, term=b.term_at(held - 1), config=b.config)
    b.step(InstallSnapshot(src="a", dst="b", term=b.term, snapshot=snap))
    answer = [m for m in b.ready().messages if m.dst == "a"]
    assert [(type(m).__name__, m.index) for m in answer] == [("AppendResponse", held - 1)]
