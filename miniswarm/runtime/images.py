"""The images a lab host can run, with their real default commands and what their
processes are built on. Which tags exist, and which version each runs, is the Hub's
business (hub.py): a tag the Hub has not got is rejected as swarm rejects it ("No such
image: nginx:9.99")."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

from . import hub


@dataclass(frozen=True)
class Image:
    repo: str
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
    version: str = ""  # what the tag runs (hub.py): "1.11.13"

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
        return _SHELLS.get(self.base, "dash")


_SHELLS = {"busybox": "ash", "alpine": "ash", "oraclelinux": "bash"}


# The programs of each base image that the lab's containers can run (runtime/sh.py).
_COMMON = {"sh", "echo", "printf", "cat", "ls", "env", "printenv", "mount", "sleep"}
_COMMON |= {"hostname", "date", "tail", "head", "test", "[", "grep", "true", "false"}
_COMMON |= {"id", "whoami", "pwd", "uname", "exit", "sed", "which"}
_COMMON |= {"wc", "sort", "uniq", "cut", "tr", "tee", "seq"}  # busybox and coreutils both
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
            entrypoint=("/docker-entrypoint.sh",),
            cmd=("nginx", "-g", "daemon off;"),
            ports=(80,),
            size=192_000_000,
            programs=("nginx", "curl"),
        ),
        Image(
            "httpd",
            cmd=("httpd-foreground",),
            ports=(80,),
            workdir="/usr/local/apache2",
            size=148_000_000,
            programs=("httpd", "httpd-foreground", "apachectl"),
        ),
        Image(
            "redis",
            entrypoint=("docker-entrypoint.sh",),
            cmd=("redis-server",),
            ports=(6379,),
            workdir="/data",
            size=117_000_000,
            programs=("redis-server", "redis-cli", "docker-entrypoint.sh"),
        ),
        Image(
            "alpine",
            cmd=("/bin/sh",),
            size=7_800_000,
            base="alpine",
        ),
        Image(
            "busybox",
            cmd=("sh",),
            size=4_300_000,
            base="busybox",
        ),
        Image(
            "ubuntu",
            cmd=("/bin/bash",),
            size=78_000_000,
        ),
        Image(
            "debian",
            cmd=("bash",),
            size=117_000_000,
        ),
        Image(
            "mysql",
            entrypoint=("docker-entrypoint.sh",),
            cmd=("mysqld",),
            ports=(3306, 33060),
            size=600_000_000,
            base="oraclelinux",
            programs=("mysql", "mysqld", "mysqladmin", "docker-entrypoint.sh"),
        ),
        Image(
            "postgres",
            entrypoint=("docker-entrypoint.sh",),
            cmd=("postgres",),
            ports=(5432,),
            size=430_000_000,
            programs=("postgres", "psql", "docker-entrypoint.sh"),
        ),
        Image(
            "mariadb",
            entrypoint=("docker-entrypoint.sh",),
            cmd=("mariadbd",),
            ports=(3306,),
            size=330_000_000,
            programs=("mariadb", "mariadbd", "mysql", "mysqld", "docker-entrypoint.sh"),
        ),
        Image(
            "mongo",
            entrypoint=("docker-entrypoint.sh",),
            cmd=("mongod",),
            ports=(27017,),
            workdir="/",
            size=850_000_000,
            programs=("mongod", "mongosh", "docker-entrypoint.sh"),
        ),
        Image(
            "centos",
            cmd=("/bin/bash",),
            size=231_000_000,
            base="oraclelinux",
        ),
        Image(
            "python",
            cmd=("python3",),
            size=1_020_000_000,
            programs=("python", "python3", "pip"),
        ),
        Image(
            "node",
            entrypoint=("docker-entrypoint.sh",),
            cmd=("node",),
            size=1_100_000_000,
            programs=("node", "npm", "npx", "docker-entrypoint.sh"),
        ),
        Image(
            "golang",
            cmd=("bash",),
            workdir="/go",
            size=850_000_000,
            programs=("go", "gofmt"),
        ),
        Image(
            "traefik",
            entrypoint=("/entrypoint.sh",),
            cmd=("traefik",),
            ports=(80,),
            size=180_000_000,
            base="alpine",
            programs=("traefik", "/entrypoint.sh"),
        ),
        Image(
            "registry",
            entrypoint=("/entrypoint.sh",),
            cmd=("/etc/docker/registry/config.yml",),
            ports=(5000,),
            size=25_000_000,
            base="alpine",
            programs=("registry", "/entrypoint.sh"),
        ),
        Image(
            "dockersamples/visualizer",
            cmd=("npm", "start"),
            ports=(8080,),
            workdir="/app",
            size=148_000_000,
            base="alpine",
            programs=("node", "npm"),
        ),
        Image(
            "dockersamples/examplevotingapp_vote",
            cmd=("gunicorn", "app:app", "-b", "0.0.0.0:80"),
            ports=(80,),
            workdir="/app",
            size=150_000_000,
            programs=("python", "gunicorn"),
        ),
        Image(
            "dockersamples/examplevotingapp_result",
            cmd=("node", "server.js"),
            ports=(80,),
            workdir="/app",
            size=230_000_000,
            programs=("node", "npm"),
        ),
        Image(
            "dockersamples/examplevotingapp_worker",
            cmd=("dotnet", "Worker.dll"),
            workdir="/app",
            size=190_000_000,
            programs=("dotnet",),
        ),
        Image(
            "dockersamples/static-site",
            cmd=("/bin/sh", "-c", "cd /usr/share/nginx/html && nginx -g 'daemon off;'"),
            ports=(80, 443),
            size=191_000_000,
            programs=("nginx",),
        ),
        Image(
            "dockersamples/101-tutorial",
            entrypoint=("/docker-entrypoint.sh",),
            cmd=("nginx", "-g", "daemon off;"),
            ports=(80,),
            size=27_000_000,
            base="alpine",
            programs=("nginx",),
        ),
        Image(
            "hello-world",
            cmd=("/hello",),
            size=13_000,
            base="scratch",
            programs=("hello",),
        ),
        Image(
            "traefik/whoami",
            entrypoint=("/whoami",),
            ports=(80,),
            size=6_500_000,
            base="scratch",
            programs=("whoami",),
        ),
        Image(
            "nginxdemos/hello",
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


@functools.lru_cache(maxsize=1024)  # the catalog is fixed; a swarm starts one image often
def find(ref: str) -> Image | None:
    """The image `ref` names, as the Hub has it; None if the Hub has no such tag."""
    name, tag = split(ref)
    image = CATALOG.get(name)
    found = hub.resolve(name, tag)
    if image is None or found is None:
        return None
    base = "alpine" if found.variant.startswith("alpine") else image.base
    return _variant(name, found.version, base)


@functools.lru_cache(maxsize=256)
def _variant(name: str, version: str, base: str) -> Image:
    """One Image for each tag found: every container of it shares it (it is frozen)."""
    return replace(CATALOG[name], version=version, base=base)
