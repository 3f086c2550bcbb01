"""The exercises (lessons/exercises): each starts a lab in its state, and `check` judges
the cluster. Every exercise's reference solution passes, and each wrong attempt fails on
the check it names, with a reason; the English and Korean exercises are the same."""

from __future__ import annotations

import pytest

from miniswarm import checks
from miniswarm.lab import Lab
from miniswarm.lesson import exercises
from miniswarm.tutor import judge, prepare, run_line, tokens

EN = {x.number: x for x in exercises("en")}
KO = {x.number: x for x in exercises("ko")}


def test_there_are_at_least_twelve_in_both_languages():
    assert len(EN) >= 12
    assert sorted(KO) == sorted(EN)


@pytest.mark.parametrize("number", sorted(EN))
def test_the_korean_exercise_is_the_english_one(number):
    en, ko = EN[number], KO[number]
    assert (en.slug, en.lab, en.seed) == (ko.slug, ko.lab, ko.seed)
    assert (en.setup, en.given, en.checks, en.solution) == (
        ko.setup,
        ko.given,
        ko.checks,
        ko.solution,
    )
    assert [(w.commands, w.fails) for w in en.wrongs] == [(w.commands, w.fails) for w in ko.wrongs]
    assert len(en.hints) == len(ko.hints) >= 2


def attempt(number: int, lines: list[str]) -> tuple[Lab, dict[str, str]]:
    ex = EN[number]
    lab = Lab(seed=ex.seed)
    prepare(lab, ex.lab, [])
    facts = tokens(lab) if ex.lab == "swarm" else {}
    prepare(lab, "fresh", ex.setup)
    shells: dict = {}
    for line in lines:
        run_line(lab, line, shells)
    return lab, facts


@pytest.mark.parametrize("number", sorted(EN))
def test_it_starts_as_its_goal_says_and_unsolved(number):
    ex = EN[number]
    assert ex.given, "every exercise says what holds once it is set up"
    lab, facts = attempt(number, [])
    try:
        checker = checks.Checker(lab, facts)
        wrong_start = checker.failures(ex.given)
        unsolved = checker.failures(ex.checks)
    finally:
        lab.close()
    assert wrong_start == [], [f.message for f in wrong_start]
    assert unsolved, "an exercise must not be solved before the student starts"


@pytest.mark.parametrize("number", sorted(EN))
def test_the_reference_solution_passes(number):
    ex = EN[number]
    for line in ex.checks:
        checks.validate(line)
    lab, facts = attempt(number, ex.solution)
    try:
        failures = checks.Checker(lab, facts).failures(ex.checks)
    finally:
        lab.close()
    assert failures == [], [f.message for f in failures]


@pytest.mark.parametrize("number", sorted(EN))
def test_a_wrong_attempt_fails_on_its_check(number):
    ex = EN[number]
    assert ex.wrongs, "every exercise has a wrong attempt"
    for wrong in ex.wrongs:
        lab, facts = attempt(number, wrong.commands)
        try:
            failures = checks.Checker(lab, facts).failures(ex.checks)
        finally:
            lab.close()
        named = [f for f in failures if f.check == wrong.fails]
        assert named, f"exercise {number}: {wrong.commands} passed {wrong.fails!r}"
        assert named[0].message


def test_judge_reports_as_exercisms_test_runners():
    ex = EN[4]
    good = judge(ex, [[1.0, "manager1", "docker service scale shop=5"], [8.0, "manager1", ""]],
                 Lab(seed=ex.seed))  # fmt: skip
    assert good["version"] == 2 and good["status"] == "pass"
    assert [t["status"] for t in good["tests"]] == ["pass", "pass"]
    bad = judge(ex, [[1.0, "manager1", "docker service ls"]], Lab(seed=ex.seed))
    assert bad["status"] == "fail"
    failing = [t for t in bad["tests"] if t["status"] == "fail"]
    assert failing and failing[0]["name"] == "service shop replicas 5" and failing[0]["message"]
