"""docker inspect: low-level information on any of the lab's objects, by name or ID — what
the notes use as `docker inspect --type service myweb` — and the way every `inspect`
subcommand prints: a 4-space-indented JSON array of what was found (`[]` if nothing),
or a Go template per object; each object not found is an error at the end (exit 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...daemonerror import DaemonError
from ..client import seg
from ..format import go_json, inspect_json
from ..gotypes import OBJECT_TYPES, GoValue
from ..parse import Invocation
from ..template import Template, TemplateError
from . import CommandError, Context, command

TYPES = ["config", "container", "image", "network", "node", "plugin", "secret", "service"]
TYPES += ["task", "volume"]
# The order docker tries them in when no --type is given.
AUTODETECT = ["container", "image", "network", "volume", "service", "task", "node", "plugin"]
AUTODETECT += ["secret", "config"]
SWARM_TYPES = {"service", "task", "node", "secret", "config"}


class NotFound(Exception):
    """Not one of these (docker tries the next kind)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def show(
    ctx: Context, objects: list[Any], fmt: str, tmpl: Template | None, kinds: str | list[str]
) -> list[str]:
    """What every inspect prints for the objects it found (of `kinds`: one for all, or
    one each); the errors of a template that failed on some of them (said after what the
    others printed)."""
    errors = []
    if tmpl is not None:
        texts = []
        each = [kinds] * len(objects) if isinstance(kinds, str) else kinds
        for obj, kind in zip(objects, each, strict=True):
            try:
                texts.append(execute(tmpl, obj, kind) + "\n")
            except TemplateError as exc:
                errors.append(f"template parsing error: {exc}")
        ctx.write("".join(texts) or "\n")  # docker's Flush: a newline when nothing printed
    elif fmt == "json":
        ctx.print(go_json(objects))
    else:
        ctx.write(inspect_json(objects))
    return errors


def execute(tmpl: Template, obj: Any, kind: str) -> str:
    """As docker's TemplateInspector: on the typed struct first; if that fails, on the raw
    JSON with missingkey=error, whose error is the one told."""
    go_type = OBJECT_TYPES.get(kind)
    if go_type is not None:
        try:
            return tmpl.execute(GoValue(go_type, obj))
        except TemplateError:
            pass
    return tmpl.execute(obj, missing="error")


def inspect_options(inv: Invocation) -> tuple[str, bool, Template | None]:
    """An inspect subcommand's --format and --pretty: (format, pretty or not, the parsed
    template)."""
    fmt = inv.get("format") or ""
    if inv.get("pretty") and fmt and fmt != "pretty":
        raise CommandError("--format is incompatible with human friendly format")
    pretty_mode = bool(inv.get("pretty")) or fmt == "pretty"
    return fmt, pretty_mode, None if pretty_mode else template(fmt)


def template(fmt: str) -> Template | None:
    if fmt in ("", "json"):
        return None
    try:
        return Template(fmt)
    except TemplateError as exc:
        raise CommandError(f"template parsing error: {exc}", 64) from None


def _task(ctx: Context, ref: str) -> dict:
    try:
        return ctx.client.get(f"/tasks/{seg(ref)}")
    except DaemonError as exc:
        if exc.status == 404:
            raise NotFound(f"Error response from daemon: {exc.message}") from None
        raise


def _fetchers(ctx: Context) -> dict[str, Callable[[str], Any]]:
    client = ctx.client

    def fetcher(path: str, **query: Any) -> Callable[[str], Any]:
        def fetch(ref: str) -> Any:
            try:
                return client.get(path.format(seg(ref)), **query)
            except DaemonError as exc:
                if exc.status == 404:
                    raise NotFound(f"Error response from daemon: {exc.message}") from None
                raise

        return fetch

    def nothing(kind: str) -> Callable[[str], Any]:
        def fetch(ref: str) -> Any:
            what = {"image": "image", "network": "network", "volume": "volume"}.get(kind, kind)
            raise NotFound(f"Error response from daemon: No such {what}: {ref}")

        return fetch

    return {
        "container": fetcher("/containers/{}/json"),
        "image": nothing("image"),
        "network": fetcher("/networks/{}"),
        "volume": nothing("volume"),
        "service": fetcher("/services/{}", insertDefaults=True),
        "task": lambda ref: _task(ctx, ref),
        "node": fetcher("/nodes/{}"),
        "plugin": nothing("plugin"),
        "secret": fetcher("/secrets/{}"),
        "config": fetcher("/configs/{}"),
    }


@command("docker inspect")
def inspect(inv: Invocation, ctx: Context) -> int:
    known = '", "'.join(TYPES)
    wanted = inv.get("type") or ""
    if inv.has("type") and not wanted:
        raise CommandError(f'type is empty: must be one of "{known}"')
    if wanted and wanted not in TYPES:
        raise CommandError(f'unknown type: "{wanted}": must be one of "{known}"')
    fmt = inv.get("format") or ""
    tmpl = template(fmt)
    fetchers = _fetchers(ctx)
    manager: bool | None = None
    found: list[Any] = []
    kinds: list[str] = []
    errors: list[str] = []
    for ref in inv.args:
        for kind in [wanted] if wanted else AUTODETECT:
            if not wanted and kind in SWARM_TYPES:
                if manager is None:
                    manager = bool(ctx.client.get("/info")["Swarm"]["ControlAvailable"])
                if not manager:
                    continue
            try:
                found.append(fetchers[kind](ref))
                kinds.append(kind)
                break
            except NotFound as exc:
                if wanted:
                    errors.append(exc.message)
                    break
            except DaemonError as exc:
                errors.append(f"Error response from daemon: {exc.message}")
                break
        else:
            errors.append(f"Error: No such object: {ref}")
    errors += show(ctx, found, fmt, tmpl, kinds)
    if errors:
        raise CommandError("\n".join(errors))
    return 0
