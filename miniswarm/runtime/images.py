"""The images a lab host can run: what lessons use, with their real default commands and
what their processes do (serve HTTP, print, exit). A tag not listed does not exist, and a
task asking for it is rejected as swarm rejects it ("No such image: nginx:9.99")."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Image:
    repo: str
    tags: tuple[str, ...]
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: tuple[str, ...] = ("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",)
    ports: tuple[int, ...] = ()
    workdir: str = "/"
    size: int = 0
    extra: dict = field(default_factory=dict)
    # What it is built on (which shell and tools it has: see BASES), and the programs
    # its own layers add.
    base: str = "debian"
    programs: tuple[str, ...] = ()

    @property
    def exposed(self) -> list[str]:
        """Its EXPOSE list, as `docker ps` shows it: 80/tcp."""
        return [f"{p}/tcp" for p in self.ports]

    def has(self, program: str) -> bool:
        """Whether `program` is on the image's PATH (a path is looked up by its name)."""
        return program.rsplit("/", 1)[-1] in BASES[self.base] | set(self.programs)

    @property
    def shell(self) -> str:
        """What /bin/sh is: busybox's ash, Debian's dash, or bash."""
        return {"busybox": "ash", "alpine": "ash", "oraclelinux": "bash"}.get(self.base, "dash")


# The programs of each base image that the lab's containers can run (runtime/sh.py).
_COMMON = {"sh", "echo", "printf", "cat", "ls", "env", "printenv", "mount", "sleep"}
_COMMON |= {"hostname", "date", "tail", "head", "test", "[", "grep", "true", "false"}
_COMMON |= {"id", "whoami", "pwd", "uname", "exit"}
_BUSYBOX = _COMMON | {"ash", "ping", "httpd", "wget", "nslookup", "nc"}
# The directories at the top of each base image's file system (what `ls /` shows).
_FHS = "bin boot dev etc home lib lib64 media mnt opt proc root run sbin srv sys tmp usr var"
ROOT_DIRS: dict[str, tuple[str, ...]] = {
    "busybox": tuple("bin dev etc home lib lib64 proc root sys tmp usr var".split()),
    "alpine": tuple(
        "bin dev etc home lib media mnt opt proc root run sbin srv sys tmp usr var".split()
    ),
    "debian": tuple(_FHS.split()),
    "oraclelinux": tuple(_FHS.split()),
    "scratch": ("dev", "etc", "proc", "sys"),
}
BASES: dict[str, frozenset[str]] = {
    "busybox": frozenset(_BUSYBOX),
    "alpine": frozenset(_BUSYBOX),
    "debian": frozenset(_COMMON | {"bash", "dash"}),
    "oraclelinux": frozenset(_COMMON | {"bash"}),
    "scratch": frozenset(),
}


NGINX_PAGE = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

CATALOG = {
    image.repo: image
    for image in (
        Image(
            "nginx",
            (
                "latest",
                "stable",
                "alpine",
                "mainline",
                "1.10",
                "1.11",
                "1.12",
                "1.13",
                "1.14",
                "1.15",
                "1.16",
                "1.17",
                "1.18",
                "1.19",
                "1.20",
                "1.21",
                "1.22",
                "1.23",
                "1.24",
                "1.25",
                "1.26",
                "1.27",
            ),
            entrypoint=("/docker-entrypoint.sh",),
            cmd=("nginx", "-g", "daemon off;"),
            ports=(80,),
            size=192_000_000,
            programs=("nginx", "curl"),
        ),
        Image(
            "httpd",
            ("latest", "2.4", "alpine"),
            cmd=("httpd-foreground",),
            ports=(80,),
            workdir="/usr/local/apache2",
            size=148_000_000,
            programs=("httpd", "httpd-foreground", "apachectl"),
        ),
        Image(
            "redis",
            ("latest", "alpine", "3.2", "4", "5", "6", "7"),
            entrypoint=("docker-entrypoint.sh",),
            cmd=("redis-server",),
            ports=(6379,),
            workdir="/data",
            size=117_000_000,
            programs=("redis-server", "redis-cli", "docker-entrypoint.sh"),
        ),
        Image(
            "alpine",
            ("latest", "3", "3.18", "3.19", "3.20", "3.21", "edge"),
            cmd=("/bin/sh",),
            size=7_800_000,
            base="alpine",
        ),
        Image(
            "busybox",
            ("latest", "1", "1.36", "musl", "glibc"),
            cmd=("sh",),
            size=4_300_000,
            base="busybox",
        ),
        Image(
            "ubuntu",
            ("latest", "14.04", "16.04", "18.04", "20.04", "22.04", "24.04"),
            cmd=("/bin/bash",),
            size=78_000_000,
        ),
        Image(
            "debian",
            ("latest", "bookworm", "bullseye", "12", "11"),
            cmd=("bash",),
            size=117_000_000,
        ),
        Image(
            "mysql",
            ("latest", "5.7", "8.0", "8.4"),
            entrypoint=("docker-entrypoint.sh",),
            cmd=("mysqld",),
            ports=(3306, 33060),
            size=600_000_000,
            base="oraclelinux",
            programs=("mysql", "mysqld", "mysqladmin", "docker-entrypoint.sh"),
        ),
        Image(
            "postgres",
            ("latest", "15", "16", "17", "alpine"),
            entrypoint=("docker-entrypoint.sh",),
            cmd=("postgres",),
            ports=(5432,),
            size=430_000_000,
            programs=("postgres", "psql", "docker-entrypoint.sh"),
        ),
        Image(
            "hello-world",
            ("latest",),
            cmd=("/hello",),
            size=13_000,
            base="scratch",
            programs=("hello",),
        ),
        Image(
            "traefik/whoami",
            ("latest",),
            entrypoint=("/whoami",),
            ports=(80,),
            size=6_500_000,
            base="scratch",
            programs=("whoami",),
        ),
        Image(
            "nginxdemos/hello",
            ("latest", "plain-text"),
            entrypoint=("/docker-entrypoint.sh",),
            cmd=("nginx", "-g", "daemon off;"),
            ports=(80,),
            size=23_000_000,
            base="alpine",
            programs=("nginx", "curl"),
        ),
    )
}


def split(ref: str) -> tuple[str, str]:
    """("nginx", "1.11") from "nginx:1.11", "docker.io/library/nginx:1.11" or a digest."""
    ref = ref.split("@", 1)[0]
    name, tag = ref, "latest"
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name, tag


def normalise(ref: str) -> str:
    """The reference as swarm stores it: a tag is always there ("nginx" -> "nginx:latest")."""
    if "@" in ref:
        return ref
    last = ref.rsplit("/", 1)[-1]
    return ref if ":" in last else ref + ":latest"


def find(ref: str) -> Image | None:
    name, tag = split(ref)
    image = CATALOG.get(name)
    if image is None or tag not in image.tags:
        return None
    return image
