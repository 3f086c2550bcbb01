"""Encryption at rest (swarmkit's manager/encryption and manager/deks.go).

A manager's Raft log and snapshots are always encrypted on its disk, with a data
encryption key (DEK) of 32 random bytes. The DEK itself is stored wrapped — encrypted —
by a key encryption key (KEK). Without autolock the KEK lies on the same disk, so
deleting it erases the log ("crypto-erase"); with autolock the KEK is the swarm's unlock
key and is never written to a manager's disk, so a restarted manager cannot read its own
state until someone gives it the key.

Records are sealed with ChaCha20-Poly1305 from the `cryptography` package (swarm uses NaCl
secretbox, XSalsa20-Poly1305, which `cryptography` does not offer): a fresh 12-byte nonce
per record, then the ciphertext and its tag. Nonces come from the host's seeded
randomness, so that a simulation replays byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import functools
import pickle
import threading
import weakref
import zlib
from collections.abc import Callable
from random import Random
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

KEY_SIZE = 32
NONCE_SIZE = 12


class DecryptError(Exception):
    """The key does not open the record (a wrong unlock key, or a damaged record)."""


def new_key(rng: Random) -> bytes:
    return rng.randbytes(KEY_SIZE)


class Cipher:
    """Authenticated encryption with one key."""

    def __init__(self, key: bytes, rng: Random) -> None:
        self._aead = ChaCha20Poly1305(key)
        self._rng = rng

    def seal(self, plaintext: bytes) -> bytes:
        nonce = self._rng.randbytes(NONCE_SIZE)
        return nonce + self._aead.encrypt(nonce, plaintext, None)

    def open(self, sealed: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], None)
        except (InvalidTag, ValueError):
            raise DecryptError("cannot decrypt") from None

    def seal_object(self, obj: Any) -> bytes:
        """A Python object (a Raft entry's command, a snapshot), serialised and sealed."""
        return self.seal(serialise(obj))

    def open_object(self, sealed: bytes) -> Any:
        return deserialise(self.open(sealed))


# id(obj) -> (a reference to it, its bytes). A big object is referred to weakly: the
# cache must not keep an entry alive (64 recent batches once held every version of every
# task of a 30,000-task service); a small one that cannot be (bytes) is simply held.
_recent: dict[int, tuple[Callable[[], Any], bytes]] = {}
_lock = threading.Lock()
_RECENT = 1024
_HOLD_AT_MOST = 4096  # bytes pickled: what cannot be referred to weakly is held if small
_COMPRESS_FROM = 256  # bytes; below it zlib's header costs more than it saves


class _Held:
    """A strong reference with a weak reference's call."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __call__(self) -> Any:
        return self.obj


def _gone(key: int, ref: weakref.ref) -> None:
    """An object the cache referred to weakly is gone: its bytes go with it."""
    with _lock:
        if _recent.get(key, (None,))[0] is ref:
            del _recent[key]


def serialise(obj: Any) -> bytes:
    """pickle, done once per object: in the simulator every manager persists the very
    same entry object, and each seals the same bytes with its own key. Past a few hundred
    bytes the pickle is compressed: the simulated disks are the process's memory, and a
    swarm's records (tasks alike but for their IDs) shrink to a third."""
    key = id(obj)
    with _lock:  # the REPL's hosts are threads
        hit = _recent.get(key)
        if hit is not None and hit[0]() is obj:
            return hit[1]
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) > _COMPRESS_FROM:
        data = zlib.compress(data, 1)
    ref: Callable[[], Any]
    if type(obj).__weakrefoffset__:  # its type can be referred to weakly (a Batch)
        ref = weakref.ref(obj, functools.partial(_gone, key))
    elif len(data) <= _HOLD_AT_MOST:
        ref = _Held(obj)
    else:
        return data  # a snapshot's tables, say: pickled by each manager
    with _lock:
        if len(_recent) >= _RECENT:
            _recent.pop(next(iter(_recent)))
        _recent[key] = (ref, data)
    return data


def deserialise(data: bytes) -> Any:
    """What `serialise` made, compressed or not (a pickle begins with its PROTO opcode,
    0x80; zlib's stream with 0x78)."""
    if data[:1] != b"\x80":
        data = zlib.decompress(data)
    # Only what this process serialised itself, sealed with its own key, is unpickled.
    return pickle.loads(data)  # noqa: S301


def wrap(kek: bytes, dek: bytes, rng: Random) -> bytes:
    """The DEK as it is stored: sealed by the KEK."""
    return Cipher(kek, rng).seal(dek)


def unwrap(kek: bytes, wrapped: bytes, rng: Random) -> bytes:
    try:
        cipher = Cipher(kek, rng)
    except ValueError:  # not even a key's length
        raise DecryptError("cannot decrypt") from None
    return cipher.open(wrapped)


UNLOCK_KEY_PREFIX = "SWMKEY-1-"


class InvalidKeyString(ValueError):
    pass


def human_key(key: bytes) -> str:
    """The unlock key as docker shows it: SWMKEY-1- and unpadded standard base64."""
    return UNLOCK_KEY_PREFIX + base64.b64encode(key).decode().rstrip("=")


def parse_human_key(text: str) -> bytes:
    """swarmkit's ParseHumanReadableKey: the prefix, then base64 without padding (its
    length is not checked here: a wrong key is found out when it fails to decrypt)."""
    text = text.strip()
    if not text.startswith(UNLOCK_KEY_PREFIX):
        raise InvalidKeyString("invalid key string")
    body = text[len(UNLOCK_KEY_PREFIX) :]
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidKeyString("invalid key string") from None
