"""The docker commands miniswarm carries out, one module per command group."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..client import Client
    from ..parse import Invocation
    from ..spec import Command


Writer = Callable[[str], None]


class Terminal(Protocol):
    """The student's keyboard, when a command reads from it (nothing piped in)."""

    def read_line(self, prompt: str, secret: bool = False) -> str:
        """One typed line, without its newline (not echoed when `secret`). EOFError on
        Ctrl-D; the job's Interrupted on Ctrl-C."""
        ...


@dataclass
class Context:
    """What a command runs with: a client, its input, and where its output goes — as it
    is produced (a progress display, `logs -f`), not when the command ends."""

    client: Client
    stdout: Writer
    stderr: Writer
    stdin: str | None = None
    tty: bool = False
    width: int = 80
    height: int = 24
    files: dict[str, str] | None = None  # the host's files, for `secret create NAME FILE`
    connect: Callable[[str], bool] | None = None  # -H HOST: talk to another host's daemon
    # The keyboard, when standard input is the student's terminal (nothing piped in).
    terminal: Terminal | None = None
    # The CLI process's own randomness (Go's map order), apart from the cluster's.
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def print(self, text: str = "") -> None:
        self.stdout(text + "\n")

    def write(self, text: str) -> None:
        self.stdout(text)

    def eprint(self, text: str = "") -> None:
        self.stderr(text + "\n")

    def ewrite(self, text: str) -> None:
        self.stderr(text)


def typed_lines(ctx: Context) -> str:
    """What the student types at the terminal until Ctrl-D (`-` with nothing piped in)."""
    if ctx.terminal is None:
        return ""
    lines = []
    while True:
        try:
            lines.append(ctx.terminal.read_line("") + "\n")
        except EOFError:
            return "".join(lines)


class CommandError(Exception):
    """What a command prints on standard error when it fails, and its exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def for_each(ctx: Context, refs: list[str], act: Callable[[str], object]) -> int:
    """Act on each argument, printing it when done; the daemon's errors are printed
    together at the end, as docker's rm-style commands do."""
    from ...daemonerror import DaemonError

    errors = []
    for ref in refs:
        try:
            act(ref)
            ctx.print(ref)
        except DaemonError as exc:
            errors.append(f"Error response from daemon: {exc.message}")
    if errors:
        raise CommandError("\n".join(errors))
    return 0


Handler = Callable[["Invocation", Context], int | None]
HANDLERS: dict[str, Handler] = {}


def command(*paths: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for p in paths:
            HANDLERS[p] = fn
        return fn

    return register


def in_lab(path: str) -> bool:
    """Whether the lab has the docker command `path` (or some of its subcommands)."""
    return path in HANDLERS or any(p.startswith(path + " ") for p in HANDLERS)


def left_out(cmd: Command) -> list[str]:
    """The subcommands of a command group that the lab leaves out."""
    return sorted(
        {
            name
            for _, entries in cmd.groups
            for name, _ in entries
            if not in_lab(f"{cmd.path} {name}")
        }
    )


def load_all() -> None:
    from . import container, inspect, network, node, secret, service, swarm, system  # noqa: F401
