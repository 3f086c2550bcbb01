"""The docker CLI's command tree: usage lines, aliases, descriptions, flags and argument
rules, as extracted from a real docker 28.2 client by tools/gen_cli_spec.py."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Flag:
    name: str
    short: str | None
    var: str  # the value's type as help shows it; "" for a boolean
    usage: str
    default: str | None = None
    quoted_default: bool = False

    @property
    def is_bool(self) -> bool:
        return self.var == ""

    @property
    def repeatable(self) -> bool:
        return self.var in REPEATABLE

    @property
    def display(self) -> str:
        """How pflag names the flag in errors: "-f, --filter" or "--format"."""
        return f"-{self.short}, --{self.name}" if self.short else f"--{self.name}"


# Flag value types that collect every occurrence (pflag slices and docker's list opts).
REPEATABLE = {
    "list",
    "filter",
    "stringSlice",
    "strings",
    "ipNetSlice",
    "mount",
    "port",
    "secret",
    "config",
    "network",
    "pref",
    "ulimit",
    "external-ca",
    "stringArray",
    "gpu-request",
    "device",
    "weight-device",
    "throttled-device",
    "host",
    "dns",
    "env",
}


@dataclass
class Command:
    path: str  # "docker node ls"
    usage: str  # "docker node ls [OPTIONS]", as help shows it
    use_line: str  # as errors show it (cobra's UseLine): "docker node" for the node group
    description: str
    aliases: list[str] = field(default_factory=list)
    examples: str | None = None
    groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    options_title: str = "Options"
    args: dict | None = None
    subcommands: dict[str, Command] = field(default_factory=dict)  # by name and alias
    parent: Command | None = None

    @property
    def name(self) -> str:
        return self.path.rsplit(" ", 1)[-1]

    @property
    def is_group(self) -> bool:
        return bool(self.groups)

    @property
    def interspersed(self) -> bool:
        """Whether flags may follow positional arguments. Commands that run a command
        line (`service create IMAGE [COMMAND] [ARG...]`, `run`, `exec`) stop at the first
        positional argument: the rest belongs to the container's command. So does docker
        itself: its own options come before the command."""
        if self.parent is None:
            return False
        return "[COMMAND] [ARG...]" not in self.usage and "COMMAND [ARG...]" not in self.usage

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def shorthand(self, ch: str) -> Flag | None:
        for f in self.flags:
            if f.short == ch:
                return f
        return None

    def child(self, name: str) -> Command | None:
        return self.subcommands.get(name)


def _build(data: dict, parent: Command | None) -> Command:
    cmd = Command(
        path=data["path"],
        usage=data["usage"],
        use_line=data.get("use_line", data["usage"]),
        description=data["description"],
        aliases=data.get("aliases", []),
        examples=data.get("examples"),
        groups=[
            (g["title"], [(c["name"], c["short"]) for c in g["commands"]])
            for g in data.get("command_groups", [])
        ],
        flags=[
            Flag(
                f["name"],
                f["short"],
                f["var"],
                f["usage"],
                f.get("default"),
                f.get("quoted_default", False),
            )
            for f in data.get("flags", [])
        ],
        options_title=data.get("options_title", "Options"),
        args=data.get("args"),
        parent=parent,
    )
    for sub in data.get("subcommands", []):
        child = _build(sub, cmd)
        cmd.subcommands[child.name] = child
        for alias in child.aliases:
            words = alias.split()
            # Only aliases within the same group ("docker node list" for "docker node ls").
            if " ".join(words[:-1]) == cmd.path:
                cmd.subcommands.setdefault(words[-1], child)
    return cmd


@cache
def root() -> Command:
    """The `docker` command, with the whole tree below it."""
    text = resources.files("miniswarm.cli").joinpath("spec.json").read_text()
    return _build(json.loads(text), None)


def find(path: str) -> Command:
    """A command by its full path ("docker node ls")."""
    cmd = root()
    for word in path.split()[1:]:
        nxt = cmd.child(word)
        if nxt is None:
            raise KeyError(path)
        cmd = nxt
    return cmd
