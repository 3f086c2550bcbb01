"""Programs in the images that talk to a server: wget and nslookup (busybox, alpine),
curl (nginx), `nginx -v`, redis-cli (redis) and the mysql client (mysql) — so that a
lesson can look inside a running task:

    docker exec -it $(docker ps -q -f name=db) mysql -uroot -p     # the secret's password
    docker exec -it $(docker ps -q -f name=cache) redis-cli
    docker exec -it $(docker ps -q -f name=web) curl -s localhost

The servers' state (databases, keys) lives in the container (`Proc.server`), so that
what one `docker exec` writes, the next one reads. Requests leave the container through
its host's network ("http" events, answered by the runtime).
"""

from __future__ import annotations

import fnmatch
import hashlib
import re

from .. import curlargs
from ..curlargs import REASONS
from ..shlang import ShellSyntaxError, arith
from .sh import COMMANDS, Interrupt, Proc, Program

# -- names and addresses ------------------------------------------------------------------------


def resolve(proc: Proc, name: str) -> str | None:
    """An address for `name` as the container's resolver gives it: an address as it is,
    localhost, the container's own name, a service on its overlay networks (the embedded
    DNS server), or a name on the internet (the lab's hosts are not known inside a
    container)."""
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", name):
        return name
    if name == "localhost":
        return "127.0.0.1"
    if name == proc.hostname:
        return proc.address or "127.0.0.1"
    found = proc.lookup(name) if proc.lookup is not None else None
    if found is not None:
        return found[0] if found else None
    if "." in name.strip(".") and re.fullmatch(r"[A-Za-z0-9.-]+", name):
        return internet_address(name)
    return None


def internet_address(name: str) -> str:
    """A stable public address for a name on the internet (the lab has no real one)."""
    h = hashlib.sha256(name.lower().rstrip(".").encode()).digest()
    return f"{104 + h[0] % 80}.{h[1]}.{h[2]}.{1 + h[3] % 254}"


def _split_url(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path) of http://HOST[:PORT][/PATH]."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "http", url
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    if port and not port.isdigit():
        return None
    return scheme, host, int(port or 80), "/" + path


# -- wget (busybox) ----------------------------------------------------------------------------


def _wget(proc: Proc, args: list[str]) -> Program:
    """busybox wget [-q] [-O FILE|-] [-T SEC] URL."""
    quiet, out_file, timeout, url = False, None, 10.0, None
    it = iter(args)
    for a in it:
        if a in ("-q", "--quiet"):
            quiet = True
        elif a == "-O":
            out_file = next(it, "-")
        elif a.startswith("-O"):
            out_file = a[2:]
        elif a == "-qO-":
            quiet, out_file = True, "-"
        elif a == "-T":
            timeout = float(next(it, "10"))
        elif a.startswith("-"):
            for flag in a[1:]:
                if flag == "q":
                    quiet = True
                elif flag != "S":
                    yield ("err", f"wget: unrecognized option: {flag}")
                    yield ("err", "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.")
                    return 1
        else:
            url = a
    if url is None:
        yield ("err", "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.")
        yield ("err", "")
        yield ("err", "Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]")
        return 1
    parts = _split_url(url)
    if parts is None or parts[0] != "http":
        yield ("err", f"wget: not an http or ftp url: {url}")
        return 1
    _, host, port, path = parts
    address = resolve(proc, host)
    if address is None:
        yield ("err", f"wget: bad address '{host}'")
        return 1
    if not quiet:
        yield ("err", f"Connecting to {host}{'' if port == 80 else f':{port}'} ({address}:{port})")
    answer = yield ("http", (address, port, path, timeout))
    if isinstance(answer, str):
        if answer == "refused":
            yield ("err", f"wget: can't connect to remote host ({address}): Connection refused")
        elif answer == "timeout":
            yield ("err", "wget: download timed out")
        else:
            yield ("err", f"wget: can't connect to remote host ({address}): No route to host")
        return 1
    status, body = answer
    if status >= 400:
        yield ("err", f"wget: server returned error: HTTP/1.1 {status} {REASONS.get(status, '')}")
        return 1
    name = out_file or (path.rsplit("/", 1)[-1] or "index.html")
    if name == "-":
        if not quiet:
            yield ("err", "writing to stdout")
        for line in body.rstrip("\n").split("\n"):
            yield ("out", line)
        if not quiet:
            yield ("err", f"-                    100% |********************************|   "
                   f"{len(body)}  0:00:00 ETA")  # fmt: skip
            yield ("err", "written to stdout")
        return 0
    proc.files[name if name.startswith("/") else proc.cwd.rstrip("/") + "/" + name] = body
    if not quiet:
        yield ("err", f"saving to '{name}'")
        yield ("err", f"{name:<20} 100% |********************************|   "
               f"{len(body)}  0:00:00 ETA")  # fmt: skip
        yield ("err", f"'{name}' saved")
    return 0


# -- curl (in images that have it) ---------------------------------------------------------------


def _curl(proc: Proc, args: list[str]) -> Program:
    """curl [-sSfi] [-m SECONDS] URL, read as the hosts' curl reads it (curl.py), from
    inside the container."""
    try:
        r = curlargs.parse(args)
    except curlargs.CurlError as exc:
        for line in exc.text.rstrip("\n").split("\n"):
            if line:
                yield ("err", line)
        return exc.status

    def error(code: int, text: str) -> Program:
        shown = r.error(code, text)
        if shown:
            yield ("err", shown.rstrip("\n"))
        return code

    address = resolve(proc, r.host)
    if address is None:
        return (yield from error(6, f"Could not resolve host: {r.host}"))
    start = proc.now()
    wait = r.max_time if r.max_time is not None else 3.0
    answer = yield ("http", (address, r.port, r.path, wait))
    if isinstance(answer, str):
        ms = int((proc.now() - start) * 1000)
        if answer == "timeout" and r.max_time is not None:
            return (yield from error(28, f"Connection timed out after {ms} milliseconds"))
        code = 28 if answer == "timeout" else 7
        reason = f"Failed to connect to {r.host} port {r.port} after {ms} ms: "
        return (yield from error(code, reason + "Couldn't connect to server"))
    status, body = answer
    if r.fail and status >= 400:
        return (yield from error(22, f"The requested URL returned error: {status}"))
    text = (curlargs.head(status, body) if r.include else "") + body
    for line in text.rstrip("\n").split("\n"):
        yield ("out", line)
    return 0


# -- nslookup (busybox) ------------------------------------------------------------------------


def _nslookup(proc: Proc, args: list[str]) -> Program:
    names = [a for a in args if not a.startswith("-")]
    if not names:
        yield ("err", "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.")
        yield ("err", "")
        yield ("err", "Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]")
        return 1
    name, server = names[0], (names[1] if len(names) > 1 else "127.0.0.11")
    yield ("out", f"Server:\t\t{server}")
    yield ("out", f"Address:\t{server}:53")
    yield ("out", "")
    found = proc.lookup(name) if proc.lookup is not None and server == "127.0.0.11" else None
    if found:  # docker's embedded DNS: the A answer, then the empty AAAA one
        yield ("out", "Non-authoritative answer:")
        for answer in found:
            yield ("out", f"Name:\t{name}")
            yield ("out", f"Address: {answer}")
        yield ("out", "")
        yield ("out", "Non-authoritative answer:")
        yield ("out", "")
        return 0
    address = resolve(proc, name)
    if address is None:
        yield ("out", f"** server can't find {name}: NXDOMAIN")
        yield ("out", "")
        return 1
    if "." in name and not re.fullmatch(r"[\d.]+", name):
        yield ("out", "Non-authoritative answer:")
    yield ("out", f"Name:\t{name}")
    yield ("out", f"Address: {address}")
    yield ("out", "")
    return 0


# -- nc (busybox) ---------------------------------------------------------------------------------


def _nc(proc: Proc, args: list[str]) -> Program:
    """busybox nc [-w SEC] HOST PORT: what comes on standard input is sent; an HTTP
    request gets the server's raw answer back."""
    wait, rest = None, []
    it = iter(args)
    for a in it:
        if a == "-w":
            value = next(it, "")
            if not value.isdigit():
                yield ("err", f"nc: invalid number '{value}'")
                return 1
            wait = float(value)
        elif a.startswith("-w") and a[2:].isdigit():
            wait = float(a[2:])
        elif a.startswith("-"):
            continue  # -v, -n …: nothing the lab's answers depend on
        else:
            rest.append(a)
    if len(rest) != 2 or not rest[1].isdigit():
        yield ("err", "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.")
        yield ("err", "")
        yield ("err", "Usage: nc [OPTIONS] HOST PORT  - connect")
        return 1
    host, port = rest[0], int(rest[1])
    address = resolve(proc, host)
    if address is None:
        yield ("err", f"nc: bad address '{host}'")
        return 1
    request = proc.files.get("/dev/stdin", "")
    m = re.match(r"(?:GET|HEAD) (\S+) HTTP/1\.[01]", request)
    answer = yield ("http", (address, port, m.group(1) if m else "/", wait or 130.0))
    if isinstance(answer, str):
        if answer == "timeout":
            yield ("err", "nc: timed out")
        else:
            yield ("err", f"nc: can't connect to remote host ({address}): Connection refused")
        return 1
    if m is None:
        return 0  # connected; what it sent was not for an HTTP server to answer
    status, body = answer
    reason = REASONS.get(status, "")
    head = f"HTTP/1.0 {status} {reason}\r\nContent-Length: {len(body)}\r\n\r\n"
    for line in (head + body).rstrip("\n").split("\n"):
        yield ("out", line)
    return 0


# -- ping (busybox), with its summary on Ctrl-C ---------------------------------------------------


def _ping(proc: Proc, args: list[str]) -> Program:
    count = None
    hosts = []
    it = iter(args)
    for a in it:
        if a == "-c":
            value = next(it, "")
            if not value.isdigit():
                yield ("err", f"ping: invalid number '{value}'")
                return 1
            count = int(value)
        elif a.startswith("-c") and a[2:].isdigit():
            count = int(a[2:])
        elif not a.startswith("-"):
            hosts.append(a)
    if not hosts:
        yield ("err", "BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.")
        yield ("err", "")
        yield ("err", "Usage: ping [OPTIONS] HOST")
        return 1
    host = hosts[0]
    address = resolve(proc, host)
    if address is None:
        yield ("err", f"ping: bad address '{host}'")
        return 1
    yield ("out", f"PING {host} ({address}): 56 data bytes")
    h = hashlib.sha256(address.encode()).digest()
    base_ms = 0.05 if address.startswith("127.") else 8 + h[0] % 30
    times: list[float] = []
    try:
        while count is None or len(times) < count:
            ms = round(base_ms * (1 + (h[len(times) % 32] % 17) / 100), 3)
            yield ("out", f"64 bytes from {address}: seq={len(times)} ttl=64 time={ms:.3f} ms")
            times.append(ms)
            if count is not None and len(times) >= count:
                break
            yield ("sleep", 1.0)
    except Interrupt:
        yield ("out", "")  # ping prints its summary on SIGINT
    yield ("out", f"--- {host} ping statistics ---")
    n = len(times)
    yield ("out", f"{n} packets transmitted, {n} packets received, 0% packet loss")
    if times:
        avg = sum(times) / n
        yield ("out", f"round-trip min/avg/max = {min(times):.3f}/{avg:.3f}/{max(times):.3f} ms")
    return 0


# -- nginx -v ------------------------------------------------------------------------------------


NGINX_LATEST = "1.29.3"
REDIS_LATEST = "8.2.2"


def _nginx(proc: Proc, args: list[str]) -> Program:
    version = proc.version or NGINX_LATEST  # the binary's: its image's
    if "-v" in args:
        yield ("err", f"nginx version: nginx/{version}")
        return 0
    if "-V" in args:
        yield ("err", f"nginx version: nginx/{version}")
        yield ("err", "built by gcc 12.2.0 (Debian 12.2.0-14+deb12u1)")
        yield ("err", "built with OpenSSL 3.0.15 3 Sep 2024")
        return 0
    if "-t" in args:
        yield ("err", "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok")
        yield ("err", "nginx: configuration file /etc/nginx/nginx.conf test is successful")
        return 0
    if "-s" in args:
        return 0  # reload, quit …: the lab's nginx has nothing to reload
    yield ("err", "[emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address already in use)")
    return 1


# -- redis-cli -----------------------------------------------------------------------------------


def _redis_cli(proc: Proc, args: list[str]) -> Program:
    """redis-cli [-h HOST] [-p PORT] [COMMAND ARG...]: one command, or a prompt."""
    host, port = "127.0.0.1", 6379
    words: list[str] = []
    it = iter(args)
    for a in it:
        if a == "-h":
            host = next(it, host)
        elif a == "-p":
            port = int(next(it, "6379") or 6379)
        elif a in ("--raw", "--no-raw"):
            pass
        else:
            words.append(a)
    store = proc.server.get("redis")
    version = proc.server.get("redis_version", REDIS_LATEST)
    if store is None or resolve(proc, host) not in ("127.0.0.1", proc.address) or port != 6379:
        if words:
            yield ("err", f"Could not connect to Redis at {host}:{port}: Connection refused")
            return 1
        yield ("out", f"Could not connect to Redis at {host}:{port}: Connection refused")
        prompt = "not connected> "
    else:
        prompt = f"{host}:{port}> "
    if words:
        assert store is not None  # without a server, a command was refused above
        for line in _redis(store, words, not proc.tty, version):
            yield ("out", line)
        return 0
    while True:
        line = yield ("read", (prompt, False))
        if line is None:
            return 0
        words = line.split()
        if not words:
            continue
        if words[0].lower() in ("quit", "exit"):
            return 0
        if store is None:
            yield ("out", f"Could not connect to Redis at {host}:{port}: Connection refused")
            continue
        for out in _redis(store, words, False, version):
            yield ("out", out)


def _redis(store: dict, words: list[str], raw: bool, version: str = REDIS_LATEST) -> list[str]:
    """One command against the server's keys, answered as redis-cli shows it."""
    cmd, args = words[0].upper(), words[1:]

    def text(v: str) -> str:
        return v if raw else f'"{v}"'

    def integer(n: int) -> str:
        return str(n) if raw else f"(integer) {n}"

    def wrong() -> list[str]:
        return [f"(error) ERR wrong number of arguments for '{words[0].lower()}' command"]

    if cmd == "PING":
        return [text(args[0]) if args else "PONG"]
    if cmd == "SET":
        if len(args) < 2:
            return wrong()
        store[args[0]] = args[1]
        return ["OK"]
    if cmd == "GET":
        if len(args) != 1:
            return wrong()
        value = store.get(args[0])
        return ["" if raw else "(nil)"] if value is None else [text(value)]
    if cmd in ("INCR", "DECR", "INCRBY"):
        if (cmd == "INCRBY" and len(args) != 2) or (cmd != "INCRBY" and len(args) != 1):
            return wrong()
        step = int(args[1]) if cmd == "INCRBY" else (1 if cmd == "INCR" else -1)
        current = store.get(args[0], "0")
        if not re.fullmatch(r"-?\d+", current):
            return ["(error) ERR value is not an integer or out of range"]
        store[args[0]] = str(int(current) + step)
        return [integer(int(store[args[0]]))]
    if cmd in ("DEL", "EXISTS"):
        if not args:
            return wrong()
        found = [k for k in args if k in store]
        if cmd == "DEL":
            for k in found:
                del store[k]
        return [integer(len(found))]
    if cmd == "KEYS":
        if len(args) != 1:
            return wrong()
        keys = sorted(k for k in store if fnmatch.fnmatchcase(k, args[0]))
        if not keys:
            return [] if raw else ["(empty array)"]
        return keys if raw else [f'{n}) "{k}"' for n, k in enumerate(keys, 1)]
    if cmd == "DBSIZE":
        return [integer(len(store))]
    if cmd in ("FLUSHALL", "FLUSHDB"):
        store.clear()
        return ["OK"]
    if cmd == "INFO":
        return ["# Server", f"redis_version:{version}", "redis_mode:standalone", "tcp_port:6379"]
    return [
        f"(error) ERR unknown command '{words[0]}', with args beginning with: "
        + " ".join(f"'{a}'" for a in args)
        + (" " if args else "")
    ]


# -- mysql ---------------------------------------------------------------------------------------

MYSQL_LATEST = "9.5.0"


class _NoVariables:
    status = 0

    def var(self, name: str) -> str | None:
        return None

    def set_var(self, name: str, value: str) -> None:
        pass

    def substitute(self, script: str) -> str:
        return ""


_NO_VARIABLES = _NoVariables()
SYSTEM_DATABASES = ["information_schema", "mysql", "performance_schema", "sys"]


def _mysql(proc: Proc, args: list[str]) -> Program:
    """mysql [-u USER] [-p[PASSWORD]] [-h HOST] [-e STATEMENTS] [DATABASE]."""
    user, password, execute, database = "root", None, None, None
    asked = False
    it = iter(args)
    for a in it:
        if a == "-u":
            user = next(it, "root")
        elif a.startswith("-u"):
            user = a[2:]
        elif a.startswith("--user="):
            user = a.split("=", 1)[1]
        elif a == "-p":
            asked = True
        elif a.startswith("-p"):
            password = a[2:]
        elif a.startswith("--password="):
            password = a.split("=", 1)[1]
        elif a == "--password":
            asked = True
        elif a in ("-e", "--execute"):
            execute = next(it, "")
        elif a == "-h":
            next(it, "")
        elif a.startswith("-h") or a.startswith("-P"):
            pass
        elif not a.startswith("-"):
            database = a
    if asked:
        typed = yield ("read", ("Enter password: ", True))
        password = typed or ""
    server = proc.server.get("mysql")
    if server is None or not server.get("ready"):
        yield ("err", "ERROR 2002 (HY000): Can't connect to local MySQL server through socket "
               "'/var/run/mysqld/mysqld.sock' (2)")  # fmt: skip
        return 1
    if password != server.get("root_password") or user != "root":
        using = "YES" if password else "NO"
        yield ("err", f"ERROR 1045 (28000): Access denied for user '{user}'@'localhost' "
               f"(using password: {using})")  # fmt: skip
        return 1
    dbs: dict[str, dict] = server.setdefault("databases", {})
    version = server.get("version", MYSQL_LATEST)
    session = {"db": database, "version": version}
    if database is not None and database not in dbs and database not in SYSTEM_DATABASES:
        yield ("err", f"ERROR 1049 (42000): Unknown database '{database}'")
        return 1
    if execute is not None:
        for statement in _statements(execute):
            lines, error = _sql(dbs, session, statement, batch=not proc.tty)
            if error:
                yield ("err", error)
                return 1
            for line in lines:
                yield ("out", line)
        return 0
    server["connections"] = server.get("connections", 7) + 1
    for line in (
        "Welcome to the MySQL monitor.  Commands end with ; or \\g.",
        f"Your MySQL connection id is {server['connections']}",
        "Server version: "
        + version
        + (
            " MySQL Community Server (GPL)"
            if version.startswith("5.")
            else " MySQL Community Server - GPL"
        ),
        "",
        "Copyright (c) 2000, 2024, Oracle and/or its affiliates.",
        "",
        "Oracle is a registered trademark of Oracle Corporation and/or its",
        "affiliates. Other names may be trademarks of their respective",
        "owners.",
        "",
        "Type 'help;' or '\\h' for help. Type '\\c' to clear the current input statement.",
        "",
    ):
        yield ("out", line)
    pending = ""
    while True:
        try:
            line = yield ("read", ("    -> " if pending else "mysql> ", False))
        except Interrupt:
            yield ("out", "^C")
            pending = ""
            continue
        if line is None:
            yield ("out", "Bye")
            return 0
        if not pending and line.strip().rstrip(";").lower() in ("exit", "quit", "\\q"):
            yield ("out", "Bye")
            return 0
        if not pending and re.fullmatch(r"\s*use\s+`?\w+`?\s*;?\s*", line, re.I):
            # `use` is the client's own command: it needs no semicolon
            lines, error = _sql(dbs, session, line.strip().rstrip(";"), batch=False)
            for out in [error] if error else lines:
                yield ("out", out)
            continue
        pending += (" " if pending else "") + line
        if ";" not in pending and not pending.strip().endswith("\\g"):
            if not pending.strip():
                pending = ""
            continue
        text, pending = pending, ""
        for statement in _statements(text):
            lines, error = _sql(dbs, session, statement, batch=False)
            for out in ([error] if error else []) + lines:
                yield ("out", out)
            yield ("out", "")


def _statements(text: str) -> list[str]:
    return [s.strip() for s in re.split(r";|\\g", text) if s.strip()]


def _table(columns: list[str], rows: list[list[str]], batch: bool) -> list[str]:
    if batch:  # mysql -e with no terminal: tab-separated, as the client prints it
        return ["\t".join(columns)] + ["\t".join(r) for r in rows]
    widths = [max([len(c)] + [len(r[k]) for r in rows]) for k, c in enumerate(columns)]
    numeric = [bool(rows) and all(re.fullmatch(r"-?\d+(\.\d+)?", r[k]) for r in rows)
               for k in range(len(columns))]  # fmt: skip
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def row(values: list[str], head: bool = False) -> str:
        cells = [
            v.rjust(w) if numeric[k] and not head else v.ljust(w)
            for k, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "| " + " | ".join(cells) + " |"

    return [rule, row(columns, head=True), rule] + [row(r) for r in rows] + [rule]


def _sql(dbs: dict[str, dict], session: dict, statement: str, batch: bool) -> tuple[list, str]:
    """One SQL statement: (lines to print, error). Enough SQL for a lesson: databases,
    tables, inserts and selects, and the server's version."""

    def done(n: int = 0) -> tuple[list, str]:
        return (
            [] if batch else [f"Query OK, {n} row{'s' if n != 1 else ''} affected (0.01 sec)"]
        ), ""

    def rows_set(columns: list[str], rows: list[list[str]]) -> tuple[list, str]:
        if batch:
            return _table(columns, rows, True), ""
        if not rows:
            return ["Empty set (0.00 sec)"], ""
        n = len(rows)
        return _table(columns, rows, False) + [
            f"{n} row{'s' if n != 1 else ''} in set (0.00 sec)"
        ], ""

    s = statement.strip()
    low = s.lower()
    m = re.fullmatch(r"show\s+databases", low)
    if m:
        names = sorted(set(SYSTEM_DATABASES) | set(dbs))
        return rows_set(["Database"], [[n] for n in names])
    m = re.fullmatch(r"create\s+database\s+(if\s+not\s+exists\s+)?`?(\w+)`?", s, re.I)
    if m:
        name = m.group(2)
        if name in dbs or name in SYSTEM_DATABASES:
            if m.group(1):
                return done(0)
            return [], f"ERROR 1007 (HY000): Can't create database '{name}'; database exists"
        dbs[name] = {}
        return done(1)
    m = re.fullmatch(r"drop\s+database\s+`?(\w+)`?", s, re.I)
    if m:
        if m.group(1) not in dbs:
            return (
                [],
                f"ERROR 1008 (HY000): Can't drop database '{m.group(1)}'; database doesn't exist",
            )
        n = len(dbs.pop(m.group(1)))
        return done(n)
    m = re.fullmatch(r"use\s+`?(\w+)`?", s, re.I)
    if m:
        if m.group(1) not in dbs and m.group(1) not in SYSTEM_DATABASES:
            return [], f"ERROR 1049 (42000): Unknown database '{m.group(1)}'"
        session["db"] = m.group(1)
        return ([] if batch else ["Database changed"]), ""
    m = re.fullmatch(r"select\s+(version\(\)|database\(\)|user\(\)|now\(\)|[\d\s+*/()-]+)", low)
    if m:
        what = m.group(1)
        value = {
            "version()": session["version"],
            "database()": session.get("db") or "NULL",
            "user()": "root@localhost",
        }.get(what)
        if value is None:
            try:
                value = str(arith(what, _NO_VARIABLES))
            except ShellSyntaxError:
                return [], "ERROR 1064 (42000): You have an error in your SQL syntax"
        return rows_set([s[len("select") :].strip()], [[value]])
    db_name = session.get("db")
    needs_db = re.match(r"(show\s+tables|create\s+table|insert|select|drop\s+table)", low)
    if needs_db and not db_name:
        return [], "ERROR 1046 (3D000): No database selected"
    tables = dbs.get(db_name or "", {})
    if re.fullmatch(r"show\s+tables", low):
        return rows_set([f"Tables_in_{db_name}"], [[t] for t in sorted(tables)])
    m = re.fullmatch(r"create\s+table\s+`?(\w+)`?\s*\((.*)\)", s, re.I | re.S)
    if m:
        name = m.group(1)
        if name in tables:
            return [], f"ERROR 1050 (42S01): Table '{name}' already exists"
        columns = [c.strip().split()[0].strip("`") for c in m.group(2).split(",") if c.strip()]
        tables[name] = {"columns": columns, "rows": []}
        return done(0)
    m = re.fullmatch(r"insert\s+into\s+`?(\w+)`?\s*(?:\([^)]*\))?\s*values\s*(.*)", s, re.I | re.S)
    if m:
        table = tables.get(m.group(1))
        if table is None:
            return [], f"ERROR 1146 (42S02): Table '{db_name}.{m.group(1)}' doesn't exist"
        groups = re.findall(r"\(([^)]*)\)", m.group(2))
        for g in groups:
            values = [v.strip().strip("'\"") for v in g.split(",")]
            table["rows"].append(
                (values + ["NULL"] * len(table["columns"]))[: len(table["columns"])]
            )
        return done(len(groups))
    m = re.fullmatch(r"select\s+\*\s+from\s+`?(\w+)`?", s, re.I)
    if m:
        table = tables.get(m.group(1))
        if table is None:
            return [], f"ERROR 1146 (42S02): Table '{db_name}.{m.group(1)}' doesn't exist"
        return rows_set(table["columns"], table["rows"])
    m = re.fullmatch(r"drop\s+table\s+`?(\w+)`?", s, re.I)
    if m:
        if tables.pop(m.group(1), None) is None:
            return [], f"ERROR 1051 (42S02): Unknown table '{db_name}.{m.group(1)}'"
        return done(0)
    near = s.split()[0] if s.split() else s
    return [], (
        "ERROR 1064 (42000): You have an error in your SQL syntax; check the manual that "
        "corresponds to your MySQL server version for the right syntax to use near "
        f"'{near}' at line 1"
    )


COMMANDS.update(
    {
        "wget": _wget,
        "curl": _curl,
        "nslookup": _nslookup,
        "ping": _ping,
        "nginx": _nginx,
        "redis-cli": _redis_cli,
        "nc": _nc,
        "mysql": _mysql,
        "mariadb": _mysql,
    }
)
