"""docker ps | container ls, logs, exec, rm, kill, stop: a host's own containers."""

from __future__ import annotations

from ...gocompat import human_duration, rfc3339nano
from ..parse import Invocation
from . import Context, command, for_each
from .node import format_rows, parse_filters

PS_HEADERS = {
    "ID": "CONTAINER ID",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED",
    "Status": "STATUS",
    "Ports": "PORTS",
    "Names": "NAMES",
    "State": "STATE",
    "Labels": "LABELS",
}
PS_TABLE = (
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t"
    "{{.Ports}}\\t{{.Names}}"
)


class ContainerRow:
    go_type = "*formatter.ContainerContext"

    def __init__(self, c: dict, now: float, trunc: bool) -> None:
        self.c = c
        self.now = now
        self.trunc = trunc

    def ID(self) -> str:  # noqa: N802
        return self.c["Id"][:12] if self.trunc else self.c["Id"]

    def Image(self) -> str:  # noqa: N802
        return self.c["Image"]

    def Command(self) -> str:  # noqa: N802
        cmd = self.c["Command"]
        if self.trunc and len(cmd) > 20:
            cmd = cmd[:19] + "…"
        return f'"{cmd}"'

    def RunningFor(self) -> str:  # noqa: N802
        return human_duration(self.now - self.c["Created"]) + " ago"

    def CreatedAt(self) -> str:  # noqa: N802
        return rfc3339nano(self.c["Created"])

    def Status(self) -> str:  # noqa: N802
        return self.c["Status"]

    def State(self) -> str:  # noqa: N802
        return self.c["State"]

    def Ports(self) -> str:  # noqa: N802
        return ""

    def Names(self) -> str:  # noqa: N802
        return ",".join(n.lstrip("/") for n in self.c["Names"])

    def Labels(self) -> str:  # noqa: N802
        return ",".join(f"{k}={v}" for k, v in sorted(self.c["Labels"].items()))

    def Label(self, name: str) -> str:  # noqa: N802
        return self.c["Labels"].get(name, "")

    def to_json(self) -> dict:
        return {
            k: getattr(self, k)()
            for k in (
                "Command",
                "CreatedAt",
                "ID",
                "Image",
                "Labels",
                "Names",
                "Ports",
                "RunningFor",
                "State",
                "Status",
            )
        }


def _matches(c: dict, filters: dict[str, list[str]]) -> bool:
    for key, values in filters.items():
        if key == "name" and not any(v in c["Names"][0] for v in values):
            return False
        if key == "id" and not any(c["Id"].startswith(v) for v in values):
            return False
        if key == "status" and c["State"] not in values:
            return False
        if key == "label":
            for v in values:
                k, eq, val = v.partition("=")
                if k not in c["Labels"] or (eq and c["Labels"][k] != val):
                    return False
    return True


@command("docker ps", "docker container ls")
def ps(inv: Invocation, ctx: Context) -> int:
    containers = ctx.client.call("api_containers")
    filters = parse_filters(inv.values("filter"))
    if not inv.get("all") and "status" not in filters:
        containers = [c for c in containers if c["State"] == "running"]
    containers = [c for c in containers if _matches(c, filters)]
    containers.sort(key=lambda c: c["Created"], reverse=True)
    if inv.get("quiet"):
        for c in containers:
            ctx.print(c["Id"][:12] if not inv.get("no-trunc") else c["Id"])
        return 0
    now = ctx.client.now()
    rows = [ContainerRow(c, now, not inv.get("no-trunc")) for c in containers]
    format_rows(inv.get("format") or PS_TABLE, rows, PS_HEADERS, ctx)
    return 0


@command("docker logs", "docker container logs")
def logs(inv: Invocation, ctx: Context) -> int:
    lines = ctx.client.call("api_container_logs", inv.args[0])
    tail = inv.get("tail", "all")
    if tail != "all" and tail.lstrip("-").isdigit() and int(tail) >= 0:
        lines = lines[len(lines) - int(tail) :] if int(tail) else []
    for when, stream, line in lines:
        text = (rfc3339nano(when) + " " if inv.get("timestamps") else "") + line
        (ctx.print if stream == "stdout" else ctx.eprint)(text)
    return 0


@command("docker exec", "docker container exec")
def exec_(inv: Invocation, ctx: Context) -> int:
    ref, *argv = inv.args
    out, err, status = ctx.client.call("api_container_exec", ref, argv)
    ctx.write(out)
    ctx.ewrite(err)
    return status


@command("docker rm", "docker container rm")
def rm(inv: Invocation, ctx: Context) -> int:
    force = bool(inv.get("force"))
    return for_each(ctx, inv.args, lambda ref: ctx.client.call("api_container_remove", ref, force))


@command("docker kill", "docker container kill")
def kill(inv: Invocation, ctx: Context) -> int:
    return for_each(ctx, inv.args, lambda ref: ctx.client.call("api_container_kill", ref))


@command("docker stop", "docker container stop")
def stop(inv: Invocation, ctx: Context) -> int:
    return for_each(ctx, inv.args, lambda ref: ctx.client.call("api_container_stop", ref))
