"""Play a lesson on the simulator and print what each step printed, for authors: the
output blocks a lesson shows are what this prints (tests/test_lessons.py compares them).

    python tools/lesson_outputs.py lessons/en/05-services-and-tasks.md
    python tools/lesson_outputs.py --fill lessons/en/05-services-and-tasks.md [KO_FILE]

--fill writes what was printed into the lessons' ```output blocks, each played in its
own language (lessons/ko/... speaks Korean where miniswarm speaks, as in `lab status`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from miniswarm.i18n import set_language
from miniswarm.lab import Lab
from miniswarm.lesson import parse_lesson
from miniswarm.tutor import Played, play_lesson


def _play(path: Path) -> list[Played]:
    m = re.match(r"(\d+)-(.+)\.md$", path.name)
    if not m:
        raise SystemExit("a lesson file is NN-slug.md")
    lang = path.parent.name if path.parent.name in ("en", "ko") else "en"
    set_language(lang)  # miniswarm's own words (lab status) in the lesson's language
    lesson = parse_lesson(path.read_text(encoding="utf-8"), int(m.group(1)), m.group(2), lang)
    lab = Lab(seed=lesson.seed)
    try:
        return play_lesson(lesson, lab)
    finally:
        lab.close()


def _fill(path: Path, played: list[Played]) -> None:
    """Each step's ```output block gets what the step printed (what it held goes)."""
    text = path.read_text(encoding="utf-8")
    outputs = iter(played)
    out: list[str] = []
    current: Played | None = None
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```step "):
            current = next(outputs)
        if line.startswith("```output"):
            assert current is not None
            out.append(line)
            out.extend(current.output)
            i += 1
            while lines[i] != "```":
                i += 1
            continue
        out.append(line)
        i += 1
    path.write_text("\n".join(out), encoding="utf-8")


def main(args: list[str]) -> int:
    fill = args[:1] == ["--fill"]
    paths = [Path(a) for a in (args[1:] if fill else args)]
    if fill:
        for p in paths:
            _fill(p, _play(p))
        return 0
    played = _play(paths[0])
    for p in played:
        print(f"### {p.step.title}  [{p.status}]{'' if p.reached else '  (NOT REACHED)'}")
        print(f"$ {p.step.host}: {p.step.command}")
        print("```output")
        print("\n".join(p.output))
        print("```")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
