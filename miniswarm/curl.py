"""curl on a lab host: an HTTP GET through the simulated network — and, for a port
published in ingress mode, through the routing mesh of whichever node it reaches — with
curl's own errors and exit codes (6 unresolvable, 7 refused, 22 with -f, 28 timed out).
"""

from __future__ import annotations

from contextlib import nullcontext

from .job import TimedOut
from .shell import IO, Shell, builtin

CURL_HELP = "curl: try 'curl --help' or 'curl --manual' for more information\n"
CONNECT_FAILS_AFTER = 3.0  # seconds: no host answers for that address (ARP gives up)
REASONS = {200: "OK", 404: "Not Found"}


@builtin("curl")
def curl(sh: Shell, args: list[str], io: IO) -> int:
    """curl [-sSfiL] [-m SECONDS] URL."""
    from .cli.client import DaemonUnreachable
    from .rpc import RpcError

    silent = show_error = fail = include = False
    max_time: float | None = None
    url = None
    it = iter(args)
    for a in it:
        if a in ("-m", "--max-time", "--connect-timeout") or (a.startswith("-m") and a != "-m"):
            value = a[2:] if a.startswith("-m") and len(a) > 2 else next(it, None)
            try:
                max_time = float(value or "")
            except ValueError:
                io.err(f"curl: option {a}: expected a proper numerical parameter\n{CURL_HELP}")
                return 2
        elif a in ("--silent", "--show-error", "--fail", "--include", "--location"):
            silent |= a == "--silent"
            show_error |= a == "--show-error"
            fail |= a == "--fail"
            include |= a == "--include"
        elif a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            for flag in a[1:]:
                if flag not in "sSfiL":
                    io.err(f"curl: option -{flag}: is unknown\n{CURL_HELP}")
                    return 2
                silent |= flag == "s"
                show_error |= flag == "S"
                fail |= flag == "f"
                include |= flag == "i"
        elif a.startswith("--"):
            io.err(f"curl: option {a}: is unknown\n{CURL_HELP}")
            return 2
        else:
            url = a
    if url is None:
        io.err(f"curl: no URL specified\n{CURL_HELP}")
        return 2

    def error(code: int, text: str) -> int:
        if not silent or show_error:
            io.err(f"curl: ({code}) {text}\n")
        return code

    scheme, _, rest = url.rpartition("://")
    if scheme not in ("", "http"):
        return error(1, f'Protocol "{scheme}" not supported')
    hostport, _, path = rest.partition("/")
    name, _, port_text = hostport.partition(":")
    if port_text and not port_text.isdigit():
        return error(3, "URL rejected: Port number was not a decimal number between 0 and 65535")
    port = int(port_text or 80)
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
            status, body = sh.lab.http_get(sh.host, address, port, "/" + path, sh.job)
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
    if fail and status >= 400:
        return error(22, f"The requested URL returned error: {status}")
    if include:
        reason = REASONS.get(status, "")
        io.out(f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n\r\n")
    io.out(body)
    return 0
