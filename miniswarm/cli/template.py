"""Go's text/template, as far as `docker ... --format` uses it.

Actions: `{{.Field.Sub}}`, pipelines (`{{.Names | join ","}}`), `{{if}} {{else if}}
{{else}} {{end}}`, `{{range}}` (with `$i, $v :=`), `{{with}}`, variables, comments, and
`{{-`/`-}}` trimming. Functions: Go's (and, or, not, len, index, print, printf, println,
eq, ne, lt, le, gt, ge, slice) and docker's (json, join, split, title, lower, upper, pad,
truncate). A field is a dict key or an attribute (called if it is a method).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .format import go_json, go_print


class TemplateError(Exception):
    pass


# -- lexing -----------------------------------------------------------------------------------

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|`[^`]*`)
     |(?P<num>-?\d+(?:\.\d+)?)
     |(?P<decl>:=)
     |(?P<pipe>\|)
     |(?P<lp>\()|(?P<rp>\))
     |(?P<comma>,)
     |(?P<field>(?:\$[A-Za-z0-9_]*)?(?:\.[A-Za-z0-9_]+)+|\.)
     |(?P<var>\$[A-Za-z0-9_]*)
     |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.X,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise TemplateError(f"unexpected {text[pos : pos + 1]!r} in operand")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


# -- the tree -----------------------------------------------------------------------------------


@dataclass
class Text:
    text: str


@dataclass
class Action:
    pipeline: list  # tokens
    decl: list[str] = field(default_factory=list)


@dataclass
class Block:
    kind: str  # if, range, with
    pipeline: list
    decl: list[str]
    body: list
    else_body: list | None = None


def _parse(src: str) -> list:
    pieces: list[tuple[str, Any]] = []
    pos = 0
    for m in _ACTION.finditer(src):
        text = src[pos : m.start()]
        if m.group(1):
            text = text.rstrip(" \t\r\n")
        if pieces and pieces[-1][0] == "trim-next":
            pieces.pop()
            text = text.lstrip(" \t\r\n")
        pieces.append(("text", text))
        body = m.group(2).strip()
        pieces.append(("action", body))
        if m.group(3):
            pieces.append(("trim-next", None))
        pos = m.end()
    tail = src[pos:]
    if pieces and pieces[-1][0] == "trim-next":
        pieces.pop()
        tail = tail.lstrip(" \t\r\n")
    pieces.append(("text", tail))
    if "{{" in tail:
        raise TemplateError("unclosed action")
    nodes, rest, end = _build(pieces, 0)
    if end is not None:
        raise TemplateError(f"unexpected {{{{{end}}}}}")
    return nodes


def _split_decl(tokens: list) -> tuple[list[str], list]:
    for i, (k, _) in enumerate(tokens):
        if k == "decl":
            names = [v for kk, v in tokens[:i] if kk in ("var", "field")]
            return names, tokens[i + 1 :]
    return [], tokens


def _build(pieces: list, i: int) -> tuple[list, int, str | None]:
    nodes: list = []
    while i < len(pieces):
        kind, value = pieces[i]
        i += 1
        if kind == "text":
            if value:
                nodes.append(Text(value))
            continue
        if value.startswith("/*"):
            continue
        word = value.split(None, 1)[0] if value else ""
        if word in ("end", "else"):
            return nodes, i, value
        if word in ("if", "range", "with"):
            decl, pipe = _split_decl(_tokens(value[len(word) :]))
            body, i, end = _build(pieces, i)
            block = Block(word, pipe, decl, body)
            cur = block
            while end is not None and end.startswith("else"):
                rest = end[4:].strip()
                if rest.startswith("if"):
                    sub = Block("if", _tokens(rest[2:]), [], [])
                    sub.body, i, end = _build(pieces, i)
                    cur.else_body = [sub]
                    cur = sub
                else:
                    cur.else_body, i, end = _build(pieces, i)
            if end != "end":
                raise TemplateError(f"unexpected EOF in {word}")
            nodes.append(block)
            continue
        decl, pipe = _split_decl(_tokens(value))
        nodes.append(Action(pipe, decl))
    return nodes, i, None


# -- evaluation ----------------------------------------------------------------------------------


def truthy(v: Any) -> bool:
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v != 0
    if isinstance(v, (str, list, tuple, dict)):
        return len(v) > 0
    return True


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    if obj is None:
        return None
    if not hasattr(obj, name):
        raise TemplateError(f"can't evaluate field {name} in type {type(obj).__name__}")
    v = getattr(obj, name)
    return v() if callable(v) else v


def _printf(fmt: str, *args: Any) -> str:
    out, ai = [], 0

    def sub(m: re.Match) -> str:
        nonlocal ai
        spec = m.group(0)
        if spec == "%%":
            return "%"
        if ai >= len(args):
            return f"%!{spec[-1]}(MISSING)"
        v = args[ai]
        ai += 1
        verb = spec[-1]
        flags = spec[1:-1]
        if verb in "vs":
            text = go_print(v)
        elif verb == "q":
            text = go_json(str(v))
        elif verb == "d":
            text = str(int(v))
        else:
            text = ("%" + flags + verb) % v
            return text
        width = re.match(r"-?\d*", flags).group(0)
        if width and width != "-":
            n = int(width)
            text = text.ljust(-n) if n < 0 else text.rjust(n)
        return text

    out.append(re.sub(r"%[-+# 0-9.]*[a-zA-Z%]", sub, fmt))
    return "".join(out)


def _index(obj: Any, *keys: Any) -> Any:
    for k in keys:
        obj = obj[k] if not isinstance(obj, dict) else obj.get(k)
    return obj


def _pad(s: str, left: int, right: int) -> str:
    return " " * left + s + " " * right


def _truncate(s: str, n: int) -> str:
    return s[:n] if len(s) > n else s


def _cmp(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


FUNCS: dict[str, Callable[..., Any]] = {
    "and": lambda *a: next((x for x in a if not truthy(x)), a[-1]),
    "or": lambda *a: next((x for x in a if truthy(x)), a[-1]),
    "not": lambda a: not truthy(a),
    "len": lambda a: len(a),
    "index": _index,
    "print": lambda *a: "".join(go_print(x) for x in a),
    "println": lambda *a: " ".join(go_print(x) for x in a) + "\n",
    "printf": lambda f, *a: _printf(f, *a),
    "eq": lambda a, *b: any(a == x for x in b),
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: _cmp(a, b) < 0,
    "le": lambda a, b: _cmp(a, b) <= 0,
    "gt": lambda a, b: _cmp(a, b) > 0,
    "ge": lambda a, b: _cmp(a, b) >= 0,
    "slice": lambda s, *ix: s[slice(*ix)],
    "json": lambda v: go_json(v),
    "join": lambda items, sep: sep.join(go_print(x) for x in (items or [])),
    "split": lambda s, sep: s.split(sep),
    "title": lambda s: s.title(),
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "pad": _pad,
    "truncate": _truncate,
}


class Template:
    def __init__(self, src: str) -> None:
        self.src = src
        self.nodes = _parse(src)

    def execute(self, data: Any) -> str:
        out: list[str] = []
        self._run(self.nodes, data, {"$": data}, out)
        return "".join(out)

    def _run(self, nodes: list, dot: Any, env: dict, out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                out.append(node.text)
            elif isinstance(node, Action):
                value = self._pipeline(node.pipeline, dot, env)
                if node.decl:
                    env[node.decl[0]] = value
                else:
                    out.append(go_print(value) if not isinstance(value, str) else value)
            else:
                self._block(node, dot, env, out)

    def _block(self, b: Block, dot: Any, env: dict, out: list[str]) -> None:
        value = self._pipeline(b.pipeline, dot, env)
        if b.kind == "if":
            self._run(b.body if truthy(value) else (b.else_body or []), dot, env, out)
        elif b.kind == "with":
            if truthy(value):
                self._run(b.body, value, env, out)
            elif b.else_body:
                self._run(b.else_body, dot, env, out)
        else:
            items = list(value.items()) if isinstance(value, dict) else list(enumerate(value or []))
            if isinstance(value, dict):
                items = sorted(items, key=lambda kv: str(kv[0]))
            if not items and b.else_body:
                self._run(b.else_body, dot, env, out)
            for k, v in items:
                scope = dict(env)
                if len(b.decl) == 2:
                    scope[b.decl[0]], scope[b.decl[1]] = k, v
                elif len(b.decl) == 1:
                    scope[b.decl[0]] = v
                self._run(b.body, v, scope, out)

    def _pipeline(self, tokens: list, dot: Any, env: dict) -> Any:
        commands: list[list] = [[]]
        depth = 0
        for tok in tokens:
            if tok[0] == "pipe" and depth == 0:
                commands.append([])
                continue
            depth += tok[0] == "lp"
            depth -= tok[0] == "rp"
            commands[-1].append(tok)
        value: Any = _NOTHING
        for cmd in commands:
            value = self._command(cmd, dot, env, value)
        return None if value is _NOTHING else value

    def _command(self, tokens: list, dot: Any, env: dict, piped: Any) -> Any:
        if not tokens:
            raise TemplateError("missing value for command")
        args = self._operands(tokens, dot, env)
        head_kind, head = tokens[0]
        if head_kind == "ident" and head not in ("true", "false", "nil"):
            fn = FUNCS.get(head)
            if fn is None:
                raise TemplateError(f'function "{head}" not defined')
            call_args = args[1:] + ([] if piped is _NOTHING else [piped])
            try:
                return fn(*call_args)
            except TemplateError:
                raise
            except Exception as exc:
                raise TemplateError(f"error calling {head}: {exc}") from None
        if len(args) > 1 or piped is not _NOTHING:
            raise TemplateError("can't give argument to non-function")
        return args[0]

    def _operands(self, tokens: list, dot: Any, env: dict) -> list:
        out: list = []
        i = 0
        while i < len(tokens):
            kind, text = tokens[i]
            if kind == "lp":
                depth, j = 1, i + 1
                while depth:
                    depth += tokens[j][0] == "lp"
                    depth -= tokens[j][0] == "rp"
                    j += 1
                out.append(self._pipeline(tokens[i + 1 : j - 1], dot, env))
                i = j
                continue
            if kind == "str":
                out.append(text[1:-1] if text[0] == "`" else _unquote(text))
            elif kind == "num":
                out.append(float(text) if "." in text else int(text))
            elif kind == "field":
                out.append(self._path(text, dot, env))
            elif kind == "var":
                if text not in env:
                    raise TemplateError(f'undefined variable "{text}"')
                out.append(env[text])
            elif kind == "ident":
                out.append({"true": True, "false": False, "nil": None}.get(text, text))
            else:
                raise TemplateError(f"unexpected {text!r} in operand")
            i += 1
        return out

    def _path(self, text: str, dot: Any, env: dict) -> Any:
        if text == ".":
            return dot
        if text.startswith("$"):
            var, _, rest = text.partition(".")
            value = env.get(var)
            parts = rest.split(".") if rest else []
        else:
            value = dot
            parts = text[1:].split(".")
        for p in parts:
            value = _field(value, p)
        return value


_NOTHING = object()


def _unquote(s: str) -> str:
    import json

    return json.loads(s)
