"""docker node ls | inspect | promote | demote | rm | update | ps."""

from __future__ import annotations

import copy

from ...daemonerror import DaemonError
from ...gocompat import parse_rfc3339, time_string
from ..client import seg
from ..format import bytes_size, natural_key, pretty
from ..parse import Invocation
from ..template import Template
from . import CommandError, Context, command, for_each
from .inspect import inspect_options, show
from .rows import format_rows, parse_filters
from .tasks import list_tasks, print_tasks, task_filters

# -- node ls ----------------------------------------------------------------------------------

NODE_HEADERS = {
    "ID": "ID",
    "Self": "",
    "Hostname": "HOSTNAME",
    "Status": "STATUS",
    "Availability": "AVAILABILITY",
    "ManagerStatus": "MANAGER STATUS",
    "EngineVersion": "ENGINE VERSION",
    "TLSStatus": "TLS STATUS",
}
NODE_TABLE = (
    "table {{.ID}} {{if .Self}}*{{else}} {{ end }}\\t{{.Hostname}}\\t{{.Status}}\\t"
    "{{.Availability}}\\t{{.ManagerStatus}}\\t{{.EngineVersion}}"
)


class NodeRow:
    """A node as `node ls` templates see it (cli/command/node/formatter.go nodeContext)."""

    go_type = "*node.nodeContext"

    def __init__(self, node: dict, self_id: str) -> None:
        self.n = node
        self.self_id = self_id

    def ID(self) -> str:  # noqa: N802 - the template field names are docker's
        return self.n["ID"]

    def Self(self) -> bool:  # noqa: N802
        return self.n["ID"] == self.self_id

    def Hostname(self) -> str:  # noqa: N802
        return self.n["Hostname"]

    def Status(self) -> str:  # noqa: N802
        return pretty(self.n["State"])

    def Availability(self) -> str:  # noqa: N802
        return pretty(self.n["Availability"])

    def ManagerStatus(self) -> str:  # noqa: N802
        if "Reachability" not in self.n:  # a worker
            return ""
        return "Leader" if self.n["Leader"] else pretty(self.n["Reachability"])

    def EngineVersion(self) -> str:  # noqa: N802
        return self.n["EngineVersion"]

    def TLSStatus(self) -> str:  # noqa: N802
        return "Ready"

    def to_json(self) -> dict:
        return {
            "Availability": self.Availability(),
            "EngineVersion": self.EngineVersion(),
            "Hostname": self.Hostname(),
            "ID": self.ID(),
            "ManagerStatus": self.ManagerStatus(),
            "Self": self.Self(),
            "Status": self.Status(),
            "TLSStatus": self.TLSStatus(),
        }


def _as_listed(node: dict) -> dict:
    """What `node ls` and a NodeRow read of a node, in one flat dict (the Go CLI decodes
    into swarm.Node; a whole node decoded is ~8 KB of objects, its TLS certificates and
    plugins, and even these few fields nested are five dicts a node)."""
    description = node.get("Description") or {}
    kept = {
        "ID": node["ID"],
        "State": node["Status"]["State"],
        "Availability": node["Spec"]["Availability"],
        "Hostname": description.get("Hostname", ""),
        "EngineVersion": (description.get("Engine") or {}).get("EngineVersion", ""),
    }
    status = node.get("ManagerStatus")
    if status:
        kept["Leader"] = bool(status.get("Leader"))
        kept["Reachability"] = status.get("Reachability", "")
    return kept


@command("docker node ls")
def node_ls(inv: Invocation, ctx: Context) -> int:
    filters = parse_filters(inv.values("filter"))
    nodes = ctx.client.get_items("/nodes", _as_listed, filters=filters)
    nodes.sort(key=lambda n: natural_key(n["Hostname"]))
    if inv.get("quiet"):
        for n in nodes:
            ctx.print(n["ID"])
        return 0
    self_id = ctx.client.get("/info")["Swarm"]["NodeID"] if nodes else ""
    rows = [NodeRow(n, self_id) for n in nodes]
    format_rows(inv.get("format") or NODE_TABLE, rows, NODE_HEADERS, ctx)
    return 0


# -- node inspect -------------------------------------------------------------------------------

PRETTY_TEMPLATE = """ID:\t\t\t{{.ID}}
{{- if .Name }}
Name:\t\t\t{{.Name}}
{{- end }}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Hostname:              \t{{.Hostname}}
Joined at:             \t{{.CreatedAt}}
Status:
 State:\t\t\t{{.StatusState}}
 {{- if .StatusMessage}}
 Message:              \t{{.StatusMessage}}
 {{- end}}
 Availability:         \t{{.SpecAvailability}}
 {{- if .StatusAddr}}
 Address:\t\t{{.StatusAddr}}
 {{- end}}
{{- if .ManagerStatus}}
Manager Status:
 Address:\t\t{{.ManagerStatusAddr}}
 Raft Status:\t\t{{.ManagerStatusReachability}}
 {{- if .IsManagerStatusLeader}}
 Leader:\t\tYes
 {{- else}}
 Leader:\t\tNo
 {{- end}}
{{- end}}
Platform:
 Operating System:\t{{.PlatformOS}}
 Architecture:\t\t{{.PlatformArchitecture}}
Resources:
 CPUs:\t\t\t{{.ResourceNanoCPUs}}
 Memory:\t\t{{.ResourceMemory}}
{{- if .EnginePlugins}}
Plugins:
{{- range $k, $v := .EnginePlugins }}
 {{ $k }}:\t\t{{ $v }}
{{- end }}
{{- end }}
Engine Version:\t\t{{.EngineVersion}}
{{- if .EngineLabels}}
Engine Labels:
{{- range $k, $v := .EngineLabels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{- end }}
{{- if .TLSInfoTrustRoot}}
TLS Info:
 TrustRoot:
{{.TLSInfoTrustRoot}}
 Issuer Subject:\t{{.TLSInfoCertIssuerSubject}}
 Issuer Public Key:\t{{.TLSInfoCertIssuerPublicKey}}
{{- end}}
"""


class NodePretty:
    """A node as the --pretty template sees it (nodeInspectContext)."""

    def __init__(self, node: dict) -> None:
        self.n = node
        d = node.get("Description", {})
        self.ID = node["ID"]
        self.Name = node["Spec"].get("Name", "")
        self.Labels = node["Spec"].get("Labels") or {}
        self.Hostname = d.get("Hostname", "")
        self.CreatedAt = pretty(time_string(parse_rfc3339(node["CreatedAt"])))
        status = node["Status"]
        self.StatusState = pretty(status["State"])
        self.StatusMessage = pretty(status.get("Message", ""))
        self.SpecAvailability = pretty(node["Spec"]["Availability"])
        self.StatusAddr = status.get("Addr", "")
        ms = node.get("ManagerStatus")
        self.ManagerStatus = ms
        self.ManagerStatusAddr = (ms or {}).get("Addr", "")
        self.ManagerStatusReachability = pretty((ms or {}).get("Reachability", ""))
        self.IsManagerStatusLeader = bool((ms or {}).get("Leader"))
        self.PlatformOS = d.get("Platform", {}).get("OS", "")
        self.PlatformArchitecture = d.get("Platform", {}).get("Architecture", "")
        res = d.get("Resources", {})
        self.ResourceNanoCPUs = int(res.get("NanoCPUs", 0) / 1e9)
        self.ResourceMemory = bytes_size(res.get("MemoryBytes", 0))
        plugins: dict[str, list[str]] = {}
        for p in d.get("Engine", {}).get("Plugins") or []:
            plugins.setdefault(p["Type"], []).append(p["Name"])
        self.EnginePlugins = {k: ", ".join(v) for k, v in plugins.items()}
        self.EngineVersion = d.get("Engine", {}).get("EngineVersion", "")
        self.EngineLabels = d.get("Engine", {}).get("Labels") or {}
        tls = d.get("TLSInfo") or {}
        self.TLSInfoTrustRoot = tls.get("TrustRoot", "")
        self.TLSInfoCertIssuerSubject = tls.get("CertIssuerSubject", "")
        self.TLSInfoCertIssuerPublicKey = tls.get("CertIssuerPublicKey", "")


@command("docker node inspect")
def node_inspect(inv: Invocation, ctx: Context) -> int:
    fmt, pretty_mode, tmpl = inspect_options(inv)
    found, errors = [], []
    self_id = None
    for ref in inv.args:
        try:
            if ref == "self":
                self_id = self_id or ctx.client.get("/info")["Swarm"]["NodeID"]
                ref = self_id or ref
            node = ctx.client.get(f"/nodes/{seg(ref)}")
        except DaemonError as exc:
            errors.append(f"Error response from daemon: {exc.message}")
            continue
        found.append(node)
    if pretty_mode:
        for i, node in enumerate(found):
            if i:
                ctx.print()
            ctx.write(Template(PRETTY_TEMPLATE).execute(NodePretty(node)))
    else:
        errors += show(ctx, found, fmt, tmpl, "node")
    if errors:
        raise CommandError("\n".join(errors))
    return 0


# -- promote, demote, update, rm ------------------------------------------------------------------


def _update_node(ctx: Context, ref: str, change) -> str | None:
    """Fetch a node, change its spec with `change(spec)` (which may return a message to
    print instead of updating), and write it back."""
    node = ctx.client.get(f"/nodes/{seg(ref)}")
    spec = copy.deepcopy(node["Spec"])
    message = change(node, spec)
    if message is not None:
        return message
    ctx.client.post(f"/nodes/{node['ID']}/update", spec, version=node["Version"]["Index"])
    return None


def _set_roles(inv: Invocation, ctx: Context, role: str, done: str) -> int:
    """promote and demote: each node named gets `role`, or is said to have it already."""

    def change(node: dict, spec: dict) -> str | None:
        if spec["Role"] == role:
            return f"Node {node['ID']} is already a {role}."
        spec["Role"] = role
        return None

    for ref in inv.args:
        message = _update_node(ctx, ref, change)
        ctx.print(message or done.format(ref))
    return 0


@command("docker node promote")
def promote(inv: Invocation, ctx: Context) -> int:
    return _set_roles(inv, ctx, "manager", "Node {} promoted to a manager in the swarm.")


@command("docker node demote")
def demote(inv: Invocation, ctx: Context) -> int:
    return _set_roles(inv, ctx, "worker", "Manager {} demoted in the swarm.")


@command("docker node update")
def node_update(inv: Invocation, ctx: Context) -> int:
    ref = inv.args[0]

    def change(node: dict, spec: dict) -> None:
        if inv.has("role"):
            spec["Role"] = inv.get("role")
        if inv.has("availability"):
            spec["Availability"] = inv.get("availability")
        labels = spec.setdefault("Labels", {})
        for item in inv.values("label-add"):
            key, _, value = item.partition("=")
            labels[key] = value
        for key in inv.values("label-rm"):
            if key not in labels:
                raise CommandError(f"key {key} doesn't exist in node's labels")
            del labels[key]
        return None

    _update_node(ctx, ref, change)
    ctx.print(ref)
    return 0


@command("docker node rm")
def node_rm(inv: Invocation, ctx: Context) -> int:
    force = bool(inv.get("force"))
    return for_each(ctx, inv.args, lambda ref: ctx.client.delete(f"/nodes/{seg(ref)}", force=force))


# -- node ps ------------------------------------------------------------------------------------


@command("docker node ps")
def node_ps(inv: Invocation, ctx: Context) -> int:
    refs = inv.args or ["self"]
    tasks, errors = [], []
    for ref in refs:
        try:
            if ref == "self":
                ref = ctx.client.get("/info")["Swarm"]["NodeID"]
            node = ctx.client.get(f"/nodes/{seg(ref)}")
            filters = task_filters(inv, ctx)
            filters["node"] = [node["ID"]]
            tasks += list_tasks(ctx, filters, inv.get("quiet"))
        except DaemonError as exc:
            errors.append(f"Error response from daemon: {exc.message}")
    if tasks or not errors:
        print_tasks(ctx, inv, tasks)
    if errors:
        raise CommandError("\n".join(errors))
    return 0
