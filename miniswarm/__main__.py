"""The `miniswarm` command."""

from __future__ import annotations

import argparse
import sys

from . import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="miniswarm",
        description="Docker Swarm mode, whole and working, in one Python process.",
    )
    parser.add_argument("--version", action="version", version=f"miniswarm {__version__}")
    parser.parse_args(argv)
    print("miniswarm: the lab's REPL is not built yet (issue 3); see README.md", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
