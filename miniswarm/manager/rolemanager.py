"""Promotions and demotions (swarmkit's role manager), on the leader.

`docker node promote` only changes a node's desired role. Here the role changes for
real: a promoted node's observed role becomes manager, which tells the node to start a
manager and join Raft. A demoted node first leaves Raft — removed by the leader, or, if
it is the leader, after handing leadership to the member that has been reachable the
longest — and only then becomes a worker, so that a worker is never a Raft member.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Protocol

from ..gocompat import rfc3339nano
from .context import ControllerContext
from .store import Applied

if TYPE_CHECKING:
    from ..raftnode import RaftNode
    from .context import Timer
    from .writer import Tx

RECONCILE_INTERVAL = 5.0  # swarmkit's roleReconcileInterval


class Members(Protocol):
    """The leader's Raft membership (the Manager): who is a member, and removing one."""

    raft: RaftNode
    leading: bool

    @property
    def member_id(self) -> str: ...

    def member_of_node(self, node_id: str) -> str | None: ...

    def remove_member(self, member: str) -> Future: ...


class RoleManager:
    def __init__(
        self, c: ControllerContext, members: Members, certify: Callable[[str, str], str]
    ) -> None:
        self.c = c
        self.members = members
        self.certify = certify  # a node's certificate for a role, signed by the swarm's CA
        self._removing: set[str] = set()
        self._timer: Timer | None = None

    def start(self) -> None:
        self.c.store.watch(self._watch)
        self._timer = self.c.clock.every(RECONCILE_INTERVAL, self.reconcile_all)
        self.reconcile_all()

    def stop(self) -> None:
        self.c.store.unwatch(self._watch)
        if self._timer is not None:
            self._timer.cancel()

    def _watch(self, applied: Applied) -> None:
        for ch, _, new in applied.changes:
            if ch.kind == "nodes" and new is not None:
                self.c.clock.after(0.0, self.reconcile, new["ID"])

    def reconcile_all(self) -> None:
        for node in list(self.c.store.all("nodes")):
            self.reconcile(node["ID"])

    def reconcile(self, node_id: str) -> None:
        if not self.members.leading:
            return
        node = self.c.store.get("nodes", node_id)
        if node is None:
            return
        desired, observed = node["Spec"]["Role"], node.get("_role")
        member = self.members.member_of_node(node_id)
        if desired == "manager" and observed != "manager":
            self._set_role(node_id, "manager")
        elif desired == "worker":
            if member is None:
                if observed != "worker":
                    self._set_role(node_id, "worker")
            elif member == self.members.member_id:
                self._hand_over()
            elif member not in self._removing:
                self._removing.add(member)
                fut = self.members.remove_member(member)
                fut.add_done_callback(lambda f: self._removed(member, node_id, f))

    def _removed(self, member: str, node_id: str, fut) -> None:
        self._removing.discard(member)
        if fut.exception() is None:
            self.reconcile(node_id)

    def _hand_over(self) -> None:
        """Demoting the leader: give leadership to the member reachable the longest."""
        raft = self.members.raft
        if raft.raft.lead_transferee is not None:
            return
        candidates = [
            (raft.active_since(m), m)
            for m in sorted(raft.raft.config.voters)
            if m != self.members.member_id and raft.reachable(m)
        ]
        if candidates:
            raft.transfer_leadership(min(candidates)[1])

    def _set_role(self, node_id: str, role: str) -> None:
        def write(tx: Tx) -> None:
            node = tx.get("nodes", node_id)
            if node is None or node.get("_role") == role:
                return
            new = dict(node)
            new["_role"] = role
            new["_certificate"] = self.certify(node_id, role)  # renewed
            new["UpdatedAt"] = rfc3339nano(tx.now)
            tx.update("nodes", new)

        self.c.update(write)
