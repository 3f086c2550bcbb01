"""What real swarm hides, drawn: `lab map` (the nodes and the tasks each runs) and
`lab raft` (each manager's Raft). Snapshots of known states on SimDriver — a fresh lab, a
swarm with services, a rolling update, a failover, a partition — and the drawing alone,
from pictures made by hand."""

from __future__ import annotations

import re

import pytest
from labshell import ok, sh, swarm_lab
from prompt_toolkit.utils import get_cwidth

from miniswarm import views
from miniswarm.lab import Lab
from miniswarm.raft import Config, Entry
from miniswarm.raftnode import Packet
from miniswarm.shell import Shell


@pytest.fixture
def lab(seed):
    yield from swarm_lab(seed)


def boxes(text: str) -> list[str]:
    """The tasks' box titles in a map, as 'web.1 1.24'."""
    out = []
    for line in text.splitlines():
        for part in line.split("┌")[1:]:
            title = part.split("┐")[0]
            name, _, tag = title.partition("─")
            out.append(f"{name} {tag.strip('─')}")
    return out


def test_a_lab_with_no_swarm_has_no_raft_and_no_map():
    lab = Lab(seed=1)
    sh = Shell(lab, "manager1")
    assert sh.run("lab raft").text == views.t("view.raft.none") + "\n"
    assert sh.run("lab map").text == views.t("view.map.no_leader") + "\n"


def test_the_map_shows_every_node_and_the_tasks_it_runs(lab):
    ok(lab, "docker service create -d --name web --replicas 4 nginx:1.24")
    ok(lab, "docker service create -d --name big --reserve-memory 100g nginx")
    ok(lab, "docker node update --availability drain worker2; lab sleep 10")
    text = ok(lab, "lab map")
    header = text.splitlines()[0].split()
    assert header[:2] == ["manager1", "*"]  # the leader, marked
    assert [w for w in header if w != "*"] == [
        "manager1",
        "manager2",
        "manager3",
        "worker1",
        "worker2",
    ]
    assert "Ready DRAIN" in text  # a drained node, plainly
    assert sorted(boxes(text)) == [f"web.{n} 1.24" for n in range(1, 5)]
    pending = text.split(views.t("view.map.pending"))[1]
    assert pending.strip().startswith("big.1: no suitable node (insufficient resources")
    assert all(get_cwidth(line) <= 80 for line in text.splitlines())


def test_a_rolling_update_shows_old_and_new_side_by_side_and_no_slot_goes_missing(lab):
    ok(lab, "docker service create -d --name web --replicas 4 --update-delay 10s nginx:1.24")
    ok(lab, "lab sleep 10; docker service update -d --image nginx:1.25 web; lab sleep 12")
    text = ok(lab, "lab map")
    tags = boxes(text)
    assert any(b.endswith(" 1.24") for b in tags) and any(b.endswith(" 1.25") for b in tags)
    assert {b.split()[0] for b in tags} == {f"web.{n}" for n in range(1, 5)}


def test_the_raft_view_after_a_failover(lab):
    ok(lab, "docker service create -d --name web nginx; lab sleep 5")
    before = views.raft_picture(lab)
    assert [m.role for m in before.members] == ["leader", "follower", "follower"]
    assert len({m.last_index for m in before.members}) == 1
    lab.stop("manager1")
    lab.sleep(30)
    text = ok(lab, "lab raft", host="manager2")
    assert text.splitlines()[0] == "manager1   " + views.t("view.down")
    after = [m for m in views.raft_picture(lab).members if m.up]
    leader = [m for m in after if m.role == "leader"]
    assert len(leader) == 1 and leader[0].term > before.members[0].term
    assert all(m.leader == leader[0].host for m in after)
    assert f"{leader[0].host:<11}leader *" in text


def test_a_partition_is_drawn_and_the_minority_cannot_commit(lab):
    ok(lab, "lab partition manager1 / manager2 manager3 worker1 worker2")
    ok(lab, "lab sleep 30", host="manager2")
    text = ok(lab, "lab raft", host="manager2")
    assert text.splitlines()[0] == (
        views.t("view.partition") + "  manager1  |  manager2 manager3 worker1 worker2"
    )
    picture = views.raft_picture(lab)
    cut_off = next(m for m in picture.members if m.host == "manager1")
    majority = [m for m in picture.members if m.host != "manager1"]
    assert cut_off.role != "leader" and cut_off.commit < max(m.commit for m in majority)


def test_messages_on_the_wire_between_managers_are_shown(lab):
    k = lab.kernel
    ok(lab, "lab pause")
    while not any(isinstance(m, Packet) for _, _, _, m in k.in_flight()):
        k.step()  # one event at a time, until a Raft message is on its way
    text = ok(lab, "lab raft")
    wire = text.split(views.t("view.raft.flight"))[1].strip().splitlines()
    assert wire and all(" -> manager" in line and "(term " in line for line in wire)


def test_log_entries_in_words():
    names = {"m1": "manager1", "m2": "manager2", "m3": "manager3"}
    two = Config(voters=frozenset({"m1", "m2"}))
    three = Entry(5, 9, config=Config(voters=frozenset({"m1", "m2", "m3"})))
    assert views.entry_words(three, None, names, two) == "config: add manager3"
    one = Entry(5, 10, config=Config(voters=frozenset({"m1"})))
    assert views.entry_words(one, None, names, two) == "config: remove manager2"
    assert views.entry_words(Entry(6, 11), None, names, two) == views.t("view.raft.noop")


def test_the_map_bands_nine_nodes_into_80_columns_and_colours_only_when_asked():
    nodes = [
        views.NodeColumn(f"node{i}", f"10.0.0.{i}", "worker", "", "Ready", "Active",
                         [(f"web.{i}", "nginx:1.25", "running")])
        for i in range(1, 10)
    ]  # fmt: skip
    picture = views.ClusterPicture("node1", nodes, [], ["web"])
    plain = views.draw_map(picture, 80)
    assert all(get_cwidth(line) <= 80 for line in plain.splitlines())
    assert plain.count("node") == 9 and "\x1b[" not in plain
    assert [line.split()[0] for line in plain.splitlines() if line.startswith("node")] == [
        "node1",
        "node6",
    ]  # two bands: five nodes, then four
    coloured = views.draw_map(picture, 80, colour=True)
    assert "\x1b[38;5;" in coloured


def test_the_toolbar_says_where_you_are_who_leads_and_what_time_it_is():
    from miniswarm.repl import Session, _toolbar

    s = Session(Lab(seed=4))
    assert _toolbar(s) == " manager1 (no swarm) │ 00:00 1× │ 'help' for help"
    s.lab.form_swarm(["manager1", "manager2", "manager3"], ["worker1", "worker2"])
    s.lab.sleep(5)
    s.bar = (0.0, "", None)  # look again now
    bar = _toolbar(s)
    assert bar.startswith(" manager1 (manager) │ leader manager1 │ Ready 5/5 │ managers 3/3 │ ")
    assert len(bar.split(" │ 'help'")[0]) <= 80
    worker = views.toolbar_facts(s.lab, "worker2")  # a worker finds the leader through its managers
    assert (worker.role, worker.leader, worker.nodes) == ("worker", "manager1", 5)
    s.lab.stop("manager1")
    s.lab.stop("manager2")
    s.lab.sleep(30)
    s.run("ssh manager3", lambda _: None, lambda _: None)
    s.lab.kernel.pause()
    s.bar = (0.0, "", None)
    assert _toolbar(s).startswith(" manager3 (manager) │ no leader │ ")
    assert " paused │ " in _toolbar(s)


def test_lab_watch_keeps_a_view_above_the_prompt_cut_to_the_terminal():
    import sys

    sys.path.insert(0, "tests")
    from terminal import Student

    lab = Lab(seed=6)
    lab.form_swarm(["manager1", "manager2", "manager3"], ["worker1", "worker2"])
    s = Student(lab, width=80, height=24)
    s.line("lab watch map")
    s.line("docker service create -d --name web --replicas 20 nginx; sleep 5")
    s.line("lab watch raft")
    s.run()
    screen = s.screen()
    assert "lab map stays above the prompt, redrawn every second (lab watch off ends it)." in screen
    # the line typed under a live view is still on the screen as typed
    assert "manager1 $ docker service create -d --name web --replicas 20 nginx; sleep 5" in screen
    assert s.session.watch == "raft"
    s.session.watch = "map"
    pane = s.repl._pane().rstrip("\n").split("\n")
    assert len(pane) <= 24 - 8 + 1  # room left for the prompt and some output
    assert pane[-1] == "──── lab map (live; lab watch off) ────"
    assert pane[-2].startswith("… (+")  # 20 tasks do not fit in 24 rows: said, not hidden
    assert all(get_cwidth(re.sub(r"\x1b\[[0-9;]*m", "", line)) <= 80 for line in pane)


def test_lab_watch_needs_a_terminal():
    sh = Shell(Lab(seed=1), "manager1")
    out = sh.run("lab watch map")
    assert (out.text, out.status) == (
        "lab watch: only at miniswarm's own prompt, on a terminal\n",
        1,
    )


def test_lab_why_gives_the_schedulers_reasons_node_by_node(lab):
    ok(lab, "docker service create -d --name big --reserve-memory 100g nginx")
    ok(lab, "docker service create -d --name off --constraint node.role==worker nginx")
    ok(lab, "docker node update --availability drain worker2; lab sleep 10")
    big = ok(lab, "lab why big").splitlines()
    assert big[0].startswith("big.1 (task ") and "is pending: no suitable node (" in big[0]
    reasons = dict(line.split(None, 1) for line in big[2:])
    assert reasons["worker2"] == "refused: availability drain: no new tasks"
    assert {reasons[h] for h in ("manager1", "manager2", "manager3", "worker1")} == {
        "refused: not enough CPU or memory left for its reservation"
    }
    off = ok(lab, "lab why off.1").splitlines()
    assert off[0].endswith("is running on worker1.")
    assert off[2].split(None, 1) == ["worker1", "fits: 0 task(s) of off, 0 in all"]
    assert sum("its placement constraints do not match" in line for line in off) == 3
    assert sh(lab, "lab why nope") == ("lab why: no task or service 'nope'\n", 1)


def test_big_pictures_count_what_they_do_not_draw():
    from miniswarm.manager.store import Batch, Change

    tasks = [(f"web.{k}", "nginx:1.25", "running") for k in range(1, 11)]
    node = views.NodeColumn("node1", "10.0.0.1", "worker", "", "Ready", "Active", tasks)
    text = views.draw_map(views.ClusterPicture("node1", [node], [], ["web"]), 80)
    assert len(boxes(text)) == views.BOXES and "… +2 more" in text
    batch = Batch(tuple(Change("update", "secrets", {"ID": f"s{k}", "Spec": {"Name": f"s{k}"}})
                        for k in range(100)))  # fmt: skip
    words = views.entry_words(Entry(2, 7, data=batch), None, {}, Config())
    assert words == "secret.update s0 s1 +62; +36 more changes"


def test_a_dumb_terminal_gets_plain_text(monkeypatch):
    import sys

    sys.path.insert(0, "tests")
    from terminal import Student

    monkeypatch.setenv("TERM", "dumb")
    lab = Lab(seed=6)
    lab.form_swarm(["manager1"], ["worker1"])
    Shell(lab, "manager1").run("docker service create -d --name web --replicas 2 nginx; sleep 5")
    s = Student(lab, width=80, height=24)
    s.session.watch = "map"
    assert not s.repl.colour
    pane = s.repl._pane()
    assert "\x1b[" not in pane and "┌web.1" in pane
    tty = Shell(lab, "manager1", tty=True)
    assert "\x1b[" not in tty.run("lab map").text
    monkeypatch.setenv("TERM", "xterm-256color")
    assert "\x1b[38;5;" in Shell(lab, "manager1", tty=True).run("lab map").text


def test_a_configuration_entry_says_what_it_changed_from_the_one_before(lab):
    first = views.raft_picture(lab)  # three managers joined: the log's config entries
    ok(lab, "docker node demote manager3; lab sleep 5")
    text = ok(lab, "lab raft")
    assert "config: remove manager3" in text
    assert first.members[0].term == views.raft_picture(lab).members[0].term
