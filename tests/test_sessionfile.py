"""`lab save FILE` and `miniswarm --load FILE`: a lab kept as its machines keep it when
switched off — disks (the managers' logs sealed), which hosts were on, the student's
files, the network's cuts, the clock — and brought back from them, on either driver. No
secret is ever in the file in the clear, and a file that is not a session (or carries
anything but miniswarm's own classes and plain data) is refused without running it."""

from __future__ import annotations

import gzip
import pickle

import pytest
from labshell import ok, sh, swarm_lab

from miniswarm import sessionfile
from miniswarm.shell import Shell


@pytest.fixture
def lab(seed):
    yield from swarm_lab(seed)


def test_a_saved_lab_comes_back_as_after_a_power_cut_of_every_host(lab, tmp_path):
    ok(lab, "printf 'TopSecretPw' | docker secret create pw -")
    ok(lab, "docker service create -d --name db --secret pw --replicas 3 busybox sleep 1d")
    ok(lab, "docker network create -d overlay backend; echo hello > notes.txt; lab sleep 10")
    ok(lab, "lab stop worker2; lab partition manager3 / manager1 manager2 worker1 worker2")
    file = tmp_path / "class.session"
    said = ok(lab, f"lab save {file}")
    assert said.startswith(f"Saved the lab in {file}: go on with miniswarm --load {file}.")
    assert b"TopSecretPw" not in gzip.decompress(file.read_bytes())  # sealed, never clear
    saved_at = lab.now()

    again = sessionfile.load(file)
    assert again.now() == pytest.approx(saved_at)
    assert not again.kernel.hosts["worker2"].up and again.kernel.hosts["worker1"].up
    assert not again.kernel.network.can_reach("192.168.0.102", "192.168.0.100")
    again.heal()
    again.sleep(40)
    out = Shell(again, "manager1").run(
        "docker service ls --format '{{.Name}} {{.Replicas}}'; docker secret ls --format "
        "'{{.Name}}'; docker network ls -f driver=overlay --format '{{.Name}}'; cat notes.txt"
    )
    assert out.text.split("\n") == ["db 3/3", "pw", "backend", "ingress", "hello", ""]
    nodes = Shell(again, "manager1").run("docker node ls --format '{{.Hostname}} {{.Status}}'")
    status = dict(line.split() for line in nodes.text.splitlines())
    assert status["manager3"] == "Ready"  # the cut was healed: it came back
    assert status["worker2"] in ("Unknown", "Down")  # left off: the new leader never heard it
    again.close()


def test_what_is_not_a_session_is_refused_without_being_run(tmp_path):
    plain = tmp_path / "notes.txt"
    plain.write_text("hello")
    with pytest.raises(sessionfile.SessionFileError, match="is not a miniswarm session"):
        sessionfile.load(plain)

    class Boom:
        def __reduce__(self):
            return (print, ("this must never run",))

    evil = tmp_path / "evil.session"
    evil.write_bytes(gzip.compress(pickle.dumps({"format": sessionfile.FORMAT, "x": Boom()})))
    with pytest.raises(sessionfile.SessionFileError, match="builtins.print has no place"):
        sessionfile.load(evil)
    with pytest.raises(sessionfile.SessionFileError, match="cannot read"):
        sessionfile.load(tmp_path / "missing.session")


def test_lab_save_says_what_went_wrong(lab, tmp_path):
    assert sh(lab, f"lab save {tmp_path}/no/such/dir/x.session") == (
        f"lab save: cannot write {tmp_path}/no/such/dir/x.session: No such file or directory\n",
        1,
    )
    assert sh(lab, "lab save")[0].startswith("usage: lab save FILE")


def test_miniswarm_load_goes_on_where_the_lab_was(lab, tmp_path, capsys, monkeypatch):
    import io

    from miniswarm.repl import repl

    ok(lab, "docker service create -d --name web --replicas 2 nginx; lab sleep 5")
    ok(lab, f"lab save {tmp_path}/s.session")
    monkeypatch.setattr("sys.stdin", io.StringIO("lab sleep 30; docker service ls --format "
                                                 "'{{.Name}} {{.Replicas}}'\n"))  # fmt: skip
    assert repl(load=str(tmp_path / "s.session")) == 0
    assert "web 2/2" in capsys.readouterr().out
    assert repl(load=str(tmp_path / "nothing.session")) == 2
    assert "miniswarm: cannot read" in capsys.readouterr().err


def test_a_loaded_lab_keeps_its_clock_and_calendar_on_either_driver():
    from miniswarm.sim import SimDriver, ThreadDriver

    real = [50.0]
    k = ThreadDriver(seed=1, speed=5.0, clock=lambda: real[0])
    k.set_clock(100.0, epoch=1_700_000_000.0)
    assert k.now() == 100.0
    k.start()
    try:
        assert k.epoch == 1_700_000_000.0  # the calendar goes on, whatever today is
        assert k.now() == pytest.approx(100.0)
        real[0] += 2
        assert k.now() == pytest.approx(110.0)  # two real seconds at five times
    finally:
        k.stop()
    sim = SimDriver(seed=1)
    sim.set_clock(100.0, epoch=1_700_000_000.0)
    assert (sim.now(), sim.epoch) == (100.0, 1_700_000_000.0)
