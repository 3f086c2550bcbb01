"""The collector's treatment of a lab (sim/gcpolicy.py): what survives a full collection
is frozen, and cyclic garbage among frozen objects is still found at the next review."""

from __future__ import annotations

import gc
import weakref

import pytest

from miniswarm.sim import gcpolicy


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def policy(monkeypatch):
    gcpolicy.install()
    gcpolicy.review()
    monkeypatch.setattr(gcpolicy, "_next_review", 10**12)  # no review unless asked
    yield
    gcpolicy.review()


def test_what_survives_a_full_collection_is_frozen_and_not_looked_at_again(policy):
    kept = Cycle()
    gc.collect()
    assert gc.get_freeze_count() > 0
    gone = weakref.ref(kept)
    del kept
    gc.collect()
    assert gone() is not None  # frozen: the collector did not look


def test_a_review_finds_cyclic_garbage_among_frozen_objects(policy):
    kept = Cycle()
    gc.collect()
    gone = weakref.ref(kept)
    del kept
    gcpolicy.review()
    assert gone() is None


def test_after_enough_freezes_everything_is_thawed_and_the_next_full_collection_reviews(
    policy, monkeypatch
):
    monkeypatch.setattr(gcpolicy, "_freezes", 0)
    monkeypatch.setattr(gcpolicy, "_next_review", 1)
    kept = Cycle()
    gc.collect()  # kept survives and is frozen: one freeze
    gone = weakref.ref(kept)
    del kept
    gc.collect()  # frozen, not looked at; the freezes reached the count: all thawed
    assert gone() is not None
    gc.collect()  # this one looks at everything
    assert gone() is None
    assert gcpolicy._next_review == gcpolicy.REVIEW_GROWTH  # the next review, further off


def test_reference_counting_still_frees_what_is_frozen(policy):
    class Plain:
        pass

    kept = Plain()
    gc.collect()
    gone = weakref.ref(kept)
    del kept
    assert gone() is None


@pytest.fixture
def live(policy, monkeypatch):
    gcpolicy.interactive(True)
    yield
    gcpolicy.interactive(False)


def test_a_live_lab_has_short_young_collections_and_the_old_threshold_after(policy):
    gcpolicy.interactive(True)
    assert gc.get_threshold()[:2] == gcpolicy.INTERACTIVE
    gcpolicy.interactive(True)  # a second live lab
    gcpolicy.interactive(False)
    assert gc.get_threshold()[:2] == gcpolicy.INTERACTIVE  # one is still live
    gcpolicy.interactive(False)
    assert gc.get_threshold()[:2] == (gcpolicy.YOUNG, gcpolicy.MIDDLE)


def test_going_live_reviews_at_once(policy):
    kept = Cycle()
    gc.collect()  # frozen
    gone = weakref.ref(kept)
    del kept
    gcpolicy.interactive(True)
    try:
        assert gone() is None
    finally:
        gcpolicy.interactive(False)


def test_while_live_a_review_that_falls_due_waits_for_an_idle_moment(live, monkeypatch):
    monkeypatch.setattr(gcpolicy, "_freezes", 0)
    monkeypatch.setattr(gcpolicy, "_next_review", 1)
    kept = Cycle()
    gc.collect()  # one freeze
    gone = weakref.ref(kept)
    del kept
    gc.collect()  # the review falls due, but nothing is thawed
    gc.collect()
    assert gone() is not None
    assert gcpolicy.idle() is True  # the idle moment: the review runs
    assert gone() is None
    assert gcpolicy.idle() is False  # nothing due any more
    assert gcpolicy._next_review == gcpolicy.REVIEW_GROWTH


def test_a_review_still_due_when_the_last_live_lab_stops_runs_then(policy, monkeypatch):
    gcpolicy.interactive(True)
    monkeypatch.setattr(gcpolicy, "_freezes", 0)
    monkeypatch.setattr(gcpolicy, "_next_review", 1)
    kept = Cycle()
    gc.collect()
    gone = weakref.ref(kept)
    del kept
    gc.collect()  # due
    gcpolicy.interactive(False)
    assert gone() is None


def test_a_command_at_a_live_lab_collects_as_an_unpaced_lab_does(policy):
    # The student waits for a command's whole output: its total is what they feel, and
    # 150 short young collections were 13 of the 44 ms of a 2,000-task `service ps`.
    gcpolicy.interactive(True)
    try:
        gcpolicy.busy(True)
        assert gc.get_threshold()[:2] == (gcpolicy.YOUNG, gcpolicy.MIDDLE)
        gcpolicy.busy(False)
        assert gc.get_threshold()[:2] == gcpolicy.INTERACTIVE  # the prompt's, after it
    finally:
        gcpolicy.interactive(False)
    assert gc.get_threshold()[:2] == (gcpolicy.YOUNG, gcpolicy.MIDDLE)
