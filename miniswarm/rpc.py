"""Request and response between processes over the simulated network (swarm's gRPC).

A call gives a Future. It fails with `Unavailable` at once when the target host's daemon
is down (its machine answers "connection refused", as a killed dockerd's would), and
with `DeadlineExceeded` when no answer comes in time (a partition, a hung peer).
Errors carry gRPC status codes, because docker prints them:
`rpc error: code = FailedPrecondition desc = ...`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from .sim.kernel import Event, HostContext


class RpcError(Exception):
    """A failed call, as gRPC reports it. A plain error is the daemon's own (moby's
    "node x not found"), printed without the gRPC wording."""

    def __init__(self, code: str, message: str, plain: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.plain = plain

    def __str__(self) -> str:
        if self.plain:
            return self.message
        return f"rpc error: code = {self.code} desc = {self.message}"


def plain_error(code: str, message: str) -> RpcError:
    return RpcError(code, message, plain=True)


def unavailable(message: str = "connection error") -> RpcError:
    return RpcError("Unavailable", message)


def deadline_exceeded() -> RpcError:
    return RpcError("DeadlineExceeded", "context deadline exceeded")


def failed(exc: BaseException) -> Future:
    fut: Future = Future()
    fut.set_exception(exc)
    return fut


def resolved(value: Any) -> Future:
    fut: Future = Future()
    fut.set_result(value)
    return fut


def mapped(fut: Future, fn: Callable[[Any], Any]) -> Future:
    """A future of `fn(result)` once `fut` has succeeded; its error if it failed."""
    out: Future = Future()

    def done(f: Future) -> None:
        exc = f.exception()
        if exc is not None:
            out.set_exception(exc)
            return
        try:
            out.set_result(fn(f.result()))
        except Exception as e:  # noqa: BLE001 - handed to whoever waits on it
            out.set_exception(e)

    fut.add_done_callback(done)
    return out


def chain(src: Future, dst: Future) -> None:
    """Settle `dst` as `src` settled (unless it already is)."""
    if dst.done():
        return
    exc = src.exception()
    if exc is not None:
        dst.set_exception(exc)
    else:
        dst.set_result(src.result())


@dataclass(slots=True)
class Request:
    id: int
    method: str
    body: Any
    refusable = True  # the kernel answers Refused when the target is down

    def wire_size(self) -> int:
        return 64

    def refused(self) -> Refused:
        return Refused(self.id)


@dataclass(slots=True)
class Response:
    id: int
    body: Any = None
    error: tuple[str, str, bool] | None = None  # (code, message, plain)

    def wire_size(self) -> int:
        return 64


@dataclass(slots=True)
class Refused:
    """The target host's answer when nothing listens there: connection refused."""

    id: int

    def wire_size(self) -> int:
        return 40


Handler = Callable[[str, Any], Any]


class Rpc:
    """One process's end of the RPC mesh: serves its methods, calls others'."""

    def __init__(self, ctx: HostContext) -> None:
        self.ctx = ctx
        self._handlers: dict[str, Handler] = {}
        self._pending: dict[int, tuple[Future, Event | None]] = {}
        self._ids = itertools.count(1)

    def serve(self, method: str, handler: Handler) -> None:
        """`handler(src_address, body)` returns the result, a Future of it, or raises
        RpcError."""
        self._handlers[method] = handler

    def stop_serving(self, *methods: str) -> None:
        for m in methods:
            self._handlers.pop(m, None)

    def call(self, address: str, method: str, body: Any = None, timeout: float = 20.0) -> Future:
        rid = next(self._ids)
        fut: Future = Future()
        timer = self.ctx.after(timeout, self._expire, rid) if timeout else None
        self._pending[rid] = (fut, timer)
        self.ctx.send(address, Request(rid, method, body))
        return fut

    def _expire(self, rid: int) -> None:
        entry = self._pending.pop(rid, None)
        if entry is not None and not entry[0].done():
            entry[0].set_exception(deadline_exceeded())

    def _settle(self, rid: int, result: Any = None, error: BaseException | None = None) -> None:
        entry = self._pending.pop(rid, None)
        if entry is None:
            return
        fut, timer = entry
        if timer is not None:
            timer.cancel()
        if fut.done():
            return
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)

    def on_message(self, src: str, msg: Any) -> bool:
        """Handle an RPC message; False if it is not one."""
        if isinstance(msg, Response):
            if msg.error is not None:
                self._settle(msg.id, error=RpcError(*msg.error))
            else:
                self._settle(msg.id, msg.body)
            return True
        if isinstance(msg, Refused):
            self._settle(msg.id, error=unavailable())
            return True
        if isinstance(msg, Request):
            self._serve(src, msg)
            return True
        return False

    def _serve(self, src: str, req: Request) -> None:
        handler = self._handlers.get(req.method)
        if handler is None:
            self._reply(
                src, req.id, error=RpcError("Unimplemented", f"unknown method {req.method}")
            )
            return
        try:
            result = handler(src, req.body)
        except RpcError as exc:
            self._reply(src, req.id, error=exc)
            return
        if isinstance(result, Future):
            result.add_done_callback(lambda f: self._reply_future(src, req.id, f))
        else:
            self._reply(src, req.id, result)

    def _reply_future(self, src: str, rid: int, fut: Future) -> None:
        exc = fut.exception()
        if exc is None:
            self._reply(src, rid, fut.result())
        elif isinstance(exc, RpcError):
            self._reply(src, rid, error=exc)
        else:
            self._reply(src, rid, error=RpcError("Unknown", str(exc)))

    def _reply(self, src: str, rid: int, body: Any = None, error: RpcError | None = None) -> None:
        err = (error.code, error.message, error.plain) if error is not None else None
        self.ctx.send(src, Response(rid, body, err))

    def fail_all(self, exc: BaseException) -> None:
        pending, self._pending = self._pending, {}
        for fut, timer in pending.values():
            if timer is not None:
                timer.cancel()
            if not fut.done():
                fut.set_exception(exc)
