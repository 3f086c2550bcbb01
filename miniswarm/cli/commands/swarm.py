"""docker swarm init | join | join-token | leave | update | ca."""

from __future__ import annotations

import copy

from ...daemonerror import DaemonError
from ..parse import Invocation
from . import CommandError, Context, command

AVAILABILITIES = ("active", "pause", "drain")


def _check_availability(value: str | None) -> None:
    if value is not None and value.lower() not in AVAILABILITIES:
        raise CommandError(
            f'invalid availability "{value}", only active, pause and drain are supported'
        )


def _spec_flags(inv: Invocation) -> dict:
    """The swarm spec fields the flags of init and update set (only the flags given)."""
    spec: dict = {}
    if inv.has("task-history-limit"):
        spec.setdefault("Orchestration", {})["TaskHistoryRetentionLimit"] = inv.get(
            "task-history-limit"
        )
    if inv.has("dispatcher-heartbeat"):
        spec.setdefault("Dispatcher", {})["HeartbeatPeriod"] = inv.get("dispatcher-heartbeat")
    if inv.has("cert-expiry"):
        spec.setdefault("CAConfig", {})["NodeCertExpiry"] = inv.get("cert-expiry")
    if inv.has("snapshot-interval"):
        spec.setdefault("Raft", {})["SnapshotInterval"] = inv.get("snapshot-interval")
    if inv.has("max-snapshots"):
        spec.setdefault("Raft", {})["KeepOldSnapshots"] = inv.get("max-snapshots")
    return spec


def join_command(role: str, token: str, addr: str) -> str:
    return (
        f"To add a {role} to this swarm, run the following command:\n\n"
        f"    docker swarm join --token {token} {addr}\n"
    )


def unlock_block(key: str) -> str:
    return (
        "To unlock a swarm manager after it restarts, run the `docker swarm unlock`\n"
        "command and provide the following key:\n\n"
        f"    {key}\n\n"
        "Remember to store this key in a password manager, since without it you\n"
        "will not be able to restart the manager.\n"
    )


@command("docker swarm init")
def init(inv: Invocation, ctx: Context) -> int:
    _check_availability(inv.get("availability"))
    req = {
        "ListenAddr": inv.get("listen-addr", "0.0.0.0:2377"),
        "AdvertiseAddr": inv.get("advertise-addr", ""),
        "ForceNewCluster": inv.get("force-new-cluster", False),
        "Spec": _spec_flags(inv),
        "AutoLockManagers": inv.get("autolock", False),
        "Availability": inv.get("availability", "active"),
    }
    node_id = ctx.client.post("/swarm/init", req)
    node = ctx.client.get(f"/nodes/{node_id}")
    swarm = ctx.client.get("/swarm")
    ctx.print(f"Swarm initialized: current node ({node_id}) is now a manager.\n")
    ctx.print(join_command("worker", swarm["JoinTokens"]["Worker"], node["ManagerStatus"]["Addr"]))
    ctx.print(
        "To add a manager to this swarm, run 'docker swarm join-token manager' and follow "
        "the instructions."
    )
    if req["AutoLockManagers"]:
        ctx.write(unlock_block(ctx.client.get("/swarm/unlockkey")["UnlockKey"]))
    return 0


def join_request(
    token: str,
    remote: str,
    listen: str = "0.0.0.0:2377",
    advertise: str = "",
    availability: str = "active",
) -> dict:
    """The body of POST /swarm/join, as `docker swarm join` sends it."""
    return {
        "JoinToken": token,
        "RemoteAddrs": [remote],
        "ListenAddr": listen,
        "AdvertiseAddr": advertise,
        "Availability": availability,
    }


@command("docker swarm join")
def join(inv: Invocation, ctx: Context) -> int:
    _check_availability(inv.get("availability"))
    req = join_request(
        inv.get("token", ""),
        inv.args[0],
        inv.get("listen-addr", "0.0.0.0:2377"),
        inv.get("advertise-addr", ""),
        inv.get("availability", "active"),
    )
    ctx.client.post("/swarm/join", req)
    info = ctx.client.get("/info")
    role = "manager" if info["Swarm"]["ControlAvailable"] else "worker"
    ctx.print(f"This node joined a swarm as a {role}.")
    return 0


@command("docker swarm join-token")
def join_token(inv: Invocation, ctx: Context) -> int:
    role = inv.args[0]
    if role not in ("worker", "manager"):
        raise CommandError(f"unknown role {role}")
    client = ctx.client
    if inv.get("rotate"):
        swarm = client.get("/swarm")
        client.post(
            "/swarm/update",
            swarm["Spec"],
            version=swarm["Version"]["Index"],
            rotateWorkerToken=role == "worker",
            rotateManagerToken=role == "manager",
            rotateManagerUnlockKey=False,
        )
    swarm = client.get("/swarm")
    token = swarm["JoinTokens"]["Worker" if role == "worker" else "Manager"]
    if inv.get("quiet"):
        ctx.print(token)
        return 0
    info = client.get("/info")
    node = client.get(f"/nodes/{info['Swarm']['NodeID']}")
    if inv.get("rotate"):
        ctx.print(f"Successfully rotated {role} join token.\n")
    ctx.print(join_command(role, token, node["ManagerStatus"]["Addr"]))
    return 0


@command("docker swarm leave")
def leave(inv: Invocation, ctx: Context) -> int:
    ctx.client.post("/swarm/leave", force=bool(inv.get("force")))
    ctx.print("Node left the swarm.")
    return 0


@command("docker swarm update")
def update(inv: Invocation, ctx: Context) -> int:
    if not inv.flags:
        from ..help import help_text

        ctx.write(help_text(inv.command, ctx.width))
        return 0
    swarm = ctx.client.get("/swarm")
    spec = copy.deepcopy(swarm["Spec"])
    for section, values in _spec_flags(inv).items():
        spec.setdefault(section, {}).update(values)
    was_locked = (swarm["Spec"].get("EncryptionConfig") or {}).get("AutoLockManagers")
    if inv.has("autolock"):
        spec["EncryptionConfig"] = {"AutoLockManagers": bool(inv.get("autolock"))}
    ctx.client.post(
        "/swarm/update",
        spec,
        version=swarm["Version"]["Index"],
        rotateWorkerToken=False,
        rotateManagerToken=False,
        rotateManagerUnlockKey=False,
    )
    ctx.print("Swarm updated.")
    if inv.get("autolock") and not was_locked:
        ctx.write(unlock_block(ctx.client.get("/swarm/unlockkey")["UnlockKey"]))
    return 0


@command("docker swarm unlock-key")
def unlock_key(inv: Invocation, ctx: Context) -> int:
    client = ctx.client
    if inv.get("rotate"):
        swarm = client.get("/swarm")
        if not (swarm["Spec"].get("EncryptionConfig") or {}).get("AutoLockManagers"):
            raise CommandError("cannot rotate because autolock is not turned on")
        client.post(
            "/swarm/update",
            swarm["Spec"],
            version=swarm["Version"]["Index"],
            rotateWorkerToken=False,
            rotateManagerToken=False,
            rotateManagerUnlockKey=True,
        )
    try:
        key = client.get("/swarm/unlockkey")["UnlockKey"]
    except DaemonError as exc:
        raise CommandError(
            f"could not fetch unlock key: Error response from daemon: {exc.message}"
        ) from None
    if not key:
        raise CommandError("no unlock key is set")
    if inv.get("quiet"):
        ctx.print(key)
        return 0
    if inv.get("rotate"):
        ctx.print("Successfully rotated manager unlock key.")
    ctx.write(unlock_block(key))
    return 0


@command("docker swarm unlock")
def unlock(inv: Invocation, ctx: Context) -> int:
    state = ctx.client.get("/info")["Swarm"]["LocalNodeState"]
    if state == "inactive":
        raise CommandError("Error: This node is not part of a swarm")
    if state != "locked":
        raise CommandError("Error: swarm is not locked")
    if ctx.stdin is None and ctx.terminal is not None:
        try:
            key = ctx.terminal.read_line("Enter unlock key: ", secret=True)  # no echo
        except EOFError:
            key = ""
    else:
        key = (ctx.stdin or "").split("\n", 1)[0]
    ctx.client.post("/swarm/unlock", {"UnlockKey": key})
    return 0


@command("docker swarm ca")
def swarm_ca(inv: Invocation, ctx: Context) -> int:
    for flag in ("ca-cert", "ca-key", "cert-expiry", "external-ca"):
        if inv.has(flag) and not inv.get("rotate"):
            raise CommandError(f"`--{flag}` flag requires the `--rotate` flag to update the CA")
    if inv.get("rotate"):
        raise CommandError("miniswarm: rotating the root CA is not part of this lab yet")
    swarm = ctx.client.get("/swarm")
    ctx.print(swarm["TLSInfo"]["TrustRoot"].strip())
    return 0
