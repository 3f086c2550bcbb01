"""The `miniswarm` command: the lab's REPL, or `miniswarm run` to play transcripts."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "run":
        return run_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="miniswarm",
        description="Docker Swarm mode, whole and working, in one Python process.",
        epilog="Play a transcript with: miniswarm run [--check] [--seed N] FILE",
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
    args = parser.parse_args(argv)
    from .repl import repl

    return repl(hosts=args.hosts, seed=args.seed, speed=args.speed, lang=args.lang)


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
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            print(f"miniswarm run: {exc}", file=sys.stderr)
            return 2
        outcome = play(text, seed=args.seed, check=args.check)
        sys.stdout.write(outcome.text)
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


if __name__ == "__main__":
    sys.exit(main())
