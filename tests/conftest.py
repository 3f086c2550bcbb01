"""Every test that runs the cluster takes its seed from the `seed` fixture: a failure
prints the seed, and MINISWARM_SEED=N replays that exact run."""

from __future__ import annotations

import os
import zlib

import pytest


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    env = os.environ.get("MINISWARM_SEED")
    value = int(env) if env else zlib.crc32(request.node.nodeid.encode()) % 100_000
    request.node.user_properties.append(("seed", value))
    return value


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for key, value in item.user_properties:
            if key == "seed":
                report.sections.append(
                    (
                        "seed",
                        f"seed {value}: replay with MINISWARM_SEED={value} "
                        f"python -m pytest '{item.nodeid}'",
                    )
                )


@pytest.fixture(autouse=True)
def _shared_empties_stay_empty():
    """The empty maps that tasks and containers share (they are never changed in place):
    a test that filled one has found code that changes a shared object."""
    from miniswarm import taskstate
    from miniswarm.runtime import container

    yield
    assert taskstate.EMPTY == {}, "a task's shared empty map was changed in place"
    assert container._NONE == {}, "a container's shared empty map was changed in place"
