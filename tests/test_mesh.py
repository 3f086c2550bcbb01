"""The routing mesh, seen with curl from the lab's hosts: a port published in ingress mode
answers on every node and takes turns over the running tasks; host mode answers only
where a task runs; and curl fails as curl fails when nothing answers."""

from __future__ import annotations

import pytest
from labshell import HOSTS, ok, sh, swarm_lab

from miniswarm.lab import Lab

SEED = 11
SERVE_HOSTNAME = "sh -c 'hostname > /www/index.html; exec httpd -f -p 80 -h /www'"


@pytest.fixture
def lab():
    yield from swarm_lab(SEED)


def running_containers(lab: Lab, service: str) -> dict[str, str]:
    """container hostname (its short ID) -> the host that runs it"""
    out = {}
    for host in HOSTS:
        for line in ok(lab, "docker ps --format '{{.ID}} {{.Names}}'", host).splitlines():
            cid, name = line.split()
            if name.startswith(service + "."):
                out[cid] = host
    return out


def test_an_ingress_port_answers_on_every_node_even_without_a_task(lab):
    ok(
        lab,
        f"docker service create -d --name mesh --replicas 2 -p 8080:80 busybox {SERVE_HOSTNAME}",
    )
    lab.sleep(3)
    tasks = running_containers(lab, "mesh")
    assert len(tasks) == 2
    idle = [h for h in HOSTS if h not in tasks.values()]
    assert len(idle) == 3
    for host in HOSTS:
        answer = ok(lab, f"curl -s http://{lab.address(host)}:8080/").strip()
        assert answer in tasks


def test_requests_to_one_node_take_turns_over_the_running_tasks(lab):
    ok(
        lab,
        f"docker service create -d --name mesh --replicas 3 -p 8080:80 busybox {SERVE_HOSTNAME}",
    )
    lab.sleep(3)
    answers = [ok(lab, "curl -s worker1:8080").strip() for _ in range(6)]
    assert set(answers) == set(running_containers(lab, "mesh"))
    assert answers[:3] == answers[3:]  # round-robin: the same turn again


def test_the_mesh_stops_sending_to_a_task_that_died_and_uses_its_replacement(lab):
    ok(
        lab,
        f"docker service create -d --name mesh --replicas 2 -p 8080:80 busybox {SERVE_HOSTNAME}",
    )
    lab.sleep(3)
    before = running_containers(lab, "mesh")
    victim, host = sorted(before.items())[0]
    ok(lab, f"docker rm -f {victim}", host)
    lab.sleep(10)
    after = running_containers(lab, "mesh")
    assert victim not in after and len(after) == 2
    answers = {ok(lab, "curl -s -m 2 manager1:8080").strip() for _ in range(4)}
    assert answers == set(after)


def test_nginx_answers_with_its_welcome_page_and_logs_the_request(lab):
    ok(lab, "docker service create -d --name web -p 80:80 nginx")
    lab.sleep(3)
    page = ok(lab, "curl -s worker2")
    assert "<title>Welcome to nginx!</title>" in page and len(page) == 615
    assert "404 Not Found" in ok(lab, "curl -s worker2/missing")
    text, status = sh(lab, "curl -f worker2/missing")
    assert (text, status) == ("curl: (22) The requested URL returned error: 404\n", 22)
    logs = ok(lab, "docker service logs web")
    assert '"GET / HTTP/1.1" 200 615 "-" "curl/8.5.0" "-"' in logs
    assert '"GET /missing HTTP/1.1" 404' in logs


def test_host_mode_answers_only_where_a_task_runs(lab):
    ok(lab, "docker node update --availability drain worker2")
    port = "-p mode=host,target=80,published=8081"
    ok(lab, f"docker service create -d --name hm --mode global {port} busybox {SERVE_HOSTNAME}")
    lab.sleep(4)
    tasks = running_containers(lab, "hm")
    assert sorted(tasks.values()) == sorted(HOSTS[:4])
    for host in HOSTS[:4]:
        answer = ok(lab, f"curl -s {host}:8081").strip()
        assert tasks[answer] == host  # its own task, not another node's
    text, status = sh(lab, "curl worker2:8081")
    assert status == 7
    assert text.startswith("curl: (7) Failed to connect to worker2 port 8081 after ")


def test_a_second_host_mode_service_on_the_same_port_stays_pending(lab):
    port = "-p mode=host,target=80,published=8081"
    ok(lab, f"docker service create -d --name hostmode --mode global {port} nginx")
    lab.sleep(4)
    ok(lab, f"docker service create -d --name clash --mode global {port} nginx")
    lab.sleep(6)
    out = ok(lab, "docker service ps --no-trunc --format '{{.CurrentState}}|{{.Error}}' clash")
    for line in out.splitlines():
        state, error = line.split("|")
        assert state.startswith("Pending")
        # a preassigned (global) task's error is the explanation alone, as swarm sets it
        assert error == '"host-mode port already in use on 1 node"'
    for line in ok(lab, "docker service ps --format '{{.Ports}}' hostmode").splitlines():
        assert line == "*:8081->80/tcp,*:8081->80/tcp"  # bound on IPv4 and on IPv6


def test_curl_fails_as_curl_does(lab):
    assert sh(lab, "curl nosuchhost") == ("curl: (6) Could not resolve host: nosuchhost\n", 6)
    assert sh(lab, "curl -s worker1:9999") == ("", 7)
    assert sh(lab, "curl -x")[1] == 2
    ok(lab, "docker service create -d --name web -p 80:80 nginx")
    lab.sleep(3)
    lab.stop("worker1")
    start = lab.now()
    text, status = sh(lab, "curl -m 2 worker1")
    assert (text, status) == ("curl: (28) Connection timed out after 2000 milliseconds\n", 28)
    assert lab.now() - start == pytest.approx(2.0, abs=0.05)
    text, status = sh(lab, "curl worker1")
    assert status == 7 and "after 3000 ms: Couldn't connect to server" in text


def test_a_host_mode_port_answers_from_the_replacement_after_its_task_died(lab):
    port = "-p mode=host,target=80,published=8081"
    ok(lab, f"docker service create -d --name hm --mode global {port} busybox {SERVE_HOSTNAME}")
    lab.sleep(4)
    (first,) = [c for c, h in running_containers(lab, "hm").items() if h == "worker1"]
    ok(lab, f"docker rm -f {first}", "worker1")
    lab.sleep(10)  # the restart delay, then the replacement runs where the old one did
    (second,) = [c for c, h in running_containers(lab, "hm").items() if h == "worker1"]
    assert second != first
    assert ok(lab, "curl -s worker1:8081").strip() == second
