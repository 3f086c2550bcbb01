"""grep, as both shells have it: the student's (shell.py) and the containers'
(runtime/sh.py). Basic regular expressions as grep and sed read them."""

from __future__ import annotations

import re
from collections.abc import Callable


def bre(pattern: str) -> str:
    """A basic regular expression as grep and sed read it: \\( \\) \\{ \\} \\| \\+ \\? are
    the operators, ( ) { } | + ? are literal."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            n = pattern[i + 1]
            out += n if n in "(){}|+?" else "\\" + n
            i += 2
            continue
        out += "\\" + c if c in "(){}|+?" else c
        i += 1
    return out


def grep(args: list[str], read: Callable[[list[str]], tuple[str, str]]) -> tuple[str, str, int]:
    """grep [-vicqonwFE] [-e PATTERN]... [PATTERN] [FILE...]; read(files) gives the input
    text (standard input when there are no files) and the errors reading them."""
    opts, rest, patterns = set(), [], []
    it = iter(args)
    for a in it:
        if a == "-e":
            patterns.append(next(it, ""))
        elif a.startswith("-") and len(a) > 1 and a != "--":
            opts.update(a[1:])
        else:
            rest.append(a)
    if not patterns:
        if not rest:
            return "", "Usage: grep [OPTION]... PATTERNS [FILE]...\n", 2
        patterns.append(rest.pop(0))
    text, err = read(rest)
    if "F" in opts:
        regexes = [re.escape(p) for p in patterns]
    else:
        regexes = [p if "E" in opts else bre(p) for p in patterns]
    regex = "|".join(f"(?:{r})" for r in regexes)
    if "w" in opts:
        regex = rf"\b(?:{regex})\b"
    try:
        rx = re.compile(regex, re.I if "i" in opts else 0)
    except re.error:
        return "", "grep: Invalid regular expression\n", 2
    hits = [
        (n, line.rstrip("\n"))
        for n, line in enumerate(text.splitlines(keepends=True), 1)
        if bool(rx.search(line.rstrip("\n"))) != ("v" in opts)
    ]
    if "c" in opts:
        return f"{len(hits)}\n", err, 0 if hits else 1
    if "q" in opts:
        return "", err, 0 if hits else 1
    if "o" in opts and "v" not in opts:
        out = "".join(m.group(0) + "\n" for _, line in hits for m in rx.finditer(line))
    else:
        out = "".join((f"{n}:{line}" if "n" in opts else line) + "\n" for n, line in hits)
    return out, err, 0 if hits else 1
