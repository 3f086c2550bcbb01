"""The text tools on a lab host, as GNU coreutils has them: cat, head, tail, wc, sort,
uniq, cut, tr, tee, sed, seq, xargs — with their common flags, GNU's words for a wrong
one, and (where the tool can) reading a pipe a line at a time, so that
`docker service logs -f web | cut -d'|' -f2` shows each line as it comes.

grep is in grep.py (the containers' shell has it too).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import grep as greplib
from . import sed as sedlib
from . import shlang
from .getopt import UsageError, getopt
from .shtools import IO, Tools, builtin, line_filter


def _usage(io: IO, prog: str, exc: UsageError, status: int = 1) -> int:
    message = str(exc)
    io.err((message + "\n" if message else "") + f"Try '{prog} --help' for more information.\n")
    return status


def _read_files(sh: Tools, prog: str, names: list[str], io: IO) -> tuple[str, bool]:
    """The named files' text, one after another ("-" is standard input); whether one
    could not be read (said on standard error)."""
    text, failed = "", False
    for name in names:
        if name == "-":
            text += io.stdin or ""
        elif name in sh.files:
            text += sh.files[name]
        elif sh.busybox:
            io.err(f"{prog}: can't open '{name}': No such file or directory\n")
            failed = True
        else:
            io.err(f"{prog}: {name}: No such file or directory\n")
            failed = True
    return text, failed


class LineFilter:
    """A tool fed text as it comes, handling it a whole line at a time; named files,
    when given, are read instead of standard input when it is closed."""

    prog = ""

    def __init__(self, sh: Tools, io: IO, files: list[str]) -> None:
        self.sh = sh
        self.io = io
        self.files = files
        self.partial = ""
        self.failed = False
        self.done = False  # it reads no more: a pipe into it is broken
        # What ends the line being handled: "" for a last line without its newline, which
        # cat, tee and head hand on as it was (grep, sort, cut … end it).
        self.eol = "\n"

    def feed(self, text: str) -> None:
        if self.files:
            return  # it reads its files, not the pipe
        text = self.partial + text
        lines = text.split("\n")
        self.partial = lines.pop()
        for line in lines:
            self.line(line)

    def close(self) -> int:
        if self.files:
            for name in self.files:
                self.begin(name)
                text, failed = _read_files(self.sh, self.prog, [name], self.io)
                self.failed |= failed
                if not failed:
                    lines = _split(text)
                    for k, line in enumerate(lines, 1):
                        self.eol = "" if k == len(lines) and not text.endswith("\n") else "\n"
                        self.line(line)
                    self.eol = "\n"
                self.end(name)
        else:
            self.begin("-")
            if self.partial:
                self.eol = ""
                self.line(self.partial)
                self.eol = "\n"
                self.partial = ""
            self.end("-")
        return self.finish()

    def begin(self, name: str) -> None:
        pass

    def line(self, text: str) -> None:
        raise NotImplementedError

    def end(self, name: str) -> None:
        pass

    def finish(self) -> int:
        return 1 if self.failed else 0


def _split(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# -- echo, printf --------------------------------------------------------------------------


@builtin("echo")
def _echo(sh: Tools, args: list[str], io: IO) -> int:
    newline, interpret = True, False
    while args and args[0] in ("-n", "-e", "-ne", "-en", "-E"):
        flag = args.pop(0)
        newline = newline and "n" not in flag
        interpret = interpret or "e" in flag
    text = " ".join(args)
    if interpret:
        text, stop = shlang.backslash_escapes(text, echo=True)
        newline = newline and not stop
    io.out(text + ("\n" if newline else ""))
    return 0


@builtin("printf")
def _printf(sh: Tools, args: list[str], io: IO) -> int:
    if not args:
        io.err("-bash: printf: usage: printf [-v var] format [arguments]\n")
        return 2
    text, errors = shlang.printf(args[0], args[1:])
    io.out(text)
    for error in errors:
        io.err(f"-bash: printf: {error}\n")
    return 1 if errors else 0


# -- cat, tee --------------------------------------------------------------------------------


@line_filter("cat")
def _cat(sh: Tools, args: list[str], io: IO) -> LineFilter | int:
    try:
        opts, files = getopt(args, "cat", "nAEsTvbu", {"number": "n", "show-ends": "E"})
    except UsageError as exc:
        return _usage(io, "cat", exc)
    flags = {name for name, _ in opts}

    class Cat(LineFilter):
        prog = "cat"
        number = 0

        def line(self, text: str) -> None:
            if "n" in flags or ("b" in flags and text):
                self.number += 1
                text = f"{self.number:6d}\t{text}"
            self.io.out(text + ("$" if "E" in flags and self.eol else "") + self.eol)

    return Cat(sh, io, [f for f in files if f != "-"] if files != ["-"] else [])


@line_filter("tee")
def _tee(sh: Tools, args: list[str], io: IO) -> LineFilter | int:
    try:
        opts, files = getopt(args, "tee", "ai", {"append": "a"})
    except UsageError as exc:
        return _usage(io, "tee", exc)
    append = any(name == "a" for name, _ in opts)
    for name in files:
        if not append or name not in sh.files:
            sh.files[name] = ""

    class Tee(LineFilter):
        prog = "tee"

        def line(self, text: str) -> None:
            for name in files:
                sh.files[name] += text + self.eol
            self.io.out(text + self.eol)

    return Tee(sh, io, [])


# -- head, tail ------------------------------------------------------------------------------


def _count(value: str, prog: str, what: str) -> tuple[int, bool]:
    """-n's value: (count, from the start with +N / all but the last with -N)."""
    m = re.fullmatch(r"([+-]?)(\d+)", value.strip())
    if not m:
        raise UsageError(f"{prog}: invalid number of {what}: '{value}'")
    return int(m.group(2)), m.group(1) != ""


def _head_tail_args(prog: str, args: list[str]) -> tuple[str, int, bool, bool, list[str]]:
    """(unit "lines"/"bytes", count, signed, follow, files) of head's or tail's args."""
    args = [f"-n{a[1:]}" if re.fullmatch(r"-\d+", a) else a for a in args]
    short = "n:c:qvfF" if prog == "tail" else "n:c:qv"
    opts, files = getopt(
        args,
        prog,
        short,
        {"lines=": "n", "bytes=": "c", "quiet": "q", "silent": "q", "follow": "f"},
    )
    unit, count, signed, follow = "lines", 10, False, False
    for name, value in opts:
        if name in ("n", "c"):
            unit = "lines" if name == "n" else "bytes"
            count, signed = _count(value, prog, unit)
            if prog == "head" and value.strip().startswith("+"):
                signed = False
        elif name in ("f", "F"):
            follow = True
    return unit, count, signed, follow, files


@line_filter("head")
def _head(sh: Tools, args: list[str], io: IO) -> LineFilter | int:
    try:
        unit, count, all_but, _, files = _head_tail_args("head", args)
    except UsageError as exc:
        return _usage(io, "head", exc)
    many = len(files) > 1

    class Head(LineFilter):
        prog = "head"
        seen = 0
        held: list[str] = []
        first = True

        def begin(self, name: str) -> None:
            self.seen = 0
            self.held = []
            if many:
                self.io.out(("" if self.first else "\n") + f"==> {name} <==\n")
                self.first = False

        def feed(self, text: str) -> None:
            if unit == "bytes" and not all_but and not self.files:
                left = count - self.seen
                self.io.out(text[: max(left, 0)])
                self.seen += len(text[: max(left, 0)])
                self.done = self.seen >= count
                return
            super().feed(text)

        def line(self, text: str) -> None:
            if all_but or unit == "bytes":
                self.held.append(text)
                return
            if self.seen >= count:
                return
            self.seen += 1
            self.io.out(text + self.eol)
            # head has what it wants: whoever writes into its pipe next gets SIGPIPE
            self.done = self.seen >= count and not self.files

        def end(self, name: str) -> None:
            if all_but:
                keep = self.held[: max(0, len(self.held) - count)]
                self.io.out("".join(x + "\n" for x in keep))
            elif unit == "bytes" and self.held:
                self.io.out(("\n".join(self.held) + "\n")[:count])

    return Head(sh, io, files)


@builtin("tail")
def _tail(sh: Tools, args: list[str], io: IO) -> int:
    try:
        unit, count, from_start, follow, files = _head_tail_args("tail", args)
    except UsageError as exc:
        return _usage(io, "tail", exc)
    status = 0
    for k, name in enumerate(files or ["-"]):
        text, failed = _read_files(sh, "tail", [name], io)
        if failed:
            status = 1
            continue
        if len(files) > 1:
            io.out(("" if k == 0 else "\n") + f"==> {name} <==\n")
        if unit == "bytes":
            io.out(text[count - 1 :] if from_start else (text[-count:] if count else ""))
            continue
        lines = _split(text)
        chosen = lines[max(count - 1, 0) :] if from_start else (lines[-count:] if count else [])
        shown = "".join(x + "\n" for x in chosen)
        io.out(shown[:-1] if shown and not text.endswith("\n") else shown)
    if follow and files:
        sh.job.sleep(10 * 365 * 86400.0)  # the host's files never grow: until Ctrl-C
    return status


# -- wc, sort, uniq --------------------------------------------------------------------------


@builtin("wc")
def _wc(sh: Tools, args: list[str], io: IO) -> int:
    long = {"lines": "l", "words": "w", "bytes": "c", "chars": "m", "max-line-length": "L"}
    try:
        opts, files = getopt(args, "wc", "lwcmL", long)
    except UsageError as exc:
        return _usage(io, "wc", exc)
    chosen = [k for k in "lwmcL" if any(name == k for name, _ in opts)] or ["l", "w", "c"]

    def counts(text: str) -> dict[str, int]:
        return {
            "l": text.count("\n"),
            "w": len(text.split()),
            "c": len(shlang.to_bytes(text)),
            "m": len(text),
            "L": max((len(x) for x in text.split("\n")), default=0),
        }

    if not files:
        c = counts(io.stdin or "")
        if len(chosen) == 1:
            io.out(f"{c[chosen[0]]}\n")
        else:
            io.out(" ".join(f"{c[k]:7d}" for k in chosen) + "\n")
        return 0
    rows, status = [], 0
    total = dict.fromkeys(chosen, 0)
    for name in files:
        text, failed = _read_files(sh, "wc", [name], io)
        if failed:
            status = 1
            continue
        c = counts(text)
        rows.append(([c[k] for k in chosen], name))
        for k in chosen:
            total[k] += c[k]
    if len(files) > 1:
        rows.append(([total[k] for k in chosen], "total"))
    width = max((len(str(v)) for values, _ in rows for v in values), default=1)
    for values, name in rows:
        io.out(" ".join(f"{v:{width}d}" for v in values) + f" {name}\n")
    return status


@builtin("sort")
def _sort(sh: Tools, args: list[str], io: IO) -> int:
    long = {
        "numeric-sort": "n",
        "reverse": "r",
        "unique": "u",
        "key=": "k",
        "field-separator=": "t",
        "ignore-case": "f",
        "ignore-leading-blanks": "b",
        "human-numeric-sort": "h",
        "version-sort": "V",
        "stable": "s",
    }
    try:
        opts, files = getopt(args, "sort", "nrufbhsVk:t:", long)
        flags = {name for name, _ in opts}
        sep = next((v for name, v in opts if name == "t"), None)
        keys = [_sort_key(v) for name, v in opts if name == "k"]
    except UsageError as exc:
        return _usage(io, "sort", exc, 2)
    text, failed = _read_files(sh, "sort", files, io) if files else (io.stdin or "", False)
    lines = _split(text)

    def fields(line: str) -> list[str]:
        return line.split(sep) if sep is not None else re.findall(r"\s*\S+", line)

    def value(s: str, numeric: bool) -> tuple:
        if numeric:
            m = re.match(r"\s*(-?\d+(\.\d+)?)", s)
            return (float(m.group(1)) if m else 0.0, s)
        s = s.strip() if "b" in flags else s
        return (s.lower() if "f" in flags else s,)

    def key(line: str) -> tuple:
        numeric = bool(flags & {"n", "h"})
        if not keys:
            return value(line, numeric)
        cols = fields(line)
        out: tuple = ()
        for start, end, own in keys:
            joiner = sep if sep is not None else ""
            part = joiner.join(cols[start - 1 : end]) if end else joiner.join(cols[start - 1 :])
            out += value(part.lstrip() if sep is None else part, numeric or "n" in own)
        return out

    def ordered(line: str) -> tuple:
        # equal keys: the whole lines byte by byte decide, unless -s (GNU's last resort)
        return key(line) if "s" in flags else key(line) + (line,)

    lines.sort(key=ordered, reverse="r" in flags or any("r" in own for _, _, own in keys))
    if "u" in flags:
        lines = list(dict.fromkeys(lines))
    io.out("".join(x + "\n" for x in lines))
    return 2 if failed else 0


def _sort_key(spec: str) -> tuple[int, int | None, str]:
    """-k POS1[,POS2] with letters after a field (-k2n): (first field, last, letters)."""
    m = re.fullmatch(r"(\d+)(?:\.\d+)?([a-zA-Z]*)(?:,(\d+)(?:\.\d+)?([a-zA-Z]*))?", spec)
    if not m or int(m.group(1)) == 0:
        raise UsageError(f"sort: invalid number at field start: invalid count at start of '{spec}'")
    end = int(m.group(3)) if m.group(3) else None
    return int(m.group(1)), end, m.group(2) + (m.group(4) or "")


@line_filter("uniq")
def _uniq(sh: Tools, args: list[str], io: IO) -> LineFilter | int:
    long = {"count": "c", "repeated": "d", "unique": "u", "ignore-case": "i"}
    try:
        opts, files = getopt(args, "uniq", "cdui", long)
    except UsageError as exc:
        return _usage(io, "uniq", exc)
    flags = {name for name, _ in opts}

    class Uniq(LineFilter):
        prog = "uniq"
        prev: str | None = None
        count = 0

        def same(self, a: str, b: str) -> bool:
            return a.lower() == b.lower() if "i" in flags else a == b

        def line(self, text: str) -> None:
            if self.prev is not None and self.same(self.prev, text):
                self.count += 1
                return
            self.flush()
            self.prev, self.count = text, 1

        def flush(self) -> None:
            if self.prev is None:
                return
            if ("d" in flags and self.count < 2) or ("u" in flags and self.count > 1):
                return
            shown = f"{self.count:7d} {self.prev}" if "c" in flags else self.prev
            self.io.out(shown + "\n")

        def finish(self) -> int:
            self.flush()
            self.prev = None
            return super().finish()

    return Uniq(sh, io, files[:1])


# -- cut, tr ---------------------------------------------------------------------------------


def _ranges(spec: str) -> Callable[[int], bool]:
    """cut's LIST: N, N-M, N-, -M, separated by commas (1-based)."""
    parts = []
    for part in spec.split(","):
        lo, dash, hi = part.partition("-")
        if not (lo or hi) or not (lo or "1").isdigit() or not (hi or "1").isdigit():
            raise ValueError(part)
        if (lo and int(lo) == 0) or (hi and int(hi) == 0 and not lo):
            raise ValueError(part)
        parts.append((int(lo or 1), int(hi) if hi else (None if dash else int(lo))))
    return lambda n: any(lo <= n and (hi is None or n <= hi) for lo, hi in parts)


@line_filter("cut")
def _cut(sh: Tools, args: list[str], io: IO) -> LineFilter | int:
    """cut -c LIST | -b LIST | -f LIST [-d DELIM] [-s] [--output-delimiter=S]."""
    long = {
        "delimiter=": "d",
        "fields=": "f",
        "characters=": "c",
        "bytes=": "b",
        "only-delimited": "s",
        "output-delimiter=": "output-delimiter",
        "complement": "complement",
    }
    try:
        opts, files = getopt(args, "cut", "d:f:c:b:s", long)
    except UsageError as exc:
        return _usage(io, "cut", exc)
    delim, mode, spec, only, out_delim = "\t", "", "", False, None
    complement = False
    for name, value in opts:
        if name == "d":
            if len(value) != 1:
                return _usage(
                    io, "cut", UsageError("cut: the delimiter must be a single character")
                )
            delim = value
        elif name in ("f", "c", "b"):
            if mode:
                return _usage(io, "cut", UsageError("cut: only one type of list may be specified"))
            mode, spec = name, value
        elif name == "s":
            only = True
        elif name == "output-delimiter":
            out_delim = value
        elif name == "complement":
            complement = True
    if not mode:
        return _usage(
            io, "cut", UsageError("cut: you must specify a list of bytes, characters, or fields")
        )
    try:
        chosen = _ranges(spec)
    except ValueError:
        what = "field" if mode == "f" else "byte/character position"
        return _usage(io, "cut", UsageError(f"cut: invalid {what} '{spec}'" if spec else ""))

    def wanted(n: int) -> bool:
        return chosen(n) != complement

    class Cut(LineFilter):
        prog = "cut"

        def line(self, text: str) -> None:
            if mode in "cb":
                self.io.out("".join(ch for n, ch in enumerate(text, 1) if wanted(n)) + "\n")
                return
            cols = text.split(delim)
            if len(cols) == 1:
                if not only:
                    self.io.out(text + "\n")
                return
            joiner = delim if out_delim is None else out_delim
            self.io.out(joiner.join(c for n, c in enumerate(cols, 1) if wanted(n)) + "\n")

    return Cut(sh, io, files)


_TR_CLASSES = {
    "[:lower:]": "abcdefghijklmnopqrstuvwxyz",
    "[:upper:]": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "[:digit:]": "0123456789",
    "[:space:]": " \t\n\r\f\v",
    "[:blank:]": " \t",
    "[:alpha:]": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "[:alnum:]": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "[:punct:]": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
}


def _tr_set(text: str) -> str:
    """tr's SET: escapes, ranges (a-z) and the common classes ([:upper:])."""
    for name, chars in _TR_CLASSES.items():
        text = text.replace(name, chars)
    text, _ = shlang.backslash_escapes(text, echo=False)
    out: list[str] = []
    i = 0
    while i < len(text):
        if i + 2 < len(text) and text[i + 1] == "-" and text[i] <= text[i + 2]:
            out.extend(chr(c) for c in range(ord(text[i]), ord(text[i + 2]) + 1))
            i += 3
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@line_filter("tr")
def _tr(sh: Tools, args: list[str], io: IO) -> LineFilter | int:
    long = {"delete": "d", "squeeze-repeats": "s", "complement": "c"}
    try:
        opts, sets = getopt(args, "tr", "dscC", long)
    except UsageError as exc:
        return _usage(io, "tr", exc)
    flags = {name for name, _ in opts}
    need = 1 if ("d" in flags or "s" in flags) and not ("d" in flags and "s" in flags) else 2
    if "s" in flags and len(sets) == 2 and "d" not in flags:
        need = 2
    if len(sets) < need:
        after = f" after '{sets[-1]}'" if sets else ""
        message = "missing operand" + after
        if sets and need == 2:
            message += "\nTwo strings must be given when translating."
        return _usage(io, "tr", UsageError(f"tr: {message}"))
    if len(sets) > need:
        return _usage(io, "tr", UsageError(f"tr: extra operand '{sets[need]}'"))
    src = _tr_set(sets[0])
    dst = _tr_set(sets[1]) if len(sets) > 1 else ""
    if "c" in flags or "C" in flags:
        everything = "".join(chr(c) for c in range(256))
        src = "".join(ch for ch in everything if ch not in src)
    table: dict
    if "d" in flags:
        table = str.maketrans("", "", src)
        squeeze = set(dst) if "s" in flags else set()
    elif dst:
        dst = dst.ljust(len(src), dst[-1:] or " ")
        table = str.maketrans(src, dst[: len(src)])
        squeeze = set(dst) if "s" in flags else set()
    else:
        table = {}
        squeeze = set(src)

    class Tr(LineFilter):
        prog = "tr"

        def feed(self, text: str) -> None:  # tr works on characters, newlines included
            out = text.translate(table)
            if squeeze:
                out = re.sub(
                    "|".join(f"(?:{re.escape(c)})+" for c in sorted(squeeze)),
                    lambda m: m.group(0)[0],
                    out,
                )
            self.io.out(out)

        def close(self) -> int:
            return 0

    return Tr(sh, io, [])


# -- sed -------------------------------------------------------------------------------------


@builtin("sed")
def _sed(sh: Tools, args: list[str], io: IO) -> int:
    def read(files: list[str]) -> tuple[str, str]:
        if not files:
            return io.stdin or "", ""
        text, err = "", ""
        for name in files:
            if name in sh.files:
                text += sh.files[name]
            else:
                err += f"sed: can't read {name}: No such file or directory\n"
        return text, err

    out, err, status = sedlib.sed(args, read)
    io.out(out)
    io.err(err)
    return status


# -- seq, xargs ------------------------------------------------------------------------------


@builtin("seq")
def _seq(sh: Tools, args: list[str], io: IO) -> int:
    sep = "\n"
    nums = []
    it = iter(args)
    for a in it:
        if a in ("-s", "--separator"):
            sep = next(it, "\n")
        elif re.fullmatch(r"-?\d+(\.\d+)?", a):
            nums.append(a)
        else:
            io.err(f"seq: invalid floating point argument: '{a}'\n"
                   "Try 'seq --help' for more information.\n")  # fmt: skip
            return 1
    if not 1 <= len(nums) <= 3:
        io.err("seq: missing operand\nTry 'seq --help' for more information.\n")
        return 1
    values = [float(x) for x in nums]
    first, step, last = (
        (1.0, 1.0, values[0])
        if len(values) == 1
        else ((values[0], 1.0, values[1]) if len(values) == 2 else tuple(values))
    )
    if step == 0:
        io.err("seq: invalid Zero increment value: '0'\n")
        return 1
    out, x = [], first
    while (step > 0 and x <= last) or (step < 0 and x >= last):
        out.append(str(int(x)) if all("." not in n for n in nums) else f"{x:g}")
        x += step
        if len(out) > 100_000:
            break
    if out:
        io.out(sep.join(out) + "\n")
    return 0


@builtin("xargs")
def _xargs(sh: Tools, args: list[str], io: IO) -> int:
    """xargs [-n N] [-I REPLACE] [-r] [COMMAND [ARG]...]: run COMMAND with the words of
    standard input as its arguments — `docker service ls -q | xargs docker service rm`."""
    from . import shlang

    try:
        opts, command = _xargs_opts(args)
    except UsageError as exc:
        return _usage(io, "xargs", exc)
    per_call = next((int(v) for name, v in opts if name == "n"), None)
    replace = next((v for name, v in opts if name == "I"), None)
    no_empty = any(name == "r" for name, _ in opts)
    command = command or ["echo"]
    text = io.stdin or ""
    if replace is not None:
        items = [x for x in text.split("\n") if x.strip()]
        status = 0
        for item in items:
            argv = [a.replace(replace, item) for a in command]
            status = max(status, _xargs_run(sh, argv, io))
        return status
    try:
        words = [x for w in shlang.tokenize(text.replace("\n", " ")) for x in [w.text]]
        words = [shlang.expand_one(w, sh) for w in words]
    except shlang.ShellSyntaxError:
        io.err("xargs: unmatched quote; by default quotes are special to xargs unless you "
               "use the -0 option\n")  # fmt: skip
        return 1
    if not words and no_empty:
        return 0
    batches = (
        [words]
        if per_call is None
        else [words[i : i + per_call] for i in range(0, len(words), per_call)] or [[]]
    )
    status = 0
    for batch in batches:
        status = max(status, _xargs_run(sh, command + batch, io))
    return status


def _xargs_opts(args: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """xargs' options stop at the command: what follows is the command's own."""
    opts: list[tuple[str, str]] = []
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        a = args[i]
        if a in ("-n", "-I", "-L", "-P", "-d") and i + 1 < len(args):
            opts.append((a[1], args[i + 1]))
            i += 2
            continue
        if re.fullmatch(r"-[nILP].+", a):
            opts.append((a[1], a[2:]))
        elif a in ("-r", "--no-run-if-empty"):
            opts.append(("r", ""))
        elif a in ("-t", "--verbose", "-0", "--null", "-x"):
            pass
        else:
            raise UsageError(f"xargs: invalid option -- '{a.lstrip('-')[:1]}'")
        i += 1
    if any(name == "n" and not value.isdigit() for name, value in opts):
        bad = next(v for name, v in opts if name == "n" and not v.isdigit())
        raise UsageError(f'xargs: invalid number "{bad}" for -n option')
    return opts, args[i:]


def _xargs_run(sh: Tools, argv: list[str], io: IO) -> int:
    status = sh.execute(argv, IO(None, io.out, io.err, tty=io.tty))
    return 123 if 0 < status < 125 else status


# -- grep ------------------------------------------------------------------------------------


@line_filter("grep", "egrep", "fgrep")
def _grep(sh: Tools, args: list[str], io: IO) -> LineFilter | int:
    try:
        g = greplib.Grep(args)
    except UsageError as exc:
        io.err((f"{exc}\n" if str(exc) else "") + greplib.USAGE)
        return 2

    class GrepFilter(LineFilter):
        prog = "grep"

        def begin(self, name: str) -> None:
            g.start("(standard input)" if name == "-" else name)

        def feed(self, text: str) -> None:
            if not self.files and not hasattr(self, "started"):
                self.started = True
                g.start("(standard input)")
            super().feed(text)

        def line(self, text: str) -> None:
            self.io.out(g.line(text))

        def close(self) -> int:
            if self.files:
                for name in self.files:
                    text, failed = _read_files(self.sh, "grep", [name], self.io)
                    if failed:
                        g.errors = True
                        continue
                    g.start(name)
                    for line in _split(text):
                        self.io.out(g.line(line))
                    self.io.out(g.end())
                return g.status
            if not hasattr(self, "started"):
                g.start("(standard input)")
            if self.partial:
                self.io.out(g.line(self.partial))
                self.partial = ""
            self.io.out(g.end())
            return g.status

    return GrepFilter(sh, io, g.files)
