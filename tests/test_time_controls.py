"""Lab time as the student controls it: `lab speed`, `lab pause`, `lab resume`, `lab step`.
Paused, the clock stands still and only what is due now runs; a command that needs time
to pass says so instead of hanging. On SimDriver through the shell, and on ThreadDriver
with a clock of the test's own (no test waits on the wall clock)."""

from __future__ import annotations

import pytest
from labshell import ok, sh, swarm_lab
from pytest import approx

from miniswarm.lab import Lab
from miniswarm.shell import Shell
from miniswarm.sim import ThreadDriver

PAUSED = (
    "miniswarm: lab time is paused, and this needs time to pass: "
    "lab resume (or lab step) lets it run\n"
)


@pytest.fixture
def lab(seed):
    yield from swarm_lab(seed)


def test_paused_the_clock_stands_still_and_commands_that_need_time_say_so(lab):
    start = lab.now()
    assert ok(lab, "lab pause").startswith("Lab time is paused at ")
    assert sh(lab, "lab sleep 5") == (PAUSED, 1)
    out, status = sh(lab, "docker service create -d --name web nginx")
    assert (out, status) == (PAUSED, 1)  # the change needs the managers to agree: time
    assert lab.now() == start
    # what a manager answers from what it holds needs no time
    assert "manager1" in ok(lab, "docker node ls")
    assert ok(lab, "lab pause") == f"Lab time is already paused at {clock(start)}.\n"
    assert ok(lab, "lab resume").startswith("Lab time runs again from ")
    assert ok(lab, "lab resume") == "Lab time is not paused.\n"
    ok(lab, "docker service create -d --name web nginx; lab sleep 5")
    assert lab.now() > start


def test_step_moves_one_raft_tick_or_the_seconds_given_and_only_while_paused(lab):
    assert sh(lab, "lab step") == ("lab step: lab time is running; lab pause first\n", 1)
    ok(lab, "lab pause")
    start = lab.now()
    assert ok(lab, "lab step") == f"Lab time is {clock(start + 1)}, paused.\n"
    assert lab.now() == start + 1
    ok(lab, "lab step 30")
    assert lab.now() == start + 31
    out, status = sh(lab, "lab step soon")
    assert status == 2
    assert out.startswith("lab step: invalid time interval 'soon'\nusage: lab step [SECONDS|msg]")


def test_speed_is_told_and_checked(lab):
    assert ok(lab, "lab speed") == "Lab time runs at 1× real time.\n"
    assert ok(lab, "lab speed 10") == "Lab time now runs at 10× real time.\n"
    assert lab.kernel.speed == 10
    out, status = sh(lab, "lab speed 1000")
    assert status == 2
    assert out.startswith("lab speed: invalid speed '1000': from 0.1 to 100\nusage: lab speed")
    assert lab.kernel.speed == 10


def clock(seconds: float) -> str:
    from miniswarm.labcmd import clock as shown

    return shown(seconds)


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_thread_driver_speed_pause_and_advance_on_a_clock_of_its_own():
    real = FakeClock()
    k = ThreadDriver(seed=1, speed=2.0, clock=real)
    k.start()
    try:
        real.t += 5
        assert k.now() == approx(10.0)  # twice as fast
        k.set_speed(10.0)
        assert k.now() == approx(10.0)  # a new speed does not jump the clock
        real.t += 1
        assert k.now() == approx(20.0)
        k.pause()
        real.t += 50
        assert k.now() == approx(20.0) and k.paused
        k.advance(1.0)
        assert k.now() == approx(21.0)
        k.resume()
        assert k.now() == approx(21.0) and not k.paused
        real.t += 0.5
        assert k.now() == approx(26.0)
        with pytest.raises(RuntimeError):
            k.advance(1.0)  # only while paused
    finally:
        k.stop()


def test_step_msg_lets_time_run_until_the_next_raft_message_lands(lab):
    ok(lab, "lab pause")
    for _ in range(4):
        start = lab.now()
        landed, stepped = ok(lab, "lab step msg").splitlines()
        assert landed.startswith("Landed: manager") and "(term " in landed
        assert stepped.startswith("Lab time is ") and stepped.endswith(", paused.")
        assert start <= lab.now() <= start + 1  # the leader speaks every tick at least
    fresh = Lab(seed=1)
    assert Shell(fresh, "manager1").run("lab pause; lab step msg").text.splitlines()[-1] == (
        "No Raft message came by 00:00: is there a swarm with managers?"
    )
