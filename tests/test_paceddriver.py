"""PacedDriver's pump between commands, on a fake wall clock (no test waits on a real
one): what falls due runs, and the collector's long pauses (sim/gcpolicy.py) wait until
no command has been typed for a while."""

from __future__ import annotations

import pytest

from miniswarm.sim import gcpolicy
from miniswarm.sim.kernel import Process
from miniswarm.sim.paceddriver import IDLE_FOR, LOOKAHEAD, PacedDriver


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


class _Ticker(Process):
    """Something the lab does every 10 ms: each tick keeps how far ahead of the wall
    clock the lab was when it ran."""

    ahead: list[float] = []

    def start(self) -> None:
        self.ctx.every(0.01, self.tick)

    def tick(self) -> None:
        driver = self.ctx._kernel
        _Ticker.ahead.append(driver.now() - driver._by_the_wall())


def live(seed: int = 1) -> tuple[PacedDriver, list[float]]:
    """A paced lab on a fake wall clock (starting at 100) that a sleep moves on."""
    now = [100.0]

    def sleep(seconds: float) -> None:
        now[0] += max(seconds, 1e-6)  # (a real sleep always lets some time go by)

    driver = PacedDriver(seed=seed, clock=lambda: now[0], sleep=sleep)
    driver.go_live()
    return driver, now


def test_a_commands_work_overlaps_its_time_in_the_lab():
    # The CLI's 30 ms start-up in the lab, then 20 ms of Python laying out a table: the
    # command ends at the wall's 30 ms, not 50 (a real CLI starting while a real daemon
    # works); with 40 ms of work, at 40.
    for work, ends in ((0.02, 0.03), (0.04, 0.04)):
        driver, now = live()
        with driver.command():
            driver.run_until(driver.now() + 0.03)
            now[0] += work
        assert now[0] - 100 == pytest.approx(ends)
        assert driver.now() == pytest.approx(0.03)


def test_the_lab_runs_ahead_of_the_wall_only_in_a_command_and_never_far():
    driver, now = live()
    driver.add_host("a", "10.0.0.1", _Ticker)
    _Ticker.ahead = []
    driver.run_until(0.2)  # the pump's way: each tick when the wall reaches it
    assert max(_Ticker.ahead) <= 1e-9
    with driver.command():
        driver.run_until(driver.now() + 0.3)
    ahead = _Ticker.ahead[20:]
    assert max(ahead) > 0.04  # it ran ahead...
    assert max(ahead) <= LOOKAHEAD + 1e-9  # ...but never by more than LOOKAHEAD
    assert now[0] - 100 >= driver.now() - 1e-9  # and ended once the wall had caught up


def test_a_typed_command_collects_for_throughput_and_the_prompt_for_short_pauses(monkeypatch):
    import gc

    driver, _ = live()
    monkeypatch.setattr(driver, "_pump_loop", lambda: None)  # (the test turns the lab)
    driver.start()
    try:
        assert gc.get_threshold()[:2] == gcpolicy.INTERACTIVE
        with driver.command():
            assert gc.get_threshold()[:2] == (gcpolicy.YOUNG, gcpolicy.MIDDLE)
        assert gc.get_threshold()[:2] == gcpolicy.INTERACTIVE
    finally:
        driver.stop()
