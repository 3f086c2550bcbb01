"""Docker Hub as a lab host on the internet sees it: which repositories and tags exist.

Each official image a course may use is described by its release history rather than a
list of thousands of tags: `releases` names every minor line with the patches published
for it (`3.0.0-7` is 3.0.0 to 3.0.7), and a tag is `X.Y.Z`, `X.Y` or `X` (the newest of
that line), a named tag (`latest`, `stable`, a codename), or either of those with one of
the image's variants after a dash (`3.0.6-alpine`, `stable-alpine`, a bare `alpine`).
Resolving a tag gives the version the image really runs, so `nginx -v` or redis's INFO
tell the truth. Where the history is only known roughly (`X.0-M.*`: minors 0 to M, any
patch below 20), a tag between releases may be taken for one; nothing else is invented.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Resolved:
    repo: str
    tag: str
    version: str  # what runs: "3.0.7", or "" for an image without versions
    variant: str  # "alpine", "bookworm" … or ""


@dataclass(frozen=True)
class Repo:
    name: str
    releases: str = ""  # "3.0.0-7 3.2.0-12 …"
    variants: str = ""  # "alpine bookworm alpine3.*"
    named: dict[str, str] = field(default_factory=dict)  # tag -> version ("" = newest)
    tags: tuple[str, ...] = ()  # or, instead of releases, every tag it has
    prefix: str = ""  # traefik's "v2.10"

    def lines(self) -> dict[tuple[int, ...], tuple[int, int]]:
        """{(major, minor): (first patch, last patch)}; a rough line has last -1."""
        return _lines(self.name, self.releases)

    def variant_ok(self, variant: str) -> bool:
        for v in self.variants.split():
            if v == variant or (v.endswith("*") and variant.startswith(v[:-1])):
                return True
        return False

    def newest(self, major: int | None = None, minor: int | None = None) -> str | None:
        best: tuple[int, int, int] | None = None
        for (ma, mi), (_, last) in self.lines().items():
            if major is not None and ma != major or minor is not None and mi != minor:
                continue
            cand = (ma, mi, max(last, 0))
            if best is None or cand > best:
                best = cand
        return None if best is None else ".".join(map(str, best))

    def version_of(self, tag: str) -> str | None:
        """The version a version tag (no variant) stands for, or None if it was never
        published."""
        if self.prefix and tag.startswith(self.prefix):
            tag = tag[len(self.prefix) :]
        parts = tag.split(".")
        if not all(p.isdigit() for p in parts) or not 1 <= len(parts) <= 3:
            return None
        nums = [int(p) for p in parts]
        if len(parts) == 1:
            return self.newest(nums[0])
        line = self.lines().get((nums[0], nums[1]))
        if line is None:
            return None
        if len(parts) == 2:
            return self.newest(nums[0], nums[1])
        first, last = line
        if last < 0:
            return tag if nums[2] < 20 else None
        return tag if first <= nums[2] <= last else None


@functools.cache
def _lines(name: str, releases: str) -> dict[tuple[int, ...], tuple[int, int]]:
    """A release history read once (every container that starts asks for it)."""
    out: dict[tuple[int, ...], tuple[int, int]] = {}
    for token in releases.split():
        m = re.fullmatch(r"(\d+)\.(\d+)(?:-(\d+))?\.(\*|(\d+)(?:-(\d+))?)", token)
        if not m:
            raise ValueError(f"{name}: bad release {token!r}")
        major, lo = int(m.group(1)), int(m.group(2))
        hi = int(m.group(3)) if m.group(3) else lo
        for minor in range(lo, hi + 1):
            if m.group(4) == "*":
                out[(major, minor)] = (0, -1)
            else:
                first = int(m.group(5))
                last = int(m.group(6)) if m.group(6) else first
                out[(major, minor)] = (first, last)
    return out


def _releases(*lines: str) -> str:
    return " ".join(lines)


REPOS = {
    r.name: r
    for r in (
        Repo(
            "alpine",
            _releases(
                "2.6.0 2.7.0 3.1.0-4 3.2.0-3 3.3.0-3 3.4.0-6 3.5.0-3 3.6.0-5 3.7.0-3",
                "3.8.0-5 3.9.0-6 3.10.0-9 3.11.0-13 3.12.0-12 3.13.0-12 3.14.0-10",
                "3.15.0-11 3.16.0-9 3.17.0-10 3.18.0-12 3.19.0-8 3.20.0-7 3.21.0-4 3.22.0-2",
            ),
            named={"latest": "", "edge": "edge"},
        ),
        Repo(
            "busybox",
            _releases(
                "1.21.0-1 1.22.0-1 1.23.0-2 1.24.0-2 1.25.0-1 1.26.0-2 1.27.0-2 1.28.0-4",
                "1.29.0-3 1.30.0-1 1.31.0-1 1.32.0-1 1.33.0-1 1.34.0-1 1.35.0 1.36.0-1 1.37.0",
            ),
            variants="glibc musl uclibc",
            named={"latest": "", "stable": "1.36.1", "unstable": "1.37.0"},
        ),
        Repo(
            "nginx",
            _releases(
                "1.7.0-12 1.8.0-1 1.9.0-15 1.10.0-3 1.11.0-13 1.12.0-2 1.13.0-12 1.14.0-2",
                "1.15.0-12 1.16.0-1 1.17.0-10 1.18.0 1.19.0-10 1.20.0-2 1.21.0-6",
                "1.22.0-1 1.23.0-4 1.24.0 1.25.0-5 1.26.0-3 1.27.0-5 1.28.0 1.29.0-3",
            ),
            variants="alpine alpine-slim alpine-perl perl bookworm bullseye buster stretch "
            "bookworm-perl alpine3.* otel alpine-otel",
            named={"latest": "", "mainline": "", "stable": "1.28.0"},
        ),
        Repo(
            "httpd",
            _releases("2.2.29-34 2.4.10-65"),
            variants="alpine alpine3.* bookworm bullseye buster stretch trixie",
            named={"latest": ""},
        ),
        Repo(
            "redis",
            _releases(
                "2.6.17 2.8.9-23 3.0.0-7 3.2.0-12 4.0.0-14 5.0.0-14 6.0.0-20 6.2.0-20",
                "7.0.0-15 7.2.0-11 7.4.0-6 8.0.0-4 8.2.0-2",
            ),
            variants="alpine alpine3.* bookworm bullseye buster stretch jessie 32bit trixie",
            named={"latest": ""},
        ),
        Repo(
            "mysql",
            _releases(
                "5.5.40-62 5.6.20-51 5.7.4-44 8.0.0-43 8.1.0 8.2.0 8.3.0 8.4.0-6 9.0.0-1",
                "9.1.0 9.2.0 9.3.0 9.4.0 9.5.0",
            ),
            variants="oracle debian oraclelinux8 oraclelinux9 bookworm",
            named={"latest": "", "lts": "8.4.6", "innovation": "9.5.0"},
        ),
        Repo(
            "mariadb",
            _releases(
                "5.5.40-68 10.0.14-38 10.1.0-48 10.2.0-44 10.3.0-39 10.4.0-34 10.5.0-29",
                "10.6.0-23 10.7.0-8 10.8.0-8 10.9.0-8 10.10.0-7 10.11.0-14 11.0.0-6",
                "11.1.0-6 11.2.0-6 11.3.0-2 11.4.0-8 11.5.0-2 11.6.0-2 11.7.0-2 11.8.0-3",
                "12.0.0-2",
            ),
            variants="jammy focal noble ubi ubi9 bionic",
            named={"latest": "", "lts": "11.8.3"},
        ),
        Repo(
            "postgres",
            _releases(
                "9.0.0-23 9.1.0-24 9.2.0-24 9.3.0-25 9.4.0-26 9.5.0-25 9.6.0-24 10.0-23.0",
                "11.0-22.0 12.0-22.0 13.0-22.0 14.0-19.0 15.0-14.0 16.0-10.0 17.0-6.0 18.0.0",
            ),
            variants="alpine alpine3.* bookworm bullseye buster stretch trixie",
            named={"latest": ""},
        ),
        Repo(
            "mongo",
            _releases(
                "3.0.0-15 3.2.0-22 3.4.0-24 3.6.0-23 4.0.0-28 4.2.0-25 4.4.0-29 5.0.0-31",
                "6.0.0-26 7.0.0-24 8.0.0-13",
            ),
            variants="jammy focal noble bionic xenial windowsservercore nanoserver",
            named={"latest": ""},
        ),
        Repo(
            "ubuntu",
            tags=tuple(
                "latest rolling devel precise trusty xenial bionic focal jammy noble "
                "oracular plucky questing 12.04 14.04 14.10 15.04 15.10 16.04 16.10 17.04 "
                "17.10 18.04 18.10 19.04 19.10 20.04 20.10 21.04 21.10 22.04 22.10 23.04 "
                "23.10 24.04 24.10 25.04 25.10".split()
            ),
            named={
                "latest": "24.04",
                "rolling": "25.10",
                "devel": "26.04",
                "precise": "12.04",
                "trusty": "14.04",
                "xenial": "16.04",
                "bionic": "18.04",
                "focal": "20.04",
                "jammy": "22.04",
                "noble": "24.04",
                "oracular": "24.10",
                "plucky": "25.04",
                "questing": "25.10",
            },
        ),
        Repo(
            "debian",
            _releases(
                "7.0-11.0 8.0-11.0 9.0-13.0 10.0-13.0 11.0-11.0 12.0-12.0 13.0-1.0",
            ),
            variants="slim backports",
            named={
                "latest": "13",
                "stable": "13",
                "oldstable": "12",
                "testing": "14",
                "unstable": "sid",
                "sid": "sid",
                "experimental": "sid",
                "wheezy": "7",
                "jessie": "8",
                "stretch": "9",
                "buster": "10",
                "bullseye": "11",
                "bookworm": "12",
                "trixie": "13",
                "forky": "14",
            },
        ),
        Repo(
            "centos",
            _releases("5.0-11.0 6.0-10.0 7.0-9.0 8.0-4.0"),
            named={
                "latest": "8.4.2105",
                "centos5": "5.11",
                "centos6": "6.10",
                "centos7": "7.9.2009",
                "centos8": "8.4.2105",
                "7.9.2009": "7.9.2009",
                "8.4.2105": "8.4.2105",
                "8.3.2011": "8.3.2011",
            },
        ),
        Repo(
            "python",
            _releases(
                "2.7.7-18 3.3.5-7 3.4.1-10 3.5.0-10 3.6.0-15 3.7.0-17 3.8.0-20 3.9.0-23",
                "3.10.0-18 3.11.0-13 3.12.0-11 3.13.0-7 3.14.0",
            ),
            variants="slim alpine alpine3.* bookworm bullseye buster stretch trixie "
            "slim-bookworm slim-bullseye slim-buster slim-trixie windowsservercore",
            named={"latest": ""},
        ),
        Repo(
            "node",
            _releases(
                "0.10.* 0.12.* 4.0-9.* 5.0-12.* 6.0-17.* 7.0-10.* 8.0-17.* 9.0-11.*",
                "10.0-24.* 11.0-15.* 12.0-22.* 13.0-14.* 14.0-21.* 15.0-14.* 16.0-20.*",
                "17.0-9.* 18.0-20.* 19.0-9.* 20.0-19.* 21.0-7.* 22.0-21.* 23.0-11.*",
                "24.0-11.* 25.0-1.*",
            ),
            variants="alpine alpine3.* slim bookworm bullseye buster stretch trixie "
            "bookworm-slim bullseye-slim buster-slim trixie-slim",
            named={
                "latest": "25.1.0",
                "current": "25.1.0",
                "lts": "24.11.0",
                "argon": "4.9.1",
                "boron": "6.17.1",
                "carbon": "8.17.0",
                "dubnium": "10.24.1",
                "erbium": "12.22.12",
                "fermium": "14.21.3",
                "gallium": "16.20.2",
                "hydrogen": "18.20.8",
                "iron": "20.19.5",
                "jod": "22.21.0",
                "krypton": "24.11.0",
            },
        ),
        Repo(
            "golang",
            _releases(
                "1.2.0-2 1.3.0-3 1.4.0-3 1.5.0-4 1.6.0-4 1.7.0-6 1.8.0-7 1.9.0-7 1.10.0-8",
                "1.11.0-13 1.12.0-17 1.13.0-15 1.14.0-15 1.15.0-15 1.16.0-15 1.17.0-13",
                "1.18.0-10 1.19.0-13 1.20.0-14 1.21.0-13 1.22.0-12 1.23.0-12 1.24.0-9",
                "1.25.0-3",
            ),
            variants="alpine alpine3.* bookworm bullseye buster stretch trixie "
            "windowsservercore nanoserver",
            named={"latest": ""},
        ),
        Repo(
            "traefik",
            _releases(
                "1.7.0-34 2.0.0-7 2.1.0-9 2.2.0-11 2.3.0-7 2.4.0-14 2.5.0-7 2.6.0-13",
                "2.7.0-3 2.8.0-8 2.9.0-10 2.10.0-7 2.11.0-30 3.0.0-4 3.1.0-7 3.2.0-5",
                "3.3.0-7 3.4.0-5 3.5.0-4",
            ),
            variants="alpine windowsservercore nanoserver",
            named={"latest": ""},
            prefix="v",
        ),
        Repo(
            "registry",
            _releases("2.0.0-1 2.1.0-1 2.2.0-1 2.3.0-1 2.4.0-1 2.5.0-2 2.6.0-2 2.7.0-1 2.8.0-3"),
            named={"latest": "2.8.3"},
        ),
        Repo("hello-world", tags=("latest", "linux", "nanoserver")),
        Repo("traefik/whoami", tags=("latest", "v1.10", "v1.10.1", "v1.10.2", "v1.10.3")),
        Repo("nginxdemos/hello", tags=("latest", "plain-text", "0.2", "0.3", "0.4")),
        Repo("dockersamples/visualizer", tags=("latest", "stable")),
        Repo("dockersamples/examplevotingapp_vote", tags=("latest", "before", "after")),
        Repo("dockersamples/examplevotingapp_result", tags=("latest", "before", "after")),
        Repo("dockersamples/examplevotingapp_worker", tags=("latest",)),
        Repo("dockersamples/static-site", tags=("latest",)),
        Repo("dockersamples/101-tutorial", tags=("latest",)),
    )
}


def resolve(repo: str, tag: str) -> Resolved | None:
    """What `repo:tag` is on the Hub, or None if it does not exist there."""
    r = REPOS.get(repo)
    if r is None:
        return None
    if r.tags:
        if tag not in r.tags:
            return None
        return Resolved(repo, tag, r.named.get(tag, tag if tag[:1].isdigit() else ""), "")
    version = _version(r, tag)
    if version is not None:
        return Resolved(repo, tag, version, "")
    if r.variant_ok(tag):  # a bare variant: the newest with it
        return Resolved(repo, tag, _version(r, "latest") or "", tag)
    for cut in [m.start() for m in re.finditer("-", tag)]:
        base, variant = tag[:cut], tag[cut + 1 :]
        if r.variant_ok(variant):
            version = _version(r, base)
            if version is not None:
                return Resolved(repo, tag, version, variant)
    return None


def _version(r: Repo, tag: str) -> str | None:
    if tag in r.named:
        named = r.named[tag]
        return named if named else r.newest()
    return r.version_of(tag)
