"""The swarm's part of the Engine API (api/server/router/swarm and daemon/cluster in
moby): requests the Raft leader answers, through the daemon's `cluster_call` — which
refuses them on a worker, on a node outside a swarm, or while the manager is locked or
not ready, as moby does — with what moby's daemon adds on the way: the specs' checks,
an image tagged, a task found by ID, name or prefix.
"""

from __future__ import annotations

import copy
from concurrent.futures import Future
from typing import Any

from ..daemonerror import DaemonError
from ..names import task_name
from ..rpc import failed, mapped
from ..runtime import images


def call(daemon: Any, method: str, body: Any = None) -> Future:
    return daemon.cluster_call(method, body)


def nodes(daemon: Any, filters: dict | None = None, as_stored: bool = False) -> Future:
    """The nodes as the API shows them; `as_stored`: the store's own objects and the
    managers' statuses (controlapi.do_node_list), for a Response that shows each as it
    is read."""
    return call(daemon, "node.list", {"filters": filters or {}, "as_stored": as_stored})


def tasks(daemon: Any, filters: dict | None = None, as_stored: bool = False) -> Future:
    """The tasks as the API shows them; `as_stored`: the store's own objects, for a
    Response that shows each as it is read (see router.Response's `view`)."""
    return call(daemon, "task.list", {"filters": filters or {}, "as_stored": as_stored})


def service(daemon: Any, ref: str, insert_defaults: bool) -> Future:
    return call(daemon, "service.inspect", {"ref": ref, "insert_defaults": insert_defaults})


def node_update(daemon: Any, node_id: str, version: int, spec: dict) -> Future:
    spec = dict(spec)
    for field, values in (
        ("Role", ("worker", "manager")),
        ("Availability", ("active", "pause", "drain")),
    ):
        value = spec.get(field, "")
        if value.lower() not in values:
            return failed(DaemonError(f'invalid {field}: "{value}"'))
        spec[field] = value.lower()
    return call(daemon, "node.update", {"id": node_id, "version": version, "spec": spec})


def task(daemon: Any, ref: str) -> Future:
    """GET /tasks/{ref}: by full ID, else by full name (web.1.<ID>), else by unique ID
    prefix (moby's getTask)."""
    out: Future = Future()
    by_id: list[dict] = []

    def named(f: Future) -> None:
        exc = f.exception()
        if exc is not None:
            out.set_exception(exc)
            return
        found = [t for t in f.result() if task_name(t) == ref] or by_id
        if not found or not ref:
            out.set_exception(DaemonError(f"task {ref} not found", 404))
        elif len(found) > 1:
            out.set_exception(
                DaemonError(f"task {ref} is ambiguous ({len(found)} matches found)", 400)
            )
        else:
            out.set_result(found[0])

    def prefixed(f: Future) -> None:
        exc = f.exception()
        if exc is not None:
            out.set_exception(exc)
            return
        by_id.extend(f.result())
        exact = [t for t in by_id if t["ID"] == ref]
        if exact:
            out.set_result(exact[0])
        else:
            tasks(daemon, {"name": [ref]}).add_done_callback(named)

    tasks(daemon, {"id": [ref]}).add_done_callback(prefixed)
    return out


def service_create(daemon: Any, spec: dict) -> Future:
    return _with_warnings(call(daemon, "service.create", {"spec": _tagged(spec)}))


def service_update(
    daemon: Any, service_id: str, version: int, spec: dict | None, rollback: str | None
) -> Future:
    body: dict[str, Any] = {"id": service_id, "version": version, "rollback": rollback}
    if spec is not None:
        body["spec"] = _tagged(spec)
    return _with_warnings(call(daemon, "service.update", body))


def _tagged(spec: dict) -> dict:
    """moby hands swarm the image with a tag ("nginx" -> "nginx:latest"); a digest the
    client pinned stays."""
    spec = copy.deepcopy(spec)
    cs = (spec.get("TaskTemplate") or {}).get("ContainerSpec")
    if cs and cs.get("Image"):
        cs["Image"] = images.normalise(cs["Image"])
    return spec


def _with_warnings(fut: Future) -> Future:
    """The answer of a service create or update: its ID (for a create) and Warnings,
    which a daemon that asks no registry leaves empty."""
    return mapped(fut, lambda r: {**(r if isinstance(r, dict) else {}), "Warnings": None})
