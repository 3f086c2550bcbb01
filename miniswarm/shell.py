"""The little shell around docker that students' notes use.

One command line: commands joined by `|`, `&&`, `||` and `;`; quotes and backslashes as
sh reads them; redirections `> FILE`, `>> FILE`, `< FILE`, `2>&1`, `2>/dev/null`, and
here-strings `<<< 'text'`. Commands: docker, and echo, printf, cat, grep, head, tail, wc,
sort, uniq, cut, sed, tr, tee, timeout, sleep, true, false — enough for
`docker info | grep Swarm`, `echo pw | docker secret create s -`,
`docker info | sed -n '/Swarm:/,/Runtimes:/p'`, `timeout 5 docker service logs -f web`.

Files live on the simulated host the student is on (`lab.files[host]`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import grep

if TYPE_CHECKING:
    from .lab import Lab


class ShellError(Exception):
    pass


@dataclass
class Output:
    """What a command line printed: standard output and error, in order, and its status."""

    stdout: str = ""
    stderr: str = ""
    status: int = 0
    chunks: list[tuple[str, str]] = field(default_factory=list)  # (stream, text) in order

    def emit(self, stream: str, text: str) -> None:
        if not text:
            return
        self.chunks.append((stream, text))
        if stream == "out":
            self.stdout += text
        else:
            self.stderr += text

    @property
    def text(self) -> str:
        """Standard output, then standard error (as transcripts record them)."""
        return self.stdout + self.stderr


@dataclass
class Redirect:
    op: str  # ">", ">>", "<", "<<<", "2>&1", "2>", "&>"
    target: str


@dataclass
class Simple:
    argv: list[str]
    redirects: list[Redirect] = field(default_factory=list)


# -- parsing ----------------------------------------------------------------------------------

_OPERATORS = ["<<<", "2>&1", "2>>", "&>", "2>", ">>", "&&", "||", ">", "<", "|", ";"]


def tokenize(line: str) -> list[tuple[str, str]]:
    """("word", text) and ("op", text) tokens, with sh's quoting: '...' literally, "..."
    with backslash escapes, a backslash outside quotes escaping the next character."""
    tokens: list[tuple[str, str]] = []
    word: str | None = None
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c in " \t":
            if word is not None:
                tokens.append(("word", word))
                word = None
            i += 1
            continue
        op = next((o for o in _OPERATORS if line.startswith(o, i)), None)
        if op is not None and not (op[0] == "2" and word is not None):
            if word is not None:
                tokens.append(("word", word))
                word = None
            tokens.append(("op", op))
            i += len(op)
            continue
        if c == "&":
            raise ShellError("syntax error near unexpected token `&'")
        if c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise ShellError("unexpected EOF while looking for matching `''")
            word = (word or "") + line[i + 1 : end]
            i = end + 1
            continue
        if c == '"':
            j, text = i + 1, ""
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n and line[j + 1] in '"\\$`':
                    text += line[j + 1]
                    j += 2
                else:
                    text += line[j]
                    j += 1
            if j >= n:
                raise ShellError("unexpected EOF while looking for matching `\"'")
            word = (word or "") + text
            i = j + 1
            continue
        if c == "\\" and i + 1 < n:
            word = (word or "") + line[i + 1]
            i += 2
            continue
        word = (word or "") + c
        i += 1
    if word is not None:
        tokens.append(("word", word))
    return tokens


def parse(line: str) -> list[tuple[str, list[Simple]]]:
    """A list of (connector, pipeline): connector is "" for the first, else ";", "&&" or
    "||" — how it follows the previous one."""
    tokens = tokenize(line)
    seq: list[tuple[str, list[Simple]]] = []
    connector = ""
    pipeline: list[Simple] = []
    cur = Simple([])
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        if kind == "word":
            cur.argv.append(text)
        elif text in ("|", ";", "&&", "||"):
            if not cur.argv and not cur.redirects:
                raise ShellError(f"syntax error near unexpected token `{text}'")
            pipeline.append(cur)
            cur = Simple([])
            if text != "|":
                seq.append((connector, pipeline))
                pipeline, connector = [], text
        elif text == "2>&1":
            cur.redirects.append(Redirect("2>&1", ""))
        else:
            if i + 1 >= len(tokens) or tokens[i + 1][0] != "word":
                raise ShellError("syntax error near unexpected token `newline'")
            cur.redirects.append(Redirect(text, tokens[i + 1][1]))
            i += 1
        i += 1
    if cur.argv or cur.redirects:
        pipeline.append(cur)
    elif pipeline or connector in ("&&", "||"):
        raise ShellError("syntax error: unexpected end of line")
    if pipeline:
        seq.append((connector, pipeline))
    return seq


# -- running ----------------------------------------------------------------------------------

Builtin = Callable[["Shell", list[str], str], tuple[str, str, int]]
BUILTINS: dict[str, Builtin] = {}


def builtin(name: str) -> Callable[[Builtin], Builtin]:
    def register(fn: Builtin) -> Builtin:
        BUILTINS[name] = fn
        return fn

    return register


class Shell:
    """Runs command lines on one host of a lab."""

    def __init__(
        self,
        lab: Lab,
        host: str,
        tty: bool = False,
        width: int = 80,
        height: int = 24,
        read_input=None,
    ):
        self.lab = lab
        self.read_input = read_input  # typed input, for a command that asks (the REPL's)
        self.host = host
        self.tty = tty
        self.width = width
        self.height = height
        self.deadline: float | None = None  # set by `timeout`

    @property
    def files(self) -> dict[str, str]:
        return self.lab.files[self.host]

    def run(self, line: str) -> Output:
        out = Output()
        try:
            seq = parse(line)
        except ShellError as exc:
            out.emit("err", f"miniswarm: {exc}\n")
            out.status = 2
            return out
        status = 0
        for connector, pipeline in seq:
            if connector == "&&" and status != 0:
                continue
            if connector == "||" and status == 0:
                continue
            status = self._pipeline(pipeline, out)
        out.status = status
        return out

    def _pipeline(self, pipeline: list[Simple], out: Output) -> int:
        data = ""
        status = 0
        for i, cmd in enumerate(pipeline):
            last = i == len(pipeline) - 1
            stdin = data if i > 0 else ""
            stdout, stderr, status = self._simple(cmd, stdin, i > 0, last)
            data = stdout
            if not last:
                out.emit("err", stderr)
            else:
                out.emit("out", stdout)
                out.emit("err", stderr)
        return status

    def _simple(self, cmd: Simple, stdin: str, piped: bool, last: bool) -> tuple[str, str, int]:
        stdin_given = piped
        to_file: tuple[str, bool] | None = None
        err_to_out = err_null = False
        for r in cmd.redirects:
            if r.op == "<<<":
                stdin, stdin_given = r.target + "\n", True
            elif r.op == "<":
                if r.target not in self.files:
                    return "", f"miniswarm: {r.target}: No such file or directory\n", 1
                stdin, stdin_given = self.files[r.target], True
            elif r.op in (">", ">>", "&>"):
                to_file = (r.target, r.op == ">>")
                err_to_out = err_to_out or r.op == "&>"
            elif r.op == "2>&1":
                err_to_out = True
            elif r.op in ("2>", "2>>"):
                err_null = r.target == "/dev/null"
                if not err_null:
                    to_err = r.target
                    self.files.setdefault(to_err, "")
        if not cmd.argv:
            stdout, stderr, status = "", "", 0
        else:
            to_terminal = self.tty and last and to_file is None
            stdout, stderr, status = self.execute(
                cmd.argv, stdin if stdin_given else None, to_terminal
            )
        if err_null:
            stderr = ""
        if err_to_out:
            stdout, stderr = stdout + stderr, ""
        if to_file is not None:
            name, append = to_file
            if name != "/dev/null":
                self.files[name] = (self.files.get(name, "") if append else "") + stdout
            stdout = ""
        return stdout, stderr, status

    def execute(
        self, argv: list[str], stdin: str | None, to_terminal: bool = False
    ) -> tuple[str, str, int]:
        """One command: (stdout, stderr, status). stdin is None when nothing is piped in;
        to_terminal says whether its output goes to the terminal."""
        name = argv[0]
        if name == "docker":
            r = self.lab.docker(
                self.host,
                argv[1:],
                stdin=stdin,
                tty=to_terminal,
                width=self.width,
                height=self.height,
                deadline=self.deadline,
                read_input=self.read_input if to_terminal else None,
            )
            return r.out, r.err, r.status
        fn = BUILTINS.get(name)
        if fn is None:
            return "", f"miniswarm: {name}: command not found\n", 127
        return fn(self, argv[1:], stdin or "")


# -- the text tools ------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _join(lines: list[str]) -> str:
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _escapes(s: str) -> str:
    return (
        s.replace("\\\\", "\x00")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\r", "\r")
        .replace("\\a", "\a")
        .replace("\x00", "\\")
    )


@builtin("echo")
def _echo(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    newline, interpret = True, False
    while args and args[0] in ("-n", "-e", "-ne", "-en", "-E"):
        flag = args.pop(0)
        newline = newline and "n" not in flag
        interpret = interpret or "e" in flag
    text = " ".join(args)
    if interpret:
        text = _escapes(text)
    return text + ("\n" if newline else ""), "", 0


@builtin("printf")
def _printf(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    if not args:
        return "", "printf: usage: printf format [arguments]\n", 2
    fmt, values = _escapes(args[0]), list(args[1:])
    out = []
    while True:
        used = 0

        def sub(m: re.Match, values: list[str] = values) -> str:
            nonlocal used
            spec = m.group(0)
            if spec == "%%":
                return "%"
            v = values[used] if used < len(values) else ""
            used += 1
            if spec[-1] == "b":
                return _escapes(v)
            if spec[-1] in "di":
                try:
                    return (spec[:-1] + "d") % int(v or 0)
                except ValueError:
                    return "0"
            return (spec[:-1] + "s") % v

        out.append(re.sub(r"%[-0-9.]*[sdibq%]", sub, fmt))
        values = values[used:]
        if not values or used == 0:
            break
    return "".join(out), "", 0


@builtin("cat")
def _cat(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    if not args or args == ["-"]:
        return stdin, "", 0
    out, err, status = "", "", 0
    for name in args:
        if name in sh.files:
            out += sh.files[name]
        else:
            err += f"cat: {name}: No such file or directory\n"
            status = 1
    return out, err, status


def _input(sh: Shell, files: list[str], stdin: str, tool: str) -> tuple[str, str]:
    if not files:
        return stdin, ""
    text, err = "", ""
    for name in files:
        if name in sh.files:
            text += sh.files[name]
        else:
            err += f"{tool}: {name}: No such file or directory\n"
    return text, err


@builtin("grep")
def _grep(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    return grep.grep(args, lambda files: _input(sh, files, stdin, "grep"))


def _count_arg(args: list[str], default: int) -> tuple[int, bool, list[str]]:
    """-n N, -nN, -N, and tail's +N. Returns (count, from_start, files)."""
    n, plus, files = default, False, []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-n", "--lines") and i + 1 < len(args):
            v = args[i + 1]
            i += 1
        elif a.startswith("-n"):
            v = a[2:]
        elif re.fullmatch(r"-\d+", a):
            v = a[1:]
        else:
            files.append(a)
            i += 1
            continue
        plus = v.startswith("+")
        n = int(v.lstrip("+-") or 0)
        i += 1
    return n, plus, files


@builtin("head")
def _head(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    n, _, files = _count_arg(args, 10)
    text, err = _input(sh, files, stdin, "head")
    return "".join(_lines(text)[:n]), err, 0


@builtin("tail")
def _tail(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    n, plus, files = _count_arg([a for a in args if a != "-f"], 10)
    text, err = _input(sh, files, stdin, "tail")
    lines = _lines(text)
    return "".join(lines[n - 1 :] if plus else (lines[-n:] if n else [])), err, 0


@builtin("wc")
def _wc(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    opts = "".join(a[1:] for a in args if a.startswith("-"))
    files = [a for a in args if not a.startswith("-")]
    text, err = _input(sh, files, stdin, "wc")
    counts = {"l": text.count("\n"), "w": len(text.split()), "c": len(text.encode())}
    chosen = [k for k in "lwc" if k in opts] or ["l", "w", "c"]
    if len(chosen) == 1 and not files:
        return f"{counts[chosen[0]]}\n", err, 0
    return " ".join(f"{counts[k]:7d}" for k in chosen) + "\n", err, 0


@builtin("sort")
def _sort(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    opts = "".join(a[1:] for a in args if a.startswith("-") and not a.startswith("-k"))
    files = [a for a in args if not a.startswith("-")]
    text, err = _input(sh, files, stdin, "sort")
    lines = [line.rstrip("\n") for line in _lines(text)]
    if "n" in opts:

        def num(s: str) -> float:
            m = re.match(r"\s*-?\d+(\.\d+)?", s)
            return float(m.group(0)) if m else 0.0

        lines.sort(key=num, reverse="r" in opts)
    else:
        lines.sort(reverse="r" in opts)
    if "u" in opts:
        lines = list(dict.fromkeys(lines))
    return _join(lines), err, 0


@builtin("uniq")
def _uniq(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    text, err = _input(sh, [a for a in args if not a.startswith("-")], stdin, "uniq")
    out, prev = [], None
    counts: list[int] = []
    for line in _lines(text):
        if line != prev:
            out.append(line)
            counts.append(1)
        else:
            counts[-1] += 1
        prev = line
    if "-c" in args:
        out = [f"{c:7d} {line}" for c, line in zip(counts, out, strict=True)]
    return _join(out), err, 0


def _ranges(spec: str) -> Callable[[int], bool]:
    """cut's LIST: N, N-M, N-, -M, separated by commas (1-based)."""
    parts = []
    for part in spec.split(","):
        lo, dash, hi = part.partition("-")
        if not (lo or hi) or not (lo or "1").isdigit() or not (hi or "1").isdigit():
            raise ValueError(part)
        parts.append((int(lo or 1), int(hi) if hi else (None if dash else int(lo))))
    return lambda n: any(lo <= n and (hi is None or n <= hi) for lo, hi in parts)


@builtin("cut")
def _cut(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    """cut -c LIST, or -f LIST with -d DELIM (tab by default)."""
    delim, mode, spec, files = "\t", "", "", []
    i = 0
    while i < len(args):
        a = args[i]
        if a[:2] in ("-d", "-f", "-c") and len(a) >= 2:
            value = a[2:] if len(a) > 2 else (args[i + 1] if i + 1 < len(args) else "")
            i += 1 if len(a) == 2 else 0
            if a[1] == "d":
                delim = value
            else:
                mode, spec = a[1], value
        else:
            files.append(a)
        i += 1
    if not mode:
        return "", "cut: you must specify a list of bytes, characters, or fields\n", 1
    try:
        wanted = _ranges(spec)
    except ValueError:
        return "", f"cut: invalid field value '{spec}'\n", 1
    text, err = _input(sh, files, stdin, "cut")
    out = []
    for line in _lines(text):
        line = line.rstrip("\n")
        if mode == "c":
            out.append("".join(ch for n, ch in enumerate(line, 1) if wanted(n)))
            continue
        cols = line.split(delim)
        out.append(
            delim.join(c for n, c in enumerate(cols, 1) if wanted(n)) if len(cols) > 1 else line
        )
    return _join(out), err, 1 if err else 0


_TR_CLASSES = {
    "[:lower:]": "abcdefghijklmnopqrstuvwxyz",
    "[:upper:]": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "[:digit:]": "0123456789",
    "[:space:]": " \t\n\r\f\v",
}


def _tr_set(text: str) -> str:
    """tr's SET: escapes, ranges (a-z) and the common classes ([:upper:])."""
    for name, chars in _TR_CLASSES.items():
        text = text.replace(name, chars)
    text = _escapes(text)
    out, i = [], 0
    while i < len(text):
        if i + 2 < len(text) and text[i + 1] == "-" and text[i] <= text[i + 2]:
            out.extend(chr(c) for c in range(ord(text[i]), ord(text[i + 2]) + 1))
            i += 3
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@builtin("tr")
def _tr(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    if args and args[0] == "-d" and len(args) == 2:
        gone = set(_tr_set(args[1]))
        return "".join(c for c in stdin if c not in gone), "", 0
    if len(args) != 2:
        return "", "tr: missing operand\n", 1
    src, dst = _tr_set(args[0]), _tr_set(args[1])
    dst = dst.ljust(len(src), dst[-1:] or " ")
    return stdin.translate(str.maketrans(src, dst[: len(src)])), "", 0


@builtin("tee")
def _tee(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    for name in args:
        if not name.startswith("-"):
            sh.files[name] = stdin
    return stdin, "", 0


@builtin("sed")
def _sed(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    quiet, scripts, files = False, [], []
    it = iter(args)
    for a in it:
        if a == "-n":
            quiet = True
        elif a == "-e":
            scripts.append(next(it, ""))
        elif a.startswith("-") and a != "-":
            return "", f"sed: unknown option -- '{a[1:]}'\n", 1
        elif not scripts:
            scripts.append(a)
        else:
            files.append(a)
    text, err = _input(sh, files, stdin, "sed")
    try:
        program = [c for s in scripts for c in _sed_parse(s)]
    except ValueError as exc:
        return "", f"sed: -e expression #1, char 1: {exc}\n", 1
    lines = [line.rstrip("\n") for line in _lines(text)]
    out: list[str] = []
    active = [False] * len(program)
    for n, line in enumerate(lines, 1):
        last = n == len(lines)
        deleted = False
        for k, (a1, a2, cmd, arg) in enumerate(program):
            if not _sed_selected(a1, a2, n, line, last, active, k):
                continue
            if cmd == "p":
                out.append(line)
            elif cmd == "d":
                deleted = True
                break
            elif cmd == "s":
                rx, repl, flags = arg
                new = rx.sub(repl, line, count=0 if "g" in flags else 1)
                if new != line and "p" in flags:
                    out.append(new)
                line = new
            elif cmd == "q":
                if not quiet:
                    out.append(line)
                return _join(out), err, 0
        if not quiet and not deleted:
            out.append(line)
    return _join(out), err, 0


def _sed_address(s: str) -> tuple[object, str]:
    if s.startswith("/"):
        end = s.index("/", 1)
        return re.compile(grep.bre(s[1:end])), s[end + 1 :]
    m = re.match(r"\d+|\$", s)
    if m:
        return m.group(0), s[m.end() :]
    return None, s


def _sed_parse(script: str) -> list[tuple]:
    program = []
    for part in script.split(";"):
        s = part.strip()
        if not s:
            continue
        a1, s = _sed_address(s)
        a2 = None
        if s.startswith(","):
            a2, s = _sed_address(s[1:])
        s = s.strip()
        if not s:
            raise ValueError("missing command")
        cmd = s[0]
        if cmd == "s":
            delim = s[1]
            parts = s[2:].split(delim)
            if len(parts) < 3:
                raise ValueError("unterminated `s' command")
            repl = re.sub(r"\\(\d)", r"\\\1", parts[1]).replace("&", r"\g<0>")
            program.append((a1, a2, "s", (re.compile(grep.bre(parts[0])), repl, parts[2])))
        elif cmd in "pdq":
            program.append((a1, a2, cmd, None))
        else:
            raise ValueError(f"unknown command: `{cmd}'")
    return program


def _sed_match(addr: object, n: int, line: str, last: bool) -> bool:
    if addr is None:
        return True
    if addr == "$":
        return last
    if isinstance(addr, str):
        return n == int(addr)
    return bool(addr.search(line))  # type: ignore[attr-defined]


def _sed_selected(a1, a2, n, line, last, active, k) -> bool:
    if a2 is None:
        return _sed_match(a1, n, line, last)
    if active[k]:
        if _sed_match(a2, n, line, last) or (isinstance(a2, str) and a2 != "$" and n >= int(a2)):
            active[k] = False
        return True
    if _sed_match(a1, n, line, last):
        active[k] = not (isinstance(a2, str) and a2 != "$" and n >= int(a2))
        return True
    return False


@builtin("true")
def _true(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    return "", "", 0


@builtin("false")
def _false(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    return "", "", 1


@builtin("sleep")
def _sleep(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    try:
        seconds = float(args[0].rstrip("s"))
    except (IndexError, ValueError):
        return "", "sleep: invalid time interval\n", 1
    if sh.deadline is not None and sh.lab.now() + seconds > sh.deadline:
        sh.lab.sleep(max(0.0, sh.deadline - sh.lab.now()))
        return "", "", 124  # `timeout` killed it
    sh.lab.sleep(seconds)
    return "", "", 0


@builtin("timeout")
def _timeout(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    """timeout N COMMAND...: stop COMMAND after N seconds (exit 124), as coreutils does."""
    if len(args) < 2:
        return "", "timeout: missing operand\n", 125
    try:
        seconds = float(args[0].rstrip("s"))
    except ValueError:
        return "", f"timeout: invalid time interval '{args[0]}'\n", 125
    previous = sh.deadline
    sh.deadline = sh.lab.now() + seconds
    if previous is not None:
        sh.deadline = min(sh.deadline, previous)
    try:
        out, err, status = sh.execute(args[1:], stdin or None)
        if sh.lab.now() >= sh.deadline and status != 0:
            status = 124  # killed when its time ran out
        return out, err, status
    finally:
        sh.deadline = previous


# -- curl ----------------------------------------------------------------------------------------

CURL_HELP = "curl: try 'curl --help' or 'curl --manual' for more information\n"
CONNECT_FAILS_AFTER = 3.0  # seconds: no host answers for that address (ARP gives up)
REASONS = {200: "OK", 404: "Not Found"}


@builtin("curl")
def _curl(sh: Shell, args: list[str], stdin: str) -> tuple[str, str, int]:
    """curl [-sSfi] [-m SECONDS] URL: an HTTP GET from this host, through the routing mesh
    when the port is published in ingress mode."""
    from .cli.client import DaemonUnreachable, Stopped
    from .rpc import RpcError

    silent = show_error = fail = include = False
    max_time: float | None = None
    url = None
    it = iter(args)
    for a in it:
        if a in ("-m", "--max-time", "--connect-timeout") or (a.startswith("-m") and a != "-m"):
            value = a[2:] if a.startswith("-m") and len(a) > 2 else next(it, None)
            try:
                max_time = float(value)
            except (TypeError, ValueError):
                return (
                    "",
                    f"curl: option {a}: expected a proper numerical parameter\n" + (CURL_HELP),
                    2,
                )
        elif a in ("--silent", "--show-error", "--fail", "--include"):
            silent |= a == "--silent"
            show_error |= a == "--show-error"
            fail |= a == "--fail"
            include |= a == "--include"
        elif a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            for flag in a[1:]:
                if flag not in "sSfiL":
                    return "", f"curl: option -{flag}: is unknown\n{CURL_HELP}", 2
                silent |= flag == "s"
                show_error |= flag == "S"
                fail |= flag == "f"
                include |= flag == "i"
        elif a.startswith("--"):
            return "", f"curl: option {a}: is unknown\n{CURL_HELP}", 2
        else:
            url = a
    if url is None:
        return "", f"curl: no URL specified\n{CURL_HELP}", 2

    def error(code: int, text: str) -> tuple[str, str, int]:
        return "", ("" if silent and not show_error else f"curl: ({code}) {text}\n"), code

    scheme, _, rest = url.rpartition("://")
    if scheme not in ("", "http"):
        return error(1, f'Protocol "{scheme}" not supported')
    hostport, _, path = rest.partition("/")
    name, _, port_text = hostport.partition(":")
    if port_text and not port_text.isdigit():
        return error(3, "URL rejected: Port number was not a decimal number between 0 and 65535")
    port = int(port_text or 80)
    address = sh.lab.address(sh.host) if name == "localhost" else sh.lab.resolve(name)
    if address is None:
        return error(6, f"Could not resolve host: {name}")
    start = sh.lab.now()
    deadline = sh.deadline
    if max_time is not None:
        deadline = min(deadline or float("inf"), start + max_time)

    def elapsed_ms() -> int:
        return int((sh.lab.now() - start) * 1000)

    def cannot_connect(code: int = 7) -> tuple[str, str, int]:
        return error(
            code, f"Failed to connect to {name} port {port} after {elapsed_ms()} ms: "
            "Couldn't connect to server",
        )  # fmt: skip

    def timed_out() -> tuple[str, str, int]:
        if max_time is None:
            return cannot_connect(28)
        return error(28, f"Connection timed out after {elapsed_ms()} milliseconds")

    try:
        status, body = sh.lab.http_get(sh.host, address, port, "/" + path, deadline)
    except (DaemonUnreachable, RpcError) as exc:
        if isinstance(exc, RpcError) and exc.code == "Refused":
            return cannot_connect()
        if isinstance(exc, RpcError) and exc.code == "DeadlineExceeded":
            return timed_out()
        # Nothing answers for that address: the connect fails once ARP gives up.
        wait = start + CONNECT_FAILS_AFTER - sh.lab.now()
        if deadline is not None and sh.lab.now() + max(wait, 0) >= deadline:
            sh.lab.sleep(max(0.0, deadline - sh.lab.now()))
            return timed_out()
        sh.lab.sleep(max(0.0, wait))
        return cannot_connect()
    except Stopped:
        return timed_out()
    if fail and status >= 400:
        return error(22, f"The requested URL returned error: {status}")
    head = ""
    if include:
        head = f"HTTP/1.1 {status} {REASONS.get(status, '')}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head + body, "", 0
