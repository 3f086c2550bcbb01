"""docker ps | container ls, logs, exec, rm, kill, stop: a host's own containers."""

from __future__ import annotations

from ... import shlang
from ...daemonerror import DaemonError
from ...engineapi.streams import STDOUT, read_frames
from ...gocompat import human_duration, rfc3339nano
from ...job import Interrupted
from ..client import seg
from ..parse import Invocation
from . import CommandError, Context, Terminal, command, for_each
from .rows import format_rows, parse_filters
from .tasks import strip_digest

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
        # Truncated, a swarm task's pinned image shows without its digest.
        return strip_digest(self.c["Image"]) if self.trunc else self.c["Image"]

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


@command("docker ps", "docker container ls")
def ps(inv: Invocation, ctx: Context) -> int:
    filters = parse_filters(inv.values("filter"))
    containers = ctx.client.get("/containers/json", all=bool(inv.get("all")), filters=filters)
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
    query = {
        "follow": bool(inv.get("follow")),
        "stderr": True,
        "stdout": True,
        "tail": inv.get("tail", "all"),
        "timestamps": bool(inv.get("timestamps")),
    }
    resp = ctx.client.request("GET", f"/containers/{seg(inv.args[0])}/logs", query)

    def show(data: bytes) -> bytes:
        frames, rest = read_frames(data)
        for kind, payload in frames:
            (ctx.write if kind == STDOUT else ctx.ewrite)(shlang.from_bytes(payload))
        return rest

    pending = show(resp.body)
    while resp.stream is not None:
        ctx.client.sleep(LOGS_POLL)
        data, ended = ctx.client.on_host(lambda _d, s=resp.stream: s.poll())
        pending = show(pending + data)
        if ended:
            break
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
    created = client.post(
        f"/containers/{seg(ref)}/exec",
        {
            "AttachStdin": keyboard is not None,
            "AttachStdout": True,
            "AttachStderr": True,
            "Tty": tty,
            "Cmd": argv,
        },
    )
    exec_id = created["Id"]
    if inv.get("detach"):
        client.post(f"/exec/{exec_id}/start", {"Detach": True, "Tty": tty})
        return 0
    stream = client.request(
        "POST",
        f"/exec/{exec_id}/start",
        body={"Detach": False, "Tty": tty},
        headers={"Connection": "Upgrade", "Upgrade": "tcp"},
    ).stream
    try:
        client.on_host(lambda _d: stream.start(ctx.stdin if interactive else None))
    except DaemonError as exc:
        if exc.message.startswith("OCI runtime exec failed"):
            ctx.eprint(exc.message)  # it comes on the stream, not as the API's error
            return 126
        raise
    while True:
        state = client.on_host(lambda _d: stream.poll())
        for kind, text in state["Output"]:
            # with a terminal (-t) both streams reach it as one, as docker's do
            (ctx.write if kind == "out" or tty else ctx.ewrite)(text)
        if state["ExitCode"] is not None:
            return state["ExitCode"]
        if state["Waiting"] is not None:
            prompt, secret = state["Waiting"]
            line = _typed(ctx, keyboard, prompt, secret)
            client.on_host(lambda _d, line=line: stream.send(line))
            continue
        try:
            client.sleep(EXEC_POLL)
        except Interrupted:
            if not tty:
                raise  # docker itself gets the SIGINT; the process goes on
            client.on_host(lambda _d: stream.signal())  # the container's terminal gets ^C


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
    return for_each(
        ctx, inv.args, lambda ref: ctx.client.delete(f"/containers/{seg(ref)}", force=force)
    )


@command("docker kill", "docker container kill")
def kill(inv: Invocation, ctx: Context) -> int:
    return for_each(ctx, inv.args, lambda ref: ctx.client.post(f"/containers/{seg(ref)}/kill"))


@command("docker stop", "docker container stop")
def stop(inv: Invocation, ctx: Context) -> int:
    return for_each(ctx, inv.args, lambda ref: ctx.client.post(f"/containers/{seg(ref)}/stop"))
