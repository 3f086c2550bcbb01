"""The lab's terminal, as a student at it sees it (typed through prompt_toolkit's pipe
input, every write recorded at its simulated time): output appears as it is produced,
progress bars redraw in place, Ctrl-C stops what runs and keeps what it printed, ssh
nests and exit or Ctrl-D unwind it, and a container's shell takes the terminal."""

from __future__ import annotations

import re

import pytest
from labshell import HOSTS, ok, swarm_lab
from terminal import CTRL_C, CTRL_D, Student

from miniswarm.lab import Lab

TICKER = "sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done'"


@pytest.fixture
def lab(seed):
    yield from swarm_lab(seed)


def writes_matching(student: Student, pattern: str) -> list[float]:
    """When the writes that contain `pattern` were written (simulated time)."""
    return [at for at, text in student.record if re.search(pattern, text)]


def test_a_waiting_create_draws_its_progress_in_place_as_the_tasks_converge(lab):
    student = Student(lab, width=120, height=40)
    student.line("docker service create --name web --replicas 3 nginx")
    student.run()
    starts = writes_matching(student, r"1/3: ")
    assert len(starts) >= 4  # redrawn as the task moves: new, …, running
    assert starts[-1] - starts[0] >= 0.4  # over time, not all at once at the end
    assert any("\x1b[" in text and "A" in text for _, text in student.record)  # cursor up
    screen = student.screen()
    at = screen.index("manager1 $ docker service create --name web --replicas 3 nginx")
    service_id = screen[at + 1]
    assert len(service_id) == 25
    assert screen[at + 2 : at + 7] == [
        "overall progress: 3 out of 3 tasks",
        "1/3: running   [==================================================>]",
        "2/3: running   [==================================================>]",
        "3/3: running   [==================================================>]",
        f"verify: Service {service_id} converged",
    ]
    # the verify countdown ran for the monitor period, each second redrawn
    waits = writes_matching(student, r"verify: Waiting \d seconds")
    assert waits[-1] - waits[0] >= 4.0


def test_ctrl_c_during_a_waiting_create_keeps_the_service_and_says_it_goes_on(lab):
    student = Student(lab, width=80)
    student.line("docker service create --name ghost --replicas 2 nginx:9.99")
    student.after(4, CTRL_C)
    student.line("echo $?")
    student.line("docker service ls --format '{{.Name}} {{.Replicas}}'")
    student.run()
    screen = student.screen()
    at = screen.index("manager1 $ docker service create --name ghost --replicas 2 nginx:9.99")
    # The Hub has no such tag: the daemon could not pin it, and says so first.
    assert screen[at + 1] == "image nginx:9.99 could not be accessed on a registry to record"
    assert screen[at + 5] == ""
    service_id = screen[at + 6]
    assert len(service_id) == 25  # what it had printed stays
    assert screen.index("^COperation continuing in background.") > at
    assert f"Use `docker service ps {service_id}` to check progress." in screen
    assert screen[screen.index("manager1 $ echo $?") + 1] == "0"  # the CLI handled SIGINT
    assert "ghost 0/2" in screen


def test_logs_follow_shows_lines_as_they_come_until_ctrl_c(lab):
    ok(lab, f"docker service create -d --name ticker busybox {TICKER}")
    lab.sleep(3)
    student = Student(lab)
    student.line("docker service logs -f --no-task-ids ticker | grep tick")
    student.after(6, CTRL_C)
    student.line("echo $?")
    student.run()
    ticks = writes_matching(student, r"ticker\.1@\w+ +\| tick \d")
    assert len(ticks) >= 6
    assert ticks[-1] - ticks[0] >= 4.0  # through the pipe a line at a time
    screen = student.screen()
    assert screen[screen.index("manager1 $ echo $?") + 1] == "130"
    assert screen[screen.index("manager1 $ echo $?") - 1] == "^C"


def test_docker_logs_follow_of_a_container_ends_when_it_stops(lab):
    ok(lab, "docker service create -d --name once --restart-condition none busybox "
            "sh -c 'echo one; sleep 2; echo two'")  # fmt: skip
    lab.sleep(2)
    host = next(h for h in HOSTS if ok(lab, "docker ps -q", h).strip())
    cid = ok(lab, "docker ps -q", host).strip()
    student = Student(lab)
    student.line(f"ssh {host}")
    student.line(f"docker logs -f {cid}; echo done $?")
    student.run()
    screen = student.screen()
    assert screen[screen.index(f"{host} $ docker logs -f {cid}; echo done $?") + 1 :][:3] == [
        "one",
        "two",
        "done 0",
    ]


def test_the_unlock_prompt_never_changes_how_the_next_line_is_typed(lab):
    ok(lab, "docker swarm update --autolock=true")
    key = ok(lab, "docker swarm unlock-key -q").strip()
    lab.sleep(1)
    lab.stop("manager2")
    lab.start("manager2")
    lab.sleep(3)
    student = Student(lab)
    student.line("ssh manager2")
    student.line("docker swarm unlock")
    student.line("")  # Enter alone: an empty key
    student.line("echo typed in the open")
    student.line("docker swarm unlock")
    student.line(key)
    student.run()
    screen = student.screen()
    assert screen[screen.index("manager2 $ docker swarm unlock") + 1 :][:4] == [
        "Enter unlock key:",
        "Error response from daemon: invalid key string",
        "manager2 $ echo typed in the open",
        "typed in the open",
    ]
    main = student.repl.main
    assert not main.is_password and main.completer is not None  # as it was


def test_ssh_nests_and_exit_or_ctrl_d_goes_back_one_host_at_a_time(lab):
    student = Student(lab)
    student.line("ssh worker1")
    student.line("ssh 192.168.0.104")
    student.line("hostname")
    student.type(CTRL_D)
    student.line("exit")
    student.type(CTRL_D)  # on the first host: it asks first
    student.line("n")
    student.line("hostname; ssh worker2 docker info --format '{{.Name}}'")
    student.line("exit")
    student.line("y")
    student.line("echo never typed")
    assert student.run() == 0
    assert student.screen()[1:] == [
        "manager1 $ ssh worker1",
        "worker1 $ ssh 192.168.0.104",
        "worker2 $ hostname",
        "worker2",
        "worker2 $",
        "logout",
        "Connection to worker2 closed.",
        "worker1 $ exit",
        "logout",
        "Connection to worker1 closed.",
        "manager1 $",
        "This is the lab's first host: logging out ends miniswarm, and the lab with it. "
        "Leave? [y/N] n",
        "(still here: 'exit' again and answer y to leave)",
        "manager1 $ hostname; ssh worker2 docker info --format '{{.Name}}'",
        "manager1",
        "worker2",
        "manager1 $ exit",
        "This is the lab's first host: logging out ends miniswarm, and the lab with it. "
        "Leave? [y/N] y",
        f"miniswarm: the lab is closed (seed {lab.kernel.seed}: 'miniswarm --seed "
        f"{lab.kernel.seed}' opens the same lab again).",
    ]


def test_lab_actions_mix_with_the_shell_and_ctrl_c_stops_a_lab_sleep(lab):
    ok(lab, "docker service create -d --name web --replicas 5 nginx")
    lab.sleep(5)
    student = Student(lab)
    student.line("lab stop worker1; lab sleep 30; docker service ps web | grep -c worker1")
    student.line("lab start worker1 && lab sleep 600")
    student.after(5, CTRL_C)
    student.line("echo $? $(lab status | grep -c ' up ')")
    student.run()
    screen = student.screen()
    assert screen[2] == "1"  # the old task, shut down, stays listed on worker1
    at = screen.index("manager1 $ echo $? $(lab status | grep -c ' up ')")
    assert screen[at - 1] == "^C" and screen[at + 1] == "130 5"
    assert 600 > lab.now() > 35


def test_an_interactive_shell_in_a_container_and_out(lab):
    ok(lab, "docker service create -d --name web --replicas 1 nginx")
    ok(lab, f"docker service create -d --name ticker busybox {TICKER}")
    lab.sleep(4)
    web = next(h for h in HOSTS if "web.1" in ok(lab, "docker ps", h))
    box = next(h for h in HOSTS if "ticker.1" in ok(lab, "docker ps", h))
    student = Student(lab, width=160)
    student.line(f"ssh {web}")
    student.line("docker exec -it $(docker ps -q -f name=web) bash")
    student.line("nginx -v; cd /etc; pwd")
    student.line("curl -s localhost | grep -o 'Welcome to nginx'")
    student.line("exit")
    student.line("docker exec $(docker ps -q -f name=web) ping; echo $?")
    student.line("exit")
    student.line(f"ssh {box}")
    student.line("docker exec -it $(docker ps -q -f name=ticker) sh")
    student.line("ping localhost")
    student.after(2.5, CTRL_C)
    student.type(CTRL_D)
    student.line("echo back on $(hostname)")
    student.run()
    screen = student.screen()
    cid = next(line for line in screen if line.startswith("root@"))[5:17]
    at = screen.index(f"{web} $ docker exec -it $(docker ps -q -f name=web) bash")
    assert screen[at + 1 : at + 9] == [
        f"root@{cid}:/# nginx -v; cd /etc; pwd",
        "nginx version: nginx/1.29.3",
        "/etc",
        f"root@{cid}:/etc# curl -s localhost | grep -o 'Welcome to nginx'",
        "Welcome to nginx",
        "Welcome to nginx",
        f"root@{cid}:/etc# exit",
        "exit",
    ]
    assert screen[at + 9 : at + 12] == [
        f"{web} $ docker exec $(docker ps -q -f name=web) ping; echo $?",
        "OCI runtime exec failed: exec failed: unable to start container process: exec: "
        '"ping": executable file not found in $PATH: unknown',
        "126",
    ]
    at = screen.index(f"{box} $ docker exec -it $(docker ps -q -f name=ticker) sh")
    assert screen[at + 1 : at + 5] == [
        "/ # ping localhost",
        "PING localhost (127.0.0.1): 56 data bytes",
        "64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.051 ms",
        "64 bytes from 127.0.0.1: seq=1 ttl=64 time=0.057 ms",
    ]
    assert screen[at + 6 : at + 9] == [
        "^C",
        "--- localhost ping statistics ---",
        "3 packets transmitted, 3 packets received, 0% packet loss",
    ]
    assert screen[at + 10 :][:3] == ["/ #", f"{box} $ echo back on $(hostname)", f"back on {box}"]


def test_a_new_lab_draws_its_seed_and_the_same_seed_replays_it(monkeypatch, capsys):
    import io

    from miniswarm.repl import repl

    drawn = iter([271828, 314159])  # what the system's randomness gives, twice
    monkeypatch.setattr("secrets.randbelow", lambda n: next(drawn))
    seeds = []
    for _ in range(2):  # `miniswarm < commands`: a new lab each time, with a seed of its own
        monkeypatch.setattr("sys.stdin", io.StringIO("lab status | head -n 1\n"))
        assert repl() == 0
        seeds.append(re.search(r"seed (\d+) \(replay", capsys.readouterr().out).group(1))
    assert seeds == ["271828", "314159"]
    monkeypatch.setattr("sys.stdin", io.StringIO("lab status | head -n 1\n"))
    assert repl(seed=5) == 0  # miniswarm --seed 5
    assert "seed 5 (replay" in capsys.readouterr().out
    a, b = Lab(seed=4242), Lab(seed=4242)
    for lab in (a, b):
        lab.form_swarm(["manager1"], ["worker1"])
    assert ok(a, "docker node ls -q") == ok(b, "docker node ls -q")
    assert ok(a, "docker swarm join-token -q worker") == ok(b, "docker swarm join-token -q worker")
    student = Student(Lab(seed=31337))
    student.line("lab status | head -n 1")
    student.run()
    assert student.screen()[0].startswith("miniswarm: a lab of 5 simulated hosts")
    assert "(seed 31337)" in student.screen()[0]
    assert student.screen()[2] == "seed 31337 (replay this lab with: miniswarm --seed 31337)"
