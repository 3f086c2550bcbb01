"""The little shell around docker that students' notes use: pipes into the text tools,
quotes as sh reads them, redirections into files on the simulated host, here-strings,
`&&`/`||`/`;`, `timeout`. Errors read as a shell's, with a shell's exit statuses."""

from __future__ import annotations

import base64

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


def test_printf_and_echo_e_take_bashs_escapes_and_conversions():
    lab = Lab([("h", "10.0.0.1")])
    assert sh(lab, r"printf '%5.2f|%x|%o|%c|%q\n' 3.14159 255 8 hello 'a b'", "h") == (
        " 3.14|ff|10|h|a\\ b\n",
        "",
        0,
    )
    assert sh(lab, r"printf '\x41\101\u00e9%%\n'", "h") == ("AAé%\n", "", 0)
    assert sh(lab, r"echo -e 'a\tb\0101\c'; echo", "h") == ("a\tbA\n", "", 0)
    assert sh(lab, "printf '%d\n' abc", "h") == ("0\n", "-bash: printf: abc: invalid number\n", 1)


def test_a_byte_that_is_not_utf8_goes_through_pipes_files_and_secrets_as_that_byte():
    lab = Lab([("h", "10.0.0.1")])
    lab.form_swarm(["h"], [])
    assert sh(lab, r"printf '\xff' | wc -c", "h") == ("1\n", "", 0)
    assert sh(lab, r"printf '\xff\xfe' > bin; cat bin | wc -c", "h") == ("2\n", "", 0)
    out, _, status = sh(lab, r"printf '\xff' | docker secret create s -", "h")
    assert status == 0
    store = lab.kernel.host("h").process.manager.store
    (secret,) = [s for s in store.all("secrets") if s["Spec"]["Name"] == "s"]
    assert base64.b64decode(secret["Spec"]["Data"]) == b"\xff"


def test_the_last_line_without_a_newline_stays_without_one_through_cat_tee_and_head():
    lab = Lab([("h", "10.0.0.1")])
    assert sh(lab, "printf 'a\\nb' | cat | wc -c", "h") == ("3\n", "", 0)
    assert sh(lab, "printf 'pw' | tee f | head -n 5 | wc -c; wc -c f", "h") == ("2\n2 f\n", "", 0)
    assert sh(lab, "printf 'pw' > g; cat g g", "h") == ("pwpw", "", 0)


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


# -- what tutorials type -------------------------------------------------------------------------


def test_a_token_kept_in_a_variable_joins_a_worker():
    lab = Lab()
    out, _, status = sh(lab, "docker swarm init --advertise-addr 192.168.0.100 >/dev/null")
    assert status == 0
    shell = Shell(lab, "worker1")
    # a variable lives as long as the login: the next line still has it
    assert shell.run("TOKEN=$(ssh manager1 docker swarm join-token -q worker)").status == 0
    out = shell.run("docker swarm join --token $TOKEN 192.168.0.100:2377")
    assert out.text == "This node joined a swarm as a worker.\n"
    assert shell.run('echo "${#TOKEN} chars, starts ${TOKEN:0:9}"').stdout == (
        "85 chars, starts SWMTKN-1-\n"
    )
    assert shell.run('echo "${TOKEN%%-*}" "${TOKEN#SWMTKN-1-}" | wc -c').stdout == "84\n"
    assert shell.run('echo "${TOKEN%%-*}"').stdout == "SWMTKN\n"


def test_command_substitution_backquotes_and_the_last_status(swarm):
    ok_ = sh(swarm, "docker service create -d --name a nginx >/dev/null; "
             "docker service create -d --name b nginx > /dev/null")  # fmt: skip
    assert ok_[2] == 0
    assert sh(swarm, "docker service ls -q | wc -l") == ("2\n", "", 0)
    assert sh(swarm, "docker service rm $(docker service ls -q) | wc -l") == ("2\n", "", 0)
    assert sh(swarm, "docker service rm $(docker service ls -q)")[1].startswith(
        "docker: 'docker service rm' requires at least 1 argument"
    )
    assert sh(swarm, "echo `echo inner` $(echo $(echo nested))") == ("inner nested\n", "", 0)
    assert sh(swarm, "false; echo $?; true; echo $?") == ("1\n0\n", "", 0)
    assert sh(swarm, "docker service ps nosuch 2> /dev/null; echo $?")[0] == "1\n"
    assert sh(swarm, "X=$(false); echo $?") == ("1\n", "", 0)


def test_quoting_splitting_and_parameters_as_bash_does():
    lab = Lab([("h", "10.0.0.1")])
    assert sh(lab, "A='a  b'; printf '[%s]' $A \"$A\"; echo", "h") == ("[a][b][a  b]\n", "", 0)
    assert sh(lab, 'E=; printf "[%s]" $E "$E" x; echo', "h") == ("[][x]\n", "", 0)
    assert sh(lab, "echo ${U:-default} ${U-x} ${#HOSTNAME} $((2 ** 10 / 3))", "h") == (
        "default x 1 341\n",
        "",
        0,
    )
    assert sh(lab, "N=3; for i in $(seq $N); do echo -n $i; done; echo", "h") == ("123\n", "", 0)
    assert sh(lab, "i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i", "h") == ("3\n", "", 0)
    assert sh(lab, "if true; then echo yes; else echo no; fi", "h") == ("yes\n", "", 0)
    assert sh(lab, "cat <<EOF\nhost $HOSTNAME\nEOF", "h") == ("host h\n", "", 0)
    assert sh(lab, "cat <<'EOF'\nhost $HOSTNAME\nEOF", "h") == ("host $HOSTNAME\n", "", 0)
    assert sh(lab, "(X=inner; exit 3); echo $? ${X:-unset}", "h") == ("3 unset\n", "", 0)
    assert sh(lab, "{ echo a; echo b; } | sort -r", "h") == ("b\na\n", "", 0)


def test_the_text_tools_take_their_common_flags(swarm):
    text = "alpha 3\nbeta 10\ngamma 2\nBeta 7\n"
    lab = Lab([("h", "10.0.0.1")])
    lab.files["h"]["t.txt"] = text
    cases = {
        "grep -i beta t.txt": "beta 10\nBeta 7\n",
        "grep -v beta t.txt": "alpha 3\ngamma 2\nBeta 7\n",
        "grep -c a t.txt": "4\n",
        "grep -E 'ta [0-9]+$' t.txt": "beta 10\nBeta 7\n",
        "grep -o '[0-9]\\+' t.txt": "3\n10\n2\n7\n",
        "grep -w alp t.txt; echo $?": "1\n",
        "grep -A1 alpha t.txt": "alpha 3\nbeta 10\n",
        "grep -B1 gamma t.txt": "beta 10\ngamma 2\n",
        "grep -C1 -n gamma t.txt": "2-beta 10\n3:gamma 2\n4-Beta 7\n",
        "grep -A0 -e alpha -e gamma t.txt": "alpha 3\n--\ngamma 2\n",
        "head -n 2 t.txt": "alpha 3\nbeta 10\n",
        "head -1 t.txt": "alpha 3\n",
        "tail -n 1 t.txt": "Beta 7\n",
        "tail -n +3 t.txt": "gamma 2\nBeta 7\n",
        "sort t.txt | head -1": "Beta 7\n",
        "sort -k2 -n t.txt | cut -d' ' -f1": "gamma\nalpha\nBeta\nbeta\n",
        "sort -k2,2nr t.txt | head -n1": "beta 10\n",
        "sort -r t.txt | head -n1": "gamma 2\n",
        "wc -l t.txt": "4 t.txt\n",
        "wc -l < t.txt": "4\n",
        "cat t.txt | wc -w": "8\n",
        "wc -c < t.txt": "31\n",
        "cut -d' ' -f2 t.txt | paste 2>/dev/null || cut -d' ' -f2 t.txt | tr '\\n' ,": "3,10,2,7,",
        "cut -c1-3 t.txt | sort -f | uniq -i -c": "      1 alp\n      2 Bet\n      1 gam\n",
        "seq 3 | xargs echo n:": "n: 1 2 3\n",
        "seq 4 | xargs -n 2 echo": "1 2\n3 4\n",
    }
    for line, want in cases.items():
        out, err, _ = sh(lab, line, "h")
        assert (out, err) == (want, ""), line


def test_a_pipe_into_head_ends_the_writer_as_sigpipe_does():
    lab = Lab([("h", "10.0.0.1")])
    assert sh(lab, "seq 100000 | head -n 2; echo $?", "h") == ("1\n2\n0\n", "", 0)
    shell = Shell(lab, "h")
    out = shell.run("yes_ | head -1")  # a pipeline's status is its last command's
    assert (out.stderr, out.status) == ("-bash: yes_: command not found\n", 0)
    out = shell.run("for i in 1 2 3 4 5; do echo $i; done | head -n 2")
    assert out.stdout == "1\n2\n"


def test_watch_redraws_a_command_until_it_is_stopped(swarm):
    # not on a terminal: each round printed after the last, with its title
    out, _, status = sh(swarm, "timeout 5 watch -n 2 'docker node ls -q | wc -l'")
    assert status == 124
    rounds = out.split("Every 2.0s: docker node ls -q | wc -l")
    assert len(rounds) == 4 and all(r.strip().endswith("5") for r in rounds[1:])
    shell = Shell(swarm, "manager1", tty=True, width=60, height=10)
    from miniswarm.screen import render

    out = shell.run("timeout 3 watch -t -n1 hostname")
    assert out.stdout.count("\x1b[H\x1b[2J") == 3  # the screen cleared each round
    assert render(out.stdout, 60, 10) == ["manager1"]


def test_clear_history_and_the_session_commands():
    from miniswarm.repl import Session

    s = Session(Lab())
    s.feed("echo one")
    s.feed("echo two | wc -c")
    assert s.feed("history") == "    1  echo one\n    2  echo two | wc -c\n    3  history\n"
    assert s.feed("history 1") == "    4  history 1\n"
    assert s.feed("clear") == "\x1b[H\x1b[2J\x1b[3J"
    assert s.feed("sudo docker info --format '{{.Swarm.LocalNodeState}}'") == "inactive\n"
    assert s.feed("systemctl restart docker").startswith("miniswarm: systemctl is not part")
    assert s.feed("DOCKER_HOST=worker2 docker info --format '{{.Name}}'") == "worker2\n"


def test_ping_shows_a_stopped_host_and_a_partition_as_a_real_network_does():
    lab = Lab()
    out, _, status = sh(lab, "ping -c 2 worker1")
    assert (
        status == 0 and out.splitlines()[0] == "PING worker1 (192.168.0.103) 56(84) bytes of data."
    )
    assert "2 packets transmitted, 2 received, 0% packet loss" in out
    lab.stop("worker1")
    out, _, status = sh(lab, "ping -c 3 worker1")
    assert status == 1
    assert out.count("Destination Host Unreachable") == 3
    assert "3 packets transmitted, 0 received, +3 errors, 100% packet loss" in out
    lab.start("worker1")
    lab.partition(["manager1"], ["worker1"])
    out, _, status = sh(lab, "ping -c 2 192.168.0.103")
    assert status == 1 and "icmp_seq" not in out  # silence: the packets are lost
    assert sh(lab, "ping -c 1 nosuch") == ("", "ping: nosuch: Name or service not known\n", 2)
