"""The `miniswarm` command: the lab's REPL, `miniswarm run` to play transcripts, and
`miniswarm exercise check` to judge a student's exercise (for teachers' scripts)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from . import __version__, shlang


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "run":
        return run_main(argv[1:])
    if argv[:2] == ["exercise", "check"]:
        return exercise_check_main(argv[2:])
    if argv and argv[0] == "serve":
        return serve_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="miniswarm",
        description="Docker Swarm mode, whole and working, in one Python process.",
        epilog="Play a transcript with: miniswarm run [--check] [--seed N] FILE. "
        "Serve the lab to the real docker CLI with: miniswarm serve",
    )
    parser.add_argument("--version", action="version", version=f"miniswarm {__version__}")
    parser.add_argument(
        "--hosts",
        help="the lab's hosts: NAME=ADDR,... or a number (default: "
        "manager1..3 and worker1..2 at 192.168.0.100-104)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="the lab's random seed: the same seed gives the same lab (default: a new one)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how much faster than real time the lab runs (default 1)",
    )
    parser.add_argument(
        "--lang",
        choices=["en", "ko"],
        help="the language of miniswarm's own messages (default: from the locale)",
    )
    parser.add_argument(
        "--load",
        metavar="FILE",
        help="go on with a lab saved by `lab save FILE` (its hosts, disks and clock)",
    )
    args = parser.parse_args(argv)
    from .repl import repl

    return repl(hosts=args.hosts, seed=args.seed, speed=args.speed, lang=args.lang, load=args.load)


def serve_main(argv: list[str]) -> int:
    """A lab in real time whose hosts serve the Docker Engine API on sockets, for the real
    docker CLI, docker-py and the like; until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="miniswarm serve",
        description="Serve every host of a lab on its own Docker Engine API socket.",
    )
    parser.add_argument("--hosts", help="the lab's hosts: NAME=ADDR,... or a number")
    parser.add_argument("--seed", type=int, default=None, help="the lab's random seed")
    parser.add_argument("--speed", type=float, default=1.0, help="faster than real time")
    parser.add_argument("--dir", help="where the sockets go (default: a per-user directory)")
    parser.add_argument(
        "--tcp", type=int, metavar="PORT", help="also serve host N on 127.0.0.1:PORT+N"
    )
    parser.add_argument(
        "--swarm", action="store_true", help="start with the swarm formed (3 managers + rest)"
    )
    parser.add_argument("--lang", choices=["en", "ko"], help="the language of these messages")
    args = parser.parse_args(argv)
    import secrets
    import time

    from .engineapi.server import Sockets, describe, runtime_directory
    from .i18n import set_language, t
    from .lab import Lab
    from .repl import parse_hosts

    if args.lang:
        set_language(args.lang)
    try:
        hosts = parse_hosts(args.hosts)
    except ValueError as exc:
        print(f"miniswarm: {exc}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
    lab = Lab(hosts, driver="thread", seed=seed, speed=args.speed)
    if args.swarm:
        names = [name for name, _ in lab.hosts]
        lab.form_swarm_quickly(names[:3], names[3:])
    try:
        sockets = Sockets(lab.kernel, args.dir or runtime_directory(), args.tcp)
    except OSError as exc:
        print(f"miniswarm serve: {exc}", file=sys.stderr)
        lab.close()
        return 1
    print(t("serve.ready", hosts=len(hosts), seed=seed))
    print("\n".join(describe(sockets, args.tcp)))
    first = sockets.servers[hosts[0][0]].path
    print(t("serve.use", first=first))
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sockets.close()
        lab.close()
    print(t("serve.stopped", seed=seed))
    return 0


def run_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="miniswarm run",
        description="Play transcripts on the deterministic simulator and print what happened.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--seed", type=int, default=None, help="override the transcript's seed")
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare each output with the recorded one; exit 1 on a difference",
    )
    args = parser.parse_args(argv)
    from .transcript import play

    failed = False
    for path in args.files:
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as exc:
            print(f"miniswarm run: {exc}", file=sys.stderr)
            return 2
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            # Played all the same, a bad byte shown as a terminal shows it.
            line = raw[: exc.start].count(b"\n") + 1
            print(
                f"{path}: line {line} is not UTF-8; its bad bytes are shown as \ufffd",
                file=sys.stderr,
            )
            text = raw.decode("utf-8", errors="replace")
        outcome = play(text, seed=args.seed, check=args.check)
        sys.stdout.write(shlang.shown(outcome.text))
        if args.check:
            for diff in outcome.differences:
                print(diff, file=sys.stderr)
            print(
                f"{path}: {outcome.checked - len(outcome.differences)}/{outcome.checked} "
                "outputs as recorded",
                file=sys.stderr,
            )
            failed = failed or bool(outcome.differences)
    return 1 if failed else 0


def exercise_check_main(argv: list[str]) -> int:
    """Replay what the student typed in an exercise (kept with their progress) on the
    simulator, and judge it: the result, or with --json Exercism's test-runner shape."""
    parser = argparse.ArgumentParser(
        prog="miniswarm exercise check",
        description="Judge an exercise from what its student typed at the REPL.",
    )
    parser.add_argument("number", nargs="?", type=int, help="the exercise (default: the last)")
    parser.add_argument("--json", action="store_true", help="write the result as JSON")
    parser.add_argument("--lang", choices=["en", "ko"], help="the language of the messages")
    args = parser.parse_args(argv)
    import json

    from . import lesson
    from .i18n import language, set_language
    from .lab import Lab
    from .tutor import Progress, judge

    if args.lang:
        set_language(args.lang)
    progress = Progress.load()
    number = args.number
    if number is None:
        current = progress.current
        number = int(current["number"]) if current.get("kind") == "exercise" else None
    kept = progress.exercises.get(str(number)) if number is not None else None
    exercise = lesson.exercise(number, language()) if number is not None else None
    result: dict[str, Any]
    if exercise is None or kept is None:
        result = {"version": 2, "status": "error", "message": "no such exercise begun",
                  "tests": []}  # fmt: skip
    else:
        lab = Lab(seed=exercise.seed)
        try:
            result = judge(exercise, kept.get("typed") or [], lab)
        finally:
            lab.close()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        for test in result["tests"]:
            mark = "ok" if test["status"] == "pass" else "FAIL"
            print(
                f"{mark:>4}  {test['name']}" + (f": {test['message']}" if test["message"] else "")
            )
        if result["status"] == "error":
            print(f"error: {result['message']}", file=sys.stderr)
    return {"pass": 0, "fail": 1}.get(result["status"], 2)


if __name__ == "__main__":
    sys.exit(main())
