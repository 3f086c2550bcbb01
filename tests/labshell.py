"""What the lab-level tests share: the five-host swarm, and command lines typed at a host's
prompt (through the student's shell, so pipes and quoting work as in the REPL)."""

from __future__ import annotations

from collections.abc import Iterator

from miniswarm.lab import Lab
from miniswarm.shell import Shell

HOSTS = ["manager1", "manager2", "manager3", "worker1", "worker2"]


def swarm_lab(seed: int) -> Iterator[Lab]:
    """For a fixture: three managers and two workers in a swarm, closed afterwards."""
    lab = Lab(seed=seed)
    lab.form_swarm(HOSTS[:3], HOSTS[3:])
    yield lab
    lab.close()


def sh(lab: Lab, line: str, host: str = "manager1") -> tuple[str, int]:
    """(what it printed, its exit status)"""
    out = Shell(lab, host).run(line)
    return out.text, out.status


def ok(lab: Lab, line: str, host: str = "manager1") -> str:
    """What a command that must succeed printed; a failure names the lab's seed."""
    text, status = sh(lab, line, host)
    assert status == 0, f"seed {lab.kernel.seed}: {line}: {text}"
    return text
