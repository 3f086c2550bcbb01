"""The docker command line as docker 28.2.2 reads it, and that nothing typed at it breaks
miniswarm.

tests/fixtures/docker-cli holds what the real docker binary printed: `--help` of every
one of its 188 commands, and its answers to 3,420 command lines that a differential fuzzer
threw at it (real command words, real flags in every form, junk), recorded with no daemon
to reach — so each answer is the command line's own: help, a usage error, a flag error,
or (`accepted`) a line docker would have sent on to the daemon.

Not yet matched, and so not in the fixture: the few flags whose values docker checks with
a validator of its own (ulimits, device rates, external CAs, memory sizes as floats).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miniswarm.cli import spec
from miniswarm.cli.commands import in_lab, left_out
from miniswarm.cli.help import help_text
from miniswarm.cli.parse import CliError, parse
from miniswarm.i18n import t
from miniswarm.lab import Lab

FIXTURES = Path(__file__).parent / "fixtures" / "docker-cli"
HELP: dict[str, str] = json.loads((FIXTURES / "help.json").read_text())  # 80 columns
CASES: list[dict] = json.loads((FIXTURES / "parse.json").read_text())
NOTICE = "Flag shorthand -h has been deprecated, use --help\n"


def _expand(text: str) -> str:
    """The fixture writes a help text it already holds as `@help PATH`."""
    if text.startswith("@help "):
        return HELP[text[6:]]
    if text.startswith("@notice+help "):
        return NOTICE + HELP[text[13:]]
    return text


@pytest.mark.parametrize("path", sorted(HELP))
def test_help_is_dockers_word_for_word(path):
    assert help_text(spec.find(path), 80) == HELP[path]


WIDTHS: dict[str, str] = json.loads((FIXTURES / "help-widths.json").read_text())


@pytest.mark.parametrize("key", sorted(WIDTHS))
def test_help_is_wrapped_as_docker_wraps_it_on_the_terminal_it_runs_on(key):
    width, path = key.split(" ", 1)
    assert help_text(spec.find(path), int(width)) == WIDTHS[key]


def test_docker_reads_every_recorded_command_line_as_the_real_one_did():
    lab = Lab([("host1", "10.0.0.1")])
    wrong = []
    for case in CASES:
        argv = case["argv"]
        if case.get("accepted"):
            try:
                inv = parse(argv)
            except CliError as exc:
                wrong.append(f"{argv}: docker accepts it, we said {exc.message[:80]!r}")
                continue
            if inv.help:
                wrong.append(f"{argv}: docker accepts it, we showed help")
            continue
        r = lab.docker("host1", argv)
        want = (_expand(case["stdout"]), _expand(case["stderr"]), case["status"])
        lab_help = _lab_group_help(argv, want)
        if lab_help is not None:  # docker's help, as the lab lists a command group
            want = lab_help
        if (r.out, r.err, r.status) != want:
            wrong.append(
                f"{argv}:\n  docker: {want!r:.300}\n  we:     {(r.out, r.err, r.status)!r:.300}"
            )
    assert not wrong, f"{len(wrong)} of {len(CASES)} differ:\n" + "\n".join(wrong[:20])


def _lab_group_help(argv: list[str], want: tuple[str, str, int]) -> tuple[str, str, int] | None:
    """A command group's help as the lab shows it — the groups listing only what the lab
    has, then a line naming what it leaves out — once the recording is checked to be the
    unfiltered help_text word for word. None for any other answer."""
    try:
        inv = parse(argv)
    except CliError:
        return None
    if not inv.help or not inv.command.is_group:
        return None
    out, err, status = want
    full = help_text(inv.command, 80)
    notices = "".join(n + "\n" for n in inv.notices)
    assert (err if inv.help_to_stderr else out) in (full, notices + full), argv
    gone = left_out(inv.command)
    shown = help_text(inv.command, 80, in_lab)
    if gone:
        shown += "\n" + t("docker.not_listed", commands=", ".join(gone)) + "\n"
    if inv.help_to_stderr:
        return out, shown, status
    return (notices + shown if out.startswith(notices) and notices else shown), err, status


# -- nothing typed breaks anything ----------------------------------------------------------

HOSTS = ["manager1", "manager2", "manager3", "worker1", "worker2"]
SWARM_COMMANDS = [
    c
    for path in (
        "docker swarm init",
        "docker swarm join",
        "docker swarm join-token",
        "docker swarm leave",
        "docker swarm update",
        "docker swarm ca",
        "docker node ls",
        "docker node inspect",
        "docker node promote",
        "docker node demote",
        "docker node update",
        "docker node rm",
        "docker node ps",
        "docker info",
        "docker version",
    )
    for c in [spec.find(path)]
]
JUNK = [
    "",
    "-",
    "--",
    "=",
    "x",
    "-x",
    "--nope",
    "a=b",
    "{{",
    "{{.ID}}",
    "{{json .}}",
    "0",
    "-1",
    "5s",
    "99999999999999999999",
    "ünïcødé",
    "'",
    '"',
    "\\",
    "self",
    "worker",
    "manager",
    "active",
    "drain",
    "pause",
    "true",
    "false",
    "10.0.0.1:2377",
    "192.168.0.100",
    "role=manager",
    "SWMTKN-1-bogus",
    "table {{.Hostname}}",
    "node.role==manager",
    "{{range .}}{{.}}{{end}}",
    "{{.Status.Foo}}",
    "{{json .}}",
    "{{index . 1}}",
    "{{$x := .ID}}{{$x}}",
    "json",
    "pretty",
]
ARGUMENTS = ["self", "worker", "manager", "manager1:2377", "192.168.0.100", "nosuchnode"]


def _argument_count(draw, cmd) -> int:
    """Mostly as many arguments as the command takes, sometimes any number."""
    rule = cmd.args or {"kind": "any"}
    nums = rule.get("numbers", [0])
    if draw(st.integers(0, 4)) == 0 or rule["kind"] == "any":
        return draw(st.integers(0, 3))
    if rule["kind"] == "none":
        return 0
    if rule["kind"] in ("exact", "min"):
        return nums[0] + (draw(st.integers(0, 1)) if rule["kind"] == "min" else 0)
    return draw(st.integers(nums[0], nums[-1]))


@st.composite
def command_lines(draw) -> list[str]:
    cmd = draw(st.sampled_from(SWARM_COMMANDS))
    words = cmd.path.split()[1:]
    if draw(st.integers(0, 9)) == 0:
        words = words[: draw(st.integers(0, len(words)))]
    argv = list(words)
    for _ in range(draw(st.integers(0, 3))):
        if not cmd.flags or draw(st.integers(0, 4)) == 0:
            argv.append(draw(st.sampled_from(JUNK)))
            continue
        f = draw(st.sampled_from(cmd.flags))
        value = draw(st.sampled_from(JUNK + HOSTS))
        form = draw(st.integers(0, 3))
        if form == 0:
            argv.append("--" + f.name)
        elif form == 1:
            argv.append(f"--{f.name}={value}")
        elif form == 2 and f.short:
            argv.append("-" + f.short)
        else:
            argv += ["--" + f.name, value]
    for _ in range(_argument_count(draw, cmd)):
        argv.append(draw(st.sampled_from(HOSTS + ARGUMENTS + JUNK[:8])))
    if draw(st.integers(0, 9)) == 0:
        argv = (
            draw(
                st.sampled_from(
                    [["-D"], ["--log-level", "x"], ["-H", "worker1"], ["-H", "nowhere"]]
                )
            )
            + argv
        )
    return argv


def cluster_state(lab: Lab) -> list:
    """Everything a command could change: each daemon's swarm state and Raft membership,
    and every manager's replicated store."""

    def of(daemon):
        m = daemon.manager
        return (
            json.dumps(daemon.state, sort_keys=True),
            m.store.snapshot() if m else None,
            sorted(m.raft.raft.config.voters) if m else None,
        )

    return [lab.kernel.call(h, of) for h in HOSTS if lab.kernel.hosts[h].up]


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(lines=st.lists(st.tuples(st.sampled_from(HOSTS), command_lines()), min_size=1, max_size=5))
def test_random_command_lines_never_raise_and_change_nothing_when_they_fail(lines):
    lab = Lab(seed=len(lines))
    lab.form_swarm(HOSTS[:3], HOSTS[3:])
    for host, argv in lines:
        before = cluster_state(lab)
        r = lab.docker(host, argv)  # a Python exception here fails the test
        assert r.status in (0, 1, 125), (host, argv, r)
        assert "Traceback" not in r.err
        if r.status != 0 and not r.out:
            assert cluster_state(lab) == before, f"{host}: docker {argv} failed and changed things"
        else:
            lab.sleep(30)  # let what it did settle before the next one
