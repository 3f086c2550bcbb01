"""The Engine API router alone (engineapi/): requests as bytes and strings, as a socket
would hand them over, to one daemon of a simulated lab — the contract the real docker
CLI, docker-py and miniswarm's own CLI share."""

from __future__ import annotations

import base64
import json
from concurrent.futures import Future

import pytest

from miniswarm.engineapi.router import Request, Response, dispatch, route
from miniswarm.engineapi.streams import read_frames
from miniswarm.lab import Lab

HOSTS = ["manager1", "manager2", "manager3", "worker1", "worker2"]


@pytest.fixture(scope="module")
def lab() -> Lab:
    lab = Lab(seed=11)
    lab.form_swarm(HOSTS[:3], HOSTS[3:])
    assert lab.docker("manager1", ["secret", "create", "pw", "-"], stdin="s3cret").status == 0
    argv = "service create -d --name web --replicas 2 nginx:1.24".split()
    assert lab.docker("manager1", argv).status == 0
    lab.sleep(10)
    return lab


def call(lab: Lab, method: str, target: str, body: bytes | str = b"", host="manager1", **headers):
    data = body.encode() if isinstance(body, str) else body
    req = Request.parse(method, target, data, {k.lower(): v for k, v in headers.items()})
    answered = lab.kernel.call(host, lambda daemon: dispatch(daemon, req))
    if isinstance(answered, Future):  # on its way: the simulated cluster runs meanwhile
        answered = lab.kernel.wait(answered)
    return answered


def answer(resp: Response) -> Response:
    assert isinstance(resp, Response)
    return resp


def test_ping_tells_the_client_the_version_to_speak_and_what_the_node_is(lab):
    resp = answer(call(lab, "HEAD", "/_ping"))
    assert resp.status == 200 and resp.body == b""
    assert resp.headers["Api-Version"] == "1.41"
    assert resp.headers["Swarm"] == "active/manager"
    assert resp.headers["Ostype"] == "linux"
    assert answer(call(lab, "GET", "/_ping", host="worker1")).headers["Swarm"] == "active/worker"
    fresh = Lab([("h", "10.0.0.9")], seed=1)
    assert answer(call(fresh, "GET", "/_ping", host="h")).headers["Swarm"] == "inactive"


def test_a_path_may_carry_any_version_the_daemon_serves_and_no_other(lab):
    for target in ("/info", "/v1.24/info", "/v1.41/info", "/v1.50/info"):
        assert answer(call(lab, "GET", target)).status == 200, target
    old = answer(call(lab, "GET", "/v1.11/info"))
    assert old.status == 400 and old.error.startswith("client version 1.11 is too old.")
    new = answer(call(lab, "GET", "/v1.51/info"))
    assert new.status == 400 and new.error == (
        "client version 1.51 is too new. Maximum supported API version is 1.50"
    )


def test_unknown_paths_methods_and_bodies_get_dockers_errors(lab):
    assert answer(call(lab, "GET", "/v1.41/nowhere")).error == "page not found"
    assert answer(call(lab, "GET", "/v1.41/nowhere")).status == 404
    assert answer(call(lab, "PUT", "/v1.41/nodes")).status == 405
    bad = answer(call(lab, "POST", "/v1.41/services/create", b"{not json"))
    assert bad.status == 400 and bad.error.startswith("invalid JSON")
    wrong = answer(call(lab, "POST", "/v1.41/secrets/create", "[1, 2]"))
    assert wrong.status == 400 and "cannot unmarshal array" in wrong.error
    deep = answer(call(lab, "POST", "/v1.41/services/create", "[" * 100_000))
    assert deep.status == 400 and deep.error.startswith("invalid JSON")
    flag = answer(call(lab, "GET", "/v1.41/services/web?insertDefaults=maybe"))
    assert flag.status == 400 and "ParseBool" in flag.error


def test_the_leaders_answer_is_given_at_once_and_a_followers_is_on_its_way(lab):
    listed = answer(call(lab, "GET", "/v1.41/nodes")).json()
    leader = next(
        n["Description"]["Hostname"] for n in listed if "Leader" in n.get("ManagerStatus", {})
    )
    follower = next(h for h in HOSTS[:3] if h != leader)
    req = Request.parse("GET", "/v1.41/nodes")
    at_once = lab.kernel.call(leader, lambda daemon: dispatch(daemon, req))
    assert isinstance(at_once, Response) and len(at_once.json()) == len(HOSTS)
    proxied = lab.kernel.call(follower, lambda daemon: dispatch(daemon, req))
    assert isinstance(proxied, Future) and not proxied.done()  # asked of the leader
    assert lab.kernel.wait(proxied).json() == at_once.json()


def test_a_path_is_routed_by_its_whole_shape_not_its_first_word(lab):
    assert answer(call(lab, "GET", "/v1.41/nodes/")).status == 404
    assert answer(call(lab, "GET", "/v1.41//nodes")).status == 404
    assert answer(call(lab, "GET", "/v1.41/nodes/a/b")).status == 404
    assert answer(call(lab, "GET", "/v1.41/nodesx")).status == 404
    assert answer(call(lab, "DELETE", "/v1.41/info")).status == 405


def test_swarm_errors_carry_mobys_status_codes(lab):
    worker = answer(call(lab, "GET", "/v1.41/nodes", host="worker1"))
    assert worker.status == 503
    assert worker.error.startswith("This node is not a swarm manager. Worker nodes can't")
    missing = answer(call(lab, "GET", "/v1.41/services/nope"))
    assert (missing.status, missing.error) == (404, "service nope not found")
    init = answer(call(lab, "POST", "/v1.41/swarm/init", "{}"))
    assert init.status == 503 and init.error.startswith("This node is already part of a swarm")


def test_filters_come_in_either_of_the_clients_forms(lab):
    cli = '{"name":{"worker":true}}'  # the Go client's
    py = '{"name":["worker"]}'  # docker-py's
    by_cli = answer(call(lab, "GET", f"/v1.41/nodes?filters={cli}")).json()
    by_py = answer(call(lab, "GET", f"/v1.41/nodes?filters={py}")).json()
    assert sorted(n["Description"]["Hostname"] for n in by_cli) == ["worker1", "worker2"]
    assert by_cli == by_py
    bad = answer(call(lab, "GET", "/v1.41/nodes?filters=nonsense"))
    assert bad.status == 400


def test_a_secret_is_created_from_base64_and_never_shown_back(lab):
    body = json.dumps({"Name": "api-pw", "Data": base64.b64encode(b"hunter2").decode()})
    created = answer(call(lab, "POST", "/v1.41/secrets/create", body))
    assert created.status == 201
    secret = answer(call(lab, "GET", f"/v1.41/secrets/{created.json()['ID']}")).json()
    assert secret["Spec"]["Name"] == "api-pw" and "Data" not in secret["Spec"]
    assert b"hunter2" not in answer(call(lab, "GET", "/v1.41/secrets")).body
    assert answer(call(lab, "DELETE", "/v1.41/secrets/api-pw")).status == 204
    bad = json.dumps({"Name": "x", "Data": "***"})
    assert answer(call(lab, "POST", "/v1.41/secrets/create", bad)).status == 400


def test_the_registry_pins_an_image_it_knows_and_refuses_one_it_does_not(lab):
    known = answer(call(lab, "GET", "/v1.41/distribution/nginx:1.24/json"))
    assert known.status == 200
    digest = known.json()["Descriptor"]["digest"]
    assert digest.startswith("sha256:") and len(digest) == 71
    again = answer(call(lab, "GET", "/v1.41/distribution/nginx:1.24/json", host="worker2"))
    assert again.json()["Descriptor"]["digest"] == digest  # one registry for every host
    assert answer(call(lab, "GET", "/v1.41/distribution/nosuch/thing:9/json")).status == 401


def test_service_logs_are_frames_with_the_details_the_cli_resolves(lab):
    query = "details=1&stdout=1&stderr=1&tail=2"
    resp = answer(call(lab, "GET", f"/v1.41/services/web/logs?{query}"))
    assert resp.status == 200 and resp.stream is None
    assert resp.content_type == "application/vnd.docker.multiplexed-stream"
    frames, rest = read_frames(resp.body)
    assert rest == b"" and len(frames) == 4  # two tasks, their last two lines each
    kind, payload = frames[0]
    details, _, line = payload.decode().partition(" ")
    keys = [kv.split("=")[0] for kv in details.split(",")]
    assert keys == [
        "com.docker.swarm.node.id",
        "com.docker.swarm.service.id",
        "com.docker.swarm.task.id",
    ]
    assert kind in (1, 2) and line.endswith("\n")
    none = answer(call(lab, "GET", "/v1.41/services/web/logs?stdout=0&stderr=0"))
    assert none.status == 400 and none.error.startswith("Bad parameters")


def test_a_follow_keeps_the_stream_open(lab):
    resp = answer(call(lab, "GET", "/v1.41/services/web/logs?stdout=1&follow=1&tail=0"))
    assert resp.stream is not None and resp.body == b""
    data, ended = lab.kernel.wait(lab.kernel.call("manager1", lambda _d: resp.stream.poll()))
    assert not ended


def test_a_bad_request_changes_nothing(lab):
    before = answer(call(lab, "GET", "/v1.41/services")).json()
    for method, target, body in [
        ("POST", "/v1.41/services/create", '{"Name": 5}'),
        ("POST", "/v1.41/services/web/update?version=x", "{}"),
        ("POST", "/v1.41/nodes/worker1/update?version=1", '{"Role": "king"}'),
        ("DELETE", "/v1.41/services/%2e%2e", ""),
        ("POST", "/v1.41/swarm/update", "{}"),
    ]:
        resp = answer(call(lab, method, target, body))
        assert resp.status >= 400, (method, target, resp.status)
    assert answer(call(lab, "GET", "/v1.41/services")).json() == before


def test_a_routes_first_segment_is_a_word():
    with pytest.raises(ValueError, match="first segment is a word"):
        route("GET", "/{ref}/inspect")


def test_listed_tasks_are_the_stores_own_shown_as_they_are_read(lab):
    resp = answer(call(lab, "GET", "/v1.41/tasks"))
    assert resp.view is not None and any(k.startswith("_") for k in resp.objects[0])
    shown = json.loads(b"".join(resp.chunks()))  # as the socket writes it
    assert shown and not any(k.startswith("_") for t in shown for k in t)
    again = answer(call(lab, "GET", "/v1.41/tasks"))
    assert again.take_items(lambda t: sorted(t)) == [sorted(t) for t in shown]
    assert answer(call(lab, "GET", "/v1.41/tasks")).take_json() == shown


def test_listed_nodes_are_the_stores_own_shown_with_the_managers_status(lab):
    resp = answer(call(lab, "GET", "/v1.41/nodes"))
    assert resp.view is not None and any(k.startswith("_") for k in resp.objects[0])
    shown = json.loads(b"".join(resp.chunks()))  # as the socket writes it
    assert shown and not any(k.startswith("_") for n in shown for k in n)
    roles = {n["Description"]["Hostname"]: n["Spec"]["Role"] for n in shown}
    managed = {n["Description"]["Hostname"] for n in shown if "ManagerStatus" in n}
    assert managed == {name for name, role in roles.items() if role == "manager"} != set()
    assert sum(bool(n.get("ManagerStatus", {}).get("Leader")) for n in shown) == 1
    assert list(shown[0])[-1] == "ManagerStatus" or "ManagerStatus" not in shown[0]
    again = answer(call(lab, "GET", "/v1.41/nodes"))
    assert again.take_items(lambda n: n) == shown  # read whole: the node as shown
    assert answer(call(lab, "GET", "/v1.41/nodes")).take_json() == shown
