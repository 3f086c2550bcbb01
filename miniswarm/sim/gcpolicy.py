"""How the process's cyclic garbage collector treats a lab.

CPython's collector looks at every object it tracks each time the heap has grown by a
quarter since its last full collection. A big lab holds millions of objects that live as
long as it does (the stores, the logs, the containers), so those full collections came
to nearly half of a large run's time (30,000 tasks on 1,000 hosts: 25 full collections,
10 of 23 seconds), finding almost nothing.

So what survives a full collection is frozen (`gc.freeze`: moved out of the collector's
sight; reference counting still frees it), and only what is newer is looked at again.
Cyclic garbage among frozen objects (a lab thrown away by `lab rewind`, say) is not lost
for good: after a number of freezes that grows fourfold from one review to the next,
everything is thawed and the next full collection looks at all of it once more — a scan
of everything, but the growth keeps the scans' total within 4/3 of the heap's size.
The youngest objects are collected every 10,000 allocations rather than 700. Together:
30,000 tasks on 1,000 hosts, 23 s -> 14.5 s (with no collector at all: 13 s). The middle
generation is collected after 200 young collections rather than 10: in a swarm growing by
95,000 tasks most of what survives a young collection lives on, and is looked at once
less, and a task's older versions (replaced within a simulated second) are mostly gone
before it is looked at. swarm2k's collections, timed: 4.6 s with 50, 3.5 s with 200
(2.8 s with 400; the cyclic garbage the middle collections find, ~13,000 objects each at
50, waits longer: the peak was the same, 787-790 MB).

A lab on the wall clock (the REPL's, once live) wants short pauses more than throughput:
a review there is a pause of a third of a second at 30,000 tasks, felt as a stuck key or
a slow command. So `interactive(True)` reviews once as the lab goes live, puts the youngest
objects' threshold back to CPython's, and from then on a review that falls due waits for
an idle moment (`idle()`, which the pump calls when nobody has typed a command lately).
While a typed command runs (`busy`), young collections are the unpaced lab's again: the
student waits for the command's whole output, so its total is what they feel — a
`service ps` of 2,000 tasks spent 13 of its 44 ms in 150 short collections (quiet
1,000-host lab, min of 20: 44 -> 31 ms).

Collections happen at the same allocation counts in every run of a seed, so this
changes no simulated outcome.
"""

from __future__ import annotations

import gc
from typing import Any

REVIEW_GROWTH = 4  # the freezes before a review grow this many times after each review
_FIRST_REVIEW = 4  # freezes before the first review
YOUNG = 10_000  # allocations between collections of the youngest objects (CPython: 700)
MIDDLE = 200  # young collections between collections of the middle generation (CPython: 10)
# On the wall clock between commands, CPython's own: a young collection of 10,000 took
# 15-40 ms, a middle one after 50 of them ~120 ms, when this was chosen (inside a typed
# command at 1,000 hosts now, a young one of 10,000: 2-3 ms).
INTERACTIVE = (700, 10)

# Freezes are counted, not frozen objects (gc.get_freeze_count walks them all): each full
# collection comes after a like amount of allocation, so the frozen objects grow with them.
_freezes = 0
_next_review = _FIRST_REVIEW
_installed = False
_interactive = False
_live = 0  # labs live on the wall clock now
_busy = 0  # typed commands running now
_review_due = False  # interactive: a review fell due, for the next idle moment


def _after_collection(phase: str, info: dict[str, Any]) -> None:
    global _freezes, _next_review, _review_due
    if phase != "stop" or info["generation"] != 2:  # only after a full collection
        return
    if _freezes >= _next_review and _interactive:
        _review_due = True
        gc.freeze()
    elif _freezes >= _next_review:
        gc.unfreeze()  # the next full collection reviews everything
        _freezes = 0
        _next_review *= REVIEW_GROWTH
    else:
        gc.freeze()
        _freezes += 1


def install() -> None:
    """Once per process (a Kernel calls it): later calls change nothing."""
    global _installed
    if not _installed:
        gc.set_threshold(YOUNG, MIDDLE, gc.get_threshold()[2])
        gc.callbacks.append(_after_collection)
        _installed = True


def review() -> None:
    """Thaw everything and collect it now (after a lab is thrown away, say)."""
    global _freezes, _review_due, _next_review
    if _review_due:
        _next_review *= REVIEW_GROWTH
    _review_due = False
    gc.unfreeze()
    _freezes = 0
    gc.collect()  # what survives is frozen again, when installed


def interactive(on: bool) -> None:
    """A lab goes live on the wall clock (on) or stops (off; they nest). Going live,
    review now, before anyone types; while any lab is live, short young collections, and
    reviews only at idle moments."""
    global _interactive, _live
    install()
    _live += 1 if on else -1
    _interactive = _live > 0
    _thresholds()
    if on or _review_due:
        review()


def busy(on: bool) -> None:
    """A typed command starts (on) or ends (off; they nest): while one runs, the young
    collections of throughput, not of short pauses."""
    global _busy
    _busy += 1 if on else -1
    _thresholds()


def _thresholds() -> None:
    short = _interactive and not _busy
    gc.set_threshold(*(INTERACTIVE if short else (YOUNG, MIDDLE)), gc.get_threshold()[2])


def idle() -> bool:
    """Nobody is typing: the review that fell due, if one did, runs now."""
    if not _review_due:
        return False
    review()
    return True
