"""A daemon's networks as the Engine API shows them (GET /networks): the host's own —
bridge, host, none, docker_gwbridge once it has been in a swarm, and those created with
`docker network create` — kept on its disk; and the swarm's overlay networks, converted
from swarmkit's objects as moby's convert package does. A manager lists every swarm
network; a worker only those it is on (ingress, and its tasks').

A network the host is on (ingress, an overlay its tasks use) is shown as libnetwork sees
it, with the containers attached here and the peers; one it only knows from the
managers, as the cluster has it (no containers: `null`).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable
from random import Random
from typing import Any

from . import ids
from .gocompat import rfc3339nano
from .manager import networks as swarm_networks

DISK_KEY = "engine/networks"
BRIDGE_OPTIONS = {
    "com.docker.network.bridge.default_bridge": "true",
    "com.docker.network.bridge.enable_icc": "true",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
    "com.docker.network.bridge.name": "docker0",
    "com.docker.network.driver.mtu": "1500",
}
GWBRIDGE_OPTIONS = {
    "com.docker.network.bridge.enable_icc": "false",
    "com.docker.network.bridge.enable_ip_masquerade": "true",
    "com.docker.network.bridge.name": "docker_gwbridge",
}
PREDEFINED = ("bridge", "host", "none")
LOCAL_DRIVERS = {"bridge", "macvlan", "ipvlan"}


class NetworkError(Exception):
    """What the daemon answers, with its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# -- the host's own networks --------------------------------------------------------------------


def _record(
    rng: Any,
    now: float,
    name: str,
    driver: str,
    subnet: str = "",
    gateway: str = "",
    options: dict | None = None,
    labels: dict | None = None,
    internal: bool = False,
    attachable: bool = False,
) -> dict:
    return {
        "Name": name,
        "Id": ids.hex_id(rng),
        "Created": rfc3339nano(now),
        "Driver": driver,
        "Subnet": subnet,
        "Gateway": gateway,
        "Options": dict(options or {}),
        "Labels": dict(labels or {}),
        "Internal": internal,
        "Attachable": attachable,
    }


def local_networks(
    disk: Any, rng_for: Callable[[str], Random], now: float, in_swarm: bool
) -> list[dict]:
    """The host's networks, made the first time the daemon starts (docker_gwbridge the
    first time it is in a swarm) and kept. `rng_for(name)`: the randomness for one
    network's ID."""
    nets = disk.read(DISK_KEY)
    if nets is None:
        nets = [
            _record(
                rng_for("bridge"),
                now,
                "bridge",
                "bridge",
                "172.17.0.0/16",
                "172.17.0.1",
                BRIDGE_OPTIONS,
            ),  # fmt: skip
            _record(rng_for("host"), now, "host", "host"),
            _record(rng_for("none"), now, "none", "null"),
        ]
        disk.write(DISK_KEY, nets)
    if in_swarm and not any(n["Name"] == "docker_gwbridge" for n in nets):
        gw = _record(rng_for("docker_gwbridge"), now, "docker_gwbridge", "bridge",
                     "172.18.0.0/16", "172.18.0.1", GWBRIDGE_OPTIONS)  # fmt: skip
        nets = [*nets, gw]
        disk.write(DISK_KEY, nets)
    return list(nets)


def create_local(disk: Any, rng: Random, now: float, req: dict) -> dict:
    """`docker network create NAME`: a network of this host alone."""
    nets = list(disk.read(DISK_KEY) or [])
    name, driver = req["Name"], req.get("Driver") or "bridge"
    if driver in ("host", "null"):
        raise NetworkError(f'only one instance of "{driver}" network is allowed', 403)
    if driver not in LOCAL_DRIVERS:
        raise NetworkError(
            f"could not find plugin {driver} in v1 plugin registry: plugin not found", 404
        )
    configs = (req.get("IPAM") or {}).get("Config") or []
    taken = [ipaddress.ip_network(n["Subnet"]) for n in nets if n["Subnet"]]
    if configs and configs[0].get("Subnet"):
        try:
            subnet = ipaddress.ip_network(configs[0]["Subnet"], strict=False)
        except ValueError:
            raise NetworkError(f"invalid subnet {configs[0]['Subnet']}", 400) from None
        if any(subnet.overlaps(t) for t in taken):
            raise NetworkError("Pool overlaps with other one on this address space", 403)
    else:
        subnet = next(
            net
            for net in (
                *(ipaddress.ip_network(f"172.{b}.0.0/16") for b in range(17, 32)),
                *ipaddress.ip_network("192.168.0.0/16").subnets(new_prefix=20),
            )
            if not any(net.overlaps(t) for t in taken)
        )
    gateway = (configs[0].get("Gateway") if configs else None) or str(next(subnet.hosts()))
    rec = _record(
        rng,
        now,
        name,
        driver,
        str(subnet),
        gateway,
        req.get("Options"),
        req.get("Labels"),
        bool(req.get("Internal")),
        bool(req.get("Attachable")),
    )
    disk.write(DISK_KEY, [*nets, rec])
    return rec


def remove_local(disk: Any, rec: dict, in_swarm: bool) -> None:
    """`docker network rm`: the host's predefined networks stay."""
    if rec["Name"] in PREDEFINED:
        raise NetworkError(f"{rec['Name']} is a pre-defined network and cannot be removed", 403)
    if rec["Name"] == "docker_gwbridge" and in_swarm:
        raise NetworkError(
            f"error while removing network: network docker_gwbridge id {rec['Id']} has "
            "active endpoints",
            403,
        )
    nets = [n for n in disk.read(DISK_KEY) or [] if n["Id"] != rec["Id"]]
    disk.write(DISK_KEY, nets)


def local_resource(rec: dict, containers: dict | None = None) -> dict:
    """A host network as GET /networks/{id} gives it (moby's types.NetworkResource)."""
    config = [{"Subnet": rec["Subnet"], "Gateway": rec["Gateway"]}] if rec["Subnet"] else []
    return {
        "Name": rec["Name"],
        "Id": rec["Id"],
        "Created": rec["Created"],
        "Scope": "local",
        "Driver": rec["Driver"],
        "EnableIPv6": False,
        "IPAM": {"Driver": "default", "Options": None, "Config": config},
        "Internal": rec["Internal"],
        "Attachable": rec["Attachable"],
        "Ingress": False,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": dict(containers or {}),
        "Options": dict(rec["Options"]),
        "Labels": dict(rec["Labels"]),
    }


# -- the swarm's -------------------------------------------------------------------------------


def endpoint(name: str, address: str, seed: str) -> dict:
    """An endpoint on a network, as libnetwork lists it under Containers."""
    ip = address.split("/")[0]
    mac = "02:42:" + ":".join(f"{int(b):02x}" for b in ip.split("."))
    return {
        "Name": name,
        "EndpointID": hashlib.sha256(seed.encode()).hexdigest(),
        "MacAddress": mac,
        "IPv4Address": address if "/" in address else address + "/24",
        "IPv6Address": "",
    }


def swarm_resource(net: dict, local: dict | None = None, peers: list[str] | None = None) -> dict:
    """A swarm network as moby shows it: converted from swarmkit's object, and — when this
    host is on it — with what libnetwork sees here (its containers and the peers)."""
    configs = net["IPAMOptions"]["Configs"]
    resource: dict[str, Any] = {
        "Name": net["Spec"]["Name"],
        "Id": net["ID"],
        "Created": net["CreatedAt"],
        "Scope": "swarm",
        "Driver": net["DriverState"]["Name"],
        "EnableIPv6": False,
        "IPAM": {
            "Driver": net["IPAMOptions"]["Driver"]["Name"],
            "Options": None,
            "Config": [{"Subnet": c["Subnet"], "Gateway": c["Gateway"]} for c in configs],
        },
        "Internal": bool(net["Spec"].get("Internal")),
        "Attachable": bool(net["Spec"].get("Attachable")),
        "Ingress": swarm_networks.is_ingress(net),
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": False,
        "Containers": local,
        "Options": dict(net["DriverState"].get("Options") or {}),
        "Labels": dict(net["Spec"].get("Labels") or {}),
    }
    if local is not None:
        resource["Peers"] = [
            {"Name": hashlib.sha256(p.encode()).hexdigest()[:12], "IP": p}
            for p in sorted(peers or [])
        ]
    return resource


# -- lists ------------------------------------------------------------------------------------

FILTERS = {"driver", "id", "label", "name", "scope", "type", "dangling"}


def matches(resource: dict, filters: dict[str, list[str]]) -> bool:
    """GET /networks?filters=…: driver and scope exactly, name and id in part, label,
    type (builtin: the host's own and ingress, custom: the others)."""
    for key, values in filters.items():
        if key == "driver" and resource["Driver"] not in values:
            return False
        if key == "scope" and resource["Scope"] not in values:
            return False
        if key == "name" and not any(v in resource["Name"] for v in values):
            return False
        if key == "id" and not any(v in resource["Id"] for v in values):
            return False
        if key == "label":
            labels = resource.get("Labels") or {}
            for v in values:
                k, eq, want = v.partition("=")
                if k not in labels or (eq and labels[k] != want):
                    return False
        if key == "type":
            builtin = resource["Name"] in (*PREDEFINED, "docker_gwbridge") or resource["Ingress"]
            if not any((v == "builtin") == builtin for v in values):
                return False
    return True


def find(resources: list[dict], ref: str) -> dict | None:
    """By full ID, then name, then unique ID prefix (moby's FindNetwork)."""
    for r in resources:
        if r["Id"] == ref:
            return r
    named = [r for r in resources if r["Name"] == ref]
    if named:
        return named[0]
    prefixed = [r for r in resources if r["Id"].startswith(ref)]
    return prefixed[0] if len(prefixed) == 1 else None
