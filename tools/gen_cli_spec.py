"""Extract the docker CLI's command grammar from a real docker client binary.

    python tools/gen_cli_spec.py > miniswarm/cli/spec.json

Needs the `docker` client (28.2.x) on PATH, but no daemon: help texts, flag tables and
argument-count rules are all client-side. For every command of interest it records the
usage line, aliases, description, subcommands and flags (read from `--help` on a very
wide pseudo-terminal, so nothing is wrapped), and probes how many arguments the command
accepts by running it with 0 to 3 dummy arguments against a daemon socket that does not
exist (an argument error comes back at once; anything else means the count was fine).

miniswarm never runs docker: it reads the JSON this writes. Rerun it when moving to a
new docker CLI version, and commit the result.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios

ENV = dict(os.environ, DOCKER_HOST="unix:///nonexistent/miniswarm-probe.sock", LC_ALL="C")


def run(args: list[str], cols: int | None = 2000) -> tuple[str, str, int]:
    """Run the client; on a pseudo-terminal `cols` wide (help is wrapped to the width of
    standard input), or with standard input closed (cols=None: nothing waits for a y/N)."""
    if cols is None:
        try:
            p = subprocess.run(
                ["docker", *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=ENV,
                timeout=20,
            )
        except subprocess.TimeoutExpired:
            return "", "", -1
        return p.stdout.decode(), p.stderr.decode(), p.returncode
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    try:
        p = subprocess.run(["docker", *args], stdin=slave, capture_output=True, env=ENV, timeout=20)
    finally:
        os.close(master)
        os.close(slave)
    return p.stdout.decode(), p.stderr.decode(), p.returncode


def sections(text: str) -> dict[str, list[str]]:
    """Split help output into its sections: 'usage', 'description', then each 'Xxx:'."""
    lines = text.rstrip("\n").split("\n")
    out: dict[str, list[str]] = {"usage": [], "description": []}
    assert lines[0].startswith("Usage:  "), lines[0]
    out["usage"] = [lines[0][len("Usage:  ") :]]
    rest = lines[1:]
    while rest and rest[0].startswith("\t"):  # a usage on several lines
        out["usage"].append(rest.pop(0))
    current = "description"
    for line in rest:
        m = re.match(
            r"^(Aliases|Examples|Options|Global Options|(?:[A-Z][a-z]* )?Commands):$", line
        )
        if m:
            current = m.group(1)
            out[current] = []
            continue
        out.setdefault(current, []).append(line)
    for k in out:
        while out[k] and out[k][0] == "":
            out[k].pop(0)
        while out[k] and out[k][-1] == "":
            out[k].pop()
    return out


FLAG = re.compile(
    r"^  (?:-(?P<short>\w), |    )--(?P<name>[\w-]+)(?: (?P<var>[\w-]+))?\s{2,}(?P<usage>.*)$"
)
FLAG_NO_USAGE = re.compile(
    r"^  (?:-(?P<short>\w), |    )--(?P<name>[\w-]+)(?: (?P<var>[\w-]+))?\s*$"
)


def parse_flags(lines: list[str]) -> list[dict]:
    flags: list[dict] = []
    col = None
    for line in lines:
        if not line.strip():
            break  # what follows the table is the template's closing lines
        m = FLAG.match(line) or FLAG_NO_USAGE.match(line)
        if m and (col is None or not line[:col].strip() == ""):
            usage = m.groupdict().get("usage") or ""
            col = line.index(usage) if usage else len(line)
            flags.append(
                {"name": m["name"], "short": m["short"], "var": m["var"] or "", "usage": usage}
            )
        else:
            flags[-1]["usage"] += "\n" + line[col:]
    for f in flags:
        d = re.search(r' \(default ("(?:[^"\\]|\\.)*"|[^)]*)\)$', f["usage"])
        f["default"] = None
        if d:
            f["usage"] = f["usage"][: d.start()]
            v = d.group(1)
            f["default"] = json.loads(v) if v.startswith('"') else v
            f["quoted_default"] = v.startswith('"')
    return flags


def parse_commands(lines: list[str]) -> list[dict]:
    out = []
    for line in lines:
        m = re.match(r"^  (\S+)\*?\s+(.*)$", line)
        if m:
            out.append({"name": m.group(1).rstrip("*"), "short": m.group(2)})
    return out


ARG_ERRORS = [
    (re.compile(r"accepts no arguments"), "none"),
    (re.compile(r"requires at least (\d+) and at most (\d+) argument"), "range"),
    (re.compile(r"requires at least (\d+) argument"), "min"),
    (re.compile(r"requires at most (\d+) argument"), "max"),
    (re.compile(r"requires (\d+) argument"), "exact"),
]


def probe_args(path: list[str]) -> dict:
    """Which argument counts the command refuses, and with what words."""
    refused: dict[int, str] = {}
    for n in range(4):
        _, err, _ = run(path[1:] + [f"arg{i}" for i in range(n)], cols=None)
        first = err.split("\n", 1)[0]
        if first.startswith("docker: '") and "argument" in first:
            refused[n] = err
    rule: dict = {"kind": "any"}
    for err in refused.values():
        first = err.split("\n", 1)[0]
        for pat, kind in ARG_ERRORS:
            m = pat.search(first)
            if m:
                rule = {"kind": kind, "numbers": [int(g) for g in m.groups()]}
                rule["see"] = "\nSee '" in err
                break
        break
    rule["refused"] = sorted(refused)
    return rule


def describe(path: list[str], detailed: bool) -> dict:
    out, err, rc = run(path[1:] + ["--help"])
    s = sections(out)
    cmd: dict = {
        "path": " ".join(path),
        "usage": "\n".join(s["usage"]),
        "description": "\n".join(s["description"]),
    }
    if "Aliases" in s:
        cmd["aliases"] = [a.strip() for a in " ".join(s["Aliases"]).split(",")]
    for key in ("Examples",):
        if key in s:
            cmd[key.lower()] = "\n".join(s[key])
    groups = [k for k in s if k.endswith("Commands")]
    cmd["command_groups"] = [{"title": g, "commands": parse_commands(s[g])} for g in groups]
    opt_key = "Global Options" if "Global Options" in s else "Options"
    if opt_key in s:
        cmd["flags"] = parse_flags(s[opt_key])
        cmd["options_title"] = opt_key
    # Errors show cobra's UseLine, which for groups is not what help shows.
    _, err, _ = run(path[1:] + ["--no-such-flag-at-all"], cols=None)
    m = re.search(r"\n\nUsage:  (.*?)\n\n(Run|See) '", err, re.S)
    if m and m.group(1) != cmd["usage"]:
        cmd["use_line"] = m.group(1)
    if detailed and not groups:
        cmd["args"] = probe_args(path)
    subs = []
    if detailed:
        for g in cmd["command_groups"]:
            for c in g["commands"]:
                subs.append(describe(path + [c["name"]], True))
    cmd["subcommands"] = subs
    return cmd


def main() -> None:
    out, _, _ = run(["--version"])
    top = describe(["docker"], False)
    top["version"] = out.strip()
    for g in top["command_groups"]:
        for c in g["commands"]:
            top["subcommands"].append(describe(["docker", c["name"]], True))
    json.dump(top, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
