"""The docker CLI's connection to one host's daemon: the Engine API, as docker's Go
client library (github.com/docker/docker/client) speaks it.

Each request goes through the daemon's router (engineapi/router.py) on that host's own
loop — the same door the sockets open to the real docker binary, without the socket —
and its answer is waited for through the command's Job: in simulated seconds under
SimDriver, real ones under ThreadDriver; Ctrl-C or `timeout` stop the wait. As the Go
client does, the first request pings the daemon and settles the API version.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any
from urllib.parse import quote, urlencode

from ..daemonerror import DaemonError
from ..engineapi.router import Request, Response, dispatch
from ..job import Job
from ..runtime import images
from ..sim.kernel import HostDown, Kernel

CANNOT_CONNECT = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?"
)
STARTUP = 0.03  # seconds a docker command takes to start and reach its daemon
CLIENT_API_VERSION = "1.50"  # docker 28.2's


class Client:
    def __init__(
        self, kernel: Kernel, host: str, job: Job | None = None, registry_warnings: bool = True
    ) -> None:
        self.kernel = kernel
        self.host = host
        self.job = job if job is not None else Job(kernel)
        # Whether the registry's warnings are printed (the reference recordings had them
        # taken out: their machine could reach no registry).
        self.registry_warnings = registry_warnings
        self._started = False
        self._version: str | None = None

    # -- the wire ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """One request; its error as a DaemonError (the CLI prints "Error response from
        daemon: ..."), DaemonUnreachable when the host is down."""
        if self._version is None:
            self._version = "1.24"  # until the ping says otherwise, as the Go client falls back
            ping = self._send(Request("HEAD", "/_ping"))
            server = ping.headers.get("Api-Version")
            if server:
                self._version = min(server, CLIENT_API_VERSION, key=_version_key)
        target = f"/v{self._version}{path}"
        if query:
            target += "?" + urlencode({k: _query_value(v) for k, v in query.items()})
        data = b"" if body is None else json.dumps(body).encode()
        resp = self._send(Request.parse(method, target, data, headers))
        if resp.status >= 400:
            raise DaemonError(resp.error or "", resp.status)
        return resp

    def _send(self, req: Request) -> Response:
        return self.on_host(lambda daemon: dispatch(daemon, req))

    def on_host(self, fn: Any) -> Any:
        """Run `fn(daemon)` on the host's loop and wait for it (a Future it answers too):
        how a request, or a stream's poll, reaches the daemon."""
        if not self._started:
            self._started = True
            if not self.kernel.paused:  # the program's start-up; paused, only the cluster waits
                self.sleep(STARTUP)
        try:
            result = self.job.wait(self.kernel.submit(self.host, fn))
            if isinstance(result, Future):
                result = self.job.wait(result)
        except HostDown:
            raise DaemonUnreachable(CANNOT_CONNECT) from None
        return result

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query).take_json()

    def get_items(self, path: str, keep: Callable[[Any], Any], **query: Any) -> list[Any]:
        """GET a list, keeping `keep(item)` of each item as it is read."""
        return self.request("GET", path, query).take_items(keep)

    def get_one(self, path: str, keep: Callable[[Any], Any], **query: Any) -> Any:
        """GET an object, keeping `keep(object)` of it."""
        return self.request("GET", path, query).take_one(keep)

    def post(self, path: str, body: Any = None, **query: Any) -> Any:
        return self.request("POST", path, query, body).take_json()

    def delete(self, path: str, **query: Any) -> Any:
        return self.request("DELETE", path, query).take_json()

    # -- what the Go client library does around a request -----------------------------------

    def service_create(self, spec: dict, query_registry: bool) -> dict:
        """POST /services/create, the image pinned to its digest first when the registry
        knows it (client/service_create.go)."""
        warnings = self._resolve_image(spec, query_registry)
        result = self.request("POST", "/services/create", body=spec).json()
        result["Warnings"] = (result.get("Warnings") or []) + warnings or None
        return result

    def service_update(
        self,
        service_id: str,
        version: int,
        spec: dict,
        query_registry: bool = False,
        rollback: str | None = None,
    ) -> dict:
        """POST /services/{id}/update (client/service_update.go)."""
        warnings = self._resolve_image(spec, query_registry)
        query: dict[str, Any] = {"version": version}
        if rollback:
            query["rollback"] = rollback
        else:
            query["registryAuthFrom"] = "spec"
        result = self.request("POST", f"/services/{service_id}/update", query, spec).json()
        result = result or {}
        result["Warnings"] = (result.get("Warnings") or []) + warnings or None
        return result

    def _resolve_image(self, spec: dict, query_registry: bool) -> list[str]:
        """The image tagged (nginx -> nginx:latest), then pinned to the digest the
        registry gives (nginx:latest@sha256:…); a warning if the registry cannot say."""
        cs = (spec.get("TaskTemplate") or {}).get("ContainerSpec")
        if not cs or not cs.get("Image"):
            return []
        image = cs["Image"] = images.normalise(cs["Image"])
        if not query_registry:
            return []
        try:
            found = self.get(f"/distribution/{quote(image, safe='/:@')}/json")
        except DaemonError:
            return [digest_warning(image)] if self.registry_warnings else []
        if "@" not in image:
            cs["Image"] = f"{image}@{found['Descriptor']['digest']}"
        return []

    # -- time -------------------------------------------------------------------------------------

    def now(self) -> float:
        """The client's wall clock, for ages ("5 seconds ago")."""
        return self.kernel.epoch + self.kernel.now()

    def sleep(self, seconds: float) -> None:
        """Let time pass (polling loops, progress displays)."""
        self.job.sleep(seconds)


def digest_warning(image: str) -> str:
    """What the client tells when the registry cannot pin the image to a digest
    (client/service_create.go's digestWarning)."""
    return (
        f"image {image} could not be accessed on a registry to record\n"
        f"its digest. Each node will access {image} independently,\n"
        "possibly leading to different nodes running different\n"
        "versions of the image.\n"
    )


def seg(ref: str) -> str:
    """A name or ID as one segment of a request's path."""
    return quote(ref, safe="")


def filters_query(filters: dict[str, list[str]]) -> str:
    """?filters= as the Go client sends them: {"name": {"web": true}}."""
    return json.dumps({k: {v: True for v in values} for k, values in filters.items()})


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):
        return filters_query(value)
    return str(value)


def _version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


class DaemonUnreachable(Exception):
    pass


__all__ = ["Client", "DaemonError", "DaemonUnreachable"]
