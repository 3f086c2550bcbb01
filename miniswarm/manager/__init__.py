"""The manager role of a node: a Raft member, the replicated store, and — while this
member leads — the controllers that keep the cluster as its spec says.

Only the leader runs controllers (swarmkit's `becomeLeader`): the dispatcher that keeps
worker sessions, the role manager that carries out promotions and demotions, and (with
services) the scheduler and the orchestrators. They start once the new leader has
applied every committed entry, and stop the moment it loses leadership.
"""

from __future__ import annotations

import functools
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

from ..ids import node_of_member
from ..raft import Config, ConfigChangeRefused, Entry, LeadershipTransferring, ProposalRefused
from ..raftnode import LostLeadership, RaftNode
from ..rpc import RpcError
from .context import ControllerContext
from .store import Applied, Batch, Store, StoreError
from .writer import Writer

if TYPE_CHECKING:
    from ..sim.kernel import HostContext

LOST_LEADERSHIP = "raft: failed to process the request: node lost leader status"
PROPOSAL_DROPPED = "raft proposal dropped"  # etcd's ErrProposalDropped


class Host(Protocol):
    """What a manager asks of the daemon it runs in (daemon.py): its host and node, and
    to be told when this member leaves Raft, when the managers change, when it leads."""

    @property
    def ctx(self) -> HostContext: ...

    @property
    def node_id(self) -> str: ...

    def removed_from_raft(self) -> None: ...

    def managers_changed(self) -> None: ...

    def leading_started(self) -> None: ...


class StoreMachine:
    """Raft's state machine on a manager: committed batches go into the store."""

    def __init__(self, manager: Manager) -> None:
        self.manager = manager

    def apply(self, entry: Entry) -> Any:
        m = self.manager
        result: Any = None
        if isinstance(entry.data, Batch):
            try:
                result = m.store.apply(entry.index, entry.data)
            except StoreError as exc:
                result = exc
        m._applied(entry)
        return result

    def snapshot(self) -> Any:
        return self.manager.store.snapshot()

    def weight(self) -> int:
        """The store's size in the log's measure (a change weighs 200 bytes)."""
        return 200 * sum(len(table) for table in self.manager.store.tables.values())

    def restore(self, data: Any) -> None:
        if data is not None:
            self.manager.store.restore(data)


class Manager:
    def __init__(
        self,
        daemon: Host,
        *,
        member_id: str | None = None,
        bootstrap: Config | None = None,
        kek: bytes | None = None,
    ) -> None:
        self.daemon = daemon
        self.ctx = daemon.ctx
        self.store = Store()
        self.raft = RaftNode(
            self.ctx,
            StoreMachine(self),
            member_id=member_id,
            bootstrap=bootstrap,
            disk_key="swarm/raft",
            on_leader_change=self._leader_changed,
            on_tick=self._tick,
            on_removed=daemon.removed_from_raft,
            kek=kek,
        )
        self._unlock_key = kek  # what wraps this manager's data key now (None: on disk)
        self.store.watch(self._keys)
        self.writer = Writer(self.store, self.ctx, self.propose)
        self.context = ControllerContext(self.store, self.update, self.ctx, self.ctx.rng)
        self.ticks_without_leader = 0
        self.leading = False  # the controllers run
        self.controllers: list[Any] = []
        self.started_at = self.ctx.now()
        from .controlapi import ControlAPI

        self.control = ControlAPI(self)

    @property
    def member_id(self) -> str:
        return self.raft.id

    @property
    def node_id(self) -> str:
        return self.daemon.node_id

    def peers(self) -> list[tuple[str, str]]:
        """The managers, as (node ID, address:2377), in the order they joined."""
        return [(node_of_member(m), f"{addr}:2377") for m, addr in self.raft.raft.config.addresses]

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self.raft.start()

    def stop(self) -> None:
        self._stop_leading()
        self.raft.stop()

    def _tick(self) -> None:
        if self.raft.leader is None:
            self.ticks_without_leader += 1
        else:
            self.ticks_without_leader = 0

    def _keys(self, applied: Applied) -> None:
        """Autolock turned on, rotated or off (on every manager): wrap the data key anew."""
        if "clusters" not in applied.kinds:
            return
        cluster = self.store.cluster
        key = cluster.get("_unlock_key") if cluster else None
        if key != self._unlock_key:
            self._unlock_key = key
            self.raft.rewrap(key)

    def _leader_changed(self, lead: str | None) -> None:
        if lead != self.member_id:
            self._stop_leading()
        else:
            self._maybe_lead()

    def _applied(self, entry: Entry) -> None:
        if entry.config is not None:
            self.daemon.managers_changed()
        if not self.leading:
            self._maybe_lead()

    def _maybe_lead(self) -> None:
        """Start the controllers once this leader has applied everything committed
        before its term (its own no-op marks the point)."""
        r = self.raft.raft
        if self.leading or r.state != "leader" or r.applied < r.term_start_index:
            return
        from .allocator import Allocator
        from .dispatcher import Dispatcher
        from .orchestrator import ConstraintEnforcer, Orchestrator
        from .rolemanager import RoleManager
        from .scheduling import Scheduling

        self.leading = True
        self.controllers = [
            Dispatcher(self.context, self.ctx.send, self.peers),
            RoleManager(self.context, self, self.control.node_certificate),
            Allocator(self.context),
            Scheduling(self.context),
            Orchestrator(self.context),
            ConstraintEnforcer(self.context),
        ]
        for c in self.controllers:
            c.start()
        self.daemon.leading_started()

    def _stop_leading(self) -> None:
        if not self.leading:
            return
        self.leading = False
        for c in self.controllers:
            c.stop()
        self.controllers = []
        self.writer.fail_all(RpcError("Unknown", LOST_LEADERSHIP))

    def controller(self, kind: type) -> Any:
        for c in self.controllers:
            if isinstance(c, kind):
                return c
        return None

    # -- writing --------------------------------------------------------------------------------

    def propose(self, batch: Batch) -> Future:
        """Commit a batch; the future gets the store's Applied, or fails."""
        out: Future = Future()
        try:
            inner = self.raft.propose(batch)
        except LeadershipTransferring:  # etcd drops a proposal during a hand-over
            out.set_exception(RpcError("Unknown", PROPOSAL_DROPPED))
            return out
        except ProposalRefused:  # no longer the leader
            out.set_exception(RpcError("Unknown", LOST_LEADERSHIP))
            return out

        def done(f: Future) -> None:
            exc = f.exception()
            if isinstance(exc, LostLeadership):
                out.set_exception(RpcError("Unknown", LOST_LEADERSHIP))
            elif exc is not None:
                out.set_exception(exc)
            elif isinstance(f.result(), StoreError):
                err = f.result()
                out.set_exception(RpcError(err.code, err.message))
            else:
                out.set_result(f.result())

        inner.add_done_callback(done)
        return out

    def update(self, write) -> Future:
        """Run a write transaction (see writer.py); leader only."""
        if not self.leading:
            fut: Future = Future()
            fut.set_exception(RpcError("Unknown", LOST_LEADERSHIP))
            return fut
        return self.writer.update(write)

    # -- membership ---------------------------------------------------------------------------

    def members(self) -> dict[str, str]:
        """Raft members (as this manager knows them): member ID -> address."""
        cfg = self.raft.raft.config
        return {m: cfg.address_of(m) or "" for m in sorted(cfg.voters)}

    def member_of_node(self, node_id: str) -> str | None:
        return _members_by_node(self.raft.raft.config.voters).get(node_id)

    def reachable(self, member: str) -> bool:
        return self.raft.reachable(member)

    def manager_statuses(self) -> dict[str, dict]:
        """ManagerStatus of each manager node, by node ID (the Raft members')."""
        voters = _members_by_node(self.raft.raft.config.voters)
        statuses = {node_id: self.manager_status(node_id) for node_id in voters}
        return {node_id: status for node_id, status in statuses.items() if status is not None}

    def manager_status(self, node_id: str) -> dict | None:
        """ManagerStatus of a node, as the leader reports it (swarm fills it in from the
        Raft member list when listing nodes)."""
        member = self.member_of_node(node_id)
        if member is None:
            return None
        status: dict[str, Any] = {}
        if member == self.raft.leader:
            status["Leader"] = True
        status["Reachability"] = "reachable" if self.reachable(member) else "unreachable"
        status["Addr"] = f"{self.members()[member]}:2377"
        return status

    def can_remove_member(self, member: str) -> bool:
        """Whether removing `member` leaves enough reachable members for a quorum
        (swarmkit's CanRemoveMember)."""
        members = list(self.raft.raft.config.voters)
        reachable = sum(
            1 for m in members if m != member and (m == self.member_id or self.reachable(m))
        )
        return reachable >= (len(members) - 1) // 2 + 1

    def add_member(self, member: str, address: str) -> Future:
        """Add a Raft voter, retrying while another change is in progress."""
        return self._change_membership(member, True, lambda: self.raft.add_voter(member, address))

    def remove_member(self, member: str) -> Future:
        """Remove a Raft voter, retrying while another change is in progress."""
        return self._change_membership(member, False, lambda: self.raft.remove_voter(member))

    def _change_membership(self, member: str, voter: bool, propose) -> Future:
        """Propose one membership change until `member` is (or is not) a voter: Raft takes
        one change at a time, so a refused or lost one is tried again 0.2 s later."""
        out: Future = Future()

        def attempt() -> None:
            if out.done():
                return
            raft = self.raft.raft
            if (member in raft.config_at(raft.commit).voters) == voter:
                out.set_result(None)  # done, for good
                return
            if (member in raft.config.voters) == voter:
                self.ctx.after(0.2, attempt)  # proposed, not committed yet: it may be lost
                return
            try:
                fut = propose()
            except ConfigChangeRefused:
                self.ctx.after(0.2, attempt)
                return
            except ProposalRefused as exc:
                out.set_exception(RpcError("Unknown", str(exc)))
                return
            fut.add_done_callback(
                lambda f: (
                    out.set_result(None) if f.exception() is None else self.ctx.after(0.2, attempt)
                )
            )

        attempt()
        return out


@functools.lru_cache(maxsize=8)  # a configuration's voters, asked once a node listed
def _members_by_node(voters: frozenset[str]) -> dict[str, str]:
    """Raft member ID of each voter, by its node's ID."""
    return {node_of_member(m): m for m in sorted(voters)}
