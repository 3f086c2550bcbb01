"""The Go types docker's CLI decodes an inspect answer into, for its templates.

`docker inspect -f` runs the template on a typed struct first (swarm.Service, swarm.Node
…) and only if that fails on the raw JSON with missingkey=error. On the struct, a field
the answer left out is its zero value — `{{json .UpdateStatus}}` is `null`, `{{.Spec.
TaskTemplate.ContainerSpec.Env}}` is `[]` — a struct prints as Go prints it (`{ready
192.168.0.3}`), a time as time.Time does, a duration as "10s". Going through a nil
pointer, or asking for a field the struct has not got, fails, and the raw JSON decides.

The declarations below are the structs of docker's API (20.10, the lab's engine), as
`Type { Field T; ... }`: `Name:Key T` where the JSON key is not the field's name, a
trailing `!` for a field encoded even when empty (no omitempty), a bare type for an
embedded struct, `any` for what we keep opaque (its JSON, missing keys an error).
"""

from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass
from typing import Any

from ..gocompat import ZERO_TIME, format_duration, parse_rfc3339, time_string
from .format import JsonMap, JsonStruct, go_print

DECLARATIONS = """
swarm.Version { Index uint64 }
swarm.Meta { Version swarm.Version; CreatedAt time.Time; UpdatedAt time.Time }
swarm.Annotations { Name string; Labels map[string]string! }
swarm.Driver { Name string; Options map[string]string }

swarm.Service { ID string!; swarm.Meta; Spec swarm.ServiceSpec; PreviousSpec *swarm.ServiceSpec;
  Endpoint swarm.Endpoint; UpdateStatus *swarm.UpdateStatus; ServiceStatus *swarm.ServiceStatus;
  JobStatus *swarm.JobStatus }
swarm.ServiceSpec { swarm.Annotations; TaskTemplate swarm.TaskSpec; Mode swarm.ServiceMode;
  UpdateConfig *swarm.UpdateConfig; RollbackConfig *swarm.UpdateConfig;
  Networks []swarm.NetworkAttachmentConfig; EndpointSpec *swarm.EndpointSpec }
swarm.ServiceMode { Replicated *swarm.ReplicatedService; Global *swarm.GlobalService;
  ReplicatedJob *swarm.ReplicatedJob; GlobalJob *swarm.GlobalJob }
swarm.ReplicatedService { Replicas *uint64 }
swarm.GlobalService { }
swarm.ReplicatedJob { MaxConcurrent *uint64; TotalCompletions *uint64 }
swarm.GlobalJob { }
swarm.UpdateStatus { State string; StartedAt *time.Time; CompletedAt *time.Time; Message string }
swarm.UpdateConfig { Parallelism uint64!; Delay time.Duration; FailureAction string;
  Monitor time.Duration; MaxFailureRatio float32!; Order string! }
swarm.ServiceStatus { RunningTasks uint64!; DesiredTasks uint64!; CompletedTasks uint64! }
swarm.JobStatus { JobIteration swarm.Version!; LastExecution time.Time }

swarm.TaskSpec { ContainerSpec *swarm.ContainerSpec; PluginSpec *any;
  NetworkAttachmentSpec *swarm.NetworkAttachmentSpec; Resources *swarm.ResourceRequirements;
  RestartPolicy *swarm.RestartPolicy; Placement *swarm.Placement;
  Networks []swarm.NetworkAttachmentConfig; LogDriver *swarm.Driver; ForceUpdate uint64!;
  Runtime string }
swarm.NetworkAttachmentSpec { ContainerID string! }
swarm.ContainerSpec { Image string; Labels map[string]string; Command []string; Args []string;
  Hostname string; Env []string; Dir string; User string; Groups []string;
  Privileges *swarm.Privileges; Init *bool; StopSignal string; TTY bool; OpenStdin bool;
  ReadOnly bool; Mounts []mount.Mount; StopGracePeriod *time.Duration;
  Healthcheck *container.HealthConfig; Hosts []string; DNSConfig *swarm.DNSConfig;
  Secrets []*swarm.SecretReference; Configs []*swarm.ConfigReference; Isolation string;
  Sysctls map[string]string; CapabilityAdd []string; CapabilityDrop []string;
  Ulimits []*any }
swarm.Privileges { CredentialSpec *swarm.CredentialSpec!; SELinuxContext *swarm.SELinuxContext! }
swarm.CredentialSpec { Config string!; File string!; Registry string! }
swarm.SELinuxContext { Disable bool!; User string!; Role string!; Type string!; Level string! }
swarm.DNSConfig { Nameservers []string; Search []string; Options []string }
swarm.SecretReference { File *swarm.FileTarget; SecretID string!; SecretName string! }
swarm.ConfigReference { File *swarm.FileTarget; Runtime *swarm.RuntimeTarget; ConfigID string!;
  ConfigName string! }
swarm.FileTarget { Name string!; UID string!; GID string!; Mode os.FileMode! }
swarm.RuntimeTarget { }
mount.Mount { Type string; Source string; Target string; ReadOnly bool; Consistency string;
  BindOptions *any; VolumeOptions *any; TmpfsOptions *any }
container.HealthConfig { Test []string; Interval time.Duration; Timeout time.Duration;
  StartPeriod time.Duration; Retries int }
swarm.ResourceRequirements { Limits *swarm.Limit; Reservations *swarm.Resources }
swarm.Limit { NanoCPUs int64; MemoryBytes int64; Pids int64 }
swarm.Resources { NanoCPUs int64; MemoryBytes int64; GenericResources []any }
swarm.RestartPolicy { Condition string; Delay *time.Duration; MaxAttempts *uint64;
  Window *time.Duration }
swarm.Placement { Constraints []string; Preferences []swarm.PlacementPreference;
  MaxReplicas uint64; Platforms []swarm.Platform }
swarm.PlacementPreference { Spread *swarm.SpreadOver! }
swarm.SpreadOver { SpreadDescriptor string! }
swarm.Platform { Architecture string; OS string }

swarm.Endpoint { Spec swarm.EndpointSpec; Ports []swarm.PortConfig;
  VirtualIPs []swarm.EndpointVirtualIP }
swarm.EndpointSpec { Mode string; Ports []swarm.PortConfig }
swarm.PortConfig { Name string; Protocol string; TargetPort uint32; PublishedPort uint32;
  PublishMode string }
swarm.EndpointVirtualIP { NetworkID string; Addr string }
swarm.NetworkAttachmentConfig { Target string; Aliases []string; DriverOpts map[string]string }
swarm.NetworkAttachment { Network swarm.Network; Addresses []string }
swarm.Network { ID string!; swarm.Meta; Spec swarm.NetworkSpec; DriverState swarm.Driver;
  IPAMOptions *swarm.IPAMOptions }
swarm.NetworkSpec { swarm.Annotations; DriverConfiguration *swarm.Driver; IPv6Enabled bool;
  Internal bool; Attachable bool; Ingress bool; IPAMOptions *swarm.IPAMOptions;
  ConfigFrom *network.ConfigReference; Scope string }
network.ConfigReference { Network string! }
swarm.IPAMOptions { Driver swarm.Driver; Configs []swarm.IPAMConfig }
swarm.IPAMConfig { Subnet string; Range string; Gateway string }

swarm.Task { ID string!; swarm.Meta; swarm.Annotations; Spec swarm.TaskSpec; ServiceID string;
  Slot int; NodeID string; Status swarm.TaskStatus; DesiredState string;
  NetworksAttachments []swarm.NetworkAttachment; GenericResources []any;
  JobIteration *swarm.Version }
swarm.TaskStatus { Timestamp time.Time; State string; Message string; Err string;
  ContainerStatus *swarm.ContainerStatus; PortStatus swarm.PortStatus }
swarm.ContainerStatus { ContainerID string; PID int; ExitCode int }
swarm.PortStatus { Ports []swarm.PortConfig }

swarm.Node { ID string!; swarm.Meta; Spec swarm.NodeSpec; Description swarm.NodeDescription;
  Status swarm.NodeStatus; ManagerStatus *swarm.ManagerStatus }
swarm.NodeSpec { swarm.Annotations; Role string; Availability string }
swarm.NodeDescription { Hostname string; Platform swarm.Platform; Resources swarm.Resources;
  Engine swarm.EngineDescription; TLSInfo swarm.TLSInfo }
swarm.EngineDescription { EngineVersion string; Labels map[string]string;
  Plugins []swarm.PluginDescription }
swarm.PluginDescription { Type string; Name string }
swarm.TLSInfo { TrustRoot string; CertIssuerSubject []byte; CertIssuerPublicKey []byte }
swarm.NodeStatus { State string; Message string; Addr string }
swarm.ManagerStatus { Leader bool; Reachability string; Addr string }

swarm.Secret { ID string!; swarm.Meta; Spec swarm.SecretSpec }
swarm.SecretSpec { swarm.Annotations; Data []byte; Driver *swarm.Driver; Templating *swarm.Driver }
swarm.Config { ID string!; swarm.Meta; Spec swarm.ConfigSpec }
swarm.ConfigSpec { swarm.Annotations; Data []byte; Templating *swarm.Driver }

types.NetworkResource { Name string!; ID:Id string!; Created time.Time!; Scope string!;
  Driver string!; EnableIPv6 bool!; IPAM network.IPAM!; Internal bool!; Attachable bool!;
  Ingress bool!; ConfigFrom network.ConfigReference!; ConfigOnly bool!;
  Containers map[string]types.EndpointResource!; Options map[string]string!;
  Labels map[string]string!; Peers []network.PeerInfo; Services map[string]any }
network.IPAM { Driver string!; Options map[string]string!; Config []network.IPAMConfig! }
network.IPAMConfig { Subnet string; IPRange string; Gateway string;
  AuxAddress:AuxiliaryAddresses map[string]string }
types.EndpointResource { Name string!; EndpointID string!; MacAddress string!;
  IPv4Address string!; IPv6Address string! }
network.PeerInfo { Name string!; IP string! }

types.ContainerJSON { *types.ContainerJSONBase; Mounts []types.MountPoint!;
  Config *container.Config!; NetworkSettings *any! }
types.ContainerJSONBase { ID:Id string!; Created string!; Path string!; Args []string!;
  State *types.ContainerState!; Image string!; ResolvConfPath string!; HostnamePath string!;
  HostsPath string!; LogPath string!; Node *any; Name string!; RestartCount int!;
  Driver string!; Platform string!; MountLabel string!; ProcessLabel string!;
  AppArmorProfile string!; ExecIDs []string!; HostConfig *any!; GraphDriver any!;
  SizeRw *int64; SizeRootFs *int64 }
types.ContainerState { Status string!; Running bool!; Paused bool!; Restarting bool!;
  OOMKilled bool!; Dead bool!; Pid int!; ExitCode int!; Error string!; StartedAt string!;
  FinishedAt string!; Health *any }
types.MountPoint { Type string; Name string; Source string!; Destination string!;
  Driver string; Mode string!; RW bool!; Propagation string! }
container.Config { Hostname string!; Domainname string!; User string!; AttachStdin bool!;
  AttachStdout bool!; AttachStderr bool!; ExposedPorts map[string]any; Tty bool!;
  OpenStdin bool!; StdinOnce bool!; Env []string!; Cmd []string!;
  Healthcheck *container.HealthConfig; ArgsEscaped bool; Image string!;
  Volumes map[string]any!; WorkingDir string!; Entrypoint []string!; NetworkDisabled bool;
  MacAddress string; OnBuild []string!; Labels map[string]string!; StopSignal string;
  StopTimeout *int; Shell []string }
"""

# Which struct each kind of object is, as the CLI decodes it.
OBJECT_TYPES = {
    "service": "swarm.Service",
    "node": "swarm.Node",
    "task": "swarm.Task",
    "secret": "swarm.Secret",
    "config": "swarm.Config",
    "container": "types.ContainerJSON",
    "network": "types.NetworkResource",
}


# -- the declarations -------------------------------------------------------------------------

# A type: ("ptr", T) ("slice", T) ("map", T) ("struct", name) or ("basic", name).
GoType = tuple
BASIC = {"string", "bool", "int", "int64", "uint64", "uint32", "float32", "bytes", "any"}
BASIC |= {"time.Time", "time.Duration", "os.FileMode"}


@dataclass(frozen=True)
class Field:
    name: str
    key: str  # its JSON key
    type: GoType
    omitempty: bool
    embedded: bool


def parse_type(text: str) -> GoType:
    if text.startswith("*"):
        return ("ptr", parse_type(text[1:]))
    if text == "[]byte":
        return ("basic", "bytes")
    if text.startswith("[]"):
        return ("slice", parse_type(text[2:]))
    if text.startswith("map[string]"):
        return ("map", parse_type(text[len("map[string]") :]))
    return ("basic", text) if text in BASIC else ("struct", text)


def _declare(text: str) -> dict[str, list[Field]]:
    structs: dict[str, list[Field]] = {}
    for m in re.finditer(r"([\w.]+)\s*\{([^}]*)\}", text):
        fields: list[Field] = []
        for decl in (d.strip() for d in m.group(2).split(";")):
            if not decl:
                continue
            always = decl.endswith("!")
            decl = decl.rstrip("!")
            parts = decl.split()
            if len(parts) == 1:  # embedded
                t = parse_type(parts[0])
                name = parts[0].lstrip("*").rsplit(".", 1)[-1]
                fields.append(Field(name, "", t, False, True))
                continue
            name, _, key = parts[0].partition(":")
            fields.append(Field(name, key or name, parse_type(parts[1]), not always, False))
        structs[m.group(1)] = fields
    return structs


STRUCTS = _declare(DECLARATIONS)


def type_name(t: GoType) -> str:
    kind, inner = t
    if kind == "ptr":
        return "*" + type_name(inner)
    if kind == "slice":
        return "[]" + type_name(inner)
    if kind == "map":
        return "map[string]" + type_name(inner)
    return {"bytes": "[]uint8", "any": "interface {}"}.get(inner, inner)


# -- values -----------------------------------------------------------------------------------


class GoFieldError(Exception):
    """The typed run cannot go on (the CLI then runs the template on the raw JSON)."""


MISSING: Any = object()  # a key the JSON does not have


class GoValue:
    """A value of a Go type: its JSON (MISSING for the zero value), seen through the type."""

    __slots__ = ("type", "raw")

    def __init__(self, go_type: GoType | str, raw: Any) -> None:
        self.type = ("struct", go_type) if isinstance(go_type, str) else go_type
        self.raw = raw

    @property
    def go_type(self) -> str:
        return type_name(self.type)

    def _nil(self) -> bool:
        return self.raw is MISSING or self.raw is None

    # fields

    def go_field(self, name: str) -> Any:
        kind, inner = self.type
        if kind == "ptr":
            if self._nil():
                raise GoFieldError(f"nil pointer evaluating {self.go_type}.{name}")
            return GoValue(inner, self.raw).go_field(name)
        if kind == "map":
            if isinstance(self.raw, dict) and name in self.raw:
                return GoValue(inner, self.raw[name])
            return None  # Go's invalid value: "<no value>"
        if kind == "basic" and inner == "any":
            if isinstance(self.raw, dict) and name in self.raw:
                return GoValue(("basic", "any"), self.raw[name])
            raise GoFieldError(f"map has no entry for key {name!r}")
        if kind != "struct":
            raise GoFieldError(f"can't evaluate field {name} in type {self.go_type}")
        found = _lookup(inner, name)
        if found is None:
            raise GoFieldError(f"can't evaluate field {name} in type {self.go_type}")
        field, via_pointer = found
        if via_pointer and self._nil():
            raise GoFieldError(f"nil pointer evaluating {self.go_type}.{name}")
        raw = self.raw.get(field.key, MISSING) if isinstance(self.raw, dict) else MISSING
        return GoValue(field.type, raw)

    # what templates do with it

    def go_truth(self) -> bool:
        kind, inner = self.type
        if kind == "ptr":
            return not self._nil()
        if kind == "struct" or inner == "time.Time":
            return True
        if self._nil():
            return False
        if kind in ("slice", "map") or inner in ("string", "bytes"):
            return len(self.raw) > 0
        return bool(self.raw)

    def go_items(self) -> list[tuple[Any, Any]] | None:
        kind, inner = self.type
        if kind == "slice":
            return [(i, GoValue(inner, v)) for i, v in enumerate([] if self._nil() else self.raw)]
        if kind == "map":
            raw = self.raw if isinstance(self.raw, dict) else {}
            return [(k, GoValue(inner, raw[k])) for k in sorted(raw)]
        return None

    def plain(self) -> Any:
        """The value as the template's functions take it."""
        kind, inner = self.type
        if kind == "ptr":
            return None if self._nil() else GoValue(inner, self.raw).plain()
        if kind == "slice":
            return [GoValue(inner, v).plain() for v in ([] if self._nil() else self.raw)]
        if kind == "map":
            raw = self.raw if isinstance(self.raw, dict) else {}
            return {k: GoValue(inner, v).plain() for k, v in raw.items()}
        return self.go_json_value()

    def go_index(self, key: Any) -> Any:
        """The `index` function: an element, still typed."""
        kind, inner = self.type
        if kind == "slice":
            return GoValue(inner, ([] if self._nil() else self.raw)[key])
        if kind == "map":
            raw = self.raw if isinstance(self.raw, dict) else {}
            return GoValue(inner, raw[key]) if key in raw else GoValue(inner, MISSING)
        raise TypeError(f"can't index item of type {self.go_type}")

    def go_printed(self) -> str:
        """text/template's printing: a pointer is followed, then fmt's %v."""
        kind, inner = self.type
        if kind == "ptr":
            return "<nil>" if self._nil() else GoValue(inner, self.raw).go_printed()
        return _sprint(self.type, self.raw)

    def go_json_value(self) -> Any:
        return _marshal(self.type, self.raw)


def _lookup(struct: str, name: str) -> tuple[Field, bool] | None:
    """The field `name` of a struct or, promoted, of a struct it embeds (breadth first, as
    Go finds them); whether an embedded pointer lies on the way."""
    fields = STRUCTS.get(struct, [])
    for f in fields:
        if not f.embedded and f.name == name:
            return f, False
    for f in fields:
        if f.embedded:
            t = f.type
            pointer = t[0] == "ptr"
            if pointer:
                t = t[1]
            found = _lookup(t[1], name)
            if found is not None:
                return found[0], pointer or found[1]
    return None


# -- fmt's %v ---------------------------------------------------------------------------------


def _address(t: GoType, raw: Any) -> str:
    """A pointer printed inside a value: an address, as a Go heap address looks."""
    n = zlib.crc32(repr((t, raw)).encode()) & 0xFFFFF8
    return f"0xc000{n:06x}"


def _sprint(t: GoType, raw: Any) -> str:
    kind, inner = t
    nil = raw is MISSING or raw is None
    if kind == "ptr":
        return "<nil>" if nil else _address(inner, raw)
    if kind == "slice":
        return "[" + " ".join(_sprint(inner, v) for v in ([] if nil else raw)) + "]"
    if kind == "map":
        items = {} if nil or not isinstance(raw, dict) else raw
        return "map[" + " ".join(f"{k}:{_sprint(inner, items[k])}" for k in sorted(items)) + "]"
    if kind == "struct":
        parts = []
        for f in STRUCTS.get(inner, []):
            if f.embedded:
                parts.append(_sprint(f.type, MISSING if nil else raw))
            else:
                value = MISSING if nil or not isinstance(raw, dict) else raw.get(f.key, MISSING)
                parts.append(_sprint(f.type, value))
        return "{" + " ".join(parts) + "}"
    return _sprint_basic(inner, raw, nil)


def _sprint_basic(name: str, raw: Any, nil: bool) -> str:
    if name == "any":
        return "<nil>" if nil else go_print(raw)
    if name == "string":
        return "" if nil else str(raw)
    if name == "bool":
        return "true" if not nil and raw else "false"
    if name == "time.Time":
        return time_string(parse_rfc3339(ZERO_TIME if nil else raw))
    if name == "time.Duration":
        return format_duration(0 if nil else int(raw))
    if name == "os.FileMode":
        return file_mode(0 if nil else int(raw))
    if name == "bytes":
        data = b"" if nil else base64.b64decode(raw)
        return "[" + " ".join(str(b) for b in data) + "]"
    if nil:
        return "0"
    return go_print(raw)


def file_mode(mode: int) -> str:
    """os.FileMode.String() of a plain file's permissions: -r--r--r--."""
    out = "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    return "-" + out


# -- encoding/json ----------------------------------------------------------------------------


def _marshal(t: GoType, raw: Any) -> Any:
    kind, inner = t
    nil = raw is MISSING or raw is None
    if kind == "ptr":
        return None if nil else _marshal(inner, raw)
    if kind == "slice":
        return None if nil else [_marshal(inner, v) for v in raw]
    if kind == "map":
        if nil or not isinstance(raw, dict):
            return None
        return JsonMap({k: _marshal(inner, v) for k, v in raw.items()})
    if kind == "struct":
        out: dict[str, Any] = JsonStruct()
        _marshal_fields(inner, raw if isinstance(raw, dict) else {}, out)
        if isinstance(raw, dict):  # what our structs do not declare is kept as it came
            for k, v in raw.items():
                if k not in out and not _declared(inner, k):
                    out[k] = v
        return out
    if not nil:
        return raw
    return {
        "string": "",
        "bool": False,
        "time.Time": ZERO_TIME,
        "any": None,
        "bytes": None,
    }.get(inner, 0)


def _marshal_fields(struct: str, raw: dict, out: dict[str, Any]) -> None:
    for f in STRUCTS.get(struct, []):
        if f.embedded:
            t = f.type[1] if f.type[0] == "ptr" else f.type
            _marshal_fields(t[1], raw, out)
            continue
        value = raw.get(f.key, MISSING)
        if f.omitempty and _empty(f.type, value):
            continue
        out[f.key] = _marshal(f.type, value)


def _declared(struct: str, key: str) -> bool:
    for f in STRUCTS.get(struct, []):
        if f.embedded:
            t = f.type[1] if f.type[0] == "ptr" else f.type
            if _declared(t[1], key):
                return True
        elif f.key == key:
            return True
    return False


def _empty(t: GoType, raw: Any) -> bool:
    """encoding/json's omitempty: false, 0, "", a nil pointer, an empty slice or map; a
    struct (a time too) is never empty."""
    kind, inner = t
    if raw is MISSING or raw is None:
        return kind != "struct" and inner != "time.Time"
    if kind in ("slice", "map") or inner in ("string", "bytes"):
        return len(raw) == 0
    if kind == "basic" and inner not in ("time.Time", "any"):
        return not raw
    return False
