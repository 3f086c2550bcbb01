"""Each host's Engine API on a Unix socket (engineapi/server.py), driven by real clients:

- the real docker CLI (the `docker` binary on PATH — these tests say so and skip when it
  is absent): for the commands of the reference recordings, what it prints against a
  lab's socket is what miniswarm's own CLI prints for the same lab;
- docker-py, through its high-level client, as its documentation uses it;
- bad input at the socket — fuzzed request lines, methods, headers, bodies, connections
  closed half-way — never stops the server and never changes the swarm.

The lab runs in real time (ThreadDriver), as it does while `miniswarm serve` serves it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from miniswarm.engineapi.server import Sockets
from miniswarm.lab import Lab

HOSTS = ["manager1", "manager2", "manager3", "worker1", "worker2"]
DOCKER = shutil.which("docker")
needs_docker = pytest.mark.skipif(
    DOCKER is None, reason="the real docker CLI is not on PATH: its comparison is skipped"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A formed swarm in real time, every host on its socket; a service, a secret and a
    config in it."""
    lab = Lab(driver="thread", seed=41)
    lab.form_swarm_quickly(HOSTS[:3], HOSTS[3:])
    directory = tmp_path_factory.mktemp("sock")
    sockets = Sockets(lab.kernel, str(directory))
    assert lab.docker("manager1", ["secret", "create", "pw", "-"], stdin="s3cret").status == 0
    assert lab.docker("manager1", ["config", "create", "site", "-"], stdin="a=1\n").status == 0
    argv = "service create -d --name web --replicas 3 --secret pw -p 8080:80 nginx:1.24"
    assert lab.docker("manager1", argv.split()).status == 0
    deadline = time.monotonic() + 30
    while "3/3" not in lab.docker("manager1", ["service", "ls"]).out:
        assert time.monotonic() < deadline, "the service never ran"
        time.sleep(0.1)
    yield lab, sockets
    sockets.close()
    lab.close()


def real_docker(sockets: Sockets, host: str, argv: list[str], stdin: str | None = None):
    env = dict(os.environ, DOCKER_HOST=f"unix://{sockets.servers[host].path}")
    env.pop("DOCKER_CONTEXT", None)
    done = subprocess.run(
        [DOCKER, *argv], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )
    return done.stdout, done.stderr, done.returncode


AGE = re.compile(
    r"(Less than a second|less than a second|About a minute|About an hour|an hour|a minute|"
    r"\d+ (second|minute|hour|day|week|month|year)s?)( ago)?"
)


def same_shape(text: str) -> str:
    """Ages read two clocks a moment apart, and move the columns after them."""
    return re.sub(r"[ \t]{2,}", "  ", AGE.sub("<age>", text)).rstrip()


COMPARED = [
    ("manager1", "node ls"),
    ("manager2", "node ls --format {{.Hostname}}:{{.Status}}:{{.ManagerStatus}}"),
    ("manager1", "node inspect --pretty self"),
    ("manager1", "node inspect worker1"),
    ("manager1", "node ps manager1"),
    ("manager1", "service ls"),
    ("manager1", "service ps web"),
    ("manager1", "service inspect web"),
    ("manager1", "service inspect --pretty web"),
    ("manager1", "secret ls"),
    ("manager1", "secret inspect pw"),
    ("manager1", "config ls"),
    ("manager1", "config inspect --pretty site"),
    ("manager1", "swarm join-token worker"),
    ("manager1", "swarm join-token -q manager"),
    ("manager1", "service logs --tail 2 web"),
    ("worker1", "node ls"),
    ("worker1", "swarm init"),
    ("manager1", "service inspect nosuch"),
    ("manager1", "service ps nosuch"),
    ("manager1", "node demote nosuch"),
    ("manager1", "secret create pw -"),
]


@needs_docker
@pytest.mark.parametrize(("host", "line"), COMPARED, ids=[f"{h}: {c}" for h, c in COMPARED])
def test_the_real_docker_cli_prints_what_miniswarms_prints(served, host, line):
    lab, sockets = served
    argv = line.split()
    ours = lab.docker(host, argv, stdin="x")
    out, err, status = real_docker(sockets, host, argv, stdin="x")
    assert (same_shape(out), same_shape(err), status) == (
        same_shape(ours.out),
        same_shape(ours.err),
        ours.status,
    )


@needs_docker
def test_the_real_docker_cli_on_a_hosts_own_containers(served):
    lab, sockets = served
    host = next(h for h in HOSTS if lab.docker(h, ["ps", "-q"]).out.strip())
    cid = lab.docker(host, ["ps", "-q"]).out.split()[0]
    for argv in (
        ["ps"],
        ["ps", "-a", "--no-trunc", "--format", "{{.Names}} {{.Image}} {{.Status}}"],
        ["logs", "--tail", "3", cid],
        ["exec", cid, "cat", "/run/secrets/pw"],
        ["exec", cid, "sh", "-c", "echo out; echo err >&2; exit 3"],
        ["exec", cid, "nosuch"],
        ["inspect", "--format", "{{.State.Status}} {{.Config.Image}}", cid],
    ):
        ours = lab.docker(host, argv)
        out, err, status = real_docker(sockets, host, argv)
        assert (same_shape(out), same_shape(err), status) == (
            same_shape(ours.out),
            same_shape(ours.err),
            ours.status,
        ), argv
    out, _, status = real_docker(sockets, host, ["exec", "-i", cid, "cat"], stdin="piped\n")
    assert (out, status) == ("piped\n", 0)


@needs_docker
def test_the_real_docker_cli_changes_the_swarm_as_miniswarms_would(served):
    lab, sockets = served
    assert real_docker(sockets, "manager1", ["service", "scale", "-d", "web=4"])[2] == 0
    spec = json.loads(lab.docker("manager1", ["service", "inspect", "web"]).out)[0]["Spec"]
    assert spec["Mode"]["Replicated"]["Replicas"] == 4
    out, err, status = real_docker(
        sockets, "manager2", ["node", "update", "--availability", "drain", "worker2"]
    )
    assert (out, err, status) == ("worker2\n", "", 0)
    fmt = "{{.Spec.Availability}}"
    assert lab.docker("manager1", ["node", "inspect", "-f", fmt, "worker2"]).out == "drain\n"
    real_docker(sockets, "manager2", ["node", "update", "--availability", "active", "worker2"])
    info = real_docker(sockets, "manager3", ["info"])[0]
    ours = lab.docker("manager3", ["info"]).out

    def server_part(text: str) -> str:  # (the runtimes come in Go's random map order)
        text = text[text.index("Server:") :]
        return re.sub(r"Runtimes:.*", lambda m: " ".join(sorted(m.group(0).split())), text)

    assert same_shape(server_part(info)) == same_shape(server_part(ours))


def test_a_powered_off_host_has_no_socket_until_it_boots(served):
    lab, sockets = served
    server = sockets.servers["worker2"]
    lab.stop("worker2")
    sockets.sync()
    assert not os.path.exists(server.path)
    lab.start("worker2")
    sockets.sync()
    assert ping(server.path).startswith(b"HTTP/1.1 200")


def test_many_clients_at_once_and_one_that_leaves_mid_stream(served):
    import threading

    lab, sockets = served
    path = sockets.servers["manager1"].path
    answers: list[bytes] = []

    def client() -> None:
        for _ in range(5):
            answers.append(raw(path, b"GET /v1.41/services HTTP/1.1\r\nHost: x\r\n\r\n")[:12])

    threads = [threading.Thread(target=client) for _ in range(8)]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as follower:
        follower.connect(path)  # a `service logs -f` that goes away while it streams
        follower.sendall(
            b"GET /v1.41/services/web/logs?stdout=1&follow=1 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert answers == [b"HTTP/1.1 200"] * 40
    assert ping(path).startswith(b"HTTP/1.1 200")


# -- docker-py ----------------------------------------------------------------------------------


def test_docker_py_drives_a_swarm_as_its_documentation_shows(tmp_path):
    docker = pytest.importorskip("docker")
    lab = Lab([("alpha", "10.5.0.1"), ("beta", "10.5.0.2")], driver="thread", seed=7, speed=20)
    sockets = Sockets(lab.kernel, str(tmp_path))
    try:
        alpha = docker.DockerClient(base_url=f"unix://{sockets.servers['alpha'].path}")
        beta = docker.DockerClient(base_url=f"unix://{sockets.servers['beta'].path}")
        assert alpha.version()["ApiVersion"] == "1.41"
        node_id = alpha.swarm.init(advertise_addr="10.5.0.1")
        alpha.swarm.reload()
        token = alpha.swarm.attrs["JoinTokens"]["Worker"]
        assert beta.swarm.join(remote_addrs=["10.5.0.1:2377"], join_token=token)
        assert sorted(n.attrs["Description"]["Hostname"] for n in alpha.nodes.list()) == [
            "alpha",
            "beta",
        ]
        me = alpha.nodes.get(node_id)
        me.update({"Availability": "active", "Role": "manager", "Labels": {"disk": "ssd"}})
        assert alpha.nodes.get(node_id).attrs["Spec"]["Labels"] == {"disk": "ssd"}

        secret = alpha.secrets.create(name="token", data=b"hunter2")
        assert [s.name for s in alpha.secrets.list()] == ["token"]
        config = alpha.configs.create(name="conf", data=b"a=1")
        service = alpha.services.create(
            "nginx:1.24",
            name="web",
            secrets=[docker.types.SecretReference(secret.id, "token")],
            mode=docker.types.ServiceMode("replicated", replicas=1),
        )
        assert alpha.services.get("web").id == service.id
        service.scale(2)
        assert wait_for(lambda: len(running(service)) == 2)
        service.reload()  # the version the next update names
        service.update(image="nginx:1.25")
        assert wait_for(
            lambda: (
                {t["Spec"]["ContainerSpec"]["Image"] for t in running(service)} == {"nginx:1.25"}
            )
        )
        logs = b"".join(service.logs(stdout=True, stderr=True))
        assert b"nginx" in logs
        current = {t["Status"]["ContainerStatus"]["ContainerID"] for t in running(service)}
        container = next(c for h in (alpha, beta) for c in h.containers.list() if c.id in current)
        # (the containers' programs write whole lines: the file's missing newline comes back)
        result = container.exec_run("cat /run/secrets/token")
        assert result.output.rstrip() == b"hunter2", (container.name, result)
        alpha.swarm.update(dispatcher_heartbeat_period=10_000_000_000)
        assert alpha.swarm.attrs["Spec"]["Dispatcher"]["HeartbeatPeriod"] == 10_000_000_000
        service.remove()
        assert alpha.services.list() == []
        secret.remove()
        config.remove()
        with pytest.raises(docker.errors.APIError) as failed:
            beta.nodes.list()
        assert failed.value.status_code == 503
        assert beta.swarm.leave()
        assert alpha.swarm.leave(force=True)
        assert alpha.info()["Swarm"]["LocalNodeState"] == "inactive"
    finally:
        sockets.close()
        lab.close()


def running(service) -> list[dict]:
    return [t for t in service.tasks() if t["Status"]["State"] == "running"]


def wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# -- bad input at the socket ----------------------------------------------------------------------


def ping(path: str) -> bytes:
    return raw(path, b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")


def raw(path: str, data: bytes, half_close: bool = False) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and not half_close:
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


ROUTES = [
    "/_ping",
    "/info",
    "/v1.41/nodes",
    "/v1.41/nodes/{x}",
    "/v1.41/nodes/{x}/update?version={x}",
    "/v1.41/services",
    "/v1.41/services/create",
    "/v1.41/services/{x}",
    "/v1.41/services/{x}/update?version=1",
    "/v1.41/services/{x}/logs?follow={x}",
    "/v1.41/tasks?filters={x}",
    "/v1.41/secrets/create",
    "/v1.41/configs/{x}",
    "/v1.41/containers/json?filters={x}",
    "/v1.41/containers/{x}/exec",
    "/v1.41/exec/{x}/start",
    "/v1.41/swarm/update?version={x}",
    "/v{x}/info",
    "/{x}",
]
junk = st.text(min_size=12, max_size=40).map(lambda s: s.replace(" ", "%20"))
bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"{", b"[]", b'{"Name": 5}', b'{"Spec": "x"}', b"null", b'"str"']),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=10,
    ).map(lambda v: json.dumps(v).encode()),
)


def settled(lab: Lab) -> bool:
    """Every service runs as many tasks as it is meant to (the tests before scaled web and
    drained a node: the swarm may still be moving its tasks)."""
    store = lab.kernel.hosts["manager1"].process.manager.store
    return all(
        store.running_tasks(s["ID"]) == s["Spec"]["Mode"]["Replicated"]["Replicas"]
        for s in list(store.all("services"))
    )


def state_of(lab: Lab) -> str:
    argv = ["service", "ls", "--format", "{{.Name}} {{.Replicas}} {{.Image}}"]
    services = lab.docker("manager1", argv).out
    nodes = lab.docker("manager1", ["node", "ls", "--format", "{{.Hostname}} {{.Status}}"]).out
    secrets = lab.docker("manager1", ["secret", "ls", "--format", "{{.Name}}"]).out
    return services + nodes + secrets


def go_error(text: bytes) -> bytes:
    """What Go's server writes, and hangs up, for a request it cannot read (net/http)."""
    headers = b"\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
    return b"HTTP/1.1 " + text + headers + text


def test_a_request_the_socket_cannot_read_is_answered_as_gos_server_answers_it(served):
    # (http.server would write an HTML page, or 501 to a method it has no do_ for)
    _, sockets = served
    path = sockets.servers["manager1"].path
    bad = go_error(b"400 Bad Request")
    version = go_error(b"505 HTTP Version Not Supported: unsupported protocol version")
    for request, answer in [
        (b"GET /_ping\n HTTP/1.1\r\nHost: x\r\n\r\n", bad),  # no version: no HTTP/0.9
        (b"POST /v1.41/nodes/x\n HTTP/1.1\r\nHost: x\r\n\r\n", bad),
        (b"GET /_ping HTTP/1.x\r\nHost: x\r\n\r\n", bad),
        (b"G(T /_ping HTTP/1.1\r\nHost: x\r\n\r\n", bad),  # a method is a token
        (b"GET /_ping HTTP/1.1\r\n\r\n", bad),  # HTTP/1.1 names its Host
        (b"GET /_ping HTTP/2.0\r\nHost: x\r\n\r\n", version),
        (b"GET /_ping HTTP/0.9\r\nHost: x\r\n\r\n", version),
    ]:
        assert raw(path, request, half_close=True) == answer, request
    # Any other method is the router's to answer, as dockerd's is.
    assert raw(path, b"BREW /_ping HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 405 ")
    assert raw(path, b"GET /_ping HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 ")
    assert ping(path).startswith(b"HTTP/1.1 200")


@settings(
    max_examples=int(os.environ.get("MINISWARM_SOCKET_FUZZ_EXAMPLES", "40")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD", "PATCH", "G\x00T", "BREW"]),
    route=st.sampled_from(ROUTES),
    fill=junk,
    body=bodies,
    length=st.sampled_from(["exact", "short", "long", "nonsense", "chunked-bad"]),
    extra=st.sampled_from([b"", b"X-Bad: \xff\xfe\r\n", b"Content-Type: text/plain\r\n"]),
)
def test_fuzzed_requests_never_stop_the_server_or_change_the_swarm(
    served, method, route, fill, body, length, extra
):
    lab, sockets = served
    if "before" not in served_state:
        assert lab.kernel.wait_until(lambda: settled(lab), 60), "the swarm never settled"
        served_state["before"] = state_of(lab)
    before = served_state["before"]
    path = sockets.servers["manager1"].path
    target = route.replace("{x}", fill)
    head = f"{method} {target} HTTP/1.1\r\nHost: x\r\n".encode(errors="replace") + extra
    if length == "exact":
        head += f"Content-Length: {len(body)}\r\n".encode()
    elif length == "long":
        head += f"Content-Length: {len(body) + 50}\r\n".encode()  # then the client hangs up
    elif length == "nonsense":
        head += b"Content-Length: -7\r\n"
    elif length == "chunked-bad":
        head += b"Transfer-Encoding: chunked\r\n"
    answer = raw(path, head + b"\r\n" + body, half_close=length in ("long", "chunked-bad"))
    assert answer == b"" or answer.startswith(b"HTTP/1.")
    assert ping(path).startswith(b"HTTP/1.1 200")
    assert state_of(lab) == before


served_state: dict[str, str] = {}
