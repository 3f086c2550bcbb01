"""grep, as both shells have it: the student's (shell.py, GNU grep on the lab hosts) and
the containers' (runtime/sh.py). It reads a line at a time, so `docker service logs -f
web | grep GET` shows each match as it comes. Basic regular expressions as grep and sed
read them."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable

from .getopt import UsageError, getopt

USAGE = "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n"
_LONG = {
    "ignore-case": "i",
    "invert-match": "v",
    "count": "c",
    "quiet": "q",
    "silent": "q",
    "only-matching": "o",
    "line-number": "n",
    "word-regexp": "w",
    "line-regexp": "x",
    "extended-regexp": "E",
    "fixed-strings": "F",
    "basic-regexp": "G",
    "regexp=": "e",
    "after-context=": "A",
    "before-context=": "B",
    "context=": "C",
    "max-count=": "m",
    "no-filename": "h",
    "with-filename": "H",
    "files-with-matches": "l",
    "files-without-match": "L",
    "no-messages": "s",
    "color": "color",
    "colour": "color",
    "color=": "color",
    "colour=": "color",
    "line-buffered": "line-buffered",
}


def bre(pattern: str) -> str:
    """A basic regular expression as grep and sed read it: \\( \\) \\{ \\} \\| \\+ \\? are
    the operators, ( ) { } | + ? are literal, and a `*` that repeats nothing (at the start,
    after \\( or \\|, or after a leading ^) is a literal star, as POSIX says."""
    out, i = "", 0
    at_start = True  # nothing yet a `*` could repeat
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            n = pattern[i + 1]
            out += n if n in "(){}|+?" else "\\" + n
            at_start = n in "(|"
            i += 2
            continue
        if c == "*" and at_start:
            out += "\\*"
        else:
            out += "\\" + c if c in "(){}|+?" else c
        at_start = c == "^" and at_start
        i += 1
    return out


class Grep:
    """One grep run: `start(name)` before each input, `line(text)` for each of its lines
    (what to print comes back at once), `end()` after it. `status` at the end: 0 if a
    line was selected, 1 if none, 2 after an error."""

    def __init__(self, args: list[str]) -> None:
        """Raises UsageError (with GNU's message) for a wrong command line."""
        args = [f"-C{a[1:]}" if re.fullmatch(r"-\d+", a) else a for a in args]  # grep -2
        opts, operands = getopt(args, "grep", "ivcqonwxEFGhHlLsA:B:C:e:m:", _LONG)
        flags: set[str] = set()
        patterns: list[str] = []
        self.after = self.before = 0
        self.context = False  # -A, -B or -C given: groups are set apart with "--"
        self.max_count: int | None = None
        for name, value in opts:
            if name == "e":
                patterns.append(value)
            elif name in ("A", "B", "C"):
                if not value.isdigit():
                    raise UsageError(f"grep: {value}: invalid context length argument")
                self.context = True
                if name in ("A", "C"):
                    self.after = int(value)
                if name in ("B", "C"):
                    self.before = int(value)
            elif name == "m":
                if not value.lstrip("-").isdigit():
                    raise UsageError(f"grep: invalid max count '{value}'")
                self.max_count = int(value)
            elif len(name) == 1:
                flags.add(name)
        if not patterns:
            if not operands:
                raise UsageError("")
            patterns = operands.pop(0).split("\n")
        self.files = operands
        self.flags = flags
        if "F" in flags:
            regexes = [re.escape(p) for p in patterns]
        else:
            regexes = [p if "E" in flags else bre(p) for p in patterns]
        regex = "|".join(f"(?:{r})" for r in regexes)
        if "x" in flags:
            regex = rf"^(?:{regex})$"
        elif "w" in flags:
            regex = rf"(?<!\w)(?:{regex})(?!\w)"
        try:
            self.rx = re.compile(regex, re.I if "i" in flags else 0)
        except re.error as exc:
            raise UsageError(f"grep: {_regex_complaint(exc)}") from None
        self.with_name = "H" in flags or (len(self.files) > 1 and "h" not in flags)
        if "o" in flags or "c" in flags or "l" in flags or "L" in flags or "q" in flags:
            self.after = self.before = 0
            self.context = False
        self.selected_any = False
        self.errors = False
        self.name = ""
        self._printed_any = False

    @property
    def status(self) -> int:
        if self.errors and not ("q" in self.flags and self.selected_any):
            return 2
        return 0 if self.selected_any else 1

    def start(self, name: str) -> None:
        self.name = name
        self.number = 0
        self.count = 0
        self.pending_after = 0
        self.last_printed = 0
        self.held: deque[tuple[int, str]] = deque(maxlen=self.before or None)
        self.done = False

    def _prefix(self, number: int, sep: str) -> str:
        out = f"{self.name}{sep}" if self.with_name else ""
        if "n" in self.flags:
            out += f"{number}{sep}"
        return out

    def _emit(self, number: int, text: str, sep: str) -> str:
        out = ""
        if self.context and self._printed_any and number > self.last_printed + 1:
            out += "--\n"
        self._printed_any = True
        self.last_printed = number
        return out + self._prefix(number, sep) + text + "\n"

    def line(self, text: str) -> str:
        self.number += 1
        n = self.number
        if self.done:
            if self.pending_after:
                self.pending_after -= 1
                return self._emit(n, text, "-")
            return ""
        selected = bool(self.rx.search(text)) != ("v" in self.flags)
        if not selected:
            if self.pending_after:
                self.pending_after -= 1
                return self._emit(n, text, "-")
            if self.before:
                self.held.append((n, text))
            return ""
        self.selected_any = True
        self.count += 1
        if self.max_count is not None and self.count >= self.max_count:
            self.done = True
        if self.flags & {"c", "q", "l", "L"}:
            return ""
        out = "".join(self._emit(k, t, "-") for k, t in self.held)
        self.held.clear()
        self.pending_after = self.after
        if "o" in self.flags and "v" not in self.flags:
            for m in self.rx.finditer(text):
                if m.group(0):
                    out += self._emit(n, m.group(0), ":")
            return out
        return out + self._emit(n, text, ":")

    def end(self) -> str:
        if "q" in self.flags:
            return ""
        if "c" in self.flags:
            return f"{self.name}:{self.count}\n" if self.with_name else f"{self.count}\n"
        if "l" in self.flags and self.count:
            return f"{self.name}\n"
        if "L" in self.flags and not self.count:
            return f"{self.name}\n"
        return ""


def _regex_complaint(exc: re.error) -> str:
    msg = str(exc.msg)
    if "unterminated character set" in msg:
        return "Unmatched [, [^, [:, [., or [="
    if "missing )" in msg or "unbalanced parenthesis" in msg:
        return "Unmatched ( or \\("
    return "Invalid regular expression"


def grep(args: list[str], read: Callable[[list[str]], tuple[str, str]]) -> tuple[str, str, int]:
    """grep over whole inputs at once (the containers' shell): read(files) gives the text
    (standard input when there are no files) and the errors reading them."""
    try:
        g = Grep(args)
    except UsageError as exc:
        return "", (f"{exc}\n" if str(exc) else "") + USAGE, 2
    out: list[str] = []
    err = ""
    names = g.files or ["(standard input)"]
    for name in names:
        text, problem = read([name] if g.files else [])
        if problem:
            err += problem if "s" not in g.flags else ""
            g.errors = True
            continue
        g.start(name)
        for line in text.splitlines():
            out.append(g.line(line))
        out.append(g.end())
    return "".join(out), err, g.status
