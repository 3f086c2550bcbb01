"""What the list commands share: `--filter key=value` parsed, and rows printed through a
`--format` template as docker's formatter prints them."""

from __future__ import annotations

from ..format import tabwrite
from ..template import HEADER_FUNCS, Template, TemplateError
from . import CommandError, Context


class HeaderMap(dict):
    """The header row of a table: a missing column is empty (a Go map[string]string)."""

    def get(self, key, default=None):  # noqa: D102 - as dict.get, but "" when missing
        return super().get(key, "")


def parse_filters(values: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in values:
        key, _, value = v.partition("=")
        out.setdefault(key, []).append(value)
    return out


def format_rows(fmt: str, contexts: list, headers: dict[str, str], ctx: Context) -> None:
    """Print objects through a --format template, as a table if it starts with "table"
    (docker's formatter.Context: nothing is printed if any row fails)."""
    is_table = fmt.startswith("table")
    body = "{{json .}}" if fmt == "json" else fmt[5:] if is_table else fmt
    body = body.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    try:
        template = Template(body)  # parsed first: a bad template fails with no rows too
        lines = template.execute_rows(contexts)
    except TemplateError as exc:
        raise CommandError(f"template parsing error: {exc}") from None
    if not is_table:
        for line in lines:
            ctx.print(line)
        return
    try:
        header = Template(body, HEADER_FUNCS).execute(HeaderMap(headers))
    except TemplateError as exc:
        header = exc.partial  # docker ignores a header that fails
    ctx.write(tabwrite("\n".join([header, *lines]) + "\n"))
