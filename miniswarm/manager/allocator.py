"""The allocator (swarmkit's manager/allocator), on the leader: new tasks get their
network resources and move on to PENDING, where the scheduler finds them. Published
ports are allocated when a service is created or updated (controlapi), so here a task
only takes its service's endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import taskstate
from ..gocompat import rfc3339nano
from .store import Applied

if TYPE_CHECKING:
    from . import Manager
    from .writer import Tx

DYNAMIC_PORTS = (30000, 32767)  # where a published port without a number comes from


class Allocator:
    def __init__(self, manager: Manager) -> None:
        self.m = manager
        self._new: set[str] = set()
        self._scheduled = False
        self._running = False

    def start(self) -> None:
        self._running = True
        self.m.store.watchers.append(self._watch)
        self._new.update(
            t["ID"] for t in self.m.store.pending_tasks() if t["Status"]["State"] == "new"
        )
        self._kick()

    def stop(self) -> None:
        self._running = False
        if self._watch in self.m.store.watchers:
            self.m.store.watchers.remove(self._watch)

    def _watch(self, applied: Applied) -> None:
        for ch, _, new in applied.changes:
            if ch.kind == "tasks" and new is not None and new["Status"]["State"] == "new":
                self._new.add(new["ID"])
        self._kick()

    def _kick(self) -> None:
        if self._new and not self._scheduled:
            self._scheduled = True
            self.m.ctx.after(0.0, self._allocate)

    def _allocate(self) -> None:
        self._scheduled = False
        if not self._running or not self._new:
            return
        ids, self._new = self._new, set()
        self.m.update(lambda tx: self._pending(tx, ids))

    @staticmethod
    def _pending(tx: Tx, ids: set[str]) -> None:
        used: set[str] | None = None
        for tid in sorted(ids):
            t = tx.get("tasks", tid)
            if t is None or t["Status"]["State"] != "new":
                continue
            new = dict(t)
            vips = (t.get("Endpoint") or {}).get("VirtualIPs") or []
            if vips:
                if used is None:
                    used = ingress_addresses(tx)
                address = _free_address(used, vips[0]["Addr"])
                if address is not None:
                    used.add(address)
                    new["NetworksAttachments"] = [
                        {"Network": {"ID": vips[0]["NetworkID"]}, "Addresses": [address]}
                    ]
            new["Status"] = {
                "Timestamp": rfc3339nano(tx.now),
                "State": "pending",
                "Message": "pending task scheduling",
            }
            new["UpdatedAt"] = rfc3339nano(tx.now)
            tx.update("tasks", new)


def ingress_addresses(tx: Tx) -> set[str]:
    """The ingress network's addresses in use: services' virtual IPs and live tasks'."""
    used: set[str] = set()
    for service in tx.all("services"):
        vips = (service.get("Endpoint") or {}).get("VirtualIPs") or []
        if not vips:
            continue
        used.update(v["Addr"] for v in vips)
        for t in tx.tasks_of_service(service["ID"]):
            if not taskstate.terminal(t["Status"]["State"]):
                for attachment in t.get("NetworksAttachments") or []:
                    used.update(attachment["Addresses"])
    return used


def _free_address(used: set[str], vip: str) -> str | None:
    """The first free address after the service's virtual IP, in its /24."""
    net, last = vip.split("/")[0].rsplit(".", 1)
    for n in range(int(last) + 1, 255):
        address = f"{net}.{n}/24"
        if address not in used:
            return address
    return None
