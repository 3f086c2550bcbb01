"""Secrets and configs in the control API (swarmkit's controlapi/secret.go, config.go).

Both are small named blobs kept in the replicated store — and so in the Raft log, which
every manager encrypts on its disk. They never change: only their labels could, and
docker's CLI has no command for that. A secret's data is never given back by the API;
a config's is. Neither can be removed while a service refers to it.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

from .. import ids
from ..gocompat import rfc3339nano
from ..rpc import RpcError, plain_error
from .context import ControllerContext
from .lookup import resolve
from .store import public

if TYPE_CHECKING:
    from concurrent.futures import Future

    from .writer import Tx

NAME = re.compile(r"^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$")
MAX_SIZE = {"secret": 500 * 1024, "config": 1000 * 1024}
FILTERS = {"id", "label", "name", "names"}


def refs(service: dict, kind: str) -> list[dict]:
    """The secrets (or configs) a service's tasks are given (ContainerSpec.Secrets), from
    a service, its spec, or a task's spec."""
    spec = service.get("Spec", service)
    cs = (spec.get("TaskTemplate", spec) or {}).get("ContainerSpec") or {}
    return cs.get("Secrets" if kind == "secret" else "Configs") or []


def ref_id(ref: dict, kind: str) -> str:
    return ref.get("SecretID" if kind == "secret" else "ConfigID", "")


class SecretAPI:
    context: ControllerContext

    def _table(self, kind: str) -> str:
        return kind + "s"

    def _find(self, kind: str, ref: str) -> dict:
        objs = list(self.context.store.all(self._table(kind)))
        return resolve(objs, ref, kind, lambda o: o["Spec"]["Name"])

    def _view(self, kind: str, obj: dict) -> dict:
        view = public(obj)
        spec = dict(view["Spec"])
        if kind == "secret":
            spec.pop("Data", None)  # never shown back
        view["Spec"] = spec
        return view

    # -- create -------------------------------------------------------------------------------

    def _create(self, kind: str, body: dict) -> Future:
        spec = body["spec"]
        name = spec.get("Name", "")
        if not NAME.match(name) or len(name) > 64:
            raise RpcError(
                "InvalidArgument",
                "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and "
                "end character must be [a-zA-Z0-9]",
            )
        driver = (spec.get("Driver") or {}) if kind == "secret" else {}
        if spec.get("Driver") is not None and kind == "secret":
            if not driver.get("Name"):
                raise RpcError(
                    "InvalidArgument", "driver name: if driver is specified name is required"
                )
            # The lab's engines have no secret-provider plugins installed.
            raise RpcError("InvalidArgument", f"error during lookup of plugin {driver['Name']}")
        size = len(base64.b64decode(spec.get("Data") or ""))
        if not 0 < size < MAX_SIZE[kind]:
            raise RpcError(
                "InvalidArgument",
                f"{kind} data must be larger than 0 and less than {MAX_SIZE[kind]} bytes",
            )
        obj_id = ids.new_id(self.context.rng)

        def write(tx: Tx) -> dict:
            if any(o["Spec"]["Name"] == name for o in tx.all(self._table(kind))):
                raise RpcError("AlreadyExists", f"{kind} {name} already exists")
            now = rfc3339nano(tx.now)
            spec_out = {"Name": name, "Labels": dict(spec.get("Labels") or {})}
            spec_out["Data"] = spec.get("Data") or ""
            if kind == "secret" and spec.get("Driver"):
                spec_out["Driver"] = spec["Driver"]
            tx.create(
                self._table(kind),
                {"ID": obj_id, "CreatedAt": now, "UpdatedAt": now, "Spec": spec_out},
            )
            return {"ID": obj_id}

        return self.context.update(write)

    def do_secret_create(self, body: dict) -> Future:
        return self._create("secret", body)

    def do_config_create(self, body: dict) -> Future:
        return self._create("config", body)

    # -- read ---------------------------------------------------------------------------------

    def _list(self, kind: str, body: dict) -> list[dict]:
        filters: dict[str, list[str]] = body.get("filters") or {}
        for key in filters:
            if key not in FILTERS:
                raise plain_error("InvalidArgument", f"invalid filter '{key}'")
        out = []
        for obj in self.context.store.all(self._table(kind)):
            name, labels = obj["Spec"]["Name"], obj["Spec"].get("Labels") or {}
            if "id" in filters and not any(obj["ID"].startswith(v) for v in filters["id"]):
                continue
            if "name" in filters and not any(name.startswith(v) for v in filters["name"]):
                continue
            if "names" in filters and name not in filters["names"]:
                continue
            if "label" in filters and not all(_has_label(labels, v) for v in filters["label"]):
                continue
            out.append(self._view(kind, obj))
        return out

    def do_secret_list(self, body: dict) -> list[dict]:
        return self._list("secret", body)

    def do_config_list(self, body: dict) -> list[dict]:
        return self._list("config", body)

    def do_secret_inspect(self, body: dict) -> dict:
        return self._view("secret", self._find("secret", body["ref"]))

    def do_config_inspect(self, body: dict) -> dict:
        return self._view("config", self._find("config", body["ref"]))

    # -- remove -------------------------------------------------------------------------------

    def _remove(self, kind: str, body: dict) -> Future:
        obj = self._find(kind, body["ref"])

        def write(tx: Tx) -> None:
            users = sorted(
                s["Spec"]["Name"]
                for s in tx.all("services")
                if any(ref_id(r, kind) == obj["ID"] for r in refs(s, kind))
            )
            if users:
                plural = "service" if len(users) == 1 else "services"
                raise RpcError(
                    "InvalidArgument",
                    f"{kind} '{obj['Spec']['Name']}' is in use by the following {plural}: "
                    + ", ".join(users),
                )
            if tx.get(self._table(kind), obj["ID"]) is None:
                raise plain_error("NotFound", f"{kind} {body['ref']} not found")
            tx.delete(self._table(kind), obj["ID"])

        return self.context.update(write)

    def do_secret_remove(self, body: dict) -> Future:
        return self._remove("secret", body)

    def do_config_remove(self, body: dict) -> Future:
        return self._remove("config", body)


def _has_label(labels: dict, want: str) -> bool:
    key, eq, value = want.partition("=")
    return key in labels and (not eq or labels[key] == value)
