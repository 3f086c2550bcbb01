"""What the images' processes do: servers that log and answer HTTP, programs that print
and exit, and anything else through the container shell (sh.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from . import clients, sh
from .images import NGINX_PAGE, Image

ENTRYPOINTS = {
    "docker-entrypoint.sh",
    "/docker-entrypoint.sh",
    "/usr/local/bin/docker-entrypoint.sh",
}

NGINX_START = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, "
    "will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in "
    "/etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
)
HELLO = """
Hello from Docker!
This message shows that your installation appears to be working correctly.

To generate this message, Docker took the following steps:
 1. The Docker client contacted the Docker daemon.
 2. The Docker daemon pulled the "hello-world" image from the Docker Hub.
    (amd64)
 3. The Docker daemon created a new container from that image which runs the
    executable that produces the output you are currently reading.
 4. The Docker daemon streamed that output to the Docker client, which sent it
    to your terminal.

To try something more ambitious, you can run an Ubuntu container with:
 $ docker run -it ubuntu bash

Share images, automate workflows, and more with a free Docker ID:
 https://hub.docker.com/

For more examples and ideas, visit:
 https://docs.docker.com/get-started/
"""
MARIADB_NO_PASSWORD = (
    "[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified",
    "\tYou need to specify one of MARIADB_ROOT_PASSWORD, MARIADB_ROOT_PASSWORD_HASH, "
    "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD",
)
POSTGRES_NO_PASSWORD = """Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.

       See PostgreSQL documentation about "trust":
       https://www.postgresql.org/docs/current/auth-trust.html"""
MYSQL_NO_PASSWORD = (
    "[ERROR] [Entrypoint]: Database is uninitialized and password option is not specified",
    "    You need to specify one of the following as an environment variable:",
    "    - MYSQL_ROOT_PASSWORD",
    "    - MYSQL_ALLOW_EMPTY_PASSWORD",
    "    - MYSQL_RANDOM_ROOT_PASSWORD",
)


def program(proc: sh.Proc, image: Image, argv: list[str]) -> sh.Program:
    """The container's main process."""
    if argv and argv[0] in ENTRYPOINTS:
        argv = argv[1:]
        if image.repo in ("mysql", "mariadb") and argv[:1] in (["mysqld"], ["mariadbd"]):
            status = yield from _mysql(proc, image)
            return status
        if image.repo == "postgres" and argv[:1] == ["postgres"]:
            status = yield from _postgres(proc, image)
            return status
        if argv[:1] == ["nginx"]:
            for line in NGINX_START:
                yield ("out", line)
            yield ("listen", (80, _nginx(proc, image)))
            yield ("sleep", sh.FOREVER)
            return 0
    if not argv:
        return 0
    name = argv[0].rsplit("/", 1)[-1]
    server = SERVERS.get(image.repo)
    if server is not None and argv == list(image.entrypoint + image.cmd):
        status = yield from server(proc, image)  # the image's own server, as it starts
        return status
    if name == "nginx" and "daemon off;" in argv:
        yield ("listen", (80, _nginx(proc, image)))
        yield ("sleep", sh.FOREVER)
        return 0
    if name == "httpd-foreground":
        yield (
            "err",
            "AH00558: httpd: Could not reliably determine the server's fully qualified "
            f"domain name, using {proc.address}. Set the 'ServerName' directive globally to "
            "suppress this message",
        )
        yield ("listen", (80, _apache(proc)))
        yield ("sleep", sh.FOREVER)
        return 0
    if name == "redis-server":
        status = yield from _redis(proc, image)
        return status
    if name == "whoami":
        yield ("out", "Starting up on port 80")
        yield ("listen", (80, _whoami(proc)))
        yield ("sleep", sh.FOREVER)
        return 0
    if name in ("python", "python3", "node") and len(argv) == 1:
        return 0  # a prompt with no terminal: it reads the end of its input, and exits
    if name == "hello":
        for line in HELLO.split("\n")[:-1]:
            yield ("out", line)
        return 0
    status = yield from sh.command(proc, argv)
    return status


def _redis(proc: sh.Proc, image: Image) -> sh.Program:
    """redis-server's start, as its version logs it."""
    proc.server["redis"] = {}  # its keys, in memory: gone when it stops
    version = image.version or clients.REDIS_LATEST
    proc.server["redis_version"] = version
    if _older(version, "4"):
        yield ("out", f"1:M # Server started, Redis version {version}")
        yield ("out", "1:M * The server is now ready to accept connections on port 6379")
    else:
        yield ("out", "1:C * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
        yield (
            "out",
            f"1:C * Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, "
            "just started",
        )
        ready = (
            "Ready to accept connections tcp"
            if not _older(version, "7")
            else ("Ready to accept connections")
        )
        yield ("out", f"1:M * {ready}")
    yield ("sleep", sh.FOREVER)
    return 0


def _older(version: str, than: str) -> bool:
    def key(v: str) -> list[int]:
        return [int(p) for p in v.split(".") if p.isdigit()]

    return key(version) < key(than)


def _password(proc: sh.Proc, names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(the root password the environment gives, directly or in a _FILE; the missing
    file's variable and path, if it names one that is not there)."""
    env = proc.env
    for name in names:
        if env.get(name):
            return env[name], None
        path = env.get(name + "_FILE")
        if path:
            if path not in proc.files:
                return None, f"{name}_FILE {path}"
            return proc.files[path].rstrip("\n"), None
    return None, None


def _mysql(proc: sh.Proc, image: Image) -> sh.Program:
    env = proc.env
    mariadb = image.repo == "mariadb"
    names = (
        ("MARIADB_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD") if mariadb else ("MYSQL_ROOT_PASSWORD",)
    )
    password, missing = _password(proc, names)
    if missing:
        variable, path = missing.split(" ", 1)
        yield (
            "err",
            f"[ERROR] [Entrypoint]: Both {variable} and the file {path} are required",
        )
        return 1
    allowed = any(
        env.get(v)
        for v in (
            "MYSQL_ALLOW_EMPTY_PASSWORD",
            "MYSQL_RANDOM_ROOT_PASSWORD",
            "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD",
            "MARIADB_RANDOM_ROOT_PASSWORD",
        )
    )
    if not password and not allowed:
        for line in MARIADB_NO_PASSWORD if mariadb else MYSQL_NO_PASSWORD:
            yield ("err", line)
        return 1
    yield ("out", "[Note] [Entrypoint]: Entrypoint script for MySQL Server started.")
    yield ("out", "[Note] [Entrypoint]: Initializing database files")
    proc.server["mysql"] = {
        "ready": False,
        "root_password": password or "",
        "version": image.version or clients.MYSQL_LATEST,
    }
    yield ("sleep", 2.0)
    yield ("out", "[Note] [Entrypoint]: MySQL init process done. Ready for start up.")
    proc.server["mysql"]["ready"] = True
    yield (
        "err",
        "[System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Port: 3306",
    )
    yield ("sleep", sh.FOREVER)
    return 0


def _postgres(proc: sh.Proc, image: Image) -> sh.Program:
    password, missing = _password(proc, ("POSTGRES_PASSWORD",))
    if missing:
        path = missing.split(" ", 1)[1]
        yield ("err", f"cat: {path}: No such file or directory")
        return 1
    if not password and proc.env.get("POSTGRES_HOST_AUTH_METHOD") != "trust":
        for line in POSTGRES_NO_PASSWORD.split("\n"):
            yield ("err", line)
        return 1
    yield ("out", 'The files belonging to this database system will be owned by user "postgres".')
    yield ("out", "Success. You can now start the database server using:")
    yield ("sleep", 1.5)
    yield ("out", "PostgreSQL init process complete; ready for start up.")
    yield (
        "out",
        f"LOG:  starting PostgreSQL {image.version or 'latest'} on x86_64-pc-linux-gnu",
    )
    yield ("out", "LOG:  database system is ready to accept connections")
    yield ("sleep", sh.FOREVER)
    return 0


def _serving(port: int, make: Callable[[sh.Proc, Image], sh.Handler], *log: str) -> Server:
    """A server that logs its start and answers on `port` until it is stopped."""

    def server(proc: sh.Proc, image: Image) -> sh.Program:
        for line in log:
            yield ("out", line)
        yield ("listen", (port, make(proc, image)))
        yield ("sleep", sh.FOREVER)
        return 0

    return server


def _forever(*log: str) -> Server:
    def server(proc: sh.Proc, image: Image) -> sh.Program:
        for line in log:
            yield ("out", line)
        yield ("sleep", sh.FOREVER)
        return 0

    return server


def _page(status: int, body: str) -> Callable[[sh.Proc, Image], sh.Handler]:
    def make(proc: sh.Proc, image: Image) -> sh.Handler:
        def serve(path: str, client: str) -> tuple[int, str]:
            text = body.replace("{AUTHOR}", proc.env.get("AUTHOR", "Docker"))
            return (status, text) if path in ("/", "/index.html") else (404, "Not Found\n")

        return serve

    return make


def _registry(proc: sh.Proc, image: Image) -> sh.Handler:
    def serve(path: str, client: str) -> tuple[int, str]:
        if path in ("/v2/", "/v2"):
            return 200, "{}"
        if path == "/v2/_catalog":
            return 200, '{"repositories":[]}\n'
        return (200, "") if path == "/" else (404, "404 page not found\n")

    return serve


Server = Callable[[sh.Proc, Image], sh.Program]
# The images whose default command is a server of their own (started as the image starts
# it: the default entrypoint and command).
SERVERS: dict[str, Server] = {
    "mongo": _forever(
        '{"t":{"$date":"2026-01-01T00:00:00.000+00:00"},"s":"I","c":"NETWORK","id":23016,'
        '"ctx":"listener","msg":"Waiting for connections","attr":{"port":27017,"ssl":"off"}}'
    ),
    "traefik": _serving(
        80,
        _page(404, "404 page not found\n"),
        'time="2026-01-01T00:00:00Z" level=info msg="Configuration loaded from flags."',
    ),
    "registry": _serving(
        5000,
        _registry,
        'time="2026-01-01T00:00:00Z" level=info msg="listening on [::]:5000" go.version=go1.20',
    ),
    "dockersamples/visualizer": _serving(
        8080,
        _page(
            200,
            "<!DOCTYPE html>\n<html>\n<head><title>Visualizer</title></head>\n"
            '<body><div id="app"></div></body>\n</html>\n',
        ),  # fmt: skip
        "> swarmVisualizer@0.0.1 start /app",
        "> node server.js",
    ),
    "dockersamples/examplevotingapp_vote": _serving(
        80,
        _page(
            200,
            "<!DOCTYPE html>\n<html>\n<head><title>Cats vs Dogs!</title></head>\n"
            "<body><h3>Cats vs Dogs!</h3></body>\n</html>\n",
        ),  # fmt: skip
        "[INFO] Starting gunicorn 19.10.0",
        "[INFO] Listening at: http://0.0.0.0:80 (1)",
    ),
    "dockersamples/examplevotingapp_result": _serving(
        80,
        _page(
            200,
            "<!DOCTYPE html>\n<html>\n<head><title>Cats vs Dogs -- Result"
            "</title></head>\n<body></body>\n</html>\n",
        ),  # fmt: skip
        "App running on port 80",
        "Waiting for db",
    ),
    "dockersamples/examplevotingapp_worker": _forever("Waiting for db"),
    "dockersamples/static-site": _serving(
        80,
        _page(
            200,
            "<!DOCTYPE html>\n<html>\n<head><title>Hello {AUTHOR}!</title></head>\n"
            "<body><h1>Hello {AUTHOR}!</h1></body>\n</html>\n",
        ),  # fmt: skip
    ),
}


# -- what the servers answer -----------------------------------------------------------------


def _access_time(proc: sh.Proc) -> str:
    from ..gocompat import utc

    return utc(proc.now()).strftime("%d/%b/%Y:%H:%M:%S +0000")


class _Server:
    """A server's handler: `serve(proc, image, path, client)` for its process. Slotted, not
    a closure or a partial: a host's thousands of servers hold three references each."""

    __slots__ = ("serve", "proc", "image")

    def __init__(
        self, serve: Callable[..., tuple[int, str]], proc: sh.Proc, image: Image | None
    ) -> None:
        self.serve, self.proc, self.image = serve, proc, image

    def __call__(self, path: str, client: str) -> tuple[int, str]:
        return self.serve(self.proc, self.image, path, client)


def _nginx(proc: sh.Proc, image: Image) -> sh.Handler:
    return _Server(_nginx_serve, proc, image)


def _nginx_serve(proc: sh.Proc, image: Image, path: str, client: str) -> tuple[int, str]:
    if image.repo == "nginxdemos/hello":
        status, body = (
            200,
            (
                f"Server address: {proc.address}:80\nServer name: {proc.hostname}\n"
                f"Date: {_access_time(proc)}\nURI: {path}\nRequest ID: "
                f"{hashlib.sha256(f'{proc.hostname}{proc.now()}'.encode()).hexdigest()[:32]}\n"
            ),
        )
    elif path in ("/", "/index.html"):
        status, body = 200, NGINX_PAGE
    else:
        status, body = 404, NGINX_404
    proc.log(
        "stdout",
        f'{client} - - [{_access_time(proc)}] "GET {path} HTTP/1.1" {status} {len(body)} '
        '"-" "curl/8.5.0" "-"',
    )
    return status, body


def _apache(proc: sh.Proc) -> sh.Handler:
    return _Server(_apache_serve, proc, None)


def _apache_serve(proc: sh.Proc, image: None, path: str, client: str) -> tuple[int, str]:
    if path in ("/", "/index.html"):
        status, body = 200, "<html><body><h1>It works!</h1></body></html>\n"
    else:
        status, body = 404, APACHE_404.format(path=path)
    proc.log("stdout", f'{client} - - [{_access_time(proc)}] "GET {path} HTTP/1.1" {status} '
             f"{len(body)}")  # fmt: skip
    return status, body


def _whoami(proc: sh.Proc) -> sh.Handler:
    return _Server(_whoami_serve, proc, None)


def _whoami_serve(proc: sh.Proc, image: None, path: str, client: str) -> tuple[int, str]:
    return 200, (
        f"Hostname: {proc.hostname}\nIP: 127.0.0.1\nIP: {proc.address}\n"
        f"RemoteAddr: {client}:{40000 + len(path)}\nGET {path} HTTP/1.1\n"
        "Host: localhost\nUser-Agent: curl/8.5.0\nAccept: */*\n\n"
    )


NGINX_404 = """<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""
APACHE_404 = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL {path} was not found on this server.</p>
</body></html>
"""
