"""`--help` text, laid out as the docker CLI's usage template and pflag lay it out."""

from __future__ import annotations

from collections.abc import Callable

from .spec import Command, Flag


def _wrap_n(i: int, slop: int, s: str) -> tuple[str, str]:
    """Split `s` at the last whitespace before `i` characters (pflag's wrapN)."""
    if i + slop > len(s):
        return s, ""
    w = max(s.rfind(" ", 0, i), s.rfind("\t", 0, i), s.rfind("\n", 0, i))
    if w <= 0:
        return s, ""
    nl = s.rfind("\n", 0, i)
    if 0 < nl < w:
        return s[:nl], s[nl + 1 :]
    return s[:w], s[w + 1 :]


def _wrap(i: int, w: int, s: str) -> str:
    """Wrap `s` to width `w` with continuation lines indented by `i` (pflag's wrap)."""
    if w == 0:
        return s.replace("\n", "\n" + " " * i)
    room = w - i
    out = ""
    if room < 24:
        i = 16
        room = w - i
        out += "\n" + " " * i
    if room < 24:
        return s.replace("\n", out)
    slop = 5
    room -= slop
    line, s = _wrap_n(room, slop, s)
    out += line.replace("\n", "\n" + " " * i)
    while s:
        line, s = _wrap_n(room, slop, s)
        out += "\n" + " " * i + line.replace("\n", "\n" + " " * i)
    return out


def _flag_head(f: Flag) -> str:
    head = f"  -{f.short}, --{f.name}" if f.short else f"      --{f.name}"
    if f.var:
        head += " " + f.var
    return head


def _flag_usage(f: Flag) -> str:
    usage = f.usage
    if f.default is not None:
        usage += f' (default "{f.default}")' if f.quoted_default else f" (default {f.default})"
    return usage


def flag_usages(flags: list[Flag], cols: int) -> str:
    """pflag's FlagUsagesWrapped: one line per flag, usages aligned and wrapped."""
    heads = [_flag_head(f) for f in flags]
    width = max((len(h) for h in heads), default=0) + 1
    lines = []
    for f, head in zip(flags, heads, strict=True):
        spacing = " " * (width - len(head))
        lines.append(f"{head} {spacing} {_wrap(width + 2, cols, _flag_usage(f))}")
    return "\n".join(lines)


def help_text(cmd: Command, width: int = 80, listed: Callable[[str], bool] | None = None) -> str:
    """What `<command> --help` prints (to standard output), for a terminal `width` wide.
    With `listed`, a command group lists only the subcommands whose path it accepts."""
    parts = [f"Usage:  {cmd.usage}", "", cmd.description]
    if cmd.aliases:
        parts += ["", "Aliases:", "  " + ", ".join(cmd.aliases)]
    if cmd.examples:
        parts += ["", "Examples:", cmd.examples]
    is_root = cmd.parent is None
    if cmd.flags and not is_root:
        parts += ["", f"{cmd.options_title}:", flag_usages(cmd.flags, width - 1).rstrip()]
    # cobra pads every command name to the longest in the whole command, at least 11.
    pad = max([11] + [len(name) for _, entries in cmd.groups for name, _ in entries])
    groups = cmd.groups
    if listed is not None:
        groups = [
            (title, [e for e in entries if listed(f"{cmd.path} {e[0]}")])
            for title, entries in groups
        ]
        groups = [(title, entries) for title, entries in groups if entries]
    for title, entries in groups:
        parts += ["", f"{title}:"]
        parts += [f"  {name.ljust(pad)} {short}".rstrip() for name, short in entries]
    if cmd.flags and is_root:
        parts += ["", f"{cmd.options_title}:", flag_usages(cmd.flags, width - 1).rstrip()]
    if cmd.groups:
        parts += ["", f"Run '{cmd.path} COMMAND --help' for more information on a command."]
    if is_root:
        parts += [
            "",
            "For more help on how to use Docker, head to https://docs.docker.com/go/guides/",
        ]
    return "\n".join(parts) + "\n"


def usage_line(cmd: Command) -> str:
    """The usage shown in errors (cobra's UseLine: "docker node", "docker volume COMMAND")."""
    return cmd.use_line
