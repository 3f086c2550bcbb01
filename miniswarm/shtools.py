"""What a command of either shell is: the student's shell on a host (`shell.py`) and
a container's shell (`runtime/sh.py`) run the same text tools (`coreutils.py`: echo,
printf, cat, head, tail, grep, sed, sort, wc, cut, tr …), registered here, reading
their standard streams as `IO` and the shell's files through `Tools`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from . import shlang
from .job import Job

Writer = Callable[[str], None]


class ExitShell(Exception):  # noqa: N818 - not an error: `exit` was typed
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class IO:
    """A command's standard streams: all of its input (None when nothing is piped or
    redirected in: the terminal), and writers for its output."""

    stdin: str | None
    out: Writer
    err: Writer
    tty: bool = False  # standard output is the student's terminal


class Filter(Protocol):
    """A command that reads its input as it comes (grep, head, cut …): a pipeline feeds
    it what the command before it prints, and closes it when that command ends."""

    def feed(self, text: str) -> None: ...

    def close(self) -> int: ...


Builtin = Callable[[Any, list[str], IO], int]  # (the shell running it, its arguments, IO)
FilterFactory = Callable[[Any, list[str], IO], "Filter | int"]
BUILTINS: dict[str, Builtin] = {}
FILTERS: dict[str, FilterFactory] = {}


def builtin(*names: str) -> Callable[[Builtin], Builtin]:
    def register(fn: Builtin) -> Builtin:
        for name in names:
            BUILTINS[name] = fn
        return fn

    return register


def line_filter(*names: str) -> Callable[[FilterFactory], FilterFactory]:
    """A command that can read a pipe a line at a time. Given all its input at once (or
    files to read), it is fed that and closed."""

    def register(fn: FilterFactory) -> FilterFactory:
        for name in names:
            FILTERS[name] = fn
        return fn

    return register


class Tools(shlang.Environment, Protocol):
    """What a text tool asks of the shell that runs it (xargs: its words too)."""

    @property
    def files(self) -> dict[str, str]: ...  # path -> text

    @property
    def busybox(self) -> bool: ...  # errors worded as busybox words them (Alpine images)

    @property
    def job(self) -> Job: ...  # how it waits: `tail -f` waits for Ctrl-C

    def execute(self, argv: list[str], io: IO) -> int: ...  # xargs runs a command


def duration(text: str) -> float | None:
    """sleep's and timeout's durations: 5, 2.5, 10s, 1m, 1h, 1d."""
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", text)
    if not m:
        return None
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
