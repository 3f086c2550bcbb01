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
    monkeypatch.setattr(gcpolicy, "_FIRST_REVIEW", 10**12)  # no review unless asked
    monkeypatch.setattr(gcpolicy, "_reviewed", 10**12)
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


def test_once_the_frozen_objects_have_grown_enough_the_next_full_collection_reviews(
    policy, monkeypatch
):
    monkeypatch.setattr(gcpolicy, "_FIRST_REVIEW", 1)
    monkeypatch.setattr(gcpolicy, "_reviewed", 1)
    kept = Cycle()
    gc.collect()  # frozen objects now far more than REVIEW_GROWTH x 1: thawed
    gone = weakref.ref(kept)
    del kept
    gc.collect()  # ... and this one looks at everything
    assert gone() is None


def test_reference_counting_still_frees_what_is_frozen(policy):
    class Plain:
        pass

    kept = Plain()
    gc.collect()
    gone = weakref.ref(kept)
    del kept
    assert gone() is None
