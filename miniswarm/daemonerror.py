"""The Engine API's error, shared by the daemon that raises it and the clients that print
it (below both, so neither imports the other for it)."""

from __future__ import annotations


class DaemonError(Exception):
    """An Engine API error: the CLI prints "Error response from daemon: <message>"."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
