"""The docker commands miniswarm carries out, one module per command group."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..client import Client
    from ..parse import Invocation


@dataclass
class Context:
    """What a command runs with: a client, its input, and where its output goes."""

    client: Client
    stdin: str | None = None
    tty: bool = False
    width: int = 80
    height: int = 24
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    files: dict[str, str] | None = None  # the host's files, for `secret create NAME FILE`
    connect: Callable[[str], bool] | None = None  # -H HOST: talk to another host's daemon
    # Typed input when nothing is piped in (the REPL's terminal): read_input(prompt, secret)
    # gives the text, or None if the student gave up (Ctrl-C).
    read_input: Callable[[str, bool], str | None] | None = None
    # The CLI process's own randomness (Go's map order), apart from the cluster's.
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def print(self, text: str = "") -> None:
        self.out.append(text + "\n")

    def write(self, text: str) -> None:
        self.out.append(text)

    def eprint(self, text: str = "") -> None:
        self.err.append(text + "\n")


class CommandError(Exception):
    """What a command prints on standard error when it fails, and its exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def for_each(ctx: Context, refs: list[str], act: Callable[[str], object]) -> int:
    """Act on each argument, printing it when done; the daemon's errors are printed
    together at the end, as docker's rm-style commands do."""
    from ...daemon import DaemonError

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


def load_all() -> None:
    from . import container, node, secret, service, swarm, system  # noqa: F401
