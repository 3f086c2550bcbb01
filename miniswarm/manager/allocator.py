"""The allocator (swarmkit's manager/allocator), on the leader: new tasks get their
network resources — an address on each network their service is on, ingress included
when it publishes a port there — and move on to PENDING, where the scheduler finds them.
Published ports and virtual IPs are allocated when a service is created or updated
(serviceapi). A network marked for removal is deleted here, a moment later."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..gocompat import rfc3339nano
from . import networks
from .context import ControllerContext
from .store import Applied

if TYPE_CHECKING:
    from .writer import Tx

DYNAMIC_PORTS = (30000, 32767)  # where a published port without a number comes from
NETWORK_DELETE_DELAY = (0.1, 0.3)  # seconds from a network's removal to its deletion


class Allocator:
    def __init__(self, c: ControllerContext) -> None:
        self.c = c
        self._new: set[str] = set()
        self._scheduled = False
        self._running = False

    def start(self) -> None:
        self._running = True
        self.c.store.watch(self._watch)
        self._new.update(
            t["ID"] for t in self.c.store.pending_tasks() if t["Status"]["State"] == "new"
        )
        self._kick()

    def stop(self) -> None:
        self._running = False
        self.c.store.unwatch(self._watch)

    def _watch(self, applied: Applied) -> None:
        for ch, _, new in applied.changes:
            if ch.kind == "tasks" and new is not None and new["Status"]["State"] == "new":
                self._new.add(new["ID"])
            if ch.kind == "networks" and new is not None and new.get("_pending_delete"):
                delay = self.c.rng.uniform(*NETWORK_DELETE_DELAY)
                self.c.clock.after(delay, self._delete_network, new["ID"])
        self._kick()

    def _delete_network(self, net_id: str) -> None:
        if not self._running:
            return

        def write(tx: Tx) -> None:
            net = tx.get("networks", net_id)
            if net is not None and net.get("_pending_delete"):
                tx.delete("networks", net_id)

        self.c.update(write)

    def _kick(self) -> None:
        if self._new and not self._scheduled:
            self._scheduled = True
            self.c.clock.after(0.0, self._allocate)

    def _allocate(self) -> None:
        self._scheduled = False
        if not self._running or not self._new:
            return
        ids, self._new = self._new, set()
        self.c.update(lambda tx: self._pending(tx, ids))

    @staticmethod
    def _pending(tx: Tx, ids: set[str]) -> None:
        pools: dict[str, set[str]] = {}  # per network, the addresses given so far
        stamp = rfc3339nano(tx.now)
        for tid in sorted(ids):
            t = tx.get("tasks", tid)
            if t is None or t["Status"]["State"] != "new":
                continue
            new = dict(t)
            attachments = []
            for net_id in _networks_of(tx, t):
                net = tx.get("networks", net_id)
                if net is None:
                    continue
                if net_id not in pools:
                    pools[net_id] = networks.addresses_in_use(tx, net_id)
                address = networks.allocate(tx, net, pools[net_id])
                if address is not None:
                    attachments.append({"Network": networks.view(net), "Addresses": [address]})
            if attachments:
                new["NetworksAttachments"] = attachments
            new["Status"] = {
                "Timestamp": stamp,
                "State": "pending",
                "Message": "pending task scheduling",
            }
            new["UpdatedAt"] = stamp
            tx.update("tasks", new, fresh=True)


def _networks_of(tx: Tx, task: dict) -> list[str]:
    """The networks a task is on: ingress first when its service publishes a port there,
    then those its spec names."""
    on = []
    ports = (task.get("Endpoint") or {}).get("Ports") or []
    if any(p.get("PublishMode", "ingress") == "ingress" for p in ports):
        ingress = networks.find_ingress(tx)
        if ingress is not None:
            on.append(ingress["ID"])
    on += [r.get("Target", "") for r in (task.get("Spec") or {}).get("Networks") or []]
    return on
