"""The lab's REPL: a prompt on a simulated host where students type docker commands.

    manager1 $ docker swarm init --advertise-addr 192.168.0.100
    manager1 $ ssh worker1
    worker1 $ docker swarm join --token SWMTKN-1-... 192.168.0.100:2377
    worker1 $ exit
    manager1 $ lab stop worker1

`Session` is the REPL without its terminal: it takes lines and gives back what to print,
so that tests, and `miniswarm < commands.txt`, run exactly what the REPL runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from .lab import DEFAULT_HOSTS, Lab
from .shell import Shell
from .transcript import lab_action

HELP = """\
miniswarm: Docker Swarm mode on a lab of simulated hosts.

Type docker commands as you would on a real host:
  docker swarm init --advertise-addr 192.168.0.100
  docker node ls | grep Leader
  docker -H worker1 info           (one command on another host)

Moving between hosts:
  ssh HOST                         go to HOST (its prompt shows where you are)
  exit                             back to where you came from
  hosts                            the lab's hosts and their addresses

Breaking things on purpose (the `lab` commands):
  lab stop HOST                    the host's daemon dies: it stops answering and
                                   loses everything it had not saved to disk
  lab start HOST                   start it again, from what it had saved
  lab partition A B / C D          cut the network into groups that cannot reach
                                   each other (hosts not named form one more group)
  lab heal                         mend the network
  lab sleep SECONDS                let time pass
  lab status                       which hosts are up, and each manager's Raft state

The shell understands |, &&, ||, ;, > FILE, < FILE, <<< 'text', 2>&1, and
echo, printf, cat, grep, head, tail, wc, sort, uniq, cut, sed, tr, tee, timeout, sleep.
A line ending in \\ continues on the next. Ctrl-C stops a command, Ctrl-D leaves."""


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


class Session:
    """What a student's terminal session holds: the lab and where they are in it."""

    def __init__(self, lab: Lab, width: int = 80, height: int = 24, tty: bool = False) -> None:
        self.lab = lab
        self.stack = [lab.names[0]]
        self.width = width
        self.height = height
        self.tty = tty
        self.pending = ""  # a line continued with a backslash
        self.done = False
        self.read_input = None  # the terminal's, when a command asks for typed input

    @property
    def host(self) -> str:
        return self.stack[-1]

    @property
    def prompt(self) -> str:
        return "> " if self.pending else f"{self.host} $ "

    def feed(self, line: str) -> str:
        """Take one typed line; return what to print (empty while a line continues)."""
        if line.endswith("\\") and not line.endswith("\\\\"):
            self.pending += line[:-1]
            return ""
        line, self.pending = self.pending + line, ""
        try:
            return self.execute(line.strip())
        except Exception as exc:  # the REPL survives anything; report, change nothing
            return f"miniswarm: internal error: {type(exc).__name__}: {exc}\n"

    def execute(self, line: str) -> str:
        if not line or line.startswith("#"):
            return ""
        words = line.split()
        cmd = words[0]
        if cmd == "help" or cmd == "?":
            return HELP + "\n"
        if cmd in ("exit", "logout"):
            if len(self.stack) > 1:
                left = self.stack.pop()
                return f"Connection to {left} closed.\n"
            self.done = True
            return ""
        if cmd == "ssh":
            return self._ssh(words[1:])
        if cmd == "hosts":
            return "".join(
                f"{n:<12} {a:<16} {'up' if self.lab.kernel.hosts[n].up else 'down'}\n"
                for n, a in self.lab.hosts
            )
        if cmd == "lab":
            return self._lab(words[1:])
        out = Shell(
            self.lab,
            self.host,
            tty=self.tty,
            width=self.width,
            height=self.height,
            read_input=self.read_input,
        ).run(line)
        return "".join(text for _, text in out.chunks)

    def _ssh(self, args: list[str]) -> str:
        if len(args) != 1:
            return "usage: ssh HOST\n"
        target = args[0].split("@")[-1]
        for name, addr in self.lab.hosts:
            if target in (name, addr):
                if not self.lab.kernel.hosts[name].up:
                    return f"ssh: connect to host {target} port 22: No route to host\n"
                self.stack.append(name)
                return ""
        return f"ssh: Could not resolve hostname {target}: Name or service not known\n"

    def _lab(self, args: list[str]) -> str:
        if not args:
            return (
                "usage: lab stop|start HOST, lab partition A B / C D, lab heal, "
                "lab sleep N, lab status\n"
            )
        if args[0] == "status":
            return self.status()
        for name in args[1:] if args[0] in ("stop", "start") else []:
            if name not in self.lab.names:
                return f"lab: no such host: {name}\n"
        if args[0] == "partition":
            named = [w for w in args[1:] if w != "/"]
            unknown = [w for w in named if w not in self.lab.names]
            if unknown:
                return f"lab: no such host: {unknown[0]}\n"
        try:
            lab_action(self.lab, " ".join(args))
        except ValueError as exc:
            return f"lab: {exc}\n"
        return ""

    def status(self) -> str:
        """Each host: up or down, its swarm role, and for managers their Raft view."""
        rows = []
        for name, addr in self.lab.hosts:
            host = self.lab.kernel.hosts[name]
            if not host.up:
                rows.append(f"{name:<12} {addr:<16} down")
                continue
            info = self.lab.kernel.call(name, _status_of)
            rows.append(f"{name:<12} {addr:<16} up    {info}")
        return "\n".join(rows) + "\n"


def _status_of(daemon) -> str:
    if daemon.state is None:
        return "not in a swarm"
    if daemon.manager is None:
        return f"{daemon.role} ({daemon.status})"
    r = daemon.manager.raft.raft
    lead = r.lead.split(".")[0][:12] if r.lead else "none"
    return (
        f"manager ({daemon.status})  raft: {r.state}, term {r.term}, "
        f"commit {r.commit}, leader {lead}"
    )


# -- the terminal -----------------------------------------------------------------------------


def repl(hosts: str | None = None, seed: int | None = None, speed: float = 1.0) -> int:
    """Run the interactive REPL (or, when standard input is not a terminal, read commands
    from it and print what the REPL would)."""
    try:
        host_list = parse_hosts(hosts)
    except ValueError as exc:
        print(f"miniswarm: {exc}", file=sys.stderr)
        return 2
    if not sys.stdin.isatty():
        lab = Lab(host_list, seed=seed or 0)
        return run_lines(Session(lab), sys.stdin, sys.stdout)
    lab = Lab(host_list, driver="thread", seed=seed or 0, speed=speed)
    try:
        return _interactive(Session(lab, tty=True))
    finally:
        lab.close()


def run_lines(session: Session, lines: Iterable[str], out) -> int:
    """Feed lines to a session as if typed, echoing each after its prompt."""
    for raw in lines:
        line = raw.rstrip("\n")
        out.write(f"{session.prompt}{line}\n")
        out.write(session.feed(line))
        if session.done:
            break
    return 0


def _interactive(session: Session) -> int:
    import shutil

    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import InMemoryHistory

    from .completion import DockerCompleter

    prompt = PromptSession(
        history=InMemoryHistory(),
        completer=DockerCompleter(session),
        complete_while_typing=False,
        bottom_toolbar=lambda: _toolbar(session),
    )

    def read_input(text: str, secret: bool) -> str | None:
        """A key at a prompt, without echo; or lines until Ctrl-D (what `-` reads)."""
        try:
            if secret:
                return prompt.prompt(text, is_password=True, completer=None)
            lines = []
            while True:
                try:
                    lines.append(prompt.prompt(text, completer=None) + "\n")
                except EOFError:
                    return "".join(lines)
        except KeyboardInterrupt:
            return None

    session.read_input = read_input
    print("miniswarm: a lab of simulated hosts running Docker Engine. Type 'help' to start.")
    while not session.done:
        try:
            line = prompt.prompt(session.prompt)
        except KeyboardInterrupt:
            session.pending = ""
            continue
        except EOFError:
            break
        size = shutil.get_terminal_size()
        session.width, session.height = size.columns, size.lines
        try:
            sys.stdout.write(session.feed(line))
        except KeyboardInterrupt:
            sys.stdout.write("^C\n")
        sys.stdout.flush()
    return 0


def _toolbar(session: Session) -> str:
    k = session.lab.kernel
    hosts = "  ".join(f"{n}{'' if k.hosts[n].up else ' (down)'}" for n in session.lab.names)
    seconds = int(k.now())
    return f" {hosts}   lab time {seconds // 60:02d}:{seconds % 60:02d}   'help' for help"
