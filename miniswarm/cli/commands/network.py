"""docker network: ls, inspect, create, rm (cli/command/network).

The lab's networks are the hosts' own (bridge, host, none, docker_gwbridge) and the
swarm's overlays, ingress among them; `network create -d overlay` makes one services can
be attached to with `--network` (dockernet.py, manager/networks.py).
"""

from __future__ import annotations

import ipaddress

from ...daemonerror import DaemonError
from ...gocompat import parse_rfc3339, time_string
from ..client import seg
from ..format import natural_key
from ..parse import Invocation
from . import CommandError, Context, command
from .inspect import show, template
from .rows import format_rows, parse_filters

TABLE = "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}"
HEADERS = {
    "ID": "NETWORK ID",
    "Name": "NAME",
    "Driver": "DRIVER",
    "Scope": "SCOPE",
    "IPv4": "IPV4",
    "IPv6": "IPV6",
    "Internal": "INTERNAL",
    "Labels": "LABELS",
    "CreatedAt": "CREATED AT",
}
INGRESS_WARNING = (
    "WARNING! Before removing the routing-mesh network, make sure all the nodes in your "
    "swarm run the same docker engine version. Otherwise, removal may not be effective and "
    "functionality of newly create ingress networks will be impaired.\n"
    "Are you sure you want to continue?"
)


class Row:
    """A network as `network ls` templates see it (networkContext)."""

    go_type = "*network.networkContext"

    def __init__(self, net: dict, trunc: bool) -> None:
        self.n = net
        self.trunc = trunc

    def ID(self) -> str:  # noqa: N802
        return self.n["Id"][:12] if self.trunc else self.n["Id"]

    def Name(self) -> str:  # noqa: N802
        return self.n["Name"]

    def Driver(self) -> str:  # noqa: N802
        return self.n["Driver"]

    def Scope(self) -> str:  # noqa: N802
        return self.n["Scope"]

    def IPv4(self) -> str:  # noqa: N802
        return "true"

    def IPv6(self) -> str:  # noqa: N802
        return "true" if self.n.get("EnableIPv6") else "false"

    def Internal(self) -> str:  # noqa: N802
        return "true" if self.n.get("Internal") else "false"

    def Labels(self) -> str:  # noqa: N802
        return ",".join(f"{k}={v}" for k, v in (self.n.get("Labels") or {}).items())

    def Label(self, name: str) -> str:  # noqa: N802
        return (self.n.get("Labels") or {}).get(name, "")

    def CreatedAt(self) -> str:  # noqa: N802
        return time_string(parse_rfc3339(self.n["Created"]))

    def to_json(self) -> dict:
        return {
            "CreatedAt": self.CreatedAt(),
            "Driver": self.Driver(),
            "ID": self.ID(),
            "IPv4": self.IPv4(),
            "IPv6": self.IPv6(),
            "Internal": self.Internal(),
            "Labels": self.Labels(),
            "Name": self.Name(),
            "Scope": self.Scope(),
        }


@command("docker network ls")
def ls(inv: Invocation, ctx: Context) -> int:
    nets = ctx.client.get("/networks", filters=parse_filters(inv.values("filter")))
    nets.sort(key=lambda n: natural_key(n["Name"]))
    rows = [Row(n, not inv.get("no-trunc")) for n in nets]
    if inv.get("quiet"):
        for r in rows:
            ctx.print(r.ID())
        return 0
    format_rows(inv.get("format") or TABLE, rows, HEADERS, ctx)
    return 0


@command("docker network inspect")
def inspect(inv: Invocation, ctx: Context) -> int:
    fmt = inv.get("format") or ""
    tmpl = template(fmt)
    found, errors = [], []
    for ref in inv.args:
        try:
            found.append(ctx.client.get(f"/networks/{seg(ref)}"))
        except DaemonError as exc:
            errors.append(f"Error response from daemon: {exc.message}")
    errors += show(ctx, found, fmt, tmpl, "network")
    if errors:
        raise CommandError("\n".join(errors))
    return 0


@command("docker network create")
def create(inv: Invocation, ctx: Context) -> int:
    subnets = inv.values("subnet")
    gateways = inv.values("gateway")
    ranges = inv.values("ip-range")
    if len(subnets) < len(ranges) or len(subnets) < len(gateways):
        raise CommandError("every ip-range or gateway must have a corresponding subnet")
    configs: list[dict[str, str]] = []
    for s in subnets:
        try:
            net = ipaddress.ip_network(s, strict=False)
        except ValueError:
            raise CommandError(f"invalid subnet: invalid CIDR address: {s}") from None
        if any(net.overlaps(ipaddress.ip_network(c["Subnet"], strict=False)) for c in configs):
            raise CommandError("multiple overlapping subnet configuration is not supported")
        configs.append({"Subnet": s})
    for g in gateways:
        match = [c for c in configs if _contains(c["Subnet"], g)]
        if not match:
            raise CommandError(f"no matching subnet for gateway {g}")
        if "Gateway" in match[0]:
            raise CommandError(
                f"cannot configure multiple gateways ({g}, {match[0]['Gateway']}) for the "
                f"same subnet ({match[0]['Subnet']})"
            )
        match[0]["Gateway"] = g
    req = {
        "Name": inv.args[0],
        "Driver": inv.get("driver") or "bridge",
        "Options": _pairs(inv.values("opt")),
        "IPAM": {"Driver": inv.get("ipam-driver") or "default", "Config": configs},
        "Internal": bool(inv.get("internal")),
        "Attachable": bool(inv.get("attachable")),
        "Ingress": bool(inv.get("ingress")),
        "Scope": inv.get("scope") or "",
        "Labels": _pairs(inv.values("label")),
    }
    created = ctx.client.post("/networks/create", req)
    ctx.print(created["Id"])
    return 0


@command("docker network rm")
def rm(inv: Invocation, ctx: Context) -> int:
    status = 0
    for name in inv.args:
        try:
            net = ctx.client.get(f"/networks/{seg(name)}")
        except DaemonError:
            net = None
        if net is not None and net.get("Ingress") and not _confirm(ctx, INGRESS_WARNING):
            continue
        try:
            ctx.client.delete(f"/networks/{seg(name)}")
        except DaemonError as exc:
            if inv.get("force") and exc.status == 404:
                continue
            ctx.eprint(f"Error response from daemon: {exc.message}")
            status = 1
            continue
        ctx.print(name)
    if status:
        raise CommandError(f"exit status {status}", status)
    return 0


def _confirm(ctx: Context, message: str) -> bool:
    """docker's prompt.Confirm: the question, and a "y" for yes (nothing to read: no)."""
    prompt = f"{message} [y/N] "
    if ctx.stdin is None and ctx.terminal is not None:
        try:
            answer = ctx.terminal.read_line(prompt)
        except EOFError:
            ctx.print()
            return False
    else:
        ctx.write(prompt)
        answer = (ctx.stdin or "").split("\n", 1)[0]
    return answer.strip().lower() == "y"


def _contains(subnet: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        return False


def _pairs(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        key, _, value = v.partition("=")
        out[key] = value
    return out
