"""The lab's terminal: a prompt on a simulated host where students type docker commands.

    manager1 $ docker swarm init --advertise-addr 192.168.0.100
    manager1 $ ssh worker1
    worker1 $ docker swarm join --token SWMTKN-1-... 192.168.0.100:2377
    worker1 $ exit
    logout
    Connection to worker1 closed.
    manager1 $ lab stop worker1

`Session` is the terminal session without the terminal: a login on the lab's first host
and the ssh sessions nested in it; it takes typed lines and runs them, their output
streamed to whatever writes it. `Repl` puts it on a real terminal with prompt_toolkit:
line editing, history, completion, and — while a command runs — the keyboard, so that
Ctrl-C stops it as a terminal's SIGINT stops a process. Tests drive `Repl` through
prompt_toolkit's pipe input; `miniswarm < commands.txt` runs lines as if typed.
"""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import shlang
from .completion import DockerCompleter
from .i18n import t
from .job import Interrupted, Job
from .lab import DEFAULT_HOSTS, Lab
from .shell import ExitShell, Shell
from .sim import PacedDriver, gcpolicy

if TYPE_CHECKING:
    from prompt_toolkit.input import Input
    from prompt_toolkit.key_binding import KeyPress
    from prompt_toolkit.output import Output

    from .tutor import Tutor
    from .views import Bar

Writer = Callable[[str], None]


def parse_hosts(spec: str | None) -> list[tuple[str, str]]:
    """--hosts: a number of hosts, or NAME=ADDR,...; the default lab otherwise."""
    if not spec:
        return list(DEFAULT_HOSTS)
    if spec.isdigit():
        n = int(spec)
        if not 1 <= n <= 250:
            raise ValueError("the number of hosts must be between 1 and 250")
        managers = min(3, n)
        names = [f"manager{i + 1}" for i in range(managers)]
        names += [f"worker{i + 1}" for i in range(n - managers)]
        return [(name, f"192.168.0.{100 + i}") for i, name in enumerate(names)]
    hosts = []
    for part in spec.split(","):
        name, sep, addr = part.partition("=")
        if not sep or not name or not addr:
            raise ValueError(f"bad host {part!r}: expected NAME=ADDR")
        hosts.append((name.strip(), addr.strip()))
    return hosts


CTRL_C = "\x03"  # what a replay's keyboard answers to stop a command at a prompt


class _Replayed:
    """The keyboard of a line being replayed: what it read the first time, and Ctrl-C
    when it came the first time."""

    def __init__(self, kernel: PacedDriver) -> None:
        self.kernel = kernel
        self.answers: list[str | None] = []
        self.stops: list[float] = []

    def interrupted(self) -> bool:
        if self.stops and self.kernel.now() >= self.stops[0] - 1e-9:  # float sums drift
            self.stops.pop(0)
            return True
        return False

    def read_line(self, prompt: str, secret: bool = False) -> str:
        answer = self.answers.pop(0) if self.answers else None
        if answer is None:
            raise EOFError
        if answer == CTRL_C:
            raise Interrupted()
        return answer


@dataclass
class Typed:
    """A line as typed, with all a replay needs to do it again the same way: where and
    when (simulated) it began, the terminal's size, when Ctrl-C stopped it, and what it
    read from the keyboard (None: Ctrl-D)."""

    host: str
    line: str
    at: float = 0.0
    size: tuple[int, int] = (80, 24)
    stops: list[float] = field(default_factory=list)
    answers: list[str | None] = field(default_factory=list)


class Session:
    """What a student's terminal session holds: the lab, the login on its first host and
    the ssh sessions nested in it (each a Shell with its own variables), and history."""

    def __init__(
        self,
        lab: Lab,
        width: int = 80,
        height: int = 24,
        tty: bool = False,
        job: Job | None = None,
    ) -> None:
        self.lab = lab
        self.bar: tuple[float, str, Bar | None] = (0.0, "", None)  # the toolbar's last look
        self.width = width
        self.height = height
        self.tty = tty
        self.job = job if job is not None else Job(lab.kernel)
        self.terminal: Any = None  # the keyboard, for commands that read it (Repl)
        self.shells: list[Shell] = []
        self.shells.append(self._login(lab.names[0]))
        self.pending = ""  # the first lines of a command that goes on (`\`, quotes, `|`)
        self.done = False  # the first host was logged out of
        self.history: list[str] = []
        self.typed: list[Typed] = []  # what `lab export` writes and `lab rewind` replays
        # How to make this lab again from the start (its seed, or the file it was loaded
        # from), for `lab rewind`; None for a lesson's or an exercise's lab.
        self.origin: Callable[[], Lab] | None = None
        self._lab_gone = False  # a rewind threw the lab away during this line
        # How a lesson or exercise gets a lab of its own (like this one, from a seed): it
        # holds the hosts' list, not this lab, which must be freed once it is replaced.
        hosts = lab.hosts
        self.make_lab: Callable[[int], Lab] = lambda seed: Lab(hosts, seed=seed)
        self.tutor: Tutor | None = None  # lessons and exercises, at an interactive session
        self.watch = ""  # the view kept live above the prompt (`lab watch map|raft`)
        self.line: Typed | None = None  # the line running now

    def new_lab(self, seed: int) -> Lab:
        return self.make_lab(seed)

    def use_lab(self, lab: Lab) -> None:
        """A lesson or exercise begins: its lab takes the old one's place, and the
        student is logged in on its first host."""
        old = self.lab
        self.lab = lab.go_live()
        self.job = Job(lab.kernel, interrupted=self.job.interrupted)
        self.shells = [self._login(lab.names[0])]
        self.pending = ""
        self.origin, self.typed = None, []  # its setup was not typed: no rewinding it
        if old is not lab:
            old.close()

    def _login(self, host: str) -> Shell:
        return Shell(
            self.lab,
            host,
            tty=self.tty,
            width=self.width,
            height=self.height,
            job=self.job,
            terminal=self.terminal,
            hooks=self,
        )

    @property
    def shell(self) -> Shell:
        return self.shells[-1]

    @property
    def host(self) -> str:
        return self.shell.host

    @property
    def prompt(self) -> str:
        return "> " if self.pending else f"{self.host} $ "

    # -- lines ---------------------------------------------------------------------------

    def feed(self, line: str) -> str:
        """Take one typed line; return what it printed (nothing while a line goes on)."""
        out: list[str] = []
        self.run(line, out.append, out.append)
        return "".join(out)

    def run(self, line: str, out: Writer, err: Writer) -> int | None:
        """Run one typed line, its output streamed to `out` and `err`. None while the
        command goes on to the next line (the prompt becomes `> `)."""
        text = self.pending + line
        try:
            shlang.parse(text)
        except shlang.Incomplete:
            self.pending = text + "\n"
            return None
        except shlang.ShellSyntaxError:
            pass  # the shell says what is wrong with it
        self.pending = ""
        # A paced lab's time is this line's while it runs: nothing else steps it between
        # the command's own waits, so that the line does the same when replayed.
        with getattr(self.lab.kernel, "command", nullcontext)():
            status = self._run(text, out, err)
        if self._lab_gone:  # `lab rewind` threw a lab away: free it, frozen objects and all
            self._lab_gone = False
            gcpolicy.review()
        return status

    def _run(self, text: str, out: Writer, err: Writer) -> int | None:
        typed = None
        if text.strip():
            self.history.append(text)
            typed = Typed(self.host, text, self.lab.now(), (self.width, self.height))
            self.typed.append(typed)
        for sh in self.shells:  # the terminal may have been resized
            sh.width, sh.height, sh.terminal = self.width, self.height, self.terminal
        self.line = typed
        keyboard = self.job.interrupted
        if keyboard is not None and typed is not None:
            self.job.interrupted = lambda: self._stopped(keyboard, typed)
        try:
            status = self.shell.run(text, out, err).status
        except ExitShell as exc:
            self.logout(out, err)
            return exc.status
        except Exception as exc:  # the REPL survives anything; report, change nothing
            err(f"miniswarm: internal error: {type(exc).__name__}: {exc}\n")
            return 1
        finally:
            self.job.interrupted = keyboard
            self.line = None
        if self.tutor is not None:
            try:
                self.tutor.after_line(text, out, err)
            except Exception as exc:
                err(f"miniswarm: internal error: {type(exc).__name__}: {exc}\n")
        return status

    def _stopped(self, keyboard: Callable[[], bool], typed: Typed) -> bool:
        """Ctrl-C, looked for between a command's waits: when it came is kept."""
        hit = keyboard()
        if hit:
            typed.stops.append(self.lab.now())
        return hit

    def rewind(self, seconds: float) -> float:
        """Back to `seconds` of lab time ago: the lab made again from its origin and the
        lines typed before then played on it, unpaced, at the moments they began (each
        stopped by Ctrl-C where it was, given what it read) — the simulator's order of
        events makes it the very same lab. Returns the lab time it is back at."""
        if self.origin is None or not isinstance(self.lab.kernel, PacedDriver):
            raise LookupError(t("lab.rewind_not_here"))
        target = max(0.0, self.lab.now() - seconds)
        fresh = self.origin()
        kernel = fresh.kernel
        assert isinstance(kernel, PacedDriver)  # an origin makes a lab like this one
        again = Session(fresh, tty=self.tty)
        keyboard = _Replayed(kernel)
        again.job.interrupted = keyboard.interrupted
        if self.terminal is not None:  # what a command may read: as the first time
            again.terminal = keyboard
        quiet: Writer = lambda _: None  # noqa: E731
        kept = []
        for typed in self.typed:
            if typed.at >= target or typed.line.strip().startswith("lab rewind"):
                break
            kernel.run_until(typed.at)  # nobody typed meanwhile: the lab went on
            again.width, again.height = typed.size
            # a line still running at the moment gone back to is stopped there, as by
            # a Ctrl-C then
            stops = [at for at in typed.stops if at < target] + [target]
            keyboard.answers, keyboard.stops = list(typed.answers), stops
            again.run(typed.line, quiet, quiet)
            again.done = False  # an `exit` on the first host ended nothing then
            kept.append(typed)
        kernel.run_until(max(target, fresh.now()))
        old, self.lab = self.lab, fresh
        self.job = Job(fresh.kernel, interrupted=self.job.interrupted)
        self.shells = again.shells
        for sh in self.shells:
            sh.hooks, sh.job, sh.terminal = self, self.job, self.terminal
        self.typed = kept
        self.pending = ""
        live = getattr(old.kernel, "realtime", False)
        old.close()
        self._lab_gone = True
        if live:  # on the wall clock again, from the moment gone back to
            fresh.go_live()
        return fresh.now()

    def heard(self, answer: str | None) -> None:
        """A line the running command read from the keyboard (None: Ctrl-D), kept for a
        replay. It stays in memory only: a typed secret is never written anywhere."""
        if self.line is not None:
            self.line.answers.append(answer)

    def eof(self, out: Writer, err: Writer) -> None:
        """Ctrl-D at the prompt."""
        if self.pending:
            self.pending = ""
            err("-bash: syntax error: unexpected end of file\n")
            return
        self.logout(out, err)

    def logout(self, out: Writer, err: Writer) -> None:
        if len(self.shells) > 1:
            left = self.shells.pop()
            out("logout\n")
            err(f"Connection to {left.host} closed.\n")
            return
        self.done = True

    # -- what the session gives its shells (shell.Hooks) ---------------------------------

    def enter(self, host: str) -> None:
        """`ssh HOST`: a login on HOST, nested in this one."""
        self.shells.append(self._login(host))


# -- lines from a pipe --------------------------------------------------------------------------


def run_lines(session: Session, lines: Iterable[str], out: Any) -> int:
    """Feed lines to a session as if typed, echoing each after its prompt; what they
    print is written as it is printed."""
    status = 0

    def write(text: str) -> None:
        out.write(shlang.shown(text))
        out.flush()

    for raw in lines:
        line = raw.rstrip("\n")
        write(f"{session.prompt}{line}\n")
        result = session.run(line, write, write)
        status = result if result is not None else status
        if session.done:
            break
    return status


# -- the terminal ---------------------------------------------------------------------------

WATCH_EVERY = 0.5  # seconds between the tutor's looks while a typed step is on its way


class Repl:
    """The session on a terminal (prompt_toolkit's input and output): the prompt with
    editing, history and completion; and, while a command runs, the keyboard — Ctrl-C
    stops the command, other keys are kept for the next prompt, as a terminal does."""

    def __init__(
        self,
        session: Session,
        input: Input | None = None,
        output: Output | None = None,
        write: Writer | None = None,
        history_file: Path | None = None,
    ) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory
        from prompt_toolkit.input import create_input
        from prompt_toolkit.output import create_output

        from .lexer import ShellLexer

        self.session = session
        self.input = input if input is not None else create_input()
        self.output = output if output is not None else create_output()
        self.write = write if write is not None else _stdout_write
        self.typeahead: list[KeyPress] = []
        self._pane_cache: tuple[float, str, str] = (0.0, "", "")
        # colour where the terminal shows it: not a dumb one
        self.colour = os.environ.get("TERM", "") != "dumb"
        self.caught = False  # Ctrl-C was typed while the last line ran
        self.main: PromptSession[str] = PromptSession(
            input=self.input,
            output=self.output,
            # kept between sessions for a student's own terminal; Ctrl-R searches it
            history=FileHistory(str(history_file)) if history_file else InMemoryHistory(),
            lexer=ShellLexer(),
            completer=DockerCompleter(session),
            complete_while_typing=False,
            bottom_toolbar=lambda: _toolbar(session),
            refresh_interval=1.0,  # the clock and the swarm move while nobody types
        )
        session.terminal = self
        session.tty = True
        session.job.interrupted = self.interrupted
        for sh in session.shells:
            sh.tty = True

    def run(self) -> int:
        s = self.session
        self.write(t("banner", hosts=len(s.lab.names), seed=s.lab.kernel.seed) + "\n")
        if s.tutor is not None:
            s.tutor.resume(self.write, self.write)
        while True:
            try:
                line = self._prompt(s.prompt)
            except KeyboardInterrupt:
                s.pending = ""  # Ctrl-C at the prompt: a fresh line, as bash gives
                continue
            except EOFError:
                s.eof(self.write, self.write)
                if s.done and not self._really_leave():
                    s.done = False
                    continue
                if s.done:
                    break
                continue
            size = self.output.get_size()
            s.width, s.height = size.columns, size.rows
            self.caught = False
            with self.input.raw_mode():
                status = s.run(line, self.write, self.write)
            if self.caught and status == Interrupted.status:
                self.write("\n")  # bash ends the line after a job killed by Ctrl-C
            if s.done and not self._really_leave():
                s.done = False
                continue
            if s.done:
                break
        self.write(t("exit.bye", seed=s.lab.kernel.seed) + "\n")
        return 0

    def _prompt(self, text: str) -> str:
        from prompt_toolkit.input.typeahead import store_typeahead

        if self.typeahead:  # keys typed while the last command ran
            store_typeahead(self.input, self.typeahead)
            self.typeahead = []
        if not self.session.watch:
            return self.main.prompt(text, pre_run=self._watch_tutor)
        from prompt_toolkit.formatted_text import ANSI

        # The view is part of the prompt, redrawn every second, and erased with it when
        # the line is taken: it stays at the bottom, above the prompt, while what the
        # commands print scrolls away above it.
        self.main.app.erase_when_done = True
        try:
            line = self.main.prompt(lambda: ANSI(self._pane() + text), pre_run=self._watch_tutor)
        finally:
            self.main.app.erase_when_done = False
        self.write(text + line + "\n")
        return line

    def _pane(self) -> str:
        """The watched view, cut to leave the terminal room for the prompt and a few lines
        of output; asked of the swarm at most every TOOLBAR_EVERY seconds."""
        import time

        from .labcmd import view_text

        s = self.session
        seen, which, text = self._pane_cache
        if which != s.watch or time.monotonic() - seen > TOOLBAR_EVERY:
            size = self.output.get_size()
            rows = max(3, size.rows - 8)
            try:
                text = view_text(s.lab, s.watch, size.columns, colour=self.colour, rows=rows)
            except Exception:  # a host busy or going down: show what was seen
                pass
            lines = text.rstrip("\n").split("\n")
            if len(lines) > rows:
                lines = lines[: rows - 1] + [f"… (+{len(lines) - rows + 1})"]
            rule = t("watch.rule", view=s.watch)
            text = "\n".join(lines) + "\n" + rule + "\n"
            self._pane_cache = (time.monotonic(), s.watch, text)
        return text

    def _watch_tutor(self) -> None:
        """While a step the student typed is on its way (its tasks starting …), look
        every half second of real time and go on above the prompt once it is there, as
        a teacher beside the student would. Lab time runs on only on the wall clock (ThreadDriver,
        PacedDriver)."""
        import asyncio

        from prompt_toolkit.application import run_in_terminal

        from .sim import ThreadDriver

        tutor = self.session.tutor
        if tutor is None or not tutor.waiting:
            return
        if not isinstance(self.session.lab.kernel, (ThreadDriver, PacedDriver)):
            return

        async def watch() -> None:
            while tutor.waiting:
                await asyncio.sleep(WATCH_EVERY)
                if tutor.ready():
                    # advancing and printing together: cancelled before, nothing is lost
                    await run_in_terminal(lambda: tutor.poll(self.write))

        self.main.app.create_background_task(watch())

    def _really_leave(self) -> bool:
        """Logging out of the lab's first host ends the lab: ask first."""
        try:
            answer = self._fresh_prompt(t("exit.confirm"))
        except EOFError:  # Ctrl-D again, or the input has ended: nothing more will come
            return True
        except KeyboardInterrupt:
            answer = ""
        if answer.strip().lower() in ("y", "yes", "예", "네", "ㅇ", "응"):
            return True
        self.write(t("exit.kept") + "\n")
        return False

    def _fresh_prompt(self, text: str, secret: bool = False) -> str:
        """A prompt of its own (a password prompt must never change how the next line
        is typed)."""
        from prompt_toolkit import PromptSession

        return PromptSession(input=self.input, output=self.output).prompt(text, is_password=secret)

    # -- for commands (the docker CLI's Terminal, the Job's keyboard) -------------------

    def read_line(self, prompt: str, secret: bool = False) -> str:
        """A line a command asks for (an unlock key, a secret typed in, a container's
        shell). Ctrl-C stops the command; Ctrl-D is the end of input (EOFError)."""
        try:
            answer = self._fresh_prompt(prompt, secret)
            self.session.heard(answer)
            return answer
        except KeyboardInterrupt:
            self.session.heard(CTRL_C)
            raise Interrupted() from None
        except EOFError:
            self.session.heard(None)
            if not prompt:
                # Ctrl-D on an empty line ends the input where it is: a terminal moves
                # no further down (prompt_toolkit has; go back up).
                self.write("\x1b[A")
            raise

    def interrupted(self) -> bool:
        """Look at the keys typed while a command runs: whether Ctrl-C was one of them.
        The keys before a Ctrl-C are dropped, as a terminal flushes its input on SIGINT;
        the others are kept for the next prompt."""
        from prompt_toolkit.input.typeahead import get_typeahead
        from prompt_toolkit.keys import Keys

        keys = get_typeahead(self.input)
        try:
            ready = select.select([self.input.fileno()], [], [], 0)[0]
        except (OSError, ValueError):
            ready = []
        if ready:
            keys += self.input.read_keys()
        hit = False
        for key in keys:
            if key.key == Keys.ControlC:
                hit = True
                self.typeahead = []
            else:
                self.typeahead.append(key)
        if hit:
            self.write("^C")  # what the terminal echoes
            self.caught = True
        return hit


def _stdout_write(text: str) -> None:
    sys.stdout.write(shlang.shown(text))
    sys.stdout.flush()


TOOLBAR_EVERY = 0.5  # seconds of real time between two looks at the swarm for the toolbar


def _toolbar(session: Session) -> str:
    """Where the student is and what the swarm is doing, redrawn every second: the host
    and its role, the leader, nodes Ready, managers reachable, the lab's clock and speed
    (or that it is paused), in 80 columns. The swarm is asked at most every
    TOOLBAR_EVERY seconds."""
    import time

    from .labcmd import clock
    from .views import toolbar_facts

    k = session.lab.kernel
    seen, where, bar = session.bar
    if where != session.host or time.monotonic() - seen > TOOLBAR_EVERY:
        try:
            bar = toolbar_facts(session.lab, session.host)
        except Exception:  # a host busy or going down: say what was known
            pass
        session.bar = (time.monotonic(), session.host, bar)
    parts = [f" {session.host}"]
    if bar is not None:
        parts[0] += f" ({t('toolbar.role.' + bar.role)})"
        if bar.leader:
            parts.append(t("toolbar.swarm", leader=bar.leader, ready=bar.ready, nodes=bar.nodes,
                           reachable=bar.reachable, managers=bar.managers))  # fmt: skip
        elif bar.role in ("manager", "worker"):
            parts.append(t("toolbar.no_leader"))
    parts.append(
        clock(k.now())
        + " "
        + (t("toolbar.paused") if k.paused else t("lab.times", speed=f"{k.speed:g}"))
    )
    parts.append(t("toolbar.help"))  # last: a narrow terminal cuts it first
    return " │ ".join(parts)


def repl(
    hosts: str | None = None,
    seed: int | None = None,
    speed: float = 1.0,
    lang: str | None = None,
    load: str | None = None,
) -> int:
    """Run the interactive REPL (or, when standard input is not a terminal, read commands
    from it and print what the REPL would). A lab without a seed draws one; `load`: a
    lab saved by `lab save`, which goes on from where it was."""
    import secrets

    from .i18n import set_language

    if lang:
        set_language(lang)
    try:
        host_list = parse_hosts(hosts)
    except ValueError as exc:
        print(f"miniswarm: {exc}", file=sys.stderr)
        return 2
    if seed is None:
        seed = secrets.randbelow(1_000_000)
    from .tutor import Tutor, home

    interactive = sys.stdin.isatty()
    # At a terminal the lab runs on the wall clock in the simulator's own order of
    # events, so that `lab rewind` can make it again; piped, it runs as fast as it can.
    driver = "paced" if interactive else "sim"
    origin: Callable[[], Lab]
    if load:
        from .sessionfile import SessionFileError
        from .sessionfile import load as load_lab

        def origin() -> Lab:
            return load_lab(load, driver=driver, speed=speed)

        try:
            lab = origin()
        except SessionFileError as exc:
            print(f"miniswarm: {exc}", file=sys.stderr)
            return 2
        host_list, seed = lab.hosts, lab.kernel.seed
    else:
        fixed_seed = seed

        def origin() -> Lab:
            return Lab(host_list, driver=driver, seed=fixed_seed, speed=speed)

        lab = origin()
    if not interactive:
        session = Session(lab)
        session.tutor = Tutor(session)
        return run_lines(session, sys.stdin, sys.stdout)
    session = Session(lab.go_live(), tty=True)
    session.origin = origin
    session.make_lab = lambda s: Lab(host_list, driver="paced", seed=s, speed=speed)
    session.tutor = Tutor(session)
    history: Path | None = home() / "history"
    try:
        home().mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: history for this session only
        history = None
    try:
        return Repl(session, history_file=history).run()
    finally:
        session.lab.close()
