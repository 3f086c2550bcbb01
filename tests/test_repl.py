"""The REPL as a student meets it: a prompt on a host, moving between hosts, the lab
commands that break things on purpose, completion — and nothing typed ever breaks it."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prompt_toolkit.document import Document

from miniswarm.completion import DockerCompleter
from miniswarm.i18n import t
from miniswarm.lab import Lab
from miniswarm.repl import Session, parse_hosts, run_lines


def session() -> Session:
    return Session(Lab())


def test_the_default_lab_is_the_recordings_five_hosts_on_the_notes_addresses():
    assert parse_hosts(None) == [
        ("manager1", "192.168.0.100"),
        ("manager2", "192.168.0.101"),
        ("manager3", "192.168.0.102"),
        ("worker1", "192.168.0.103"),
        ("worker2", "192.168.0.104"),
    ]
    assert [n for n, _ in parse_hosts("7")][-1] == "worker4"
    assert parse_hosts("a=10.0.0.1,b=10.0.0.2") == [("a", "10.0.0.1"), ("b", "10.0.0.2")]


def test_the_prompt_shows_the_host_and_ssh_moves_between_hosts():
    s = session()
    assert s.prompt == "manager1 $ "
    assert s.feed("ssh worker1") == ""
    assert s.prompt == "worker1 $ "
    assert s.feed("docker info --format '{{.Name}}'") == "worker1\n"
    assert s.feed("exit") == "logout\nConnection to worker1 closed.\n"
    assert s.prompt == "manager1 $ "
    assert s.feed("ssh 192.168.0.104") == "" and s.host == "worker2"
    assert s.feed("ssh nowhere") == (
        "ssh: Could not resolve hostname nowhere: Name or service not known\n"
    )
    s.feed("exit")
    s.feed("exit")
    assert s.done


def test_a_docker_command_can_be_aimed_at_another_host():
    s = session()
    assert s.feed("docker -H worker2 info --format '{{.Name}}'") == "worker2\n"
    assert s.feed("docker -H tcp://192.168.0.101:2375 info --format '{{.Name}}'") == "manager2\n"
    assert s.host == "manager1"


def test_a_line_ending_in_a_backslash_goes_on_on_the_next():
    s = session()
    assert s.feed("docker swarm init \\") == ""
    assert s.prompt == "> "
    out = s.feed("  --advertise-addr 192.168.0.100")
    assert out.startswith("Swarm initialized: current node (")
    assert s.prompt == "manager1 $ "


def test_lab_commands_crash_restart_partition_and_let_time_pass():
    s = session()
    s.feed("docker swarm init --advertise-addr 192.168.0.100")
    token = s.feed("docker swarm join-token -q worker").strip()
    s.feed("ssh worker1")
    assert s.feed(f"docker swarm join --token {token} 192.168.0.100:2377") == (
        "This node joined a swarm as a worker.\n"
    )
    s.feed("exit")
    assert s.feed("lab stop worker1") == ""
    assert s.feed("ssh worker1") == "ssh: connect to host worker1 port 22: No route to host\n"
    assert s.feed("echo $?") == "255\n"
    assert s.feed("lab sleep 20") == ""
    assert "worker1    Down" in s.feed("docker node ls")
    s.feed("lab start worker1")
    s.feed("lab sleep 2")
    assert "worker1    Ready" in s.feed("docker node ls")
    s.feed("lab partition manager1 / worker1")
    s.feed("lab sleep 20")
    assert "worker1    Down" in s.feed("docker node ls")
    s.feed("lab heal")
    s.feed("lab sleep 10")
    assert "worker1    Ready" in s.feed("docker node ls")
    status = s.feed("lab status")
    rows = [line.split("  ") for line in status.splitlines()]
    cells = [[c.strip() for c in row if c.strip()] for row in rows]
    assert cells[1] == ["HOST", "ADDRESS", "POWER", "SWARM", "RAFT"]
    assert cells[3][:4] == ["manager1", "192.168.0.100", "up", "manager (active)"]
    assert cells[3][4].startswith("raft: leader") and "leader manager1" in cells[3][4]
    assert ["worker1", "192.168.0.103", "up", "worker (active)"] in cells
    assert status.startswith(f"seed {s.lab.kernel.seed} ")


def test_lab_commands_explain_their_mistakes_with_a_usage_line_and_change_nothing():
    s = session()
    hosts = "manager1 manager2 manager3 worker1 worker2"
    assert s.feed("lab").startswith("usage: lab stop HOST...")
    assert s.feed("echo $?") == "2\n"
    assert s.feed("lab stop nosuch") == f"lab stop: no such host: nosuch (the lab has {hosts})\n"
    assert s.feed("lab stop") == (
        "lab stop: name at least one host\nusage: lab stop HOST...  (the hosts lose power)\n"
    )
    assert s.feed("lab partition manager1 / nosuch").startswith("lab partition: no such host")
    assert s.feed("lab partition manager1 / manager1").startswith(
        "lab partition: a host can be in only one group: manager1\n"
    )
    assert s.feed("lab sleep abc") == (
        "lab sleep: invalid time interval 'abc'\n"
        "usage: lab sleep SECONDS  (let time pass: 30, 2.5, 1m)\n"
    )
    assert s.feed("lab heal now") == (
        "lab heal: unexpected argument 'now'\nusage: lab heal  (mend the network)\n"
    )
    assert s.feed("lab dance").startswith("lab: unknown action 'dance'\nusage: lab stop")
    assert s.feed("lab start manager1") == "lab start: manager1 is already running\n"
    assert all(s.lab.kernel.hosts[h].up for h in s.lab.names)
    assert s.feed("help") == t("help") + "\n"


def test_lab_actions_are_shell_commands_several_hosts_at_once():
    s = session()
    s.feed("docker swarm init --advertise-addr 192.168.0.100")
    assert s.feed("lab stop manager2 manager3 && echo both down; lab status | grep -c down") == (
        "both down\n2\n"
    )
    start = s.lab.now()
    assert s.feed("lab sleep 30; docker node ls -q | wc -l") == "1\n"
    assert 30 <= s.lab.now() - start < 31
    assert s.feed("docker service ls; lab status | grep -c up") == (
        "ID        NAME      MODE      REPLICAS   IMAGE     PORTS\n3\n"
    )
    assert s.feed("timeout 5 lab sleep 60; echo $?") == "124\n"


def test_commands_piped_in_run_as_if_typed():
    out = io.StringIO()
    lines = ["docker info | grep Swarm\n", "echo 'a\n", "b'\n", "exit\n", "echo never\n"]
    run_lines(Session(Lab()), lines, out)
    assert out.getvalue() == (
        "manager1 $ docker info | grep Swarm\n Swarm: inactive\n"
        "manager1 $ echo 'a\n> b'\na\nb\nmanager1 $ exit\n"
    )


def test_completion_offers_docker_commands_flags_and_hosts():
    completer = DockerCompleter(session())

    def complete(text: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text), None)]

    assert complete("doc") == ["docker"]
    assert complete("docker sw") == ["swarm"]
    assert complete("docker swarm ") == [
        "ca",
        "init",
        "join",
        "join-token",
        "leave",
        "unlock",
        "unlock-key",
        "update",
    ]
    assert "--availability" in complete("docker node update --av")
    # the lab's commands, not those it leaves out
    assert complete("docker ") == [
        "config", "container", "exec", "info", "inspect", "kill", "logs", "network", "node",
        "ps", "rm", "secret", "service", "stop", "swarm", "system", "version",
    ]  # fmt: skip
    assert complete("docker r") == ["rm"]
    assert complete("ssh work") == ["worker1", "worker2"]
    assert "watch" in complete("wa") and "grep" in complete("gr")
    assert complete("docker -H man") == ["manager1", "manager2", "manager3"]
    assert complete("lab s") == ["stop", "start", "sleep", "status", "save", "speed", "step"]


def test_completion_offers_what_exists_now_and_the_words_a_flag_takes():
    from labshell import ok, swarm_lab

    lab = next(swarm_lab(7))
    ok(lab, "docker service create -d --name web nginx; docker service create -d --name api nginx")
    ok(lab, "printf pw | docker secret create db_pw -; lab sleep 5")
    s = Session(lab)
    completer = DockerCompleter(s)

    def complete(text: str) -> list[str]:
        return [c.text for c in completer.get_completions(Document(text), None)]

    assert complete("docker service ps ") == ["api", "web"]
    assert complete("docker service scale w") == ["web="]
    assert complete("docker node update --availability d") == ["drain"]
    assert complete("docker service create --mode=gl") == ["--mode=global", "--mode=global-job"]
    assert complete("docker service update --secret-add ") == ["db_pw"]
    assert complete("docker service create --secret ") == ["db_pw"]
    assert complete("docker node promote work") == ["worker1", "worker2"]
    assert complete("lab watch ") == ["map", "raft", "off"]
    menu = {
        c.text: c.display_meta_text
        for c in completer.get_completions(Document("docker service create --repl"), None)
    }
    assert menu["--replicas"] == "Number of tasks"
    # a worker sees no swarm objects: it is not a manager
    s.run("ssh worker1", lambda _: None, lambda _: None)
    assert complete("docker service ps ") == []
    lab.close()


def _state(lab: Lab) -> list:
    def of(daemon):
        m = daemon.manager
        return json.dumps(daemon.state, sort_keys=True), m.store.snapshot() if m else None

    return [lab.kernel.call(h, of) for h in lab.names]


@settings(
    max_examples=100, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40), max_size=4
    )
)
def test_nothing_typed_breaks_the_repl_and_junk_changes_nothing(lines):
    lab = Lab()
    lab.form_swarm(["manager1"], ["worker1"])
    s = Session(lab)
    before = _state(lab)
    for line in lines:
        out = s.feed(line)
        assert isinstance(out, str)
        assert "internal error" not in out and "Traceback" not in out
    s.pending = ""
    if not any(w in line for line in lines for w in ("docker", "lab", "ssh")):
        assert _state(lab) == before


def test_a_docker_command_the_lab_leaves_out_says_so_and_why():
    s = session()
    out = s.feed("docker run -it ubuntu bash")
    assert out == t("docker.left_out", command="run") + "\n"
    assert s.feed("echo $?") == "1\n"
    assert "\n  run " not in s.feed("docker --help")
    assert s.feed("docker --help").rstrip().endswith("stack, start, stats, tag, top, trust, "
                                                     "unpause, update, volume, wait")  # fmt: skip


def test_the_line_being_typed_is_coloured_as_a_shell_editor_colours_it():
    from miniswarm.lexer import colour_line

    line = "docker service create --name web -e 'A=b c' nginx | grep -c $HOST && lab map"
    styled = [(style, text) for style, text in colour_line(line) if text.strip()]
    assert "".join(text for _, text in colour_line(line)) == line  # nothing lost
    assert styled[0] == ("ansigreen bold", "docker")
    assert ("ansicyan", "--name") in styled and ("ansiyellow", "'A=b c'") in styled
    assert ("ansimagenta", "|") in styled and ("ansigreen bold", "grep") in styled
    assert ("ansiblue", "$HOST") in styled and ("ansigreen bold", "lab") in styled
    assert ("", "web") in styled  # an argument is plain


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_colouring_never_loses_or_changes_what_is_typed(line):
    from miniswarm.lexer import colour_line

    assert "".join(text for _, text in colour_line(line)) == line


def test_help_lab_and_help_lesson_in_the_chosen_language():
    s = session()
    assert s.feed("help lab") == t("lab.usage") + "\n"
    assert s.feed("help lesson").startswith(t("tutor.lesson_usage"))
    assert s.feed("help nothing") == (
        "help: no help on 'nothing': try help, help lab or help lesson\n"
    )
