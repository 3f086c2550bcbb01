"""Which handler answers which path of the Engine API, as moby's routers
(api/server/router/{system,swarm,container,network,distribution}) lay them out.

A handler takes the daemon, the request and the path's parts, reads the query and body
as moby does, and answers with the daemon's own calls (daemon.py): the swarm's are
answered by the Raft leader, a host's containers by its runtime.
"""

from __future__ import annotations

import base64
from concurrent.futures import Future
from typing import Any

from .. import engine
from ..daemonerror import DaemonError
from ..manager.controlapi import node_shown
from ..manager.store import public
from ..rpc import mapped
from . import cluster, containers, schema
from .router import Request, Response, empty, route
from .streams import container_logs as container_log_stream
from .streams import exec_stream, swarm_logs, then

# -- system ------------------------------------------------------------------------------------


def ping_headers(daemon: Any) -> dict[str, str]:
    """What a client reads from /_ping (cli/command/cli.go, client/ping.go)."""
    return {
        "Api-Version": engine.ENGINE_API_VERSION,
        "Builder-Version": "2",
        "Docker-Experimental": "false",
        "Ostype": "linux",
        "Swarm": daemon.swarm_header(),
        "Cache-Control": "no-cache, no-store, must-revalidate",
        "Pragma": "no-cache",
    }


@route("GET", "/_ping")
def ping(daemon: Any, req: Request) -> Response:
    body = b"" if req.method == "HEAD" else b"OK"
    return Response(200, body, "text/plain; charset=utf-8", ping_headers(daemon))


@route("GET", "/version")
def version(daemon: Any, req: Request) -> Any:
    return daemon.api_version()


@route("GET", "/info")
def info(daemon: Any, req: Request) -> Any:
    return daemon.api_info()


@route("GET", "/distribution/{name:.+}/json")
def distribution(daemon: Any, req: Request, name: str) -> Any:
    """What the registry says of an image (the CLI pins the digest it gives)."""
    return daemon.api_distribution(name)


# -- swarm -------------------------------------------------------------------------------------


@route("POST", "/swarm/init")
def swarm_init(daemon: Any, req: Request) -> Any:
    return daemon.api_swarm_init(req.decode(schema.INIT_REQUEST))


@route("POST", "/swarm/join")
def swarm_join(daemon: Any, req: Request) -> Any:
    return daemon.api_swarm_join(req.decode(schema.JOIN_REQUEST))


@route("POST", "/swarm/leave")
def swarm_leave(daemon: Any, req: Request) -> Any:
    return daemon.api_swarm_leave(req.flag("force"))


@route("GET", "/swarm")
def swarm_inspect(daemon: Any, req: Request) -> Any:
    return cluster.call(daemon, "swarm.inspect")


@route("POST", "/swarm/update")
def swarm_update(daemon: Any, req: Request) -> Any:
    if not req.arg("version"):
        raise DaemonError("invalid swarm version '': strconv.ParseUint: parsing \"\"", 400)
    spec = req.decode(schema.SWARM_SPEC) or None
    body = {
        "version": req.integer("version"),
        "spec": spec,
        "rotate_worker_token": req.strict_flag("rotateWorkerToken"),
        "rotate_manager_token": req.strict_flag("rotateManagerToken"),
        "rotate_unlock_key": req.strict_flag("rotateManagerUnlockKey"),
    }
    return cluster.call(daemon, "swarm.update", body)


@route("GET", "/swarm/unlockkey")
def swarm_unlock_key(daemon: Any, req: Request) -> Any:
    return cluster.call(daemon, "swarm.unlock_key")


@route("POST", "/swarm/unlock")
def swarm_unlock(daemon: Any, req: Request) -> Any:
    key = req.decode(schema.UNLOCK_REQUEST).get("UnlockKey") or ""
    return daemon.api_swarm_unlock(str(key))


# -- nodes and tasks ---------------------------------------------------------------------------


@route("GET", "/nodes", store_objects=True)
def nodes(daemon: Any, req: Request) -> Any:
    # Shown one at a time as they are written or read, as the tasks are: a field picker
    # (a node's ID and name for `service ps`) reads the store's own, and none is made
    def shown(answer: dict) -> Response:
        statuses = answer["ManagerStatus"]
        return Response(
            objects=answer["Nodes"], view=lambda node: node_shown(node, statuses.get(node["ID"]))
        )

    return mapped(cluster.nodes(daemon, req.filters(), as_stored=True), shown)


@route("GET", "/nodes/{ref}", store_objects=True)
def node(daemon: Any, req: Request, ref: str) -> Any:
    return cluster.call(daemon, "node.inspect", {"ref": ref})


@route("POST", "/nodes/{ref}/update")
def node_update(daemon: Any, req: Request, ref: str) -> Any:
    spec = req.decode(schema.NODE_SPEC)
    return then(cluster.node_update(daemon, ref, req.integer("version"), spec), None)


@route("DELETE", "/nodes/{ref}")
def node_remove(daemon: Any, req: Request, ref: str) -> Any:
    return cluster.call(daemon, "node.remove", {"ref": ref, "force": req.flag("force")})


@route("GET", "/tasks", store_objects=True)
def tasks(daemon: Any, req: Request) -> Any:
    # 95,000 tasks are shown (their store keys left out) one at a time as they are
    # written or read, never 95,000 copies at once
    listed = cluster.tasks(daemon, req.filters(), as_stored=True)
    return mapped(listed, lambda stored: Response(objects=stored, view=public))


@route("GET", "/tasks/{ref}", store_objects=True)
def task(daemon: Any, req: Request, ref: str) -> Any:
    return cluster.task(daemon, ref)


@route("GET", "/tasks/{ref}/logs")
def task_logs(daemon: Any, req: Request, ref: str) -> Any:
    return _swarm_logs(daemon, req, "task", ref)


# -- services ----------------------------------------------------------------------------------


@route("GET", "/services")
def services(daemon: Any, req: Request) -> Any:
    body = {"filters": req.filters(), "status": req.strict_flag("status")}
    return cluster.call(daemon, "service.list", body)


@route("POST", "/services/create", status=201)
def service_create(daemon: Any, req: Request) -> Any:
    return cluster.service_create(daemon, req.decode(schema.SERVICE_SPEC))


@route("GET", "/services/{ref}")
def service(daemon: Any, req: Request, ref: str) -> Any:
    return cluster.service(daemon, ref, req.strict_flag("insertDefaults"))


@route("POST", "/services/{ref}/update")
def service_update(daemon: Any, req: Request, ref: str) -> Any:
    rollback = req.arg("rollback") or None
    spec = req.decode(schema.SERVICE_SPEC) or None
    return cluster.service_update(daemon, ref, req.integer("version"), spec, rollback)


@route("DELETE", "/services/{ref}")
def service_remove(daemon: Any, req: Request, ref: str) -> Any:
    return then(cluster.call(daemon, "service.remove", {"ref": ref}), None)


@route("GET", "/services/{ref}/logs")
def service_logs(daemon: Any, req: Request, ref: str) -> Any:
    return _swarm_logs(daemon, req, "service", ref)


def _swarm_logs(daemon: Any, req: Request, kind: str, ref: str) -> Future:
    """A service's or a task's logs, from the nodes that ran them: frames of
    `[time ]details message`, and with follow=1 the stream goes on."""
    _check_streams(req)
    return swarm_logs(daemon, req, kind, ref).first()


def _check_streams(req: Request) -> None:
    if not req.flag("stdout") and not req.flag("stderr"):
        raise DaemonError("Bad parameters: you must choose at least one stream", 400)
    tail = req.arg("tail", "all")
    if tail not in ("", "all") and not tail.lstrip("-").isdigit():
        raise DaemonError('tail value must be a positive integer or "all"', 400)


# -- secrets and configs -----------------------------------------------------------------------


def _secret_routes(kind: str) -> None:
    plural = kind + "s"

    @route("GET", f"/{plural}")
    def listing(daemon: Any, req: Request) -> Any:
        return cluster.call(daemon, f"{kind}.list", {"filters": req.filters()})

    @route("POST", f"/{plural}/create", status=201)
    def create(daemon: Any, req: Request) -> Any:
        spec = req.decode(schema.SECRET_SPEC if kind == "secret" else schema.CONFIG_SPEC)
        data = spec.get("Data")
        if data is not None:
            try:
                base64.b64decode(str(data), validate=True)
            except ValueError:
                raise DaemonError("illegal base64 data at input byte 0", 400) from None
        return cluster.call(daemon, f"{kind}.create", {"spec": spec})

    @route("GET", f"/{plural}/{{ref}}")
    def inspect(daemon: Any, req: Request, ref: str) -> Any:
        return cluster.call(daemon, f"{kind}.inspect", {"ref": ref})

    @route("DELETE", f"/{plural}/{{ref}}", status=204)
    def remove(daemon: Any, req: Request, ref: str) -> Any:
        return then(cluster.call(daemon, f"{kind}.remove", {"ref": ref}), None)


_secret_routes("secret")
_secret_routes("config")


# -- networks ----------------------------------------------------------------------------------


@route("GET", "/networks")
def networks(daemon: Any, req: Request) -> Any:
    return daemon.api_networks(req.filters())


@route("GET", "/networks/{ref}")
def network(daemon: Any, req: Request, ref: str) -> Any:
    return daemon.api_network_inspect(ref, req.arg("scope"))


@route("POST", "/networks/create", status=201)
def network_create(daemon: Any, req: Request) -> Any:
    return daemon.api_network_create(req.decode(schema.NETWORK_CREATE))


@route("DELETE", "/networks/{ref}", status=204)
def network_remove(daemon: Any, req: Request, ref: str) -> Any:
    return then(daemon.api_network_remove(ref), None)


# -- containers --------------------------------------------------------------------------------


@route("GET", "/containers/json")
def container_list(daemon: Any, req: Request) -> Any:
    filters = req.filters()
    listed = containers.listing(daemon)
    if not req.flag("all") and "status" not in filters:
        listed = [c for c in listed if c["State"] == "running"]
    listed = [c for c in listed if _container_matches(c, filters)]
    listed.sort(key=lambda c: c["Created"], reverse=True)
    return listed


def _container_matches(c: dict, filters: dict[str, list[str]]) -> bool:
    for key, values in filters.items():
        if key == "name" and not any(v in c["Names"][0] for v in values):
            return False
        if key == "id" and not any(c["Id"].startswith(v) for v in values):
            return False
        if key == "status" and c["State"] not in values:
            return False
        if key == "label":
            for v in values:
                k, eq, val = v.partition("=")
                if k not in c["Labels"] or (eq and c["Labels"][k] != val):
                    return False
    return True


@route("GET", "/containers/{ref}/json")
def container(daemon: Any, req: Request, ref: str) -> Any:
    return containers.inspect(daemon, ref)


@route("GET", "/containers/{ref}/logs")
def container_logs(daemon: Any, req: Request, ref: str) -> Any:
    _check_streams(req)
    return container_log_stream(daemon, req, ref).first()


@route("POST", "/containers/{ref}/kill", status=204)
def container_kill(daemon: Any, req: Request, ref: str) -> Any:
    containers.kill(daemon, ref)
    return None


@route("POST", "/containers/{ref}/stop", status=204)
def container_stop(daemon: Any, req: Request, ref: str) -> Any:
    return then(containers.stop(daemon, ref), None)


@route("DELETE", "/containers/{ref}", status=204)
def container_remove(daemon: Any, req: Request, ref: str) -> Any:
    containers.remove(daemon, ref, req.flag("force"))
    return None


@route("POST", "/containers/{ref}/exec", status=201)
def exec_create(daemon: Any, req: Request, ref: str) -> Any:
    body = req.decode(schema.EXEC_CONFIG)
    argv = body.get("Cmd") or []
    if not argv:
        raise DaemonError("No exec command specified", 400)
    exec_id = containers.exec_create(
        daemon, ref, [str(a) for a in argv], bool(body.get("Tty")), bool(body.get("AttachStdin"))
    )
    return {"Id": exec_id}


@route("POST", "/exec/{exec_id}/start")
def exec_start(daemon: Any, req: Request, exec_id: str) -> Any:
    body = req.decode(schema.EXEC_START)
    detach = bool(body.get("Detach"))
    if detach:
        containers.exec_start(daemon, exec_id, None)
        return empty(200)
    return exec_stream(daemon, exec_id, req)


@route("GET", "/exec/{exec_id}/json")
def exec_inspect(daemon: Any, req: Request, exec_id: str) -> Any:
    return containers.exec_inspect(daemon, exec_id)
