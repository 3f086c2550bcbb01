"""The little shell around docker that students' notes use: pipes into the text tools,
quotes as sh reads them, redirections into files on the simulated host, here-strings,
`&&`/`||`/`;`, `timeout`. Errors read as a shell's, with a shell's exit statuses."""

from __future__ import annotations

import pytest

from miniswarm.lab import Lab
from miniswarm.shell import Shell


@pytest.fixture(scope="module")
def swarm() -> Lab:
    lab = Lab()
    lab.form_swarm(["manager1", "manager2", "manager3"], ["worker1", "worker2"])
    return lab


def sh(lab: Lab, line: str, host: str = "manager1") -> tuple[str, str, int]:
    out = Shell(lab, host).run(line)
    return out.stdout, out.stderr, out.status


def test_docker_info_into_grep_as_in_the_notes():
    lab = Lab()
    assert sh(lab, "docker info | grep Swarm") == (" Swarm: inactive\n", "", 0)
    assert sh(lab, "docker info | grep -c Nothing-like-this") == ("0\n", "", 1)


def test_counting_and_picking_lines_of_docker_output(swarm):
    assert sh(swarm, "docker node ls | grep Leader | wc -l") == ("1\n", "", 0)
    assert sh(swarm, "docker node ls -q | wc -l") == ("5\n", "", 0)
    out, _, _ = sh(swarm, "docker node ls --format '{{.Hostname}}' | sort -r | head -n 2")
    assert out == "worker2\nworker1\n"
    out, _, _ = sh(swarm, "docker node ls | tail -n +2 | cut -c31-40 | tr -d ' ' | sort")
    assert out == "manager1\nmanager2\nmanager3\nworker1\nworker2\n"
    out, _, _ = sh(swarm, "docker info | sed -n '/Swarm:/,/Is Manager:/p'")
    assert out.splitlines()[0] == " Swarm: active"
    assert out.splitlines()[-1] == "  Is Manager: true"


def test_quotes_and_escapes_as_sh_reads_them():
    lab = Lab([("h", "10.0.0.1")])
    assert sh(lab, "echo \"a  b\" 'c  $d' e\\ f", "h") == ("a  b c  $d e f\n", "", 0)
    assert sh(lab, "printf '%s-%s\\n' 1 2 3 4", "h") == ("1-2\n3-4\n", "", 0)
    assert sh(lab, "echo -n x; echo y", "h") == ("xy\n", "", 0)


def test_files_on_the_host_outlive_the_command_line():
    lab = Lab([("a", "10.0.0.1"), ("b", "10.0.0.2")])
    assert sh(lab, "echo one > notes.txt && echo two >> notes.txt", "a") == ("", "", 0)
    assert sh(lab, "cat notes.txt", "a") == ("one\ntwo\n", "", 0)
    assert sh(lab, "sort -r < notes.txt", "a") == ("two\none\n", "", 0)
    # Another host has files of its own.
    assert sh(lab, "cat notes.txt", "b") == ("", "cat: notes.txt: No such file or directory\n", 1)


def test_here_strings_and_pipes_feed_standard_input():
    lab = Lab([("h", "10.0.0.1")])
    assert sh(lab, "cat <<< 'abc'", "h") == ("abc\n", "", 0)
    assert sh(lab, "printf 'b\\na\\nb\\n' | sort | uniq -c", "h") == (
        "      1 a\n      2 b\n",
        "",
        0,
    )
    assert sh(lab, "echo hello | tee copy.txt | tr a-z A-Z", "h") == ("HELLO\n", "", 0)
    assert sh(lab, "cat copy.txt", "h") == ("hello\n", "", 0)


def test_and_or_and_semicolons_follow_exit_statuses():
    lab = Lab([("h", "10.0.0.1")])
    assert sh(lab, "false && echo no || echo yes", "h") == ("yes\n", "", 0)
    assert sh(lab, "true || echo no; echo always", "h") == ("always\n", "", 0)
    assert sh(lab, "false", "h") == ("", "", 1)


def test_standard_error_can_be_merged_or_dropped(swarm):
    _, err, status = sh(swarm, "docker node ls", "worker1")
    assert status == 1 and err.startswith("Error response from daemon: This node is not")
    out, err, _ = sh(swarm, "docker node ls 2>&1 | grep -c 'not a swarm manager'", "worker1")
    assert (out, err) == ("1\n", "")
    assert sh(swarm, "docker node ls 2>/dev/null", "worker1") == ("", "", 1)


def test_timeout_stops_a_command_when_its_time_is_up(swarm):
    start = swarm.now()
    assert sh(swarm, "timeout 5 sleep 10") == ("", "", 124)
    assert 5.0 <= swarm.now() - start < 5.5
    assert sh(swarm, "timeout 5 sleep 1") == ("", "", 0)


def test_timeout_stops_a_docker_command_waiting_for_a_leader():
    lab = Lab()
    lab.form_swarm(["manager1", "manager2", "manager3"], [])
    lab.stop("manager1")
    lab.stop("manager2")
    start = lab.now()
    assert sh(lab, "timeout 3 docker node ls", "manager3") == ("", "", 124)
    assert 3.0 <= lab.now() - start < 3.5


@pytest.mark.parametrize(
    ("line", "err", "status"),
    [
        ("nosuch --flag", "-bash: nosuch: command not found\n", 127),
        ("echo 'open", "-bash: unexpected EOF while looking for matching `''\n", 2),
        ("| grep x", "-bash: syntax error near unexpected token `|'\n", 2),
        ("echo x >", "-bash: syntax error near unexpected token `newline'\n", 2),
        ("echo a ;; echo b", "-bash: syntax error near unexpected token `;;'\n", 2),
        (
            "grep",
            "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n",
            2,
        ),  # fmt: skip
        (
            "grep -z x",
            "grep: invalid option -- 'z'\nUsage: grep [OPTION]... PATTERNS [FILE]...\n"
            "Try 'grep --help' for more information.\n",
            2,
        ),  # fmt: skip
        (
            "grep -A",
            "grep: option requires an argument -- 'A'\n"
            "Usage: grep [OPTION]... PATTERNS [FILE]...\n"
            "Try 'grep --help' for more information.\n",
            2,
        ),  # fmt: skip
        ("head -q -z", "head: invalid option -- 'z'\nTry 'head --help' for more information.\n", 1),
        (
            "sort --bogus",
            "sort: unrecognized option '--bogus'\nTry 'sort --help' for more information.\n",
            2,
        ),  # fmt: skip
        ("wc -x", "wc: invalid option -- 'x'\nTry 'wc --help' for more information.\n", 1),
        (
            "cut -f",
            "cut: option requires an argument -- 'f'\nTry 'cut --help' for more information.\n",
            1,
        ),  # fmt: skip
        (
            "sleep soon",
            "sleep: invalid time interval 'soon'\nTry 'sleep --help' for more information.\n",
            1,
        ),  # fmt: skip
        (
            "timeout 5",
            "timeout: missing operand\nTry 'timeout --help' for more information.\n",
            125,
        ),  # fmt: skip
        ("cat < nofile", "-bash: nofile: No such file or directory\n", 1),
        ("echo ${x", "-bash: unexpected EOF while looking for matching `}'\n", 2),
        ("echo $((1/0))", "-bash: 1/0: division by 0 in expression\n", 1),
    ],
)
def test_mistakes_get_a_shells_errors(line, err, status):
    lab = Lab([("h", "10.0.0.1")])
    assert sh(lab, line, "h") == ("", err, status)
