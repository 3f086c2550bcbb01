"""curl on a lab host: an HTTP GET through the simulated network — and, for a port
published in ingress mode, through the routing mesh of whichever node it reaches — with
curl's own errors and exit codes (6 unresolvable, 7 refused, 22 with -f, 28 timed out).
"""

from __future__ import annotations

from contextlib import nullcontext

from .curlargs import CurlError, head, parse
from .hostshell import HostShell
from .job import TimedOut
from .shtools import IO, builtin

CONNECT_FAILS_AFTER = 3.0  # seconds: no host answers for that address (ARP gives up)


@builtin("curl")
def curl(sh: HostShell, args: list[str], io: IO) -> int:
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
