"""Identifiers as swarm and docker make them, drawn from a host's seeded randomness."""

from __future__ import annotations

from random import Random

B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_PAIRS = [a + b for a in B36 for b in B36]  # two digits at a time: half the divisions


def base36(n: int, width: int = 0) -> str:
    pairs = []
    while n:
        n, r = divmod(n, 1296)
        pairs.append(_PAIRS[r])
    out = "".join(reversed(pairs)).lstrip("0")
    return (out or "0").rjust(width, "0")


def new_id(rng: Random) -> str:
    """A swarm object ID: 25 base-36 characters (swarmkit identity.NewID: 17 random bytes
    with the high bit set, in base 36, less the first digit)."""
    n = rng.getrandbits(136) | (1 << 135)
    return base36(n)[1:26]


def hex_id(rng: Random, length: int = 64) -> str:
    """A container or image ID: lowercase hex."""
    return f"{rng.getrandbits(4 * length):0{length}x}"


def engine_id(rng: Random) -> str:
    """The engine's ID as `docker info` shows it: 12 groups of 4 base-32 characters."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    chars = "".join(alphabet[rng.randrange(32)] for _ in range(48))
    return ":".join(chars[i : i + 4] for i in range(0, 48, 4))


def raft_member_id(node_id: str, rng: Random) -> str:
    """A Raft member ID for a manager node. Named after the node so that the node is easy
    to find from it, with a fresh suffix so that a node promoted again is a new member
    (swarm never reuses a removed member's ID)."""
    return f"{node_id}.{rng.getrandbits(32):08x}"


def node_of_member(member: str) -> str:
    return member.split(".", 1)[0]
