"""Transcripts: play a recorded session on the simulator, print what happened, and
compare it with what was recorded (../shared/reference/TRANSCRIPTS.md has the format).

Where a recording has no `@ T` times, its commands ran about UNTIMED_PACE apart, and the
recorder said how long it waited in a note: `# (all 5 tasks Running 1.7s after create
returned)`; the player waits as long before the next command.

A recording of a real swarm names that swarm's IDs and tokens: `docker node rm
9dj4kv9jozgj...`. While it plays, the player learns which of its own IDs, tokens and keys
stand where the recording had others — the n-th ID of a kind in an expected output stands
for the n-th of that kind in the actual output — and rewrites later commands with its own.
The names swarm makes up for unnamed services ("dazzling_hertz") are learned the same way.

A command that waits for what never comes (a create that cannot converge) would wait as
long on a real swarm: after WAIT_LIMIT simulated seconds the player presses Ctrl-C for
it, says so, and counts it as a difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import i18n, names
from .job import Job
from .lab import Lab
from .labcmd import lab_action
from .screen import render
from .shell import Shell

# -- reading ---------------------------------------------------------------------------------

_CMD = re.compile(r"^\$ (\S+): (.*)$")
_EXIT = re.compile(r"^\[exit (\d+)\]$")
# A recording without times ran its commands one after another over ssh: about this many
# seconds apart (its ages say so: "Running 1 second ago", then 2, 3, 5 seconds).
UNTIMED_PACE = 1.0
# Simulated seconds a command may wait before the player stops it (longer than any
# rolling update the recordings hold).
WAIT_LIMIT = 300.0
_WAITED = re.compile(r"^# \(.*?\b(\d+(?:\.\d+)?)s after .*\)$")  # the recorder's wait


@dataclass
class Step:
    kind: str  # "cmd", "lab", "at", "text"
    host: str = ""
    line: str = ""
    expected: list[str] | None = None  # None: nothing recorded to compare with
    status: int | None = None
    tty: tuple[int, int] | None = None
    text: str = ""  # for "text" steps: a line carried over as it is
    lineno: int = 0  # where the step is in the transcript (1-based)


@dataclass
class Transcript:
    hosts: list[tuple[str, str]] | None = None
    managers: list[str] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)
    seed: int | None = None
    steps: list[Step] = field(default_factory=list)
    standins: bool = False  # recorded with busybox stand-ins for the images


_STANDINS = re.compile(r"^# Images were busybox stand-ins")


def read(text: str) -> Transcript:
    t = Transcript()
    t.standins = any(_STANDINS.match(line) for line in text.splitlines()[:20])
    cur: Step | None = None
    tty: tuple[int, int] | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _CMD.match(line)
        if m:
            host, cmd = m.groups()
            kind = "lab" if host == "lab" else "cmd"
            cur = Step(kind, host, cmd, [], tty=tty if kind == "cmd" else None, lineno=lineno)
            tty = None if kind == "cmd" else tty
            t.steps.append(cur)
            continue
        if line.startswith("#!"):
            cur = None
            words = line[2:].split()
            if words and words[0] == "hosts":
                t.hosts = [tuple(w.split("=", 1)) for w in words[1:]]  # type: ignore[misc]
            elif words and words[0] == "swarm":
                for w in words[1:]:
                    key, _, value = w.partition("=")
                    names = [n for n in value.split(",") if n]
                    if key == "managers":
                        t.managers = names
                    elif key == "workers":
                        t.workers = names
            elif words and words[0] == "seed":
                t.seed = int(words[1])
            elif words and words[0] == "tty":
                cols, _, rows = words[1].partition("x")
                tty = (int(cols), int(rows or 24))
            t.steps.append(Step("text", text=line))
            continue
        if line.startswith("@ "):
            cur = None
            t.steps.append(Step("at", text=line, line=line[2:].strip()))
            continue
        if cur is not None:
            e = _EXIT.match(line)
            if e:
                cur.status = int(e.group(1))
                cur = None
                continue
            if line.startswith("# ") and not cur.expected:
                continue  # an annotation of the command, not its output
            cur.expected.append(line)  # type: ignore[union-attr]
            continue
        t.steps.append(Step("text", text=line))
    for s in t.steps:
        if s.kind in ("cmd", "lab") and s.status is None:
            s.expected = None  # no [exit N]: not recorded, not checked
    return t


# -- learning IDs ------------------------------------------------------------------------------

_KINDS = [
    ("token", re.compile(r"SWMTKN-1-[0-9a-z]+-[0-9a-z]+")),
    (
        "name",
        re.compile(rf"\b(?:{'|'.join(names.LEFT)})_(?:{'|'.join(names.RIGHT)})\b"),
    ),
    ("key", re.compile(r"SWMKEY-1-[A-Za-z0-9+/=]+")),
    ("hex64", re.compile(r"\b[0-9a-f]{64}\b")),
    ("id25", re.compile(r"\b[0-9a-z]{25}\b")),
    ("hex12", re.compile(r"\b[0-9a-f]{12}\b")),
    ("id12", re.compile(r"\b(?=[0-9a-z]*\d)[0-9a-z]{12}\b")),
]


class Learner:
    """Which of our IDs stand for the recording's."""

    def __init__(self, lab: Lab | None = None) -> None:
        self.map: dict[str, str] = {}
        self.lab = lab

    def learn(self, expected: list[str], actual: list[str]) -> None:
        e_text, a_text = "\n".join(expected), "\n".join(actual)
        for _, rx in _KINDS:
            theirs = _unique(rx.findall(e_text))
            ours = _unique(rx.findall(a_text))
            if len(theirs) != len(ours):
                continue
            for x, y in zip(theirs, ours, strict=True):
                if x == y:
                    continue
                self.map[x] = y
                if len(x) == 25 and len(y) == 25:
                    self.map.setdefault(x[:12], y[:12])

    def rewrite(self, line: str, expected: list[str] | None = None) -> str:
        """`line` with the recording's IDs replaced by ours. A join token never seen in an
        output (the recording's swarm was formed off the record) stands for our current
        token of the role the recorded output names — a worker's, when it does not say."""
        for token in _KINDS[0][1].findall(line):
            if token not in self.map and self.lab is not None:
                role = "manager" if expected and "as a manager" in " ".join(expected) else "worker"
                ours = self.lab.current_token(role)
                if ours:
                    self.map[token] = ours
        for old in sorted(self.map, key=len, reverse=True):
            if old in line:
                line = re.sub(rf"(?<![0-9A-Za-z]){re.escape(old)}", self.map[old], line)
        return line


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- comparing ---------------------------------------------------------------------------------

_NORMAL = [
    (re.compile(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.S), "<CERT>"),
    (re.compile(r"SWMTKN-1-[0-9a-z]+-[0-9a-z]+"), "<TOKEN>"),
    (re.compile(r"SWMKEY-1-[A-Za-z0-9+/=]+"), "<KEY>"),
    (re.compile(r"sha256:[0-9a-f]{12,64}"), "<DIGEST>"),
    (
        re.compile(
            r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?( [+-]\d{4} \w+)?"
        ),
        "<TIME>",
    ),
    (
        re.compile(
            r"\b(\d+|an?|about an?|About an?|less than a|Less than a) "
            r"(second|minute|hour|day|week|month|year)s?( ago)?\b"
        ),
        "<AGO>",
    ),
    (re.compile(r"\b\d+(\.\d+)?(ms|s|m|h)\b(?= ago)"), "<AGO>"),
    (re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"), "<ADDR>"),
    (re.compile(r"\b\d+\.\d+\.\d+(\+\w+)?(?=\s|$|\")"), "<VERSION>"),
    (re.compile(r"\b[A-Z2-7]{4}(:[A-Z2-7]{4}){11}\b"), "<ENGINE-ID>"),
    (re.compile(r"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE[A-Za-z0-9+/=]+"), "<PUBLIC-KEY>"),
    (re.compile(r"\b[0-9a-z]{25}\b"), "<ID>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<ID>"),
    (re.compile(r"^(\s*)[0-9a-z]{12}\b", re.M), r"\1<ID>"),
    (re.compile(r"\b(?=[0-9a-z]*\d)[0-9a-z]{12}\b"), "<ID>"),
    (re.compile(r"\b[a-z]+_[a-z]+\b(?=[\s.]|$)", re.M), "<NAME>"),
]
# Lines that list a Go map's keys: the docker CLI visits a map in random order, so two
# runs of the same command on the same host may order them differently.
_MAP_LINES = re.compile(r"^( Runtimes:)(.*)$", re.M)
# Progress lines that may repeat any number of times while nothing changes.
_PROGRESS = re.compile(r"progress|verify:|^\d+/\d+:")


def normalise(lines: list[str]) -> list[str]:
    """What remains of an output once what legitimately differs between two swarms is
    blotted out (IDs, tokens, keys, ages, dates, addresses, versions, the column widths
    that follow from them, the order of a Go map, and how often an unchanged progress
    line repeats) — the rules of TRANSCRIPTS.md and of ../tools/fidelity.py."""
    text = "\n".join(lines)
    text = _MAP_LINES.sub(lambda m: m.group(1) + " " + " ".join(sorted(m.group(2).split())), text)
    for rx, rep in _NORMAL:
        text = rx.sub(rep, text)
    out: list[str] = []
    for line in text.split("\n"):
        line = re.sub(r" {2,}", "  ", line.rstrip())
        line = re.sub(r"<AGO>( <AGO>)+", "<AGO>", line)
        if out and line == out[-1] and _PROGRESS.search(line):
            continue
        out.append(line)
    while out and out[-1] == "":
        out.pop()
    return out


# -- playing -----------------------------------------------------------------------------------


@dataclass
class Difference:
    """A command whose output or exit status was not as recorded."""

    lineno: int  # of the command in the transcript
    host: str
    line: str
    text: str  # the command, and a diff of the normalised outputs

    def __str__(self) -> str:
        return self.text


@dataclass
class Outcome:
    text: str  # the transcript as played
    differences: list[Difference]
    checked: int


def play(text: str, seed: int | None = None, check: bool = False) -> Outcome:
    t = read(text)
    lab = Lab(t.hosts, seed=seed if seed is not None else (t.seed or 0), standins=t.standins)
    try:
        return _play(t, lab, check)
    finally:
        lab.close()


def _play(t: Transcript, lab: Lab, check: bool) -> Outcome:
    learner = Learner(lab)
    shells: dict[tuple[str, tuple[int, int] | None], Shell] = {}
    out: list[str] = []
    diffs: list[Difference] = []
    checked = 0
    t0 = 0.0  # when the first command ran (the swarm formed before it)
    formed = False
    untimed = not any(s.kind == "at" for s in t.steps)  # waits are told only in notes
    last_start: float | None = None
    stopper = _Stopper(lab)
    for step in t.steps:
        if step.kind == "text":
            out.append(step.text)
            waited = _WAITED.match(step.text) if untimed else None
            if waited and formed:
                lab.sleep(float(waited.group(1)))
            continue
        if not formed and step.kind in ("cmd", "lab", "at"):
            if t.managers:
                lab.form_swarm(t.managers, t.workers)
            formed = True
            t0 = lab.now()
        if step.kind == "at":
            out.append(step.text)
            target = t0 + float(step.line)
            if lab.now() < target:
                lab.sleep(target - lab.now())
            continue
        if step.kind == "lab":
            out.append(f"$ lab: {step.line}")
            lab_action(lab, step.line)
            continue
        if untimed and last_start is not None:  # the recorder's own pace between commands
            lab.sleep(max(0.0, last_start + UNTIMED_PACE - lab.now()))
        last_start = lab.now()
        line = learner.rewrite(step.line, step.expected)
        cols, rows = step.tty or (80, 24)
        shell = shells.get((step.host, step.tty))
        if shell is None:
            shell = shells[(step.host, step.tty)] = Shell(
                lab,
                step.host,
                tty=step.tty is not None,
                width=cols,
                height=rows,
                job=Job(lab.kernel, interrupted=stopper),
            )
        stopper.arm(lab.now() + WAIT_LIMIT)
        result = shell.run(line)
        if step.tty:  # what it leaves on the terminal: progress drawn in place
            actual = render(result.stdout, cols, rows) + render(result.stderr, cols, rows)
        else:
            actual = result.text.split("\n")
            if actual and actual[-1] == "":
                actual.pop()
        if stopper.fired:
            actual.append(i18n.t("run.stopped", seconds=f"{WAIT_LIMIT:.0f}"))
        out.append(f"$ {step.host}: {line}")
        out.extend(actual)
        out.append(f"[exit {result.status}]")
        if step.expected is not None:
            learner.learn(step.expected, actual)
            if check:
                checked += 1
                want, got = normalise(step.expected), normalise(actual)
                if want != got or step.status != result.status:
                    text = _difference(step, line, want, got, result.status)
                    diffs.append(Difference(step.lineno, step.host, line, text))
    return Outcome("\n".join(out) + "\n", diffs, checked)


class _Stopper:
    """The player's hand on Ctrl-C: pressed once, when a command has waited too long."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.at = float("inf")
        self.fired = False

    def arm(self, at: float) -> None:
        self.at, self.fired = at, False

    def __call__(self) -> bool:
        if not self.fired and self.lab.now() >= self.at:
            self.fired = True
            return True
        return False


def _difference(step: Step, line: str, want: list[str], got: list[str], status: int) -> str:
    import difflib

    head = f"--- {step.host}: {line}"
    if step.status != status:
        head += f"  (exit {status}, expected {step.status})"
    body = "\n".join(difflib.unified_diff(want, got, "expected", "actual", lineterm="", n=1))
    return head + ("\n" + body if body else "")
