"""The lessons (lessons/en, lessons/ko), played start to finish on the simulator as a
student would type them: every step reaches the state it names, and every output a
lesson shows is what miniswarm prints (IDs, tokens, ages and times aside). The Korean
and English lessons are the same steps: only the prose differs."""

from __future__ import annotations

import pytest

from miniswarm import checks, i18n
from miniswarm.lab import Lab
from miniswarm.lesson import lessons
from miniswarm.transcript import normalise
from miniswarm.tutor import command_key, play_lesson

EN = {x.number: x for x in lessons("en")}
KO = {x.number: x for x in lessons("ko")}


def shown(text: str) -> list[str]:
    lines = text.split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return normalise(lines)


def test_there_are_twelve_lessons_in_both_languages():
    assert sorted(EN) == list(range(1, 13))
    assert sorted(KO) == sorted(EN)


@pytest.mark.parametrize("number", sorted(EN))
def test_the_korean_lesson_is_the_english_one_step_for_step(number):
    en, ko = EN[number], KO[number]
    assert (en.slug, en.lab, en.setup, en.seed) == (ko.slug, ko.lab, ko.setup, ko.seed)
    assert len(en.steps) == len(ko.steps)
    for a, b in zip(en.steps, ko.steps, strict=True):
        assert (a.host, a.command, a.checks, a.tty) == (b.host, b.command, b.checks, b.tty)
        assert (a.output is None) == (b.output is None)
        ours = command_key(a.command)[:1] == ("lab",)  # miniswarm's own words are translated
        if a.output is not None and b.output is not None and not ours:
            assert shown(a.output) == shown(b.output)
        assert len(a.hints) == len(b.hints)
    for key in ("teaching", "exercises"):
        assert en.meta.get(key) == ko.meta.get(key)
    for key in ("questions", "objectives", "keypoints"):
        assert len(en.meta.get(key) or []) == len(ko.meta.get(key) or []), key


@pytest.mark.parametrize("number", sorted(EN))
def test_every_check_reads(number):
    for step in EN[number].steps:
        for line in step.checks:
            checks.validate(line)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_what_the_tutor_shows_fits_an_80_column_terminal(lang):
    """Prose is wrapped by display width (a Korean syllable takes two columns); pictures
    and tables must fit as they are drawn."""
    from prompt_toolkit.utils import get_cwidth

    from miniswarm.lesson import exercises, glossary
    from miniswarm.tutor import render

    texts = [glossary(lang)]
    for x in lessons(lang):
        texts += [x.intro] + [s.lead for s in x.steps] + [s.notice for s in x.steps]
        texts += [h for s in x.steps for h in s.hints]
    for e in exercises(lang):
        texts += [e.goal, *e.hints]
    wide = [line for text in texts for line in render(text).split("\n") if get_cwidth(line) > 80]
    assert wide == []


@pytest.fixture
def speaking():
    before = i18n.language()
    yield i18n.set_language
    i18n.set_language(before)


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("number", sorted(EN))
def test_a_lesson_plays_as_it_says(number, lang, speaking):
    speaking(lang)
    lesson = (EN if lang == "en" else KO)[number]
    lab = Lab(seed=lesson.seed)
    try:
        played = play_lesson(lesson, lab)
    finally:
        lab.close()
    for p in played:
        where = f"lesson {number} ({lang}), step {p.step.title!r}"
        assert p.reached, f"{where}: never reached {p.step.checks}"
        if p.step.output is not None:
            assert normalise(p.output) == shown(p.step.output), where
