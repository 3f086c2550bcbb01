"""A response's JSON (engineapi/encoding.py): exactly what json.dumps writes, the store's
objects' JSON kept by identity — and never served for an object that changed."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from miniswarm import cli
from miniswarm.engineapi import encoding
from miniswarm.engineapi.router import Response, json_response, picks_fields
from miniswarm.lab import Lab
from miniswarm.manager.store import public


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode() + b"\n"


scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=12,
)
objects = st.dictionaries(st.text(max_size=6), values, max_size=6)


@given(st.lists(objects, max_size=5))
def test_a_list_of_objects_is_written_as_json_dumps_writes_it_twice_over(items):
    assert encoding.encode(items, store_objects=True) == dumps(items)
    # the second time from what was kept, the same bytes
    assert encoding.encode([dict(x) for x in items], store_objects=True) == dumps(items)


@given(values)
def test_any_value_is_written_as_json_dumps_writes_it(value):
    assert encoding.encode(value) == dumps(value)
    assert encoding.encode(value, store_objects=True) == dumps(value)


def test_a_new_object_in_the_same_place_is_written_anew():
    status = {"State": "running"}
    node = {"ID": "n1", "Status": status}
    assert encoding.encode([dict(node)], store_objects=True) == dumps([node])
    node["Status"] = {"State": "down"}  # the store replaces, never mutates: a new object
    assert b'"down"' in encoding.encode([dict(node)], store_objects=True)


def test_node_ls_shows_a_node_as_it_now_is():
    lab = Lab(seed=3)
    try:
        lab.form_swarm(["manager1"], ["worker1", "worker2"])
        fmt = ["--format", "{{.Hostname}} {{.Availability}}"]
        before = lab.docker("manager1", ["node", "ls", *fmt]).out
        assert "worker1 Active" in before
        drain = ["node", "update", "--availability", "drain", "worker1"]
        assert lab.docker("manager1", drain).status == 0
        lab.sleep(1)
        after = lab.docker("manager1", ["node", "ls", *fmt]).out
        assert "worker1 Drain" in after and "worker2 Active" in after
    finally:
        lab.close()


def test_the_client_reads_a_response_once_and_lets_go_of_its_bytes():
    answer = Response(200, encoding.encode([{"ID": "a"}], store_objects=True))
    assert answer.take_json() == [{"ID": "a"}]
    assert answer.body == b""  # not held beside what it was read into


@given(st.lists(values, max_size=6), st.sampled_from(["", " ", "\n", " \t\r\n "]))
def test_a_list_read_item_by_item_is_what_json_reads(items, space):
    compact = json.dumps(items, separators=(",", ":"))
    spaced = json.dumps(items, separators=(space + "," + space, ":" + space))
    for body in (compact, f"{space}[{space}{spaced[1:-1]}{space}]{space}\n"):
        seen: list = []
        assert Response(200, body.encode()).take_items(seen.append) == [None] * len(items)
        assert seen == json.loads(body) == items


@pytest.mark.parametrize("body", ["{}", "[1,", "[1 2]", "[1,]", "", "[", "[1]x"])
def test_what_is_not_a_json_list_is_refused_as_json_refuses_it(body):
    with pytest.raises(ValueError):
        Response(200, body.encode()).take_items(lambda item: item)


@pytest.mark.parametrize("count", [0, 1, 255, 256, 257, 600, encoding.KEPT_ITEMS + 1])
def test_a_listed_answer_is_written_and_read_as_its_whole_json_would_be(count):
    items = [{"ID": f"t{i}", "Status": {"State": "running"}, "Slot": i} for i in range(count)]
    whole = dumps(items)
    assert b"".join(Response(200, objects=items).chunks()) == whole
    assert Response(200, objects=items).body == whole
    assert Response(200, objects=items).take_json() == json.loads(whole)
    kept = Response(200, objects=items).take_items(lambda task: task["Status"]["State"])
    assert kept == ["running"] * count


def test_a_long_list_is_written_in_pieces_never_whole():
    items = [{"ID": f"t{i}"} for i in range(1000)]
    sizes = [len(chunk) for chunk in Response(200, objects=items).chunks()]
    assert sum(sizes) == len(dumps(items)) and max(sizes) < len(dumps(items)) // 3


def test_a_list_of_the_stores_objects_is_answered_as_it_is_read():
    response = json_response([{"ID": "a"}], store_objects=True)
    assert response.objects == [{"ID": "a"}]  # not encoded on the daemon's loop
    assert json_response([{"ID": "a"}]).objects is None


def test_what_a_client_keeps_of_a_listed_item_is_what_it_would_keep_of_its_json():
    items = [{"ID": "a", "Ports": (80, 443), "Spec": {"Env": ["X=1"]}}]
    kept = Response(200, objects=items).take_items(lambda t: {"ID": t["ID"], "P": t["Ports"]})
    assert kept == [{"ID": "a", "P": [80, 443]}]  # a JSON array, a list as the wire gives it
    assert Response(200, objects=items).take_json()[0]["Ports"] == [80, 443]


keys = st.text(max_size=5) | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
wire_values = st.recursive(
    scalars | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=12,
)


def _containers(value) -> list:
    if isinstance(value, dict):
        return [value, *(c for v in value.values() for c in _containers(v))]
    if isinstance(value, list):
        return [value, *(c for v in value for c in _containers(v))]
    return []


@given(wire_values)
@example([{"ID": "a", "Slot": 1}, {"ID": "b", "At": 1.5}])  # a listing's projections
@example([{"ID": "a"}, {1: "b"}])  # a key json writes as a string
@example([{"ID": "a"}, {"Ports": [{"P": 80}]}])  # one holds a list
@example([("n1", "worker1"), ["n2", "worker2"]])  # node IDs and names
@example([("n1", ["worker1"])])
def test_what_is_picked_reads_back_as_its_json_would_and_shares_nothing(value):
    text = json.dumps(value)
    back = encoding.through_json(value)
    assert back == json.loads(text) and json.dumps(back) == text  # types too: 1 is not 1.0
    assert not {id(c) for c in _containers(back)} & {id(c) for c in _containers(value)}


def test_a_value_json_cannot_write_is_refused_as_json_refuses_it():
    with pytest.raises(TypeError):
        encoding.through_json({"ID": "a", "At": object()})


def test_one_object_of_the_stores_is_read_whole_or_picked_as_its_json_would_be():
    node = {"ID": "n1", "Spec": {"Name": ""}, "Description": {"Hostname": "worker1"}}
    assert json_response(node, store_objects=True).body == dumps(node)
    assert json_response(node, store_objects=True).take_json() == node
    picked = json_response(node, store_objects=True).take_one(lambda n: n["Description"])
    assert picked == {"Hostname": "worker1"}
    assert Response(200, dumps(node)).take_one(lambda n: n["ID"]) == "n1"  # from bytes too


def test_one_object_read_as_a_list_is_refused_as_json_refuses_it():
    with pytest.raises(ValueError):
        json_response({"ID": "n1"}, store_objects=True).take_items(lambda item: item)


def test_a_keep_that_picks_fields_by_name_is_given_the_stored_object_not_a_shown_copy():
    stored = [{"ID": "a", "_service_name": "web"}]
    given_ = []

    @picks_fields("tasks")
    def pick(item: dict) -> dict:
        given_.append(item)
        return {"ID": item["ID"]}

    assert Response(200, objects=stored, view=public).take_items(pick) == [{"ID": "a"}]
    assert given_[0] is stored[0]
    # any other keep is given the object as shown: the store's own keys left out
    whole = Response(200, objects=stored, view=public).take_items(lambda item: item)
    assert whole == [{"ID": "a"}]


def _field_pickers() -> dict[str, list]:
    """The CLI's field pickers, by the kind of object each picks from."""
    pickers: dict[str, list] = {}
    for info in pkgutil.walk_packages(cli.__path__, "miniswarm.cli."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            kind = getattr(value, "picks_fields", None) if callable(value) else None
            if kind:
                pickers.setdefault(kind, []).append(value)
    return pickers


def test_every_field_picker_picks_of_a_stored_object_what_it_would_of_its_json(seed):
    pickers = _field_pickers()
    assert {f.__qualname__ for f in pickers["tasks"]} >= {"_as_listed", "_as_ordered"}
    assert {f.__qualname__ for f in pickers["nodes"]} >= {"_id_and_name"}
    lab = Lab(seed=seed)
    try:
        lab.form_swarm(["manager1"], ["worker1", "worker2"])
        for argv in (
            "service create -d --name web --replicas 3 -p mode=host,target=80,published=81 "
            "nginx",  # published ports
            "service create -d --name everywhere --mode global nginx",  # no slots
            "service create -d --name nowhere --constraint node.labels.x==y nginx",  # no node
            "service create -d --name broken no-such-image",  # errors
            "node update --label-add zone=a worker1",
        ):
            assert lab.docker("manager1", argv.split()).status == 0
        lab.sleep(30)
        manager = lab.kernel.host("manager1").process.manager
        stored = {kind: list(manager.store.all(kind)) for kind in ("tasks", "nodes")}
        tasks = stored["tasks"]
        assert any(k.startswith("_") for t in tasks for k in t)  # the store's own keys
        assert any("Err" in t["Status"] for t in tasks)
        assert any(t["Status"].get("PortStatus", {}).get("Ports") for t in tasks)
        assert any("NodeID" not in t for t in tasks) and any("Slot" not in t for t in tasks)
        shown = {"tasks": public, "nodes": manager.control.node_view}
        for kind, picks in pickers.items():
            for pick in picks:
                for obj in stored[kind]:
                    picked = pick(obj)
                    assert picked == pick(shown[kind](obj)), (pick.__qualname__, obj["ID"])
                    # given as JSON gives it: nothing to read back, nothing of the store's
                    assert json.loads(json.dumps(picked)) == picked
                    assert json.dumps(encoding.through_json(picked)) == json.dumps(picked)
                    shared = {id(c) for c in _containers(picked)} & {
                        id(c) for c in _containers(obj)
                    }
                    assert not shared, (pick.__qualname__, obj["ID"])
    finally:
        lab.close()
