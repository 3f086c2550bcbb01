"""How long the lessons take: to play on SimDriver (what CI pays), and for a person at the
REPL (what a class plans for).

    python benchmarks/lesson_bench.py [--lang en|ko] [--lesson N]

For each lesson: its steps; the wall seconds SimDriver takes to play it whole, as CI
does (tutor.play_lesson: set the lab up, type each step, wait for its state); the
simulated seconds that run meanwhile (what a student would wait on a real swarm); and a
person's minutes by a simple model — reading the lesson's words at READ_WPM, typing each
command at TYPE_CPS characters a second (a newcomer copying it), and waiting the lab's
own time — beside the minutes its front matter plans (teaching + exercises), which add
the questions a class asks and the exercises.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from miniswarm import i18n  # noqa: E402
from miniswarm.lab import Lab  # noqa: E402
from miniswarm.lesson import Lesson, lessons  # noqa: E402
from miniswarm.tutor import PACE, pad, play_lesson  # noqa: E402

READ_WPM = 150  # words a minute: technical text, read by someone learning it
TYPE_CPS = 2.5  # characters a second: a newcomer copying a command
KO_CHARS_PER_WORD = 3.5  # Korean words are counted as this many syllables


def words(text: str, lang: str) -> float:
    if lang == "ko":
        syllables = len(re.findall(r"[\uac00-\ud7a3]", text))
        latin = len(re.findall(r"[A-Za-z0-9_.-]+", text))
        return syllables / KO_CHARS_PER_WORD + latin
    return float(len(text.split()))


def person_minutes(lesson: Lesson, lab_seconds: float) -> float:
    text = lesson.intro + "".join(s.lead + s.notice for s in lesson.steps)
    reading = words(text, lesson.lang) / READ_WPM * 60
    typing = sum(len(s.command) for s in lesson.steps) / TYPE_CPS
    return (reading + typing + lab_seconds) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lang", choices=["en", "ko"], default="en")
    parser.add_argument("--lesson", type=int, default=None)
    args = parser.parse_args()
    i18n.set_language(args.lang)
    figures = {}
    print(f"{'lesson':<58}{'steps':>6}{'wall s':>8}{'lab s':>7}{'model min':>10}{'planned':>9}")
    for lesson in lessons(args.lang):
        if args.lesson is not None and lesson.number != args.lesson:
            continue
        lab = Lab(seed=lesson.seed)
        wall0 = time.perf_counter()
        start = lab.now()
        played = play_lesson(lesson, lab)
        wall = time.perf_counter() - wall0
        # the player's own pauses between steps stand for reading and typing: not lab time
        lab_seconds = lab.now() - start - PACE * len(played)
        lab.close()
        reached = sum(p.reached for p in played)
        planned = int(lesson.meta.get("teaching", 0)) + int(lesson.meta.get("exercises", 0))
        model = person_minutes(lesson, lab_seconds)
        title = pad(f"{lesson.number:>2} {lesson.title}", 58)
        print(f"{title}{len(played):>6}{wall:>8.2f}{lab_seconds:>7.0f}{model:>10.1f}{planned:>9}")
        figures[str(lesson.number)] = {
            "steps": len(played),
            "reached": reached,
            "wall_s": round(wall, 3),
            "lab_s": round(lab_seconds, 1),
            "person_model_min": round(model, 1),
            "planned_min": planned,
        }
    print(json.dumps({"lang": args.lang, "lessons": figures}))


if __name__ == "__main__":
    main()
