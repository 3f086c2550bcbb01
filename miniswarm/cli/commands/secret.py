"""docker secret / docker config: create, ls, inspect, rm (cli/command/secret, config).

The two groups differ in little: a secret's data is never shown, a config's is; `secret
ls` has a DRIVER column; their --pretty templates are spaced differently."""

from __future__ import annotations

import base64
import functools

from ... import shlang
from ...daemonerror import DaemonError
from ...gocompat import human_duration, parse_rfc3339, time_string
from ..client import seg
from ..format import pretty
from ..parse import Invocation
from ..template import Template
from . import CommandError, Context, command, for_each, typed_lines
from .inspect import inspect_options, show
from .rows import format_rows, parse_filters

TABLES = {
    "secret": "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.CreatedAt}}\\t{{.UpdatedAt}}",
    "config": "table {{.ID}}\\t{{.Name}}\\t{{.CreatedAt}}\\t{{.UpdatedAt}}",
}
HEADERS = {
    "ID": "ID",
    "Name": "NAME",
    "Driver": "DRIVER",
    "CreatedAt": "CREATED",
    "UpdatedAt": "UPDATED",
    "Labels": "LABELS",
}
LABELS = """
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}"""
PRETTY = {
    "secret": "ID:              {{.ID}}\nName:              {{.Name}}"
    + LABELS
    + "\nDriver:            {{.Driver}}\nCreated at:        {{.CreatedAt}}\n"
    "Updated at:        {{.UpdatedAt}}\n",
    "config": "ID:\t\t\t{{.ID}}\nName:\t\t\t{{.Name}}"
    + LABELS
    + "\nCreated at:            \t{{.CreatedAt}}\nUpdated at:            \t{{.UpdatedAt}}\n"
    "Data:\n{{.Data}}\n",
}


class ConfigRow:
    """A config as `ls` templates see it (configContext)."""

    go_type = "*config.configContext"

    def __init__(self, obj: dict, now: float) -> None:
        self.o = obj
        self.now = now

    def to_json(self) -> dict:  # (formatter.MarshalJSON: each field's value, by name)
        return {
            "CreatedAt": self.CreatedAt(),
            "ID": self.ID(),
            "Labels": self.Labels(),
            "Name": self.Name(),
            "UpdatedAt": self.UpdatedAt(),
        }

    def ID(self) -> str:  # noqa: N802
        return self.o["ID"]

    def Name(self) -> str:  # noqa: N802
        return self.o["Spec"]["Name"]

    def CreatedAt(self) -> str:  # noqa: N802
        return human_duration(self.now - parse_rfc3339(self.o["CreatedAt"])) + " ago"

    def UpdatedAt(self) -> str:  # noqa: N802
        return human_duration(self.now - parse_rfc3339(self.o["UpdatedAt"])) + " ago"

    def Labels(self) -> str:  # noqa: N802
        return ",".join(f"{k}={v}" for k, v in sorted((self.o["Spec"].get("Labels") or {}).items()))

    def Label(self, name: str) -> str:  # noqa: N802
        return (self.o["Spec"].get("Labels") or {}).get(name, "")


class SecretRow(ConfigRow):
    """A secret as `ls` templates see it (secretContext): a config's fields, and its
    driver."""

    go_type = "*secret.secretContext"

    def to_json(self) -> dict:
        return {**super().to_json(), "Driver": self.Driver()}

    def Driver(self) -> str:  # noqa: N802
        return (self.o["Spec"].get("Driver") or {}).get("Name", "")


class Pretty:
    """What the --pretty templates see."""

    def __init__(self, obj: dict) -> None:
        spec = obj["Spec"]
        self.ID = obj["ID"]
        self.Name = spec["Name"]
        self.Labels = spec.get("Labels") or {}
        self.Driver = (spec.get("Driver") or {}).get("Name", "")
        self.CreatedAt = pretty(time_string(parse_rfc3339(obj["CreatedAt"])))
        self.UpdatedAt = pretty(time_string(parse_rfc3339(obj["UpdatedAt"])))
        self.Data = base64.b64decode(spec.get("Data") or "").decode(errors="replace")


def _labels(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        key, _, value = v.partition("=")
        out[key] = value
    return out


def _create(kind: str, inv: Invocation, ctx: Context) -> int:
    name = inv.args[0]
    source = inv.args[1] if len(inv.args) > 1 else None
    driver = inv.get("driver") if kind == "secret" else None
    if driver and source:
        raise CommandError("when using secret driver secret data must be empty")
    if source is None and not driver:
        raise CommandError(f"{kind} file is required")
    data = b""
    if source == "-":
        text = ctx.stdin if ctx.stdin is not None else typed_lines(ctx)
        data = shlang.to_bytes(text)
        if not data:
            raise CommandError("error reading from STDIN: data is empty")
    elif source is not None:
        files = ctx.files or {}
        if source not in files:
            raise CommandError(
                f"error reading from {source}: open {source}: no such file or directory"
            )
        data = shlang.to_bytes(files[source])
    spec = {
        "Name": name,
        "Labels": _labels(inv.values("label")),
        "Data": base64.b64encode(data).decode(),
    }
    if driver:
        spec["Driver"] = {"Name": driver}
    created = ctx.client.post(f"/{kind}s/create", spec)
    ctx.print(created["ID"])
    return 0


def _ls(kind: str, inv: Invocation, ctx: Context) -> int:
    objs = ctx.client.get(f"/{kind}s", filters=parse_filters(inv.values("filter")))
    objs.sort(key=lambda o: o["Spec"]["Name"])
    if inv.get("quiet"):
        for o in objs:
            ctx.print(o["ID"])
        return 0
    now = ctx.client.now()
    row = SecretRow if kind == "secret" else ConfigRow
    format_rows(inv.get("format") or TABLES[kind], [row(o, now) for o in objs], HEADERS, ctx)
    return 0


def _inspect(kind: str, inv: Invocation, ctx: Context) -> int:
    fmt, pretty_mode, tmpl = inspect_options(inv)
    found, errors = [], []
    for ref in inv.args:
        try:
            obj = ctx.client.get(f"/{kind}s/{seg(ref)}")
        except DaemonError as exc:
            errors.append(f"Error response from daemon: {exc.message}")
            continue
        found.append(obj)
    if pretty_mode:
        for obj in found:
            ctx.write(Template(PRETTY[kind]).execute(Pretty(obj)))
    else:
        errors += show(ctx, found, fmt, tmpl, kind)
    if errors:
        raise CommandError("\n".join(errors))
    return 0


def _rm(kind: str, inv: Invocation, ctx: Context) -> int:
    return for_each(ctx, inv.args, lambda ref: ctx.client.delete(f"/{kind}s/{seg(ref)}"))


for _kind in ("secret", "config"):
    for _verb, _fn in (("create", _create), ("ls", _ls), ("inspect", _inspect), ("rm", _rm)):
        command(f"docker {_kind} {_verb}")(functools.partial(_fn, _kind))
