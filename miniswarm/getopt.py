"""Command-line options as GNU's getopt_long reads them, for the lab's text tools (grep,
head, sort …): clustered short options (`-in`, `-A2`), options after operands, `--` to
stop, long options with `=VALUE` or a separate value — and GNU's words when one is wrong.
"""

from __future__ import annotations


class UsageError(Exception):
    """A wrong option: the tool prints this, then how to get help, and exits."""


def getopt(
    args: list[str], prog: str, short: str, long: dict[str, str] | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """(options as (name, value), operands). `short` is getopt's string ("nA:" — a colon
    after a letter that takes a value); `long` maps long names to their short letter (or
    to themselves), a trailing "=" on the key meaning it takes a value."""
    long = long or {}
    opts: list[tuple[str, str]] = []
    operands: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            operands.extend(args[i:])
            break
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            matches = [k for k in long if k.rstrip("=") == name]
            if not matches:
                matches = [k for k in long if k.startswith(name)]
                if len(matches) > 1:
                    raise UsageError(f"{prog}: option '--{name}' is ambiguous")
            if not matches:
                raise UsageError(f"{prog}: unrecognized option '{a}'")
            key = matches[0]
            takes = key.endswith("=")
            full = key.rstrip("=")
            if takes and not eq:
                if i >= len(args):
                    raise UsageError(f"{prog}: option '--{full}' requires an argument")
                value = args[i]
                i += 1
            elif not takes and eq:
                raise UsageError(f"{prog}: option '--{full}' doesn't allow an argument")
            opts.append((long[key], value))
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                pos = short.find(c)
                if pos < 0 or c == ":":
                    raise UsageError(f"{prog}: invalid option -- '{c}'")
                if pos + 1 < len(short) and short[pos + 1] == ":":
                    value = a[j + 1 :]
                    if not value:
                        if i >= len(args):
                            raise UsageError(f"{prog}: option requires an argument -- '{c}'")
                        value = args[i]
                        i += 1
                    opts.append((c, value))
                    break
                opts.append((c, ""))
                j += 1
            continue
        operands.append(a)
    return opts, operands
