"""`lab export FILE`: a session's commands as a shell script for real machines — each on
its host through ssh, the lab's addresses as variables, join tokens asked of a manager
when it runs and never written down. Played back in a fresh lab, it makes the same
cluster."""

from __future__ import annotations

from miniswarm.export import export_script
from miniswarm.lab import Lab
from miniswarm.repl import Session
from miniswarm.shell import Shell

SESSION = [
    "docker swarm init --advertise-addr 192.168.0.100",
    "docker swarm join-token worker",
    "ssh worker1",
    "docker swarm join --token {worker_token} 192.168.0.100:2377",
    "exit",
    "ssh manager2 docker swarm join --token $(docker swarm join-token -q manager) "
    "192.168.0.100:2377",
    "docker -H worker2 swarm join --token {worker_token} 192.168.0.100:2377",
    "MTOKEN=$(docker swarm join-token -q manager)",
    "ssh manager3 docker swarm join --token $MTOKEN 192.168.0.100:2377",
    "lab sleep 5",
    "docker service create -d --name web --replicas 3 -p 8080:80 nginx:1.24",
    "docker node update --availability drain worker2",
    "lab stop worker1",
    "lab start worker1",
    "lab sleep 20",
    "lesson",
]


def typed_session(tmp_path) -> tuple[Session, str]:
    s = Session(Lab(seed=11))
    quiet = lambda _: None  # noqa: E731
    token = ""
    for line in SESSION:
        if "{worker_token}" in line and not token:
            token = s.lab.kernel.call(
                "manager1", lambda d: d.manager.store.cluster["JoinTokens"]["Worker"]
            )
        s.run(line.format(worker_token=token), quiet, quiet)
    out: list[str] = []
    s.run(f"lab export {tmp_path}/lab.sh", out.append, out.append)
    return s, "".join(out)


def nodes(lab: Lab) -> list[str]:
    return sorted(
        Shell(lab, "manager1")
        .run("docker node ls --format '{{.Hostname}} {{.ManagerStatus}} {{.Availability}}'")
        .text.splitlines()
    )


def test_an_exported_session_played_back_in_a_fresh_lab_makes_the_same_cluster(tmp_path):
    s, said = typed_session(tmp_path)
    assert said.startswith(f"Wrote {tmp_path}/lab.sh: ")
    script = (tmp_path / "lab.sh").read_text()
    assert "SWMTKN" not in script  # tokens are asked for, never written down
    assert 'WORKER_TOKEN=$(ssh "$H_MANAGER1" docker swarm join-token -q worker)' in script
    assert 'MANAGER_TOKEN=$(ssh "$H_MANAGER1" docker swarm join-token -q manager)' in script
    assert "MTOKEN" not in script  # the lab's variable became the token asked for
    assert "MANAGER1=192.168.0.100" in script
    assert "# lab stop worker1: only the lab can do this; do it by hand here" in script
    assert "\nsleep 20\n" in script and "lesson" not in script.split("H_WORKER2=")[1]
    # played in a fresh lab, from a host of its own, it makes the same cluster
    fresh = Lab(seed=12)
    ran = Shell(fresh, "manager3").run(script)
    assert ran.status == 0, ran.text
    fresh.sleep(20)
    assert nodes(fresh) == nodes(s.lab)
    service = "docker service ls --format '{{.Name}} {{.Replicas}} {{.Ports}}'"
    assert Shell(fresh, "manager1").run(service).text == Shell(s.lab, "manager1").run(service).text
    s.lab.close()
    fresh.close()


def test_addresses_become_variables_and_quotes_survive():
    hosts = [("manager1", "192.168.0.100"), ("worker-a", "192.168.0.10")]
    script = export_script(
        hosts,
        [("manager1", "docker service create --name it -e 'GREETING=it''s' busybox echo hi"),
         ("manager1", "curl -s 192.168.0.10:8080 192.168.0.100:80")],
        {},
        seed=1,
    )  # fmt: skip
    assert "WORKER_A=192.168.0.10\n" in script and "H_WORKER_A=worker-a" in script
    assert script.rstrip().endswith(
        "ssh \"$H_MANAGER1\" 'curl -s '\"$WORKER_A\"':8080 '\"$MANAGER1\"':80'"
    )
    assert "'\\''" in script  # a single quote inside the command, escaped for sh
