"""Promotions and demotions (swarmkit's role manager), on the leader.

`docker node promote` only changes a node's desired role. Here the role changes for
real: a promoted node's observed role becomes manager, which tells the node to start a
manager and join Raft. A demoted node first leaves Raft — removed by the leader, or, if
it is the leader, after handing leadership to the member that has been reachable the
longest — and only then becomes a worker, so that a worker is never a Raft member.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..gocompat import rfc3339nano
from .store import Applied

if TYPE_CHECKING:
    from ..sim.kernel import Repeating
    from . import Manager
    from .writer import Tx

RECONCILE_INTERVAL = 5.0  # swarmkit's roleReconcileInterval


class RoleManager:
    def __init__(self, manager: Manager) -> None:
        self.m = manager
        self._removing: set[str] = set()
        self._timer: Repeating | None = None

    def start(self) -> None:
        self.m.store.watchers.append(self._watch)
        self._timer = self.m.ctx.every(RECONCILE_INTERVAL, self.reconcile_all)
        self.reconcile_all()

    def stop(self) -> None:
        if self._watch in self.m.store.watchers:
            self.m.store.watchers.remove(self._watch)
        if self._timer is not None:
            self._timer.cancel()

    def _watch(self, applied: Applied) -> None:
        for ch, _, new in applied.changes:
            if ch.kind == "nodes" and new is not None:
                self.m.ctx.after(0.0, self.reconcile, new["ID"])

    def reconcile_all(self) -> None:
        for node in list(self.m.store.all("nodes")):
            self.reconcile(node["ID"])

    def reconcile(self, node_id: str) -> None:
        if not self.m.leading:
            return
        node = self.m.store.get("nodes", node_id)
        if node is None:
            return
        desired, observed = node["Spec"]["Role"], node.get("_role")
        member = self.m.member_of_node(node_id)
        if desired == "manager" and observed != "manager":
            self._set_role(node_id, "manager")
        elif desired == "worker":
            if member is None:
                if observed != "worker":
                    self._set_role(node_id, "worker")
            elif member == self.m.member_id:
                self._hand_over()
            elif member not in self._removing:
                self._removing.add(member)
                fut = self.m.remove_member(member)
                fut.add_done_callback(lambda f: self._removed(member, node_id, f))

    def _removed(self, member: str, node_id: str, fut) -> None:
        self._removing.discard(member)
        if fut.exception() is None:
            self.reconcile(node_id)

    def _hand_over(self) -> None:
        """Demoting the leader: give leadership to the member reachable the longest."""
        raft = self.m.raft
        if raft.raft.lead_transferee is not None:
            return
        candidates = [
            (raft.active_since(m), m)
            for m in sorted(raft.raft.config.voters)
            if m != self.m.member_id and raft.reachable(m)
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
            new["_certificate"] = self.m.control.node_certificate(node_id, role)  # renewed
            new["UpdatedAt"] = rfc3339nano(tx.now)
            tx.update("nodes", new)

        self.m.update(write)
