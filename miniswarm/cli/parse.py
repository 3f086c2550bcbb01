"""The docker command line as cobra and pflag read it: command lookup, flags in all their
forms, value types with Go's error texts, argument counts, and the errors docker prints
(with exit status 125 for flag errors, 1 for the rest)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .. import gocompat
from .help import usage_line
from .spec import Command, Flag, root


class CliError(Exception):
    """Something the CLI reports on standard error before or instead of doing its work."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Invocation:
    """A parsed command line: which command, its flags and its arguments."""

    command: Command
    args: list[str]
    flags: dict[str, Any] = field(default_factory=dict)  # only the flags given
    global_flags: dict[str, Any] = field(default_factory=dict)
    help: bool = False
    help_to_stderr: bool = False  # help shown because nothing runnable was named
    notices: list[str] = field(default_factory=list)  # printed on stdout first

    def has(self, name: str) -> bool:
        return name in self.flags

    def get(self, name: str, default: Any = None) -> Any:
        return self.flags.get(name, default)

    def values(self, name: str) -> list:
        """Every value of a repeatable flag, in order."""
        return list(self.flags.get(name, []))


# -- value types ------------------------------------------------------------------------------


def _filter(text: str) -> str:
    if "=" not in text:
        raise gocompat.GoError("bad format of filter (expected name=value)")
    return text


def _decimal(text: str) -> Fraction:
    """docker's opts.ParseCPUs: a rational number (big.Rat), exact to the nano-CPU."""
    try:
        value = Fraction(text)  # "1.5", "3/2", "15e-1"; never inf or nan
    except (ValueError, ZeroDivisionError):
        raise gocompat.GoError(f"failed to parse {text} as a rational number") from None
    nano = value * 1_000_000_000
    if nano.denominator != 1:
        raise gocompat.GoError("value is too precise")
    if not -(2**63) <= nano < 2**63:  # Go's Int64() would wrap it: refuse instead
        raise gocompat.GoError(f"value {text} is too large")
    return value


_SIZES = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def _bytes(text: str) -> int:
    """docker's units.RAMInBytes ("512M", "1.5g", "4096")."""
    import re

    m = re.match(r"^(\d+(?:\.\d+)?) ?([kKmMgGtTpP]?)[iI]?[bB]?$", text)
    if not m:
        raise gocompat.GoError(f"invalid size: '{text}'")
    return int(float(m.group(1)) * _SIZES[m.group(2).lower()])


VALUE_TYPES: dict[str, Callable[[str], Any]] = {
    "int": lambda s: gocompat.parse_int(s, 64),
    "int64": lambda s: gocompat.parse_int(s, 64),
    "uint": lambda s: gocompat.parse_uint(s, 64),
    "uint64": lambda s: gocompat.parse_uint(s, 64),
    "uint32": lambda s: gocompat.parse_uint(s, 32),
    "uint16": lambda s: gocompat.parse_uint(s, 16),
    "float": gocompat.parse_float,
    "duration": gocompat.parse_duration,
    "filter": _filter,
    "decimal": _decimal,
    "bytes": _bytes,
}
"""How to read a flag's value, by the type help shows; anything else is kept as text.
Commands register richer ones (ports, mounts, secrets) as they come."""


def _set(inv_flags: dict[str, Any], f: Flag, text: str) -> None:
    try:
        if f.is_bool:
            value: Any = gocompat.parse_bool(text)
        else:
            value = VALUE_TYPES.get(f.var, str)(text)
    except gocompat.GoError as exc:
        raise _FlagError(
            f"invalid argument {gocompat.quote(text)} for {gocompat.quote(f.display)} flag: {exc}"
        ) from None
    if f.repeatable:
        inv_flags.setdefault(f.name, []).append(value)
    else:
        inv_flags[f.name] = value


class _FlagError(Exception):
    pass


HELP = Flag("help", "h", "", "Print usage")
LOG_LEVELS = {"panic", "fatal", "error", "warn", "warning", "info", "debug", "trace"}


def _cidr(text: str) -> str:
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise gocompat.GoError(f"invalid string being converted to CIDR: {text}") from None
    return text


VALUE_TYPES["ipNetSlice"] = _cidr


# -- pflag ------------------------------------------------------------------------------------


def _parse_flags(
    cmd: Command, argv: list[str], out: dict[str, Any], interspersed: bool | None = None
) -> list[str]:
    """pflag's parseArgs: flags into `out`, the positional arguments returned."""
    if interspersed is None:
        interspersed = cmd.interspersed
    args: list[str] = []
    rest = list(argv)
    while rest:
        s = rest.pop(0)
        if len(s) < 2 or s[0] != "-":
            if not interspersed:
                return args + [s] + rest
            args.append(s)
            continue
        if s == "--":
            return args + rest
        if s[1] == "-":
            rest = _parse_long(cmd, s, rest, out)
        else:
            rest = _parse_short(cmd, s, rest, out)
    return args


def _parse_long(cmd: Command, s: str, rest: list[str], out: dict[str, Any]) -> list[str]:
    name = s[2:]
    if not name or name[0] in "-=":
        raise _FlagError(f"bad flag syntax: {s}")
    name, eq, value = name.partition("=")
    f = cmd.flag(name) or (HELP if name == "help" else None)
    if f is None:
        raise _FlagError(f"unknown flag: --{name}")
    if eq:
        _set(out, f, value)
    elif f.is_bool:
        _set(out, f, "true")
    elif rest:
        _set(out, f, rest.pop(0))
    else:
        raise _FlagError(f"flag needs an argument: {s}")
    return rest


def _parse_short(cmd: Command, s: str, rest: list[str], out: dict[str, Any]) -> list[str]:
    shorthands = s[1:]
    while shorthands:
        c = shorthands[0]
        f = cmd.shorthand(c)
        if f is None and c == "h":
            f = HELP
            out.setdefault("_notices", []).append(
                "Flag shorthand -h has been deprecated, use --help"
            )
        if f is None:
            raise _FlagError(f"unknown shorthand flag: '{c}' in -{shorthands}")
        if len(shorthands) > 2 and shorthands[1] == "=":
            _set(out, f, shorthands[2:])
            shorthands = ""
        elif f.is_bool:
            _set(out, f, "true")
            shorthands = shorthands[1:]
        elif len(shorthands) > 1:
            _set(out, f, shorthands[1:])
            shorthands = ""
        elif rest:
            _set(out, f, rest.pop(0))
            shorthands = ""
        else:
            raise _FlagError(f"flag needs an argument: '{c}' in -{shorthands}")
    return rest


# -- cobra ------------------------------------------------------------------------------------


def _takes_value(cmd: Command, arg: str) -> bool:
    """Whether a flag word in front of a subcommand swallows the next word (cobra's
    Traverse: unknown flags are assumed to take a value, like known non-bools)."""
    f = cmd.flag(arg[2:]) if arg.startswith("--") else cmd.shorthand(arg[1:])
    if f is None and arg in ("--help", "-h"):
        f = HELP
    return not (f is not None and f.is_bool)


def _traverse(argv: list[str]) -> tuple[Command, list[str]]:
    """Walk down the command tree from the first word (cobra's Traverse; docker sets
    TraverseChildren): flag words on the way are skipped, with their values."""
    cmd = root()
    while True:
        in_flag = False
        for i, arg in enumerate(argv):
            if arg.startswith("--") and "=" not in arg:
                in_flag = _takes_value(cmd, arg)
                continue
            if arg.startswith("-") and "=" not in arg and len(arg) == 2:
                in_flag = _takes_value(cmd, arg)
                continue
            if in_flag:
                in_flag = False
                continue
            if arg.startswith("-") and len(arg) > 1:
                continue
            nxt = cmd.child(arg)
            if nxt is None:
                return cmd, argv
            cmd = nxt
            argv = argv[i + 1 :]
            break
        else:
            return cmd, argv


def _flag_error(cmd: Command, message: str) -> CliError:
    use = usage_line(cmd)
    return CliError(
        f"{message}\n\nUsage:  {use}\n\nRun '{cmd.path} --help' for more information", 125
    )


def _arg_error(cmd: Command, what: str, see: bool = False, verb: str = "") -> CliError:
    verb = verb or ("See" if see else "Run")
    return CliError(
        f"docker: '{cmd.path}' {what}\n\nUsage:  {usage_line(cmd)}\n\n"
        f"{verb} '{cmd.path} --help' for more information"
    )


def _plural(n: int) -> str:
    return "argument" if n == 1 else "arguments"


def _check_args(cmd: Command, args: list[str]) -> None:
    rule = cmd.args or {"kind": "any"}
    kind, nums = rule["kind"], rule.get("numbers", [])
    n = len(args)
    see = rule.get("see", False)
    if kind == "none" and n:
        raise _arg_error(cmd, "accepts no arguments", see)
    if kind == "exact" and n != nums[0]:
        raise _arg_error(cmd, f"requires {nums[0]} {_plural(nums[0])}", see)
    if kind == "min" and n < nums[0]:
        raise _arg_error(cmd, f"requires at least {nums[0]} {_plural(nums[0])}", see)
    if kind == "max" and n > nums[0]:
        # docker 28's RequiresMaxArgs really prints "SRun" (a typo in its format string).
        verb = "See" if see else "SRun"
        raise _arg_error(cmd, f"requires at most {nums[0]} {_plural(nums[0])}", verb=verb)
    if kind == "range" and not nums[0] <= n <= nums[1]:
        raise _arg_error(
            cmd, f"requires at least {nums[0]} and at most {nums[1]} {_plural(nums[1])}", see
        )


def _check_log_level(global_flags: dict[str, Any]) -> None:
    level = global_flags.get("log-level")
    if level is not None and level not in LOG_LEVELS:
        raise CliError(f"Unable to parse logging level: {level}")


def parse(argv: list[str]) -> Invocation:
    """Read `docker ARGV...` (argv without the leading "docker"). Raises CliError with
    docker's message and exit status when the line is not valid."""
    top = root()
    # docker reads its own options first, up to the first word that is not one.
    global_flags: dict[str, Any] = {}
    try:
        rest = _parse_flags(top, argv, global_flags)
    except _FlagError as exc:
        _check_log_level(global_flags)  # docker sets up logging before it complains
        raise _flag_error(top, str(exc)) from None
    _check_log_level(global_flags)
    notices = global_flags.pop("_notices", [])
    if global_flags.pop("help", False):
        return Invocation(top, [], {}, global_flags, help=True, notices=notices)
    if global_flags.get("version"):
        return Invocation(top, [], {}, global_flags, notices=notices)
    cmd, rest = _traverse(rest)
    flags: dict[str, Any] = {}
    try:
        # Then cobra parses what is left, the root like any other command this time.
        args = _parse_flags(cmd, rest, flags, True if cmd.parent is None else None)
    except _FlagError as exc:
        raise _flag_error(cmd, str(exc)) from None
    inv = Invocation(cmd, args, flags, global_flags, notices=notices + flags.pop("_notices", []))
    if flags.pop("help", False):
        inv.help = True
        return inv
    if cmd.is_group:
        if args:
            where = "" if cmd.parent is None else f"\n\nUsage:  {usage_line(cmd)}"
            raise CliError(
                f"docker: unknown command: {cmd.path} {args[0]}{where}\n\n"
                f"Run '{cmd.path} --help' for more information"
            )
        inv.help = inv.help_to_stderr = True
        return inv
    _check_args(cmd, args)
    return inv
