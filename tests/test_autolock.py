"""Autolock: a restarted manager of a locked swarm cannot read its own state until it is
given the unlock key — because its data key is wrapped by that key and the key is on no
manager's disk — with docker's prompts, outputs and errors."""

from __future__ import annotations

import pytest
from labshell import HOSTS, ok, sh, swarm_lab

from miniswarm.lab import Lab

SEED = 3
LOCKED = (
    "Error response from daemon: Swarm is encrypted and needs to be unlocked before it can be "
    'used. Please use "docker swarm unlock" to unlock it.\n'
)


@pytest.fixture
def lab():
    yield from swarm_lab(SEED)


def restart(lab: Lab, host: str) -> None:
    lab.stop(host)
    lab.sleep(3)
    lab.start(host)
    lab.sleep(1)


def test_autolock_on_prints_the_key_and_a_restarted_manager_is_locked_until_unlocked(lab):
    assert sh(lab, "docker swarm unlock-key") == ("no unlock key is set\n", 1)
    out = ok(lab, "docker swarm update --autolock=true")
    key = ok(lab, "docker swarm unlock-key -q").strip()
    assert key.startswith("SWMKEY-1-") and len(key) == len("SWMKEY-1-") + 43
    assert out == (
        "Swarm updated.\n"
        "To unlock a swarm manager after it restarts, run the `docker swarm unlock`\n"
        "command and provide the following key:\n\n"
        f"    {key}\n\n"
        "Remember to store this key in a password manager, since without it you\n"
        "will not be able to restart the manager.\n"
    )
    lab.sleep(1)
    assert not any("swarm/raft-kek" in lab.kernel.host(h).disk for h in HOSTS[:3])
    restart(lab, "manager2")
    assert sh(lab, "docker node ls", "manager2") == (LOCKED, 1)
    assert ok(lab, "docker info --format {{.Swarm.LocalNodeState}}", "manager2") == "locked\n"
    assert sh(lab, "echo SWMKEY-1-wrongwrongwrong | docker swarm unlock", "manager2") == (
        "Error response from daemon: swarm could not be unlocked: invalid key provided\n",
        1,
    )
    assert sh(lab, "echo garbage | docker swarm unlock", "manager2") == (
        "Error response from daemon: invalid key string\n",
        1,
    )
    assert ok(lab, f"echo {key} | docker swarm unlock", "manager2") == ""
    assert ok(lab, "docker info --format {{.Swarm.LocalNodeState}}", "manager2") == "active\n"
    lab.sleep(5)
    assert "manager2" in ok(lab, "docker node ls", "manager2")
    assert sh(lab, f"echo {key} | docker swarm unlock", "manager2") == (
        "Error: swarm is not locked\n",
        1,
    )


def test_a_rotated_key_replaces_the_old_one_and_autolock_off_unlocks_for_good(lab):
    ok(lab, "docker swarm update --autolock=true")
    old = ok(lab, "docker swarm unlock-key -q").strip()
    out = ok(lab, "docker swarm unlock-key --rotate")
    new = ok(lab, "docker swarm unlock-key -q").strip()
    assert new != old and out.startswith("Successfully rotated manager unlock key.\n")
    lab.sleep(1)
    restart(lab, "manager3")
    assert sh(lab, f"echo {old} | docker swarm unlock", "manager3")[1] == 1
    assert ok(lab, f"echo {new} | docker swarm unlock", "manager3") == ""
    lab.sleep(5)
    ok(lab, "docker swarm update --autolock=false")
    assert sh(lab, "docker swarm unlock-key") == ("no unlock key is set\n", 1)
    lab.sleep(1)
    restart(lab, "manager3")
    lab.sleep(5)
    assert ok(lab, "docker info --format {{.Swarm.LocalNodeState}}", "manager3") == "active\n"
    assert sh(lab, "docker swarm unlock-key --rotate") == (
        "cannot rotate because autolock is not turned on\n",
        1,
    )


def test_init_with_autolock_and_workers_cannot_fetch_the_key():
    lab = Lab(seed=SEED)
    out = ok(lab, "docker swarm init --autolock --advertise-addr 192.168.0.104", "worker2")
    key = ok(lab, "docker swarm unlock-key -q", "worker2").strip()
    assert out.endswith(
        "follow the instructions.\n"
        "To unlock a swarm manager after it restarts, run the `docker swarm unlock`\n"
        f"command and provide the following key:\n\n    {key}\n\n"
        "Remember to store this key in a password manager, since without it you\n"
        "will not be able to restart the manager.\n"
    )
    assert sh(lab, "docker swarm leave", "worker2")[1] == 1
    restart(lab, "worker2")
    text, status = sh(lab, "docker swarm leave", "worker2")
    assert (text, status) == (
        "Error response from daemon: Swarm is encrypted and locked. Please unlock it first or "
        "use `--force` to ignore this message.\n",
        1,
    )
    assert ok(lab, "docker swarm leave --force", "worker2") == "Node left the swarm.\n"
    assert sh(lab, "echo x | docker swarm unlock", "worker2") == (
        "Error: This node is not part of a swarm\n",
        1,
    )
    ok(lab, "docker swarm init --advertise-addr 192.168.0.104", "worker2")  # a new swarm
    assert "worker2" in ok(lab, "docker node ls", "worker2")
    lab.close()


def test_at_the_repl_the_key_is_typed_at_dockers_prompt_without_echo(lab):
    from terminal import CTRL_C, Student

    ok(lab, "docker swarm update --autolock=true")
    key = ok(lab, "docker swarm unlock-key -q").strip()
    lab.sleep(1)
    restart(lab, "manager2")
    student = Student(lab)
    student.line("ssh manager2")
    student.line("docker swarm unlock")
    student.type(CTRL_C)  # gives up at the key prompt: the command stops
    student.line("echo $?")
    student.line("docker swarm unlock")
    student.line("not-the-key")
    student.line("docker swarm unlock")
    student.line(key)
    student.line("docker info --format '{{.Swarm.LocalNodeState}}'")
    student.run()
    assert student.screen()[1:-1] == [
        "manager1 $ ssh manager2",
        "manager2 $ docker swarm unlock",
        "Enter unlock key:",
        "manager2 $ echo $?",
        "130",
        "manager2 $ docker swarm unlock",
        "Enter unlock key:",
        "Error response from daemon: invalid key string",
        "manager2 $ docker swarm unlock",
        "Enter unlock key:",
        "manager2 $ docker info --format '{{.Swarm.LocalNodeState}}'",
        "active",
        "manager2 $",
        "logout",
        "Connection to manager2 closed.",
        "manager1 $",
        "This is the lab's first host: logging out ends miniswarm, and the lab with it. "
        "Leave? [y/N]",
    ]
    assert key not in student.output  # never echoed


def test_turning_autolock_on_rotates_each_managers_data_key(lab):
    before = {h: lab.kernel.host(h).disk.read("swarm/raft-dek") for h in HOSTS[:3]}
    kek = {h: lab.kernel.host(h).disk.read("swarm/raft-kek") for h in HOSTS[:3]}
    ok(lab, "docker swarm update --autolock=true")
    key = ok(lab, "docker swarm unlock-key -q").strip()
    lab.sleep(1)
    from miniswarm.encryption import parse_human_key, unwrap
    from miniswarm.raftnode import read_log

    for h in HOSTS[:3]:
        disk = lab.kernel.host(h).disk
        new_dek = unwrap(parse_human_key(key), disk.read("swarm/raft-dek"), None)
        old_dek = unwrap(kek[h], before[h], None)
        assert new_dek != old_dek  # what an old copy of the disk knew no longer opens it
        assert read_log(disk, "swarm/raft", parse_human_key(key)) is not None
