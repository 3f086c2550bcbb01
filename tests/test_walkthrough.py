"""The study notes' walkthrough, typed as a student types it at the REPL, host by host:
init and join (tokens copied off the screen), the cluster, a service reachable from
every node, scaling, a global service, a worker failing and coming back (its tasks are
not moved back), a rolling update, the notes' mysql secret, promote/demote/leave/rm, and
quorum lost and regained. Each answer is checked as the student would read it."""

from __future__ import annotations

import re

import pytest
from terminal import Student

from miniswarm.lab import Lab


def after(screen: list[str], typed: str) -> list[str]:
    """The lines printed after the prompt line that ends with `typed` (the last one)."""
    at = max(k for k, line in enumerate(screen) if line.endswith(f"$ {typed}"))
    rest = screen[at + 1 :]
    end = next((k for k, line in enumerate(rest) if re.match(r"^\S+ \$( |$)", line)), len(rest))
    return rest[:end]


class Walkthrough:
    """One student session, checked one line at a time: each line is typed at the prompt
    and the REPL runs until it asks for the next."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.host = "manager1"

    def type(self, *lines: str, width: int = 200) -> list[str]:
        student = Student(self.lab, width=width)
        student.session.shells[-1].host = self.host  # where the last session left off
        student.session.shells[-1].vars["HOSTNAME"] = self.host
        for line in lines:
            student.line(line)
        student.run()
        screen = student.screen()
        self.screen = screen
        return after(screen, lines[-1])


@pytest.fixture
def walk(seed):
    return Walkthrough(Lab(seed=seed))


def test_the_notes_walkthrough_typed_host_by_host(walk):
    lab = walk.lab
    assert walk.type("docker info | grep Swarm") == [" Swarm: inactive"]
    out = walk.type("docker swarm init --advertise-addr 192.168.0.100")
    assert out[0].startswith("Swarm initialized: current node (") and out[0].endswith(
        ") is now a manager."
    )
    join_worker = next(line.strip() for line in out if "docker swarm join --token" in line)
    out = walk.type("docker swarm join-token manager")
    join_manager = next(line.strip() for line in out if "docker swarm join --token" in line)
    assert join_manager != join_worker
    for host, command in [
        ("manager2", join_manager),
        ("manager3", join_manager),
        ("worker1", join_worker),
        ("worker2", join_worker),
    ]:
        out = walk.type(f"ssh {host}", command, "exit")
        role = "manager" if "manager" in host else "worker"
        assert f"This node joined a swarm as a {role}." in walk.screen
    lab.sleep(5)
    nodes = walk.type("docker node ls")
    assert nodes[0].split() == [
        "ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER", "STATUS", "ENGINE", "VERSION",
    ]  # fmt: skip
    assert sorted(line.split()[1 if "*" not in line else 2] for line in nodes[1:]) == [
        "manager1", "manager2", "manager3", "worker1", "worker2",
    ]  # fmt: skip
    assert sum("Leader" in line for line in nodes) == 1
    assert sum("Reachable" in line for line in nodes) == 2

    # Rotating the worker token: the old one no longer lets anyone in.
    out = walk.type("docker swarm join-token --rotate worker")
    assert out[0] == "Successfully rotated worker join token."
    out = walk.type("ssh worker2", "docker swarm leave", join_worker, "exit")
    assert after(walk.screen, "docker swarm leave") == ["Node left the swarm."]
    assert after(walk.screen, join_worker)[0].startswith("Error response from daemon: rpc error")
    new_worker = next(
        line.strip()
        for line in walk.type("docker swarm join-token worker")
        if "docker swarm join" in line
    )
    walk.type("ssh worker2", new_worker, "exit")
    assert "This node joined a swarm as a worker." in walk.screen
    lab.sleep(20)
    # The old worker2 node is Down; the notes remove it by ID.
    nodes = walk.type("docker node ls")
    down = [line.split()[0] for line in nodes if " Down " in line]
    assert len(down) == 1, nodes
    assert walk.type(f"docker node rm {down[0]}") == [down[0]]

    # A service of two replicas, published on port 80 of every node.
    out = walk.type("docker service create --name myweb --replicas 2 -p 80:80 nginx")
    assert out[1:3] == ["overall progress: 2 out of 2 tasks", out[2]]
    assert out[-1].startswith("verify: Service ") and out[-1].endswith(" converged")
    ps = walk.type("docker service ps myweb")
    running_on = {line.split()[3] for line in ps[1:]}
    assert len(ps) == 3 and all(" Running " in line for line in ps[1:])
    idle = next(h for h in ("manager1", "manager2", "manager3", "worker1", "worker2")
                if h not in running_on)  # fmt: skip
    page = walk.type(f"curl -s {idle} | grep title")
    assert page == ["<title>Welcome to nginx!</title>"]  # from a node that runs no task

    out = walk.type("docker service scale myweb=4")
    assert out[0] == "myweb scaled to 4"
    assert "overall progress: 4 out of 4 tasks" in out
    ls = walk.type("docker service ls")
    assert re.search(r"myweb\s+replicated\s+4/4\s+nginx:latest\s+\*:80->80/tcp", ls[1])

    out = walk.type("docker service create --name gweb --mode global nginx")
    assert "overall progress: 5 out of 5 tasks" in out
    assert len(walk.type("docker service ps gweb")) == 6

    # worker1 fails: its task is replaced elsewhere and not moved back when it returns.
    walk.type("lab stop worker1; lab sleep 30")
    ps = walk.type("docker service ps myweb")
    running = [line for line in ps[1:] if " Running " in line and "\\_" not in line]
    assert len(running) == 4
    assert all(line.split()[3] != "worker1" for line in running)
    walk.type("lab start worker1; lab sleep 20")
    running_after = [
        line for line in walk.type("docker service ps myweb")[1:]
        if " Running " in line and "\\_" not in line
    ]  # fmt: skip
    assert [line.split()[3] for line in running_after] == [line.split()[3] for line in running]

    # A rolling update, then the service as docker inspect shows it.
    out = walk.type("docker service update --image nginx:1.25 myweb")
    assert out[0] == "myweb"
    assert out[-1] == "verify: Service myweb converged"
    image = walk.type("docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'"
                      " myweb")  # fmt: skip
    # pinned by the CLI to the digest the registry gave, as a real one does
    assert len(image) == 1 and re.fullmatch(r"nginx:1\.25@sha256:[0-9a-f]{64}", image[0])

    # The notes' mysql: the root password comes from a secret, never shown back.
    walk.type("printf 'S3cret!' | docker secret create mysql_root_password -")
    out = walk.type(
        "docker service create --name db --secret source=mysql_root_password,"
        "target=mysql_root_password -e MYSQL_ROOT_PASSWORD_FILE=/run/secrets/mysql_root_password"
        " mysql:5.7",
        width=200,
    )
    assert out[-1] == f"verify: Service {out[0]} converged"
    assert "S3cret!" not in "\n".join(walk.type("docker secret inspect mysql_root_password"))
    rm = walk.type("docker secret rm mysql_root_password")
    assert rm == [
        "Error response from daemon: rpc error: code = InvalidArgument desc = secret "
        "'mysql_root_password' is in use by the following service: db"
    ]
    lab.sleep(3)
    node = walk.type("docker service ps db --format '{{.Node}}'")[0]
    walk.type(
        f"ssh {node}",
        "docker exec -it $(docker ps -q -f name=db) mysql -uroot -p",
        "S3cret!",
        "select version();",
        "exit",
        "exit",
    )
    assert "mysql> select version();" in walk.screen
    assert "| 5.7.44    |" in walk.screen
    assert "S3cret!" not in "\n".join(walk.screen)

    # Promote and demote; a worker leaves and is removed once Down.
    assert walk.type("docker node promote worker1") == [
        "Node worker1 promoted to a manager in the swarm."
    ]
    lab.sleep(3)
    assert walk.type("docker node demote worker1") == ["Manager worker1 demoted in the swarm."]
    walk.type("ssh worker2", "docker swarm leave", "exit")
    lab.sleep(20)
    assert walk.type("docker node rm worker2") == ["worker2"]

    # Half of the managers gone: no leader, no answers; one back, and the swarm works.
    walk.type("lab stop manager2 manager3; lab sleep 45")
    out = walk.type("docker node ls")
    assert out[0].startswith("Error response from daemon: rpc error: code = ")
    walk.type("lab start manager3; lab sleep 30")
    assert len(walk.type("docker node ls")) >= 4
