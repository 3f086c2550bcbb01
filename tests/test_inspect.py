"""`docker inspect` finds any of the lab's objects by name or ID, as the notes use it
(`docker inspect --type service myweb`), and prints as every inspect does."""

from __future__ import annotations

import json
import re

import pytest
from labshell import HOSTS, ok, sh, swarm_lab


@pytest.fixture(scope="module")
def lab():
    lab = next(swarm_lab(41))
    ok(lab, "docker service create -d --name myweb --replicas 2 -p 8080:80 nginx")
    ok(lab, "printf x | docker secret create pw -")
    lab.sleep(3)
    return lab


def test_inspect_type_service_is_the_services_json(lab):
    out = json.loads(ok(lab, "docker inspect --type service myweb"))
    assert out == json.loads(ok(lab, "docker service inspect myweb"))
    assert ok(
        lab, "docker inspect -f '{{.Spec.Name}}={{.Spec.Mode.Replicated.Replicas}}' myweb"
    ) == ("myweb=2\n")


def test_inspect_finds_nodes_tasks_secrets_and_containers_by_name_or_id(lab):
    node_id = ok(lab, "docker node ls -q -f name=worker1").strip()
    assert ok(lab, f"docker inspect -f '{{{{.Description.Hostname}}}}' {node_id} worker2") == (
        "worker1\nworker2\n"
    )
    task = ok(lab, "docker service ps -q myweb").split()[0]
    assert ok(lab, f"docker inspect -f '{{{{.DesiredState}}}}' {task}") == "running\n"
    assert ok(lab, "docker inspect --format '{{.Spec.Name}}' pw") == "pw\n"
    host = next(h for h in HOSTS if ok(lab, "docker ps -q", h).strip())
    cid = ok(lab, "docker ps -q", host).split()[0]
    # The CLI pinned the image to the digest the registry gave (client/service_create.go).
    status, image = ok(
        lab, f"docker inspect -f '{{{{.State.Status}}}} {{{{.Config.Image}}}}' {cid}", host
    ).split()
    assert status == "running" and re.fullmatch(r"nginx:latest@sha256:[0-9a-f]{64}", image)


def test_inspect_errors_are_dockers_and_what_was_found_still_prints(lab):
    assert sh(lab, "docker inspect nosuch") == ("[]\nError: No such object: nosuch\n", 1)
    assert sh(lab, "docker inspect --type service nosuch") == (
        "[]\nError response from daemon: service nosuch not found\n",
        1,
    )
    out, status = sh(lab, "docker inspect -f '{{.Description.Hostname}}' manager1 myweb")
    assert status == 1
    assert out.startswith("manager1\ntemplate parsing error: template: :1:14: executing")
    assert sh(lab, "docker inspect --type blob x")[0].startswith('unknown type: "blob": must be')
    # on a worker, swarm objects are not looked for
    assert sh(lab, "docker inspect myweb", "worker1") == ("[]\nError: No such object: myweb\n", 1)


def test_a_three_part_publish_is_ip_host_container(lab):
    out, status = sh(lab, "docker service create -p 80:80:80 nginx")
    assert status == 125
    assert out.startswith(
        'invalid argument "80:80:80" for "-p, --publish" flag: invalid IP address: 80\n'
    )
    out, _ = sh(lab, "docker service create -p 10.0.0.1:80:80 nginx")
    assert out.startswith('invalid argument "10.0.0.1:80:80" for "-p, --publish" flag: hostip')


def test_templates_run_on_the_typed_struct_first(lab):
    ok(lab, "docker service create -d --name typed busybox sleep 1d")
    ok(lab, "docker service update -d --env-add COLOR=blue typed")
    env = ".TaskTemplate.ContainerSpec.Env"
    fmt = f"{{{{json .PreviousSpec{env}}}}} {{{{json .Spec{env}}}}}"
    assert ok(lab, f"docker service inspect -f '{fmt}' typed") == 'null ["COLOR=blue"]\n'
    assert ok(lab, "docker inspect -f '{{json .ManagerStatus}}' worker1") == "null\n"
    status = ok(lab, "docker node inspect -f '{{.Status}}' worker1")
    assert status.startswith("{ready  192.168.") and status.endswith("}\n")
    assert ok(lab, "docker service inspect -f '{{.Spec.UpdateConfig.Monitor}}' typed") == "5s\n"
    # Through a nil pointer the typed run fails, and the raw JSON's error is told.
    out, status = sh(lab, "docker inspect -f '{{.ManagerStatus.Leader}}' worker1")
    assert (out, status) == (
        '\ntemplate parsing error: template: :1:16: executing "" at <.ManagerStatus.Leader>: '
        'map has no entry for key "ManagerStatus"\n',
        1,
    )
