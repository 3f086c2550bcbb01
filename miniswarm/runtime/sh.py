"""The small shell inside fake containers: enough of `sh -c` for what lessons run.

Scripts with variables, `$(...)`, `$((...))`, `while`/`for`/`if`, `&&`/`||`/`;`,
redirection to stderr, and the commands `echo`, `printf`, `sleep`, `hostname`, `cat`,
`ls`, `env`, `mount`, `ping`, `tail -f`, `date`, `exit N`, `true`, `false`, `test`/`[`,
`exec`, and busybox's `httpd`.

A program runs as a generator: it yields ("out", text), ("err", text),
("sleep", seconds) and ("listen", (port, handler)) — the container turns those into log
lines, timers and a listening socket, where handler(path, client) gives (HTTP status, body) —
and returns its exit status. Nothing here blocks or reads a clock.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Generator
from typing import Any

Program = Generator[tuple[str, Any], None, int]
Handler = Callable[[str, str], tuple[int, str]]  # (path, client address) -> (status, body)
FOREVER = float("inf")


class Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class Proc:
    """What a process sees: its environment, hostname and files."""

    def __init__(
        self,
        env: dict[str, str],
        hostname: str,
        files: dict[str, str],
        mounts: list[str],
        now,
        meta: dict | None = None,
    ) -> None:
        self.env = env
        self.hostname = hostname
        self.files = files
        self.mounts = mounts
        self.meta = meta if meta is not None else {}  # path -> (mode, uid, gid, mtime)
        self.now = now  # () -> seconds since the epoch
        self.status = 0
        self.address = ""  # the container's, for servers that tell it
        self.log: Callable[[str, str], None] = lambda stream, line: None  # for servers' logs


# -- parsing -------------------------------------------------------------------------------------

_OPS = ("&&", "||", ";", "\n", "|", ">&2", "1>&2", "2>&1", ">>", ">")
_KEYWORDS = {"while", "until", "for", "do", "done", "if", "then", "else", "elif", "fi", "in"}


def tokenize(script: str) -> list[str]:
    """Words (quotes kept, for expansion later) and operators."""
    tokens: list[str] = []
    i, n = 0, len(script)
    word = ""
    while i < n:
        c = script[i]
        if c in " \t":
            if word:
                tokens.append(word)
                word = ""
            i += 1
            continue
        if c == "#" and not word:
            while i < n and script[i] != "\n":
                i += 1
            continue
        op = next((o for o in _OPS if script.startswith(o, i)), None)
        if op and not (op == "1>&2" and word):
            if word and op in ("2>&1",) and word == "":
                pass
            if word:
                tokens.append(word)
                word = ""
            tokens.append(op)
            i += len(op)
            continue
        if c in "'\"":
            j = i + 1
            while j < n and script[j] != c:
                j += 2 if script[j] == "\\" and c == '"' else 1
            word += script[i : j + 1]
            i = j + 1
            continue
        if c == "$" and script.startswith("$(", i):
            depth, j = 0, i + 1
            while j < n:
                if script[j] == "(":
                    depth += 1
                elif script[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            word += script[i : j + 1]
            i = j + 1
            continue
        if c == "\\" and i + 1 < n:
            word += script[i : i + 2]
            i += 2
            continue
        word += c
        i += 1
    if word:
        tokens.append(word)
    return tokens


class Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.t = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise SyntaxError(
                f"syntax error: unexpected {'end of file' if tok is None else repr(tok)}"
            )
        self.i += 1
        return tok

    def skip_separators(self) -> None:
        while self.peek() in (";", "\n"):
            self.i += 1

    def block(self, *ends: str) -> list:
        """Statements until one of `ends` (not consumed)."""
        out = []
        self.skip_separators()
        while self.peek() is not None and self.peek() not in ends:
            out.append(self.and_or())
            self.skip_separators()
        return out

    def and_or(self) -> tuple:
        node = self.command()
        while self.peek() in ("&&", "||"):
            op = self.take()
            while self.peek() == "\n":
                self.i += 1
            node = (op, node, self.command())
        return node

    def command(self) -> tuple:
        tok = self.peek()
        if tok in ("while", "until"):
            self.take()
            cond = self.block("do")
            self.take("do")
            body = self.block("done")
            self.take("done")
            return ("while", tok == "until", cond, body)
        if tok == "for":
            self.take()
            var = self.take()
            words: list[str] = []
            if self.peek() == "in":
                self.take()
                while self.peek() not in (";", "\n", None):
                    words.append(self.take())
            self.skip_separators()
            self.take("do")
            body = self.block("done")
            self.take("done")
            return ("for", var, words, body)
        if tok == "if":
            self.take()
            branches = []
            cond = self.block("then")
            self.take("then")
            body = self.block("elif", "else", "fi")
            branches.append((cond, body))
            other: list = []
            while True:
                kw = self.take()
                if kw == "elif":
                    cond = self.block("then")
                    self.take("then")
                    branches.append((cond, self.block("elif", "else", "fi")))
                elif kw == "else":
                    other = self.block("fi")
                else:
                    break
            return ("if", branches, other)
        words: list[str] = []
        redirect = None
        while self.peek() is not None and self.peek() not in ("&&", "||", ";", "\n"):
            if not words and self.peek() in _KEYWORDS:
                break  # a keyword only where a command starts: `echo done` is a command
            tok = self.take()
            if tok in (">&2", "1>&2"):
                redirect = "err"
            elif tok == "2>&1":
                pass
            elif tok in (">", ">>"):
                target = self.take()
                redirect = ("file", target, tok == ">>")
            elif tok == "|":
                nxt = self.command()
                return ("pipe", ("simple", words, redirect), nxt)
            else:
                words.append(tok)
        if not words:
            raise SyntaxError(f"syntax error: unexpected {self.peek()!r}")
        return ("simple", words, redirect)


def parse(script: str) -> list:
    p = Parser(tokenize(script))
    out = p.block()
    if p.peek() is not None:
        raise SyntaxError(f"syntax error: unexpected {p.peek()!r}")
    return out


# -- running -------------------------------------------------------------------------------------


def run_script(proc: Proc, script: str) -> Program:
    try:
        tree = parse(script)
    except SyntaxError as exc:
        yield ("err", f"sh: {exc}")
        return 2
    try:
        yield from _block(proc, tree)
    except Exit as e:
        return e.status
    return proc.status


def _block(proc: Proc, stmts: list) -> Program:
    for s in stmts:
        yield from _node(proc, s)
    return proc.status


def _node(proc: Proc, node: tuple) -> Program:
    kind = node[0]
    if kind in ("&&", "||"):
        yield from _node(proc, node[1])
        if (proc.status == 0) == (kind == "&&"):
            yield from _node(proc, node[2])
    elif kind == "while":
        _, until, cond, body = node
        spins = 0
        while True:
            yield from _block(proc, cond)
            if (proc.status == 0) == until:
                break
            before = spins
            yield from _block(proc, body)
            spins += 1
            if spins == before:
                break
            if spins % 1000 == 0:
                yield ("sleep", 0.001)  # a busy loop still lets time pass
        proc.status = 0
    elif kind == "for":
        _, var, words, body = node
        for w in [x for word in words for x in _expand(proc, word, split=True)]:
            proc.env[var] = w
            yield from _block(proc, body)
    elif kind == "if":
        _, branches, other = node
        for cond, body in branches:
            yield from _block(proc, cond)
            if proc.status == 0:
                yield from _block(proc, body)
                return proc.status
        yield from _block(proc, other)
    elif kind == "pipe":
        out = yield from _capture(proc, node[1])
        saved = proc.files.get("/dev/stdin")
        proc.files["/dev/stdin"] = out
        yield from _node(proc, node[2])
        if saved is None:
            proc.files.pop("/dev/stdin", None)
    else:
        _, words, redirect = node
        if all(re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w) for w in words):
            for w in words:
                k, _, v = w.partition("=")
                proc.env[k] = "".join(_expand(proc, v, split=False))
            proc.status = 0
            return 0
        argv = [x for w in words for x in _expand(proc, w, split=True)]
        if not argv:
            return proc.status
        gen = command(proc, argv)
        if redirect is None:
            proc.status = yield from gen
        elif redirect == "err":
            proc.status = yield from _redirect(gen, "err")
        else:
            _, path, append = redirect
            text = ""
            try:
                while True:
                    ev = next(gen)
                    if ev[0] == "out":
                        text += ev[1] + "\n"
                    else:
                        yield ev
            except StopIteration as stop:
                proc.status = stop.value or 0
            path = "".join(_expand(proc, path, split=False))
            if path != "/dev/null":
                proc.files[path] = (proc.files.get(path, "") if append else "") + text
    return proc.status


def _redirect(gen: Program, to: str) -> Program:
    try:
        while True:
            ev = next(gen)
            yield (to, ev[1]) if ev[0] == "out" else ev
    except StopIteration as stop:
        return stop.value or 0


def _capture(proc: Proc, node: tuple) -> Program:
    """Run a command and collect its standard output (for $(...) and pipes)."""
    gen = _node(proc, node) if node[0] != "script" else run_script(proc, node[1])
    lines = []
    try:
        while True:
            ev = next(gen)
            if ev[0] == "out":
                lines.append(ev[1])
            elif ev[0] == "sleep" and ev[1] == FOREVER:
                break
            else:
                yield ev
    except StopIteration:
        pass
    return "\n".join(lines)


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*|[?#$0-9])\}|([A-Za-z_][A-Za-z0-9_]*|[?#$0-9]))")


def _expand(proc: Proc, word: str, split: bool) -> list[str]:
    """Expand one word: quotes, variables, $(...), $((...))."""
    out, i, quoted = "", 0, False
    n = len(word)
    while i < n:
        c = word[i]
        if c == "'":
            j = word.index("'", i + 1) if "'" in word[i + 1 :] else n
            out += word[i + 1 : j]
            i = j + 1
            quoted = True
            continue
        if c == '"':
            j = i + 1
            inner = ""
            while j < n and word[j] != '"':
                if word[j] == "\\" and j + 1 < n and word[j + 1] in '"\\$':
                    inner += word[j : j + 2]
                    j += 2
                    continue
                inner += word[j]
                j += 1
            out += _substitute(proc, inner)
            i = j + 1
            quoted = True
            continue
        if c == "\\" and i + 1 < n:
            out += word[i + 1]
            i += 2
            continue
        j = i
        while j < n and word[j] not in "'\"\\":
            j += 1
        out += _substitute(proc, word[i:j])
        i = j
    if split and not quoted:
        return out.split()
    return [out]


def _substitute(proc: Proc, text: str) -> str:
    out, i = "", 0
    while i < len(text):
        if text.startswith("$((", i):
            j = text.index("))", i)
            out += str(_arith(proc, text[i + 3 : j]))
            i = j + 2
            continue
        if text.startswith("$(", i):
            depth, j = 0, i + 1
            while j < len(text):
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                if depth == 0:
                    break
                j += 1
            out += _run_now(proc, text[i + 2 : j])
            i = j + 1
            continue
        m = _VAR.match(text, i)
        if m:
            name = m.group(1) or m.group(2)
            out += str(proc.status) if name == "?" else proc.env.get(name, "")
            i = m.end()
            continue
        if text[i] == "\\" and i + 1 < len(text):
            out += text[i + 1]
            i += 2
            continue
        out += text[i]
        i += 1
    return out


def _run_now(proc: Proc, script: str) -> str:
    """$(...): run to completion at once (what it sleeps is not waited for)."""
    gen = run_script(proc, script)
    lines = []
    try:
        while True:
            ev = next(gen)
            if ev[0] == "out":
                lines.append(ev[1])
            elif ev[0] == "sleep" and ev[1] == FOREVER:
                break
    except StopIteration:
        pass
    return "\n".join(lines)


def _arith(proc: Proc, expr: str) -> int:
    expr = re.sub(
        r"\$?([A-Za-z_][A-Za-z0-9_]*)", lambda m: str(int(proc.env.get(m.group(1), "0") or 0)), expr
    )
    if not re.fullmatch(r"[\d\s+\-*/%()<>=!]*", expr):
        return 0
    expr = expr.replace("/", "//")
    try:
        return int(eval(expr, {"__builtins__": {}}, {}))  # digits and operators only
    except Exception:
        return 0


# -- commands ------------------------------------------------------------------------------------


def command(proc: Proc, argv: list[str]) -> Program:
    name, args = argv[0], argv[1:]
    base = name.rsplit("/", 1)[-1]
    fn = COMMANDS.get(base)
    if fn is None:
        yield ("err", f"sh: {name}: not found")
        return 127
    result = yield from fn(proc, args)
    return result or 0


def _echo(proc: Proc, args: list[str]) -> Program:
    newline = True
    if args and args[0] == "-n":
        newline, args = False, args[1:]
    text = " ".join(args)
    if newline or text:
        yield ("out", text)
    return 0


def _printf(proc: Proc, args: list[str]) -> Program:
    if not args:
        return 1
    fmt, values = args[0], args[1:]
    text = fmt.replace("\\n", "\n").replace("\\t", "\t")
    text = re.sub(r"%[sd]", lambda m: values.pop(0) if values else "", text)
    for line in text.rstrip("\n").split("\n"):
        yield ("out", line)
    return 0


def _sleep(proc: Proc, args: list[str]) -> Program:
    total = 0.0
    for a in args:
        if a == "infinity":
            total = FOREVER
            break
        m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", a)
        if not m:
            yield ("err", f"sleep: invalid number '{a}'")
            return 1
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    yield ("sleep", total)
    return 0


def _hostname(proc: Proc, args: list[str]) -> Program:
    yield ("out", proc.hostname)
    return 0


def _cat(proc: Proc, args: list[str]) -> Program:
    status = 0
    for path in args or ["/dev/stdin"]:
        if path in proc.files:
            for line in proc.files[path].rstrip("\n").split("\n") if proc.files[path] else []:
                yield ("out", line)
        else:
            yield ("err", f"cat: can't open '{path}': No such file or directory")
            status = 1
    return status


def _ls(proc: Proc, args: list[str]) -> Program:
    """busybox ls [-l] [PATH...]."""
    long = any(a.startswith("-") and "l" in a for a in args)
    paths = sorted(a for a in args if not a.startswith("-")) or ["/"]
    status = 0
    for p in paths:
        prefix = p.rstrip("/") + "/"
        if p in proc.files:
            yield ("out", _long_line(proc, p, p) if long else p)
            continue
        names = sorted(
            {f[len(prefix) :].split("/", 1)[0] for f in proc.files if f.startswith(prefix)}
        )
        if not names:
            yield ("err", f"ls: {p}: No such file or directory")
            status = 1
            continue
        if long:
            files = [prefix + n for n in names if prefix + n in proc.files]
            blocks = sum(4 * max(1, -(-len(proc.files[f]) // 4096)) for f in files)
            yield ("out", f"total {blocks}")
        for n in names:
            yield ("out", _long_line(proc, prefix + n, n) if long else n)
    return status


def _long_line(proc: Proc, path: str, shown: str) -> str:
    """One line of busybox's `ls -l`: -r--r--r--    1 root     root    2 Nov 25 22:19 x"""
    from ..gocompat import utc

    if path not in proc.files:  # a directory
        return f"drwxr-xr-x    2 root     root          4096 Jan  1 00:00 {shown}"
    mode, uid, gid, mtime = proc.meta.get(path, (0o644, "0", "0", 0.0))
    perms = "-" + "".join(ch if mode & (1 << (8 - i)) else "-" for i, ch in enumerate("rwxrwxrwx"))
    user = "root" if str(uid) == "0" else str(uid)
    group = "root" if str(gid) == "0" else str(gid)
    when = utc(mtime).strftime("%b %e %H:%M")
    return f"{perms}    1 {user:<8} {group:<8} {len(proc.files[path]):>9} {when} {shown}"


def _env(proc: Proc, args: list[str]) -> Program:
    for k, v in proc.env.items():
        yield ("out", f"{k}={v}")
    return 0


def _mount(proc: Proc, args: list[str]) -> Program:
    for line in proc.mounts:
        yield ("out", line)
    return 0


def _exit(proc: Proc, args: list[str]) -> Program:
    raise Exit(int(args[0]) if args and args[0].lstrip("-").isdigit() else proc.status)
    yield  # pragma: no cover - makes this a generator


def _true(proc: Proc, args: list[str]) -> Program:
    return 0
    yield  # pragma: no cover


def _false(proc: Proc, args: list[str]) -> Program:
    return 1
    yield  # pragma: no cover


def _date(proc: Proc, args: list[str]) -> Program:
    from ..gocompat import utc

    yield ("out", utc(proc.now()).strftime("%a %b %d %H:%M:%S UTC %Y"))
    return 0


def _ping(proc: Proc, args: list[str]) -> Program:
    hosts = [a for a in args if not a.startswith("-")]
    count = None
    if "-c" in args:
        i = args.index("-c")
        count = int(args[i + 1]) if i + 1 < len(args) and args[i + 1].isdigit() else None
        hosts = [h for h in hosts if h != args[i + 1]]
    host = hosts[0] if hosts else "localhost"
    yield ("out", f"PING {host} ({_fake_ip(host)}): 56 data bytes")
    seq = 0
    while count is None or seq < count:
        yield ("out", f"64 bytes from {_fake_ip(host)}: seq={seq} ttl=64 time=0.0{seq % 9 + 1}1 ms")
        seq += 1
        yield ("sleep", 1.0)
    return 0


def _fake_ip(host: str) -> str:
    if re.fullmatch(r"[\d.]+", host):
        return host
    return "127.0.0.1" if host == "localhost" else "93.184.216.34"


def _tail(proc: Proc, args: list[str]) -> Program:
    files = [a for a in args if not a.startswith("-")]
    for f in files:
        for line in (proc.files.get(f) or "").rstrip("\n").split("\n"):
            if line:
                yield ("out", line)
    if "-f" in args or "-F" in args:
        yield ("sleep", FOREVER)
    return 0


def _test(proc: Proc, args: list[str]) -> Program:
    if args and args[-1] == "]":
        args = args[:-1]
    ok = False
    if len(args) == 3:
        a, op, b = args
        ints = {"-eq": "==", "-ne": "!=", "-lt": "<", "-le": "<=", "-gt": ">", "-ge": ">="}
        if op in ints:
            try:
                ok = eval(f"{int(a)} {ints[op]} {int(b)}")
            except ValueError:
                ok = False
        elif op in ("=", "=="):
            ok = a == b
        elif op == "!=":
            ok = a != b
    elif len(args) == 2:
        op, a = args
        ok = {"-z": a == "", "-n": a != "", "-f": a in proc.files, "-e": a in proc.files}.get(
            op, False
        )
    elif len(args) == 1:
        ok = args[0] != ""
    return 0 if ok else 1
    yield  # pragma: no cover


def _exec(proc: Proc, args: list[str]) -> Program:
    """exec COMMAND: the command takes the shell's place; when it ends, so does the shell."""
    if not args:
        return 0
    status = yield from command(proc, args)
    raise Exit(status)


BUSYBOX_404 = (
    "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n"
    "<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n"
)


def _httpd(proc: Proc, args: list[str]) -> Program:
    """busybox httpd [-f] [-p [IP:]PORT] [-h HOME]: serves HOME's files. Without -f it
    goes to the background at once, and the command that started it ends."""
    port, home, foreground = 80, "/www", False
    it = iter(args)
    for a in it:
        if a == "-f":
            foreground = True
        elif a == "-p":
            port = int(next(it, "80").rsplit(":", 1)[-1] or 80)
        elif a == "-h":
            home = next(it, home).rstrip("/")
        elif a.startswith("-") and a not in ("-v", "-vv"):
            yield ("err", f"httpd: unrecognized option '{a}'")
            return 1

    def serve(path: str, client: str) -> tuple[int, str]:
        name = home + (path if path != "/" else "/index.html")
        if name in proc.files:
            return 200, proc.files[name]
        return 404, BUSYBOX_404

    yield ("listen", (port, serve))
    if foreground:
        yield ("sleep", FOREVER)
    return 0


def _grep(proc: Proc, args: list[str]) -> Program:
    from .. import grep

    def read(files: list[str]) -> tuple[str, str]:
        if not files:
            return proc.files.get("/dev/stdin", ""), ""
        text, err = "", ""
        for name in files:
            if name in proc.files:
                text += proc.files[name]
            else:
                err += f"grep: {name}: No such file or directory\n"
        return text, err

    out, err, status = grep.grep(args, read)
    for line in out.splitlines():
        yield ("out", line)
    for line in err.splitlines():
        yield ("err", line)
    return status


def _sh(proc: Proc, args: list[str]) -> Program:
    if len(args) >= 2 and args[0] == "-c":
        status = yield from run_script(proc, args[1])
        return status
    if args and args[0] in proc.files:
        status = yield from run_script(proc, proc.files[args[0]])
        return status
    return 0  # an interactive shell with no terminal: nothing to read, it ends


COMMANDS = {
    "echo": _echo,
    "printf": _printf,
    "sleep": _sleep,
    "hostname": _hostname,
    "cat": _cat,
    "ls": _ls,
    "env": _env,
    "printenv": _env,
    "mount": _mount,
    "exit": _exit,
    "true": _true,
    "false": _false,
    "date": _date,
    "ping": _ping,
    "tail": _tail,
    "test": _test,
    "[": _test,
    "sh": _sh,
    "exec": _exec,
    "grep": _grep,
    "httpd": _httpd,
    "bash": _sh,
    "ash": _sh,
}


def quote_argv(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
