"""The Engine API on sockets: each host's daemon on a Unix socket of its own (and, if
asked, a 127.0.0.1 port), for the real `docker` binary, docker-py and anything else
written against Docker's API.

    DOCKER_HOST=unix:///run/user/1000/miniswarm/manager1.sock docker node ls

A connection is served on a thread of its own: each request is read as HTTP/1.1, handed
to the router on the host's loop (the lab's driver runs it in its time), and answered;
a log with follow=1 is sent in chunks as it grows, and an exec start hijacks the
connection, as dockerd does. A host that is powered off has no socket — the client's
"Cannot connect to the Docker daemon" — and gets it back when it boots. Nothing a client
sends can stop the server: a malformed request gets a 400, a client that goes away
mid-stream ends only its own connection.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler
from typing import Any

from .. import engine, shlang
from ..sim.kernel import HostDown, Kernel
from .router import Request, Response, dispatch, error_response
from .streams import STDERR, STDOUT, ExecStream, LogStream, frame

MAX_BODY = 64 << 20  # bytes: a request body larger than this is refused
POLL = 0.1  # wall seconds between two looks at a stream
WATCH = 0.2  # wall seconds between two looks at which hosts are up
HIJACK_SETTLE = 0.05  # wall seconds between an upgrade's headers and the stream
CALL_TIMEOUT = 120.0  # wall seconds a request may wait for the lab
SERVER = f"Docker/{engine.ENGINE_VERSION} (linux)"


class HostServer:
    """One host's daemon on its socket(s)."""

    def __init__(self, kernel: Kernel, host: str, path: str, port: int | None = None) -> None:
        self.kernel = kernel
        self.host = host
        self.path = path
        self.port = port
        self._servers: list[socketserver.BaseServer] = []
        self.requests = 0  # served, for the benchmark and the curious

    @property
    def listening(self) -> bool:
        return bool(self._servers)

    def open(self) -> None:
        if self._servers:
            return
        handler = type("Handler", (_Handler,), {"server_host": self})
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        unix = _UnixServer(self.path, handler)
        os.chmod(self.path, 0o660)
        self._servers.append(unix)
        if self.port is not None:
            self._servers.append(_TCPServer(("127.0.0.1", self.port), handler))
        for srv in self._servers:
            threading.Thread(
                target=srv.serve_forever, args=(0.1,), name=f"api-{self.host}", daemon=True
            ).start()

    def close(self) -> None:
        servers, self._servers = self._servers, []
        for srv in servers:
            srv.shutdown()
            srv.server_close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    # -- the lab, from a connection's thread ------------------------------------------------

    def call(self, fn: Any) -> Any:
        """Run `fn(daemon)` on the host's loop and wait (in real time) for its answer."""
        lock = getattr(self.kernel, "lock", None)  # PacedDriver's: one thread at a time
        with lock if lock is not None else contextlib.nullcontext():
            fut = self.kernel.submit(self.host, fn)
        result = self._wait(fut, lock)
        if isinstance(result, Future):
            result = self._wait(result, lock)
        return result

    def _wait(self, fut: Future, lock: Any) -> Any:
        if lock is None:  # ThreadDriver: the hosts' own threads run it
            return fut.result(CALL_TIMEOUT)
        # PacedDriver: run what is due ourselves, as a look from the prompt does, rather
        # than wait for the pump's next turn.
        deadline = time.monotonic() + CALL_TIMEOUT
        while not fut.done():
            with lock:
                self.kernel.run_until(self.kernel.target())  # type: ignore[attr-defined]
            if fut.done():
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the lab did not answer")
            time.sleep(0.001)
        return fut.result()


class Sockets:
    """Every host of a lab on its socket, in `directory`; with `tcp`, each on a port
    from `tcp` up as well. Sockets follow their hosts: a host powered off has none."""

    def __init__(self, kernel: Kernel, directory: str, tcp: int | None = None) -> None:
        self.kernel = kernel
        self.directory = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self.servers: dict[str, HostServer] = {}
        for i, name in enumerate(kernel.hosts):
            path = os.path.join(directory, f"{name}.sock")
            self.servers[name] = HostServer(kernel, name, path, None if tcp is None else tcp + i)
        self._running = True
        self.sync()
        self._watch = threading.Thread(target=self._watch_hosts, name="api-watch", daemon=True)
        self._watch.start()

    def sync(self) -> None:
        for name, srv in self.servers.items():
            up = self.kernel.hosts[name].up
            if up and not srv.listening:
                srv.open()
            elif not up and srv.listening:
                srv.close()

    def _watch_hosts(self) -> None:
        while self._running:
            time.sleep(WATCH)
            if self._running:
                with contextlib.suppress(Exception):  # a socket that failed is tried again
                    self.sync()

    def close(self) -> None:
        self._running = False
        for srv in self.servers.values():
            srv.close()


class _Quiet:
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer ends its own connection, silently; the
        student's terminal is not the server's log."""


class _UnixServer(_Quiet, socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    request_queue_size = 64


class _TCPServer(_Quiet, socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


# net/http's answers to a request it cannot read (conn.serve): a header block over its
# limit, a version not HTTP/1.x; anything else is a bare 400. (http.server's own limits
# are lower: a request line over 64 KiB, a header line over 64 KiB or 100 headers.)
_GO_ERRORS = {
    414: "431 Request Header Fields Too Large",
    431: "431 Request Header Fields Too Large",
    505: "505 HTTP Version Not Supported: unsupported protocol version",
}
_GO_ERROR_HEADERS = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a method (RFC 7230's token)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER
    sys_version = ""
    server_host: HostServer

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Every method comes here (http.server looks for do_<METHOD>, and answers 501 to
        # one it lacks): as dockerd's, the router says what it serves.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    # Every answer has its status line, even to a request line http.server would take
    # for HTTP/0.9 (and answer a body alone): Go's server knows no HTTP/0.9.
    default_request_version = "HTTP/1.1"

    def parse_request(self) -> bool:
        """http.server's, with what Go's server refuses besides: a request line that is not
        a method (a token), a target and a version; a version not HTTP/1.x; an HTTP/1.1
        request that names no Host."""
        if not super().parse_request():
            return False
        if len(self.requestline.split()) != 3 or not _TOKEN.fullmatch(self.command):
            self.send_error(400)
            return False
        if not self.request_version.startswith("HTTP/1."):
            self.send_error(505)
            return False
        if self.request_version == "HTTP/1.1" and not self.headers.get("Host"):
            self.send_error(400)
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What Go's server writes for a request it cannot read — a line of text, and it
        hangs up — where http.server would write an HTML page."""
        text = _GO_ERRORS.get(code, "400 Bad Request")
        self.close_connection = True
        self.wfile.write(f"HTTP/1.1 {text}{_GO_ERROR_HEADERS}{text}".encode())

    def address_string(self) -> str:  # a Unix socket's peer has no address
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: the lab's terminal is the student's

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self._send(error_response(str(exc), 400))
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request.parse(self.command, self.path, body, headers)
        server = self.server_host
        server.requests += 1
        try:
            resp = server.call(lambda daemon: dispatch(daemon, req))
        except HostDown:
            resp = error_response("the host is powered off", 503)
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 - a bug: a 500, and the server lives on
            resp = error_response(f"miniswarm: internal error: {type(exc).__name__}", 500)
        if isinstance(resp.stream, ExecStream):
            self._hijack(resp)
        elif isinstance(resp.stream, LogStream):
            self._stream_logs(resp)
        else:
            self._send(resp)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    n = int(line.split(b";")[0].strip() or b"x", 16)
                except ValueError:
                    raise ValueError("malformed chunked encoding") from None
                if n == 0:
                    self.rfile.readline(1024)
                    return b"".join(chunks)
                size += n
                if size > MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(n))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise ValueError(f"invalid Content-Length: {length!r}") from None
        if n < 0 or n > MAX_BODY:
            raise ValueError(f"invalid Content-Length: {length!r}")
        data = self.rfile.read(n)
        if len(data) < n:
            raise ValueError("the request body ended early")
        return data

    def _head(self, resp: Response, extra: dict[str, str]) -> None:
        self.send_response(resp.status)
        headers = {
            "Api-Version": engine.ENGINE_API_VERSION,
            "Docker-Experimental": "false",
            "Ostype": "linux",
            "Content-Type": resp.content_type,
        }
        headers.update(resp.headers)
        headers.update(extra)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def _send(self, resp: Response) -> None:
        no_body = self.command == "HEAD" or resp.status in (204, 304)
        if type(resp.objects) is list and not no_body:
            # A long list goes out as it is written, chunked, as Go's server sends what
            # outgrows its buffer.
            self._head(resp, {"Transfer-Encoding": "chunked"})
            for data in resp.chunks():
                self._chunk(data)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        extra = {} if resp.status == 204 else {"Content-Length": str(len(resp.body))}
        self._head(resp, extra)
        if not no_body:
            self.wfile.write(resp.body)
        self.wfile.flush()

    # -- streams ------------------------------------------------------------------------------

    def _stream_logs(self, resp: Response) -> None:
        """Chunked, as the log grows, until it ends or the client goes away."""
        self._head(resp, {"Transfer-Encoding": "chunked"})
        stream: LogStream = resp.stream
        try:
            self._chunk(resp.body)
            while True:
                time.sleep(POLL)
                data, ended = self.server_host.call(lambda _d: stream.poll())
                self._chunk(data)
                if ended:
                    break
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (OSError, HostDown, TimeoutError):
            pass  # the client left, or the host went down: only this stream ends
        self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _hijack(self, resp: Response) -> None:
        """exec start: the connection becomes the process's terminal or pipes."""
        stream: ExecStream = resp.stream
        self._head(resp, {})
        self.wfile.flush()
        # A client reads the upgrade's headers through a buffer before it takes the raw
        # socket (docker-py does): what came with them would be lost. A real process
        # takes this long to start anyway.
        time.sleep(HIJACK_SETTLE)
        self.close_connection = True
        call = self.server_host.call
        sock = self.connection
        attach_stdin = bool(stream.interactive)
        try:
            if attach_stdin and not stream.tty:
                call(lambda _d: stream.start(_read_all(self.rfile)))
            else:
                call(lambda _d: stream.start(None))
        except Exception as exc:  # noqa: BLE001 - the start's error goes on the stream
            self._exec_out(stream, [("err", f"{getattr(exc, 'message', exc)}\n")])
            return
        line = _LineDiscipline(echo=stream.tty)
        try:
            while True:
                state = call(lambda _d: stream.poll())
                self._exec_out(stream, state["Output"])
                if state["ExitCode"] is not None:
                    break
                if state["Waiting"] is not None:
                    prompt, secret = state["Waiting"]
                    if not attach_stdin:
                        call(lambda _d: stream.send(None))
                        continue
                    self._exec_out(stream, [("out", prompt)] if stream.tty else [])
                    typed = line.read(self.rfile, sock, self.wfile, secret)
                    if typed is _INTERRUPT:
                        call(lambda _d: stream.signal())
                        continue
                    call(lambda _d, t=typed: stream.send(t))
                    continue
                if stream.tty and _readable(sock, POLL):
                    data = self.rfile.read1(1024)
                    if b"\x03" in data:
                        call(lambda _d: stream.signal())
                    elif not data:
                        break
        except (OSError, HostDown, TimeoutError):
            pass
        with contextlib.suppress(OSError):
            self.wfile.flush()
            sock.shutdown(socket.SHUT_WR)

    def _exec_out(self, stream: ExecStream, output: list) -> None:
        for kind, text in output:
            data = shlang.to_bytes(text)
            if stream.tty:
                self.wfile.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            else:
                self.wfile.write(frame(STDOUT if kind == "out" else STDERR, data))
        self.wfile.flush()


_INTERRUPT = object()


def _readable(sock: Any, timeout: float) -> bool:
    try:
        ready, _, _ = select.select([sock], [], [], timeout)
    except (OSError, ValueError):
        return False
    return bool(ready)


def _read_all(rfile: Any) -> str:
    """Standard input of a non-TTY exec: everything until the client closes its side."""
    chunks: list[bytes] = []
    size = 0
    while True:
        data = rfile.read1(65536) if hasattr(rfile, "read1") else rfile.read(65536)
        if not data:
            break
        size += len(data)
        if size > MAX_BODY:
            break
        chunks.append(data)
    return shlang.from_bytes(b"".join(chunks))


class _LineDiscipline:
    """What a terminal's line discipline does for a process reading a line: echo (not
    for a password), backspace, Enter; Ctrl-C interrupts, Ctrl-D at the start is the end
    of input. Without a TTY, lines come as they are."""

    def __init__(self, echo: bool) -> None:
        self.echo = echo
        self.pending = b""

    def read(self, rfile: Any, sock: Any, wfile: Any, secret: bool) -> Any:
        typed = bytearray()
        while True:
            if not self.pending:
                data = rfile.read1(1024) if hasattr(rfile, "read1") else rfile.read(1)
                if not data:
                    return None if not typed else shlang.from_bytes(bytes(typed))
                self.pending = data
            ch, self.pending = self.pending[:1], self.pending[1:]
            if ch in (b"\r", b"\n"):
                if self.echo:
                    wfile.write(b"\r\n")
                    wfile.flush()
                return shlang.from_bytes(bytes(typed))
            if ch == b"\x03":
                if self.echo:
                    wfile.write(b"^C\r\n")
                    wfile.flush()
                return _INTERRUPT
            if ch == b"\x04" and not typed:
                return None
            if ch in (b"\x7f", b"\x08"):
                if typed:
                    typed.pop()
                    if self.echo and not secret:
                        wfile.write(b"\b \b")
                        wfile.flush()
                continue
            typed += ch
            if self.echo and not secret:
                wfile.write(ch)
                wfile.flush()


def describe(sockets: Sockets, tcp: int | None = None) -> list[str]:
    """Each host and where it serves: the lines `miniswarm serve` and `lab sockets`
    print."""
    names = list(sockets.servers)
    width = max(len(n) for n in names)
    out = []
    for i, name in enumerate(names):
        port = f"   tcp://127.0.0.1:{tcp + i}" if tcp is not None else ""
        out.append(f"  {name:<{width}}  unix://{sockets.servers[name].path}{port}")
    return out


def runtime_directory() -> str:
    """Where a user's sockets go: $XDG_RUNTIME_DIR/miniswarm, or a private directory in
    the temporary one (a socket's path must stay under 108 bytes)."""
    import tempfile

    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base) and os.access(base, os.W_OK):
        return os.path.join(base, "miniswarm")
    return os.path.join(tempfile.gettempdir(), f"miniswarm-{os.getuid()}")
