"""docker info, docker version."""

from __future__ import annotations

from ... import engine
from ...gocompat import GoError, human_duration, map_order, parse_rfc3339
from ..format import bytes_size
from ..parse import Invocation
from ..template import GoStruct, Template, TemplateError
from . import CommandError, Context, command


def render_format(fmt: str, data: object, ctx: Context, name: str = "") -> None:
    """`info` and `version` with --format: a template that does not parse is a usage
    error (status 64); one that fails has written what it could, and a newline."""
    if fmt == "json":
        fmt = "{{json .}}"
    try:
        tmpl = Template(fmt, name=name)
    except TemplateError as exc:
        raise CommandError(f"template parsing error: {exc}", 64) from None
    try:
        ctx.print(tmpl.execute(data))
    except TemplateError as exc:
        ctx.print(exc.partial)
        raise CommandError(str(exc)) from None


@command("docker info", "docker system info")
def info(inv: Invocation, ctx: Context) -> int:
    data = ctx.client.get("/info")
    if inv.has("format"):
        client = GoStruct("*system.clientInfo", engine.CLIENT_INFO)
        render_format(
            inv.get("format"), GoStruct("system.dockerInfo", data, ClientInfo=client), ctx
        )
        return 0
    out = [
        "Client:",
        f" Version:    {engine.CLIENT_VERSION}",
        " Context:    default",
        " Debug Mode: false",
        "",
        "Server:",
        f" Containers: {data['Containers']}",
        f"  Running: {data['ContainersRunning']}",
        f"  Paused: {data['ContainersPaused']}",
        f"  Stopped: {data['ContainersStopped']}",
        f" Images: {data['Images']}",
        f" Server Version: {data['ServerVersion']}",
        f" Storage Driver: {data['Driver']}",
    ]
    out += [f"  {k}: {v}" for k, v in data["DriverStatus"]]
    out += [
        f" Logging Driver: {data['LoggingDriver']}",
        f" Cgroup Driver: {data['CgroupDriver']}",
        f" Cgroup Version: {data['CgroupVersion']}",
        " Plugins:",
        "  Volume: " + " ".join(data["Plugins"]["Volume"]),
        "  Network: " + " ".join(data["Plugins"]["Network"]),
        "  Log: " + " ".join(data["Plugins"]["Log"]),
        f" Swarm: {data['Swarm']['LocalNodeState']}",
    ]
    out += swarm_lines(data["Swarm"])
    out += [
        " Runtimes: " + " ".join(map_order(sorted(data["Runtimes"]), ctx.rng)),
        f" Default Runtime: {data['DefaultRuntime']}",
        f" Init Binary: {data['InitBinary']}",
        f" containerd version: {data['ContainerdCommit']['ID']}",
        f" runc version: {data['RuncCommit']['ID']}",
        f" init version: {data['InitCommit']['ID']}",
        " Security Options:",
    ]
    for opt in data["SecurityOptions"]:
        fields = dict(kv.split("=", 1) for kv in opt.split(","))
        out.append(f"  {fields.pop('name')}")
        out += [f"   {k.title()}: {v}" for k, v in fields.items()]
    out += [
        f" Kernel Version: {data['KernelVersion']}",
        f" Operating System: {data['OperatingSystem']}",
        f" OSType: {data['OSType']}",
        f" Architecture: {data['Architecture']}",
        f" CPUs: {data['NCPU']}",
        f" Total Memory: {bytes_size(data['MemTotal'])}",
        f" Name: {data['Name']}",
        f" ID: {data['ID']}",
        f" Docker Root Dir: {data['DockerRootDir']}",
        " Debug Mode: false",
        " Experimental: false",
        " Insecure Registries:",
    ]
    out += [f"  {cidr}" for cidr in data["RegistryConfig"]["InsecureRegistryCIDRs"]]
    out += [" Live Restore Enabled: false", ""]
    ctx.print("\n".join(out))
    for warning in data.get("Warnings") or []:
        ctx.eprint(warning)
    return 0


def swarm_lines(swarm: dict) -> list[str]:
    """The swarm part of `docker info` (cli/command/system/info.go printSwarmInfo)."""
    if swarm["LocalNodeState"] in ("inactive", "locked"):
        return []
    out = [f"  NodeID: {swarm['NodeID']}"]
    if swarm.get("Error"):
        out.append(f"  Error: {swarm['Error']}")
    out.append(f"  Is Manager: {'true' if swarm['ControlAvailable'] else 'false'}")
    cluster = swarm.get("Cluster")
    if cluster and swarm["ControlAvailable"] and not swarm.get("Error"):
        spec = cluster["Spec"]
        out += [
            f"  ClusterID: {cluster['ID']}",
            f"  Managers: {swarm['Managers']}",
            f"  Nodes: {swarm['Nodes']}",
        ]
        if cluster.get("DefaultAddrPool"):
            out.append(
                "  Default Address Pool: " + "".join(p + "  " for p in cluster["DefaultAddrPool"])
            )
            out.append(f"  SubnetSize: {cluster['SubnetSize']}")
        if cluster.get("DataPathPort"):
            out.append(f"  Data Path Port: {cluster['DataPathPort']}")
        raft = spec["Raft"]
        out += [
            "  Orchestration:",
            "   Task History Retention Limit: "
            f"{spec['Orchestration'].get('TaskHistoryRetentionLimit', 0)}",
            "  Raft:",
            f"   Snapshot Interval: {raft['SnapshotInterval']}",
        ]
        if raft.get("KeepOldSnapshots") is not None:
            out.append(f"   Number of Old Snapshots to Retain: {raft['KeepOldSnapshots']}")
        out += [
            f"   Heartbeat Tick: {raft['HeartbeatTick']}",
            f"   Election Tick: {raft['ElectionTick']}",
            "  Dispatcher:",
            f"   Heartbeat Period: {human_duration(spec['Dispatcher']['HeartbeatPeriod'] / 1e9)}",
            "  CA Configuration:",
            f"   Expiry Duration: {human_duration(spec['CAConfig']['NodeCertExpiry'] / 1e9)}",
            f"   Force Rotate: {spec['CAConfig'].get('ForceRotate', 0)}",
            f"  Autolock Managers: {str(spec['EncryptionConfig']['AutoLockManagers']).lower()}",
            f"  Root Rotation In Progress: {str(cluster['RootRotationInProgress']).lower()}",
        ]
    out.append(f"  Node Address: {swarm['NodeAddr']}")
    managers = sorted(m["Addr"] for m in swarm.get("RemoteManagers") or [])
    if managers:
        out.append("  Manager Addresses:")
        out += [f"   {m}" for m in managers]
    return out


VERSION_TEMPLATE = (
    "Client:\n"
    " Version:\t{v}\n"
    " API version:\t{api}{downgraded}\n"
    " Go version:\t" + engine.CLIENT_GO_VERSION + "\n"
    " Git commit:\t" + engine.CLIENT_GIT_COMMIT + "\n"
    " Built:\t" + engine.CLIENT_BUILT + "\n"
    " OS/Arch:\tlinux/amd64\n"
    " Context:\tdefault"
)


@command("docker version")
def version(inv: Invocation, ctx: Context) -> int:
    server = ctx.client.get("/version")
    api = server["ApiVersion"]
    client = {
        "Platform": {"Name": ""},
        "Version": engine.CLIENT_VERSION,
        "ApiVersion": api,
        "DefaultAPIVersion": engine.CLIENT_API_VERSION,
        "GitCommit": engine.CLIENT_GIT_COMMIT,
        "GoVersion": engine.CLIENT_GO_VERSION,
        "Os": "linux",
        "Arch": "amd64",
        "BuildTime": engine.CLIENT_BUILT,
        "Context": "default",
    }
    if inv.has("format"):
        data = GoStruct("system.versionInfo", Client=GoStruct("system.clientVersion", client))
        data["Server"] = server
        render_format(inv.get("format"), data, ctx, name="version")
        return 0
    downgraded = (
        f" (downgraded from {engine.CLIENT_API_VERSION})"
        if api != engine.CLIENT_API_VERSION
        else ""
    )
    lines = [
        VERSION_TEMPLATE.format(v=engine.CLIENT_VERSION, api=api, downgraded=downgraded),
        "",
        "Server:",
    ]
    for comp in server["Components"]:
        lines.append(f" {comp['Name']}:")
        d = comp["Details"]
        if comp["Name"] == "Engine":
            try:
                built = _ansic(parse_rfc3339(d["BuildTime"].replace("+00:00", "Z")))
            except GoError:
                built = d["BuildTime"]
            lines += [
                f"  Version:\t{comp['Version']}",
                f"  API version:\t{d['ApiVersion']} (minimum version {d['MinAPIVersion']})",
                f"  Go version:\t{d['GoVersion']}",
                f"  Git commit:\t{d['GitCommit']}",
                f"  Built:\t{built}",
                f"  OS/Arch:\t{d['Os']}/{d['Arch']}",
                f"  Experimental:\t{d['Experimental']}",
            ]
        else:
            if comp["Version"]:
                lines.append(f"  Version:\t{comp['Version']}")
            lines += [f"  {k}:\t{v}" for k, v in sorted(d.items())]
    text = "\n".join(lines)
    from ..format import table

    ctx.write(table([line.split("\t") for line in text.split("\n")], minwidth=20, padding=1))
    return 0


def _ansic(seconds: float) -> str:
    import datetime as dt

    t = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S %Y")
