"""How the docker CLI lays out what it prints: tabwriter tables, Go's JSON, go-units'
durations and sizes, and formatter.PrettyPrint."""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

# -- tables -------------------------------------------------------------------------------------


def table(rows: list[list[str]], minwidth: int = 10, padding: int = 3) -> str:
    """Go's text/tabwriter as docker sets it up (minwidth 10, padding 3, spaces): every
    column but the last is padded to max(10, widest cell + 3)."""
    if not rows:
        return ""
    by_length: dict[int, list[list[str]]] = {}  # a row's last cell is never padded
    for r in rows:
        by_length.setdefault(len(r), []).append(r)
    widths = [0] * max(by_length)
    for length, same in by_length.items():
        for i, column in enumerate(list(zip(*same, strict=True))[: length - 1]):
            widths[i] = max(widths[i], max(map(len, column)))
    widths = [max(minwidth, w + padding) for w in widths]
    layouts = {  # one format a row length: 1,000 rows laid out at C speed (printf-style:
        # 2,000 rows of `service ps` in 0.7 ms, str.format's 1.2)
        length: "".join(f"%-{w}s" for w in widths[: max(length - 1, 0)]) + "%s" * (length > 0)
        for length in by_length
    }
    return "\n".join([layouts[len(r)] % (*r,) for r in rows]) + "\n"


def tabwrite(text: str) -> str:
    """Lay out tab-separated lines (what a `table` template produces) as tabwriter does."""
    lines = text.split("\n")
    trailing = lines and lines[-1] == ""
    if trailing:
        lines = lines[:-1]
    rendered = table([line.split("\t") for line in lines]).rstrip("\n")
    return rendered + ("\n" if trailing else "")


# -- values ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)  # a few words (states, availabilities), a row each
def pretty(s: str) -> str:
    """formatter.PrettyPrint: first character upper case, the rest lower case."""
    if len(s) <= 1:
        return s.lower()
    return s[0].upper() + s[1:].lower()


_BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
_DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]


def _go_g4(x: float) -> str:
    """Go's %.4g."""
    text = f"{x:.4g}"
    if "e" in text:
        mant, exp = text.split("e")
        sign = exp[0]
        digits = exp[1:].lstrip("0").rjust(2, "0")
        text = f"{mant}e{sign}{digits}"
    return text


def bytes_size(size: float) -> str:
    """go-units BytesSize: 23.54GiB."""
    i = 0
    while size >= 1024 and i < len(_BINARY) - 1:
        size /= 1024
        i += 1
    return _go_g4(size) + _BINARY[i]


def human_size(size: float) -> str:
    """go-units HumanSize: 1.23MB."""
    i = 0
    while size >= 1000 and i < len(_DECIMAL) - 1:
        size /= 1000
        i += 1
    return _go_g4(size) + _DECIMAL[i]


# -- Go's JSON ------------------------------------------------------------------------------------

# Fields that are Go maps: encoding/json writes their keys sorted; structs keep field order.
MAP_FIELDS = {
    "Labels",
    "Options",
    "DriverOpts",
    "Sysctls",
    "Runtimes",
    "IndexConfigs",
    "Details",
    "Annotations",
    "Config",
    "ContainerLabels",
}


_EXPORTED = re.compile(r"^[A-Z][A-Za-z0-9]*$")


def _go_number(x: float) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e21:
        return str(int(x))
    r = repr(x)
    if "e" in r:
        mant, exp = r.split("e")
        sign = "-" if exp.startswith("-") else "+"
        digits = exp.lstrip("+-").lstrip("0").rjust(2, "0")
        return f"{mant}e{sign}{digits}"
    return r


class JsonMap(dict):
    """A Go map (not a struct): encoding/json writes its keys sorted."""


class JsonStruct(dict):
    """A Go struct: encoding/json writes its fields in their order."""


def _encode(value: Any, indent: str | None, level: int, sort: bool) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _go_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    nl = "" if indent is None else "\n" + indent * (level + 1)
    end = "" if indent is None else "\n" + indent * level
    sep = ":" if indent is None else ": "
    if isinstance(value, dict):
        if not value:
            return "{}"
        # A Go struct's fields are exported names, in declaration order; anything else is
        # a map, whose keys encoding/json sorts.
        struct_like = all(isinstance(k, str) and _EXPORTED.match(k) for k in value)
        if isinstance(value, JsonStruct):
            keys = list(value)
        elif sort or not struct_like or isinstance(value, JsonMap):
            keys = sorted(value)
        else:
            keys = list(value)
        parts = [
            json.dumps(str(k), ensure_ascii=False)
            + sep
            + _encode(value[k], indent, level + 1, k in MAP_FIELDS)
            for k in keys
        ]
        return "{" + nl + ("," + nl).join(parts) + end + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        parts = [_encode(v, indent, level + 1, False) for v in value]
        return "[" + nl + ("," + nl).join(parts) + end + "]"
    if hasattr(value, "to_json"):  # a formatter context: docker marshals its fields
        return _encode(value.to_json(), indent, level, True)
    if hasattr(value, "go_json_value"):  # a typed value (gotypes)
        return _encode(value.go_json_value(), indent, level, False)
    return json.dumps(str(value), ensure_ascii=False)


def go_json(value: Any, indent: str | None = None) -> str:
    """encoding/json as docker uses it: no HTML escaping, map keys sorted, struct fields in
    order, numbers as Go writes them."""
    return _encode(value, indent, 0, False)


def inspect_json(items: list[Any]) -> str:
    """What `docker ... inspect` prints: a JSON array indented with 4 spaces."""
    return go_json(items, "    ") + "\n"


# -- Go's fmt for template output -----------------------------------------------------------------


def go_print(value: Any) -> str:
    """How text/template prints a value (fmt's %v)."""
    if hasattr(value, "go_printed"):  # a typed value (gotypes)
        return value.go_printed()
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_number(value) if value != int(value) else str(int(value))
    if isinstance(value, dict):
        inner = " ".join(
            f"{k}:{go_print(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
        )
        return f"map[{inner}]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_print(v) for v in value) + "]"
    if hasattr(value, "to_json"):  # a formatter context, printed as Go prints a struct
        return "{" + " ".join(go_print(v) for v in value.to_json().values()) + "}"
    return str(value)


_DIGITS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=1 << 14)  # a lab's hostnames and task names, sorted again
def natural_key(s: str) -> tuple:
    """sortorder.NaturalLess: digits compare as numbers ("web.2" before "web.10")."""
    parts: list = _DIGITS.split(s)  # (the runs of digits: at the odd places, always)
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts)
