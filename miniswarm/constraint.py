"""Placement constraints (swarmkit's manager/constraint): `key==value` / `key!=value`,
ANDed, compared case-insensitively as whole strings."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

_KEY = re.compile(r"^[a-z_][a-z0-9\-_.]+$", re.I)
_VALUE = re.compile(r"^[a-z0-9:\-_\s\.\*\(\)\?\+\[\]\\\^\$\|/]+$", re.I)


class ConstraintError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Constraint:
    key: str
    op: str  # "==" or "!="
    value: str

    def matches(self, node: dict) -> bool:
        actual = node_value(node, self.key)
        if actual is None:
            return False
        if self.key.lower() == "node.ip":
            equal = _ip_matches(actual, self.value)
        else:
            equal = actual.lower() == self.value.lower()
        return equal if self.op == "==" else not equal


def parse(exprs: list[str]) -> list[Constraint]:
    out = []
    for expr in exprs:
        for op in ("==", "!="):
            if op in expr:
                key, _, value = expr.partition(op)
                key, value = key.strip(), value.strip()
                if not _KEY.match(key):
                    raise ConstraintError(f"key '{key}' is invalid")
                if not _VALUE.match(value):
                    raise ConstraintError(f"value '{value}' is invalid")
                out.append(Constraint(key, op, value))
                break
        else:
            raise ConstraintError("constraint expected one operator from ==, !=")
    return out


def node_value(node: dict, key: str) -> str | None:
    """What a constraint key reads from a node; None for a key no node has."""
    k = key.lower()
    desc = node.get("Description") or {}
    if k == "node.id":
        return node["ID"]
    if k == "node.hostname":
        return desc.get("Hostname", "")
    if k == "node.ip":
        return (node.get("Status") or {}).get("Addr", "")
    if k == "node.role":
        return node["Spec"]["Role"]
    if k == "node.platform.os":
        return (desc.get("Platform") or {}).get("OS", "")
    if k == "node.platform.arch":
        return (desc.get("Platform") or {}).get("Architecture", "")
    if k.startswith("node.labels."):
        return (node["Spec"].get("Labels") or {}).get(key[len("node.labels.") :], "")
    if k.startswith("engine.labels."):
        labels = (desc.get("Engine") or {}).get("Labels") or {}
        return labels.get(key[len("engine.labels.") :], "")
    return None


def _ip_matches(addr: str, value: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
        if "/" in value:
            return ip in ipaddress.ip_network(value, strict=False)
        return ip == ipaddress.ip_address(value)
    except ValueError:
        return False


def node_matches(constraints: list[Constraint], node: dict) -> bool:
    return all(c.matches(node) for c in constraints)
