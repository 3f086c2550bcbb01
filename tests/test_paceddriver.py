"""PacedDriver's pump between commands, on a fake wall clock (no test waits on a real
one): what falls due runs, and the collector's long pauses (sim/gcpolicy.py) wait until
no command has been typed for a while."""

from __future__ import annotations

from miniswarm.sim import gcpolicy
from miniswarm.sim.paceddriver import IDLE_FOR, PacedDriver


def pumped(monkeypatch, commands_at: list[float], until: float) -> list[float]:
    """Run the pump from wall time 100 to `until`, a command ending at each of
    `commands_at`: the wall times at which the pump offered the collector an idle moment."""
    now = [100.0]
    offered: list[float] = []
    monkeypatch.setattr(gcpolicy, "idle", lambda: offered.append(now[0]) or False)
    driver: PacedDriver

    def sleep(seconds: float) -> None:
        now[0] += seconds
        while commands_at and now[0] >= commands_at[0]:
            commands_at.pop(0)
            with driver.command():
                pass
        if now[0] >= until:
            driver._running = False

    driver = PacedDriver(seed=1, clock=lambda: now[0], sleep=sleep)
    with driver.command():  # the first command ends at 100
        pass
    driver._running = True
    driver._pump_loop()
    return offered


def test_the_collector_is_offered_no_idle_moment_right_after_a_command(monkeypatch):
    offered = pumped(monkeypatch, [], until=100 + IDLE_FOR + 0.5)
    assert offered
    assert min(offered) >= 100 + IDLE_FOR


def test_each_command_puts_the_idle_moment_off_again(monkeypatch):
    offered = pumped(monkeypatch, [100.5, 101.2, 101.9], until=101.9 + IDLE_FOR + 0.5)
    assert offered
    assert min(offered) >= 101.9 + IDLE_FOR


def test_a_due_review_runs_on_the_pump_once_it_is_idle(monkeypatch):
    ran: list[bool] = []
    monkeypatch.setattr(gcpolicy, "_review_due", True)

    def review() -> None:  # as the real one: nothing due after it
        ran.append(True)
        gcpolicy._review_due = False

    monkeypatch.setattr(gcpolicy, "review", review)
    now = [100.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] >= 100 + IDLE_FOR + 0.1:
            driver._running = False

    driver = PacedDriver(seed=1, clock=lambda: now[0], sleep=sleep)
    with driver.command():
        pass
    driver._running = True
    driver._pump_loop()
    assert ran == [True]
