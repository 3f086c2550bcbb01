"""What the images' processes do: servers that log and answer HTTP, programs that print
and exit, and anything else through the container shell (sh.py)."""

from __future__ import annotations

import hashlib

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
        if image.repo == "mysql" and argv[:1] == ["mysqld"]:
            status = yield from _mysql(proc)
            return status
        if argv[:1] == ["nginx"]:
            for line in NGINX_START:
                yield ("out", line)
            proc.server["nginx_version"] = clients.nginx_version(proc.server.get("image", ""))
            yield ("listen", (80, _nginx(proc, image)))
            yield ("sleep", sh.FOREVER)
            return 0
    if not argv:
        return 0
    name = argv[0].rsplit("/", 1)[-1]
    if name == "nginx" and "daemon off;" in argv:
        proc.server["nginx_version"] = clients.nginx_version(proc.server.get("image", ""))
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
        proc.server["redis"] = {}  # its keys, in memory: gone when it stops
        yield ("out", "1:C * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
        yield ("out", "1:M * Ready to accept connections tcp")
        yield ("sleep", sh.FOREVER)
        return 0
    if name == "whoami":
        yield ("out", "Starting up on port 80")
        yield ("listen", (80, _whoami(proc)))
        yield ("sleep", sh.FOREVER)
        return 0
    if name == "postgres":
        yield ("sleep", sh.FOREVER)
        return 0
    if name == "hello":
        for line in HELLO.split("\n")[:-1]:
            yield ("out", line)
        return 0
    status = yield from sh.command(proc, argv)
    return status


def _mysql(proc: sh.Proc) -> sh.Program:
    env = proc.env
    password = env.get("MYSQL_ROOT_PASSWORD")
    path = env.get("MYSQL_ROOT_PASSWORD_FILE")
    if path:
        if path not in proc.files:
            yield (
                "err",
                "[ERROR] [Entrypoint]: Both MYSQL_ROOT_PASSWORD_FILE and the file "
                f"{path} are required",
            )
            return 1
        password = proc.files[path].rstrip("\n")
    if (
        not password
        and not env.get("MYSQL_ALLOW_EMPTY_PASSWORD")
        and not env.get("MYSQL_RANDOM_ROOT_PASSWORD")
    ):
        for line in MYSQL_NO_PASSWORD:
            yield ("err", line)
        return 1
    yield ("out", "[Note] [Entrypoint]: Entrypoint script for MySQL Server started.")
    yield ("out", "[Note] [Entrypoint]: Initializing database files")
    proc.server["mysql"] = {
        "ready": False,
        "root_password": password or "",
        "version": clients.mysql_version(proc.server.get("image", "")),
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


# -- what the servers answer -----------------------------------------------------------------


def _access_time(proc: sh.Proc) -> str:
    from ..gocompat import utc

    return utc(proc.now()).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _nginx(proc: sh.Proc, image: Image) -> sh.Handler:
    def serve(path: str, client: str) -> tuple[int, str]:
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

    return serve


def _apache(proc: sh.Proc) -> sh.Handler:
    def serve(path: str, client: str) -> tuple[int, str]:
        if path in ("/", "/index.html"):
            status, body = 200, "<html><body><h1>It works!</h1></body></html>\n"
        else:
            status, body = 404, APACHE_404.format(path=path)
        proc.log("stdout", f'{client} - - [{_access_time(proc)}] "GET {path} HTTP/1.1" {status} '
                 f"{len(body)}")  # fmt: skip
        return status, body

    return serve


def _whoami(proc: sh.Proc) -> sh.Handler:
    def serve(path: str, client: str) -> tuple[int, str]:
        return 200, (
            f"Hostname: {proc.hostname}\nIP: 127.0.0.1\nIP: {proc.address}\n"
            f"RemoteAddr: {client}:{40000 + len(path)}\nGET {path} HTTP/1.1\n"
            "Host: localhost\nUser-Agent: curl/8.5.0\nAccept: */*\n\n"
        )

    return serve


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
