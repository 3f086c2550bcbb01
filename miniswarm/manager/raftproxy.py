"""Requests only the leader may answer, asked of any manager (swarmkit's raft proxy).

The control API, the CA's joins and the dispatcher's sessions are the leader's to answer.
Any manager takes them: the leader answers itself, a follower passes them on to the
leader it knows. The waiting is swarmkit's, because students see it:

- while a manager knows no leader it looks for one every second (`LeaderConn`) until
  the request's deadline, and then the request fails with DeadlineExceeded — unless the
  swarm had already been without a leader for more than 10 ticks when the request came
  (`lostQuorumTimeout`): then it fails at once with "The swarm does not have a leader";
- when the leader it passed a request to is not there any more (its connection is
  refused), it looks for a new leader every half second (`pollNewLeaderConn`), each time
  as above, and sends the request again.

So the first `docker node ls` after two of three managers die blocks for its 20 s and
times out, and later ones fail at once: the reference's 04-failures shows both.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from ..rpc import RpcError, chain, deadline_exceeded

if TYPE_CHECKING:
    from ..rpc import Rpc
    from ..sim.kernel import HostContext
    from . import Manager

LEADER_POLL = 1.0  # LeaderConn's ticker
NEW_LEADER_POLL = 0.5  # pollNewLeaderConn's ticker
# swarmkit's lostQuorumTimeout: after this many ticks without a leader, requests fail at
# once instead of waiting for one.
LOST_QUORUM_TICKS = 10
LOST_QUORUM = (
    "The swarm does not have a leader. It's possible that too few managers are online. "
    "Make sure more than half of the managers are online."
)

Handler = Callable[[Any], Any]
_SELF = ""  # the leader is this manager


class RaftProxy:
    def __init__(self, ctx: HostContext, rpc: Rpc, manager: Callable[[], Manager | None]) -> None:
        self.ctx = ctx
        self.rpc = rpc
        self.manager = manager  # this host's manager now, if it is one
        self.handlers: dict[str, Handler] = {}
        rpc.serve("proxied", self._serve)

    def handle(self, method: str, handler: Handler) -> None:
        """`handler(body)`, run on the leader, returns the answer (or a Future of it)."""
        self.handlers[method] = handler

    def call(self, method: str, body: Any, timeout: float) -> Future:
        """Have the leader answer `method(body)` within `timeout` seconds."""
        out: Future = Future()
        deadline = self.ctx.now() + timeout
        self._leader_conn(deadline, out, lambda to: self._send(method, body, deadline, out, to))
        return out

    # -- finding the leader ------------------------------------------------------------------

    def _leader(self) -> str | None:
        """_SELF when this manager leads, the leader's address, or None while there is
        no leader to talk to (none known, or not connected to it)."""
        m = self.manager()
        if m is None:
            return None
        if m.leading:
            return _SELF
        lead = m.raft.leader
        if lead is None or lead == m.member_id or not m.raft.connected(lead):
            return None
        return m.raft.address_of(lead)

    def _leader_conn(self, deadline: float, out: Future, then: Callable[[str], None]) -> None:
        m = self.manager()
        if m is None:
            out.set_exception(RpcError("Unavailable", "node is not a manager"))
            return
        to = self._leader()
        if to is not None:
            then(to)
        elif m.ticks_without_leader > LOST_QUORUM_TICKS:
            out.set_exception(RpcError("Unknown", LOST_QUORUM))
        else:
            self._wait_for_leader(deadline, out, then)

    def _wait_for_leader(self, deadline: float, out: Future, then: Callable[[str], None]) -> None:
        def tick() -> None:
            if out.done():
                return
            if self.manager() is None:  # it stopped while we waited
                out.set_exception(RpcError("Unavailable", "transport is closing"))
                return
            to = self._leader()
            if to is not None:
                then(to)
            elif self.ctx.now() >= deadline:
                out.set_exception(deadline_exceeded())
            else:
                self._wait_for_leader(deadline, out, then)

        self.ctx.after(max(0.0, min(LEADER_POLL, deadline - self.ctx.now())), tick)

    # -- asking it ------------------------------------------------------------------------------

    def _send(self, method: str, body: Any, deadline: float, out: Future, to: str) -> None:
        if out.done():
            return
        if to == _SELF:
            self._run(method, body, out)
            return
        call = self.rpc.call(to, "proxied", (method, body), timeout=deadline - self.ctx.now())

        def answered(f: Future) -> None:
            if out.done():
                return
            exc = f.exception()
            if exc is None:
                out.set_result(f.result())
            elif isinstance(exc, RpcError) and exc.code == "Unavailable":
                self._poll_new_leader(method, body, deadline, out)
            else:
                out.set_exception(exc)

        call.add_done_callback(answered)

    def _poll_new_leader(self, method: str, body: Any, deadline: float, out: Future) -> None:
        def tick() -> None:
            if out.done():
                return
            if self.ctx.now() >= deadline:
                out.set_exception(deadline_exceeded())
                return
            self._leader_conn(deadline, out, lambda to: self._send(method, body, deadline, out, to))

        self.ctx.after(max(0.0, min(NEW_LEADER_POLL, deadline - self.ctx.now())), tick)

    def _run(self, method: str, body: Any, out: Future) -> None:
        handler = self.handlers.get(method)
        if handler is None:
            out.set_exception(RpcError("Unimplemented", f"unknown method {method}"))
            return
        try:
            result = handler(body)
        except RpcError as exc:
            out.set_exception(exc)
            return
        if isinstance(result, Future):
            result.add_done_callback(lambda f: chain(f, out))
        else:
            out.set_result(result)

    def _serve(self, src: str, request: tuple[str, Any]) -> Future:
        """A request another manager passed on: only a leader answers it (one hop, as
        swarmkit allows); anyone else sends the caller looking for the leader again."""
        method, body = request
        out: Future = Future()
        m = self.manager()
        if m is None or not m.leading:
            out.set_exception(RpcError("Unavailable", "not the leader"))
        else:
            self._run(method, body, out)
        return out
