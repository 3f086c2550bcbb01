"""The shell language both of the lab's shells speak: the student's shell on a lab host
(shell.py) and the shell inside containers (runtime/sh.py). POSIX sh in small — a pure
core, like raft.py: text in, a syntax tree out, and words expanded against whatever
variables and command runner the caller gives.

    TOKEN=$(docker swarm join-token -q worker)
    docker service rm $(docker service ls -q) 2>/dev/null || echo "nothing to remove"
    for i in 1 2 3; do docker service scale web=$((i * 2)); done
    cat <<EOF | docker secret create db_password -
    s3cret
    EOF

What is here: words with '…', "…" and \\ quoting; $NAME, ${NAME}, ${NAME:-default},
${#NAME}, $?, $$, $(…), `…`, $((…)); field splitting of what an unquoted expansion
gives; assignments (alone, or before a command); pipelines, `!`, &&, ||, `;` and new
lines; the redirections >, >>, <, 2>, 2>&1, >&2, &>, <<<, and here-documents; `{ …; }`,
`( … )`, if/elif/else, while/until, for. A line that stops inside any of these raises
Incomplete, so that a prompt can ask for the rest, as bash's `> ` does.

Not here: globbing (a pattern stays as typed, as bash leaves one that matches nothing),
`case`, functions, background jobs (`&`).
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class ShellSyntaxError(Exception):
    """What bash says about a line it cannot read ("syntax error near unexpected token
    `;'"); its exit status is 2."""


class Incomplete(ShellSyntaxError):
    """The text stops in the middle of something: a quote, `$(`, a `|` or `&&`, a
    compound command, a here-document. More lines may complete it."""


# -- tokens --------------------------------------------------------------------------------


@dataclass
class Token:
    kind: str  # "word", "op" (| || && ; ( ) & !), "redir", "newline"
    text: str
    fd: int | None = None  # a redirection's file descriptor, when written (2>)
    heredoc: HereDoc | None = None


@dataclass
class HereDoc:
    delimiter: str
    strip_tabs: bool
    expand: bool  # an unquoted delimiter: the body's $… and `…` are expanded
    body: str = ""


_REDIRS = ("&>>", "&>", "<<<", "<<-", "<<", ">>", ">&", "<&", ">|", ">", "<")
_OPS = ("&&", "||", ";;", "|", ";", "&", "(", ")")


def tokenize(text: str) -> list[Token]:
    """Tokens of a whole script (several lines, here-documents included)."""
    tokens: list[Token] = []
    pending: list[HereDoc] = []  # here-documents whose bodies start after this line
    word: str | None = None
    i, n = 0, len(text)

    def end_word() -> None:
        nonlocal word
        if word is not None:
            tokens.append(Token("word", word))
            word = None

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] == "\n":
            i += 2  # a line continued
            continue
        if c in " \t":
            end_word()
            i += 1
            continue
        if c == "\n":
            end_word()
            tokens.append(Token("newline", "\n"))
            i += 1
            for doc in pending:
                i = _read_heredoc(text, i, doc)
            pending = []
            continue
        if c == "#" and word is None:
            while i < n and text[i] != "\n":
                i += 1
            continue
        redir = next((r for r in _REDIRS if text.startswith(r, i)), None)
        if redir is not None:
            fd = None
            if word is not None and word.isdigit() and not redir.startswith("&"):
                fd, word = int(word), None
            end_word()
            tok = Token("redir", redir, fd)
            if redir in ("<<", "<<-"):
                j = i + len(redir)
                while j < n and text[j] in " \t":
                    j += 1
                k = _word_end(text, j)
                raw = text[j:k]
                if not raw:
                    raise _unexpected(text, k)
                tok.heredoc = HereDoc(
                    _unquote(raw), redir == "<<-", expand=not any(q in raw for q in "'\"\\")
                )
                pending.append(tok.heredoc)
                tokens.append(tok)
                tokens.append(Token("word", raw))
                i = k
                continue
            tokens.append(tok)
            i += len(redir)
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            end_word()
            tokens.append(Token("op", op))
            i += len(op)
            continue
        j = _word_end(text, i)
        word = (word or "") + text[i:j]
        i = j
    end_word()
    if pending:
        raise Incomplete(f"here-document delimited by `{pending[0].delimiter}'")
    return tokens


def _word_end(text: str, i: int) -> int:
    """Where the word (or word part) starting at `i` ends: at an unquoted blank, new
    line or operator character. Quotes and $(…) inside it are skipped whole."""
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\n;&|<>()":
            return i
        if c == "\\":
            if i + 1 >= n:
                raise Incomplete("a line continued")
            i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise Incomplete("unexpected EOF while looking for matching `''")
            i = end + 1
        elif c == '"':
            i = _double_quoted_end(text, i + 1)
        elif c == "`":
            i = _backquoted_end(text, i + 1)
        elif c == "$" and text.startswith("$(", i):
            i = _paren_end(text, i + 2)
        elif c == "$" and text.startswith("${", i):
            end = text.find("}", i + 2)
            if end < 0:
                raise Incomplete("unexpected EOF while looking for matching `}'")
            i = end + 1
        else:
            i += 1
    return i


def _double_quoted_end(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\":
            i += 2
        elif c == "`":
            i = _backquoted_end(text, i + 1)
        elif text.startswith("$(", i):
            i = _paren_end(text, i + 2)
        else:
            i += 1
    raise Incomplete("unexpected EOF while looking for matching `\"'")


def _backquoted_end(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
        elif text[i] == "`":
            return i + 1
        else:
            i += 1
    raise Incomplete("unexpected EOF while looking for matching ``'")


def _paren_end(text: str, i: int) -> int:
    """The end of $( … ) or $(( … )) whose body starts at `i`: just past the `)` that
    closes it, quotes inside skipped."""
    depth, n = 1, len(text)
    while i < n:
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c == "\\":
            i += 1
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise Incomplete("unexpected EOF while looking for matching `''")
            i = end
        elif c == '"':
            i = _double_quoted_end(text, i + 1) - 1
        elif c == "`":
            i = _backquoted_end(text, i + 1) - 1
        i += 1
    raise Incomplete("unexpected EOF while looking for matching `)'")


def _read_heredoc(text: str, i: int, doc: HereDoc) -> int:
    """Read a here-document's body from `i` up to its delimiter line; where the script
    goes on after it."""
    lines: list[str] = []
    while True:
        if i >= len(text):
            raise Incomplete(f"here-document delimited by `{doc.delimiter}'")
        end = text.find("\n", i)
        line = text[i:] if end < 0 else text[i:end]
        i = len(text) if end < 0 else end + 1
        if doc.strip_tabs:
            line = line.lstrip("\t")
        if line == doc.delimiter:
            doc.body = "".join(x + "\n" for x in lines)
            return i
        lines.append(line)


def _unquote(raw: str) -> str:
    out, i = "", 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            out += raw[i + 1]
            i += 2
        elif c in "'\"":
            i += 1
        else:
            out += c
            i += 1
    return out


def _unexpected(text: str, i: int) -> ShellSyntaxError:
    rest = text[i:].lstrip(" \t")
    if not rest or rest.startswith("\n"):
        return ShellSyntaxError("syntax error near unexpected token `newline'")
    tok = next((o for o in _REDIRS + _OPS if rest.startswith(o)), rest.split()[0])
    return ShellSyntaxError(f"syntax error near unexpected token `{tok}'")


# -- the syntax tree ------------------------------------------------------------------------


@dataclass
class Redirect:
    op: str  # > >> < <<< << <<- >& <& &> &>> >|
    fd: int  # the descriptor redirected: 0, 1 or 2 (&> means both 1 and 2)
    target: str  # a word, unexpanded (for >& and <&: the descriptor, or "-")
    heredoc: HereDoc | None = None


@dataclass
class Simple:
    assigns: list[tuple[str, str]]  # NAME=word, unexpanded
    words: list[str]  # unexpanded
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)  # ("&&"|"||", …)


@dataclass
class Group:
    body: list[AndOr]
    subshell: bool  # ( … ) rather than { …; }
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class If:
    branches: list[tuple[list[AndOr], list[AndOr]]]  # (condition, body)
    otherwise: list[AndOr] | None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Loop:
    until: bool
    condition: list[AndOr]
    body: list[AndOr]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class For:
    var: str
    words: list[str] | None  # None: `for x; do` (the positional parameters: none here)
    body: list[AndOr]
    redirects: list[Redirect] = field(default_factory=list)


Command = Simple | Group | If | Loop | For
Script = list[AndOr]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")
_RESERVED = {"if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in"}
_RESERVED |= {"{", "}", "!"}


def parse(text: str) -> Script:
    """The syntax tree of a script; ShellSyntaxError (or Incomplete) if it has none."""
    return _Parser(tokenize(text)).script()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens
        self.i = 0

    # -- looking at tokens

    def peek(self) -> Token | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text in words

    def at_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.text in ops

    def error(self) -> ShellSyntaxError:
        tok = self.peek()
        if tok is None:
            return Incomplete("syntax error: unexpected end of file")
        shown = "newline" if tok.kind == "newline" else tok.text
        return ShellSyntaxError(f"syntax error near unexpected token `{shown}'")

    def take_word(self, word: str) -> None:
        if not self.at_word(word):
            raise self.error()
        self.i += 1

    def newlines(self) -> None:
        while (tok := self.peek()) is not None and tok.kind == "newline":
            self.i += 1

    # -- grammar

    def script(self) -> Script:
        body = self.compound_list(())
        if self.peek() is not None:
            raise self.error()
        return body

    def compound_list(self, ends: tuple[str, ...]) -> list[AndOr]:
        """And-or lists separated by ; or new lines, up to a reserved word in `ends` (or
        a `)` when `)` is among them), which is not taken."""
        items: list[AndOr] = []
        while True:
            self.newlines()
            tok = self.peek()
            if tok is None:
                return items
            if tok.kind == "word" and tok.text in ends:
                return items
            if tok.kind == "op" and tok.text in ends:
                return items
            items.append(self.and_or())
            tok = self.peek()
            if tok is None:
                return items
            if tok.kind == "op" and tok.text in (";", "&"):
                if tok.text == "&":
                    raise ShellSyntaxError("background jobs (&) are not part of this lab")
                self.i += 1
            elif tok.kind != "newline" and not (
                (tok.kind == "word" and tok.text in ends) or (tok.kind == "op" and tok.text in ends)
            ):
                raise self.error()

    def and_or(self) -> AndOr:
        node = AndOr(self.pipeline())
        while self.at_op("&&", "||"):
            op = self.t[self.i].text
            self.i += 1
            self.newlines()
            if self.peek() is None:
                raise Incomplete("a line ending in " + op)
            node.rest.append((op, self.pipeline()))
        return node

    def pipeline(self) -> Pipeline:
        negate = False
        if self.at_word("!"):
            self.i += 1
            negate = True
        p = Pipeline([self.command()], negate)
        while self.at_op("|"):
            self.i += 1
            self.newlines()
            if self.peek() is None:
                raise Incomplete("a line ending in |")
            p.commands.append(self.command())
        return p

    def command(self) -> Command:
        tok = self.peek()
        if tok is None:
            raise self.error()
        node: Command
        if tok.kind == "word" and tok.text in ("if", "while", "until", "for", "{"):
            self.i += 1
            if tok.text == "if":
                node = self.if_clause()
            elif tok.text == "for":
                node = self.for_clause()
            elif tok.text == "{":
                body = self.compound_list(("}",))
                self.need_body(body)
                self.take_word("}")
                node = Group(body, subshell=False)
            else:
                condition = self.compound_list(("do",))
                self.take_word("do")
                body = self.compound_list(("done",))
                self.need_body(body)
                self.take_word("done")
                node = Loop(tok.text == "until", condition, body)
            node.redirects = self.redirects()
            return node
        if tok.kind == "op" and tok.text == "(":
            self.i += 1
            body = self.compound_list((")",))
            self.need_body(body)
            if not self.at_op(")"):
                raise self.error()
            self.i += 1
            group = Group(body, subshell=True)
            group.redirects = self.redirects()
            return group
        return self.simple()

    def need_body(self, body: list[AndOr]) -> None:
        if not body:
            raise self.error()

    def if_clause(self) -> If:
        branches = []
        otherwise = None
        while True:
            cond = self.compound_list(("then",))
            self.take_word("then")
            body = self.compound_list(("elif", "else", "fi"))
            self.need_body(body)
            branches.append((cond, body))
            if self.at_word("elif"):
                self.i += 1
                continue
            if self.at_word("else"):
                self.i += 1
                otherwise = self.compound_list(("fi",))
            self.take_word("fi")
            return If(branches, otherwise)

    def for_clause(self) -> For:
        tok = self.peek()
        if tok is None or tok.kind != "word" or not _NAME.fullmatch(tok.text):
            raise self.error()
        var = tok.text
        self.i += 1
        words: list[str] | None = None
        self.newlines()
        if self.at_word("in"):
            self.i += 1
            words = []
            while (tok := self.peek()) is not None and tok.kind == "word":
                words.append(tok.text)
                self.i += 1
        if self.at_op(";"):
            self.i += 1
        self.newlines()
        self.take_word("do")
        body = self.compound_list(("done",))
        self.need_body(body)
        self.take_word("done")
        return For(var, words, body)

    def redirects(self) -> list[Redirect]:
        out = []
        while (tok := self.peek()) is not None and tok.kind == "redir":
            out.append(self.redirect())
        return out

    def redirect(self) -> Redirect:
        tok = self.t[self.i]
        self.i += 1
        target = self.peek()
        if target is None:
            raise Incomplete("syntax error near unexpected token `newline'")
        if target.kind != "word":
            raise self.error()
        self.i += 1
        op = tok.text
        fd = tok.fd if tok.fd is not None else (0 if op[0] == "<" else 1)
        return Redirect(op, fd, target.text, tok.heredoc)

    def simple(self) -> Simple:
        node = Simple([], [])
        while (tok := self.peek()) is not None:
            if tok.kind == "redir":
                node.redirects.append(self.redirect())
                continue
            if tok.kind != "word":
                break
            if not node.words:
                m = _ASSIGN.match(tok.text)
                if m:
                    node.assigns.append((m.group(1), tok.text[m.end() :]))
                    self.i += 1
                    continue
                if tok.text in _RESERVED and not node.assigns:
                    raise self.error()
            node.words.append(tok.text)
            self.i += 1
        if not node.words and not node.assigns and not node.redirects:
            raise self.error()
        return node


# -- expansion -------------------------------------------------------------------------------


class Environment(Protocol):
    """What expanding a word needs from the shell running it."""

    @property
    def status(self) -> int:
        """$?"""
        ...

    def var(self, name: str) -> str | None:
        """A variable's value (None if unset): NAME, or $$, $#, $0, $1…"""
        ...

    def set_var(self, name: str, value: str) -> None: ...

    def substitute(self, script: str) -> str:
        """Run `script` and give what it printed: $(…) and `…`."""
        ...


IFS = " \t\n"


def expand(word: str, env: Environment) -> list[str]:
    """A word as a command sees it: expanded, split into fields where an unquoted
    expansion gave blanks, quotes removed. May give no field at all (an empty $X)."""
    fields: list[str] = []
    cur: str | None = None
    for text, split in _parts(word, env):
        if not split:
            cur = (cur or "") + text
            continue
        pieces = re.split(r"[ \t\n]+", text)
        for k, piece in enumerate(pieces):
            if k > 0 and cur is not None:
                fields.append(cur)
                cur = None
            if piece:
                cur = (cur or "") + piece
    if cur is not None:
        fields.append(cur)
    return fields


def expand_one(word: str, env: Environment) -> str:
    """A word expanded without field splitting (assignments, redirection targets)."""
    return "".join(text for text, _ in _parts(word, env))


def expand_heredoc(doc: HereDoc, env: Environment) -> str:
    """A here-document's body: $…, `…` and \\ expanded unless its delimiter was quoted."""
    if not doc.expand:
        return doc.body
    return "".join(text for text, _ in _double_quoted(doc.body, env, heredoc=True))


def _parts(word: str, env: Environment) -> list[tuple[str, bool]]:
    """(text, splittable) parts of a word: what unquoted expansions gave is splittable."""
    out: list[tuple[str, bool]] = []
    i, n = 0, len(word)
    if word.startswith("~") and (n == 1 or word[1] == "/"):
        out.append((env.var("HOME") or "~", False))
        i = 1
    while i < n:
        c = word[i]
        if c == "\\":
            out.append((word[i + 1 : i + 2], False))
            i += 2
        elif c == "'":
            end = word.index("'", i + 1)
            out.append((word[i + 1 : end], False))
            i = end + 1
        elif c == '"':
            end = _double_quoted_end(word, i + 1)
            inner = _double_quoted(word[i + 1 : end - 1], env)
            out.extend(inner or [("", False)])
            i = end
        elif c in "$`":
            text, i = _dollar(word, i, env)
            out.append((text, True))
        else:
            j = i
            while j < n and word[j] not in "\\'\"$`":
                j += 1
            out.append((word[i:j], False))
            i = j
    return out


def _double_quoted(text: str, env: Environment, heredoc: bool = False) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    i, n = 0, len(text)
    escapable = "$`\\\n" if heredoc else '$`"\\\n'
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in escapable:
            out.append(("" if text[i + 1] == "\n" else text[i + 1], False))
            i += 2
        elif c in "$`":
            value, i = _dollar(text, i, env)
            out.append((value, False))
        else:
            j = i + 1
            while j < n and text[j] not in "\\$`":
                j += 1
            out.append((text[i:j], False))
            i = j
    return out


_SPECIAL = re.compile(r"[?$#!0-9@*-]")


def _dollar(text: str, i: int, env: Environment) -> tuple[str, int]:
    """Expand the $… or `…` at `i`: (its value, where the text goes on)."""
    if text[i] == "`":
        end = _backquoted_end(text, i + 1)
        script = re.sub(r"\\([$`\\])", r"\1", text[i + 1 : end - 1])
        return _strip_newlines(env.substitute(script)), end
    if text.startswith("$((", i):
        end = _paren_end(text, i + 2)
        if text[end - 2 : end] == "))":
            return str(arith(text[i + 3 : end - 2], env)), end
    if text.startswith("$(", i):
        end = _paren_end(text, i + 2)
        return _strip_newlines(env.substitute(text[i + 2 : end - 1])), end
    if text.startswith("${", i):
        end = text.index("}", i + 2)
        return _braced(text[i + 2 : end], env), end + 1
    m = _NAME.match(text, i + 1)
    if m:
        return env.var(m.group(0)) or "", m.end()
    if i + 1 < len(text) and _SPECIAL.match(text[i + 1]):
        name = text[i + 1]
        return (str(env.status) if name == "?" else env.var(name) or ""), i + 2
    return "$", i + 1


def _braced(inner: str, env: Environment) -> str:
    """${NAME}, ${#NAME}, ${NAME:-word}, ${NAME-word}, ${NAME:=word}, ${NAME:+word},
    ${NAME:OFFSET[:LENGTH]}, ${NAME#pattern}, ${NAME##…}, ${NAME%…}, ${NAME%%…}."""
    if inner.startswith("#") and _NAME.fullmatch(inner[1:]):
        return str(len(env.var(inner[1:]) or ""))
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*):\s*(-?\s*\d+)(?::\s*(-?\d+))?", inner)
    if m:
        text = env.var(m.group(1)) or ""
        start = int(m.group(2).replace(" ", ""))
        start = max(0, len(text) + start) if start < 0 else start
        if m.group(3) is None:
            return text[start:]
        length = int(m.group(3))
        return text[start : start + length] if length >= 0 else text[start:length]
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(##?|%%?)(.*)", inner, re.S)
    if m:
        return _trim(env.var(m.group(1)) or "", m.group(2), expand_one(m.group(3), env))
    m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*|[?$#!0-9])(?:(:?)([-=+?])(.*))?", inner, re.S)
    if not m:
        raise ShellSyntaxError(f"${{{inner}}}: bad substitution")
    name, colon, op, word = m.groups()
    value: str | None = str(env.status) if name == "?" else env.var(name)
    unset = value is None or (colon and value == "")
    if op is None:
        return value or ""
    if op == "-":
        return expand_one(word, env) if unset else value or ""
    if op == "=":
        if unset:
            value = expand_one(word, env)
            env.set_var(name, value)
        return value or ""
    if op == "+":
        return "" if unset else expand_one(word, env)
    if unset:  # ?
        raise ShellSyntaxError(f"{name}: {expand_one(word, env) or 'parameter null or not set'}")
    return value or ""


def _trim(value: str, op: str, pattern: str) -> str:
    """${X#p} ${X##p} (a prefix off) and ${X%p} ${X%%p} (a suffix off): shortest or longest."""
    import fnmatch

    cuts = range(len(value) + 1)
    if op.startswith("#"):
        order = reversed(cuts) if op == "##" else cuts
        for k in order:
            if fnmatch.fnmatchcase(value[:k], pattern):
                return value[k:]
        return value
    order = cuts if op == "%%" else reversed(cuts)
    for k in order:
        if fnmatch.fnmatchcase(value[k:], pattern):
            return value[:k]
    return value


def _strip_newlines(text: str) -> str:
    return text.rstrip("\n")


# -- bytes and backslash escapes --------------------------------------------------------------

# The shells' text streams are str. A byte that is not UTF-8 (printf '\xff') travels in
# them as Python's surrogate escape, so that it reaches a file, a secret or `wc -c` as
# the byte it was.


def to_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def from_bytes(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def shown(text: str) -> str:
    """Text as a terminal shows it: a byte that is not UTF-8 becomes U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_SIMPLE_ESCAPES = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f",
    "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
}  # fmt: skip
_ESCAPE = re.compile(
    r"\\(?:([abeEfnrtv\\])|([0-7]{1,4})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{1,4})"
    r"|U([0-9a-fA-F]{1,8})|(c)|([\"'?]))"
)


def backslash_escapes(text: str, *, echo: bool) -> tuple[str, bool]:
    """bash's backslash escapes, as `echo -e` and printf's %b take them (echo=True) or as
    printf's format does. An octal byte is \\NNN, and \\0NNN for echo; \\" \\' \\? are
    quotes only in a format, where \\c is kept as typed. Returns the text and whether \\c
    asked to stop printing there."""
    out: list[str] = []
    pos = 0
    for m in _ESCAPE.finditer(text):
        simple, octal, hexa, u4, u8, stop, quote = m.groups()
        out.append(text[pos : m.start()])
        pos = m.end()
        if simple is not None:
            out.append(_SIMPLE_ESCAPES[simple])
        elif octal is not None:
            n = 4 if echo and octal[0] == "0" else 3
            out.append(_byte(int(octal[:n], 8) & 0xFF) + octal[n:])
        elif hexa is not None:
            out.append(_byte(int(hexa, 16)))
        elif u4 is not None or u8 is not None:
            code = int(u4 or u8, 16)
            out.append(chr(code) if code < 0x110000 and not 0xD800 <= code < 0xE000 else "?")
        elif stop is not None and echo:
            return "".join(out), True
        else:
            out.append(quote if quote is not None and not echo else m.group(0))
    out.append(text[pos:])
    return "".join(out), False


MAX_WIDTH = 1 << 16
_CONVERSION = re.compile(r"%([-+ #0]*)(\*|\d*)(?:\.(\*|\d*))?([diouxXcsbqfFeEgG%])?")


def printf(fmt: str, values: list[str]) -> tuple[str, list[str]]:
    """bash's printf: the format is used again while values are left. Returns the text
    and the errors (`abc: invalid number`) printf reports after printing."""
    out: list[str] = []
    errors: list[str] = []
    fmt, _ = backslash_escapes(fmt, echo=False)
    taken = 0  # of the values, over all the rounds

    def take() -> str:
        nonlocal taken
        taken += 1
        return values[taken - 1] if taken <= len(values) else ""

    while True:
        start = taken

        def number(text: str, kind: type) -> int | float:
            try:
                if text[:1] in ("'", '"'):
                    return ord(text[1]) if len(text) > 1 else 0  # 'A → the character's code
                return kind(int(text, 0)) if kind is int else float(text or 0)
            except (ValueError, OverflowError):
                errors.append(f"{text}: invalid number")
                return kind(0)

        pos = 0
        for m in _CONVERSION.finditer(fmt):
            out.append(fmt[pos : m.start()])
            pos = m.end()
            flags, width, precision, conv = m.groups()
            if conv is None:
                out.append(m.group(0))  # a lone % is printed as typed
                continue
            if conv == "%":
                out.append("%")
                continue
            if width == "*":
                width = str(int(number(take(), int)))
            if precision == "*":
                precision = str(int(number(take(), int)))
            # The lab's bound: a width of 10^9 would print a gigabyte of spaces.
            width = str(min(int(width), MAX_WIDTH)) if width else width
            if precision:
                precision = str(min(int(precision), MAX_WIDTH))
            spec = "%" + flags + width + ("." + precision if precision is not None else "")
            value = take()
            if conv == "b":
                text, stop = backslash_escapes(value, echo=True)
                out.append((spec + "s") % text)
                if stop:
                    return "".join(out), errors
            elif conv == "q":
                out.append((spec + "s") % _shell_quote(value))
            elif conv == "s":
                out.append((spec + "s") % value)
            elif conv == "c":
                out.append((spec + "s") % value[:1])
            elif conv in "diouxX":
                n = int(number(value, int)) if value else 0
                if conv == "u" and n < 0:
                    n += 1 << 64
                out.append((spec + {"i": "d", "u": "d"}.get(conv, conv)) % n)
            else:
                out.append((spec + conv) % float(number(value, float) if value else 0))
        out.append(fmt[pos:])
        if taken >= len(values) or taken == start:
            return "".join(out), errors


def _shell_quote(value: str) -> str:
    if value and re.fullmatch(r"[\w@%+=:,./-]+", value):
        return value
    if not value:
        return "''"
    return re.sub(r"([^\w@%+=:,./-])", r"\\\1", value)


def _byte(value: int) -> str:
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


# -- test, [ ---------------------------------------------------------------------------------

_INT_OPS: dict[str, Callable[[int, int], bool]] = {
    "-eq": operator.eq,
    "-ne": operator.ne,
    "-lt": operator.lt,
    "-le": operator.le,
    "-gt": operator.gt,
    "-ge": operator.ge,
}


def test(args: list[str], exists: Callable[[str], bool]) -> tuple[int, str]:
    """`test EXPR` and `[ EXPR ]`, as both shells have them: (status, error). Strings,
    integers, -z/-n, -e/-f/-d (through `exists`), !, and -a/-o between expressions."""
    if args and args[0] == "[":
        args = args[1:]
        if not args or args[-1] != "]":
            return 2, "[: missing `]'"
        args = args[:-1]
    try:
        return (0 if _test_or(args, exists) else 1), ""
    except ValueError as exc:
        return 2, str(exc)


def _test_or(args: list[str], exists: Callable[[str], bool]) -> bool:
    if "-o" in args[1:-1]:
        k = args.index("-o", 1)
        return _test_or(args[:k], exists) or _test_or(args[k + 1 :], exists)
    if "-a" in args[1:-1]:
        k = args.index("-a", 1)
        return _test_or(args[:k], exists) and _test_or(args[k + 1 :], exists)
    if args[:1] == ["!"]:
        return not _test_or(args[1:], exists)
    if len(args) == 0:
        return False
    if len(args) == 1:
        return args[0] != ""
    if len(args) == 2:
        op, a = args
        unary = {"-z": a == "", "-n": a != ""}
        if op in unary:
            return unary[op]
        if op in ("-e", "-f", "-d", "-s", "-r", "-w", "-x"):
            return exists(a)
        raise ValueError(f"{op}: unary operator expected")
    if len(args) == 3:
        a, op, b = args
        if op in _INT_OPS:
            for v in (a, b):
                if not re.fullmatch(r"\s*-?\d+\s*", v):
                    raise ValueError(f"{v}: integer expression expected")
            return _INT_OPS[op](int(a), int(b))
        if op in ("=", "=="):
            return a == b
        if op == "!=":
            return a != b
        raise ValueError(f"{op}: binary operator expected")
    raise ValueError("too many arguments")


# -- arithmetic ------------------------------------------------------------------------------

_BINARY: dict[type, Callable[[int, int], int]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Mod: lambda a, b: int(a - b * int(a / b)),  # C's remainder, like sh's
    ast.FloorDiv: lambda a, b: int(a / b),  # C's division truncates toward zero
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_COMPARE: dict[type, Callable[[int, int], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


def arith(expr: str, env: Environment) -> int:
    """$(( … )): integers, variables by name, + - * / % **, comparisons, && || !."""
    text = expr.strip()
    for name in set(re.findall(r"\$?([A-Za-z_][A-Za-z0-9_]*)", text)):
        value = env.var(name) or "0"
        if not re.fullmatch(r"\s*-?\d+\s*", value):
            value = str(arith(value, env)) if value.strip() else "0"
        text = re.sub(rf"\$?\b{name}\b", f"({value.strip()})", text)
    text = text.replace("&&", " and ").replace("||", " or ").replace("/", "//")
    text = re.sub(r"!(?!=)", " not ", text)
    try:
        tree = ast.parse(text or "0", mode="eval")
        return int(_eval(tree.body))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError) as exc:
        reason = "division by 0" if isinstance(exc, ZeroDivisionError) else "syntax error"
        raise ShellSyntaxError(f"{expr.strip()}: {reason} in expression") from None


def _eval(node: ast.AST) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        right = _eval(node.right)
        if isinstance(node.op, ast.Pow) and right > 64:
            raise OverflowError()
        return _BINARY[type(node.op)](_eval(node.left), right)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return value
        if isinstance(node.op, ast.Not):
            return int(not value)
        if isinstance(node.op, ast.Invert):
            return ~value
    if isinstance(node, ast.BoolOp):
        values = [_eval(v) for v in node.values]
        return int(all(values) if isinstance(node.op, ast.And) else any(values))
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _eval(node.left)
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp)
            if not _COMPARE[type(op)](left, right):
                return 0
            left = right
        return 1
    raise ValueError("not arithmetic")
