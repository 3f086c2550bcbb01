"""docker ps | container ls, logs, exec, rm, kill, stop: a host's own containers."""

from __future__ import annotations

from ...daemon import DaemonError
from ...gocompat import human_duration, rfc3339nano
from ...job import Interrupted
from ..parse import Invocation
from . import CommandError, Context, Terminal, command, for_each
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
        return displayable_ports(self.c.get("Ports") or [])

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


def displayable_ports(ports: list[dict]) -> str:
    """The PORTS column (the CLI's DisplayablePorts): consecutive ports of a kind merged
    into ranges ("80/tcp", "8000-8001/tcp"), published ones as "0.0.0.0:8080->80/tcp"."""
    ports = sorted(
        ports,
        key=lambda p: (p["PrivatePort"], p.get("IP", ""), p.get("PublicPort", 0), p["Type"]),
    )
    groups: dict[str, list[int]] = {}  # key -> [first, last], in the order first seen
    result: list[str] = []
    mappings: list[str] = []

    def form(key: str, first: int, last: int) -> str:
        ip, _, kind = key.rpartition("/")
        span = str(first) if first == last else f"{first}-{last}"
        return (f"{ip}:{span}->{span}" if ip else span) + "/" + kind

    for p in ports:
        port, key = p["PrivatePort"], p["Type"]
        if p.get("IP"):
            if p.get("PublicPort") != port:
                host = f"[{p['IP']}]" if ":" in p["IP"] else p["IP"]
                mappings.append(f"{host}:{p.get('PublicPort')}->{port}/{p['Type']}")
                continue
            key = f"{p['IP']}/{p['Type']}"
        group = groups.get(key)
        if group is None:
            groups[key] = [port, port]
        elif port == group[1] + 1:
            group[1] = port
        else:
            result.append(form(key, group[0], group[1]))
            groups[key] = [port, port]
    result += [form(key, first, last) for key, (first, last) in groups.items()]
    return ", ".join(result + mappings)


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
    """A container's logs; with -f, the lines it goes on writing, until it stops (or
    Ctrl-C)."""
    ref = inv.args[0]
    state = ctx.client.call("api_container_logs", ref)
    lines = state["Logs"]
    tail = inv.get("tail", "all")
    if tail != "all" and tail.lstrip("-").isdigit() and int(tail) >= 0:
        lines = lines[len(lines) - int(tail) :] if int(tail) else []

    def show(entries: list) -> None:
        for when, stream, line in entries:
            text = (rfc3339nano(when) + " " if inv.get("timestamps") else "") + line
            (ctx.print if stream == "stdout" else ctx.eprint)(text)

    show(lines)
    seen = len(state["Logs"])
    while inv.get("follow") and state["Running"]:
        ctx.client.sleep(LOGS_POLL)
        state = ctx.client.call("api_container_logs", ref)
        show(state["Logs"][seen:])
        seen = len(state["Logs"])
    return 0


LOGS_POLL = 0.25  # how often `logs -f` looks for new lines


EXEC_POLL = 0.05  # how often the CLI reads an exec's output stream


@command("docker exec", "docker container exec")
def exec_(inv: Invocation, ctx: Context) -> int:
    """Run a command in a running container: its output streams as it comes; with -it a
    shell (or mysql, redis-cli …) takes the terminal until it ends."""
    ref, *argv = inv.args
    tty, interactive = bool(inv.get("tty")), bool(inv.get("interactive"))
    keyboard = ctx.terminal if interactive and ctx.stdin is None else None
    if tty and interactive and keyboard is None:
        raise CommandError("the input device is not a TTY")
    client = ctx.client
    exec_id = client.call("api_exec_create", ref, argv, tty, keyboard is not None)
    if inv.get("detach"):
        client.call("api_exec_start", exec_id, None)
        return 0
    try:
        client.call("api_exec_start", exec_id, ctx.stdin if interactive else None)
    except DaemonError as exc:
        if exc.message.startswith("OCI runtime exec failed"):
            ctx.eprint(exc.message)  # it comes on the stream, not as the API's error
            return 126
        raise
    seen = 0
    while True:
        state = client.call("api_exec_poll", exec_id, seen)
        for stream, text in state["Output"]:
            # with a terminal (-t) both streams reach it as one, as docker's do
            (ctx.write if stream == "out" or tty else ctx.ewrite)(text)
        seen += len(state["Output"])
        if state["ExitCode"] is not None:
            return state["ExitCode"]
        if state["Waiting"] is not None:
            prompt, secret = state["Waiting"]
            client.call("api_exec_input", exec_id, _typed(ctx, keyboard, prompt, secret))
            continue
        try:
            client.sleep(EXEC_POLL)
        except Interrupted:
            if not tty:
                raise  # docker itself gets the SIGINT; the process goes on
            client.call("api_exec_signal", exec_id)  # the container's terminal gets ^C


def _typed(ctx: Context, keyboard: Terminal | None, prompt: str, secret: bool) -> str | None:
    """A line for the process: typed at its prompt (Ctrl-C there gives a fresh prompt, as
    a shell does), or the end of input when nothing can be typed."""
    if keyboard is None:
        return None
    while True:
        try:
            return keyboard.read_line(prompt, secret)
        except EOFError:
            return None
        except Interrupted:
            continue


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
