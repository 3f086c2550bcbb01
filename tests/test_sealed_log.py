"""A member's log as it lies on the disk (raftnode.seal_ready / unseal): each write's
commands sealed as one record, index, term and configuration in the clear."""

from __future__ import annotations

import gc
import pickle
import weakref
from random import Random

from miniswarm import encryption
from miniswarm.encryption import Cipher, new_key
from miniswarm.manager.store import Batch, Change
from miniswarm.raft import Config, Entry, RaftStorage, Ready, Snapshot
from miniswarm.raftnode import SealedCommand, seal_ready, unseal


def cipher() -> Cipher:
    rng = Random(7)
    return Cipher(new_key(rng), rng)


def write(entries_from: int, *entries: Entry, **more) -> Ready:
    return Ready(entries_from=entries_from, entries=list(entries), **more)


def test_what_was_written_reads_back_after_a_suffix_is_replaced_and_the_log_compacted():
    c = cipher()
    sealed = RaftStorage()
    noop = Entry(1, 1)
    sealed.save(seal_ready(write(1, noop, Entry(1, 2, "a"), Entry(1, 3, {"b": 2})), c))
    sealed.save(seal_ready(write(4, Entry(1, 4, "c"), Entry(1, 5, "lost")), c))
    # a new leader's log wins from index 5 on; then everything up to 3 is compacted
    sealed.save(seal_ready(write(5, Entry(2, 5, "d"), Entry(2, 6, config=Config())), c))
    snap = Snapshot(3, 1, Config(), {"state": 3})
    sealed.save(seal_ready(Ready(snapshot=snap, log_start=(3, 1)), c))
    log = unseal(sealed, c)
    assert [(e.term, e.index, e.data) for e in log.entries] == [
        (1, 4, "c"),
        (2, 5, "d"),
        (2, 6, None),
    ]
    assert log.entries[-1].config == Config()
    assert log.snapshot is not None and log.snapshot.data == {"state": 3}
    assert sealed.term_at(5) == 2  # in the clear: the nemesis reads terms off the disk


def test_no_command_lies_in_the_clear_and_each_write_is_sealed_once():
    c = cipher()
    sealed = RaftStorage()
    secrets = [f"TopSecretPw{k}" for k in range(3)]
    sealed.save(seal_ready(write(1, *(Entry(1, k + 1, s) for k, s in enumerate(secrets))), c))
    on_disk = pickle.dumps(sealed)
    assert not any(s.encode() in on_disk for s in secrets)
    records = {id(e.data.record) for e in sealed.entries}
    assert len(records) == 1


def test_commands_of_every_kind_read_back_from_one_record_by_their_index():
    c = cipher()
    sealed = RaftStorage()
    payload = b"\x80\x05not a pickle"  # bytes are kept as they are, whatever they hold
    batch = Batch((Change.create("tasks", {"ID": "t1", "Spec": {}}),))
    written = [
        Entry(2, 7, payload),
        Entry(2, 8),  # a no-op amid the write's commands
        Entry(2, 9, batch),
        Entry(2, 10, config=Config(frozenset({"m1"}))),
        Entry(2, 11, b""),
        Entry(2, 12, ("a", 1)),
    ]
    sealed.save(seal_ready(Ready(log_start=(6, 2), entries_from=7, entries=written), c))
    assert len({id(e.data.record) for e in sealed.entries if e.data is not None}) == 1
    log = unseal(sealed, c)
    assert [(e.term, e.index, e.config) for e in log.entries] == [
        (e.term, e.index, e.config) for e in written
    ]
    read = [e.data for e in log.entries]
    assert read[:2] == [payload, None] and read[3:] == [None, b"", ("a", 1)]
    assert read[2].changes[0].obj == batch.changes[0].obj


def test_a_log_sealed_entry_by_entry_before_still_opens():
    c = cipher()
    old = RaftStorage()
    old.save(write(1, Entry(1, 1, c.seal_object("x")), Entry(1, 2, c.seal_object("y"))))
    assert [e.data for e in unseal(old, c).entries] == ["x", "y"]


def test_a_log_sealed_a_record_of_pickles_before_still_opens():
    # (how a write's commands were sealed before a record kept them by index)
    c = cipher()
    record = c.seal(pickle.dumps([encryption.serialise("x"), encryption.serialise(b"y")]))
    old = RaftStorage()
    old.save(
        write(
            1,
            Entry(1, 1, SealedCommand(record, 0)),
            Entry(1, 2),
            Entry(1, 3, SealedCommand(record, 1)),
        )
    )
    assert [e.data for e in unseal(old, c).entries] == ["x", None, b"y"]


def test_a_big_command_is_kept_compressed_and_reads_back_whole():
    # A batch of tasks alike but for their IDs, as the orchestrator writes them.
    batch = [
        {"ID": f"task{k:05d}", "Spec": {"ContainerSpec": {"Image": "nginx"}}} for k in range(500)
    ]
    c = cipher()
    sealed = RaftStorage()
    sealed.save(seal_ready(write(1, Entry(1, 1, batch), Entry(1, 2, "small")), c))
    record = sealed.entries[0].data.record
    assert len(record) * 3 < len(pickle.dumps(batch)), "compressed before it was sealed"
    assert [e.data for e in unseal(sealed, c).entries] == [batch, "small"]
    snap = Snapshot(2, 1, Config(), batch)
    sealed.save(seal_ready(Ready(snapshot=snap, log_start=(2, 1)), c))
    assert unseal(sealed, c).snapshot.data == batch


def test_each_command_is_pickled_once_for_every_manager_and_not_kept_alive_by_that(
    monkeypatch,
):
    dumps = []
    real = pickle.dumps
    monkeypatch.setattr(
        encryption.pickle, "dumps", lambda *a, **k: dumps.append(1) or real(*a, **k)
    )
    batch = Batch(tuple(Change.create("tasks", {"ID": f"t{i}", "Spec": {}}) for i in range(50)))
    once = encryption.serialise(batch)
    assert encryption.serialise(batch) is once  # the second manager's: the same bytes
    assert len(dumps) == 1
    gone = weakref.ref(batch)
    del batch
    gc.collect()
    assert gone() is None  # the log let go of it: the cache does not hold it
    assert all(ref() is not None for ref, _ in encryption._recent.values())  # nor its bytes


def test_a_command_that_cannot_be_referred_to_weakly_is_pickled_once(monkeypatch):
    dumps = []
    real = pickle.dumps
    monkeypatch.setattr(
        encryption.pickle, "dumps", lambda *a, **k: dumps.append(1) or real(*a, **k)
    )
    command = bytes(1000)  # bytes cannot be referred to weakly: held, if small enough
    assert encryption.serialise(command) is encryption.serialise(command)
    assert len(dumps) == 1
    assert encryption.deserialise(encryption.serialise(command)) == command
