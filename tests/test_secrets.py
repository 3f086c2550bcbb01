"""Secrets and configs: stored by the managers, never shown back, delivered only to the
nodes whose tasks use them, mounted in memory in those containers — the notes' promises,
asserted on what the docker commands print (and, where nothing prints, on the hosts)."""

from __future__ import annotations

import json

import pytest
from labshell import HOSTS, ok, sh, swarm_lab

from miniswarm.lab import Lab

SEED = 5


@pytest.fixture
def lab():
    yield from swarm_lab(SEED)


def task_container(lab: Lab, service: str) -> tuple[str, str]:
    """(host, container ID) of the service's running task"""
    node = ok(
        lab, f"docker service ps --filter desired-state=running --format {{{{.Node}}}} {service}"
    )
    host = node.split()[0]
    cid = ok(lab, f"docker ps -q --filter name={service}", host).split()[0]
    return host, cid


def test_a_secret_is_created_from_stdin_or_a_file_and_never_shown_back(lab):
    ok(lab, "printf 'pw' | docker secret create password -")
    ok(lab, "printf 'from-a-file' > dbpass.txt")
    ok(lab, "docker secret create --label env=prod dbpass dbpass.txt")
    assert ok(lab, "docker secret ls --format {{.Name}}").split() == ["dbpass", "password"]
    assert ok(lab, "docker secret ls -q --filter label=env=prod").count("\n") == 1
    shown = ok(lab, "docker secret inspect password dbpass")
    assert "pw" not in shown.replace("password", "") and "from-a-file" not in shown
    assert '"Data"' not in shown


def test_secret_errors_are_dockers(lab):
    ok(lab, "printf 'pw' | docker secret create password -")
    cases = {
        "printf 'x' | docker secret create password -": "Error response from daemon: rpc error: "
        "code = AlreadyExists desc = secret password already exists\n",
        "printf '' | docker secret create empty -": "error reading from STDIN: data is empty\n",
        "docker secret create onlyname": "secret file is required\n",
        "docker secret create x nosuchfile": "error reading from nosuchfile: open nosuchfile: "
        "no such file or directory\n",
        "docker secret inspect nosuch": "[]\nError response from daemon: secret nosuch not found\n",
        "docker secret create -d vault token": "Error response from daemon: rpc error: code = "
        "InvalidArgument desc = error during lookup of plugin vault\n",
        "printf 'x' | docker secret create bad_name- -": "Error response from daemon: rpc error: "
        "code = InvalidArgument desc = invalid name, only 64 [a-zA-Z0-9-_.] characters "
        "allowed, and the start and end character must be [a-zA-Z0-9]\n",
    }
    for line, err in cases.items():
        assert sh(lab, line) == (err, 1), line
    text, status = sh(lab, "docker secret ls", "worker1")
    assert status == 1 and "This node is not a swarm manager" in text
    assert ok(lab, "docker secret ls --format {{.Name}}") == "password\n"


def test_the_mysql_example_reads_its_password_from_the_mounted_secret(lab):
    ok(lab, "printf 'pw' | docker secret create password -")
    ok(
        lab,
        "docker service create -d --name mysql --secret source=password,target=password "
        "-e MYSQL_ROOT_PASSWORD_FILE=/run/secrets/password mysql:5.7",
    )
    lab.sleep(6)
    host, cid = task_container(lab, "mysql")
    assert ok(lab, f"docker exec {cid} cat /run/secrets/password", host).strip() == "pw"
    assert ok(lab, f"docker exec {cid} sh -c 'mount | grep secrets'", host) == (
        "tmpfs on /run/secrets/password type tmpfs (ro,relatime)\n"
    )
    listing = ok(lab, f"docker exec {cid} ls -l /run/secrets", host).splitlines()
    assert listing[0] == "total 4"
    assert listing[1].startswith("-r--r--r--    1 root     root             2 ")
    assert "ready for connections" in ok(lab, "docker service logs mysql")
    text, status = sh(lab, "docker secret rm password")
    assert (text, status) == (
        "Error response from daemon: rpc error: code = InvalidArgument desc = secret "
        "'password' is in use by the following service: mysql\n",
        1,
    )


def test_mysql_without_its_password_setting_fails_as_the_real_image_does(lab):
    ok(lab, "printf 'pw' | docker secret create password -")
    ok(lab, "docker service create -d --name mysql --secret password mysql:5.7")
    lab.sleep(4)
    logs = ok(lab, "docker service logs mysql")
    assert "Database is uninitialized and password option is not specified" in logs
    assert "task: non-zero exit (1)" in ok(lab, "docker service ps --no-trunc mysql")


def test_only_nodes_running_a_task_that_uses_a_secret_hold_it_and_forget_it_after(lab):
    ok(lab, "printf 's3cr3t-value' | docker secret create token -")
    ok(lab, "docker service create -d --name app --secret token busybox sleep 1d")
    lab.sleep(4)
    host, _ = task_container(lab, "app")
    holders = [h for h in HOSTS if lab.kernel.host(h).process.agent.worker.files["secret"]]
    assert holders == [host]
    ok(lab, "docker service rm app")
    lab.sleep(6)
    assert not any(lab.kernel.host(h).process.agent.worker.files["secret"] for h in HOSTS)


def test_secrets_are_added_and_removed_on_a_running_service(lab):
    ok(lab, "printf 'pw' | docker secret create password -")
    ok(lab, "printf 'hunter2' | docker secret create dbpass -")
    ok(lab, "docker service create -d --name app --secret password busybox sleep 1d")
    lab.sleep(3)
    ok(lab, "docker service update -d --secret-add source=dbpass,target=db,mode=0400 app")
    lab.sleep(4)
    host, cid = task_container(lab, "app")
    listing = ok(lab, f"docker exec {cid} ls -l /run/secrets", host).splitlines()
    assert [line.split()[0] for line in listing[1:]] == ["-r--------", "-r--r--r--"]
    assert ok(lab, f"docker exec {cid} cat /run/secrets/db", host).strip() == "hunter2"
    ok(lab, "docker service update -d --secret-rm password app")
    lab.sleep(4)
    host, cid = task_container(lab, "app")
    assert ok(lab, f"docker exec {cid} ls /run/secrets", host) == "db\n"
    assert ok(lab, "docker secret rm password") == "password\n"
    text, status = sh(lab, "docker service create -d --name bad --secret nosuchsecret nginx")
    assert (text, status) == ("secret not found: nosuchsecret\n", 1)


def test_configs_are_shown_back_and_mounted_at_their_target(lab):
    ok(lab, "printf 'server { listen 80; }\\n' | docker config create nginx_conf -")
    assert ok(lab, "docker config inspect --format '{{json .Spec.Data}}' nginx_conf") == (
        '"c2VydmVyIHsgbGlzdGVuIDgwOyB9Cg=="\n'
    )
    pretty = ok(lab, "docker config inspect --pretty nginx_conf")
    assert pretty.endswith("Data:\nserver { listen 80; }\n\n")
    ok(
        lab,
        "docker service create -d --name webcfg --config "
        "source=nginx_conf,target=/etc/nginx/conf.d/site.conf --config nginx_conf nginx",
    )
    lab.sleep(3)
    host, cid = task_container(lab, "webcfg")
    assert ok(lab, f"docker exec {cid} cat /etc/nginx/conf.d/site.conf", host) == (
        "server { listen 80; }\n"
    )
    assert ok(lab, f"docker exec {cid} sh -c 'mount | grep -e site.conf -e nginx_conf'", host) == (
        "tmpfs on /nginx_conf type tmpfs (ro,relatime)\n"
        "tmpfs on /etc/nginx/conf.d/site.conf type tmpfs (ro,relatime)\n"
    )
    pretty = ok(lab, "docker service inspect --pretty webcfg")
    assert "Configs:\n Target:\t" in pretty
    text, status = sh(lab, "docker config rm nginx_conf nosuch")
    assert status == 1 and text == (
        "Error response from daemon: rpc error: code = InvalidArgument desc = config "
        "'nginx_conf' is in use by the following service: webcfg\n"
        "Error response from daemon: config nosuch not found\n"
    )


def test_at_the_repl_a_secret_can_be_typed_and_ended_with_ctrl_d(lab):
    import base64

    from terminal import CTRL_D, Student

    student = Student(lab)
    student.line("docker secret create typed -")
    student.line("typed line one")
    student.line("typed line two")
    student.type(CTRL_D)
    student.line("echo $?")
    student.run()
    screen = student.screen()
    assert screen[1:4] == [
        "manager1 $ docker secret create typed -",
        "typed line one",  # the terminal echoes what docker reads, as a real one does
        "typed line two",
    ]
    assert len(screen[4]) == 25 and screen[5:7] == ["manager1 $ echo $?", "0"]
    store = lab.kernel.host("manager1").process.manager.store
    (secret,) = [s for s in store.all("secrets") if s["Spec"]["Name"] == "typed"]
    assert base64.b64decode(secret["Spec"]["Data"]) == b"typed line one\ntyped line two\n"


def test_a_worker_forgets_a_secret_when_its_last_task_using_it_stops_even_without_managers(lab):
    ok(lab, "printf 's3cr3t-value' | docker secret create token -")
    ok(lab, "docker service create -d --name app --replicas 5 --secret token busybox sleep 1d")
    lab.sleep(4)
    assert lab.kernel.host("worker2").process.agent.worker.files["secret"]
    ok(lab, "docker service scale -d app=0")
    lab.sleep(0.5)  # the workers are told to stop their tasks, which takes them a second
    lab.stop("manager1")  # the leader goes before it can tell the workers what to forget
    lab.stop("manager2")
    lab.stop("manager3")
    lab.sleep(5)
    for host in ("worker1", "worker2"):
        assert not lab.kernel.host(host).process.agent.worker.files["secret"], host


def test_a_task_container_that_exits_keeps_no_plaintext_of_its_secrets(lab):
    """Docker: when a task's container stops, its secrets are unmounted from the in-memory
    filesystem and flushed from the node's memory — the exited container keeps none."""
    ok(lab, "printf 'S3cr3t-value' | docker secret create pw -")
    ok(lab, "docker service create -d --name once --secret pw --restart-condition none "
            "busybox sh -c 'cat /run/secrets/pw; sleep 3'")  # fmt: skip
    lab.sleep(15)

    def held(d):
        return [(c.state, v) for c in d.runtime.containers.values() for v in c.files.values()]

    everywhere = [x for h in HOSTS for x in lab.kernel.call(h, held)]
    assert any(state == "exited" for state, _ in everywhere)  # the container is there
    assert not any("S3cr3t-value" in str(v) for _, v in everywhere)


def test_a_task_shut_down_before_its_container_started_keeps_no_plaintext_either(lab):
    """Found by the soak: a container made (its secrets mounted) and never started, its
    task shut down meanwhile, kept the secret."""
    ok(lab, "printf 'S3cr3t-value' | docker secret create pw2 -")
    ok(lab, "docker service create -d --name early --secret pw2 busybox sleep 1d")
    made = []

    def created(d):
        return [c.name for c in d.runtime.containers.values() if c.state == "created"]

    while not made:  # the moment its container is made and not yet started
        lab.kernel.step()
        made = [h for h in HOSTS if lab.kernel.hosts[h].up and lab.kernel.call(h, created)]
    ok(lab, f"docker node update --availability drain {made[0]}; lab sleep 10")

    def held(d):  # by containers that do not run (the replacement elsewhere needs it)
        return [v for c in d.runtime.containers.values() if not c.running for v in c.files.values()]

    assert not any("S3cr3t-value" in str(v) for h in HOSTS for v in lab.kernel.call(h, held))


def test_removing_thousands_of_tasks_from_one_node_costs_work_in_proportion():
    """Found by the hostile fuzzer: each task that stopped made its node look through all
    its tasks for the secrets they still need — 2,000 tasks cost 4 million looks, and
    100,000 froze the lab. A node only looks at the tasks that may still run."""
    from miniswarm.worker import TaskRunner

    lab = Lab([("solo", "10.0.0.1")], seed=3)
    lab.form_swarm(["solo"], [])
    assert sh(lab, "printf pw | docker secret create pw -", "solo")[1] == 0
    ok(
        lab,
        "docker service create -d --name many --replicas 2000 --secret pw busybox sleep 1d",
        "solo",
    )
    lab.sleep(60)
    looks = 0
    needs = TaskRunner.needs

    def counted(self, kind):
        nonlocal looks
        looks += 1
        return needs(self, kind)

    TaskRunner.needs = counted
    try:
        ok(lab, "docker service rm many", "solo")
        lab.sleep(60)
    finally:
        TaskRunner.needs = needs
    worker = lab.kernel.host("solo").process.agent.worker
    assert worker.files["secret"] == {}  # forgotten with its last task
    assert looks < 20 * 2000


def test_secret_and_config_ls_print_json_as_docker_marshals_their_rows(lab):
    ok(lab, "printf 'pw' | docker secret create --label env=prod password -")
    ok(lab, "printf 'x' | docker config create app_conf -")
    secret = json.loads(ok(lab, "docker secret ls --format json"))
    assert sorted(secret) == ["CreatedAt", "Driver", "ID", "Labels", "Name", "UpdatedAt"]
    assert secret["Name"] == "password" and secret["Labels"] == "env=prod"
    assert secret["CreatedAt"].endswith(" ago")
    config = json.loads(ok(lab, "docker config ls --format json"))
    assert sorted(config) == ["CreatedAt", "ID", "Labels", "Name", "UpdatedAt"]  # no driver
    printed, status = sh(lab, "docker config ls --format {{.Driver}}")
    assert status == 1 and "can't evaluate field Driver in type *config.configContext" in printed
