"""miniswarm's own words exist in English and Korean, with the same blanks to fill; docker's
own output stays in English whatever the language."""

from __future__ import annotations

import re

import pytest

from miniswarm import i18n
from miniswarm.lab import Lab
from miniswarm.repl import Session


def test_every_message_is_in_both_languages_with_the_same_blanks():
    for key, entry in i18n.MESSAGES.items():
        assert set(entry) == set(i18n.LANGUAGES), key
        blanks = {lang: sorted(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert blanks["en"] == blanks["ko"], key
        assert re.search(r"[가-힣]", entry["ko"]), f"{key}: the Korean is not Korean"


@pytest.fixture
def korean():
    before = i18n.language()
    i18n.set_language("ko")
    yield
    i18n.set_language(before)


def test_in_korean_the_lab_speaks_korean_and_docker_stays_english(korean):
    s = Session(Lab())
    assert s.feed("lab stop").startswith("lab stop: 호스트를 하나 이상 적어 주세요\n사용법:")
    assert "스웜 모드" in s.feed("help")
    assert s.feed("docker node ls") == (
        'Error response from daemon: This node is not a swarm manager. Use "docker swarm '
        'init" or "docker swarm join" to connect this node to swarm and try again.\n'
    )


def test_the_language_comes_from_the_flag_then_the_environment(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MINISWARM_LANG", "ko")
    assert i18n._from_environment() == "ko"
    monkeypatch.delenv("MINISWARM_LANG")
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert i18n._from_environment() == "ko"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert i18n._from_environment() == "en"
    with pytest.raises(ValueError):
        i18n.set_language("fr")
