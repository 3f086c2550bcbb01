"""The shell a student types into on a lab host: bash in small, around `docker`.

    docker info | grep Swarm
    TOKEN=$(docker swarm join-token -q worker)
    docker service rm $(docker service ls -q) 2>/dev/null || echo "no services"
    lab stop worker1; lab sleep 30; docker service ps web
    timeout 10 docker service logs -f web | grep GET

The language is shlang's (shared with the containers' shell). What this module adds is
how a lab host runs it: commands block while the cluster works (in simulated time under
SimDriver, real time under ThreadDriver), their output streams as it is produced — to
the terminal, or down a pipe into the next command, a line at a time — and the command
line's Job stops them (Ctrl-C: status 130 and the rest of the line is dropped, as bash
does; `timeout`: 124; `| head`: 141).

Files live on the simulated host the student is on (`lab.files[host]`), one flat
directory. Commands: docker, the lab's own (`lab`, `hosts`, `help`; `ssh`, `exit`,
`history` where a terminal session gives them), the shell's builtins here, and the text
tools of coreutils.py, curl.py and grep.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import shlang
from .hostshell import Hooks
from .i18n import t
from .job import BrokenPipe, Interrupted, Job, Killed, Paused, TimedOut
from .shtools import BUILTINS, FILTERS, IO, ExitShell, Filter, Writer, builtin, duration

if TYPE_CHECKING:
    from .cli.commands import Terminal
    from .lab import Lab


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


DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Shell:
    """Runs command lines on one host of a lab, keeping its variables and `$?` from one
    line to the next (one Shell is one login on that host)."""

    busybox = False  # the hosts run GNU's tools

    def __init__(
        self,
        lab: Lab,
        host: str,
        tty: bool = False,
        width: int = 80,
        height: int = 24,
        job: Job | None = None,
        terminal: Terminal | None = None,
        hooks: Hooks | None = None,
    ):
        self.lab = lab
        self.host = host
        self.tty = tty
        self.width = width
        self.height = height
        self.job = job if job is not None else Job(lab.kernel)
        self.terminal = terminal  # the keyboard, for a command that reads it
        self.hooks = hooks
        self.status = 0
        self.vars: dict[str, str] = {
            "HOME": "/root",
            "USER": "root",
            "HOSTNAME": host,
            "PATH": DEFAULT_PATH,
            "SHELL": "/bin/bash",
            "PWD": "/root",
        }
        self.exported: set[str] = {"HOME", "USER", "HOSTNAME", "PATH", "SHELL", "PWD"}
        self._err_now: Writer = _discard  # where a $(…)'s errors go: the line's stderr
        self._substituted: int | None = None  # the status of the last $(…), for `X=$(…)`

    @property
    def files(self) -> dict[str, str]:
        return self.lab.files[self.host]

    def elsewhere(self, host: str, line: str, out: Writer, err: Writer) -> int:
        """`ssh HOST COMMAND`: `line` in a new login on `host`, no terminal, this one's job."""
        remote = Shell(self.lab, host, width=self.width, height=self.height, job=self.job)
        try:
            return remote.run(line, out, err).status
        except ExitShell as exc:
            return exc.status

    # -- shlang's Environment --------------------------------------------------------------

    def var(self, name: str) -> str | None:
        if name == "$":
            return "4242"
        if name == "#":
            return "0"
        if name == "0":
            return "-bash"
        if name == "RANDOM":
            return str(self.lab.cli_rng.randrange(32768))
        if name == "SECONDS":
            return str(int(self.lab.now()))
        return self.vars.get(name)

    def set_var(self, name: str, value: str) -> None:
        self.vars[name] = value

    def substitute(self, script: str) -> str:
        """$(…): run `script` in a subshell and give its standard output; what it says on
        standard error goes to the terminal, as bash's does."""
        out: list[str] = []
        saved = dict(self.vars)
        try:
            self._script(script, IO(None, out.append, self._err_now, tty=False))
        except ExitShell as exc:  # exit in $(…) ends only the subshell
            self.status = exc.status
        finally:
            self.vars = saved
        self._substituted = self.status
        return "".join(out)

    # -- running a line --------------------------------------------------------------------

    def run(self, line: str, stdout: Writer | None = None, stderr: Writer | None = None) -> Output:
        """Run one command line. Its output goes to `stdout`/`stderr` as it is printed
        (the terminal), and is collected in the Output too. Raises ExitShell after
        `exit`."""
        result = Output()

        def writer(stream: str, then: Writer | None) -> Writer:
            def write(text: str) -> None:
                result.emit(stream, text)
                if then is not None:
                    then(text)

            return write

        io = IO(None, writer("out", stdout), writer("err", stderr), tty=self.tty)
        self._err_now = io.err
        try:
            self._script(line, io)
        except Interrupted:
            self.status = 130  # Ctrl-C: the rest of the line is dropped, as bash does
        except Paused as exc:
            io.err(t("lab.paused_stop") + "\n")
            self.status = exc.status
        except Killed as exc:  # a `timeout` or pipe no longer there: it ends the line
            self.status = exc.status
        result.status = self.status
        return result

    def _script(self, text: str, io: IO) -> None:
        try:
            tree = shlang.parse(text)
        except shlang.ShellSyntaxError as exc:
            io.err(f"-bash: {exc}\n")
            self.status = 2
            return
        self._list(tree, io)

    def _list(self, items: list[shlang.AndOr], io: IO) -> int:
        for item in items:
            self._and_or(item, io)
        return self.status

    def _and_or(self, node: shlang.AndOr, io: IO) -> int:
        self._pipeline(node.first, io)
        for op, pipeline in node.rest:
            if (self.status == 0) == (op == "&&"):
                self._pipeline(pipeline, io)
        return self.status

    def _pipeline(self, p: shlang.Pipeline, io: IO) -> int:
        """Every command of a pipeline is set up before the first runs; what each prints
        is fed to the next as it is printed. A command that cannot read a pipe a line at
        a time gets all of it when the one before has ended."""
        n = len(p.commands)
        stages: list[_Stage] = []
        out = io.out
        for k in reversed(range(n)):
            stage = _Stage(self, p.commands[k], out, io, last=k == n - 1, first=k == 0)
            stages.insert(0, stage)
            out = stage.feed
        status = 0
        for stage in stages:
            try:
                status = stage.close()
            except BrokenPipe:
                status = BrokenPipe.status
            except ExitShell as exc:
                if n == 1:
                    raise
                status = exc.status  # each command of a pipeline is a subshell
            except shlang.ShellSyntaxError as exc:  # found while expanding a word
                io.err(f"-bash: {exc}\n")
                status = 1
        if p.negate:
            status = int(status == 0)
        self.status = status
        return status

    # -- one command ----------------------------------------------------------------------------

    def command(self, node: shlang.Command, io: IO) -> int:
        """Run one command (simple or compound) with its redirections."""
        try:
            io = self._redirect(node.redirects, io)
        except _RedirectFailed:
            self.status = 1
            return 1
        if isinstance(node, shlang.Simple):
            return self._simple(node, io)
        if isinstance(node, shlang.Group):
            if not node.subshell:
                return self._list(node.body, io)
            saved = dict(self.vars)
            try:
                return self._list(node.body, io)
            except ExitShell as exc:  # ( exit 3 ) ends only the subshell
                self.status = exc.status
                return exc.status
            finally:
                self.vars = saved
        if isinstance(node, shlang.If):
            for cond, body in node.branches:
                self._list(cond, io)
                if self.status == 0:
                    return self._list(body, io)
            self.status = 0
            if node.otherwise is not None:
                return self._list(node.otherwise, io)
            return 0
        if isinstance(node, shlang.Loop):
            status = 0
            while True:
                self.job.check()
                self._list(node.condition, io)
                if (self.status == 0) == node.until:
                    break
                status = self._list(node.body, io)
            self.status = status
            return status
        words = [x for w in node.words or [] for x in shlang.expand(w, self)]
        status = 0
        for w in words:
            self.vars[node.var] = w
            status = self._list(node.body, io)
        self.status = status
        return status

    def _simple(self, node: shlang.Simple, io: IO) -> int:
        self._substituted = None
        argv = [x for w in node.words for x in shlang.expand(w, self)]
        values = [(name, shlang.expand_one(word, self)) for name, word in node.assigns]
        if not argv:
            for name, value in values:
                self.vars[name] = value
            # X=$(cmd) has cmd's status, as in bash
            self.status = self._substituted if self._substituted is not None else 0
            return self.status
        env = {k: v for k, v in self.vars.items() if k in self.exported}
        env.update(values)
        self.status = self.execute(argv, io, env)
        return self.status

    def execute(self, argv: list[str], io: IO, env: dict[str, str] | None = None) -> int:
        """Run one command by name: a lab command, a builtin, or a text tool."""
        name, args = argv[0], argv[1:]
        if env is None:
            env = {k: v for k, v in self.vars.items() if k in self.exported}
        if name == "docker":
            r = self.lab.docker(
                self.host,
                args,
                stdin=io.stdin,
                tty=io.tty,
                width=self.width,
                height=self.height,
                job=self.job,
                terminal=self.terminal if io.stdin is None else None,
                stdout=io.out,
                stderr=io.err,
                env=env,
            )
            return r.status
        fn = BUILTINS.get(name)
        if fn is not None:
            return fn(self, args, io)
        factory = FILTERS.get(name)
        if factory is not None:
            f = factory(self, args, io)
            if isinstance(f, int):
                return f
            if io.stdin:
                f.feed(io.stdin)
            return f.close()
        hint = NOT_HERE.get(name)
        if hint is not None:
            io.err(t(hint, name=name) + "\n")
            return 127
        io.err(f"-bash: {name}: command not found\n")
        return 127

    def _redirect(self, redirects: list[shlang.Redirect], io: IO) -> IO:
        """The streams a command runs with once its redirections are made (left to
        right, as bash makes them: `2>&1 >f` and `>f 2>&1` differ)."""
        if not redirects:
            return io
        fds: dict[int, Writer] = {1: io.out, 2: io.err}
        stdin = io.stdin
        tty = io.tty
        for r in redirects:
            if r.heredoc is not None:
                stdin = shlang.expand_heredoc(r.heredoc, self)
                continue
            target = shlang.expand_one(r.target, self)
            if r.op == "<<<":
                stdin = target + "\n"
            elif r.op == "<":
                if target not in self.files and target != "/dev/null":
                    io.err(f"-bash: {target}: No such file or directory\n")
                    raise _RedirectFailed()
                stdin = self.files.get(target, "")
            elif r.op in (">&", "<&"):
                if target == "-":
                    fds[r.fd] = _discard
                elif target.isdigit() and int(target) in fds:
                    fds[r.fd] = fds[int(target)]
                    if r.fd == 1:
                        tty = False
                else:
                    io.err(f"-bash: {target}: ambiguous redirect\n")
                    raise _RedirectFailed()
            else:
                writer = self._file_writer(target, append=r.op.endswith(">>"))
                for fd in (1, 2) if r.op.startswith("&") else (r.fd,):
                    fds[fd] = writer
                    if fd == 1:
                        tty = False
        return IO(stdin, fds.get(1, _discard), fds.get(2, _discard), tty=tty and io.tty)

    def _file_writer(self, name: str, append: bool) -> Writer:
        if name == "/dev/null":
            return _discard
        if name in ("/dev/stdout", "/dev/stderr"):
            return self._err_now if name == "/dev/stderr" else _discard
        files = self.files
        if not append or name not in files:
            files[name] = ""

        def write(text: str) -> None:
            files[name] = files.get(name, "") + text

        return write

    def run_captured(self, line: str) -> tuple[str, str, int]:
        """Run a command line in a subshell and give what it printed: (out, err, status)
        (watch's, xargs's and ssh's commands)."""
        out: list[str] = []
        err: list[str] = []
        saved = dict(self.vars)
        try:
            self._script(line, IO(None, out.append, err.append))
        except ExitShell as exc:
            self.status = exc.status
        finally:
            self.vars = saved
        return "".join(out), "".join(err), self.status


class _RedirectFailed(Exception):
    pass


def _discard(text: str) -> None:
    pass


class _Stage:
    """One command of a pipeline: fed what the command before it prints; closed (and so
    run, unless it reads a line at a time) when that one ends."""

    def __init__(
        self, sh: Shell, node: shlang.Command, out: Writer, io: IO, last: bool, first: bool
    ) -> None:
        self.sh = sh
        self.node = node
        self.io = IO(io.stdin if first else "", out, io.err, tty=io.tty and last)
        self.first = first
        self.buffer: list[str] = []
        self.filter: Filter | None = None
        self.filter_status: int | None = None
        self.closed = False
        if not first and isinstance(node, shlang.Simple) and not node.redirects:
            self._start_filter()

    def _start_filter(self) -> None:
        """A text tool that reads a pipe a line at a time starts before the command
        that feeds it, so each line goes through as soon as it is printed."""
        node = self.node
        assert isinstance(node, shlang.Simple)
        if node.assigns or not node.words:
            return
        name = shlang.expand(node.words[0], self.sh)
        if not name or name[0] not in FILTERS:
            return
        argv = [x for w in node.words for x in shlang.expand(w, self.sh)]
        made = FILTERS[argv[0]](self.sh, argv[1:], self.io)
        if isinstance(made, int):
            self.filter_status = made
        else:
            self.filter = made

    def feed(self, text: str) -> None:
        if self.closed:
            raise BrokenPipe()
        if self.filter_status is not None:
            raise BrokenPipe()  # it never started: nothing reads the pipe
        if self.filter is not None:
            if getattr(self.filter, "done", False):
                raise BrokenPipe()  # it has read all it will (head)
            self.filter.feed(text)
        else:
            self.buffer.append(text)

    def close(self) -> int:
        self.closed = True
        if self.filter_status is not None:
            return self.filter_status
        if self.filter is not None:
            return self.filter.close()
        if not self.first:
            self.io.stdin = "".join(self.buffer)
        return self.sh.command(self.node, self.io)


# -- commands that are not here ------------------------------------------------------------------

# A student may type these from habit or from a tutorial: say what to use in the lab.
NOT_HERE = {
    "systemctl": "lab.not_here.systemctl",
    "service": "lab.not_here.systemctl",
    "dockerd": "lab.not_here.systemctl",
    "docker-compose": "lab.not_here.compose",
    "vi": "lab.not_here.editor",
    "vim": "lab.not_here.editor",
    "nano": "lab.not_here.editor",
    "apt": "lab.not_here.packages",
    "apt-get": "lab.not_here.packages",
    "yum": "lab.not_here.packages",
    "dnf": "lab.not_here.packages",
}


# -- the shell's own builtins -------------------------------------------------------------------


@builtin("true", ":")
def _true(sh: Shell, args: list[str], io: IO) -> int:
    return 0


@builtin("false")
def _false(sh: Shell, args: list[str], io: IO) -> int:
    return 1


@builtin("test")
def _test(sh: Shell, args: list[str], io: IO) -> int:
    status, error = shlang.test(args, lambda path: path in sh.files)
    if error:
        io.err(f"-bash: test: {error}\n")
    return status


@builtin("[")
def _bracket(sh: Shell, args: list[str], io: IO) -> int:
    status, error = shlang.test(["["] + args, lambda path: path in sh.files)
    if error:
        io.err(f"-bash: {error}\n" if error.startswith("[") else f"-bash: [: {error}\n")
    return status


@builtin("export")
def _export(sh: Shell, args: list[str], io: IO) -> int:
    for a in args:
        if a.startswith("-"):
            continue
        name, eq, value = a.partition("=")
        if eq:
            sh.vars[name] = value
        sh.exported.add(name)
    if not args:
        for name in sorted(sh.exported):
            if name in sh.vars:
                io.out(f'declare -x {name}="{sh.vars[name]}"\n')
    return 0


@builtin("unset")
def _unset(sh: Shell, args: list[str], io: IO) -> int:
    for name in args:
        sh.vars.pop(name, None)
        sh.exported.discard(name)
    return 0


@builtin("env", "printenv")
def _env(sh: Shell, args: list[str], io: IO) -> int:
    shown = {k: v for k, v in sh.vars.items() if k in sh.exported}
    if args:
        if args[0] in shown:
            io.out(shown[args[0]] + "\n")
            return 0
        return 1
    for k in sorted(shown):
        io.out(f"{k}={shown[k]}\n")
    return 0


@builtin("sudo")
def _sudo(sh: Shell, args: list[str], io: IO) -> int:
    """The lab's user may run docker already; sudo just runs the command."""
    while args and args[0].startswith("-"):
        args = args[1:]
    if not args:
        io.err("usage: sudo command\n")
        return 1
    return sh.execute(args, io)


@builtin("sleep")
def _sleep(sh: Shell, args: list[str], io: IO) -> int:
    if not args:
        io.err("sleep: missing operand\nTry 'sleep --help' for more information.\n")
        return 1
    total = 0.0
    for a in args:
        value = float("inf") if a == "infinity" else duration(a)
        if value is None:
            io.err(
                f"sleep: invalid time interval '{a}'\nTry 'sleep --help' for more information.\n"
            )
            return 1
        total += value
    sh.job.sleep(min(total, 10 * 365 * 86400.0))
    return 0


@builtin("timeout")
def _timeout(sh: Shell, args: list[str], io: IO) -> int:
    """timeout DURATION COMMAND...: stop COMMAND after DURATION (exit 124), as coreutils."""
    while args and args[0].startswith("-") and args[0] not in ("-", "--"):
        flag = args.pop(0)
        if flag in ("-s", "-k", "--signal", "--kill-after") and args:
            args.pop(0)
    if args[:1] == ["--"]:
        args = args[1:]
    if len(args) < 2:
        io.err("timeout: missing operand\nTry 'timeout --help' for more information.\n")
        return 125
    seconds = duration(args[0])
    if seconds is None:
        io.err(
            f"timeout: invalid time interval '{args[0]}'\n"
            "Try 'timeout --help' for more information.\n"
        )
        return 125
    with sh.job.timeout(seconds) as deadline:
        try:
            return sh.execute(args[1:], io)
        except TimedOut as exc:
            if exc.deadline != deadline:
                raise  # an outer timeout's: not ours to catch
            return 124


@builtin("clear")
def _clear(sh: Shell, args: list[str], io: IO) -> int:
    io.out("\x1b[H\x1b[2J\x1b[3J")
    return 0


@builtin("watch")
def _watch(sh: Shell, args: list[str], io: IO) -> int:
    """watch [-n SECONDS] [-t] COMMAND: run COMMAND every SECONDS (2 by default), the
    screen redrawn in place, until Ctrl-C."""
    interval, title = 2.0, True
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag in ("-n", "--interval") and args:
            value = duration(args.pop(0))
        elif flag.startswith("-n") and len(flag) > 2:
            value = duration(flag[2:])
        elif flag.startswith("--interval="):
            value = duration(flag.split("=", 1)[1])
        elif flag in ("-t", "--no-title"):
            title = False
            continue
        elif flag == "--":
            break
        else:
            io.err(
                f"watch: invalid option -- '{flag.lstrip('-')[:1]}'\n"
                "Usage:\n watch [options] command\n"
            )
            return 1
        if value is None:
            io.err("watch: failed to parse argument\n")
            return 1
        interval = max(0.1, value)
    if not args:
        io.err("Usage:\n watch [options] command\n")
        return 1
    line = " ".join(args)
    try:
        while True:
            out, err, _ = sh.run_captured(line)
            screen = out + err
            head = ""
            if title:
                left = f"Every {interval:.1f}s: {line}"
                right = f"{sh.host}: {_ctime(sh.lab.kernel.epoch + sh.lab.now())}"
                gap = max(1, sh.width - len(left) - len(right))
                head = f"{left}{' ' * gap}{right}\n\n"
            if io.tty:
                rows = screen.splitlines()[: max(0, sh.height - (2 if title else 0) - 1)]
                io.out("\x1b[H\x1b[2J" + head + "".join(r[: sh.width] + "\n" for r in rows))
            else:
                io.out(head + screen)
            sh.job.sleep(interval)
    except Interrupted:
        return 0  # watch ends cleanly on Ctrl-C, leaving its last screen


def _ctime(epoch: float) -> str:
    from .gocompat import utc

    return utc(epoch).strftime("%a %b %e %H:%M:%S %Y")


@builtin("hosts")
def _hosts(sh: Shell, args: list[str], io: IO) -> int:
    for name, address in sh.lab.hosts:
        up = sh.lab.kernel.hosts[name].up
        io.out(f"{name:<12} {address:<16} {'up' if up else 'down'}\n")
    return 0


@builtin("help")
def _help(sh: Shell, args: list[str], io: IO) -> int:
    """help: miniswarm's own help; help lab: the lab commands; help lesson: the tutor's."""
    if args[:1] == ["lab"]:
        io.out(t("lab.usage") + "\n")
    elif args[:1] in (["lesson"], ["exercise"]):
        io.out(t("tutor.lesson_usage") + "\n" + t("tutor.exercise_usage") + "\n")
    elif args:
        io.err(t("help.unknown", topic=args[0]) + "\n")
        return 1
    else:
        io.out(t("help") + "\n")
    return 0


@builtin("ls")
def _ls(sh: Shell, args: list[str], io: IO) -> int:
    names = [a for a in args if not a.startswith("-")]
    status = 0
    for name in names:
        if name not in sh.files:
            io.err(f"ls: cannot access '{name}': No such file or directory\n")
            status = 2
    shown = [n for n in names if n in sh.files] if names else sorted(sh.files)
    for n in shown:
        io.out(n + "\n")
    return status


@builtin("rm")
def _rm(sh: Shell, args: list[str], io: IO) -> int:
    force = any(a.startswith("-") and "f" in a for a in args)
    status = 0
    for name in [a for a in args if not a.startswith("-")]:
        if name in sh.files:
            del sh.files[name]
        elif not force:
            io.err(f"rm: cannot remove '{name}': No such file or directory\n")
            status = 1
    return status


@builtin("date")
def _date(sh: Shell, args: list[str], io: IO) -> int:
    from .gocompat import utc

    io.out(utc(sh.lab.kernel.epoch + sh.lab.now()).strftime("%a %b %e %H:%M:%S UTC %Y") + "\n")
    return 0


@builtin("hostname")
def _hostname(sh: Shell, args: list[str], io: IO) -> int:
    io.out(sh.host + "\n")
    return 0


# The tutor's commands: the session's tutor answers them (tutor.py), a shell without one
# has no such command.
TUTOR_COMMANDS = ("lesson", "exercise", "hint", "show", "next", "back", "check")


def _tutor_builtin(name: str) -> None:
    def run(sh: Shell, args: list[str], io: IO) -> int:
        tutor = getattr(sh.hooks, "tutor", None)
        if tutor is None:
            io.err(f"-bash: {name}: command not found\n")
            return 127
        return tutor.command(name, args, io.out, io.err)

    builtin(name)(run)


for _name in TUTOR_COMMANDS:
    _tutor_builtin(_name)


# The text tools, curl, ping, the login commands and `lab` register themselves here.
from . import coreutils, curl, labcmd, login, ping  # noqa: E402,F401

__all__ = ["Shell", "Output", "IO", "ExitShell", "BUILTINS", "FILTERS"]
