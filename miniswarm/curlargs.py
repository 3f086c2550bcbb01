"""curl's command line and the head of its answer, as curl reads and prints them: shared
by the lab hosts' curl (curl.py) and the curl inside images that have one
(runtime/clients.py)."""

from __future__ import annotations

from dataclasses import dataclass

CURL_HELP = "curl: try 'curl --help' or 'curl --manual' for more information\n"
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
