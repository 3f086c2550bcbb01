"""The `lab` command: breaking the lab on purpose, and looking at it.

    lab stop worker1; lab sleep 30; docker service ps web
    lab stop manager2 manager3 && docker node ls
    lab partition manager1 worker1 / manager2 manager3 worker2

It is a command of the student's shell like any other (usable with ;, &&, ||, timeout,
Ctrl-C stops `lab sleep`), and transcripts use the same actions (`$ lab: stop worker1`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tabulate import tabulate

from .i18n import t
from .shtools import IO, builtin, duration

if TYPE_CHECKING:
    from .daemon import Daemon
    from .hostshell import HostShell
    from .lab import Lab


class LabError(Exception):
    """A wrong `lab` command line: what to say, and whether to show the usage."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


def _hosts(lab: Lab, verb: str, names: list[str]) -> list[str]:
    if not names:
        raise LabError(t("lab.need_host", verb=verb), f"lab.usage.{verb}")
    for name in names:
        if name not in lab.names:
            raise LabError(t("lab.no_such_host", verb=verb, host=name, hosts=" ".join(lab.names)))
    return names


def _groups(lab: Lab, args: list[str]) -> list[list[str]]:
    groups = [g.split() for g in " ".join(args).split("/")]
    groups = [g for g in groups if g]
    if not groups:
        raise LabError(t("lab.need_host", verb="partition"), "lab.usage.partition")
    seen: set[str] = set()
    for group in groups:
        _hosts(lab, "partition", group)
        for name in group:
            if name in seen:
                raise LabError(t("lab.partition_groups", host=name), "lab.usage.partition")
            seen.add(name)
    return groups


def _seconds(value: str, verb: str = "sleep") -> float:
    seconds = duration(value)
    if seconds is None:
        raise LabError(t("lab.bad_seconds", verb=verb, value=value), f"lab.usage.{verb}")
    return seconds


def _no_args(verb: str, args: list[str]) -> None:
    if args:
        raise LabError(t("lab.extra", verb=verb, arg=args[0]), f"lab.usage.{verb}")


def lab_action(lab: Lab, action: str) -> None:
    """A transcript's `$ lab: ACTION`: stop HOST, start HOST, partition A B / C D, heal,
    sleep SECONDS. Raises ValueError for one it cannot do."""
    words = action.split()
    try:
        _act(lab, words[0] if words else "", words[1:], sleep=lab.sleep)
    except LabError as exc:
        raise ValueError(exc.message) from None


def _act(lab: Lab, verb: str, args: list[str], sleep: Callable[[float], None]) -> list[str]:
    """Do one action; the notes to print (hosts that were already so)."""
    notes = []
    if verb == "stop":
        for host in _hosts(lab, verb, args):
            if not lab.kernel.hosts[host].up:
                notes.append(t("lab.already_down", host=host))
            else:
                lab.stop(host)
    elif verb == "start":
        for host in _hosts(lab, verb, args):
            if lab.kernel.hosts[host].up:
                notes.append(t("lab.already_up", host=host))
            else:
                lab.start(host)
    elif verb == "partition":
        groups = _groups(lab, args)
        lab.heal()  # a new partition replaces the last one
        lab.partition(*groups)
    elif verb == "heal":
        _no_args(verb, args)
        lab.heal()
    elif verb in ("sleep", "wait"):
        if len(args) != 1:
            raise LabError(
                t("lab.extra", verb=verb, arg=args[1]) if args else t("lab.usage.sleep"),
                "lab.usage.sleep" if args else None,
            )
        sleep(_seconds(args[0]))
    elif verb == "status":
        _no_args(verb, args)
    elif verb in TIME_VERBS:
        _time(lab, verb, args)
    else:
        raise LabError(t("lab.unknown", verb=verb), "lab.usage")
    return notes


TIME_VERBS = ("speed", "pause", "resume", "step")
SPEEDS = (0.1, 100.0)  # how slow and how fast the lab may run
TICK = 1.0  # a Raft tick of swarm's managers, in seconds: what `lab step` moves by default
MSG_WAIT = 30.0  # how long `lab step msg` lets time run looking for a Raft message


def _time(lab: Lab, verb: str, args: list[str]) -> list[str]:
    """lab speed [N], lab pause, lab resume, lab step [SECONDS]: what to print."""
    k = lab.kernel
    if verb == "speed":
        if not args:
            return [t("lab.speed_is", speed=_times(k.speed))]
        if len(args) > 1:
            raise LabError(t("lab.extra", verb=verb, arg=args[1]), "lab.usage.speed")
        try:
            speed = float(args[0].rstrip("x×"))
        except ValueError:
            speed = 0.0
        if not SPEEDS[0] <= speed <= SPEEDS[1]:
            raise LabError(t("lab.bad_speed", value=args[0]), "lab.usage.speed")
        k.set_speed(speed)
        return [t("lab.speed_set", speed=_times(speed))]
    if verb == "step":
        if len(args) > 1:
            raise LabError(t("lab.extra", verb=verb, arg=args[1]), "lab.usage.step")
        if not k.paused:
            raise LabError(t("lab.step_running"))
        if args == ["msg"]:  # until the next Raft message lands
            from .raftnode import Packet
            from .views import message_words

            start = k.now()
            while True:  # events one after another (timers fire, send) until one is on its way
                landing = [(at, src, dst, m) for at, src, dst, m in k.in_flight()
                           if isinstance(m, Packet)]  # fmt: skip
                following = k.next_event_at()
                if landing or following is None or following > start + MSG_WAIT:
                    break
                k.advance(max(0.0, following - k.now()))
            if not landing:
                return [t("lab.no_message", clock=clock(k.now()))]
            at, src, dst, m = landing[0]
            k.advance(max(0.0, at - k.now()))
            by_address = {addr: name for name, addr in lab.hosts}
            said = f"{by_address.get(src, src)} -> {dst}  {message_words(m.msg)}"
            now = f"{clock(k.now())}.{int(k.now() % 1 * 1000):03d}"
            return [t("lab.landed", message=said), t("lab.stepped", clock=now)]
        k.advance(_seconds(args[0], "step") if args else TICK)
        return [t("lab.stepped", clock=clock(k.now()))]
    _no_args(verb, args)
    if verb == "pause":
        if k.paused:
            return [t("lab.already_paused", clock=clock(k.now()))]
        k.pause()
        return [t("lab.paused", clock=clock(k.now()))]
    if not k.paused:
        return [t("lab.not_paused")]
    k.resume()
    return [t("lab.resumed", clock=clock(k.now()), speed=_times(k.speed))]


def _times(speed: float) -> str:
    return t("lab.times", speed=f"{speed:g}")


def clock(seconds: float) -> str:
    """Lab time as the toolbar shows it: 05:07, or 1:02:03 past an hour."""
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60:02d}:{s % 60:02d}"


@builtin("lab")
def lab_command(sh: HostShell, args: list[str], io: IO) -> int:
    """`lab ACTION ARGS...` typed in the shell."""
    if not args or args[0] in ("help", "-h", "--help"):
        io.out(t("lab.usage") + "\n")
        return 0 if args else 2
    verb, rest = args[0], args[1:]
    try:
        if verb in TIME_VERBS:
            for line in _time(sh.lab, verb, rest):
                io.out(line + "\n")
            return 0
        if verb == "watch":
            io.out(_watch(sh, rest) + "\n")
            return 0
        if verb == "rewind":
            io.out(_rewind(sh, rest) + "\n")
            from .job import Rewound

            raise Rewound()  # what follows on the line was for the lab that is gone
        if verb == "save":
            io.out(_save(sh, rest) + "\n")
            return 0
        if verb == "export":
            io.out(_export(sh, rest) + "\n")
            return 0
        if verb == "sockets":
            io.out(_sockets(sh, rest) + "\n")
            return 0
        if verb == "why":
            if len(rest) != 1:
                raise LabError(t("lab.usage.why"))
            from .views import why_text

            try:
                io.out(why_text(sh.lab, rest[0]))
            except LookupError as exc:
                raise LabError(str(exc)) from None
            return 0
        if verb in ("map", "raft"):
            _no_args(verb, rest)
            io.out(view(sh, verb))
            return 0
        notes = _act(sh.lab, verb, rest, sleep=sh.job.sleep)
    except LabError as exc:
        io.err(exc.message + "\n")
        if exc.usage:
            io.err(t(exc.usage) + "\n")
        return 2 if exc.usage else 1
    for note in notes:
        io.err(note + "\n")
    if verb == "status":
        io.out(status(sh.lab))
    return 1 if notes else 0


def _sockets(sh: HostShell, args: list[str]) -> str:
    """`lab sockets [off]`: every host's Engine API on a socket, for the real docker CLI
    and docker-py, while the lab runs on the wall clock."""
    from .engineapi.server import Sockets, describe, runtime_directory

    lab = sh.lab
    if args == ["off"]:
        if lab.sockets is not None:
            lab.sockets.close()
            lab.sockets = None
        return t("lab.sockets.off")
    if args:
        raise LabError(t("lab.usage.sockets"))
    from .sim import PacedDriver, SimDriver

    if isinstance(lab.kernel, SimDriver) and not isinstance(lab.kernel, PacedDriver):
        raise LabError(t("lab.sockets.unpaced"))
    if lab.sockets is None:
        try:
            lab.sockets = Sockets(lab.kernel, runtime_directory())
        except OSError as exc:
            raise LabError(f"lab sockets: {exc}") from None
    first = next(iter(lab.sockets.servers.values())).path
    return "\n".join(
        [t("lab.sockets.on"), *describe(lab.sockets), t("lab.sockets.use", first=first)]
    )


def view(sh: HostShell, which: str) -> str:
    """`lab map` or `lab raft`: a snapshot of the view, as wide as the terminal (80 when
    the output is not one), coloured only on a terminal that shows colour."""
    import os

    width = min(getattr(sh, "width", 80) or 80, 200) if sh.tty else 80
    colour = sh.tty and os.environ.get("TERM", "") != "dumb"
    return view_text(sh.lab, which, width, colour)


def view_text(
    lab: Lab, which: str, width: int, colour: bool = False, rows: int | None = None
) -> str:
    """A view's text; `rows`: the room there is (a pane), so that only what fits is
    gathered — a thousand-node map is not drawn to show its first band."""
    from . import views

    if which == "raft":
        return views.draw_raft(views.raft_picture(lab), width)
    fits = None if rows is None else max(1, width // views.COLUMN) * max(1, rows // 5)
    return views.draw_map(views.cluster_picture(lab, fits), width, colour)


def _rewind(sh: HostShell, args: list[str]) -> str:
    """lab rewind SECONDS: back to an earlier moment of this session (the REPL's)."""
    if len(args) != 1:
        raise LabError(t("lab.usage.rewind"))
    seconds = _seconds(args[0], "rewind")
    session = sh.hooks
    if session is None or not hasattr(session, "rewind"):
        raise LabError(t("lab.rewind_not_here"))
    try:
        back_at = session.rewind(seconds)
    except LookupError as exc:
        raise LabError(str(exc)) from None
    return t("lab.rewound", clock=clock(back_at))


def _save(sh: HostShell, args: list[str]) -> str:
    """lab save FILE: the lab as a machine keeps it when switched off, to go on later."""
    from .sessionfile import save

    if len(args) != 1:
        raise LabError(t("lab.usage.save"))
    try:
        save(sh.lab, args[0])
    except OSError as exc:
        raise LabError(t("lab.save_failed", file=args[0], why=exc.strerror or exc)) from None
    return t("lab.saved", file=args[0])


def _export(sh: HostShell, args: list[str]) -> str:
    """lab export FILE: what was typed in this session, as a script for real machines."""
    from .checks import snapshot
    from .export import export_script

    if len(args) != 1:
        raise LabError(t("lab.usage.export"))
    typed = getattr(sh.hooks, "typed", None)
    if typed is None:
        raise LabError(t("lab.export_no_session"))
    cluster = snapshot(sh.lab).store.get("cluster") or {}
    tokens = {k.lower(): v for k, v in (cluster.get("JoinTokens") or {}).items()}
    # the line that asked for the export is not part of what to replay
    lines = [(x.host, x.line) for x in typed if not x.line.strip().startswith("lab export")]
    script = export_script(sh.lab.hosts, lines, tokens, sh.lab.kernel.seed)
    try:
        with open(args[0], "w", encoding="utf-8") as f:
            f.write(script)
    except OSError as exc:
        raise LabError(t("lab.export_failed", file=args[0], why=exc.strerror or exc)) from None
    return t("lab.exported", file=args[0], count=script.count("\nssh "))


def _watch(sh: HostShell, args: list[str]) -> str:
    """lab watch map|raft|off: keep a view live above the prompt (a terminal's only)."""
    if len(args) != 1 or args[0] not in ("map", "raft", "off"):
        raise LabError(t("lab.usage.watch"))
    session = sh.hooks
    if session is None or getattr(session, "terminal", None) is None:
        raise LabError(t("lab.watch_no_terminal"))
    session.watch = "" if args[0] == "off" else args[0]  # type: ignore[attr-defined]
    return t("lab.watch_off") if args[0] == "off" else t("lab.watch_on", view=args[0])


def status(lab: Lab) -> str:
    """Each host: up or down, its swarm role, and for managers their Raft view; the
    lab's seed. A table of miniswarm's own (tabulate), so Korean words line up too."""
    members = {}
    for name in lab.names:
        if lab.kernel.hosts[name].up:
            mid = lab.kernel.call(name, lambda d: d.manager.member_id if d.manager else None)
            if mid:
                members[mid] = name
    rows = []
    for name, addr in lab.hosts:
        if not lab.kernel.hosts[name].up:
            rows.append([name, addr, t("lab.status.down"), "", ""])
            continue
        swarm, raft = lab.kernel.call(name, lambda d: _status_of(d, members))
        rows.append([name, addr, t("lab.status.up"), swarm, raft])
    headers = [t(f"lab.status.h.{k}") for k in ("host", "address", "power", "swarm", "raft")]
    table = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    return t("lab.status.seed", seed=lab.kernel.seed) + "\n" + table + "\n"


def _status_of(daemon: Daemon, members: dict[str, str]) -> tuple[str, str]:
    if daemon.state is None:
        return t("lab.status.no_swarm"), ""
    if daemon.manager is None:
        return f"{daemon.role} ({daemon.status})", ""
    r = daemon.manager.raft.raft
    lead = members.get(r.lead, r.lead.split(".")[0][:12]) if r.lead else t("lab.status.none")
    raft = t("lab.status.raft", state=r.state, term=r.term, commit=r.commit, leader=lead)
    return f"manager ({daemon.status})", raft
