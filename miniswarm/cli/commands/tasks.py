"""The task table of `docker service ps` and `docker node ps` (cli/command/task)."""

from __future__ import annotations

import functools

from ...daemonerror import DaemonError
from ...engineapi.encoding import through_json
from ...engineapi.router import picks_fields
from ...gocompat import human_duration, parse_rfc3339
from ..format import natural_key, pretty
from ..parse import Invocation
from . import Context
from .rows import format_rows, parse_filters

TASK_HEADERS = {
    "ID": "ID",
    "Name": "NAME",
    "Image": "IMAGE",
    "Node": "NODE",
    "DesiredState": "DESIRED STATE",
    "CurrentState": "CURRENT STATE",
    "Error": "ERROR",
    "Ports": "PORTS",
}
TASK_TABLE = (
    "table {{.ID}}\\t{{.Name}}\\t{{.Image}}\\t{{.Node}}\\t{{.DesiredState}}\\t"
    "{{.CurrentState}}\\t{{.Error}}\\t{{.Ports}}"
)
ERROR_WIDTH = 30
# Docker's IDResolver asks GET /nodes/{id} of each node its tasks are on. Past this many,
# one GET /nodes answers the very same names (a service on 1,000 nodes: not 1,000
# requests); a node no longer listed shows its ID, as its failed inspect does.
RESOLVE_BY_LIST = 16


def task_filters(inv: Invocation, ctx) -> dict[str, list[str]]:
    """--filter, with node=self made this node's ID (the CLI's node.Reference)."""
    filters = parse_filters(inv.values("filter"))
    if "self" in filters.get("node", []):
        me = ctx.client.get("/info")["Swarm"]["NodeID"]
        filters["node"] = [me if v == "self" else v for v in filters["node"]]
    return filters


def list_tasks(ctx: Context, filters: dict[str, list[str]], quiet: bool = False) -> list[dict]:
    """GET /tasks, keeping of each task what the table reads — or, `quiet`, what orders
    and names the IDs (the Go CLI decodes into swarm.Task structs; a whole decoded dict
    each would be 3 KB a task)."""
    return ctx.client.get_items("/tasks", _as_ordered if quiet else _as_listed, filters=filters)


@picks_fields("tasks")
def _as_ordered(task: dict) -> dict:
    """What `print_tasks` orders tasks by and names them with, in one flat dict (a list
    of 95,000 holds no dict within each)."""
    return {k: task[k] for k in ("ID", "ServiceID", "Slot", "NodeID", "CreatedAt") if k in task}


@picks_fields("tasks")
def _as_listed(task: dict) -> dict:
    """What `print_tasks` and a TaskRow read of a task: what orders it, its status's
    state, time, error and published ports, its image."""
    kept = _as_ordered(task)
    kept["DesiredState"] = task.get("DesiredState", "")
    status = task.get("Status") or {}
    kept["State"] = status.get("State", "")
    kept["Timestamp"] = status.get("Timestamp", "")
    if status.get("Err"):
        kept["Err"] = status["Err"]
    ports = (status.get("PortStatus") or {}).get("Ports")
    if ports:
        kept["Ports"] = through_json(ports)  # (the store's: a copy, as JSON gives it)
    kept["Image"] = ((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Image", "")
    return kept


def _node_name(node: dict) -> str:
    """What docker's IDResolver makes of a node: its name, else its hostname."""
    return node["Spec"].get("Name") or node["Description"]["Hostname"]


@picks_fields("nodes")
def _id_and_name(node: dict) -> list[str]:
    return [node["ID"], _node_name(node)]  # (a JSON array)


def strip_digest(image: str) -> str:
    return image.split("@", 1)[0]


# A task's times read back, kept for the next listing: students list a service again and
# again, and its tasks keep their CreatedAt and, mostly, their status's Timestamp.
_when = functools.lru_cache(maxsize=8192)(parse_rfc3339)


class TaskRow:
    """A task as the templates see it (taskContext)."""

    __slots__ = ("t", "name", "node", "now", "trunc")  # (a row each of 2,000: made quicker)
    go_type = "*task.taskContext"

    def __init__(self, task: dict, name: str, node: str, now: float, trunc: bool) -> None:
        self.t = task
        self.name = name
        self.node = node
        self.now = now
        self.trunc = trunc

    def ID(self) -> str:  # noqa: N802 - docker's template field names
        return self.t["ID"][:12] if self.trunc else self.t["ID"]

    def Name(self) -> str:  # noqa: N802
        return self.name

    def Image(self) -> str:  # noqa: N802
        image = self.t["Image"]
        return strip_digest(image) if self.trunc else image

    def Node(self) -> str:  # noqa: N802
        return self.node

    def DesiredState(self) -> str:  # noqa: N802
        return pretty(self.t["DesiredState"])

    def CurrentState(self) -> str:  # noqa: N802
        age = human_duration(self.now - _when(self.t["Timestamp"])).lower()
        return f"{pretty(self.t['State'])} {age} ago"

    def Error(self) -> str:  # noqa: N802
        err = self.t.get("Err", "")
        if not err:
            return ""
        if self.trunc and len(err) > ERROR_WIDTH:
            err = err[: ERROR_WIDTH - 1] + "…"
        return f'"{err}"'

    def Ports(self) -> str:  # noqa: N802
        ports = self.t.get("Ports")
        if not ports:  # (most tasks publish none: no generator made for them)
            return ""
        return ",".join(  # docker/cli's taskContext.Ports joins with a bare comma
            f"*:{p['PublishedPort']}->{p['TargetPort']}/{p.get('Protocol', 'tcp')}" for p in ports
        )

    def to_json(self) -> dict:  # (formatter.MarshalJSON: each field's value, by name)
        return {
            "CurrentState": self.CurrentState(),
            "DesiredState": self.DesiredState(),
            "Error": self.Error(),
            "ID": self.ID(),
            "Image": self.Image(),
            "Name": self.Name(),
            "Node": self.Node(),
            "Ports": self.Ports(),
        }


def task_name(service: str, task: dict) -> str:
    """The name a task is listed by: its service's and its slot, or its node's for a
    global service's task (the CLI's task.Name)."""
    return f"{service}.{task['Slot'] if task.get('Slot') else task.get('NodeID', '')}"


def name_key(service: str, task: dict, prefixes: dict[str, tuple]) -> tuple:
    """natural_key(task_name(service, task)), made of the key of the service's name (kept
    in `prefixes`) and the slot as it is: the name ends in a run of the slot's digits
    after the service's "." (no name made for each of 95,000 tasks, nor a place taken in
    natural_key's cache)."""
    slot = task.get("Slot")
    if not slot:
        return natural_key(task_name(service, task))
    prefix = prefixes.get(service)
    if prefix is None:
        prefix = prefixes[service] = natural_key(service + ".")
    return (*prefix, slot, "")


def print_tasks(ctx: Context, inv: Invocation, tasks: list[dict]) -> None:
    """Print tasks as docker does: sorted by name then newest first, the older tasks of a
    slot marked " \\_ ", names and nodes resolved (unless --no-resolve)."""
    client = ctx.client
    resolve = not inv.get("no-resolve")
    services: dict[str, str] = {}
    nodes: dict[str, str] = {}

    def service_name(sid: str) -> str:
        if not resolve:
            return sid
        if sid not in services:
            try:
                service = client.get(f"/services/{sid}", insertDefaults=False)
                services[sid] = service["Spec"]["Name"]
            except (DaemonError, AttributeError):
                services[sid] = sid
        return services[sid]

    def node_name(nid: str) -> str:
        if not nid or not resolve:
            return nid
        if nid in nodes:
            return nodes[nid]
        nodes[nid] = nid  # no node has it (now): its inspect fails, and the ID is shown
        if not by_list:
            try:
                nodes[nid] = client.get_one(f"/nodes/{nid}", _node_name)
            except DaemonError:
                pass
        return nodes[nid]

    # (service name, task), the order docker prints them in; the names are made after -q
    # (a name each is 95,000 strings for swarm2k's IDs)
    listed = [(service_name(t.get("ServiceID", "")), t) for t in tasks]
    listed.sort(key=lambda st: _when(st[1]["CreatedAt"]), reverse=True)
    prefixes: dict[str, tuple] = {}
    listed.sort(key=lambda st: name_key(st[0], st[1], prefixes))
    if inv.get("quiet"):
        if listed:  # (one write of the IDs as they are)
            ctx.write("\n".join([t["ID"] for _, t in listed]) + "\n")
        return
    # (counted after -q has printed: its IDs need no node named)
    by_list = resolve and len({t.get("NodeID") or "" for t in tasks} - {""}) > RESOLVE_BY_LIST
    if by_list:
        try:
            nodes.update(client.get_items("/nodes", _id_and_name))
        except DaemonError:
            pass  # so would each node's inspect have failed
    trunc = not inv.get("no-trunc")
    now = client.now()
    fmt = inv.get("format") or TASK_TABLE
    rows, prev = [], None
    for svc, t in listed:
        shown = name = task_name(svc, t)
        if fmt.startswith("table") and name == prev:
            shown = " \\_ " + name
        prev = name
        rows.append(TaskRow(t, shown, node_name(t.get("NodeID", "")), now, trunc))
    format_rows(fmt, rows, TASK_HEADERS, ctx)
