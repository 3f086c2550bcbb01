"""The shell inside fake containers (runtime/sh.py): what `sh -c` scripts in lessons and
recordings do, run to their end."""

from __future__ import annotations

import pytest
from labshell import HOSTS, ok, swarm_lab
from labshell import sh as typed

from miniswarm.runtime import sh


def run(script: str, files: dict | None = None) -> tuple[list[str], int]:
    proc = sh.Proc({"HOME": "/root"}, "c0ffee", files if files is not None else {}, [], lambda: 0)
    gen = sh.command(proc, ["sh", "-c", script])
    out = []
    try:
        while True:
            kind, value = next(gen)
            if kind in ("out", "err"):
                out.append(value)
            elif kind == "sleep" and value == sh.FOREVER:
                return out, -1
    except StopIteration as stop:
        return out, stop.value or 0
    except sh.Exit as e:
        return out, e.status


def test_keywords_are_words_outside_command_position():
    assert run("echo done; exit 0") == (["done"], 0)
    assert run("echo if then fi do") == (["if then fi do"], 0)
    assert run("for w in do done; do echo $w; done") == (["do", "done"], 0)


def test_loops_variables_and_arithmetic():
    script = 'i=0; while [ $i -lt 3 ]; do echo "n $i from $(hostname)"; i=$((i+1)); done'
    assert run(script) == (["n 0 from c0ffee", "n 1 from c0ffee", "n 2 from c0ffee"], 0)


def test_exit_status_and_exec():
    assert run("false || exit 3") == ([], 3)
    assert run("exec sh -c 'echo in; exit 4'; echo never") == (["in"], 4)


def test_busybox_httpd_serves_its_home_in_the_foreground():
    files: dict[str, str] = {}
    proc = sh.Proc({}, "c0ffee", files, [], lambda: 0)
    gen = sh.command(proc, ["sh", "-c", "hostname > /www/index.html; httpd -f -p 8080 -h /www"])
    kind, (port, serve) = next(gen)
    assert (kind, port) == ("listen", 8080)
    assert serve("/", "10.0.0.2") == (200, "c0ffee\n")
    assert serve("/nope", "10.0.0.2")[0] == 404
    assert next(gen) == ("sleep", sh.FOREVER)


def test_a_container_runs_the_same_text_tools_as_the_hosts_shell():
    # One implementation (coreutils.py): printf's conversions, echo -e, sort, cut, wc …
    assert run("printf '%05.1f|%x|%-3s|\\n' 3.14159 255 ab") == (["003.1|ff|ab |"], 0)
    assert run("echo -e 'b\\na' | sort") == (["a", "b"], 0)
    passwd = {"/etc/passwd": "root:x:0:0\nnginx:x:101:101\n"}
    assert run("cut -d: -f1 /etc/passwd | tr a-z A-Z", passwd) == (["ROOT", "NGINX"], 0)
    assert run("seq 3 | wc -l") == (["3"], 0)
    assert run("printf 'a\\nb\\na\\n' | sort | uniq -c") == (["      2 a", "      1 b"], 0)
    assert run("head -n 1 /etc/passwd; tail -n 1 /etc/passwd", passwd) == (
        ["root:x:0:0", "nginx:x:101:101"],
        0,
    )


def test_a_busybox_container_words_a_missing_file_as_busybox_does():
    assert run("cat /nope") == (["cat: can't open '/nope': No such file or directory"], 1)
    debian = sh.Proc({}, "c0ffee", {}, [], lambda: 0, shell="dash")
    gen = sh.command(debian, ["cat", "/nope"])
    assert next(gen) == ("err", "cat: /nope: No such file or directory")


# -- the programs of the images, through a lab ----------------------------------------------------


@pytest.fixture(scope="module")
def lab():
    yield from swarm_lab(23)


def on(lab, service: str) -> tuple[str, str]:
    """(host, container ID) of the service's one running task."""
    for host in HOSTS:
        cid = ok(lab, f"docker ps -q -f name={service}", host).strip()
        if cid:
            return host, cid
    raise AssertionError(f"no container of {service}")


def test_redis_cli_talks_to_the_containers_redis(lab):
    ok(lab, "docker service create -d --name cache redis:7")
    lab.sleep(3)
    host, cid = on(lab, "cache")
    assert typed(lab, f"docker exec {cid} redis-cli ping", host) == ("PONG\n", 0)
    assert typed(lab, f"docker exec {cid} redis-cli set hits 41", host) == ("OK\n", 0)
    assert typed(lab, f"docker exec {cid} redis-cli incr hits", host) == ("42\n", 0)
    assert typed(lab, f"docker exec -t {cid} redis-cli get hits", host) == ('"42"\r\n', 0)
    assert typed(lab, f"docker exec {cid} redis-cli get nope", host) == ("\n", 0)


def test_a_container_reaches_a_published_port_through_its_hosts_mesh(lab):
    ok(lab, "docker service create -d --name pub -p 8088:80 nginx")
    ok(lab, "docker service create -d --name client busybox sleep 1d")
    lab.sleep(3)
    host, cid = on(lab, "client")
    page, status = typed(lab, f"docker exec {cid} wget -qO- http://192.168.0.101:8088/", host)
    assert status == 0 and "<title>Welcome to nginx!</title>" in page
    assert typed(lab, f"docker exec {cid} wget -qO- http://nosuch:80/", host) == (
        "wget: bad address 'nosuch'\n",
        1,
    )
    assert typed(lab, f"docker exec {cid} wget -q -O- 192.168.0.101:9999", host) == (
        "wget: can't connect to remote host (192.168.0.101): Connection refused\n",
        1,
    )
    assert typed(lab, f"docker exec {cid} curl -s localhost", host)[0].startswith(
        "OCI runtime exec failed"
    )  # busybox has no curl


def test_nginx_says_its_image_version_whatever_the_container_runs(lab):
    # The binary is the image's: nginx:1.24 says 1.24.0 even when nginx is not running.
    ok(lab, "docker service create -d --name idle nginx:1.24 sleep 1000")
    lab.sleep(3)
    host, cid = on(lab, "idle")
    assert typed(lab, f"docker exec {cid} nginx -v", host) == ("nginx version: nginx/1.24.0\n", 0)


def test_a_program_in_a_pipe_or_script_inside_the_container(lab):
    ok(lab, "docker service create -d --name scripted nginx")
    lab.sleep(3)
    host, cid = on(lab, "scripted")
    line = f"docker exec {cid} sh -c 'curl -s localhost | grep -c nginx; nginx -v 2>&1'"
    assert typed(lab, line, host) == ("6\nnginx version: nginx/1.29.3\n", 0)
    assert typed(lab, f"echo 'echo $((6*7))' | docker exec -i {cid} sh", host) == ("42\n", 0)
    assert typed(lab, f"docker exec {cid} sh -c 'nosuch'", host) == (
        "sh: 1: nosuch: not found\n",
        127,
    )
    assert typed(lab, f"docker exec {cid} bash -c 'nosuch'", host) == (
        "bash: nosuch: command not found\n",
        127,
    )
    assert typed(lab, f"docker exec -it {cid} sh", host) == ("the input device is not a TTY\n", 1)


def test_a_busy_loop_costs_lab_time_in_proportion_and_stalls_nobody():
    """Issue 14: one `while true; do :; done` made a simulated second cost ~6 s of wall.
    Its turns now cost lab time: counted in the simulator's events, not in wall time."""
    from labshell import ok, swarm_lab

    from miniswarm.runtime import sh

    lab = next(swarm_lab(3))
    ok(lab, "docker service create -d --name spin busybox sh -c 'while true; do :; done'")
    lab.sleep(10)
    before = lab.kernel.steps
    lab.sleep(20)
    # the loop looks at the clock every SPINS turns, SPINS_PER_SECOND turns a second
    looks = 20 * sh.SPINS_PER_SECOND // sh.SPINS
    assert lab.kernel.steps - before < looks + 3000  # + the swarm's own heartbeats, ticks
    assert ok(lab, "docker service ls --format '{{.Replicas}}'") == "1/1\n"
    lab.close()
