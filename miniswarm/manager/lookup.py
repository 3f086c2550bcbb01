"""Finding an object by what a user typed (moby's reference resolution), and the errors
docker gives when it is not there — shared by every request handler on the leader."""

from __future__ import annotations

from collections.abc import Callable

from ..rpc import RpcError, plain_error


def not_found(kind: str, ref: str) -> RpcError:
    return plain_error("NotFound", f"{kind} {ref} not found")


def check_filters(filters: dict[str, list[str]], allowed: set[str]) -> None:
    for key in filters:
        if key not in allowed:
            raise plain_error("InvalidArgument", f"invalid filter '{key}'")


def resolve(objects: list[dict], ref: str, kind: str, name_of: Callable[[dict], str]) -> dict:
    """An object by full ID, else exact name, else unique ID prefix (moby's lookup)."""
    for obj in objects:
        if obj["ID"] == ref:
            return obj
    matches = [o for o in objects if name_of(o) == ref]
    if not matches:
        matches = [o for o in objects if o["ID"].startswith(ref)]
    if not matches:
        raise not_found(kind, ref)
    if len(matches) > 1:
        raise plain_error(
            "InvalidArgument", f"{kind} {ref} is ambiguous ({len(matches)} matches found)"
        )
    return matches[0]


def node_name(node: dict) -> str:
    return node["Spec"].get("Name") or node.get("Description", {}).get("Hostname", "")
