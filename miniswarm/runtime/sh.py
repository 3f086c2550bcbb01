"""The small shell inside fake containers: `sh -c` scripts, and an interactive shell for
`docker exec -it CONTAINER sh` with the prompt of the image's own shell (busybox's ash
"/ # ", Debian's dash "# ", bash "root@3f2a1b4c5d6e:/# ").

The language is shlang's. Commands: the shell's builtins (echo, printf, test, cd, pwd,
exit, exec …) and the programs of the image (`Proc.has`): cat, ls, env, mount, sleep,
hostname, date, ping, tail, grep, id, uname, busybox's httpd, and the clients in
clients.py (wget, curl, nslookup, mysql, redis-cli, nginx -v).

A program runs as a generator: it yields ("out", line), ("err", line), ("sleep",
seconds), ("listen", (port, handler)) — where handler(path, client) gives (HTTP status,
body) — ("read", (prompt, secret)), answered with a typed line (None at the end of the
input), and ("http", (address, port, path, timeout)), answered with (status, body) or an
error word ("refused", "timeout", "unreachable"). The container turns those into log
lines, timers, a listening socket, its terminal and its network; the program returns
its exit status. Ctrl-C reaches it as Interrupt, thrown where it waits. Nothing here
blocks or reads a clock.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any

from .. import coreutils, shlang, shtools  # noqa: F401 - coreutils registers the tools
from ..job import Job

# What a program yields, what answers it (a typed line, an HTTP answer), what it returns.
Program = Generator[tuple[str, Any], Any, int]
Handler = Callable[[str, str], tuple[int, str]]  # (path, client address) -> (status, body)
FOREVER = float("inf")


SPINS = 100  # turns of a loop between two looks at the clock
SPINS_PER_SECOND = 5000  # how fast a container's shell loops, in lab time


class Exit(Exception):
    def __init__(self, status: int) -> None:
        self.status = status % 256  # an exit status is a byte: `exit 999` is 231


class Interrupt(Exception):  # noqa: N818 - a signal
    """SIGINT (Ctrl-C at the container's terminal), thrown into a waiting program."""


def _unlogged(stream: str, line: str) -> None:
    """Where a process's log goes when nobody keeps it."""


def _everywhere(program: str) -> bool:
    """Every program on the PATH (a process that was told of no image)."""
    return True


class Proc:
    """What a process sees: its environment, hostname and files, the programs of its
    image, and the state its container's servers keep (databases, keys)."""

    # A running server's process lives as long as its container: thousands on a host.
    __slots__ = (
        "env", "hostname", "files", "mounts", "meta", "now", "status", "address", "log", "has",
        "shell", "argv0", "server", "cwd", "dirs", "tty", "lookup", "interactive", "version",
    )  # fmt: skip

    def __init__(
        self,
        env: dict[str, str],
        hostname: str,
        files: dict[str, str],
        mounts: Sequence[str],
        now,
        meta: Mapping[str, tuple] | None = None,
        has: Callable[[str], bool] | None = None,
        shell: str = "ash",
        server: dict | None = None,
        cwd: str = "/",
    ) -> None:
        self.env = env
        self.hostname = hostname
        self.files = files
        self.mounts = mounts
        self.meta = meta if meta is not None else {}  # path -> (mode, uid, gid, mtime)
        self.now = now  # () -> seconds since the epoch
        self.status = 0
        self.address = ""  # the container's, for servers that tell it
        self.log: Callable[[str, str], None] = _unlogged  # for servers' logs
        self.has = has if has is not None else _everywhere  # on the PATH?
        self.shell = shell  # what /bin/sh is: "ash", "dash" or "bash"
        self.argv0 = "sh"  # how the running shell was called (its error messages say so)
        self.server = server if server is not None else {}
        self.cwd = cwd
        self.dirs: tuple[str, ...] = ()  # the directories at the top of its file system
        self.tty = False  # standard output is a terminal (docker exec -t)
        # The embedded DNS server (127.0.0.11) of a container on swarm networks: a name's
        # addresses, or None for a name it does not know.
        self.lookup: Callable[[str], list[str] | None] | None = None
        self.interactive = False  # standard input is a terminal (docker exec -it)
        self.version = ""  # its image's: what the image's programs say with -v


# -- running --------------------------------------------------------------------------------
# The language (parsing, expansion) is shlang's, shared with the student's shell; what is
# here is how a container runs it: as a generator on the host's clock.


class _Env:
    """A process's variables, as shlang's expansion sees them."""

    def __init__(self, proc: Proc) -> None:
        self.proc = proc

    @property
    def status(self) -> int:
        return self.proc.status

    def var(self, name: str) -> str | None:
        if name == "$":
            return "1"
        if name == "#":
            return "0"
        if name == "0":
            return "sh"
        return self.proc.env.get(name)

    def set_var(self, name: str, value: str) -> None:
        self.proc.env[name] = value

    def substitute(self, script: str) -> str:
        return _run_now(self.proc, script)


def run_script(proc: Proc, script: str) -> Program:
    try:
        tree = shlang.parse(script)
    except shlang.ShellSyntaxError as exc:
        yield ("err", f"sh: {exc}")
        return 2
    try:
        yield from _block(proc, tree)
    except Exit as e:
        return e.status
    except shlang.ShellSyntaxError as exc:  # found while expanding: ${x?}, $((1/0))
        yield ("err", f"sh: {exc}")
        return 2
    return proc.status


def _block(proc: Proc, items: list[shlang.AndOr]) -> Program:
    for item in items:
        yield from _and_or(proc, item)
    return proc.status


def _and_or(proc: Proc, node: shlang.AndOr) -> Program:
    yield from _pipeline(proc, node.first)
    for op, pipeline in node.rest:
        if (proc.status == 0) == (op == "&&"):
            yield from _pipeline(proc, pipeline)
    return proc.status


def _pipeline(proc: Proc, p: shlang.Pipeline) -> Program:
    """a | b: a runs to its end (or until it waits for ever), then b reads what it
    printed as its standard input."""
    saved = proc.files.get("/dev/stdin")
    for k, cmd in enumerate(p.commands):
        if k < len(p.commands) - 1:
            captured = yield from _capture(proc, cmd)
            proc.files["/dev/stdin"] = captured + "\n" if captured else ""
        else:
            yield from _command(proc, cmd)
    if len(p.commands) > 1:
        if saved is None:
            proc.files.pop("/dev/stdin", None)
        else:
            proc.files["/dev/stdin"] = saved
    if p.negate:
        proc.status = int(proc.status == 0)
    return proc.status


def _command(proc: Proc, node: shlang.Command) -> Program:
    if isinstance(node, shlang.Simple):
        gen = _simple(proc, node)
    elif isinstance(node, shlang.Group):
        gen = _block(proc, node.body)
    elif isinstance(node, shlang.If):
        gen = _if(proc, node)
    elif isinstance(node, shlang.Loop):
        gen = _loop(proc, node)
    else:
        gen = _for(proc, node)
    proc.status = yield from _redirected(proc, gen, node.redirects)
    return proc.status


def _if(proc: Proc, node: shlang.If) -> Program:
    for cond, body in node.branches:
        yield from _block(proc, cond)
        if proc.status == 0:
            return (yield from _block(proc, body))
    if node.otherwise is not None:
        return (yield from _block(proc, node.otherwise))
    return 0


def _loop(proc: Proc, node: shlang.Loop) -> Program:
    spins = 0
    while True:
        yield from _block(proc, node.condition)
        if (proc.status == 0) == node.until:
            break
        yield from _block(proc, node.body)
        spins += 1
        if spins % SPINS == 0:
            # A busy loop's work costs lab time in proportion (5,000 turns a simulated
            # second, a few wall milliseconds), so it never stalls the other hosts.
            yield ("sleep", SPINS / SPINS_PER_SECOND)
    return 0


def _for(proc: Proc, node: shlang.For) -> Program:
    env = _Env(proc)
    for w in [x for word in node.words or [] for x in shlang.expand(word, env)]:
        proc.env[node.var] = w
        yield from _block(proc, node.body)
    return proc.status


def _simple(proc: Proc, node: shlang.Simple) -> Program:
    env = _Env(proc)
    if not node.words:
        for name, word in node.assigns:
            proc.env[name] = shlang.expand_one(word, env)
        return 0
    argv = [x for w in node.words for x in shlang.expand(w, env)]
    if not argv:
        return proc.status
    if node.assigns:  # NAME=value cmd: for that command only
        saved = dict(proc.env)
        proc.env.update({n: shlang.expand_one(w, env) for n, w in node.assigns})
        try:
            return (yield from command(proc, argv))
        finally:
            proc.env.clear()
            proc.env.update(saved)
    return (yield from command(proc, argv))


def _redirected(proc: Proc, gen: Program, redirects: list[shlang.Redirect]) -> Program:
    """Run `gen` with its output and input redirected as `redirects` say."""
    if not redirects:
        return (yield from gen)
    env = _Env(proc)
    route = {"out": "out", "err": "err"}  # where each stream goes: a stream or a file
    files: dict[str, str] = {}
    stdin = None
    for r in redirects:
        if r.heredoc is not None:
            stdin = shlang.expand_heredoc(r.heredoc, env)
            continue
        target = shlang.expand_one(r.target, env)
        stream = "err" if r.fd == 2 else "out"
        if r.op == "<<<":
            stdin = target + "\n"
        elif r.op == "<":
            stdin = proc.files.get(target, "")
        elif r.op in (">&", "<&"):
            if target in ("1", "2"):
                route[stream] = route["out" if target == "1" else "err"]
        else:
            streams = ["out", "err"] if r.op.startswith("&") else [stream]
            key = f"file:{target}"
            if r.op.endswith(">>"):
                files.setdefault(key, proc.files.get(target, ""))
            else:
                files[key] = ""
            for st in streams:
                route[st] = key
    saved = proc.files.get("/dev/stdin")
    if stdin is not None:
        proc.files["/dev/stdin"] = stdin

    def handle(ev: tuple[str, Any]) -> tuple[str, Any] | None:
        kind, value = ev
        to = route.get(kind)
        if to is None:
            return ev
        if to.startswith("file:"):
            files[to] += value + "\n"
            return None
        return (to, value)

    try:
        status = yield from _relay(gen, handle)
    finally:
        if stdin is not None:
            if saved is None:
                proc.files.pop("/dev/stdin", None)
            else:
                proc.files["/dev/stdin"] = saved
        for key, text in files.items():
            path = key[len("file:") :]
            if path != "/dev/null":
                proc.files[path] = text
    return status


class _Stop(Exception):  # noqa: N818 - not an error: a relayed program is done with
    pass


def _relay(gen: Program, handle: Callable[[tuple[str, Any]], tuple[str, Any] | None]) -> Program:
    """Run `gen` inside the calling program: each of its events goes through `handle`,
    which keeps it (None), passes it on (the event to yield), or stops `gen` (_Stop).
    What answers a passed event — a typed line, an HTTP answer, Ctrl-C — goes back in."""
    value: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            ev = gen.throw(thrown) if thrown is not None else gen.send(value)
        except StopIteration as stop:
            return stop.value or 0
        thrown = value = None
        try:
            passed = handle(ev)
        except _Stop:
            gen.close()
            return 0
        if passed is None:
            continue
        try:
            value = yield passed
        except Interrupt as exc:
            thrown = exc


def _capture(proc: Proc, node: shlang.Command) -> Generator[tuple[str, Any], Any, str]:
    """Run a command and collect its standard output (for pipes)."""
    lines: list[str] = []

    def handle(ev: tuple[str, Any]) -> tuple[str, Any] | None:
        if ev[0] == "out":
            lines.append(ev[1])
            return None
        if ev[0] == "sleep" and ev[1] == FOREVER:
            raise _Stop()  # it never ends: the pipe reads what it printed so far
        return ev

    yield from _relay(_command(proc, node), handle)
    return "\n".join(lines)


def _run_now(proc: Proc, script: str) -> str:
    """$(...): run to completion at once (what it sleeps is not waited for)."""
    gen = run_script(proc, script)
    lines = []
    saved = proc.status
    answer: Any = None
    try:
        while True:
            ev = gen.send(answer)
            answer = None
            if ev[0] == "out":
                lines.append(ev[1])
            elif ev[0] == "sleep" and ev[1] == FOREVER:
                break
            elif ev[0] == "http":
                answer = "unreachable"  # $(…) cannot wait for the network here
    except StopIteration as stop:
        saved = stop.value or 0
    proc.status = saved
    return "\n".join(lines)


# -- commands ------------------------------------------------------------------------------------


# Directories every image has, empty or not (cd and ls find them).
DIRS = {"/", "/root", "/tmp", "/etc", "/usr", "/var", "/bin", "/home", "/data", "/run", "/www"}

# What every shell does itself, whatever the image has on its PATH.
BUILTINS = {"echo", "printf", "test", "[", "true", "false", "exit", "cd", "pwd", "exec"}
BUILTINS |= {"export", "unset", ":", "read"}


def command(proc: Proc, argv: list[str]) -> Program:
    name, args = argv[0], argv[1:]
    base = name.rsplit("/", 1)[-1]
    fn = COMMANDS.get(base)
    if fn is None or not (base in BUILTINS or proc.has(base)):
        yield ("err", not_found(proc, name))
        return 127
    result = yield from fn(proc, args)
    return result or 0


def not_found(proc: Proc, name: str) -> str:
    """The shell's words for a command it cannot find."""
    if proc.argv0 == "bash" or (proc.shell == "bash" and proc.argv0 != "sh"):
        return f"bash: {name}: command not found"
    if proc.shell == "dash":
        return f"sh: 1: {name}: not found"
    if proc.shell == "bash":
        return f"sh: {name}: command not found"
    return f"sh: {name}: not found"


def prompt(proc: Proc) -> str:
    """The interactive shell's prompt, as the image's shell shows it for root."""
    cwd = proc.cwd
    if proc.argv0 == "bash" or (proc.shell == "bash" and proc.argv0 != "sh"):
        if proc.shell == "bash":  # Oracle Linux (mysql): bash's own default prompt
            return "bash-4.4# "
        home = proc.env.get("HOME", "/root")
        shown = "~" + cwd[len(home) :] if cwd == home or cwd.startswith(home + "/") else cwd
        return f"root@{proc.hostname}:{shown}# "
    if proc.shell == "dash":
        return "# "
    if proc.shell == "bash":
        return "sh-4.4# "
    return f"{cwd} # "


def interactive(proc: Proc) -> Program:
    """The shell on a terminal: a prompt, a line, run it; until `exit` or Ctrl-D."""
    while True:
        line = yield ("read", (prompt(proc), False))
        if line is None:  # Ctrl-D
            if "bash" in (proc.argv0, proc.shell):
                yield ("out", "exit")
            return proc.status
        try:
            tree = shlang.parse(line)
        except shlang.Incomplete:
            more = yield ("read", ("> ", False))
            while more is not None:
                line += "\n" + more
                try:
                    tree = shlang.parse(line)
                    break
                except shlang.Incomplete:
                    more = yield ("read", ("> ", False))
            else:
                return proc.status
        except shlang.ShellSyntaxError as exc:
            yield ("err", f"{proc.argv0}: {exc}")
            proc.status = 2
            continue
        try:
            yield from _block(proc, tree)
        except Exit as e:
            if "bash" in (proc.argv0, proc.shell):
                yield ("out", "exit")
            return e.status
        except Interrupt:
            yield ("out", "")  # Ctrl-C ends the command; a fresh prompt on the next line
            proc.status = 130
        except shlang.ShellSyntaxError as exc:
            yield ("err", f"{proc.argv0}: {exc}")
            proc.status = 1


def _print(text: str) -> Program:
    """Text a command printed, as the lines a container's output is made of."""
    if text:
        for line in text.removesuffix("\n").split("\n"):
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


def _ls(proc: Proc, args: list[str]) -> Program:
    """busybox ls [-l] [PATH...]."""
    long = any(a.startswith("-") and "l" in a for a in args)
    paths = sorted(a for a in args if not a.startswith("-")) or [proc.cwd]
    status = 0
    for shown_path in paths:
        p = shown_path if shown_path.startswith("/") else proc.cwd.rstrip("/") + "/" + shown_path
        prefix = p.rstrip("/") + "/"
        if p in proc.files:
            yield ("out", _long_line(proc, p, shown_path) if long else shown_path)
            continue
        names = sorted(
            {f[len(prefix) :].split("/", 1)[0] for f in proc.files if f.startswith(prefix)}
            | (set(proc.dirs) if p == "/" else set())
        )
        if not names and p not in DIRS:
            yield ("err", f"ls: {shown_path}: No such file or directory")
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


def _which(proc: Proc, args: list[str]) -> Program:
    """which NAME...: where each program of the image is; 1 if one is not there."""
    status = 0
    for name in args:
        if proc.has(name):
            # busybox's applets are links in /bin; Debian's programs are in /usr/bin
            yield ("out", f"/bin/{name}" if proc.shell == "ash" else f"/usr/bin/{name}")
        else:
            status = 1
    return status


def _test(proc: Proc, args: list[str], name: str = "test") -> Program:
    status, error = shlang.test(([name] if name == "[" else []) + args, proc.files.__contains__)
    if error:
        yield ("err", f"{proc.argv0}: {error}")
    return status


def _bracket(proc: Proc, args: list[str]) -> Program:
    return (yield from _test(proc, args, "["))


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


def _sh(proc: Proc, args: list[str], name: str = "sh") -> Program:
    saved = proc.argv0
    proc.argv0 = name
    try:
        if len(args) >= 2 and args[0] == "-c":
            return (yield from run_script(proc, args[1]))
        script = next((a for a in args if not a.startswith("-")), None)
        if script is not None:
            if script not in proc.files:
                yield ("err", f"{name}: can't open '{script}': No such file or directory")
                return 2
            return (yield from run_script(proc, proc.files[script]))
        if proc.interactive:  # docker exec -it: a shell to type into
            return (yield from interactive(proc))
        stdin = proc.files.get("/dev/stdin")
        if stdin:  # echo 'ls /' | docker exec -i CONTAINER sh
            return (yield from run_script(proc, stdin))
        return 0  # no terminal and nothing to read: it ends at once
    finally:
        proc.argv0 = saved


def _bash(proc: Proc, args: list[str]) -> Program:
    return (yield from _sh(proc, args, "bash"))


def _cd(proc: Proc, args: list[str]) -> Program:
    target = args[0] if args else proc.env.get("HOME", "/")
    path = target if target.startswith("/") else proc.cwd.rstrip("/") + "/" + target
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
        else:
            parts.append(part)
    path = "/" + "/".join(parts)
    is_dir = (
        path == "/"
        or any(f.startswith(path + "/") for f in proc.files)
        or path in DIRS
        or path.lstrip("/") in proc.dirs
    )
    if not is_dir:
        yield ("err", f"{proc.argv0}: cd: can't cd to {target}: No such file or directory")
        return 2
    proc.cwd = path
    proc.env["PWD"] = path
    return 0


def _pwd(proc: Proc, args: list[str]) -> Program:
    yield ("out", proc.cwd)
    return 0


def _id(proc: Proc, args: list[str]) -> Program:
    if args[:1] == ["-u"]:
        yield ("out", "0")
    else:
        yield ("out", "uid=0(root) gid=0(root) groups=0(root)")
    return 0


def _whoami(proc: Proc, args: list[str]) -> Program:
    yield ("out", "root")
    return 0


def _uname(proc: Proc, args: list[str]) -> Program:
    if "-a" in args:
        yield ("out", f"Linux {proc.hostname} 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian "
               "6.1.119-1 (2024-11-22) x86_64 GNU/Linux")  # fmt: skip
    else:
        yield ("out", "Linux")
    return 0


def _export(proc: Proc, args: list[str]) -> Program:
    for a in args:
        name, eq, value = a.partition("=")
        if eq:
            proc.env[name] = value
    return 0
    yield  # pragma: no cover


def _unset(proc: Proc, args: list[str]) -> Program:
    for name in args:
        proc.env.pop(name, None)
    return 0
    yield  # pragma: no cover


def _read(proc: Proc, args: list[str]) -> Program:
    names = [a for a in args if not a.startswith("-")] or ["REPLY"]
    stdin = proc.files.get("/dev/stdin")
    if stdin is not None:
        line, _, rest = stdin.partition("\n")
        proc.files["/dev/stdin"] = rest
        if not line and not rest:
            return 1
    else:
        got = yield ("read", ("", False))
        if got is None:
            return 1
        line = got
    words = line.split(None, len(names) - 1)
    for k, name in enumerate(names):
        proc.env[name] = words[k] if k < len(words) else ""
    return 0


# -- the text tools: the same as the student's shell runs (coreutils.py) ------------------


class _ToolHost:
    """A container's shell as the text tools see it: its files and its variables."""

    def __init__(self, proc: Proc) -> None:
        self.proc = proc
        self.env = _Env(proc)
        self.busybox = proc.shell == "ash"

    @property
    def files(self) -> dict[str, str]:
        return self.proc.files

    @property
    def job(self) -> Job:
        raise NotImplementedError("a container's tool waits by yielding, not on a job")

    @property
    def status(self) -> int:
        return self.proc.status

    def var(self, name: str) -> str | None:
        return self.env.var(name)

    def set_var(self, name: str, value: str) -> None:
        self.env.set_var(name, value)

    def substitute(self, script: str) -> str:
        return self.env.substitute(script)

    def execute(self, argv: list[str], io: shtools.IO) -> int:
        raise NotImplementedError("xargs is not a container program here")


def _tool(name: str) -> Callable[[Proc, list[str]], Program]:
    """Run text tool `name` (coreutils.py) in a container: all of its standard input
    at once, its output as the lines a container's output is made of. `tail -f` shows
    the end and then waits, as the files never grow."""

    def run(proc: Proc, args: list[str]) -> Program:
        follow = name == "tail" and any(a in ("-f", "-F", "--follow") for a in args)
        if follow:
            args = [a for a in args if a not in ("-f", "-F", "--follow")]
        chunks: list[tuple[str, str]] = []
        stdin = proc.files.get("/dev/stdin")
        io = shtools.IO(
            stdin, lambda text: chunks.append(("out", text)), lambda t: chunks.append(("err", t))
        )
        host = _ToolHost(proc)
        made = (shtools.FILTERS.get(name) or shtools.BUILTINS[name])(host, args, io)
        if not isinstance(made, int):
            if stdin:
                made.feed(stdin)
            made = made.close()
        for stream in ("out", "err"):
            text = "".join(t for s, t in chunks if s == stream)
            for line in text.removesuffix("\n").split("\n") if text else []:
                yield (stream, line)
        if follow:
            yield ("sleep", FOREVER)
        return made

    return run


TEXT_TOOLS = "echo printf cat head tail grep sed wc sort uniq cut tr tee seq".split()

COMMANDS: dict[str, Callable[[Proc, list[str]], Program]] = {
    "sleep": _sleep,
    "hostname": _hostname,
    "ls": _ls,
    "env": _env,
    "printenv": _env,
    "mount": _mount,
    "exit": _exit,
    "true": _true,
    "false": _false,
    "date": _date,
    "test": _test,
    "[": _bracket,
    "sh": _sh,
    "exec": _exec,
    "which": _which,
    "httpd": _httpd,
    "bash": _bash,
    "ash": _sh,
    "dash": _sh,
    "cd": _cd,
    "pwd": _pwd,
    "id": _id,
    "whoami": _whoami,
    "uname": _uname,
    "export": _export,
    "unset": _unset,
    "read": _read,
    ":": _true,
}


COMMANDS.update((name, _tool(name)) for name in TEXT_TOOLS)


def quote_argv(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
