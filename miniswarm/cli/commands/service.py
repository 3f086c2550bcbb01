"""docker service create | ls | ps | inspect | rm | scale | update | rollback | logs."""

from __future__ import annotations

import copy
import csv
import re
import shlex
from typing import Any

from ... import gocompat, shlang
from ...daemonerror import DaemonError
from ...engineapi.streams import STDOUT, read_frames
from ...gocompat import format_duration, human_duration, parse_rfc3339, quote
from ..client import seg
from ..format import pretty
from ..parse import VALUE_TYPES, Invocation
from ..template import Template
from . import CommandError, Context, command, for_each
from .inspect import inspect_options, show
from .progress import watch
from .rows import format_rows, parse_filters
from .tasks import list_tasks, print_tasks, strip_digest, task_filters

SECOND = 1_000_000_000


# -- flag values -------------------------------------------------------------------------------


def parse_port(text: str) -> list[dict]:
    """-p/--publish: "8080:80[/udp]", "80", or "published=8080,target=80,mode=host"."""
    if "=" in text:
        port: dict = {
            "Protocol": "tcp",
            "TargetPort": 0,
            "PublishedPort": 0,
            "PublishMode": "ingress",
        }
        for field in text.split(","):
            key, eq, value = field.partition("=")
            if not eq:
                raise gocompat.GoError(f"invalid field {field} must be a key=value pair")
            key = key.lower()
            if key == "mode":
                if value not in ("ingress", "host"):
                    raise gocompat.GoError(
                        f"invalid publish mode value ({value}): must be either 'ingress' or 'host'"
                    )
                port["PublishMode"] = value
            elif key == "target":
                port["TargetPort"] = gocompat.parse_uint(value, 16)
            elif key == "published":
                port["PublishedPort"] = gocompat.parse_uint(value, 16)
            elif key == "protocol":
                if value not in ("tcp", "udp", "sctp"):
                    raise gocompat.GoError(f"invalid protocol value '{value}'")
                port["Protocol"] = value
            else:
                raise gocompat.GoError(f"invalid field key: {key}")
        if not port["TargetPort"]:
            raise gocompat.GoError("missing mandatory field 'target'")
        return [port]
    # go-connections' ParsePortSpec: [ip:]hostPort:containerPort[/proto], ip first
    parts = text.split(":")
    ip = ":".join(parts[:-2]) if len(parts) > 2 else ""
    published = parts[-2] if len(parts) > 1 else ""
    target, _, proto = parts[-1].partition("/")
    if ip.startswith("[") and ip.endswith("]"):
        ip = ip[1:-1]
    if ip and not _is_ip(ip):
        raise gocompat.GoError(f"invalid IP address: {ip}")
    if not target:
        raise gocompat.GoError(f"no port specified: {text}<empty>")
    if not _port_range(target):
        raise gocompat.GoError(f"invalid containerPort: {target}")
    if published and not _port_range(published):
        raise gocompat.GoError(f"invalid hostPort: {published}")
    if ip:
        raise gocompat.GoError("hostip is not supported")
    if proto and proto not in ("tcp", "udp", "sctp"):
        raise gocompat.GoError(f"invalid proto: {proto}")
    return [
        {
            "Protocol": proto or "tcp",
            "TargetPort": int(target.split("-")[0]),
            "PublishedPort": int(published.split("-")[0]) if published else 0,
            "PublishMode": "ingress",
        }
    ]


def _port_range(text: str) -> bool:
    """go-connections' ParsePortRange: N or N-M, each a 16-bit number (ParseUint)."""
    if not re.fullmatch(r"\d+(-\d+)?", text):
        return False
    return all(int(n) < 65536 for n in text.split("-"))


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def parse_pref(text: str) -> dict:
    strategy, eq, arg = text.partition("=")
    if not eq:
        raise gocompat.GoError('placement preference must be of the format "<strategy>=<arg>"')
    if strategy.lower() != "spread":
        raise gocompat.GoError(
            f"unsupported placement preference {strategy} (only spread is supported)"
        )
    return {"Spread": {"SpreadDescriptor": arg}}


def _file_ref(kind: str):
    """--secret / --config: "NAME", or "source=,target=,uid=,gid=,mode=" (opts.SecretOpt)."""

    def parse(text: str) -> dict:
        ref = {"source": "", "target": "", "uid": "0", "gid": "0", "mode": 0o444}
        fields = next(csv.reader([text]))
        if len(fields) == 1 and "=" not in fields[0]:
            ref["source"] = ref["target"] = fields[0]
            return ref
        for field in fields:
            key, eq, value = field.partition("=")
            if not eq or not key:
                raise gocompat.GoError(f"invalid field '{field}' must be a key=value pair")
            key = key.lower()
            if key in ("source", "src"):
                ref["source"] = value
            elif key in ("target", "uid", "gid"):
                ref[key] = value
            elif key == "mode":
                try:
                    ref["mode"] = gocompat.parse_uint(value, 32)
                except gocompat.GoError as exc:
                    raise gocompat.GoError(f"invalid mode specified: {exc}") from None
            else:
                raise gocompat.GoError(f"invalid field in {kind} request: {key}")
        if not ref["source"]:
            raise gocompat.GoError("source is required")
        ref["target"] = ref["target"] or ref["source"]
        return ref

    return parse


VALUE_TYPES["port"] = parse_port
VALUE_TYPES["pref"] = parse_pref
VALUE_TYPES["secret"] = _file_ref("secret")
VALUE_TYPES["config"] = _file_ref("config")


def network_refs(ctx: Context, values: list[str]) -> list[tuple[str, dict]]:
    """--network NAME (or name=NAME,alias=A,driver-opt=K=V): (the name given, the
    attachment by network ID), as the CLI looks each name up among the swarm's networks."""
    out = []
    for value in values:
        fields = _csv(value) if "=" in value else [f"name={value}"]
        name, aliases, opts = "", [], {}
        for field in fields:
            key, eq, val = field.partition("=")
            if not eq:
                raise CommandError(f"invalid field '{field}' must be a key=value pair")
            if key in ("name", "target"):
                name = val
            elif key == "alias":
                aliases.append(val)
            elif key == "driver-opt":
                k, _, v = val.partition("=")
                opts[k] = v
            else:
                raise CommandError(f"invalid field key {key}")
        net = ctx.client.get(f"/networks/{seg(name)}", scope="swarm")
        ref: dict = {"Target": net["Id"]}
        if aliases:
            ref["Aliases"] = aliases
        if opts:
            ref["DriverOpts"] = opts
        out.append((name, ref))
    return out


def _csv(value: str) -> list[str]:
    return next(csv.reader([value]))


def resolve_refs(ctx: Context, kind: str, wanted: list[dict]) -> list[dict]:
    """Secret (config) names to references with IDs, as the CLI's ParseSecrets makes them:
    one per target, in Go's map order."""
    by_target: dict[str, dict] = {}
    for ref in wanted:
        if ref["target"] in by_target:
            raise CommandError(f"duplicate {kind} target for {ref['source']} not allowed")
        by_target[ref["target"]] = ref
    if not by_target:
        return []
    names = sorted({r["source"] for r in by_target.values()})
    found = {
        o["Spec"]["Name"]: o["ID"] for o in ctx.client.get(f"/{kind}s", filters={"name": names})
    }
    Kind = kind.capitalize()  # noqa: N806
    out = []
    for target in gocompat.map_order(list(by_target), ctx.rng):
        ref = by_target[target]
        if ref["source"] not in found:
            raise CommandError(f"{kind} not found: {ref['source']}")
        out.append(
            {
                "File": {
                    "Name": ref["target"],
                    "UID": ref["uid"],
                    "GID": ref["gid"],
                    "Mode": ref["mode"],
                },
                f"{Kind}ID": found[ref["source"]],
                f"{Kind}Name": ref["source"],
            }
        )
    return out


def _ports(inv: Invocation, name: str) -> list[dict]:
    return [p for group in inv.values(name) for p in group]


# -- the spec from flags ------------------------------------------------------------------------


def _restart_flags(inv: Invocation, rp: dict) -> None:
    if inv.has("restart-condition"):
        rp["Condition"] = inv.get("restart-condition")
    if inv.has("restart-delay"):
        rp["Delay"] = inv.get("restart-delay")
    if inv.has("restart-max-attempts"):
        rp["MaxAttempts"] = inv.get("restart-max-attempts")
    if inv.has("restart-window"):
        rp["Window"] = inv.get("restart-window")


def _update_flags(inv: Invocation, cfg: dict, prefix: str) -> None:
    for flag, key in (
        ("parallelism", "Parallelism"),
        ("delay", "Delay"),
        ("failure-action", "FailureAction"),
        ("monitor", "Monitor"),
        ("max-failure-ratio", "MaxFailureRatio"),
        ("order", "Order"),
    ):
        if inv.has(f"{prefix}-{flag}"):
            cfg[key] = inv.get(f"{prefix}-{flag}")


def _resources(inv: Invocation, res: dict) -> None:
    limits, reservations = res.setdefault("Limits", {}), res.setdefault("Reservations", {})
    if inv.has("limit-cpu"):
        limits["NanoCPUs"] = int(inv.get("limit-cpu") * 1_000_000_000)
    if inv.has("limit-memory"):
        limits["MemoryBytes"] = inv.get("limit-memory")
    if inv.has("limit-pids") and inv.get("limit-pids"):
        limits["Pids"] = inv.get("limit-pids")
    if inv.has("reserve-cpu"):
        reservations["NanoCPUs"] = int(inv.get("reserve-cpu") * 1_000_000_000)
    if inv.has("reserve-memory"):
        reservations["MemoryBytes"] = inv.get("reserve-memory")


def _check_values(inv: Invocation) -> None:
    """moby's conversions refuse these before anything reaches swarm."""
    cond = inv.get("restart-condition")
    if cond is not None and cond not in ("none", "on-failure", "any"):
        raise DaemonError(f'invalid RestartCondition: "{cond}"')
    for prefix in ("update", "rollback"):
        action = inv.get(f"{prefix}-failure-action")
        allowed = ("pause", "continue", "rollback") if prefix == "update" else ("pause", "continue")
        if action is not None and action not in allowed:
            raise DaemonError(f"unrecognized {prefix} failure action {action}")
        order = inv.get(f"{prefix}-order")
        if order is not None and order not in ("start-first", "stop-first"):
            raise DaemonError(f"unrecognized {prefix} order {order}")


def create_spec(inv: Invocation) -> dict:
    mode = inv.get("mode", "replicated")
    if mode not in ("replicated", "global"):
        raise CommandError(f"Unknown mode: {mode}, only replicated and global supported")
    if mode == "global" and inv.has("replicas"):
        raise CommandError("replicas can only be used with replicated or replicated-job mode")
    if mode == "global" and inv.has("replicas-max-per-node"):
        raise CommandError(
            "replicas-max-per-node can only be used with replicated or replicated-job mode"
        )
    image, *args = inv.args
    cs: dict = {"Image": image}
    labels = _kv(inv.values("container-label"))
    if labels:
        cs["Labels"] = labels
    if inv.has("entrypoint"):
        cs["Command"] = inv.get("entrypoint").split()
    if args:
        cs["Args"] = args
    if inv.has("hostname"):
        cs["Hostname"] = inv.get("hostname")
    env = inv.values("env")
    if env:
        cs["Env"] = env
    if inv.has("workdir"):
        cs["Dir"] = inv.get("workdir")
    if inv.has("user"):
        cs["User"] = inv.get("user")
    cs["Init"] = bool(inv.get("init", False))
    if inv.has("stop-grace-period"):
        cs["StopGracePeriod"] = inv.get("stop-grace-period")
    cs["DNSConfig"] = {}
    cs["Isolation"] = "default"
    res: dict = {}
    _resources(inv, res)
    task: dict = {"ContainerSpec": cs, "Resources": res}
    rp: dict = {}
    _restart_flags(inv, rp)
    if rp:
        task["RestartPolicy"] = rp
    placement: dict = {}
    if inv.values("constraint"):
        placement["Constraints"] = inv.values("constraint")
    if inv.values("placement-pref"):
        placement["Preferences"] = inv.values("placement-pref")
    if inv.get("replicas-max-per-node"):
        placement["MaxReplicas"] = inv.get("replicas-max-per-node")
    task["Placement"] = placement
    task["ForceUpdate"] = 0
    task["Runtime"] = "container"
    spec: dict = {
        "Name": inv.get("name", ""),
        "Labels": _kv(inv.values("label")),
        "TaskTemplate": task,
    }
    if mode == "global":
        spec["Mode"] = {"Global": {}}
    else:
        spec["Mode"] = {"Replicated": {"Replicas": inv.get("replicas", 1)}}
    upd: dict = {}
    _update_flags(inv, upd, "update")
    if upd:
        spec["UpdateConfig"] = _with_update_defaults(upd)
    rb: dict = {}
    _update_flags(inv, rb, "rollback")
    if rb:
        spec["RollbackConfig"] = _with_update_defaults(rb)
    endpoint: dict = {"Mode": inv.get("endpoint-mode", "vip")}
    ports = _ports(inv, "publish")
    if ports:
        endpoint["Ports"] = ports
    spec["EndpointSpec"] = endpoint
    return spec


def _with_update_defaults(cfg: dict) -> dict:
    """The CLI sends a whole UpdateConfig once any of its flags is given."""
    out = {
        "Parallelism": 1,
        "Delay": 0,
        "FailureAction": "pause",
        "Monitor": 5 * SECOND,
        "MaxFailureRatio": 0,
        "Order": "stop-first",
    }
    out.update(cfg)
    if not out["Delay"]:
        out.pop("Delay")
    return out


def _kv(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        k, _, v = item.partition("=")
        out[k] = v
    return out


# -- create ------------------------------------------------------------------------------------


@command("docker service create")
def create(inv: Invocation, ctx: Context) -> int:
    spec = create_spec(inv)
    _check_values(inv)
    cs = spec["TaskTemplate"]["ContainerSpec"]
    for kind, key in (("secret", "Secrets"), ("config", "Configs")):
        refs = resolve_refs(ctx, kind, inv.values(kind))
        if refs:
            cs[key] = refs
    attachments = network_refs(ctx, inv.values("network"))
    if attachments:
        spec["TaskTemplate"]["Networks"] = [ref for _, ref in attachments]
    result = ctx.client.service_create(spec, not inv.get("no-resolve-image"))
    for warning in result.get("Warnings") or []:
        ctx.eprint(warning)
    service_id = result["ID"]
    ctx.print(service_id)
    if not inv.get("detach") and not inv.get("quiet"):
        watch(ctx, service_id, service_id)
    return 0


# -- ls --------------------------------------------------------------------------------------------

SERVICE_HEADERS = {
    "ID": "ID",
    "Name": "NAME",
    "Mode": "MODE",
    "Replicas": "REPLICAS",
    "Image": "IMAGE",
    "Ports": "PORTS",
}
SERVICE_TABLE = "table {{.ID}}\\t{{.Name}}\\t{{.Mode}}\\t{{.Replicas}}\\t{{.Image}}\\t{{.Ports}}"


def ports_text(ports: list[dict]) -> str:
    """Ingress ports, "*:8080->80/tcp", consecutive ones merged into ranges."""
    ing = sorted(
        (
            (p.get("Protocol", "tcp"), p["PublishedPort"], p["TargetPort"])
            for p in ports
            if p.get("PublishMode", "ingress") == "ingress"
        ),
    )
    out, i = [], 0
    while i < len(ing):
        proto, pub, tgt = ing[i]
        j = i
        while (
            j + 1 < len(ing)
            and ing[j + 1][0] == proto
            and ing[j + 1][1] == ing[j][1] + 1
            and ing[j + 1][2] == ing[j][2] + 1
        ):
            j += 1
        if j > i:
            out.append(f"*:{pub}-{ing[j][1]}->{tgt}-{ing[j][2]}/{proto}")
        else:
            out.append(f"*:{pub}->{tgt}/{proto}")
        i = j + 1
    return ", ".join(out)


class ServiceRow:
    go_type = "*service.serviceContext"

    def __init__(self, s: dict) -> None:
        self.s = s

    def ID(self) -> str:  # noqa: N802
        return self.s["ID"][:12]

    def Name(self) -> str:  # noqa: N802
        return self.s["Spec"]["Name"]

    def Mode(self) -> str:  # noqa: N802
        return "global" if "Global" in self.s["Spec"]["Mode"] else "replicated"

    def Replicas(self) -> str:  # noqa: N802
        st = self.s.get("ServiceStatus") or {}
        text = f"{st.get('RunningTasks', 0)}/{st.get('DesiredTasks', 0)}"
        mx = ((self.s["Spec"]["TaskTemplate"].get("Placement") or {}).get("MaxReplicas")) or 0
        if mx and self.Mode() == "replicated":
            text += f" (max {mx} per node)"
        return text

    def Image(self) -> str:  # noqa: N802
        return strip_digest(self.s["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"])

    def Ports(self) -> str:  # noqa: N802
        return ports_text(((self.s.get("Endpoint") or {}).get("Ports")) or [])

    def to_json(self) -> dict:
        return {
            "ID": self.ID(),
            "Image": self.Image(),
            "Mode": self.Mode(),
            "Name": self.Name(),
            "Ports": self.Ports(),
            "Replicas": self.Replicas(),
        }


@command("docker service ls")
def service_ls(inv: Invocation, ctx: Context) -> int:
    services = ctx.client.get("/services", filters=parse_filters(inv.values("filter")), status=True)
    services.sort(key=lambda s: s["Spec"]["Name"])
    if inv.get("quiet"):
        for s in services:
            ctx.print(s["ID"][:12])
        return 0
    format_rows(
        inv.get("format") or SERVICE_TABLE, [ServiceRow(s) for s in services], SERVICE_HEADERS, ctx
    )
    return 0


# -- ps --------------------------------------------------------------------------------------------


@command("docker service ps")
def service_ps(inv: Invocation, ctx: Context) -> int:
    filters = task_filters(inv, ctx)
    ids: list[str] = []
    missing = []
    for ref in inv.args:
        try:
            service = ctx.client.get(f"/services/{seg(ref)}", insertDefaults=False)
        except DaemonError as exc:
            if exc.status != 404:
                raise  # no leader, say: not a missing service
            missing.append(ref)
            continue
        if service["ID"] not in ids:  # one filter of every service named: each task once
            ids.append(service["ID"])
    tasks = list_tasks(ctx, dict(filters, service=ids), inv.get("quiet")) if ids else []
    if missing and not tasks and len(missing) == len(inv.args):
        raise CommandError("\n".join(f"no such service: {r}" for r in missing))
    print_tasks(ctx, inv, tasks)
    if missing:
        raise CommandError("\n".join(f"no such service: {r}" for r in missing))
    return 0


# -- inspect ---------------------------------------------------------------------------------------

PRETTY = """
ID:\t\t{{.ID}}
Name:\t\t{{.Name}}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Service Mode:
{{- if .IsModeGlobal }}\tGlobal
{{- else if .IsModeReplicated }}\tReplicated
{{- if .ModeReplicatedReplicas }}
 Replicas:\t{{ .ModeReplicatedReplicas }}
{{- end }}{{ end }}
{{- if .HasUpdateStatus }}
UpdateStatus:
 State:\t\t{{ .UpdateStatusState }}
{{- if .HasUpdateStatusStarted }}
 Started:\t{{ .UpdateStatusStarted }}
{{- end }}
{{- if .UpdateIsCompleted }}
 Completed:\t{{ .UpdateStatusCompleted }}
{{- end }}
 Message:\t{{ .UpdateStatusMessage }}
{{- end }}
Placement:
{{- if .TaskPlacementConstraints }}
 Constraints:\t{{ .TaskPlacementConstraints }}
{{- end }}
{{- if .TaskPlacementPreferences }}
 Preferences:   {{ .TaskPlacementPreferences }}
{{- end }}
{{- if .MaxReplicas }}
 Max Replicas Per Node:   {{ .MaxReplicas }}
{{- end }}
{{- if .HasUpdateConfig }}
UpdateConfig:
 Parallelism:\t{{ .UpdateParallelism }}
{{- if .HasUpdateDelay}}
 Delay:\t\t{{ .UpdateDelay }}
{{- end }}
 On failure:\t{{ .UpdateOnFailure }}
{{- if .HasUpdateMonitor}}
 Monitoring Period: {{ .UpdateMonitor }}
{{- end }}
 Max failure ratio: {{ .UpdateMaxFailureRatio }}
 Update order:      {{ .UpdateOrder }}
{{- end }}
{{- if .HasRollbackConfig }}
RollbackConfig:
 Parallelism:\t{{ .RollbackParallelism }}
{{- if .HasRollbackDelay}}
 Delay:\t\t{{ .RollbackDelay }}
{{- end }}
 On failure:\t{{ .RollbackOnFailure }}
{{- if .HasRollbackMonitor}}
 Monitoring Period: {{ .RollbackMonitor }}
{{- end }}
 Max failure ratio: {{ .RollbackMaxFailureRatio }}
 Rollback order:    {{ .RollbackOrder }}
{{- end }}
ContainerSpec:
 Image:\t\t{{ .ContainerImage }}
{{- if .ContainerArgs }}
 Args:\t\t{{ range $arg := .ContainerArgs }}{{ $arg }} {{ end }}
{{- end -}}
{{- if .ContainerEnv }}
 Env:\t\t{{ range $env := .ContainerEnv }}{{ $env }} {{ end }}
{{- end -}}
{{- if .ContainerWorkDir }}
 Dir:\t\t{{ .ContainerWorkDir }}
{{- end -}}
{{- if .ContainerUser }}
 User: {{ .ContainerUser }}
{{- end }}
 Init:\t\t{{ .ContainerInit }}
{{- if .ContainerSecrets }}
Secrets:
{{- range $secret := .ContainerSecrets }}
 Target:\t{{ $secret.File.Name }}
  Source:\t{{ $secret.SecretName }}
{{- end }}{{ end }}
{{- if .ContainerConfigs }}
Configs:
{{- range $config := .ContainerConfigs }}
 Target:\t{{ $config.File.Name }}
  Source:\t{{ $config.ConfigName }}
{{- end }}{{ end }}
Resources:
{{- if .HasResources }}
{{- if .HasResourceReservations }}
 Reservations:
{{- if gt .ResourceReservationNanoCPUs 0.0 }}
  CPU:\t\t{{ .ResourceReservationNanoCPUs }}
{{- end }}
{{- if .ResourceReservationMemory }}
  Memory:\t{{ .ResourceReservationMemory }}
{{- end }}{{ end }}
{{- if .HasResourceLimits }}
 Limits:
{{- if gt .ResourceLimitsNanoCPUs 0.0 }}
  CPU:\t\t{{ .ResourceLimitsNanoCPUs }}
{{- end }}
{{- if .ResourceLimitMemory }}
  Memory:\t{{ .ResourceLimitMemory }}
{{- end }}{{ end }}{{ end }}
{{- if .Networks }}
Networks:
{{- range $network := .Networks }} {{ $network }}{{ end }} {{ end }}
Endpoint Mode:\t{{ .EndpointMode }}
{{- if .Ports }}
Ports:
{{- range $port := .Ports }}
 PublishedPort = {{ $port.PublishedPort }}
  Protocol = {{ $port.Protocol }}
  TargetPort = {{ $port.TargetPort }}
  PublishMode = {{ $port.PublishMode }}
{{- end }} {{ end -}}
"""


class ServicePretty:
    """A service as the --pretty template sees it (serviceInspectContext)."""

    def __init__(self, s: dict, now: float, network_names: dict[str, str] | None = None) -> None:
        spec = s["Spec"]
        tt = spec["TaskTemplate"]
        names = network_names or {}
        self.Networks = [names.get(r["Target"], r["Target"]) for r in tt.get("Networks") or []]
        cs = tt.get("ContainerSpec") or {}
        self.ID = s["ID"]
        self.Name = spec["Name"]
        self.Labels = spec.get("Labels") or {}
        self.IsModeGlobal = "Global" in spec["Mode"]
        self.IsModeReplicated = "Replicated" in spec["Mode"]
        self.ModeReplicatedReplicas = (spec["Mode"].get("Replicated") or {}).get("Replicas", 0)
        us = s.get("UpdateStatus")
        self.HasUpdateStatus = bool(us and us.get("State"))
        us = us or {}
        self.UpdateStatusState = us.get("State", "")
        self.HasUpdateStatusStarted = bool(us.get("StartedAt"))
        self.UpdateStatusStarted = _ago(us.get("StartedAt"), now)
        self.UpdateIsCompleted = us.get("State") == "completed" and bool(us.get("CompletedAt"))
        self.UpdateStatusCompleted = _ago(us.get("CompletedAt"), now)
        self.UpdateStatusMessage = us.get("Message", "")
        placement = tt.get("Placement") or {}
        cons = placement.get("Constraints") or []
        self.TaskPlacementConstraints = "[" + " ".join(cons) + "]" if cons else ""
        prefs = [
            f"spread={p['Spread']['SpreadDescriptor']}"
            for p in placement.get("Preferences") or []
            if p.get("Spread")
        ]
        self.TaskPlacementPreferences = "[" + " ".join(prefs) + "]" if prefs else ""
        self.MaxReplicas = placement.get("MaxReplicas") or 0
        for prefix, key in (("Update", "UpdateConfig"), ("Rollback", "RollbackConfig")):
            cfg = spec.get(key)
            setattr(self, f"Has{prefix}Config", cfg is not None)
            cfg = cfg or {}
            setattr(self, f"{prefix}Parallelism", cfg.get("Parallelism", 0))
            setattr(self, f"Has{prefix}Delay", bool(cfg.get("Delay")))
            setattr(self, f"{prefix}Delay", format_duration(cfg.get("Delay") or 0))
            setattr(self, f"{prefix}OnFailure", cfg.get("FailureAction", ""))
            setattr(self, f"Has{prefix}Monitor", bool(cfg.get("Monitor")))
            setattr(self, f"{prefix}Monitor", format_duration(cfg.get("Monitor") or 0))
            setattr(self, f"{prefix}MaxFailureRatio", _float(cfg.get("MaxFailureRatio", 0)))
            setattr(self, f"{prefix}Order", cfg.get("Order", ""))
        self.ContainerImage = cs.get("Image", "")
        self.ContainerArgs = cs.get("Args") or []
        self.ContainerEnv = cs.get("Env") or []
        self.ContainerWorkDir = cs.get("Dir", "")
        self.ContainerUser = cs.get("User", "")
        self.ContainerInit = "true" if cs.get("Init") else "false"
        self.ContainerSecrets = cs.get("Secrets") or []
        self.ContainerConfigs = cs.get("Configs") or []
        res = tt.get("Resources") or {}
        r, lim = res.get("Reservations") or {}, res.get("Limits") or {}
        self.HasResourceReservations = bool(r.get("NanoCPUs") or r.get("MemoryBytes"))
        self.HasResourceLimits = bool(
            lim.get("NanoCPUs") or lim.get("MemoryBytes") or lim.get("Pids")
        )
        self.HasResources = self.HasResourceReservations or self.HasResourceLimits
        self.ResourceReservationNanoCPUs = r.get("NanoCPUs", 0) / 1e9
        self.ResourceReservationMemory = _bytes(r.get("MemoryBytes", 0))
        self.ResourceLimitsNanoCPUs = lim.get("NanoCPUs", 0) / 1e9
        self.ResourceLimitMemory = _bytes(lim.get("MemoryBytes", 0))
        self.EndpointMode = (spec.get("EndpointSpec") or {}).get("Mode", "")
        self.Ports = ((s.get("Endpoint") or {}).get("Ports")) or []


def _float(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _bytes(n: int) -> str:
    if not n:
        return ""
    from ..format import bytes_size

    return bytes_size(n)


def _ago(stamp: str | None, now: float) -> str:
    if not stamp:
        return ""
    return human_duration(now - parse_rfc3339(stamp)) + " ago"


@command("docker service inspect")
def service_inspect(inv: Invocation, ctx: Context) -> int:
    fmt, pretty_mode, tmpl = inspect_options(inv)
    found, errors = [], []
    for ref in inv.args:
        try:
            service = ctx.client.get(f"/services/{seg(ref)}", insertDefaults=True)
        except DaemonError:
            errors.append(f"Error: no such service: {ref}")
            continue
        found.append(service)
    if pretty_mode:
        now = ctx.client.now()
        for s in found:
            names = {}
            for r in s["Spec"]["TaskTemplate"].get("Networks") or []:
                try:  # the CLI asks for each network's name; an error leaves the ID
                    net = ctx.client.get(f"/networks/{seg(r['Target'])}", scope="swarm")
                    names[r["Target"]] = net["Name"]
                except DaemonError:
                    pass
            ctx.write(Template(PRETTY).execute(ServicePretty(s, now, names)) + "\n\n")
    else:
        errors += show(ctx, found, fmt, tmpl, "service")
    if errors:
        raise CommandError("\n".join(errors))
    return 0


# -- rm --------------------------------------------------------------------------------------------


@command("docker service rm")
def service_rm(inv: Invocation, ctx: Context) -> int:
    return for_each(ctx, inv.args, lambda ref: ctx.client.delete(f"/services/{seg(ref)}"))


# -- scale ----------------------------------------------------------------------------------------

SCALE_USAGE = (
    "Usage:  docker service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]\n\n"
    "Scale one or multiple replicated services"
)


@command("docker service scale")
def service_scale(inv: Invocation, ctx: Context) -> int:
    for arg in inv.args:
        name, eq, _ = arg.partition("=")
        if not eq or not name:
            raise CommandError(
                f"invalid scale specifier '{arg}'.\nSee 'docker service scale --help'."
                f"\n\n{SCALE_USAGE}"
            )
    errors, scaled = [], []
    for arg in inv.args:
        name, _, value = arg.partition("=")
        try:
            replicas = gocompat.parse_uint(value, 64)
        except gocompat.GoError as exc:
            errors.append(f"{name}: invalid replicas value {value}: {exc}")
            continue
        try:
            service = ctx.client.get(f"/services/{seg(name)}", insertDefaults=False)
            spec = copy.deepcopy(service["Spec"])
            if "Replicated" not in spec["Mode"]:
                errors.append(
                    f"{name}: scale can only be used with replicated or replicated-job mode"
                )
                continue
            spec["Mode"]["Replicated"]["Replicas"] = replicas
            ctx.client.service_update(service["ID"], service["Version"]["Index"], spec)
        except DaemonError as exc:
            errors.append(f"{name}: Error response from daemon: {exc.message}")
            continue
        ctx.print(f"{name} scaled to {replicas}")
        scaled.append((service["ID"], name))
    if not inv.get("detach"):
        for sid, name in scaled:
            watch(ctx, sid, name)
    if errors:
        raise CommandError("\n".join(errors))
    return 0


# -- update and rollback ---------------------------------------------------------------------------


def update_spec(inv: Invocation, spec: dict) -> dict:
    spec = copy.deepcopy(spec)
    tt = spec.setdefault("TaskTemplate", {})
    cs = tt.setdefault("ContainerSpec", {})
    if inv.has("image"):
        cs["Image"] = inv.get("image")
    if inv.has("args"):
        try:
            cs["Args"] = shlex.split(inv.get("args"))  # the CLI's ShlexOpt
        except ValueError:
            raise CommandError(
                f'invalid argument "{inv.get("args")}" for "--args" flag: '
                "EOF found when expecting closing quote"
            ) from None
    if inv.has("entrypoint"):
        cs["Command"] = inv.get("entrypoint").split()
    if inv.has("hostname"):
        cs["Hostname"] = inv.get("hostname")
    if inv.has("workdir"):
        cs["Dir"] = inv.get("workdir")
    if inv.has("user"):
        cs["User"] = inv.get("user")
    if inv.values("env-add") or inv.values("env-rm"):
        env = [
            e
            for e in cs.get("Env") or []
            if e.partition("=")[0] not in {r.partition("=")[0] for r in inv.values("env-rm")}
        ]
        for e in inv.values("env-add"):
            env = [x for x in env if x.partition("=")[0] != e.partition("=")[0]] + [e]
        cs["Env"] = env
    if inv.values("container-label-add") or inv.values("container-label-rm"):
        labels = dict(cs.get("Labels") or {})
        labels.update(_kv(inv.values("container-label-add")))
        for k in inv.values("container-label-rm"):
            labels.pop(k, None)
        cs["Labels"] = labels
    if inv.values("label-add") or inv.values("label-rm"):
        labels = dict(spec.get("Labels") or {})
        labels.update(_kv(inv.values("label-add")))
        for k in inv.values("label-rm"):
            labels.pop(k, None)
        spec["Labels"] = labels
    placement = tt.setdefault("Placement", {})
    if inv.values("constraint-add") or inv.values("constraint-rm"):
        cons = [
            c for c in placement.get("Constraints") or [] if c not in inv.values("constraint-rm")
        ]
        cons += [c for c in inv.values("constraint-add") if c not in cons]
        placement["Constraints"] = cons
        if not cons:
            placement.pop("Constraints")
    if inv.values("placement-pref-add") or inv.values("placement-pref-rm"):
        prefs = [
            p
            for p in placement.get("Preferences") or []
            if p not in inv.values("placement-pref-rm")
        ]
        prefs += inv.values("placement-pref-add")
        placement["Preferences"] = prefs
    if inv.has("replicas-max-per-node"):
        placement["MaxReplicas"] = inv.get("replicas-max-per-node")
    res = tt.setdefault("Resources", {})
    _resources(inv, res)
    if any(
        inv.has(f)
        for f in ("restart-condition", "restart-delay", "restart-max-attempts", "restart-window")
    ):
        rp = tt.setdefault("RestartPolicy", {})
        _restart_flags(inv, rp)
    for prefix, key in (("update", "UpdateConfig"), ("rollback", "RollbackConfig")):
        cfg: dict = {}
        _update_flags(inv, cfg, prefix)
        if cfg:
            merged = dict(spec.get(key) or {})
            merged.update(cfg)
            spec[key] = _with_update_defaults(merged)
    if inv.has("replicas"):
        if "Replicated" not in spec["Mode"]:
            raise CommandError("replicas can only be used with replicated mode")
        spec["Mode"]["Replicated"]["Replicas"] = inv.get("replicas")
    endpoint = spec.setdefault("EndpointSpec", {"Mode": "vip"})
    if inv.has("endpoint-mode"):
        endpoint["Mode"] = inv.get("endpoint-mode")
    if inv.values("publish-add") or inv.values("publish-rm"):
        removed = {(p["Protocol"], p["TargetPort"]) for p in _ports(inv, "publish-rm")}
        removed_pub = {p["TargetPort"] for p in _ports(inv, "publish-rm")}
        ports = [
            p
            for p in endpoint.get("Ports") or []
            if (p.get("Protocol", "tcp"), p.get("TargetPort")) not in removed
            and p.get("PublishedPort") not in removed_pub
        ]
        ports += _ports(inv, "publish-add")
        endpoint["Ports"] = ports
        if not ports:
            endpoint.pop("Ports")
    if inv.get("force"):
        tt["ForceUpdate"] = tt.get("ForceUpdate", 0) + 1
    return spec


def _update(ctx: Context, inv: Invocation, ref: str, rollback: bool) -> int:
    service = ctx.client.get(f"/services/{seg(ref)}", insertDefaults=False)
    if rollback:
        ctx.client.service_update(
            service["ID"], service["Version"]["Index"], service["Spec"], rollback="previous"
        )
    else:
        spec = update_spec(inv, service["Spec"])
        cs = spec["TaskTemplate"]["ContainerSpec"]
        for kind, key in (("secret", "Secrets"), ("config", "Configs")):
            if inv.values(f"{kind}-add") or inv.values(f"{kind}-rm"):
                removed = set(inv.values(f"{kind}-rm"))
                name_key = f"{kind.capitalize()}Name"
                kept = [r for r in cs.get(key) or [] if r[name_key] not in removed]
                added = resolve_refs(ctx, kind, inv.values(f"{kind}-add"))
                targets = {r["File"]["Name"] for r in added}
                refs = [r for r in kept if r["File"]["Name"] not in targets] + added
                if refs:
                    cs[key] = refs
                else:
                    cs.pop(key, None)
        if inv.values("network-add") or inv.values("network-rm"):
            _update_networks(ctx, inv, spec)
        _check_values(inv)
        result = ctx.client.service_update(
            service["ID"],
            service["Version"]["Index"],
            spec,
            query_registry=inv.has("image") and not inv.get("no-resolve-image"),
        )
        for warning in result.get("Warnings") or []:
            ctx.eprint(warning)
    ctx.print(ref)
    if not inv.get("detach") and not inv.get("quiet"):
        watch(ctx, service["ID"], ref)
    return 0


def _update_networks(ctx: Context, inv: Invocation, spec: dict) -> None:
    """--network-rm (by name or ID), then --network-add (not one it is already on)."""
    tt = spec["TaskTemplate"]
    current = list(tt.get("Networks") or spec.pop("Networks", None) or [])
    for name in inv.values("network-rm"):
        try:
            net_id = ctx.client.get(f"/networks/{seg(name)}", scope="swarm")["Id"]
        except DaemonError:
            net_id = name
        current = [r for r in current if r["Target"] not in (net_id, name)]
    for name, ref in network_refs(ctx, inv.values("network-add")):
        if any(r["Target"] == ref["Target"] for r in current):
            raise CommandError(f"service is already attached to network {name}")
        current.append(ref)
    if current:
        tt["Networks"] = current
    else:
        tt.pop("Networks", None)


@command("docker service update")
def service_update(inv: Invocation, ctx: Context) -> int:
    if inv.get("rollback"):
        others = [f for f in inv.flags if f not in ("rollback", "detach", "quiet")]
        if others:
            raise CommandError("other flags may not be combined with --rollback")
    return _update(ctx, inv, inv.args[0], bool(inv.get("rollback")))


@command("docker service rollback")
def service_rollback(inv: Invocation, ctx: Context) -> int:
    return _update(ctx, inv, inv.args[0], True)


# -- logs ------------------------------------------------------------------------------------------


@command("docker service logs")
def service_logs(inv: Invocation, ctx: Context) -> int:
    """A service's (or a task's) logs, as the daemon streams them: each line with the
    node, service and task it came from, which the CLI turns into names."""
    ref = inv.args[0]
    client = ctx.client
    try:
        service = client.get(f"/services/{seg(ref)}", insertDefaults=False)
        path = f"/services/{seg(ref)}/logs"
    except DaemonError as exc:
        if exc.status != 404:
            raise
        try:
            task = client.get(f"/tasks/{seg(ref)}")
        except DaemonError as exc2:
            if exc2.status != 404:
                raise
            raise CommandError(f"no such task or service: {ref}") from None
        path = f"/tasks/{seg(ref)}/logs"
        service = client.get(f"/services/{task['ServiceID']}", insertDefaults=False)
    query: dict[str, Any] = {
        "details": True,
        "follow": bool(inv.get("follow")),
        "stderr": True,
        "stdout": True,
        "tail": inv.get("tail", "all"),
        "timestamps": bool(inv.get("timestamps")),
    }
    if inv.get("since"):
        query["since"] = f"{_since(inv.get('since'), client.now()):.9f}"
    resp = client.request("GET", path, query)
    names = _LogNames(ctx, inv, service)
    pending = names.show(resp.body)
    while resp.stream is not None:  # until Ctrl-C: new tasks' lines come too, as swarm's do
        client.sleep(LOGS_POLL)
        data, ended = client.on_host(lambda _d, s=resp.stream: s.poll())
        pending = names.show(pending + data)
        if ended:
            break
    return 0


class _LogNames:
    """Turns the details of each log line (node, service and task IDs) into the prefix
    the CLI prints, asking the daemon once for each ID (cli/command/service/logs.go)."""

    def __init__(self, ctx: Context, inv: Invocation, service: dict) -> None:
        self.ctx = ctx
        self.inv = inv
        self.cache: dict[str, Any] = {service["ID"]: service}

    def _get(self, path: str) -> Any:
        if path not in self.cache:
            try:
                self.cache[path] = self.ctx.client.get(path)
            except DaemonError:
                self.cache[path] = None
        return self.cache[path]

    def show(self, data: bytes) -> bytes:
        frames, rest = read_frames(data)
        for kind, payload in frames:
            line = shlang.from_bytes(payload).removesuffix("\n")
            when = None
            if self.inv.get("timestamps"):
                stamp, _, line = line.partition(" ")
                when = parse_rfc3339(stamp)
            details, _, message = line.partition(" ")
            ids = dict(kv.partition("=")[::2] for kv in details.split(","))
            task = self._get(f"/tasks/{ids.get('com.docker.swarm.task.id', '')}") or {}
            node = self._get(f"/nodes/{ids.get('com.docker.swarm.node.id', '')}")
            service = self.cache.get(ids.get("com.docker.swarm.service.id", "")) or {}
            name = (service.get("Spec") or {}).get("Name", "")
            text = _log_prefix(self.inv, name, task, node, when) + message
            (self.ctx.print if kind == STDOUT else self.ctx.eprint)(text)
        return rest


LOGS_POLL = 0.5  # how often `service logs -f` asks for new lines


def _since(value: str, now: float) -> float:
    """--since: a duration before now ("3s", "10m"), a Unix time, or an RFC 3339 date
    (docker's timetypes.GetTimestamp)."""
    try:
        return now - gocompat.parse_duration(value) / 1e9
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return gocompat.parse_rfc3339(value)
    except ValueError:
        raise CommandError(
            f'invalid value for "since": failed to parse value as time or duration: "{value}"'
        ) from None


def _log_prefix(
    inv: Invocation, name: str, task: dict, node: dict | None, when: float | None
) -> str:
    stamp = gocompat.rfc3339nano(when) + " " if when is not None else ""
    if inv.get("raw"):
        return stamp
    node_name = task.get("NodeID", "")
    if node is not None and not inv.get("no-resolve"):
        node_name = node["Description"].get("Hostname", node_name)
    svc = name if not inv.get("no-resolve") else task.get("ServiceID", "")
    slot = str(task["Slot"]) if task.get("Slot") else task.get("NodeID", "")
    tid = task.get("ID", "") if inv.get("no-trunc") else task.get("ID", "")[:12]
    label = f"{svc}.{slot}" if inv.get("no-task-ids") else f"{svc}.{slot}.{tid}"
    details = " " if inv.get("details") else ""
    return f"{stamp}{label}@{node_name}    | {details}"


__all__ = ["quote", "pretty"]
