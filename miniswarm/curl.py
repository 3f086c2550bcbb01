"""curl on a lab host: an HTTP GET through the simulated network — and, for a port
published in ingress mode, through the routing mesh of whichever node it reaches — with
curl's own errors and exit codes (6 unresolvable, 7 refused, 22 with -f, 28 timed out).
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from .job import TimedOut
from .shell import Shell
from .shtools import IO, builtin

CURL_HELP = "curl: try 'curl --help' or 'curl --manual' for more information\n"
CONNECT_FAILS_AFTER = 3.0  # seconds: no host answers for that address (ARP gives up)
REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


@dataclass
class Request:
    """What a curl command line asks: its URL's parts and how to behave."""

    host: str = ""
    port: int = 80
    path: str = "/"
    silent: bool = False
    show_error: bool = False
    fail: bool = False
    include: bool = False
    max_time: float | None = None

    def error(self, code: int, text: str) -> str:
        """curl's line for an error (none when -s without -S)."""
        return "" if self.silent and not self.show_error else f"curl: ({code}) {text}\n"


class CurlError(Exception):
    """What curl says of its command line or URL, and its exit status."""

    def __init__(self, text: str, status: int) -> None:
        super().__init__(text)
        self.text = text
        self.status = status


def parse(args: list[str]) -> Request:
    """curl [-sSfiL] [-m SECONDS] URL, as curl reads it (both the hosts' curl and the one
    in images that have it); CurlError for what curl refuses."""
    r = Request()
    url = None
    it = iter(args)
    for a in it:
        if a in ("-m", "--max-time", "--connect-timeout") or (a.startswith("-m") and a != "-m"):
            value = a[2:] if a.startswith("-m") and len(a) > 2 else next(it, None)
            try:
                r.max_time = float(value or "")
            except ValueError:
                raise CurlError(
                    f"curl: option {a}: expected a proper numerical parameter\n{CURL_HELP}", 2
                ) from None
        elif a in ("--silent", "--show-error", "--fail", "--include", "--location"):
            r.silent |= a == "--silent"
            r.show_error |= a == "--show-error"
            r.fail |= a == "--fail"
            r.include |= a == "--include"
        elif a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            for flag in a[1:]:
                if flag not in "sSfiLv":
                    raise CurlError(f"curl: option -{flag}: is unknown\n{CURL_HELP}", 2)
                r.silent |= flag == "s"
                r.show_error |= flag == "S"
                r.fail |= flag == "f"
                r.include |= flag == "i"
        elif a.startswith("--"):
            raise CurlError(f"curl: option {a}: is unknown\n{CURL_HELP}", 2)
        else:
            url = a
    if url is None:
        raise CurlError(f"curl: no URL specified\n{CURL_HELP}", 2)
    scheme, _, rest = url.rpartition("://")
    if scheme not in ("", "http"):
        raise CurlError(r.error(1, f'Protocol "{scheme}" not supported'), 1)
    hostport, _, path = rest.partition("/")
    r.host, _, port_text = hostport.partition(":")
    if port_text and not port_text.isdigit():
        reason = "URL rejected: Port number was not a decimal number between 0 and 65535"
        raise CurlError(r.error(3, reason), 3)
    r.port = int(port_text or 80)
    r.path = "/" + path
    return r


def head(status: int, body: str) -> str:
    """What -i shows before the body."""
    return f"HTTP/1.1 {status} {REASONS.get(status, '')}\r\nContent-Length: {len(body)}\r\n\r\n"


@builtin("curl")
def curl(sh: Shell, args: list[str], io: IO) -> int:
    """curl [-sSfiL] [-m SECONDS] URL."""
    from .cli.client import DaemonUnreachable
    from .rpc import RpcError

    try:
        r = parse(args)
    except CurlError as exc:
        io.err(exc.text)
        return exc.status
    name, port, path, max_time = r.host, r.port, r.path, r.max_time

    def error(code: int, text: str) -> int:
        io.err(r.error(code, text))
        return code

    address = sh.lab.address(sh.host) if name == "localhost" else sh.lab.resolve(name)
    if address is None:
        return error(6, f"Could not resolve host: {name}")
    start = sh.lab.now()

    def elapsed_ms() -> int:
        return int((sh.lab.now() - start) * 1000)

    def cannot_connect(code: int = 7) -> int:
        return error(
            code, f"Failed to connect to {name} port {port} after {elapsed_ms()} ms: "
            "Couldn't connect to server",
        )  # fmt: skip

    def timed_out() -> int:
        if max_time is None:
            return cannot_connect(28)
        return error(28, f"Connection timed out after {elapsed_ms()} milliseconds")

    limit = sh.job.timeout(max_time) if max_time is not None else nullcontext(None)
    with limit as deadline:
        try:
            status, body = sh.lab.http_get(sh.host, address, port, path, sh.job)
        except (DaemonUnreachable, RpcError) as exc:
            if isinstance(exc, RpcError) and exc.code == "Refused":
                return cannot_connect()
            if isinstance(exc, RpcError) and exc.code == "DeadlineExceeded":
                return timed_out()
            # Nothing answers for that address: the connect fails once ARP gives up.
            try:
                sh.job.sleep(max(0.0, start + CONNECT_FAILS_AFTER - sh.lab.now()))
            except TimedOut as stop:
                if stop.deadline != deadline:
                    raise
                return timed_out()
            return cannot_connect()
        except TimedOut as stop:
            if stop.deadline != deadline:
                raise  # an outer `timeout`: it stops curl where it is
            return timed_out()
    if r.fail and status >= 400:
        return error(22, f"The requested URL returned error: {status}")
    if r.include:
        io.out(head(status, body))
    io.out(body)
    return 0
