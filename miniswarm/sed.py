"""sed, as both shells have it: the student's (coreutils.py, GNU sed on the lab hosts)
and the containers' (runtime/sh.py, busybox's). Scripts of `s`, `p`, `d` and `q`
commands, with line-number, `$` and /regex/ addresses and ranges; basic regular
expressions unless -E."""

from __future__ import annotations

import re
from collections.abc import Callable

from .grep import bre

USAGE = "Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n"


def sed(args: list[str], read: Callable[[list[str]], tuple[str, str]]) -> tuple[str, str, int]:
    """sed over whole inputs: read(files) gives the text (standard input when there are
    no files, or for "-") and the errors reading them. (output, errors, status)."""
    quiet, extended, scripts, files = False, False, [], []
    it = iter(args)
    for a in it:
        if a in ("-n", "--quiet", "--silent"):
            quiet = True
        elif a in ("-E", "-r", "--regexp-extended"):
            extended = True
        elif a == "-e":
            scripts.append(next(it, ""))
        elif a.startswith("-e") and len(a) > 2:
            scripts.append(a[2:])
        elif a.startswith("-") and a != "-":
            flag = a.lstrip("-")[:1] if not a.startswith("--") else a
            shown = (
                f"invalid option -- '{flag}'"
                if not a.startswith("--")
                else (f"unrecognized option '{a}'")
            )
            return "", f"sed: {shown}\n" + USAGE, 1
        elif not scripts:
            scripts.append(a)
        else:
            files.append(a)
    if not scripts:
        return "", USAGE, 1
    text, err = "", ""
    for name in files or [""]:
        part, problem = read([] if name in ("", "-") else [name])
        text += part
        err += problem
    try:
        program = [c for s in scripts for c in _parse(s, extended)]
    except ScriptError as exc:
        return "", err + f"sed: -e expression #1, char {exc.char}: {exc}\n", 1
    except ValueError as exc:
        return "", err + f"sed: -e expression #1, char 1: {exc}\n", 1
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out: list[str] = []
    active = [False] * len(program)
    for n, line in enumerate(lines, 1):
        last = n == len(lines)
        deleted = False
        for k, (a1, a2, cmd, arg) in enumerate(program):
            if not _selected(a1, a2, n, line, last, active, k):
                continue
            if cmd == "p":
                out.append(line)
            elif cmd == "d":
                deleted = True
                break
            elif cmd == "s":
                rx, repl, sflags = arg
                new = rx.sub(repl, line, count=0 if "g" in sflags else 1)
                if new != line and "p" in sflags:
                    out.append(new)
                line = new
            elif cmd == "q":
                if not quiet:
                    out.append(line)
                return "".join(x + "\n" for x in out), err, 0
        if not quiet and not deleted:
            out.append(line)
    return "".join(x + "\n" for x in out), err, 2 if err else 0


class ScriptError(ValueError):
    """A script sed refuses, with the character GNU sed names (where the command ends)."""

    def __init__(self, message: str, char: int) -> None:
        super().__init__(message)
        self.char = char


def _regex(pattern: str, extended: bool, char: int) -> re.Pattern[str]:
    """The pattern compiled, or GNU sed's words for why it cannot be."""
    try:
        return re.compile(pattern if extended else bre(pattern))
    except re.error as exc:
        if "missing )" in exc.msg or "unterminated subpattern" in exc.msg:
            raise ScriptError("Unmatched ( or \\(", char) from None
        if "unbalanced parenthesis" in exc.msg:
            raise ScriptError("Unmatched ) or \\)", char) from None
        if "nothing to repeat" in exc.msg or "multiple repeat" in exc.msg:
            raise ScriptError("Invalid preceding regular expression", char) from None
        if "unterminated character set" in exc.msg:
            raise ScriptError("unterminated address regex", char) from None
        raise ScriptError("Invalid regular expression", char) from None


def _address(s: str, extended: bool, char: int = 1) -> tuple[object, str]:
    if s.startswith("/"):
        end = s.index("/", 1)
        pattern = s[1:end]
        return _regex(pattern, extended, char), s[end + 1 :]
    m = re.match(r"\d+|\$", s)
    if m:
        return m.group(0), s[m.end() :]
    return None, s


def _parse(script: str, extended: bool) -> list[tuple]:
    program: list[tuple] = []
    ends = 0  # where each command ends in the script: the character GNU sed names
    for part in script.split(";"):
        ends += len(part) + 1
        char = ends - 1
        s = part.strip()
        if not s:
            continue
        a1, s = _address(s, extended, char)
        a2 = None
        if s.startswith(","):
            a2, s = _address(s[1:], extended, char)
        s = s.strip()
        if not s:
            raise ValueError("missing command")
        cmd = s[0]
        if cmd == "s":
            if len(s) < 2:
                raise ValueError("unterminated `s' command")
            delim = s[1]
            parts = s[2:].split(delim)
            if len(parts) < 3:
                raise ValueError("unterminated `s' command")
            repl = re.sub(r"\\(\d)", r"\\\1", parts[1]).replace("&", r"\g<0>")
            rx = _regex(parts[0], extended, char)
            program.append((a1, a2, "s", (rx, repl, parts[2])))
        elif cmd in "pdq":
            program.append((a1, a2, cmd, None))
        else:
            raise ValueError(f"unknown command: `{cmd}'")
    return program


def _match(addr: object, n: int, line: str, last: bool) -> bool:
    if addr is None:
        return True
    if addr == "$":
        return last
    if isinstance(addr, str):
        return n == int(addr)
    return bool(addr.search(line))  # type: ignore[attr-defined]


def _selected(
    a1: object, a2: object, n: int, line: str, last: bool, active: list[bool], k: int
) -> bool:
    if a2 is None:
        return _match(a1, n, line, last)
    if active[k]:
        if _match(a2, n, line, last) or (isinstance(a2, str) and a2 != "$" and n >= int(a2)):
            active[k] = False
        return True
    if _match(a1, n, line, last):
        active[k] = not (isinstance(a2, str) and a2 != "$" and n >= int(a2))
        return True
    return False
