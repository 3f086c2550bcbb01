"""Tab completion in the REPL: docker's commands and flags (from the same command tree the
parser uses), host names, and the lab's own commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prompt_toolkit.completion import Completer, Completion
from prompt_toolkit.document import Document

from .cli.commands import in_lab, load_all
from .cli.spec import root
from .shell import BUILTINS, FILTERS

if TYPE_CHECKING:
    from .repl import Session

load_all()
FIRST_WORDS = ["docker"]
LAB_VERBS = ["stop", "start", "partition", "heal", "sleep", "status"]


class DockerCompleter(Completer):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_completions(self, document: Document, complete_event) -> Iterable[Completion]:
        text = document.text_before_cursor
        segment = text.split("|")[-1].split("&&")[-1].split(";")[-1]
        words = segment.split()
        current = "" if segment.endswith(" ") or not words else words[-1]
        before = words if current == "" else words[:-1]
        for option in self.options(before, current):
            if option.startswith(current):
                yield Completion(option, start_position=-len(current))

    def options(self, before: list[str], current: str) -> list[str]:
        hosts = self.session.lab.names
        if not before:
            return FIRST_WORDS + sorted(set(BUILTINS) | set(FILTERS))
        head = before[0]
        if head == "ssh":
            return hosts if len(before) == 1 else []
        if head == "lab":
            if len(before) == 1:
                return LAB_VERBS
            return hosts if before[1] in ("stop", "start", "partition") else []
        if head != "docker":
            return []
        if before[-1] in ("-H", "--host"):
            return hosts
        cmd = root()
        for word in before[1:]:
            if word.startswith("-"):
                continue
            nxt = cmd.child(word)
            if nxt is None:
                break
            cmd = nxt
        if current.startswith("-"):
            flags = [f"--{f.name}" for f in cmd.flags] + ["--help"]
            return sorted(flags)
        return sorted(
            {
                name
                for _, entries in cmd.groups
                for name, _ in entries
                if in_lab(f"{cmd.path} {name}")
            }
        )
