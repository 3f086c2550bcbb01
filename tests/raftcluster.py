"""A cluster of Raft members on SimDriver, with the checks of MIT 6.5840's test harness
(config.go): one leader per term, agreement on what each index holds, and `one()` — get
a command committed by enough members, whoever leads.

Time is virtual. The lab's election timeout is under a second; swarm's is 10 to 20 s,
so the lab's waits are scaled by SCALE (its RaftElectionTimeout of 1 s becomes 20 s).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from miniswarm.raft import LEADER, Config, ProposalRefused
from miniswarm.raftnode import RaftProcess, read_log
from miniswarm.sim import HostDown, SimDriver

SCALE = 20.0
ELECTION_TIMEOUT = 1.0 * SCALE  # the lab's RaftElectionTimeout

# Request kinds: what the lab calls one RPC (its reply is not counted).
REQUESTS = ("VoteRequest", "Append", "Heartbeat", "InstallSnapshot", "TimeoutNow")


class ClusterError(AssertionError):
    pass


class RaftCluster:
    def __init__(
        self,
        n: int,
        seed: int,
        *,
        unreliable: bool = False,
        snapshot_interval: int = 10_000,
        keep_entries: int = 500,
        record: bool = False,
    ) -> None:
        self.n = n
        self.seed = seed
        self.driver = SimDriver(seed=seed, record=record)
        self.rng = self.driver.rng  # the test's own choices come from the seed too
        self.names = [f"s{i}" for i in range(n)]
        self.addresses = [f"10.0.0.{i + 1}" for i in range(n)]
        self.config = Config(
            frozenset(self.names), tuple(zip(self.names, self.addresses, strict=True))
        )
        self.options = dict(snapshot_interval=snapshot_interval, keep_entries=keep_entries)
        self.connected = [True] * n
        # What each server has ever applied, index -> command (kept across its crashes,
        # as the lab keeps cfg.logs), and the first error seen.
        self.logs: list[dict[int, Any]] = [{} for _ in range(n)]
        self.max_index = 0
        self.errors: list[str] = []
        for i, name in enumerate(self.names):
            self.driver.add_host(name, self.addresses[i], self._factory(i))
        self.set_unreliable(unreliable)

    # -- building members -------------------------------------------------------------------

    def _factory(self, i: int):
        def make(ctx):
            p = RaftProcess(ctx, member_id=self.names[i], bootstrap=self.config, **self.options)
            p.log.on_apply = lambda index, cmd: self._applied(i, index, cmd)
            return p

        return make

    def _applied(self, i: int, index: int, cmd: Any) -> None:
        for j, log in enumerate(self.logs):
            if index in log and log[index] != cmd:
                self.errors.append(
                    f"commit index={index} server={i} {cmd!r} != server={j} {log[index]!r}"
                )
        self.logs[i][index] = cmd
        self.max_index = max(self.max_index, index)

    def check_errors(self) -> None:
        if self.errors:
            raise ClusterError(self.errors[0])

    # -- faults -----------------------------------------------------------------------------

    def _relink(self) -> None:
        net = self.driver.network
        net.heal()
        for i in range(self.n):
            if not self.connected[i]:
                net.isolate(self.addresses[i], self.addresses)

    def disconnect(self, i: int) -> None:
        self.connected[i] = False
        self._relink()

    def connect(self, i: int) -> None:
        self.connected[i] = True
        self._relink()

    def crash(self, i: int) -> None:
        self.driver.crash(self.names[i])

    def start(self, i: int) -> None:
        """The lab's start1: a fresh life of server i, from what it persisted."""
        self.driver.crash(self.names[i])
        self.driver.start_host(self.names[i])

    def alive(self, i: int) -> bool:
        return self.driver.hosts[self.names[i]].up

    def set_unreliable(self, on: bool) -> None:
        """The lab's unreliable network: 10% of messages lost, delays up to 27 ms."""
        if on:
            self.driver.network.set_faults(loss=0.1, reorder=1.0, reorder_delay=0.027 * SCALE)
        else:
            self.driver.network.set_faults(loss=0.0, reorder=0.0)

    def set_long_reordering(self, on: bool) -> None:
        """Some messages held back a long time, so old ones arrive after new ones."""
        self.driver.network.set_faults(
            reorder=0.3 if on else 0.0, reorder_delay=(2.0 * SCALE) if on else 0.0
        )

    # -- looking at members --------------------------------------------------------------------

    def node(self, i: int):
        try:
            return self.driver.process(self.names[i]).node
        except HostDown:
            return None

    def raft(self, i: int):
        node = self.node(i)
        return node.raft if node is not None else None

    def storage(self, i: int):
        return read_log(self.driver.hosts[self.names[i]].disk)

    def sleep(self, seconds: float) -> None:
        self.driver.run_for(seconds)
        self.check_errors()

    def rpcs(self) -> int:
        kinds = self.driver.network.stats.by_kind
        return sum(kinds[k] for k in REQUESTS)

    def bytes_sent(self) -> int:
        return self.driver.network.stats.bytes

    def leaders(self) -> dict[int, list[int]]:
        """Connected, running servers that think they lead, by term."""
        out: dict[int, list[int]] = {}
        for i in range(self.n):
            r = self.raft(i)
            if r is not None and self.connected[i] and r.state == LEADER:
                out.setdefault(r.term, []).append(i)
        return out

    def check_one_leader(self) -> int:
        for _ in range(10):
            self.sleep(0.45 * SCALE + self.rng.random() * 0.1 * SCALE)
            by_term = self.leaders()
            for term, who in by_term.items():
                if len(who) > 1:
                    raise ClusterError(f"term {term} has {len(who)} (>1) leaders")
            if by_term:
                return by_term[max(by_term)][0]
        raise ClusterError("expected one leader, got none")

    def check_terms(self) -> int:
        term = -1
        for i in range(self.n):
            r = self.raft(i)
            if r is not None and self.connected[i]:
                if term == -1:
                    term = r.term
                elif term != r.term:
                    raise ClusterError("servers disagree on term")
        return term

    def check_no_leader(self) -> None:
        for i in range(self.n):
            r = self.raft(i)
            if r is not None and self.connected[i] and r.state == LEADER:
                raise ClusterError(f"expected no leader among connected servers, but {i} is")

    def n_committed(self, index: int) -> tuple[int, Any]:
        """How many servers think index is committed (have applied it), and what it is."""
        self.check_errors()
        count, cmd = 0, None
        for log in self.logs:
            if index in log:
                if count > 0 and log[index] != cmd:
                    raise ClusterError(f"committed values do not match: index {index}")
                count, cmd = count + 1, log[index]
        return count, cmd

    # -- proposing -----------------------------------------------------------------------------

    def start_cmd(self, i: int, cmd: Any) -> tuple[int, int, bool]:
        """The lab's rf.Start(cmd) on server i: (index, term, is_leader)."""
        node = self.node(i)
        if node is None:
            return -1, -1, False

        def start(p):
            p.node.propose(cmd)  # the lab does not wait on Start; we check the logs instead
            return p.node.raft.last_index, p.node.raft.term

        try:
            index, term = self.driver.call(self.names[i], start)
        except (ProposalRefused, HostDown):
            return -1, -1, False
        return index, term, True

    def one(self, cmd: Any, expected: int, retry: bool = True) -> int:
        """Get `cmd` committed by at least `expected` servers; its index. Like the lab's,
        it keeps trying leaders for a while (10 s scaled), and fails if it cannot."""
        deadline = self.driver.now() + 10 * SCALE
        starts = 0
        while self.driver.now() < deadline:
            index = -1
            for _ in range(self.n):
                starts = (starts + 1) % self.n
                if self.connected[starts] and self.alive(starts):
                    idx, _, ok = self.start_cmd(starts, cmd)
                    if ok:
                        index = idx
                        break
            if index != -1:
                until = self.driver.now() + 2 * SCALE
                while self.driver.now() < until:
                    count, got = self.n_committed(index)
                    if count > 0 and count >= expected and got == cmd:
                        return index
                    self.sleep(0.02 * SCALE)
                if not retry:
                    raise ClusterError(f"one({cmd!r}) failed to reach agreement")
            else:
                self.sleep(0.05 * SCALE)
        raise ClusterError(f"one({cmd!r}) failed to reach agreement")

    def wait(self, index: int, n: int, start_term: int = -1) -> Any:
        """Wait for at least n servers to commit index (giving up if the term moves on)."""
        pause = 0.01 * SCALE
        for _ in range(30):
            count, _ = self.n_committed(index)
            if count >= n:
                break
            self.sleep(pause)
            if pause < SCALE:
                pause *= 2
            if start_term > -1:
                for i in range(self.n):
                    r = self.raft(i)
                    if r is not None and r.term > start_term:
                        return -1  # someone moved on; we can no longer expect a commit
        count, cmd = self.n_committed(index)
        if count < n:
            raise ClusterError(f"only {count} decided for index {index}; wanted {n}")
        return cmd

    def all_members(self) -> Iterable[int]:
        return range(self.n)
