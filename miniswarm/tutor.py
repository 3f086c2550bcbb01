"""Lessons and exercises at the REPL: the tutor beside the student's session.

    lesson              the lessons, with each one's progress
    lesson N            start lesson N on the lab it begins with, or resume it
    lesson stop         leave the lesson (the lab stays as it is)
    hint / show         a hint for the step (the next one each time) / the command to type
    next / back         go on without the step (or to the one before)
    exercise            the exercises, with progress (N/M)
    exercise N          set exercise N up: a lab in a prepared (or broken) state, a goal
    check               what is still wrong — or that the goal is reached
    exercise reset      set the exercise up again

A step is done when the cluster is in the state it names (its checks), whatever command
got it there; a step without checks is done when its command is typed (any flags). After
every line the student types, the tutor looks: when the step is done it says what to
notice and shows the next. Everything else the student types works as always.

Progress is kept in the user's data directory (MINISWARM_HOME overrides it) and survives
a restart: resuming a lesson sets its lab up again and replays the steps already done.
An exercise keeps what was typed, so `miniswarm exercise check --json` can replay it on
the simulator and judge it (checks.py) in the shape Exercism's test runners report.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prompt_toolkit.utils import get_cwidth
from tabulate import tabulate

from . import lesson as lessons_md
from .checks import Checker
from .i18n import language, t
from .labcmd import lab_action
from .lesson import Exercise, Lesson, Step
from .shell import TUTOR_COMMANDS, Shell
from .shtools import ExitShell
from .sim import ThreadDriver

if TYPE_CHECKING:
    from .lab import Lab

Writer = Callable[[str], None]
SETUP_SPEED = 40.0  # how much faster than real time a lab is set up at the REPL
MANAGERS = ["manager1", "manager2", "manager3"]
WORKERS = ["worker1", "worker2"]


# -- progress, kept on disk --------------------------------------------------------------------


def home() -> Path:
    given = os.environ.get("MINISWARM_HOME")
    if given:
        return Path(given)
    import platformdirs

    return Path(platformdirs.user_data_dir("miniswarm", appauthor=False))


@dataclass
class Progress:
    """What the student has done: per lesson the step reached (and done or not), per
    exercise done or not and what was typed, and what was going on."""

    lessons: dict[str, dict[str, Any]] = field(default_factory=dict)
    exercises: dict[str, dict[str, Any]] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def load() -> Progress:
        path = home() / "progress.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Progress()
        return Progress(
            data.get("lessons") or {}, data.get("exercises") or {}, data.get("current") or {}
        )

    def save(self) -> None:
        path = home() / "progress.json"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            body = {"lessons": self.lessons, "exercises": self.exercises, "current": self.current}
            path.write_text(json.dumps(body, indent=1, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass  # a read-only home: progress lasts as long as the session


# -- setting a lab up -------------------------------------------------------------------------


class SetupError(RuntimeError):
    pass


@contextmanager
def fast(lab: Lab) -> Iterator[None]:
    """At the REPL (real time), a lab is set up faster than real time."""
    kernel = lab.kernel
    if isinstance(kernel, ThreadDriver) or getattr(kernel, "realtime", False):
        before = kernel.speed
        kernel.set_speed(SETUP_SPEED)
        try:
            yield
        finally:
            kernel.set_speed(before)
    else:
        yield


def run_line(lab: Lab, line: str, shells: dict[str, Shell] | None = None) -> tuple[str, int]:
    """One line of a setup, solution or attempt: `HOST: command`, `lab ...`, `wait N`."""
    if line.startswith("wait "):
        lab.sleep(float(line.split()[1]))
        return "", 0
    if line.startswith("lab "):
        lab_action(lab, line[4:])
        return "", 0
    host, sep, command = line.partition(": ")
    if not sep or host not in lab.names:
        raise SetupError(f"not a HOST: command line: {line}")
    shells = shells if shells is not None else {}
    shell = shells.setdefault(host, Shell(lab, host))
    try:
        out = shell.run(command)
    except ExitShell:
        return "", 0
    return out.text, out.status


def prepare(lab: Lab, kind: str, setup: list[str]) -> None:
    """A lab as a lesson or exercise begins: `fresh` (no swarm) or `swarm` (three
    managers, two workers), then its setup lines, each of which must succeed."""
    with fast(lab):
        if kind == "swarm":
            lab.form_swarm(MANAGERS, WORKERS)
        elif kind != "fresh":
            raise SetupError(f"unknown lab {kind!r}")
        shells: dict[str, Shell] = {}
        for line in setup:
            out, status = run_line(lab, line, shells)
            if status != 0:
                raise SetupError(f"{line}: {out.strip()}")


def settle(lab: Lab, checks: list[str], limit: float = 60.0, facts: dict | None = None) -> bool:
    """Let the lab run until the checks hold (a student waits, and looks again)."""
    checker = Checker(lab, facts)
    waited = 0.0
    while not checker.holds(checks):
        if waited >= limit:
            return False
        lab.sleep(1.0)
        waited += 1.0
    return True


def tokens(lab: Lab) -> dict[str, str]:
    """The join tokens as an exercise begins (`token worker rotated` compares)."""
    facts = {}
    for role in ("worker", "manager"):
        token = lab.current_token(role)
        if token:
            facts[f"token.{role}"] = token
    return facts


# -- showing text ---------------------------------------------------------------------------


WIDTH = 80  # lesson prose is wrapped to this, or to a narrower terminal
_LIST_ITEM = re.compile(r"^(\s*(?:[-*]|\d+\.)\s+)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def _inline(line: str) -> str:
    line = re.sub(r"\*\*(.+?)\*\*", r"\1", line)
    line = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\1", line)
    line = re.sub(r"`([^`]+)`", r"\1", line)
    # the glossary is a command away at the prompt; other links keep their address
    return _LINK.sub(_link, line)


def _link(m: re.Match[str]) -> str:
    if m[2] == "glossary.md":
        return t("tutor.glossary_link", text=m[1])
    return f"{m[1]} ({m[2]})"


def pad(text: str, width: int) -> str:
    """Left-justify by display width (a Korean title is twice as wide as its length)."""
    return text + " " * max(0, width - get_cwidth(text))


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    """Greedy word wrap by display width: a Korean syllable takes two columns."""
    lines: list[str] = []
    line, used = first, get_cwidth(first)
    for word in text.split():
        w = get_cwidth(word)
        if used + w > width and line.strip():
            lines.append(line.rstrip())
            line, used = rest, get_cwidth(rest)
        line += word + " "
        used += w + 1
    lines.append(line.rstrip())
    return lines


def render(markdown: str, width: int = WIDTH) -> str:
    """Lesson markdown for a terminal: paragraphs and list items wrapped to `width`, code
    blocks (pictures, commands) indented as they are, emphasis marks and links dropped."""
    out: list[str] = []
    para: list[str] = []
    marker = ""

    def flush() -> None:
        nonlocal para, marker
        if para:
            out.extend(_wrap(_inline(" ".join(para)), width, marker, " " * len(marker)))
        para, marker = [], ""

    table: list[list[str]] = []
    in_code = False
    for line in markdown.split("\n"):
        if line.startswith("|"):
            flush()
            if not re.match(r"^\|[-|: ]+\|$", line.strip()):
                table.append([_inline(c.strip()) for c in line.strip().strip("|").split("|")])
            continue
        if table:
            out.extend(_table(table, width))
            table = []
        if line.startswith("```"):
            flush()
            in_code = not in_code
            continue
        if in_code:
            out.append("    " + line)
            continue
        if not line.strip():
            flush()
            out.append("")
            continue
        if line.startswith("#"):
            flush()
            title = line.lstrip("# ")
            out.append(title.upper() if line.startswith("# ") else title)
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            marker = item[1]
            para = [line[item.end() :]]
            continue
        para.append(line.strip())
    flush()
    if table:
        out.extend(_table(table, width))
    return "\n".join(out).strip() + "\n"


def _table(rows: list[list[str]], width: int) -> list[str]:
    """A markdown table as columns; the widest column wraps when it would not fit."""
    columns = range(len(rows[0]))
    natural = [max(get_cwidth(r[k]) if k < len(r) else 0 for r in rows) for k in columns]
    widths: list[int | None] = [None] * len(natural)
    if sum(natural) + 2 * (len(natural) - 1) > width:
        capped = [min(w, 20) for w in natural[:-1]]
        widths = [*capped, max(10, width - sum(capped) - 2 * len(capped))]
    text = tabulate(rows[1:], headers=rows[0], tablefmt="simple", maxcolwidths=widths)
    return text.split("\n")


def command_key(line: str) -> tuple[str, ...]:
    """What makes two command lines the same step: `docker node ls` whatever its flags."""
    words = [w for w in line.split() if not w.startswith("-")]
    if not words:
        return ()
    if words[0] in ("docker", "lab"):
        return tuple(words[:3])
    return (words[0],)


# -- the tutor ---------------------------------------------------------------------------------


class Tutor:
    """Lesson and exercise mode for one terminal session."""

    def __init__(self, session: Any, progress: Progress | None = None) -> None:
        self.session = session
        self.progress = progress if progress is not None else Progress.load()
        self.lesson: Lesson | None = None
        self.step = 0
        self.exercise: Exercise | None = None
        self.facts: dict[str, str] = {}
        self.hints_given = 0
        self.pending: tuple[str, int] | None = None  # ("lesson"|"exercise", N), after the line
        self.waiting = False  # a typed step not there yet: the REPL keeps looking
        self.typed: list[str] = []  # this line's commands, for steps without checks

    # -- the commands (shell builtins) ----------------------------------------------------------

    def command(self, name: str, args: list[str], out: Writer, err: Writer) -> int:
        self.waiting = False  # whatever the tutor is asked, it stops looking on its own
        if name == "lesson":
            return self._lesson_command(args, out, err)
        if name == "exercise":
            return self._exercise_command(args, out, err)
        if name == "hint":
            return self._hint(out, err)
        if name == "show":
            return self._show(out, err)
        if name in ("next", "back"):
            return self._move(1 if name == "next" else -1, out, err)
        if name == "check":
            return self._check(out, err)
        raise ValueError(name)

    def _lesson_command(self, args: list[str], out: Writer, err: Writer) -> int:
        all_lessons = lessons_md.lessons(language())
        if not args:
            for x in all_lessons:
                out(f"{x.number:>3}  {pad(x.title, 52)} {self._lesson_state(x)}\n")
            out(t("tutor.lesson_usage") + "\n")
            return 0
        if args == ["glossary"]:
            out(render(lessons_md.glossary(language()), self.width()))
            return 0
        if args == ["stop"]:
            if self.lesson is None:
                err(t("tutor.no_lesson") + "\n")
                return 1
            out(t("tutor.stopped", title=self.lesson.title) + "\n")
            self.lesson = None
            self.progress.current = {}
            self.progress.save()
            return 0
        if not args[0].isdigit() or not any(x.number == int(args[0]) for x in all_lessons):
            err(t("tutor.no_such_lesson", n=args[0], count=len(all_lessons)) + "\n")
            return 1
        self.pending = ("lesson", int(args[0]))
        return 0

    def width(self) -> int:
        """What lesson text is wrapped to: the terminal, up to WIDTH columns."""
        return max(20, min(WIDTH, int(getattr(self.session, "width", WIDTH))))

    def _lesson_state(self, x: Lesson) -> str:
        kept = self.progress.lessons.get(str(x.number)) or {}
        if kept.get("done"):
            return t("tutor.done")
        if kept.get("step"):
            return t("tutor.at_step", step=kept["step"] + 1, steps=len(x.steps))
        return ""

    def _exercise_command(self, args: list[str], out: Writer, err: Writer) -> int:
        all_exercises = lessons_md.exercises(language())
        if not args:
            done = sum(1 for x in all_exercises if self._exercise_done(x))
            out(t("tutor.exercises", done=done, count=len(all_exercises)) + "\n")
            for x in all_exercises:
                mark = t("tutor.done") if self._exercise_done(x) else ""
                out(f"{x.number:>3}  {pad(x.title, 52)} {mark}\n")
            out(t("tutor.exercise_usage") + "\n")
            return 0
        if args == ["reset"]:
            if self.exercise is None:
                err(t("tutor.no_exercise") + "\n")
                return 1
            self.pending = ("exercise", self.exercise.number)
            return 0
        if not args[0].isdigit() or not any(x.number == int(args[0]) for x in all_exercises):
            err(t("tutor.no_such_exercise", n=args[0], count=len(all_exercises)) + "\n")
            return 1
        self.pending = ("exercise", int(args[0]))
        return 0

    def _exercise_done(self, x: Exercise) -> bool:
        return bool((self.progress.exercises.get(str(x.number)) or {}).get("done"))

    def _current_step(self) -> Step | None:
        if self.lesson is None or self.step >= len(self.lesson.steps):
            return None
        return self.lesson.steps[self.step]

    def _hint(self, out: Writer, err: Writer) -> int:
        if self.exercise is not None and self.lesson is None:
            hints = self.exercise.hints
        else:
            step = self._current_step()
            if step is None:
                err(t("tutor.nothing_going_on") + "\n")
                return 1
            hints = step.hints or [t("tutor.hint_show")]
        if self.hints_given >= len(hints):
            out(t("tutor.no_more_hints") + "\n")
            return 0
        out(render(hints[self.hints_given], self.width()))
        self.hints_given += 1
        return 0

    def _show(self, out: Writer, err: Writer) -> int:
        step = self._current_step()
        if step is None:
            err(t("tutor.nothing_to_show") + "\n")
            return 1
        out(self._type_on(step))
        return 0

    def _move(self, delta: int, out: Writer, err: Writer) -> int:
        if self.lesson is None:
            err(t("tutor.no_lesson") + "\n")
            return 1
        target = self.step + delta
        if target < 0:
            err(t("tutor.first_step") + "\n")
            return 1
        self.step = min(target, len(self.lesson.steps))
        self.hints_given = 0
        self._save_lesson()
        self._announce(out)
        return 0

    def _check(self, out: Writer, err: Writer) -> int:
        if self.exercise is None:
            err(t("tutor.no_exercise") + "\n")
            return 1
        failures = Checker(self.session.lab, self.facts).failures(self.exercise.checks)
        if failures:
            out(t("tutor.not_yet") + "\n")
            for f in failures:
                out(f"  - {f.message}\n")
            return 1
        out(t("tutor.exercise_done", title=self.exercise.title) + "\n")
        kept = self.progress.exercises.setdefault(str(self.exercise.number), {})
        kept["done"] = True
        self.progress.save()
        return 0

    # -- after each line ------------------------------------------------------------------------

    def after_line(self, line: str, out: Writer, err: Writer) -> None:
        if self.pending is not None:
            kind, number = self.pending
            self.pending = None
            if kind == "lesson":
                self.start_lesson(number, out, err)
            else:
                self.start_exercise(number, out, err)
            return
        if self.exercise is not None and self.lesson is None and line.strip():
            kept = self.progress.exercises.setdefault(str(self.exercise.number), {})
            kept.setdefault("typed", []).append(
                [
                    round(self.session.lab.now() - kept.get("began", 0.0), 1),
                    self.session.host,
                    line,
                ]  # fmt: skip
            )
            self.progress.save()
        typed = typed_keys(line)
        if any(key[:1] and key[0] in TUTOR_COMMANDS for key in typed):
            return  # `back` shows a step again: it is not done by its state holding still
        self._advance(typed, out)

    def _advance(self, typed: list[tuple[str, ...]], out: Writer) -> None:
        """Go on through the steps that are done: those whose state the cluster is in, and
        one whose command was typed (`typed`)."""
        consumed = False  # a step done by typing its command uses the line up
        self.waiting = False
        while self.lesson is not None:
            step = self._current_step()
            if step is None:
                return
            if step.checks:
                failures = Checker(self.session.lab).failures(step.checks)
                if failures:
                    if typed_keys(step.command)[0] in typed:
                        out(t("tutor.waiting", why=failures[0].message) + "\n")
                        self.waiting = True
                    return
            elif consumed or typed_keys(step.command)[0] not in typed:
                return
            else:
                consumed = True
            if step.notice:
                out("\n" + render(step.notice, self.width()))
            self.step += 1
            self.hints_given = 0
            self._save_lesson()
            self._announce(out)

    def ready(self) -> bool:
        """Whether a step the student typed, and that was not there yet, is there now: the
        REPL looks while it waits at the prompt (lab time runs on), and then calls poll."""
        step = self._current_step() if self.waiting and self.lesson is not None else None
        return step is not None and not Checker(self.session.lab).failures(step.checks)

    def poll(self, out: Writer) -> None:
        """Go on from a step that got there while the student waited at the prompt."""
        if self.ready():
            self._advance([], out)

    # -- lessons --------------------------------------------------------------------------------

    def start_lesson(self, number: int, out: Writer, err: Writer) -> None:
        found = lessons_md.lesson(number, language())
        if found is None:
            err(t("tutor.no_such_lesson", n=number, count=0) + "\n")
            return
        kept = self.progress.lessons.get(str(number)) or {}
        resume = 0 if kept.get("done") else int(kept.get("step", 0))
        out(t("tutor.setting_up") + "\n")
        lab = self.session.new_lab(found.seed)
        try:
            prepare(lab, found.lab, found.setup)
            with fast(lab):
                for step in found.steps[:resume]:
                    run_line(lab, f"{step.host}: {step.command}")
                    if step.checks:
                        settle(lab, step.checks)
        except Exception as exc:  # a lesson that cannot be set up: say so, keep the old lab
            lab.close()
            err(f"miniswarm: {exc}\n")
            return
        self.session.use_lab(lab)
        self.lesson, self.exercise = found, None
        self.step, self.hints_given = min(resume, len(found.steps)), 0
        self.progress.current = {"kind": "lesson", "number": number}
        self._save_lesson()
        out(f"\n{t('tutor.lesson_title', n=number, title=found.title)}\n")
        if not resume:
            for key in ("questions", "objectives"):
                items = found.meta.get(key) or []
                if items:
                    out(t(f"tutor.{key}") + "\n" + self._list(items))
        if found.intro and not resume:
            out("\n" + render(found.intro, self.width()))
        if resume:
            out(t("tutor.resumed", step=resume + 1) + "\n")
        self._announce(out)

    def _type_on(self, step: Step) -> str:
        """Which host to type on (and how to get there from here), and the command."""
        where = t("tutor.type_on", host=step.host)
        here = getattr(self.session, "host", step.host)
        if here != step.host and not step.command.startswith("lab "):
            where += " " + t("tutor.you_are_on", here=here, host=step.host)
        return where + "\n" + "".join(f"    {line}\n" for line in step.command.split("\n"))

    def _list(self, items: list[str]) -> str:
        """A front matter list (questions, objectives, key points) as the prose is shown."""
        text = render("".join(f"- {item}\n" for item in items), self.width() - 2)
        return "".join(f"  {line}\n" for line in text.splitlines())

    def _save_lesson(self) -> None:
        if self.lesson is None:
            return
        kept = self.progress.lessons.setdefault(str(self.lesson.number), {})
        kept["step"] = self.step
        if self.step >= len(self.lesson.steps):
            kept["done"] = True
        self.progress.save()

    def _announce(self, out: Writer) -> None:
        assert self.lesson is not None
        step = self._current_step()
        if step is None:
            out("\n" + t("tutor.lesson_done", title=self.lesson.title) + "\n")
            out(self._list(self.lesson.keypoints))
            after = lessons_md.lesson(self.lesson.number + 1, language())
            if after is not None:
                out(t("tutor.next_lesson", n=after.number, title=after.title) + "\n")
            else:
                out(t("tutor.last_lesson") + "\n")
            self.lesson = None
            self.progress.current = {}
            self.progress.save()
            return
        out(f"\n[{self.step + 1}/{len(self.lesson.steps)}] {step.title}\n")
        if step.lead:
            out(render(step.lead, self.width()))
        out(self._type_on(step))

    # -- exercises ------------------------------------------------------------------------------

    def start_exercise(self, number: int, out: Writer, err: Writer) -> None:
        found = lessons_md.exercise(number, language())
        if found is None:
            err(t("tutor.no_such_exercise", n=number, count=0) + "\n")
            return
        out(t("tutor.setting_up") + "\n")
        lab = self.session.new_lab(found.seed)
        try:
            prepare(lab, found.lab, [])
            facts = tokens(lab) if found.lab == "swarm" else {}
            prepare(lab, "fresh", found.setup)
        except Exception as exc:
            lab.close()
            err(f"miniswarm: {exc}\n")
            return
        self.session.use_lab(lab)
        self.exercise, self.lesson = found, None
        self.facts, self.hints_given = facts, 0
        kept = self.progress.exercises.setdefault(str(number), {})
        kept["began"] = lab.now()
        kept["typed"] = []
        self.progress.current = {"kind": "exercise", "number": number}
        self.progress.save()
        out(f"\n{t('tutor.exercise_title', n=number, title=found.title)}\n")
        out(render(found.goal, self.width()))
        out(t("tutor.exercise_how") + "\n")

    def resume(self, out: Writer, err: Writer) -> None:
        """At the start of a session: go on with what was going on."""
        current = self.progress.current
        if current.get("kind") == "lesson":
            out(t("tutor.resuming") + "\n")
            self.start_lesson(int(current["number"]), out, err)


def typed_keys(line: str) -> list[tuple[str, ...]]:
    """The commands a line runs (split on ; && || |), each as command_key names it: a
    step is typed when the first command of its own line is among them."""
    parts = [part.strip() for part in re.split(r";|&&|\|\||\|", line) if part.strip()]
    return [command_key(part) for part in parts] or [()]


# -- playing a lesson whole (CI, and authors checking their outputs) ---------------------------

WIDE = 200  # columns: lesson outputs are shown unwrapped
PACE = 3.0  # seconds a student takes to read a step and type it


@dataclass
class Played:
    step: Step
    output: list[str]  # what the terminal was left with
    status: int
    reached: bool  # its checks held (in time)


def play_lesson(lesson: Lesson, lab: Lab, limit: float = 90.0) -> list[Played]:
    """Set the lesson's lab up and type each step as a student would, waiting (up to
    `limit` seconds) for the state it names before the next."""
    from .screen import render as screen

    prepare(lab, lesson.lab, lesson.setup)
    shells: dict[str, Shell] = {}
    out = []
    for step in lesson.steps:
        lab.sleep(PACE)
        shell = shells.setdefault(step.host, Shell(lab, step.host, tty=True, width=WIDE))
        result = shell.run(step.command)
        if step.tty:
            lines = screen(result.stdout, WIDE, 50) + screen(result.stderr, WIDE, 50)
        else:
            lines = result.text.split("\n")
        while lines and lines[-1] == "":
            lines.pop()
        reached = settle(lab, step.checks, limit) if step.checks else True
        out.append(Played(step, lines, result.status, reached))
    return out


# -- judging an exercise outside the REPL -------------------------------------------------------


def judge(exercise: Exercise, typed: list[list[Any]], lab: Lab) -> dict[str, Any]:
    """Replay an exercise on `lab` (SimDriver): its setup, then what the student typed at
    the times they typed it; the result as Exercism's test runners write it."""
    try:
        prepare(lab, exercise.lab, [])
        facts = tokens(lab) if exercise.lab == "swarm" else {}
        prepare(lab, "fresh", exercise.setup)
        shells: dict[str, Shell] = {}
        start = lab.now()
        for at, host, line in typed:
            if lab.now() < start + float(at):
                lab.sleep(start + float(at) - lab.now())
            run_line(lab, f"{host}: {line}", shells)
    except Exception as exc:
        return {"version": 2, "status": "error", "message": str(exc), "tests": []}
    failures = {f.check: f.message for f in Checker(lab, facts).failures(exercise.checks)}
    tests = [
        {
            "name": check,
            "status": "fail" if check in failures else "pass",
            "message": failures.get(check),
        }
        for check in exercise.checks
    ]
    status = "fail" if failures else "pass"
    return {"version": 2, "status": status, "message": None, "tests": tests}
