"""A simulated host's disk: the only thing that survives a crash."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class Disk:
    """A host's persistent storage, as named values.

    A write is durable as soon as it is made: a crash happens between two events, never
    inside one, so a process that writes before it sends never sends what it has not
    persisted. Values must not be mutated after they are written, except through an
    object whose whole purpose is to live on the disk (a log store, say): anything the
    process keeps in memory and changes later would otherwise survive a crash it should
    not survive.
    """

    def __init__(self) -> None:
        self._files: dict[str, Any] = {}
        self.writes = 0

    def read(self, key: str, default: Any = None) -> Any:
        return self._files.get(key, default)

    def write(self, key: str, value: Any) -> None:
        self._files[key] = value
        self.writes += 1

    def delete(self, key: str) -> None:
        self._files.pop(key, None)

    def wipe(self) -> None:
        """Erase everything, as `rm -rf /var/lib/docker/swarm` would."""
        self._files.clear()

    def __contains__(self, key: str) -> bool:
        return key in self._files

    def keys(self) -> Iterator[str]:
        return iter(sorted(self._files))
