"""Docker's own swarm-mode tutorial (docs.docker.com/engine/swarm/swarm-tutorial/), typed
as written on the lab: deploy, inspect, scale and delete a service, the rolling update
of redis 3.0.6 to 3.0.7, draining a node, and the routing mesh."""

from __future__ import annotations

import pytest
from labshell import ok, sh, swarm_lab


@pytest.fixture(scope="module")
def lab():
    yield from swarm_lab(2024)


def rows(lab, service: str, fmt: str = "{{.Image}} {{.DesiredState}} {{.Node}}") -> list[str]:
    return ok(lab, f"docker service ps --format '{fmt}' {service}").splitlines()


def test_deploy_inspect_scale_and_delete_helloworld(lab):
    out = ok(lab, "docker service create --replicas 1 --name helloworld alpine ping docker.com")
    assert out.splitlines()[-1].startswith("verify: Service ") and "converged" in out
    assert "helloworld   replicated   1/1        alpine:latest" in ok(lab, "docker service ls")
    pretty = ok(lab, "docker service inspect --pretty helloworld")
    assert "Name:\t\thelloworld" in pretty and " Args:\t\tping docker.com " in pretty
    lab.sleep(3)
    logs = ok(lab, "docker service logs helloworld")
    assert "| PING docker.com (" in logs and ": seq=0 ttl=" in logs
    ok(lab, "docker service scale helloworld=5")
    assert [r.split()[:2] for r in rows(lab, "helloworld")] == [["alpine:latest", "Running"]] * 5
    assert ok(lab, "docker service rm helloworld") == "helloworld\n"


def test_the_rolling_update_of_redis_from_3_0_6_to_3_0_7(lab):
    create = "docker service create --replicas 3 --name redis --update-delay 10s redis:3.0.6"
    out, status = sh(lab, create)
    assert status == 0 and "converged" in out  # the image exists: it converges
    pretty = ok(lab, "docker service inspect --pretty redis")
    assert " Delay:\t\t10s" in pretty and " Image:\t\tredis:3.0.6" in pretty
    start = lab.now()
    out, status = sh(lab, "docker service update --image redis:3.0.7 redis")
    assert status == 0 and out.startswith("redis\n") and "converged" in out
    assert lab.now() - start >= 20  # one task at a time, 10 s apart
    assert "Image:\t\tredis:3.0.7" in ok(lab, "docker service inspect --pretty redis")
    images = sorted(r.split()[0] + " " + r.split()[1] for r in rows(lab, "redis"))
    assert images == ["redis:3.0.6 Shutdown"] * 3 + ["redis:3.0.7 Running"] * 3
    # And it is 3.0.7 that runs.
    host = rows(lab, "redis")[0].split()[2]
    cid = ok(lab, "docker ps -q -f name=redis", host).split()[0]
    assert "redis_version:3.0.7" in ok(lab, f"docker exec {cid} redis-cli INFO", host)


def test_draining_a_node_moves_its_tasks_and_active_does_not_bring_them_back(lab):
    ok(lab, "docker node update --availability drain worker1")
    assert "Availability:         \tDrain" in ok(lab, "docker node inspect --pretty worker1")
    lab.sleep(10)
    running = [r.split() for r in rows(lab, "redis") if r.split()[1] == "Running"]
    assert len(running) == 3 and all(node != "worker1" for _, _, node in running)
    ok(lab, "docker node update --availability active worker1")
    lab.sleep(10)
    running = [r.split() for r in rows(lab, "redis") if r.split()[1] == "Running"]
    assert all(node != "worker1" for _, _, node in running)
    ok(lab, "docker service rm redis")


def test_the_routing_mesh_publishes_on_every_node(lab):
    ok(lab, "docker service create --name my-web --publish published=8080,target=80 "
            "--replicas 2 nginx")  # fmt: skip
    ports = ok(lab, "docker service inspect --format='{{json .Endpoint.Spec.Ports}}' my-web")
    assert ports == (
        '[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"}]\n'
    )
    for host in ("manager1", "worker1", "worker2"):
        assert "<title>Welcome to nginx!</title>" in ok(lab, "curl -s localhost:8080", host)


def test_a_tag_the_hub_has_not_got_is_warned_about_and_rejected(lab):
    out, status = sh(lab, "docker service create -d --name nope redis:3.0.99")
    assert status == 0
    assert out.split("\n", 1)[1] == (
        "image redis:3.0.99 could not be accessed on a registry to record\n"
        "its digest. Each node will access redis:3.0.99 independently,\n"
        "possibly leading to different nodes running different\n"
        "versions of the image.\n\n"
    )
    lab.sleep(3)
    err = ok(lab, "docker service ps --no-trunc --format '{{.CurrentState}} {{.Error}}' nope")
    assert err.startswith("Rejected") and '"No such image: redis:3.0.99"' in err
