"""Colour for the line being typed: each command's name, its flags, quoted strings, `$`
words and the operators between commands, as a shell-aware editor shows them."""

from __future__ import annotations

import re
from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

# One token at a time: a quoted string, an operator, a $ word, or a plain word.
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<string>'[^']*'?|"(?:\\.|[^"\\])*"?)
      | (?P<op>\|\||&&|[|;&]|>>|>|<)
      | (?P<var>\$\(|\$\{?[A-Za-z_?][A-Za-z0-9_]*\}?)
      | (?P<word>[^\s'"|;&<>$]+|\$)""",
    re.VERBOSE,
)
STYLES = {
    "command": "ansigreen bold",
    "flag": "ansicyan",
    "string": "ansiyellow",
    "op": "ansimagenta",
    "var": "ansiblue",
    "word": "",
    "space": "",
}


class ShellLexer(Lexer):
    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = [colour_line(line) for line in document.lines]
        return lambda n: lines[n] if n < len(lines) else []


def colour_line(line: str) -> StyleAndTextTuples:
    out: StyleAndTextTuples = []
    command_next = True  # the first word of a line, and after an operator, is a command
    at = 0
    while at < len(line):
        m = _TOKEN.match(line, at)
        if m is None:  # cannot happen with the patterns above; never lose text
            out.append(("", line[at:]))
            break
        kind = m.lastgroup or "word"
        text = m.group()
        if kind == "word":
            if command_next and "=" not in text:
                kind, command_next = "command", False
            elif text.startswith("-"):
                kind = "flag"
        elif kind == "op":
            command_next = True
        elif kind in ("string", "var"):
            command_next = False
        out.append((STYLES[kind], text))
        at = m.end()
    return out
