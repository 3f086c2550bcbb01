"""A seed replays the same run, whatever the process's hash seed: nothing in the swarm
may depend on the order of a set or a dict that Python randomises per process. Whole lab
transcripts are played in fresh interpreters under three hash seeds and compared byte
for byte (the failure scenarios and the logs, whose restart order, task IDs, placement
and log interleaving once leaked it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = Path(__file__).parent / "fixtures" / "reference"


def played(transcript: Path, hash_seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    done = subprocess.run(
        [sys.executable, "-m", "miniswarm", "run", "--seed", "5", str(transcript)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", ["04-failures.txt", "08-logs-restart.txt"])
def test_a_seed_plays_the_same_whatever_the_hash_seed(name):
    runs = [played(REFERENCE / name, h) for h in ("1", "2", "3")]
    assert len(runs[0]) > 1000
    assert runs[0] == runs[1] == runs[2]
