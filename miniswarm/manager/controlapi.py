"""The leader's answers to cluster requests (swarmkit's controlapi, with moby's reference
resolution): the swarm, nodes, tasks, joins. Other managers forward these here.

A handler returns its result, or a Future of it for one that writes; errors are
RpcErrors worded as docker prints them.
"""

from __future__ import annotations

import copy
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .. import ca, encryption, ids, taskstate
from ..gocompat import rfc3339nano
from ..names import task_name
from ..rpc import RpcError, plain_error
from .lookup import check_filters, node_name, not_found, resolve
from .networks import NetworkAPI, attach_node
from .secretapi import SecretAPI
from .serviceapi import ServiceAPI
from .store import public

if TYPE_CHECKING:
    from . import Manager
    from .writer import Tx

NODE_FILTERS = {"id", "name", "label", "node.label", "role", "membership"}
TASK_FILTERS = {"id", "name", "label", "service", "node", "desired-state", "_up-to-date", "runtime"}


MIN_CERT_EXPIRY = 3600 * 10**9  # swarmkit's ca.MinNodeCertExpiration (1h), nanoseconds
# The lab's own floor: a heartbeat under a second has every node report many times a
# simulated second, and the lab crawls. Swarm takes it (and suffers too).
MIN_HEARTBEAT = 10**9


def validate_cluster_spec(spec: dict) -> None:
    """swarmkit's validateClusterSpec, and the lab's floor for the heartbeat."""
    expiry = (spec.get("CAConfig") or {}).get("NodeCertExpiry")
    if expiry is not None and expiry < MIN_CERT_EXPIRY:
        raise RpcError("InvalidArgument", "minimum certificate expiry time is: 1h0m0s")
    heartbeat = (spec.get("Dispatcher") or {}).get("HeartbeatPeriod")
    if heartbeat is not None and heartbeat < 0:
        raise RpcError("InvalidArgument", "heartbeat time period cannot be a negative duration")
    if heartbeat is not None and heartbeat < MIN_HEARTBEAT:
        raise RpcError(
            "InvalidArgument", "miniswarm: a heartbeat period under 1s would flood this lab"
        )


class ControlAPI(ServiceAPI, SecretAPI, NetworkAPI):
    def __init__(self, manager: Manager) -> None:
        self.m = manager
        self.context = manager.context
        self.store = manager.store

    def handle(self, method: str, body: Any) -> Any:
        fn = getattr(self, "do_" + method.replace(".", "_").replace("-", "_"), None)
        if fn is None:
            raise RpcError("Unimplemented", f"unknown method {method}")
        return fn(body or {})

    # -- the swarm ------------------------------------------------------------------------------

    def cluster(self) -> dict:
        c = self.store.cluster
        if c is None:
            raise RpcError("Unknown", "cluster not found")
        return c

    def swarm_view(self, with_tokens: bool = True) -> dict:
        view = public(self.cluster())
        if not with_tokens:
            view.pop("JoinTokens", None)
        return view

    def do_swarm_inspect(self, body: dict) -> dict:
        return self.swarm_view()

    def do_info(self, body: dict) -> dict:
        nodes = list(self.store.all("nodes"))  # counted, not viewed (`node ls` asks for this)
        return {
            "Cluster": self.swarm_view(with_tokens=False),
            "Nodes": len(nodes),
            "Managers": sum(1 for n in nodes if self.m.member_of_node(n["ID"]) is not None),
        }

    def do_swarm_update(self, body: dict) -> Future:
        """body: version, spec (optional), rotate_worker_token, rotate_manager_token."""

        def write(tx: Tx) -> None:
            c = self.cluster()
            if body.get("version") is not None and body["version"] != c["Version"]["Index"]:
                raise RpcError("Unknown", "update out of sequence")
            new = copy.deepcopy(c)
            if body.get("spec") is not None:
                if body["spec"].get("Name", "default") != "default":
                    raise RpcError("InvalidArgument", 'swarm spec must be named "default"')
                validate_cluster_spec(body["spec"])
                new["Spec"] = body["spec"]
            root = ca.RootCA(c["TLSInfo"]["TrustRoot"], c["_ca_key"])
            if body.get("rotate_worker_token"):
                new["JoinTokens"]["Worker"] = ca.generate_join_token(self.m.ctx.rng, root)
            if body.get("rotate_manager_token"):
                new["JoinTokens"]["Manager"] = ca.generate_join_token(self.m.ctx.rng, root)
            autolock = (new["Spec"].get("EncryptionConfig") or {}).get("AutoLockManagers")
            if autolock and (not new.get("_unlock_key") or body.get("rotate_unlock_key")):
                new["_unlock_key"] = encryption.new_key(self.m.ctx.rng)
            elif not autolock:
                new.pop("_unlock_key", None)
            new["UpdatedAt"] = rfc3339nano(tx.now)
            tx.update("clusters", new)

        return self.m.update(write)

    def do_swarm_unlock_key(self, body: dict) -> dict:
        key = self.cluster().get("_unlock_key")
        return {"UnlockKey": encryption.human_key(key) if key else ""}

    # -- nodes ------------------------------------------------------------------------------------

    def node_view(self, node: dict) -> dict:
        return node_shown(node, self.m.manager_status(node["ID"]))

    def find_node(self, ref: str) -> dict:
        by_id = self.store.get("nodes", ref)  # a full ID comes first, as in moby's lookup
        return by_id or resolve(list(self.store.all("nodes")), ref, "node", node_name)

    def do_node_list(self, body: dict) -> list[dict] | dict:
        """The nodes as the API shows them; `as_stored`: the store's own objects and the
        managers' statuses, for a Response that shows each as it is read (`node_shown`)."""
        filters: dict[str, list[str]] = body.get("filters") or {}
        check_filters(filters, NODE_FILTERS)
        nodes = [node for node in self.store.all("nodes") if _node_matches(node, filters)]
        if body.get("as_stored"):
            return {"Nodes": nodes, "ManagerStatus": self.m.manager_statuses()}
        statuses = self.m.manager_statuses()
        return [node_shown(node, statuses.get(node["ID"])) for node in nodes]

    def do_node_inspect(self, body: dict) -> dict:
        return self.node_view(self.find_node(body["ref"]))

    def do_node_update(self, body: dict) -> Future:
        """body: id, version, spec (the whole NodeSpec)."""
        spec = body["spec"]

        def write(tx: Tx) -> dict:
            node = tx.get("nodes", body["id"])
            if node is None:
                raise not_found("node", body["id"])
            if body.get("version") is not None and body["version"] != node["Version"]["Index"]:
                raise RpcError("Unknown", "update out of sequence")
            if node["Spec"]["Role"] == "manager" and spec.get("Role") == "worker":
                self._check_demotion(tx, node)
            new = dict(node)
            new["Spec"] = copy.deepcopy(spec)
            new["UpdatedAt"] = rfc3339nano(tx.now)
            return tx.update("nodes", new)

        return self.m.update(write)

    def _check_demotion(self, tx: Tx, node: dict) -> None:
        managers = [n for n in tx.all("nodes") if n.get("_role") == "manager"]
        if len(managers) == 1 and managers[0]["ID"] == node["ID"]:
            raise RpcError(
                "FailedPrecondition", "attempting to demote the last manager of the swarm"
            )
        member = self.m.member_of_node(node["ID"])
        if member is None:  # promoted, but not yet a Raft member (or never became one)
            raise RpcError("NotFound", "can't find manager in raft memberlist")
        if not self.m.can_remove_member(member):
            raise RpcError(
                "FailedPrecondition",
                "can't remove member from the raft: this would result in a loss of quorum",
            )

    def do_node_remove(self, body: dict) -> Future:
        node = self.find_node(body["ref"])

        def write(tx: Tx) -> None:
            current = tx.get("nodes", node["ID"])
            if current is None:
                raise not_found("node", body["ref"])
            if current["Spec"]["Role"] == "manager" or self.m.member_of_node(node["ID"]):
                if self.m.member_of_node(node["ID"]):
                    raise RpcError(
                        "FailedPrecondition",
                        f"node {node['ID']} is a cluster manager and is a member of the raft "
                        "cluster. It must be demoted to worker before removal",
                    )
            if not body.get("force") and current["Status"]["State"] == "ready":
                raise RpcError(
                    "FailedPrecondition", f"node {node['ID']} is not down and can't be removed"
                )
            tx.delete("nodes", node["ID"])
            for stored in list(self.store.tasks_on_node(node["ID"])):
                t = tx.get("tasks", stored["ID"])
                if t is not None and not taskstate.terminal(t["Status"]["State"]):
                    orphaned = dict(t)
                    orphaned["Status"] = {
                        "Timestamp": rfc3339nano(tx.now),
                        "State": "orphaned",
                        "Message": "Task belonged to a node that has been deleted",
                    }
                    tx.update("tasks", orphaned)
            removed = copy.deepcopy(self.cluster())
            removed.setdefault("_removed_nodes", []).append(node["ID"])
            tx.update("clusters", removed)

        return self.m.update(write)

    # -- tasks ------------------------------------------------------------------------------------

    def do_task_list(self, body: dict) -> list[dict]:
        filters: dict[str, list[str]] = body.get("filters") or {}
        check_filters(filters, TASK_FILTERS)
        tasks = self.store.all("tasks")
        if "service" in filters and "node" not in filters:
            tasks = [t for sid in filters["service"] for t in self.store.tasks_of_service(sid)]
        if "id" in filters:
            tasks = [t for t in tasks if any(t["ID"].startswith(v) for v in filters["id"])]
        if "node" in filters:  # names and IDs, resolved as moby's task filter does
            nodes = [self.find_node(ref)["ID"] for ref in filters["node"]]
            tasks = [t for nid in nodes for t in self.store.tasks_on_node(nid)]
        if "service" in filters and "node" in filters:  # (else they were taken by service)
            tasks = [t for t in tasks if t.get("ServiceID") in filters["service"]]
        if "name" in filters:  # prefixes of the task's name, web.1.<task ID>
            tasks = [t for t in tasks if any(task_name(t).startswith(v) for v in filters["name"])]
        if "_up-to-date" in filters:
            tasks = [t for t in tasks if self.up_to_date(t)]
        if "desired-state" in filters:
            wanted = set()
            for value in filters["desired-state"]:
                if value.lower() not in taskstate.RANK:
                    raise plain_error("InvalidArgument", f"invalid filter 'desired-state={value}'")
                wanted.add(value.lower())
            tasks = [t for t in tasks if t["DesiredState"] in wanted]
        if body.get("as_stored"):  # shown (public) by whoever reads them, one at a time
            return list(tasks)
        return [public(t) for t in tasks]

    # -- joining ------------------------------------------------------------------------------

    def do_join(self, body: dict) -> Future:
        """A node presents a join token (swarmkit's IssueNodeCertificate): it becomes a node
        of the swarm, with the role its token is for."""
        c = self.cluster()
        _, secret = ca.parse_join_token(body["token"])
        role = None
        for r, key in (("worker", "Worker"), ("manager", "Manager")):
            if ca.tokens_equal(secret, ca.parse_join_token(c["JoinTokens"][key])[1]):
                role = r
        if role is None:
            raise RpcError(
                "InvalidArgument", "A valid join token is necessary to join this cluster"
            )
        node_id = ids.new_id(self.m.ctx.rng)
        certificate = self.node_certificate(node_id, role)

        def write(tx: Tx) -> dict:
            now = rfc3339nano(tx.now)
            node = {
                "ID": node_id,
                "CreatedAt": now,
                "UpdatedAt": now,
                "Spec": {
                    "Labels": {},
                    "Role": role,
                    "Availability": body.get("availability") or "active",
                },
                "Description": {"Hostname": body.get("hostname", "")},
                "Status": {"State": "unknown", "Addr": body["addr"]},
                "_role": role,
                "_certificate": certificate,
            }
            tx.create("nodes", attach_node(tx, node))
            return {
                "node_id": node_id,
                "role": role,
                "cluster_id": c["ID"],
                "ca_cert": c["TLSInfo"]["TrustRoot"],
                "managers": self.m.peers(),
                "certificate": certificate,
            }

        return self.m.update(write)

    def node_certificate(self, node_id: str, role: str) -> str:
        c = self.cluster()
        root = ca.RootCA(c["TLSInfo"]["TrustRoot"], c["_ca_key"])
        return ca.issue_node_certificate(
            root, node_id, role, c["ID"], self.m.ctx.stream("ca"), self.m.ctx.wallclock()
        )

    def do_raft_join(self, body: dict) -> Future:
        """A manager's Raft member asks to be a voter (swarmkit's raft Join)."""
        return self.m.add_member(body["member"], body["addr"])


def node_shown(node: dict, status: dict | None) -> dict:
    """A node as the API shows it: without the store's own keys, with its ManagerStatus
    if it is a manager (the leader's view of the Raft members)."""
    view = public(node)
    if status is not None:
        view["ManagerStatus"] = status
    return view


def _node_matches(node: dict, filters: dict[str, list[str]]) -> bool:
    for key, values in filters.items():
        if key == "id" and not any(node["ID"].startswith(v) for v in values):
            return False
        if key == "name" and not any(node_name(node).startswith(v) for v in values):
            return False
        if key == "role" and node["Spec"]["Role"] not in values:
            return False
        if key == "membership" and "accepted" not in values:
            return False
        if key in ("label", "node.label"):
            labels = (
                node["Spec"].get("Labels") or {}
                if key == "node.label"
                else node.get("Description", {}).get("Engine", {}).get("Labels") or {}
            )
            for v in values:
                k, eq, val = v.partition("=")
                if k not in labels or (eq and labels[k] != val):
                    return False
    return True
