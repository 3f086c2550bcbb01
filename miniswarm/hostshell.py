"""The student's shell on a lab host as the commands that live in modules of their own
see it (curl, ping, ssh, `lab`): shell.py's `Shell` has all of this and registers those
commands, so they are typed against this protocol rather than naming `Shell` back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .job import Job
    from .lab import Lab
    from .shtools import Writer


class Hooks(Protocol):
    """What a terminal session gives the shells of its logins: `ssh HOST` nests a new
    login in it, `history` lists what was typed."""

    history: list[str]

    def enter(self, host: str) -> None: ...


class HostShell(Protocol):
    """One login on a lab host, as a command run in it sees it."""

    lab: Lab
    host: str
    tty: bool
    width: int
    height: int
    job: Job  # how the command line waits and stops (Ctrl-C, `timeout`)
    hooks: Hooks | None  # the terminal session, if any
    status: int  # `$?`

    def elsewhere(self, host: str, line: str, out: Writer, err: Writer) -> int:
        """Run `line` in a new login on `host` with this one's terminal size and job
        (`ssh HOST COMMAND`); its status."""
        ...
