"""Lessons and exercises, as their markdown files hold them (lessons/ at the top of the
repository): a pure reader, no lab.

A lesson is a Carpentries-style episode: YAML front matter (title, minutes for teaching
and for exercises, questions, objectives, key points, the lab it starts on), then prose
and steps. A step is a `###` heading, the text that leads to it, a ```step HOST``` block
with the command to type, and optionally an ```output``` block (what miniswarm prints,
checked in CI), a ```check``` block (the state the step must reach, in the language of
checks.py; without one, typing the command is the step), ```hint``` blocks, and the text
after them (what to notice, shown once the step is done). A `## Instructor notes`
section is kept apart from what students see.

An exercise is a goal in prose, a ```setup``` (commands that prepare, or break, the
lab), what then holds (```given```: the state the goal describes, checked in CI), a
```check```, graded ```hint``` blocks, a ```solution``` that CI plays and `check`
accepts, and ```wrong``` attempts that `check` must reject on the check they name.
Commands in setup, solution and wrong blocks are `HOST: command` lines, `lab ...`
actions, or `wait SECONDS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("en", "ko")
INSTRUCTOR = re.compile(r"^## (Instructor notes|강사 노트)\s*$")
_FENCE = re.compile(r"^```(\S*)\s*(.*)$")


@dataclass
class Step:
    title: str
    lead: str  # what leads to it (shown when the step starts)
    host: str
    command: str
    output: str | None = None  # what miniswarm prints, as the lesson shows it
    checks: list[str] = field(default_factory=list)  # empty: typing the command is the step
    hints: list[str] = field(default_factory=list)
    notice: str = ""  # what to notice, once it is done
    tty: bool = True  # the output is the screen a terminal is left with


@dataclass
class Lesson:
    number: int
    slug: str
    lang: str
    meta: dict[str, Any]
    intro: str
    steps: list[Step]
    instructor: str = ""

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.slug))

    @property
    def lab(self) -> str:
        return str(self.meta.get("lab", "fresh"))

    @property
    def setup(self) -> list[str]:
        return list(self.meta.get("setup") or [])

    @property
    def seed(self) -> int:
        return int(self.meta.get("seed", self.number))

    @property
    def keypoints(self) -> list[str]:
        return list(self.meta.get("keypoints") or [])


@dataclass
class Wrong:
    """An attempt `check` must reject, on the check it names."""

    commands: list[str]
    fails: str


@dataclass
class Exercise:
    number: int
    slug: str
    lang: str
    meta: dict[str, Any]
    goal: str
    setup: list[str]
    checks: list[str]
    hints: list[str]
    solution: list[str]
    wrongs: list[Wrong]
    given: list[str] = field(default_factory=list)  # what holds once it is set up

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.slug))

    @property
    def lab(self) -> str:
        return str(self.meta.get("lab", "swarm"))

    @property
    def seed(self) -> int:
        return int(self.meta.get("seed", 100 + self.number))


class LessonError(ValueError):
    """A lesson file that does not read as one."""


# -- reading ---------------------------------------------------------------------------------


def front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---\n"):
        raise LessonError(f"{name}: no front matter")
    end = text.index("\n---\n", 4)
    meta = yaml.safe_load(text[4:end]) or {}
    if not isinstance(meta, dict):
        raise LessonError(f"{name}: front matter is not a mapping")
    return meta, text[end + 5 :]


def blocks(body: str) -> list[tuple[str, str, str]]:
    """The body as ("text", "", text) and ("fence", info, content) pieces, in order."""
    out: list[tuple[str, str, str]] = []
    text: list[str] = []
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            text.append(lines[i])
            i += 1
            continue
        if text:
            out.append(("text", "", "\n".join(text)))
            text = []
        kind, arg = m.group(1), m.group(2).strip()
        content: list[str] = []
        i += 1
        while i < len(lines) and lines[i].rstrip() != "```":
            content.append(lines[i])
            i += 1
        i += 1
        out.append(("fence", f"{kind} {arg}".strip(), "\n".join(content)))
    if text:
        out.append(("text", "", "\n".join(text)))
    return out


def _split_instructor(body: str) -> tuple[str, str]:
    lines = body.split("\n")
    for k, line in enumerate(lines):
        if INSTRUCTOR.match(line):
            rest = lines[k + 1 :]
            end = next((j for j, x in enumerate(rest) if x.startswith("## ")), len(rest))
            kept = lines[:k] + rest[end:]
            return "\n".join(kept), "\n".join(rest[:end]).strip()
    return body, ""


def parse_lesson(text: str, number: int, slug: str, lang: str) -> Lesson:
    name = f"{lang}/{slug}"
    meta, body = front_matter(text, name)
    body, instructor = _split_instructor(body)
    intro: list[str] = []
    steps: list[Step] = []
    title = ""
    pending: list[str] = []  # prose that leads to the next step
    current: Step | None = None
    after: list[str] = []  # prose after the current step's blocks

    def close() -> None:
        nonlocal current, after
        if current is not None:
            current.notice = "\n".join(after).strip()
            steps.append(current)
        current, after = None, []

    for kind, info, content in blocks(body):
        if kind == "text":
            for line in content.split("\n"):
                if line.startswith("### ") or line.startswith("## "):
                    close()
                    if line.startswith("### "):
                        title = line[4:].strip()
                        pending = []
                        continue
                    title = ""
                if current is not None:
                    after.append(line)
                elif steps or title:
                    pending.append(line)
                else:
                    intro.append(line)
            continue
        word, _, arg = info.partition(" ")
        if word == "step":
            close()
            if not arg:
                raise LessonError(f"{name}: a step names no host")
            current = Step(title or content.strip(), "\n".join(pending).strip(), arg, content)
            pending = []
            if "\n" in current.command.strip():
                raise LessonError(f"{name}: step {current.title!r}: one command line per step")
            current.command = current.command.strip()
            continue
        if current is None:
            # an example or an output outside a step: part of the prose
            fenced = f"```{info}\n{content}\n```"
            (pending if (steps or title) else intro).append(fenced)
            continue
        if word == "output":
            current.output = content
            current.tty = arg != "pipe"
        elif word == "check":
            current.checks += [c.strip() for c in content.split("\n") if c.strip()]
        elif word == "hint":
            current.hints.append(content.strip())
        else:
            after.append(f"```{info}\n{content}\n```")
    close()
    if pending:
        raise LessonError(f"{name}: prose after the last step belongs in keypoints")
    return Lesson(number, slug, lang, meta, "\n".join(intro).strip(), steps, instructor)


def parse_exercise(text: str, number: int, slug: str, lang: str) -> Exercise:
    name = f"exercises/{lang}/{slug}"
    meta, body = front_matter(text, name)
    goal: list[str] = []
    setup: list[str] = []
    checks: list[str] = []
    given: list[str] = []
    hints: list[str] = []
    solution: list[str] = []
    wrongs: list[Wrong] = []
    for kind, info, content in blocks(body):
        lines = [x.strip() for x in content.split("\n") if x.strip()]
        if kind == "text":
            goal.append(content)
        elif info == "setup":
            setup += lines
        elif info == "check":
            checks += lines
        elif info == "given":
            given += lines
        elif info == "hint":
            hints.append(content.strip())
        elif info == "solution":
            solution += lines
        elif info == "wrong":
            fails = [x for x in lines if x.startswith("fails:")]
            if len(fails) != 1:
                raise LessonError(f"{name}: a wrong attempt names the one check it fails")
            wrongs.append(
                Wrong([x for x in lines if not x.startswith("fails:")], fails[0][6:].strip())
            )
        else:
            goal.append(f"```{info}\n{content}\n```")
    if not checks or not solution:
        raise LessonError(f"{name}: an exercise needs a check and a solution")
    return Exercise(
        number, slug, lang, meta, "\n".join(goal).strip(), setup, checks, hints, solution, wrongs,
        given,
    )  # fmt: skip


# -- finding them ------------------------------------------------------------------------------


def root() -> Path:
    """lessons/ at the top of the repository (an editable install's source tree)."""
    import os

    given = os.environ.get("MINISWARM_LESSONS")
    if given:
        return Path(given)
    return Path(__file__).resolve().parent.parent / "lessons"


def glossary(lang: str) -> str:
    """The terms the lessons use (lessons/LANG/glossary.md), as markdown."""
    return (root() / lang / "glossary.md").read_text(encoding="utf-8")


def _numbered(folder: Path) -> list[tuple[int, str, Path]]:
    out = []
    for path in sorted(folder.glob("*.md")):
        m = re.match(r"(\d+)-(.+)\.md$", path.name)
        if m:
            out.append((int(m.group(1)), m.group(2), path))
    return out


def lessons(lang: str) -> list[Lesson]:
    return [
        parse_lesson(p.read_text(encoding="utf-8"), n, slug, lang)
        for n, slug, p in _numbered(root() / lang)
    ]


def exercises(lang: str) -> list[Exercise]:
    return [
        parse_exercise(p.read_text(encoding="utf-8"), n, slug, lang)
        for n, slug, p in _numbered(root() / "exercises" / lang)
    ]


def lesson(number: int, lang: str) -> Lesson | None:
    return next((x for x in lessons(lang) if x.number == number), None)


def exercise(number: int, lang: str) -> Exercise | None:
    return next((x for x in exercises(lang) if x.number == number), None)
