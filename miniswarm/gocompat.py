"""What Go's standard library does that shows in docker's output: strconv's parsing and
its error texts, time.Duration parsing and printing, time.Time formats, %q quoting."""

from __future__ import annotations

import datetime as _dt
import functools
import json
import random
import re

# -- quoting ----------------------------------------------------------------------------------


def quote(s: str) -> str:
    """Go's strconv.Quote (close enough for the texts docker prints)."""
    return json.dumps(s, ensure_ascii=False)


# -- strconv --------------------------------------------------------------------------------


class GoError(ValueError):
    """A parse error, worded as Go words it."""


_INT = re.compile(r"^[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$")


def _int_value(s: str, fn: str) -> int:
    if not _INT.match(s) or s.endswith("_") or "__" in s:
        raise GoError(f"strconv.{fn}: parsing {quote(s)}: invalid syntax")
    body = s.lstrip("+-").replace("_", "")
    neg = s.startswith("-")
    if len(body) > 1 and body[0] == "0" and body[1] not in "xXoObB":
        value = int(body, 8)
    else:
        value = int(body, 0)
    return -value if neg else value


def parse_int(s: str, bits: int = 64) -> int:
    value = _int_value(s, "ParseInt")
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise GoError(f"strconv.ParseInt: parsing {quote(s)}: value out of range")
    return value


def parse_uint(s: str, bits: int = 64) -> int:
    if s.startswith(("-", "+")):
        raise GoError(f"strconv.ParseUint: parsing {quote(s)}: invalid syntax")
    value = _int_value(s, "ParseUint")
    if value >= (1 << bits):
        raise GoError(f"strconv.ParseUint: parsing {quote(s)}: value out of range")
    return value


def parse_bool(s: str) -> bool:
    if s in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if s in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise GoError(f"strconv.ParseBool: parsing {quote(s)}: invalid syntax")


_FLOAT = re.compile(
    r"^[+-]?(\d[\d_]*\.?[\d_]*|\.\d[\d_]*)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$", re.I
)


def parse_float(s: str) -> float:
    if not _FLOAT.match(s):
        raise GoError(f"strconv.ParseFloat: parsing {quote(s)}: invalid syntax")
    return float(s.replace("_", ""))


# -- time.Duration ------------------------------------------------------------------------------

NS = 1
US = 1000
MS = 1000 * US
SECOND = 1000 * MS
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
_UNITS = {"ns": NS, "us": US, "µs": US, "μs": US, "ms": MS, "s": SECOND, "m": MINUTE, "h": HOUR}


def parse_duration(orig: str) -> int:
    """time.ParseDuration, in nanoseconds."""
    s = orig
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise GoError(f"time: invalid duration {quote(orig)}")
    total = 0.0
    while s:
        if not (s[0] == "." or s[0].isdigit()):
            raise GoError(f"time: invalid duration {quote(orig)}")
        m = re.match(r"^(\d*)(\.(\d*))?", s)
        assert m is not None  # the pattern matches the empty string
        whole, frac = m.group(1), m.group(3)
        if not whole and not frac:
            raise GoError(f"time: invalid duration {quote(orig)}")
        s = s[m.end() :]
        unit = re.match(r"^[^0-9.]*", s)
        u = unit.group(0) if unit else ""
        if not u:
            raise GoError(f"time: missing unit in duration {quote(orig)}")
        if u not in _UNITS:
            raise GoError(f"time: unknown unit {quote(u)} in duration {quote(orig)}")
        s = s[len(u) :]
        total += float(f"{whole or 0}.{frac or 0}") * _UNITS[u]
    if total > (1 << 63) - 1:
        raise GoError(f"time: invalid duration {quote(orig)}")
    value = int(round(total))
    return -value if neg else value


def format_duration(ns: int) -> str:
    """time.Duration.String(): 2160h0m0s, 5s, 1.5s, 300ms, 0s."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < SECOND:
        if u < US:
            out = f"{u}ns"
        elif u < MS:
            out = _frac(u, US) + "µs"
        else:
            out = _frac(u, MS) + "ms"
    else:
        h, rem = divmod(u, HOUR)
        m, rem = divmod(rem, MINUTE)
        secs = _frac(rem, SECOND)
        if h:
            out = f"{h}h{m}m{secs}s"
        elif m:
            out = f"{m}m{secs}s"
        else:
            out = f"{secs}s"
    return "-" + out if neg else out


def _frac(v: int, unit: int) -> str:
    whole, rest = divmod(v, unit)
    if not rest:
        return str(whole)
    digits = str(rest).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def human_duration(seconds: float) -> str:
    """go-units HumanDuration ("Less than a second", "5 seconds", "About a minute")."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds / 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / 3600 + 0.5)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{int(seconds / 3600) // 24 // 365} years"


# -- time.Time ----------------------------------------------------------------------------------


def utc(seconds: float) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(0, _dt.UTC) + _dt.timedelta(seconds=seconds)


def _nanos(seconds: float) -> tuple[_dt.datetime, int]:
    total_ns = int(round(seconds * 1e9))
    whole, ns = divmod(total_ns, 1_000_000_000)
    return _dt.datetime.fromtimestamp(whole, _dt.UTC), ns


@functools.lru_cache(maxsize=1 << 14)  # a batch of writes stamps many objects with one time
def rfc3339nano(seconds: float) -> str:
    """Go's RFC3339Nano: 2026-11-25T21:58:06.58640212Z (trailing zeros dropped)."""
    t, ns = _nanos(seconds)
    frac = f".{ns:09d}".rstrip("0").rstrip(".")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"


def time_string(seconds: float) -> str:
    """Go's time.Time.String() in UTC: 2026-11-25 21:58:04.783778951 +0000 UTC."""
    t, ns = _nanos(seconds)
    frac = f".{ns:09d}".rstrip("0").rstrip(".")
    return t.strftime("%Y-%m-%d %H:%M:%S") + frac + " +0000 UTC"


_TO_SECOND = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)")
_AFTER_SECOND = re.compile(r"(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")


@functools.lru_cache(maxsize=1 << 14)  # a listing's timestamps fall in a few minutes
def _to_second(text: str) -> float | None:
    """`2026-12-01T11:15:08` in seconds since the epoch (UTC); None if it is not one."""
    m = _TO_SECOND.fullmatch(text)
    if not m:
        return None
    y, mo, d, h, mi, s = map(int, m.groups())
    return _dt.datetime(y, mo, d, h, mi, s, tzinfo=_dt.UTC).timestamp()


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch of an RFC 3339 timestamp (nanoseconds kept as a float)."""
    secs = _to_second(text[:19])
    rest = _AFTER_SECOND.fullmatch(text, 19)
    if secs is None or rest is None:
        raise GoError(f"parsing time {quote(text)}: cannot parse")
    frac, zone = rest.groups()
    if frac:
        secs += int(frac.ljust(9, "0")[:9]) / 1e9
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs


ZERO_TIME = "0001-01-01T00:00:00Z"


def map_order(keys: list[str], rng: random.Random) -> list[str]:
    """The order Go's `for k := range m` visits a small map built by inserting `keys` in
    turn: up to 8 entries sit in one group of 8 slots, in the order inserted, and each
    range starts at a random slot and wraps around. So a map of three is visited in
    insertion order 6 times in 8, and in each of the two rotations once in 8 — which is
    why two `docker info` on one host can list the runtimes in different orders."""
    if len(keys) > 8:
        keys = list(keys)
        rng.shuffle(keys)
        return keys
    offset = rng.randrange(8)
    slots = list(keys) + [None] * (8 - len(keys))
    return [k for i in range(8) if (k := slots[(offset + i) % 8]) is not None]
