"""Swarm networks (swarmkit's controlapi/network.go and the allocator's IPAM), on the leader.

A swarm network is an object of the replicated store: a name, the overlay driver, a
subnet — a /24 of the default address pool 10.0.0.0/8 unless one was asked for — and a
VXLAN ID. The swarm has one from its creation: `ingress`, the routing mesh's
(10.0.0.0/24, VXLAN 4096), on which every node has an address of its own. A service
attached to a network gets a virtual IP on it (none in dnsrr mode) and each of its tasks
an address, the first free ones. A network that a service names, or that a running
task is attached to, cannot be removed; removing one only marks it, and the allocator
deletes it a moment later, as swarmkit's does.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .. import ids, taskstate
from ..gocompat import rfc3339nano
from ..rpc import RpcError, plain_error
from .context import ControllerContext
from .lookup import resolve
from .store import public

if TYPE_CHECKING:
    from .writer import Tx

INGRESS = "ingress"
VXLAN_OPTION = "com.docker.network.driver.overlay.vxlanid_list"
FIRST_VXLAN = 4096
POOL = ipaddress.ip_network("10.0.0.0/8")
FILTERS = {"id", "name", "label", "driver", "scope", "type", "dangling"}
NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


# -- what a network is --------------------------------------------------------------------------


def subnet(net: dict) -> str:
    return net["IPAMOptions"]["Configs"][0]["Subnet"]


def gateway(net: dict) -> str:
    return net["IPAMOptions"]["Configs"][0]["Gateway"]


def is_ingress(net: dict) -> bool:
    return bool(net["Spec"].get("Ingress"))


def new_network(
    net_id: str,
    now: float,
    name: str,
    cidr: str,
    gw: str,
    vxlan: int,
    *,
    ingress: bool = False,
    attachable: bool = False,
    internal: bool = False,
    labels: dict | None = None,
    options: dict | None = None,
    ipam_given: bool = False,
) -> dict:
    """A network as swarmkit stores it (the Engine API's swarm.Network)."""
    stamp = rfc3339nano(now)
    spec: dict[str, Any] = {"Name": name, "Labels": dict(labels or {})}
    spec["DriverConfiguration"] = {"Name": "overlay"}
    if options:
        spec["DriverConfiguration"]["Options"] = dict(options)
    if internal:
        spec["Internal"] = True
    if attachable:
        spec["Attachable"] = True
    if ingress:
        spec["Ingress"] = True
    ipam = {"Driver": {"Name": "default"}, "Configs": [{"Subnet": cidr, "Gateway": gw}]}
    if ipam_given:
        spec["IPAMOptions"] = ipam
    spec["Scope"] = "swarm"
    return {
        "ID": net_id,
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Spec": spec,
        "DriverState": {
            "Name": "overlay",
            "Options": {VXLAN_OPTION: str(vxlan), **dict(options or {})},
        },
        "IPAMOptions": ipam,
    }


def ingress_network(rng: Any, now: float) -> dict:
    """The routing mesh's network, made with the swarm."""
    return new_network(ids.new_id(rng), now, INGRESS, "10.0.0.0/24", "10.0.0.1", FIRST_VXLAN,
                       ingress=True)  # fmt: skip


def free_subnet(taken: set[str]) -> str:
    """The first /24 of the default address pool no network has."""
    for sub in POOL.subnets(new_prefix=24):
        if str(sub) not in taken and not any(sub.overlaps(ipaddress.ip_network(t)) for t in taken):
            return str(sub)
    raise RpcError("ResourceExhausted", "could not find an available, non-overlapping IPv4 "
                   "address pool among the defaults to assign to the network")  # fmt: skip


def first_free(cidr: str, used: set[str], gw: str) -> str | None:
    """The first address of `cidr` that is neither the gateway nor used, as "a.b.c.d/n"."""
    taken = {u.split("/")[0] for u in used} | {gw}
    net = ipaddress.ip_network(cidr)
    hosts = _hosts(cidr) if net.num_addresses <= 1 << 16 else map(str, net.hosts())
    for host in hosts:
        if host not in taken:
            return f"{host}/{net.prefixlen}"
    return None


@functools.lru_cache(maxsize=16)
def _hosts(cidr: str) -> tuple[str, ...]:
    """A subnet's host addresses, written out once (every join looks through ingress's)."""
    return tuple(map(str, ipaddress.ip_network(cidr).hosts()))


def service_networks(spec: dict) -> list[str]:
    """The networks a service spec names (TaskTemplate.Networks, or the older
    Spec.Networks)."""
    tt = spec.get("TaskTemplate") or {}
    refs = tt.get("Networks") or spec.get("Networks") or []
    return [r.get("Target", "") for r in refs]


def addresses_in_use(tx: Tx, net_id: str) -> set[str]:
    """The addresses a network has given: nodes' (ingress), services' virtual IPs, and
    live tasks'."""
    changed = tx.changed("nodes")
    kept = tx.store.node_addresses(net_id)  # indexed: a join does not walk every node
    used = {address for node_id, address in kept.items() if node_id not in changed and address}
    for node in changed.values():
        address = (node.get("_attachments") or {}).get(net_id) if node is not None else None
        if address:
            used.add(address)
    for service in tx.all("services"):
        for vip in (service.get("Endpoint") or {}).get("VirtualIPs") or []:
            if vip["NetworkID"] == net_id:
                used.add(vip["Addr"])
        for t in tx.tasks_of_service(service["ID"]):
            if taskstate.terminal(t["Status"]["State"]):
                continue
            for attachment in t.get("NetworksAttachments") or []:
                if attachment["Network"]["ID"] == net_id:
                    used.update(attachment["Addresses"])
    return used


def allocate(tx: Tx, net: dict, used: set[str] | None = None) -> str | None:
    """The next address of `net` (and mark it used in `used`, when given)."""
    pool = used if used is not None else addresses_in_use(tx, net["ID"])
    address = first_free(subnet(net), pool, gateway(net))
    if address is not None and used is not None:
        used.add(address)
    return address


def attach_node(tx: Tx, node: dict) -> dict:
    """A node's own address on the ingress network (its ingress-sbox), given when it joins."""
    ingress = next((n for n in tx.all("networks") if is_ingress(n)), None)
    if ingress is None or (node.get("_attachments") or {}).get(ingress["ID"]):
        return node
    node = dict(node)
    address = allocate(tx, ingress)
    if address is not None:
        node["_attachments"] = {**(node.get("_attachments") or {}), ingress["ID"]: address}
    return node


def find_ingress(tx: Tx) -> dict | None:
    return next(
        (n for n in tx.all("networks") if is_ingress(n) and not n.get("_pending_delete")), None
    )


def resolve_targets(tx: Tx, spec: dict) -> None:
    """The networks a service spec names, by ID, as moby hands them to swarm (it looks a
    name up); a network that is not there, or the ingress network, is refused."""
    tt = spec.get("TaskTemplate") or {}
    refs = tt.get("Networks") or []
    if not refs:
        return
    known = [n for n in tx.all("networks") if not n.get("_pending_delete")]
    seen: set[str] = set()
    for ref in refs:
        target = ref.get("Target", "")
        try:
            net = resolve(known, target, "network", lambda n: n["Spec"]["Name"])
        except RpcError:
            raise plain_error("NotFound", f"network {target} not found") from None
        if is_ingress(net):
            raise RpcError(
                "InvalidArgument",
                "Service cannot be explicitly attached to the ingress network "
                f'"{net["Spec"]["Name"]}"',
            )
        if net["ID"] in seen:
            raise RpcError("InvalidArgument", f"duplicate network attachment {target}")
        seen.add(net["ID"])
        ref["Target"] = net["ID"]


def view(net: dict) -> dict:
    return public(net)


# -- the control API ----------------------------------------------------------------------------


class NetworkAPI:
    context: ControllerContext

    def _networks(self) -> list[dict]:
        return list(self.context.store.all("networks"))

    def _find_network(self, ref: str) -> dict:
        return resolve(self._networks(), ref, "network", lambda n: n["Spec"]["Name"])

    def do_network_create(self, body: dict) -> Future:
        """body: Name, Driver, Options, IPAM {Config: [{Subnet, Gateway}]}, Internal,
        Attachable, Ingress, Labels (the Engine API's network create request)."""
        name = body.get("Name") or ""
        if not NAME.match(name):
            raise RpcError("InvalidArgument", f"invalid name: {name!r}")
        driver = body.get("Driver") or "overlay"
        if driver != "overlay":
            raise RpcError("InvalidArgument", f"network driver {driver} is not supported "
                           "for swarm networks")  # fmt: skip
        configs = (body.get("IPAM") or {}).get("Config") or []
        asked = configs[0] if configs else {}
        cidr, gw = asked.get("Subnet"), asked.get("Gateway")
        if cidr:
            try:
                net = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise RpcError("InvalidArgument", f"invalid subnet {cidr}") from None
            cidr = str(net)
            if gw is None:
                gw = str(next(net.hosts()))
        net_id = ids.new_id(self.context.rng)

        def write(tx: Tx) -> dict:
            existing = list(tx.all("networks"))
            if any(n["Spec"]["Name"] == name for n in existing):
                raise plain_error("AlreadyExists", f"network with name {name} already exists")
            if body.get("Ingress"):
                ingress = next((n for n in existing if is_ingress(n)), None)
                if ingress is not None:
                    raise RpcError(
                        "AlreadyExists", f"ingress network ({ingress['ID']}) is already present"
                    )
            taken = {subnet(n) for n in existing}
            chosen = cidr or free_subnet(taken)
            if cidr and any(
                ipaddress.ip_network(cidr).overlaps(ipaddress.ip_network(t)) for t in taken
            ):
                raise RpcError(
                    "InvalidArgument", "invalid pool request: Pool overlaps with other one on "
                    "this address space"
                )  # fmt: skip
            vxlans = {int(n["DriverState"]["Options"].get(VXLAN_OPTION, 0)) for n in existing}
            vxlan = next(v for v in range(FIRST_VXLAN, FIRST_VXLAN + 100_000) if v not in vxlans)
            gw_chosen = gw or str(next(ipaddress.ip_network(chosen).hosts()))
            net = new_network(
                net_id,
                tx.now,
                name,
                chosen,
                gw_chosen,
                vxlan,
                ingress=bool(body.get("Ingress")),
                attachable=bool(body.get("Attachable")),
                internal=bool(body.get("Internal")),
                labels=body.get("Labels"),
                options=body.get("Options"),
                ipam_given=bool(cidr),
            )
            tx.create("networks", net)
            return {"ID": net_id}

        return self.context.update(write)

    def do_network_list(self, body: dict) -> list[dict]:
        return [view(n) for n in self._networks()]

    def do_network_inspect(self, body: dict) -> dict:
        return view(self._find_network(body["ref"]))

    def do_network_remove(self, body: dict) -> Future:
        net = self._find_network(body["ref"])

        def write(tx: Tx) -> None:
            current = tx.get("networks", net["ID"])
            if current is None:
                raise plain_error("NotFound", f"network {body['ref']} not found")
            for s in tx.all("services"):
                if is_ingress(current):
                    if any(
                        p.get("PublishMode", "ingress") == "ingress"
                        for p in (s.get("Endpoint") or {}).get("Ports") or []
                    ):
                        raise RpcError(
                            "FailedPrecondition",
                            f"ingress network cannot be removed because service {s['ID']} "
                            "depends on it",
                        )
                elif current["ID"] in service_networks(s["Spec"]):
                    raise RpcError(
                        "FailedPrecondition",
                        f"network {current['ID']} is in use by service {s['ID']}",
                    )
            for s in tx.all("services"):
                for t in tx.tasks_of_service(s["ID"]):
                    if taskstate.rank(t["DesiredState"]) > taskstate.rank("running"):
                        continue
                    if taskstate.rank(t["Status"]["State"]) > taskstate.rank("running"):
                        continue
                    if any(
                        a["Network"]["ID"] == current["ID"]
                        for a in t.get("NetworksAttachments") or []
                    ):
                        raise RpcError(
                            "FailedPrecondition",
                            f"network {current['ID']} is in use by task {t['ID']}",
                        )
            marked = dict(current)
            marked["_pending_delete"] = True
            tx.update("networks", marked)

        return self.context.update(write)
