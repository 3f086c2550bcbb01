"""The leader's answers about services (swarmkit's controlapi/service.go, with moby's
conversions): create, update (and rollback), remove, list with task counts, inspect."""

from __future__ import annotations

import copy
import re
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .. import constraint, ids, names, services, specs, taskstate
from ..gocompat import rfc3339nano
from ..rpc import RpcError, plain_error
from . import networks
from .allocator import DYNAMIC_PORTS
from .context import ControllerContext
from .lookup import resolve
from .store import public

if TYPE_CHECKING:
    from .writer import Tx

_DNS_COMPONENT = re.compile(r"^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$")
SERVICE_FILTERS = {"id", "name", "label", "mode"}


def _invalid(message: str) -> RpcError:
    return RpcError("InvalidArgument", message)


# What one lab can hold: swarm3k's 100,000 tasks (see benchmarks/scale_bench.py). A swarm
# takes any uint64, and a lab asked for 2^63 would build tasks until the machine gives out.
MAX_REPLICAS = 100_000


def validate(spec: dict) -> None:
    replicated = (spec.get("Mode") or {}).get("Replicated") or {}
    if int(replicated.get("Replicas") or 0) > MAX_REPLICAS:
        raise _invalid(
            f"miniswarm: a lab holds at most {MAX_REPLICAS} replicas of a service "
            f"(asked for {replicated['Replicas']})"
        )
    name = spec.get("Name", "")
    if len(name) > 63 or not _DNS_COMPONENT.match(name):
        raise _invalid("name must be valid as a DNS name component")
    cs = (spec.get("TaskTemplate") or {}).get("ContainerSpec")
    if cs is None:
        raise _invalid("TaskSpec: missing runtime")
    if not cs.get("Image"):
        raise _invalid("ContainerSpec: image reference must be provided")
    placement = (spec.get("TaskTemplate") or {}).get("Placement") or {}
    try:
        constraint.parse(placement.get("Constraints") or [])
    except constraint.ConstraintError as exc:
        raise RpcError("Unknown", str(exc)) from None  # swarm returns the parse error as is
    endpoint = spec.get("EndpointSpec") or {}
    if endpoint.get("Mode") == "dnsrr":
        for p in endpoint.get("Ports") or []:
            if p.get("PublishMode", "ingress") == "ingress":
                raise _invalid(
                    "EndpointSpec: port published with ingress mode can't be used with dnsrr mode"
                )
    seen = set()
    for p in endpoint.get("Ports") or []:
        key = (p.get("Protocol", "tcp"), p.get("PublishedPort", 0), p.get("PublishMode", "ingress"))
        if key[1] and key in seen:
            raise _invalid("EndpointSpec: duplicate published ports provided")
        seen.add(key)


class ServiceAPI:
    context: ControllerContext

    # -- lookups -----------------------------------------------------------------------------------

    def find_service(self, ref: str) -> dict:
        return resolve(
            list(self.context.store.all("services")), ref, "service", lambda s: s["Spec"]["Name"]
        )

    def service_view(self, service: dict, insert_defaults: bool = True) -> dict:
        view = public(service)
        if insert_defaults:
            view["Spec"] = specs.with_defaults(view["Spec"])
        out = {k: view[k] for k in ("ID", "Version", "CreatedAt", "UpdatedAt", "Spec") if k in view}
        for k in ("PreviousSpec", "Endpoint", "UpdateStatus"):
            if k in view:
                out[k] = view[k]
        return out

    def do_service_inspect(self, body: dict) -> dict:
        return self.service_view(self.find_service(body["ref"]), body.get("insert_defaults", True))

    def do_service_list(self, body: dict) -> list[dict]:
        filters: dict[str, list[str]] = body.get("filters") or {}
        for key in filters:
            if key not in SERVICE_FILTERS:
                raise plain_error("InvalidArgument", f"invalid filter '{key}'")
        out = []
        for s in self.context.store.all("services"):
            if not _service_matches(s, filters):
                continue
            view = self.service_view(s, insert_defaults=False)
            if body.get("status"):
                view["ServiceStatus"] = self.service_status(s)
            out.append(view)
        return out

    def service_status(self, service: dict) -> dict:
        """Running and desired tasks (swarm's ListServiceStatuses): running counts what
        agents last reported running, whatever the node's state."""
        store = self.context.store
        running = store.running_tasks(service["ID"])
        if specs.is_global(service["Spec"]):
            desired = store.desired_running(service["ID"])
        else:
            desired = specs.replicas(service["Spec"])
        return {"RunningTasks": running, "DesiredTasks": desired, "CompletedTasks": 0}

    # -- create ---------------------------------------------------------------------------------

    def do_service_create(self, body: dict) -> Future:
        spec = copy.deepcopy(body["spec"])
        if not spec.get("Name"):
            spec["Name"] = names.random_name(self.context.rng)
        spec = specs.ordered(spec, specs.SERVICE_FIELDS)
        validate(spec)
        service_id = ids.new_id(self.context.rng)

        def write(tx: Tx) -> dict:
            networks.resolve_targets(tx, spec)
            if tx.store.by_name("services", spec["Name"]) is not None or any(
                s["Spec"]["Name"].lower() == spec["Name"].lower() for s in tx.all("services")
            ):
                raise RpcError(
                    "AlreadyExists",
                    "name conflicts with an existing object: "
                    f"service {spec['Name']} already exists",
                )
            now = rfc3339nano(tx.now)
            service: dict[str, Any] = {
                "ID": service_id,
                "CreatedAt": now,
                "UpdatedAt": now,
                "Spec": spec,
                "Endpoint": self._endpoint(tx, service_id, spec, None),
                "_spec_version": 1,
            }
            tx.create("services", service)
            return {"ID": service_id}

        return self.context.update(write)

    def _endpoint(self, tx: Tx, service_id: str, spec: dict, old: dict | None) -> dict:
        """Published ports, allocated cluster-wide (swarm's port allocator): a port taken
        in ingress mode by another service is refused; none given gets one from 30000.
        And in vip mode a virtual IP on each network the service is on (ingress, when it
        publishes a port there), kept from before where it was already on it."""
        es = spec.get("EndpointSpec") or {}
        given = es.get("Ports") or []
        ports = self._ports(tx, service_id, spec, given, old) if given else []
        on = list(networks.service_networks(spec))
        if any(p["PublishMode"] == "ingress" for p in ports):
            ingress = networks.find_ingress(tx)
            if ingress is None:
                raise RpcError(
                    "FailedPrecondition",
                    "service needs ingress network, but no ingress network is present",
                )
            on.insert(0, ingress["ID"])
        if not given and not on:
            return {"Spec": {}}
        endpoint: dict[str, Any] = {"Spec": {"Mode": es.get("Mode") or "vip"}}
        if given:
            endpoint["Spec"]["Ports"] = copy.deepcopy(given)
            endpoint["Ports"] = ports
        if endpoint["Spec"]["Mode"] == "vip" and on:
            before = {
                v["NetworkID"]: v for v in (old or {}).get("Endpoint", {}).get("VirtualIPs") or []
            }
            vips = []
            for net_id in on:
                if net_id in before:
                    vips.append(before[net_id])
                    continue
                net = tx.get("networks", net_id)
                address = None if net is None else networks.allocate(tx, net)
                if address is not None:
                    vips.append({"NetworkID": net_id, "Addr": address})
            endpoint["VirtualIPs"] = vips
        return endpoint

    def _ports(
        self, tx: Tx, service_id: str, spec: dict, given: list[dict], old: dict | None
    ) -> list[dict]:
        taken: dict[tuple[str, int], dict] = {}
        for s in tx.all("services"):
            if s["ID"] == service_id:
                continue
            for p in specs.endpoint_ports(s):
                if p.get("PublishMode") == "ingress":
                    taken[(p["Protocol"], p["PublishedPort"])] = s
        previous = {
            (p["Protocol"], p["TargetPort"]): p["PublishedPort"]
            for p in specs.endpoint_ports(old or {})
        }
        ports = []
        for p in given:
            port = {
                "Protocol": p.get("Protocol") or "tcp",
                "TargetPort": p["TargetPort"],
                "PublishedPort": p.get("PublishedPort") or 0,
                "PublishMode": p.get("PublishMode") or "ingress",
            }
            if port["PublishMode"] == "ingress":
                key = (port["Protocol"], port["PublishedPort"])
                if port["PublishedPort"] and key in taken:
                    other = taken[key]
                    raise _invalid(
                        f"port '{port['PublishedPort']}' is already in use by service "
                        f"'{other['Spec']['Name']}' ({other['ID']}) as an ingress port"
                    )
                if not port["PublishedPort"]:
                    port["PublishedPort"] = previous.get(
                        (port["Protocol"], port["TargetPort"])
                    ) or next(
                        n
                        for n in range(DYNAMIC_PORTS[0], DYNAMIC_PORTS[1] + 1)
                        if (port["Protocol"], n) not in taken
                    )
                taken[(port["Protocol"], port["PublishedPort"])] = {"Spec": spec, "ID": service_id}
            ports.append(port)
        return ports

    # -- update and rollback -----------------------------------------------------------------------

    def do_service_update(self, body: dict) -> Future:
        """body: id, version, spec, rollback ("previous" for a rollback)."""

        def write(tx: Tx) -> dict:
            service = tx.get("services", body["id"])
            if service is None:
                raise plain_error("NotFound", f"service {body['id']} not found")
            if body.get("version") is not None and body["version"] != service["Version"]["Index"]:
                raise RpcError("Unknown", "update out of sequence")
            new = dict(service)
            now = rfc3339nano(tx.now)
            if body.get("rollback") == "previous":
                if service.get("PreviousSpec") is None:
                    raise RpcError(
                        "FailedPrecondition",
                        f"service {service['ID']} does not have a previous spec",
                    )
                new["Spec"], new["PreviousSpec"] = service["PreviousSpec"], service["Spec"]
                new["_spec_version"], new["_previous_spec_version"] = (
                    service.get("_previous_spec_version", 0),
                    service.get("_spec_version", 0),
                )
                new["UpdateStatus"] = {
                    "State": "rollback_started",
                    "StartedAt": now,
                    "Message": "manually requested rollback",
                }
            else:
                spec = specs.ordered(copy.deepcopy(body["spec"]), specs.SERVICE_FIELDS)
                validate(spec)
                networks.resolve_targets(tx, spec)
                if spec["Name"] != service["Spec"]["Name"]:
                    raise RpcError("Unimplemented", "renaming services is not supported")
                if specs.is_global(spec) != specs.is_global(service["Spec"]):
                    raise RpcError("Unimplemented", "service mode change is not allowed")
                new["PreviousSpec"] = service["Spec"]
                new["_previous_spec_version"] = service.get("_spec_version", 0)
                new["Spec"] = spec
                new["_spec_version"] = tx.store.index + 1 + len(tx.changes)
                new.pop("UpdateStatus", None)
            new["Endpoint"] = self._endpoint(tx, service["ID"], new["Spec"], service)
            new["UpdatedAt"] = now
            new = specs.ordered(
                new,
                [
                    "ID",
                    "Version",
                    "CreatedAt",
                    "UpdatedAt",
                    "Spec",
                    "PreviousSpec",
                    "Endpoint",
                    "UpdateStatus",
                ],
            )
            tx.update("services", new)
            return {}

        return self.context.update(write)

    # -- remove ------------------------------------------------------------------------------------

    def do_service_remove(self, body: dict) -> Future:
        service = self.find_service(body["ref"])

        def write(tx: Tx) -> None:
            if tx.get("services", service["ID"]) is None:
                raise plain_error("NotFound", f"service {body['ref']} not found")
            tx.delete("services", service["ID"])

        return self.context.update(write)

    # -- tasks ------------------------------------------------------------------------------------

    def up_to_date(self, task: dict) -> bool:
        service = self.context.store.get("services", task.get("ServiceID", ""))
        if service is None:
            return False
        node = (
            self.context.store.get("nodes", task.get("NodeID", "")) if task.get("NodeID") else None
        )
        return not services.task_dirty(service, task, node) and taskstate.rank(
            task["DesiredState"]
        ) <= taskstate.rank("running")


def _service_matches(s: dict, filters: dict[str, list[str]]) -> bool:
    for key, values in filters.items():
        if key == "id" and not any(s["ID"].startswith(v) for v in values):
            return False
        if key == "name" and not any(s["Spec"]["Name"].startswith(v) for v in values):
            return False
        if key == "mode":
            mode = "global" if specs.is_global(s["Spec"]) else "replicated"
            if mode not in values:
                return False
        if key == "label":
            labels = s["Spec"].get("Labels") or {}
            for v in values:
                k, eq, val = v.partition("=")
                if k not in labels or (eq and labels[k] != val):
                    return False
    return True
