"""`docker ARGS...`: parse, run the command against a host's daemon, print as docker."""

from __future__ import annotations

from .. import engine
from ..daemonerror import DaemonError
from ..i18n import t
from .client import DaemonUnreachable
from .commands import HANDLERS, CommandError, Context, in_lab, left_out, load_all
from .help import help_text
from .parse import CliError, parse

load_all()


def run(argv: list[str], ctx: Context) -> int:
    """Run `docker ARGV...`; what it prints goes to ctx.stdout and ctx.stderr as it is
    printed; its exit status is returned. A job's Killed (Ctrl-C, `timeout`, a closed
    pipe) goes through, as a signal kills the docker process: what it printed stays."""
    try:
        inv = parse(argv)
    except CliError as exc:
        ctx.eprint(exc.message)
        return exc.status
    for notice in inv.notices:
        ctx.print(notice)
    if inv.help:
        cmd = inv.command
        text = help_text(cmd, ctx.width, in_lab if cmd.is_group else None)
        gone = left_out(cmd) if cmd.is_group else []
        if gone:
            text += "\n" + t("docker.not_listed", commands=", ".join(gone)) + "\n"
        (ctx.ewrite if inv.help_to_stderr else ctx.write)(text)
        return 0
    if inv.command.parent is None:  # docker --version
        ctx.print(f"Docker version {engine.CLIENT_VERSION}, build {engine.CLIENT_GIT_COMMIT}")
        return 0
    hosts = inv.global_flags.get("host")
    if hosts and ctx.connect is not None:
        spec = hosts[-1]
        if not ctx.connect(spec):
            ctx.eprint(
                f"Cannot connect to the Docker daemon at {spec}. Is the docker daemon running?"
            )
            return 1
    handler = HANDLERS.get(inv.command.path)
    if handler is None:
        ctx.eprint(t("docker.left_out", command=inv.command.path.removeprefix("docker ")))
        return 1
    try:
        return handler(inv, ctx) or 0
    except DaemonError as exc:
        ctx.eprint(f"Error response from daemon: {exc.message}")
        return 1
    except DaemonUnreachable as exc:
        ctx.eprint(str(exc))
        return 1
    except CommandError as exc:
        if exc.message:
            ctx.eprint(exc.message)
        return exc.status
