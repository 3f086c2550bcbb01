"""Tab completion in the REPL: docker's commands and flags (from the same command tree the
parser uses, each flag with docker's one-line description), the values of flags that take
one of a few words, what exists now on the current host's view of the swarm (services,
nodes, secrets, configs, networks, containers), host names, and the lab's own commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.document import Document

from .cli.commands import in_lab, load_all
from .cli.spec import root
from .shtools import BUILTINS, FILTERS

if TYPE_CHECKING:
    from .lab import Lab


class Where(Protocol):
    """Where the student types (the REPL's session): the lab, and the host logged in."""

    @property
    def lab(self) -> Lab: ...

    @property
    def host(self) -> str: ...


load_all()
FIRST_WORDS = ["docker"]
LAB_VERBS = [
    "stop", "start", "partition", "heal", "sleep", "status",
    "map", "raft", "watch", "why", "export", "save", "rewind", "speed", "pause", "resume", "step",
]  # fmt: skip

# Flags whose value is one of a few words (docker's own lists).
VALUES: dict[str, list[str]] = {
    "mode": ["replicated", "global", "replicated-job", "global-job"],
    "availability": ["active", "pause", "drain"],
    "role": ["worker", "manager"],
    "update-order": ["start-first", "stop-first"],
    "rollback-order": ["start-first", "stop-first"],
    "update-failure-action": ["pause", "continue", "rollback"],
    "rollback-failure-action": ["pause", "continue"],
    "restart-condition": ["none", "on-failure", "any"],
    "endpoint-mode": ["vip", "dnsrr"],
    "driver": ["overlay", "bridge"],
}
# Flags whose value names something that exists.
FLAG_OBJECTS = {"secret": "secrets", "secret-add": "secrets", "secret-rm": "secrets",
                "config": "configs", "config-add": "configs", "config-rm": "configs",
                "network": "networks", "network-add": "networks",
                "network-rm": "networks"}  # fmt: skip
# The arguments of a command, by what they name.
ARGUMENTS = {
    "service": ("services", ["ps", "rm", "inspect", "logs", "scale", "update", "rollback"]),
    "node": ("nodes", ["ps", "rm", "inspect", "update", "promote", "demote"]),
    "secret": ("secrets", ["rm", "inspect"]),
    "config": ("configs", ["rm", "inspect"]),
    "network": ("networks", ["rm", "inspect"]),
    "container": ("containers", ["inspect", "logs", "rm", "stop", "kill", "exec"]),
}
TOP_CONTAINER_COMMANDS = ["exec", "logs", "rm", "stop", "kill", "inspect"]


class DockerCompleter(Completer):
    def __init__(self, session: Where) -> None:
        self.session = session

    def get_completions(self, document: Document, complete_event: Any) -> Iterable[Completion]:
        text = document.text_before_cursor
        segment = text.split("|")[-1].split("&&")[-1].split(";")[-1]
        words = segment.split()
        current = "" if segment.endswith(" ") or not words else words[-1]
        before = words if current == "" else words[:-1]
        prefix = ""
        if current.startswith("--") and "=" in current:  # --mode=gl
            prefix, current = current.split("=", 1)[0] + "=", current.split("=", 1)[1]
            before = [*before, prefix[:-1]]
        for option, meta in self.options(before, current):
            if option.startswith(current):
                yield Completion(prefix + option, start_position=-len(prefix + current),
                                 display_meta=meta)  # fmt: skip

    def options(self, before: list[str], current: str) -> list[tuple[str, str]]:
        hosts = [(h, "") for h in self.session.lab.names]
        if not before:
            return [(w, "") for w in FIRST_WORDS + sorted(set(BUILTINS) | set(FILTERS))]
        head = before[0]
        if head == "ssh":
            return hosts if len(before) == 1 else []
        if head == "lab":
            if len(before) == 1:
                return [(v, "") for v in LAB_VERBS]
            if before[1] == "watch":
                return [(v, "") for v in ("map", "raft", "off")]
            return hosts if before[1] in ("stop", "start", "partition") else []
        if head != "docker":
            return []
        if before[-1] in ("-H", "--host"):
            return hosts
        cmd = root()
        path: list[str] = []
        for word in before[1:]:
            if word.startswith("-"):
                continue
            nxt = cmd.child(word)
            if nxt is None:
                break
            cmd = nxt
            path.append(word)
        last = before[-1]
        if last.startswith("--") and len(before) > 1:
            flag = next((f for f in cmd.flags if f"--{f.name}" == last), None)
            if flag is not None and not flag.is_bool:
                return self._flag_values(flag.name)
        if current.startswith("-"):
            flags = [(f"--{f.name}", f.usage) for f in cmd.flags]
            return sorted([*flags, ("--help", "Print usage")])
        names = self._arguments(path)
        if names is not None:
            return names
        return sorted(
            {
                (name, short)
                for _, entries in cmd.groups
                for name, short in entries
                if in_lab(f"{cmd.path} {name}")
            }
        )

    def _flag_values(self, flag: str) -> list[tuple[str, str]]:
        if flag in VALUES:
            return [(v, "") for v in VALUES[flag]]
        kind = FLAG_OBJECTS.get(flag)
        if kind is not None:
            return [(name, kind[:-1]) for name in self._objects().get(kind, [])]
        return []

    def _arguments(self, path: list[str]) -> list[tuple[str, str]] | None:
        """What the command's arguments name, when the command is complete."""
        if len(path) == 1 and path[0] in TOP_CONTAINER_COMMANDS:
            kind = "containers"
        elif len(path) == 2 and path[0] in ARGUMENTS and path[1] in ARGUMENTS[path[0]][1]:
            kind = ARGUMENTS[path[0]][0]
        else:
            return None
        objects = self._objects().get(kind, [])
        suffix = "=" if path == ["service", "scale"] else ""
        return [(name + suffix, kind[:-1]) for name in objects]

    def _objects(self) -> dict[str, list[str]]:
        """What exists, as the current host sees it (its containers; the swarm's objects
        if it is a manager). Nothing if the host does not answer at once."""
        lab, host = self.session.lab, self.session.host
        if not lab.kernel.hosts[host].up:
            return {}
        try:
            return lab.kernel.call(host, _objects, timeout=0.3)
        except Exception:  # busy, or gone: no names rather than a stuck prompt
            return {}


def _objects(d: Any) -> dict[str, list[str]]:
    """On the host's own loop: the names a command line may refer to."""
    out = {"containers": sorted(c.name for c in d.runtime.containers.values())}
    m = d.manager
    if m is None:
        return out
    store = m.store
    for kind in ("services", "secrets", "configs", "networks"):
        out[kind] = sorted(o["Spec"]["Name"] for o in store.all(kind))
    out["nodes"] = sorted(n["Description"].get("Hostname", n["ID"]) for n in store.all("nodes"))
    return out
