"""Lessons and exercises at the REPL, as a student meets them: typed through
prompt_toolkit's pipe input (tests/terminal.py). A step is done when the cluster is in
its state, whatever was typed; hints, `show`, `back` and `next` help; progress survives
a restart; an exercise's `check` says what is still wrong, without the answer."""

from __future__ import annotations

import json

import pytest
from terminal import Student

from miniswarm import i18n
from miniswarm.lab import Lab
from miniswarm.lesson import lessons
from miniswarm.tutor import Progress, Tutor, command_key, render, typed_keys


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MINISWARM_HOME", str(tmp_path))
    return tmp_path


def student(seed: int = 1) -> Student:
    s = Student(Lab(seed=seed), width=160)
    s.session.tutor = Tutor(s.session)
    return s


def after(screen: list[str], typed: str, first: bool = False) -> list[str]:
    """The lines after the prompt where `typed` was typed (the last time, or the first)."""
    at = [k for k, line in enumerate(screen) if line.endswith(f"$ {typed}")]
    return screen[(at[0] if first else at[-1]) + 1 :]


def test_a_step_is_done_by_the_state_it_names_and_the_tutor_goes_on(home):
    s = student()
    s.line("lesson")
    s.line("lesson 7")
    s.line("docker service ls")  # not the step: nothing happens
    s.line("hint")
    s.line("show")
    s.line("docker service create -d --name myweb --replicas 2 nginx")
    s.line("lab sleep 3")
    s.line("back")
    s.line("next")
    s.run()
    screen = s.screen()
    listing = after(screen, "lesson")
    assert listing[0].split()[:3] == ["1", "Classic", "Swarm"]
    assert any(line.startswith(" 12  Raft under the hood") for line in listing)
    started = after(screen, "lesson 7")
    assert started[:3] == ["Setting the lab up...", "", "Lesson 7: Scaling, and global services"]
    assert "[1/7] Two replicas" in started
    assert after(screen, "docker service ls")[0].startswith("ID ")  # docker's own answer
    assert after(screen, "hint")[0] == "Type 'show' to see the command."
    assert after(screen, "show")[:2] == [
        "Type on manager1:",
        "    docker service create -d --name myweb --replicas 2 nginx",
    ]
    created = after(screen, "docker service create -d --name myweb --replicas 2 nginx")
    assert created[1].startswith("Not there yet: The service myweb has ")  # tasks starting
    assert "[2/7] Four" in after(screen, "lab sleep 3")
    assert "[1/7] Two replicas" in after(screen, "back")
    assert "[2/7] Four" in after(screen, "next")


def test_progress_survives_a_restart_and_the_lesson_resumes(home):
    s = student()
    s.line("lesson 7")
    s.line("docker service create -d --name myweb --replicas 2 nginx; sleep 3")
    s.run()
    kept = json.loads((home / "progress.json").read_text())
    assert kept["lessons"]["7"]["step"] == 1 and kept["current"] == {"kind": "lesson", "number": 7}

    again = student(seed=2)
    again.line("docker service ls --format '{{.Name}} {{.Replicas}}'")
    again.run()
    screen = again.screen()
    assert "Going on with the lesson you were in." in screen
    assert "Going on from step 2." in screen
    assert "[2/7] Four" in screen
    # the lab was set up again, and the steps already done replayed
    assert after(screen, "docker service ls --format '{{.Name}} {{.Replicas}}'")[0] == "myweb 2/2"


def test_a_lesson_speaks_korean(home):
    before = i18n.language()
    i18n.set_language("ko")
    try:
        s = student()
        s.line("lesson 7")
        s.run()
        screen = s.screen()
    finally:
        i18n.set_language(before)
    assert "레슨 7: 스케일 조정과 글로벌 서비스" in screen
    assert "manager1에서 입력하세요:" in screen


def test_check_says_what_is_still_wrong_and_then_that_it_is_solved(home):
    s = student()
    s.line("exercise 4")
    s.line("check")
    s.line("hint")
    s.line("hint")
    s.line("hint")
    s.line("docker service scale shop=5")
    s.line("check")
    s.run()
    screen = s.screen()
    assert "Exercise 4: Scale for the event" in screen
    wrong = after(screen, "check", first=True)
    assert wrong[:3] == [
        "Not yet:",
        "  - The service shop asks for 1 replicas.",
        "  - The service shop has 1 running tasks; 5 are wanted.",
    ]
    assert 'Well done: "Scale for the event" is solved.' in screen
    assert "No more hints." in screen
    assert Progress.load().exercises["4"]["done"] is True
    typed = [line for _, _, line in Progress.load().exercises["4"]["typed"]]
    assert "docker service scale shop=5" in typed


def test_exercise_check_for_a_teacher_is_json_in_exercisms_shape(home, capsys):
    s = student()
    s.line("exercise 4")
    s.line("docker service scale shop=5")
    s.run()
    from miniswarm.__main__ import main

    assert main(["exercise", "check", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "pass" and result["version"] == 2
    assert {t["name"] for t in result["tests"]} == {
        "service shop replicas 5",
        "service shop running 5",
    }


def test_the_tutors_commands_are_not_there_without_a_session():
    from miniswarm.shell import Shell

    out = Shell(Lab(), "manager1").run("hint")
    assert (out.text, out.status) == ("-bash: hint: command not found\n", 127)


def test_steps_match_by_command_whatever_the_flags():
    assert command_key("docker node ls -q") == ("docker", "node", "ls")
    assert command_key("docker -H worker1 ps") == ("docker", "worker1", "ps")
    assert command_key("curl -s worker2:8080") == ("curl",)
    assert render("**Bold** and `code`\n```\nblock\n```") == "Bold and code\n    block\n"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_help_names_the_tutors_commands_and_fits_80_columns(lang):
    from prompt_toolkit.utils import get_cwidth

    text = i18n.MESSAGES["help"][lang]
    for command in ("lesson ", "hint, show", "next, back, lesson stop", "exercise ", "check "):
        assert f"\n  {command}" in text
    assert max(get_cwidth(line) for line in text.splitlines()) <= 80


def test_typing_a_steps_own_command_line_is_typing_its_command():
    """A step's command may be a pipeline (`docker info | grep Swarm`): typed as shown, it
    names the step's command."""
    for x in lessons("en"):
        for step in x.steps:
            assert typed_keys(step.command)[0] in typed_keys(step.command), step.command
    assert typed_keys("docker info | grep Swarm") == [("docker", "info"), ("grep",)]


def test_a_step_without_checks_is_done_when_its_pipeline_is_typed(home):
    s = student()
    s.line("lesson 1")
    s.line("docker version --format '{{.Server.Version}}'")
    s.line("docker info | grep Swarm")
    s.run()
    assert "[3/3] The commands are part of docker" in after(s.screen(), "docker info | grep Swarm")


def test_a_step_on_its_way_is_taken_up_when_it_gets_there_without_another_line(home):
    """At the REPL, lab time runs while the student waits at the prompt: the tutor looks
    (ready) and goes on by itself (poll). Here the simulator's clock is moved by hand."""
    s = student()
    s.line("lesson 7")
    s.line("docker service create -d --name myweb --replicas 2 nginx")
    s.run()
    tutor = s.session.tutor
    assert tutor.waiting and not tutor.ready()
    s.session.lab.sleep(5)
    assert tutor.ready()
    shown: list[str] = []
    tutor.poll(shown.append)
    assert "[2/7] Four" in "".join(shown)
    assert not tutor.waiting and tutor.step == 1
    shown.clear()
    tutor.poll(shown.append)  # nothing more on its way: nothing said
    assert shown == []


def test_a_step_on_another_host_says_how_to_get_there_and_a_lesson_names_the_next(home):
    s = student()
    s.line("lesson 8")
    s.line("next")
    s.line("next")
    s.line("lesson 1")
    s.line("docker version --format '{{.Server.Version}}'")
    s.line("docker info | grep Swarm")
    s.line("docker swarm --help | head -3")
    s.run()
    screen = s.screen()
    assert "Type on manager2: (you are on manager1: ssh manager2 takes you there)" in after(
        screen, "next", first=True
    )
    assert "Type on manager1:" in after(screen, "next")  # a step back on this host: no more
    finished = after(screen, "docker swarm --help | head -3")
    assert any(line.startswith('That was the last step of "Classic Swarm') for line in finished)
    assert "Next: lesson 2, Making a swarm: init, join tokens, join (type lesson 2)." in finished
    assert Progress.load().lessons["1"]["done"] is True
