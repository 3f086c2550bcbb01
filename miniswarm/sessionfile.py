"""A lab kept in a file (`lab save FILE`, `miniswarm --load FILE`), so that a student can
stop and go on tomorrow, and a teacher can hand out a prepared cluster.

What is kept is what a real machine keeps when it is switched off: each host's disk —
the managers' Raft logs and keys, sealed as the managers seal them (a secret is never in
the file in the clear; with autolock on, the managers come back locked and want the
unlock key, as real ones do) — which hosts were powered on, the files a student made
on each host, the network's cuts, and the lab's clock and calendar (timestamps go on
from where they were, whatever the day it is loaded). Loading it powers the hosts on
from their disks at that clock: the swarm comes back as after a power cut of every
machine at once — same nodes, services, secrets, configs and networks, the same leader's
log — and the tasks are started again by their restart policy.

The file is a pickle read by an unpickler that admits only miniswarm's own classes and
plain data, so that a session file handed around cannot run code when it is loaded.
"""

from __future__ import annotations

import gzip
import io
import pickle
from pathlib import Path
from typing import Any

from .lab import Lab

FORMAT = "miniswarm-session/1"
# What a session file may contain besides miniswarm's own classes: plain data.
BUILTINS = ("set", "frozenset", "bytes", "bytearray", "list", "dict", "tuple", "int", "float",
            "str", "bool", "complex", "slice", "range")  # fmt: skip
COLLECTIONS = ("OrderedDict", "Counter", "deque", "defaultdict")
PLAIN = {("builtins", n) for n in BUILTINS} | {("collections", n) for n in COLLECTIONS}


class SessionFileError(Exception):
    """A file that is not a session miniswarm can load, and why."""


def save(lab: Lab, path: str | Path) -> None:
    k = lab.kernel
    state = {
        "format": FORMAT,
        "seed": k.seed,
        "hosts": list(lab.hosts),
        "clock": k.now(),
        "epoch": k.epoch,
        "up": {name: k.hosts[name].up for name in lab.names},
        "disks": {name: _disk_files(lab, name) for name in lab.names},
        "files": lab.files,
        "cuts": sorted(k.network._blocked),
    }
    data = gzip.compress(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
    Path(path).write_bytes(data)


def _disk_files(lab: Lab, host: str) -> bytes:
    """The host's disk, pickled on the host's own loop while it runs (its log store goes
    on changing between its events, never during one)."""
    disk = lab.kernel.hosts[host].disk

    def dump(_: Any = None) -> bytes:
        files = {key: disk.read(key) for key in disk.keys()}
        return pickle.dumps(files, protocol=pickle.HIGHEST_PROTOCOL)

    return lab.kernel.call(host, dump) if lab.kernel.hosts[host].up else dump()


def load(path: str | Path, driver: str = "sim", speed: float = 1.0) -> Lab:
    """The saved lab, its hosts powered on from their disks at the saved clock."""
    try:
        raw = gzip.decompress(Path(path).read_bytes())
        state = _Unpickler(io.BytesIO(raw)).load()
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise SessionFileError(f"{path} is not a miniswarm session ({FORMAT})")
        disks = {n: _Unpickler(io.BytesIO(b)).load() for n, b in state["disks"].items()}
    except gzip.BadGzipFile:
        raise SessionFileError(f"{path} is not a miniswarm session ({FORMAT})") from None
    except OSError as exc:
        raise SessionFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError,
            KeyError, TypeError) as exc:  # fmt: skip
        raise SessionFileError(f"{path} is not a miniswarm session: {exc}") from None

    def boot(lab: Lab) -> None:
        k = lab.kernel
        k.set_clock(float(state["clock"]), float(state["epoch"]))
        for name, files in disks.items():
            disk = k.hosts[name].disk
            for key, value in files.items():
                disk.write(key, value)
        lab.files.update(state["files"])
        for src, dst in state["cuts"]:
            k.network.cut(src, dst, both_ways=False)
        for name, up in state["up"].items():
            if up:
                k.start_host(name)

    return Lab(
        [(str(name), str(addr)) for name, addr in state["hosts"]],
        driver=driver,
        seed=int(state["seed"]),
        speed=speed,
        boot=boot,
    )


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "miniswarm" or module.startswith("miniswarm.") or (module, name) in PLAIN:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} has no place in a session file")
