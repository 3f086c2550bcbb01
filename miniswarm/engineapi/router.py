"""A request to a daemon's Engine API, and its response — the contract between the
docker CLI (ours in-process, or the real one over a socket) and dockerd.

`dispatch` runs on the host's own loop: it strips the version prefix (/v1.41/...)
and checks it as moby's version middleware does, finds the route, decodes the JSON body
and the query as moby does (Go's ParseBool, moby's BoolValue, filters in either of their
two JSON forms), calls the handler and encodes what it answers. A DaemonError becomes
docker's `{"message": ...}` with its status; an unknown path is moby's 404 "page not
found".
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote

from .. import engine
from ..daemonerror import DaemonError
from . import encoding

MIN_API_VERSION = engine.ENGINE_MIN_API_VERSION
# The daemon is 20.10's (API 1.41, what /_ping tells a client to use); a newer client that
# insists on its own version, up to docker 28.2's 1.50, is served all the same.
MAX_API_VERSION = "1.50"

JSON = "application/json"


@dataclass
class Request:
    method: str
    path: str  # without the query string; "/v1.41/nodes" or "/nodes"
    query: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, method: str, target: str, body: bytes = b"", headers=None) -> Request:
        """From an HTTP request line's method and target ("/v1.41/nodes?filters=...")."""
        path, _, query = target.partition("?")
        return cls(
            method.upper(), path, parse_qs(query, keep_blank_values=True), body, headers or {}
        )

    # -- the query, read as moby reads it ------------------------------------------------------

    def arg(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool:
        """moby's httputils.BoolValue: anything but "", 0, no, false and none is true."""
        return self.arg(name).strip().lower() not in ("", "0", "no", "false", "none")

    def strict_flag(self, name: str, default: bool = False) -> bool:
        """Go's strconv.ParseBool (insertDefaults, status): a bad value is a 400."""
        value = self.arg(name)
        if value == "":
            return default
        if value in ("1", "t", "T", "TRUE", "true", "True"):
            return True
        if value in ("0", "f", "F", "FALSE", "false", "False"):
            return False
        raise DaemonError(f'strconv.ParseBool: parsing "{value}": invalid syntax', 400)

    def integer(self, name: str, default: int = 0) -> int:
        value = self.arg(name)
        if value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise DaemonError(f"invalid {name}: {value!r} is not a number", 400) from None

    def filters(self) -> dict[str, list[str]]:
        """?filters= as the CLI sends it ({"name": {"web": true}}) or as docker-py does
        ({"name": ["web"]})."""
        text = self.arg("filters")
        if not text:
            return {}
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            raise DaemonError("invalid filter: " + text[:200], 400) from None
        if not isinstance(raw, dict):
            raise DaemonError("invalid filter: " + text, 400)
        out: dict[str, list[str]] = {}
        for key, values in raw.items():
            if isinstance(values, dict):
                out[str(key)] = [str(v) for v, on in values.items() if on]
            elif isinstance(values, list):
                out[str(key)] = [str(v) for v in values]
            else:
                raise DaemonError("invalid filter: " + text, 400)
        return out

    def json(self, default: Any = None) -> Any:
        if not self.body.strip():
            return default
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError) as exc:  # (UnicodeDecodeError is a ValueError)
            raise DaemonError(f"invalid JSON: {exc}", 400) from None

    def json_object(self) -> dict:
        """A body that must be a JSON object (a spec, a request)."""
        body = self.json({})
        if not isinstance(body, dict):
            raise DaemonError(
                f"json: cannot unmarshal {_go_kind(body)} into Go value of type struct", 400
            )
        return body

    def decode(self, go_type: Any) -> dict:
        """The body read into a Go struct (engineapi/schema.py), as moby reads it."""
        return go_type.decode(self.json_object())


class Response:
    """A daemon's answer. The store's objects it answers (`objects`: a list of them, or
    one) are written as they are read — by the client item by item, by the socket a
    piece at a time — so 100,000 tasks are never one JSON text in memory, as dockerd's
    encoder writes them to the connection as it goes; `body` writes them whole for
    whoever asks."""

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        content_type: str = JSON,
        headers: dict[str, str] | None = None,
        stream: Any = None,
        objects: Any = None,
        view: Callable[[Any], Any] | None = None,
    ) -> None:
        self.status = status
        self._body = body
        self.content_type = content_type
        self.headers = headers if headers is not None else {}
        self.stream = stream  # streams.LogStream or streams.ExecStream: the body goes on
        self.objects = objects
        # What each of a list of `objects` is shown as, made as it is read (the store's
        # own objects, `public`): never a copy of each at once
        self.view = view

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.content_type}, objects={self.objects is not None})"

    @property
    def body(self) -> bytes:
        if self.objects is not None:
            self._body, self.objects = b"".join(self.chunks()), None
        return self._body

    @body.setter
    def body(self, data: bytes) -> None:
        self._body, self.objects = data, None

    def chunks(self) -> Iterator[bytes]:
        """The body as it is written: a list of objects some hundred items at a time."""
        if self.objects is None:
            yield self._body
        elif type(self.objects) is list:
            yield from (piece.encode() for piece in encoding.pieces(self._shown(self.objects)))
        else:
            yield encoding.encode(self.objects, store_objects=True)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def take_items(self, keep: Callable[[Any], Any]) -> list[Any]:
        """A JSON list's items, each read and given to `keep` one at a time (what it
        returns is kept): a client that needs a few fields of 100,000 tasks never holds
        them all whole, as a Go client decoding into its own structs does not. `keep`
        picks fields out of an item and changes nothing. The body is let go of, as
        `take_json` does."""
        objects, self.objects = self.objects, None
        if type(objects) is list:
            # In process the items are the store's own objects: what `keep` picks out of
            # them (a projection) is read back through JSON, as if picked out of the JSON,
            # and the rest is neither written nor read. A thousand at a time, so that
            # they share their keys as one JSON text's objects do. (A field picker gives
            # what it picks as JSON would: nothing to read back.)
            picker = getattr(keep, _PICKS_FIELDS, False)
            view = None if picker else self.view
            kept: list[Any] = []
            for start in range(0, len(objects), 1000):
                items = objects[start : start + 1000]
                picked = [keep(item) for item in (items if view is None else _Shown(items, view))]
                kept += picked if picker else encoding.through_json(picked)
            return kept
        self.objects = objects
        return [keep(item) for item in _json_items(self._take_text())]

    def take_one(self, keep: Callable[[Any], Any]) -> Any:
        """What `keep` picks out of the one object answered (as `take_items` does of
        each of a list's)."""
        objects, self.objects = self.objects, None
        if objects is not None and type(objects) is not list:
            return encoding.through_json(keep(objects))
        self.objects = objects
        return keep(self.take_json())

    def take_json(self) -> Any:
        """The body read as JSON and let go of, as the Go client decodes a response from
        its stream: a long list's bytes are not held beside what they are read into."""
        objects, self.objects = self.objects, None
        if type(objects) is list:
            return [json.loads(text) for text in encoding.items(self._shown(objects))]
        if objects is not None:
            return json.loads(next(encoding.items([objects])))
        text = self._take_text()
        return json.loads(text) if text else None

    def _shown(self, objects: list) -> Any:
        """The listed objects as they are shown: each made so as it is read."""
        return objects if self.view is None else _Shown(objects, self.view)

    def _take_text(self) -> str:
        text, self.body = self.body.decode(), b""
        return text

    @property
    def error(self) -> str | None:
        """The daemon's message, if this is an error."""
        if self.status < 400:
            return None
        try:
            return str(self.json()["message"])
        except (ValueError, KeyError, TypeError):
            return self.body.decode(errors="replace")


_PICKS_FIELDS = "picks_fields"
_Keep = TypeVar("_Keep", bound=Callable[[Any], Any])


def picks_fields(kind: str) -> Callable[[_Keep], _Keep]:
    """Mark a `take_items` keep of `kind`'s objects ("tasks", "nodes") that reads an
    item's fields by their names alone — never one of the store's own ("_"-named), nor
    what only the shown object has (a node's ManagerStatus), never the item whole nor its
    keys — and gives them as JSON would give them (plain values, in lists and dicts of its
    own). It picks the same of a stored object as of the object shown, and what it picks
    needs no reading back: it is given the stored object, with no shown copy made for it,
    and what it gives is kept as it is (`service ps` of 2,000 tasks: a fifth of its
    time)."""

    def mark(keep: _Keep) -> _Keep:
        setattr(keep, _PICKS_FIELDS, kind)
        return keep

    return mark


class _Shown:
    """A list's items, each given through `view` as it is read (len and iteration: what
    encoding.items and take_items ask of a list)."""

    def __init__(self, items: list, view: Callable[[Any], Any]) -> None:
        self.items = items
        self.view = view

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        return map(self.view, self.items)


_decoder = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _json_items(text: str) -> Iterator[Any]:
    """The items of the JSON list `text`, read one at a time (ValueError as json's)."""
    i = _SPACE.match(text, 0).end()  # type: ignore[union-attr]
    if text[i : i + 1] != "[":
        raise ValueError(f"expected a JSON list at {i}")
    i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
    sep = text[i : i + 1]
    while sep != "]":
        item, i = _decoder.raw_decode(text, i)
        yield item
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        sep = text[i : i + 1]
        if sep == ",":
            i = _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]
        elif sep != "]":
            raise ValueError(f"expected ',' or ']' at {i}")
    if _SPACE.match(text, i + 1).end() != len(text):  # type: ignore[union-attr]
        raise ValueError(f"extra data at {i + 1}")


def json_response(value: Any, status: int = 200, store_objects: bool = False) -> Response:
    """`store_objects`: the value is the store's objects, a list of them or one, shallow
    copies the response may keep and write as they are read (encoding.py keeps their
    JSON)."""
    if store_objects and type(value) in (list, dict):
        return Response(status, objects=value)
    return Response(status, encoding.encode(value, store_objects))


def error_response(message: str, status: int) -> Response:
    return Response(status, json.dumps({"message": message}).encode() + b"\n")


def empty(status: int = 200) -> Response:
    return Response(status, b"", "text/plain; charset=utf-8")


# -- routing -----------------------------------------------------------------------------------

Handler = Callable[..., Any]
_Route = tuple[str, re.Pattern, Handler, int, bool]
# The routes by their path's first segment (every pattern's is a word), in the order
# registered: a request tries those of its own.
_ROUTES: dict[str, list[_Route]] = {}
_VERSIONED = re.compile(r"/v([0-9]+\.[0-9]+)(/.*)")


def route(
    method: str, pattern: str, status: int = 200, store_objects: bool = False
) -> Callable[[Handler], Handler]:
    """A handler for METHOD PATTERN ({name} is one path segment, {name:.*} any rest).
    It is called on the host's loop with the daemon, the request and the path's parts,
    and answers a JSON value, a Response, or a Future of either; `status` is the status
    of a value it answers, `store_objects` says the value is the store's (never mutated)
    objects, or lists of them, shallow-copied."""
    regex = re.sub(
        r"\{(\w+)(?::([^}]*))?\}",
        lambda m: f"(?P<{m.group(1)}>{m.group(2) or '[^/]+'})",
        pattern,
    )
    head = _head(pattern)
    if "{" in head:
        raise ValueError(f"a route's first segment is a word: {pattern}")

    def register(fn: Handler) -> Handler:
        entry = (method, re.compile(regex + "$"), fn, status, store_objects)
        _ROUTES.setdefault(head, []).append(entry)
        return fn

    return register


def _head(path: str) -> str:
    """A path's first segment: "nodes" of "/nodes/abc"."""
    return path.split("/", 2)[1] if path.startswith("/") else ""


@functools.lru_cache(maxsize=64)  # a few versions, asked on every request
def _version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def dispatch(daemon: Any, req: Request) -> Response | Future:
    """The daemon's answer to `req` (run on its loop): a Response, or a Future of one
    while the answer is on its way (from the Raft leader, a container). The routes are
    those registered (the package's __init__ imports routes.py)."""
    path = req.path
    m = _VERSIONED.fullmatch(path)
    if m:
        version, path = m.group(1), m.group(2)
        if _version_tuple(version) < _version_tuple(MIN_API_VERSION):
            return error_response(
                f"client version {version} is too old. Minimum supported API version is "
                f"{MIN_API_VERSION}, please upgrade your client to a newer version",
                400,
            )
        if _version_tuple(version) > _version_tuple(MAX_API_VERSION):
            return error_response(
                f"client version {version} is too new. Maximum supported API version is "
                f"{MAX_API_VERSION}",
                400,
            )
    allowed = False
    for method, regex, handler, status, store_objects in _ROUTES.get(_head(path), ()):
        found = regex.match(path)  # on the path as sent: a %2F stays inside its segment
        if found is None:
            continue
        if method != req.method and not (method == "GET" and req.method == "HEAD"):
            allowed = True
            continue
        params = {k: unquote(v) for k, v in found.groupdict().items()}
        return _answer(functools.partial(handler, daemon, req, **params), status, store_objects)
    if allowed:
        return error_response("method not allowed", 405)
    return error_response("page not found", 404)


def _answer(call: Callable[[], Any], status: int, store_objects: bool = False) -> Response | Future:
    """The handler's answer as a Response: at once when it has it (most do, and a Future
    a request need not wait on is a few microseconds of locks), else a Future of it. A
    DaemonError is docker's error response; any other exception is a bug, raised to
    whoever waits (the server answers 500, tests see it)."""
    try:
        value = call()
        if isinstance(value, Future) and value.done():
            value = value.result()
    except DaemonError as exc:
        return error_response(exc.message, exc.status)
    if not isinstance(value, Future):
        return _response(value, status, store_objects)
    out: Future = Future()

    def done(f: Future) -> None:
        try:
            out.set_result(_answer(f.result, status, store_objects))
        except Exception as exc:  # a bug, or a value JSON cannot carry
            out.set_exception(exc)

    value.add_done_callback(done)
    return out


def _response(value: Any, status: int, store_objects: bool) -> Response:
    if isinstance(value, Response):
        return value
    if value is None and status in (200, 204):
        return empty(status)
    return json_response(value, status, store_objects)


def _go_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "bool", int: "number", float: "number"}.get(
        type(value), "value"
    )
