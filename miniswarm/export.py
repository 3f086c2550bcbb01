"""`lab export FILE`: the commands a student typed in the lab, as a shell script to run
against real machines.

Each command runs on its host through ssh (`ssh "$H_WORKER1" '…'`), the lab's addresses
become variables at the top to edit, and a join token pasted from the lab's output is
asked of a manager when the script runs (`docker swarm join-token -q worker`), never
written down: the lab's tokens mean nothing to a real swarm, and a real one should not
sit in a file. What only the lab can do (`lab stop`, `lab partition` …) becomes a comment
saying what to do by hand; `lab sleep N` becomes `sleep N`.
"""

from __future__ import annotations

import re
import shlex

from .i18n import t

TOKEN = re.compile(r"SWMTKN-1-[0-9a-z]+-[0-9a-z]+")
ASKED = re.compile(r"\$\(\s*docker\s+swarm\s+join-token\s+-q\s+(worker|manager)\s*\)")
HELD = re.compile(r"^(\w+)=\$(WORKER|MANAGER)_TOKEN$")
SKIPPED = {"exit", "logout", "clear", "history", "help", "hosts", "lesson", "exercise",
           "hint", "show", "next", "back", "check"}  # fmt: skip


def var(host: str) -> str:
    """A host's address variable: manager1 → MANAGER1."""
    return re.sub(r"\W", "_", host).upper()


def export_script(
    hosts: list[tuple[str, str]],
    typed: list[tuple[str, str]],
    tokens: dict[str, str],
    seed: int,
) -> str:
    """The script for `typed` (host, line) pairs. `tokens`: the lab's join tokens now
    ({"worker": …, "manager": …}), to tell which one a pasted token was."""
    names = [name for name, _ in hosts]
    out = [
        "#!/bin/sh",
        *(f"# {line}" for line in t("export.header", seed=seed).split("\n")),
        "",
    ]
    for name, addr in hosts:
        out.append(f"{var(name)}={addr}")
    for name, _ in hosts:
        out.append(f"H_{var(name)}={name}  # {t('export.ssh')}")
    out.append("")
    manager = names[0]  # where join tokens are asked for: the last host that made a swarm
    held: dict[str, str] = {}  # NAME=$(docker swarm join-token -q ROLE): NAME holds ROLE's
    for host, line in typed:
        line = line.strip()
        # $(docker swarm join-token -q ROLE) ran where it was typed: the token, asked for
        line, roles = ASKED.sub(lambda m: f"${m[1].upper()}_TOKEN", line), ASKED.findall(line)
        kept = HELD.match(line)
        if kept:  # TOKEN=$WORKER_TOKEN: remember it, and ask for it where it is used
            held[kept[1]] = kept[2]
            continue
        for name, role in held.items():
            line, n = re.subn(rf"\$\{{?{name}\b\}}?", f"${role.upper()}_TOKEN", line)
            roles += [role.lower()] * bool(n)
        host, line = _where(host, line, names)
        if not line or line.split()[0] in SKIPPED:
            continue
        words = line.split()
        if words[0] == "lab":
            if len(words) == 3 and words[1] in ("sleep", "wait"):
                out.append(f"sleep {words[2]}")
            else:
                out.append(f"# {t('export.by_hand', action=line)}")
            continue
        if "swarm init" in line or "swarm join-token" in line:
            manager = host
        for token in TOKEN.findall(line):
            role = "manager" if token == tokens.get("manager") else "worker"
            line = line.replace(token, f"${role.upper()}_TOKEN")
            roles.append(role)
        for role in dict.fromkeys(roles):
            out.append(
                f'{role.upper()}_TOKEN=$(ssh "$H_{var(manager)}" docker swarm join-token -q {role})'
            )
        out.append(f'ssh "$H_{var(host)}" {_remote(line, hosts)}')
    return "\n".join(out) + "\n"


def _where(host: str, line: str, names: list[str]) -> tuple[str, str]:
    """The host a line really runs on: `ssh HOST CMD` and `docker -H HOST …` move it."""
    try:
        words = shlex.split(line)
    except ValueError:
        return host, line
    if len(words) >= 2 and words[0] == "ssh" and words[1] in names:
        if len(words) == 2:
            return host, ""  # a login: the lines that follow say where they ran
        rest = line.split(words[1], 1)[1].strip()
        return words[1], rest
    match = re.match(r"^docker\s+(-H|--host)[ =](\S+)\s+(.*)$", line)
    if match and match[2] in names:
        return match[2], f"docker {match[3]}"
    return host, line


def _remote(line: str, hosts: list[tuple[str, str]]) -> str:
    """The command, single-quoted for the remote shell, with the lab's addresses and the
    token variables spliced in from this script's variables."""
    pieces = re.split(r"(\$(?:WORKER|MANAGER)_TOKEN|" + "|".join(
        re.escape(addr) for _, addr in sorted(hosts, key=lambda h: -len(h[1]))
    ) + ")", line)  # fmt: skip
    by_address = {addr: var(name) for name, addr in hosts}
    out = []
    for piece in pieces:
        if piece.startswith("$") and piece.endswith("_TOKEN"):
            out.append(f'"{piece}"')
        elif piece in by_address:
            out.append(f'"${by_address[piece]}"')
        elif piece:
            out.append("'" + piece.replace("'", "'\\''") + "'")
    return "".join(out) or "''"
