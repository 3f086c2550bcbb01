"""Task states: swarmkit's TaskState order, and what each question of it answers."""

from __future__ import annotations

from miniswarm import taskstate


def test_states_are_in_swarmkits_order() -> None:
    # api/types.proto: NEW=0 PENDING=64 ASSIGNED=192 ACCEPTED=256 PREPARING=320 READY=384
    # STARTING=448 RUNNING=512 COMPLETE=576 SHUTDOWN=640 FAILED=704 REJECTED=768
    # REMOVE=800 ORPHANED=832
    assert taskstate.ORDER[:8] == (
        "new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running",
    )  # fmt: skip
    assert taskstate.ORDER[8:] == (
        "complete", "shutdown", "failed", "rejected", "remove", "orphaned",
    )  # fmt: skip


def test_the_named_ranks_are_those_states_ranks() -> None:
    assert taskstate.ASSIGNED == taskstate.rank("assigned")
    assert taskstate.RUNNING == taskstate.rank("running")
    assert taskstate.COMPLETE == taskstate.rank("complete")


def test_a_task_past_running_has_ended() -> None:
    ended = [s for s in taskstate.ORDER if taskstate.terminal(s)]
    assert ended == ["complete", "shutdown", "failed", "rejected", "remove", "orphaned"]


def test_active_and_runnable_read_the_desired_state() -> None:
    def task(desired: str) -> dict:
        return {"DesiredState": desired, "Status": {"State": "failed"}}

    assert [s for s in taskstate.ORDER if taskstate.active(task(s))] == list(
        taskstate.ORDER[: taskstate.ORDER.index("complete") + 1]
    )
    assert [s for s in taskstate.ORDER if taskstate.runnable(task(s))] == list(
        taskstate.ORDER[: taskstate.ORDER.index("running") + 1]
    )
