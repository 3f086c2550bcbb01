"""The images run as they would: each image's own server, started as the image starts
it, at the version its tag names."""

from __future__ import annotations

import pytest
from labshell import ok, sh, swarm_lab


@pytest.fixture(scope="module")
def lab():
    yield from swarm_lab(77)


def logs(lab, service: str) -> str:
    return ok(lab, f"docker service logs --raw {service} 2>&1")


def test_postgres_wants_a_password_and_takes_it_from_a_secret(lab):
    ok(lab, "docker service create -d --name nopw --restart-condition none postgres:16")
    ok(lab, "printf s3cret | docker secret create pgpw -")
    ok(
        lab,
        "docker service create -d --name pg --secret pgpw "
        "-e POSTGRES_PASSWORD_FILE=/run/secrets/pgpw postgres:16",
    )
    lab.sleep(8)
    assert "superuser password is not specified" in logs(lab, "nopw")
    assert ok(lab, "docker service ps --format '{{.CurrentState}}' nopw").startswith("Failed")
    assert "LOG:  starting PostgreSQL 16.10" in logs(lab, "pg")
    assert ok(lab, "docker service ps --format '{{.CurrentState}}' pg").startswith("Running")


def test_mariadb_names_its_own_variables(lab):
    ok(lab, "docker service create -d --name maria --restart-condition none mariadb:11")
    lab.sleep(5)
    assert "You need to specify one of MARIADB_ROOT_PASSWORD" in logs(lab, "maria")


def test_redis_logs_as_its_version_does(lab):
    ok(lab, "docker service create -d --name old redis:3.0.6")
    ok(lab, "docker service create -d --name new redis:7.2")
    lab.sleep(5)
    assert "# Server started, Redis version 3.0.6" in logs(lab, "old")
    assert "Redis version=7.2.11, bits=64" in logs(lab, "new")


def test_servers_answer_on_their_ports(lab):
    ok(lab, "docker service create -d --name reg -p 5000:5000 registry:2")
    ok(lab, "docker service create -d --name proxy -p 8000:80 traefik:v2.10")
    ok(lab, "docker service create -d --name site -p 8001:80 -e AUTHOR=Mina "
            "dockersamples/static-site")  # fmt: skip
    lab.sleep(5)
    assert ok(lab, "curl -s localhost:5000/v2/") == "{}"
    assert ok(lab, "curl -s localhost:8000/") == "404 page not found\n"
    assert "<h1>Hello Mina!</h1>" in ok(lab, "curl -s localhost:8001/")


def test_a_prompt_without_a_terminal_ends_at_once(lab):
    ok(lab, "docker service create -d --name py --restart-condition none python:3.12")
    lab.sleep(5)
    assert sh(lab, "docker service ps --format '{{.CurrentState}}' py")[0].startswith("Complete")
