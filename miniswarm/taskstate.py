"""Task states (swarmkit's TaskState): one order, shared by managers and agents.

A task's observed state only ever moves forward. `DesiredState` is the manager's wish,
`Status.State` the agent's report; both use these names, in this order.
"""

from __future__ import annotations

from typing import Any

ORDER = (
    "new",
    "pending",
    "assigned",
    "accepted",
    "preparing",
    "ready",
    "starting",
    "running",
    "complete",
    "shutdown",
    "failed",
    "rejected",
    "remove",
    "orphaned",
)
RANK = {s: i for i, s in enumerate(ORDER)}
# The ranks the hot paths compare with (each status report of a big swarm passes them).
ASSIGNED, RUNNING, COMPLETE = RANK["assigned"], RANK["running"], RANK["complete"]
# A task's map that holds nothing (its Labels, its PortStatus without ports): one that all
# tasks share, as they share their Spec — stored objects are never changed in place.
EMPTY: dict[str, Any] = {}


def rank(state: str) -> int:
    return RANK[state]


def before(a: str, b: str) -> bool:
    return RANK[a] < RANK[b]


def terminal(state: str) -> bool:
    """The task will never run again (observed state past RUNNING)."""
    return RANK[state] > RUNNING


def active(task: dict) -> bool:
    """Counted by the scheduler on its node: desired to run or complete."""
    return RANK[task["DesiredState"]] <= COMPLETE


def runnable(task: dict) -> bool:
    """Still meant to run: desired state at most RUNNING."""
    return RANK[task["DesiredState"]] <= RUNNING
