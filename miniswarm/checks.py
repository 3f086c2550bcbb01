"""The state a lesson step must reach, or an exercise's goal: checks on the cluster, never
on what was typed.

A check is one line, words separated by spaces:

    swarm HOST active|inactive|locked       the engine on HOST (docker info's Swarm)
    nodes N | managers N | workers N        in the swarm, by the leader's list
    reachable-managers N                    managers that are the leader or Reachable
    node HOST role manager|worker           and  node HOST availability active|drain|pause
    node HOST status ready|down             and  no node HOST  (not a node any more)
    leader [HOST] | no leader               the Raft leader (which host)
    services N | service NAME | no service NAME
    service NAME replicas N                 the spec's;  service NAME running N: its tasks
    service NAME mode replicated|global     service NAME image IMAGE
    service NAME port P                     published on every node (ingress)
    service NAME network NET                service NAME secret NAME
    service NAME env KEY=VALUE | env KEY    service NAME no-env KEY
    service NAME update-delay 10s
    service NAME update-parallelism N       service NAME update completed|rollback_completed|...
    service NAME constraint EXPR            service NAME not-on managers|HOST
    service NAME on HOST                    a task of it runs there
    service NAME replaced N                 at least N of its tasks were replaced
    secret NAME | no secret NAME | config NAME | network NAME
    token worker|manager rotated            not the token the exercise began with
    autolock on|off
    answers HOST:PORT from HOST             an HTTP GET there answers
    raft members N                          Raft voters, as the leader has them

Each check that fails says why, in the student's language (i18n.py's check.* texts),
without giving the answer away. The cluster is read on each host's own loop (so under
ThreadDriver too), from the leader's store.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import constraint
from .gocompat import parse_duration
from .i18n import t
from .job import Job, Killed
from .sim import HostDown

if TYPE_CHECKING:
    from .lab import Lab


class CheckError(ValueError):
    """A check line that does not read as one (a lesson's mistake, not the student's)."""


@dataclass
class Snapshot:
    """What the check needs of the cluster, taken at one moment."""

    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # per host: its engine
    leader: str | None = None  # the host whose manager leads
    store: dict[str, Any] = field(default_factory=dict)  # the leader's objects

    def node(self, host: str) -> dict | None:
        return next(
            (n for n in self.store.get("nodes", []) if n["Description"].get("Hostname") == host),
            None,
        )

    def hostname(self, node_id: str) -> str:
        node = next((n for n in self.store.get("nodes", []) if n["ID"] == node_id), None)
        return node["Description"].get("Hostname", "") if node else ""

    def service(self, name: str) -> dict | None:
        return next((s for s in self.store.get("services", []) if s["Spec"]["Name"] == name), None)

    def tasks(self, service: dict) -> list[dict]:
        return [t for t in self.store.get("tasks", []) if t.get("ServiceID") == service["ID"]]


def _engine(d: Any) -> dict[str, Any]:
    """Run on a host's own loop: its engine, and the whole store if it leads."""
    out: dict[str, Any] = {"status": d.status, "role": d.state["role"] if d.state else None}
    m = d.manager
    if m is not None and m.leading:
        store = m.store
        out["store"] = {
            kind: copy.deepcopy([m.control.node_view(n) for n in store.all(kind)])
            if kind == "nodes"
            else copy.deepcopy(list(store.all(kind)))
            for kind in ("nodes", "services", "tasks", "secrets", "configs", "networks")
        }
        out["store"]["cluster"] = copy.deepcopy(store.cluster)
        out["store"]["voters"] = len(m.raft.raft.config.voters)
    return out


def snapshot(lab: Lab) -> Snapshot:
    snap = Snapshot()
    for name in lab.names:
        try:
            engine = lab.kernel.call(name, _engine, timeout=5.0)
        except (HostDown, TimeoutError):
            continue
        store = engine.pop("store", None)
        snap.hosts[name] = engine
        if store is not None:
            snap.leader, snap.store = name, store
    return snap


@dataclass
class Failure:
    check: str
    message: str


class Checker:
    """Judges check lines against the lab. `facts`: what was true when the exercise
    began (its join tokens), for checks that compare."""

    def __init__(self, lab: Lab, facts: dict[str, str] | None = None) -> None:
        self.lab = lab
        self.facts = dict(facts or {})

    def failures(self, checks: list[str]) -> list[Failure]:
        snap = snapshot(self.lab)
        out = []
        for line in checks:
            message = self.why_not(snap, line)
            if message is not None:
                out.append(Failure(line, message))
        return out

    def holds(self, checks: list[str]) -> bool:
        return not self.failures(checks)

    # -- one check ------------------------------------------------------------------------------

    def why_not(self, snap: Snapshot, line: str) -> str | None:
        """None if the check holds; else what is wrong."""
        words = line.split()
        if not words:
            raise CheckError("an empty check")
        head, rest = words[0], words[1:]
        if head == "swarm" and len(rest) == 2:
            state = snap.hosts.get(rest[0], {}).get("status", "down")
            return None if state == rest[1] else t("check.swarm", host=rest[0], state=state)
        if head in ("answers",):
            return self._answers(rest)
        if head == "no" and rest[:1] == ["leader"]:
            return None if snap.leader is None else t("check.leader_exists", host=snap.leader)
        if head == "leader":
            if snap.leader is None:
                return t("check.no_leader")
            if rest and snap.leader != rest[0]:
                return t("check.leader_is", host=snap.leader)
            return None
        if snap.leader is None:
            return t("check.no_leader")
        return self._store_check(snap, head, rest, line)

    def _store_check(self, snap: Snapshot, head: str, rest: list[str], line: str) -> str | None:
        nodes = snap.store["nodes"]
        if head in ("nodes", "managers", "workers", "reachable-managers", "services"):
            want = _int(rest, line)
            if head == "nodes":
                have = len(nodes)
            elif head == "managers":
                have = sum(1 for n in nodes if n["Spec"]["Role"] == "manager")
            elif head == "workers":
                have = sum(1 for n in nodes if n["Spec"]["Role"] == "worker")
            elif head == "services":
                have = len(snap.store["services"])
            else:
                have = sum(
                    1
                    for n in nodes
                    if (n.get("ManagerStatus") or {}).get("Reachability") == "reachable"
                )
            return None if have == want else t(f"check.count.{head}", want=want, have=have)
        if head == "node":
            return self._node(snap, rest, line)
        if head == "no" and rest and rest[0] in ("node", "service", "secret"):
            return self._absent(snap, rest, line)
        if head == "service":
            return self._service(snap, rest, line)
        if head in ("secret", "config", "network"):
            if len(rest) != 1:
                raise CheckError(line)
            kind = head + "s"
            names = [o["Spec"]["Name"] for o in snap.store[kind]]
            return None if rest[0] in names else t(f"check.missing.{head}", name=rest[0])
        if head == "token" and rest[1:] == ["rotated"]:
            role = rest[0].capitalize()
            now = snap.store["cluster"]["JoinTokens"][role]
            before = self.facts.get(f"token.{rest[0]}")
            return None if before is not None and now != before else t("check.token", role=rest[0])
        if head == "autolock" and rest in (["on"], ["off"]):
            on = bool(
                (snap.store["cluster"]["Spec"].get("EncryptionConfig") or {}).get(
                    "AutoLockManagers"
                )
            )
            return None if on == (rest[0] == "on") else t(f"check.autolock.{rest[0]}")
        if head == "raft" and rest[:1] == ["members"]:
            want = _int(rest[1:], line)
            have = snap.store["voters"]
            return None if have == want else t("check.raft_members", want=want, have=have)
        raise CheckError(f"unknown check: {line}")

    def _node(self, snap: Snapshot, rest: list[str], line: str) -> str | None:
        if len(rest) != 3:
            raise CheckError(line)
        host, what, want = rest
        node = snap.node(host)
        if node is None:
            return t("check.not_a_node", host=host)
        if what == "role":
            have = node["Spec"]["Role"]
        elif what == "availability":
            have = node["Spec"]["Availability"]
        elif what == "status":
            have = node["Status"]["State"]
        else:
            raise CheckError(line)
        return None if have == want else t(f"check.node.{what}", host=host, have=have)

    def _absent(self, snap: Snapshot, rest: list[str], line: str) -> str | None:
        kind, name = rest[0], rest[1] if len(rest) == 2 else ""
        if not name:
            raise CheckError(line)
        if kind == "node":
            return None if snap.node(name) is None else t("check.still_node", host=name)
        if kind == "service":
            return None if snap.service(name) is None else t("check.still_service", name=name)
        names = [o["Spec"]["Name"] for o in snap.store["secrets"]]
        return None if name not in names else t("check.still_secret", name=name)

    def _service(self, snap: Snapshot, rest: list[str], line: str) -> str | None:
        if not rest:
            raise CheckError(line)
        service = snap.service(rest[0])
        if service is None:
            return t("check.missing.service", name=rest[0])
        if len(rest) == 1:
            return None
        name, what, args = rest[0], rest[1], rest[2:]
        spec = service["Spec"]
        tt = spec.get("TaskTemplate") or {}
        cs = tt.get("ContainerSpec") or {}
        tasks = snap.tasks(service)
        running = [
            x for x in tasks if x["Status"]["State"] == "running" and x["DesiredState"] == "running"
        ]
        if what == "replicas":
            count = int(((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas", 0))
            ok = count == _int(args, line)
            return None if ok else t("check.service.replicas", name=name, have=count)
        if what == "running":
            wanted = _int(args, line)
            if len(running) == wanted:
                return None
            return t("check.service.running", name=name, want=wanted, have=len(running))
        if what == "replaced":
            gone = [x for x in tasks if x["DesiredState"] != "running"]
            if len(gone) >= _int(args, line) and running:
                return None
            return t("check.service.replaced", name=name)
        if what == "mode":
            mode = "global" if "Global" in (spec.get("Mode") or {}) else "replicated"
            return None if args == [mode] else t("check.service.mode", name=name, have=mode)
        if what == "image":
            image = cs.get("Image", "").split("@")[0]
            ref = args[0] if ":" in args[0].rsplit("/", 1)[-1] else args[0] + ":latest"
            ok = image == ref and all(
                x["Spec"]["ContainerSpec"]["Image"].split("@")[0] == ref for x in running
            )
            return None if ok else t("check.service.image", name=name, want=ref)
        if what == "port":
            ports = [
                p
                for p in (service.get("Endpoint") or {}).get("Ports") or []
                if p.get("PublishMode") == "ingress"
            ]
            ok = any(str(p["PublishedPort"]) == args[0] for p in ports)
            return None if ok else t("check.service.port", name=name, port=args[0])
        if what == "network":
            ids_ = [r.get("Target") for r in tt.get("Networks") or []]
            net = next((n for n in snap.store["networks"] if n["Spec"]["Name"] == args[0]), None)
            ok = net is not None and net["ID"] in ids_
            return None if ok else t("check.service.network", name=name, network=args[0])
        if what == "secret":
            refs = [r.get("SecretName") for r in cs.get("Secrets") or []]
            return None if args[0] in refs else t("check.service.secret", name=name,
                                                   secret=args[0])  # fmt: skip
        if what in ("env", "no-env"):
            env = cs.get("Env") or []
            key, eq, _ = args[0].partition("=")
            ok = args[0] in env if eq else any(e.partition("=")[0] == key for e in env)
            if what == "env":
                return None if ok else t("check.service.env", name=name, var=key)
            return None if not ok else t("check.service.no_env", name=name, var=key)
        if what in ("update-delay", "update-parallelism"):
            cfg = spec.get("UpdateConfig") or {}
            if what == "update-delay":
                ok = int(cfg.get("Delay") or 0) == parse_duration(args[0])
            else:
                ok = int(cfg.get("Parallelism", 1)) == _int(args, line)
            return None if ok else t(f"check.service.{what}", name=name, want=args[0])
        if what == "update":
            state = (service.get("UpdateStatus") or {}).get("State", "")
            return None if state == args[0] else t("check.service.update", name=name,
                                                    state=state or "-")  # fmt: skip
        if what == "constraint":
            expr = " ".join(args)
            given = [
                re.sub(r"\s+", "", c) for c in (tt.get("Placement") or {}).get("Constraints") or []
            ]
            try:
                constraint.parse([expr])
            except constraint.ConstraintError:
                raise CheckError(line) from None
            ok = re.sub(r"\s+", "", expr) in given
            return None if ok else t("check.service.constraint", name=name)
        if what in ("not-on", "on"):
            where = {snap.hostname(x.get("NodeID", "")) for x in running}
            if args == ["managers"]:
                managers = {
                    n["Description"]["Hostname"]
                    for n in snap.store["nodes"]
                    if n["Spec"]["Role"] == "manager"
                }
                bad = sorted(where & managers)
                return None if not bad else t("check.service.on_managers", name=name,
                                              hosts=", ".join(bad))  # fmt: skip
            host = args[0]
            if what == "on":
                return None if host in where else t("check.service.not_on", name=name, host=host)
            return None if host not in where else t("check.service.on", name=name, host=host)
        raise CheckError(f"unknown check: {line}")

    def _answers(self, rest: list[str]) -> str | None:
        if len(rest) != 3 or rest[1] != "from" or ":" not in rest[0]:
            raise CheckError("answers HOST:PORT from HOST")
        target, port = rest[0].rsplit(":", 1)
        address = self.lab.resolve(target) or target
        job = Job(self.lab.kernel)
        try:
            with job.timeout(3.0):
                status, _ = self.lab.http_get(rest[2], address, int(port), "/", job)
        except (Exception, Killed):  # refused, timed out, a host down: no answer
            return t("check.answers", target=rest[0], host=rest[2])
        return None if status < 500 else t("check.answers", target=rest[0], host=rest[2])


def _int(args: list[str], line: str) -> int:
    if len(args) != 1 or not args[0].isdigit():
        raise CheckError(line)
    return int(args[0])


def validate(line: str) -> None:
    """Raise CheckError for a check line that would never read (for lesson tests)."""
    words = line.split()
    known = {"swarm", "nodes", "managers", "workers", "reachable-managers", "node", "no",
             "leader", "services", "service", "secret", "config", "network", "token",
             "autolock", "answers", "raft"}  # fmt: skip
    if not words or words[0] not in known:
        raise CheckError(f"unknown check: {line}")
