"""`lab rewind SECONDS`: the REPL's lab runs on PacedDriver (SimDriver's order of events on
the wall clock), so a session is its origin and the lines typed — each at the simulated
moment it began, stopped by Ctrl-C where it was, given what it read. Rewinding makes the
lab again and plays the lines before that moment: rewinding by nothing gives back the very
same lab, byte for byte. Here the lab is not paced (a test never waits on the wall
clock); the gaps while nobody types are run as the pump would run them."""

from __future__ import annotations

import gc
import json
import weakref

from miniswarm.lab import Lab
from miniswarm.repl import Session
from miniswarm.shell import Shell


def state(lab: Lab) -> list:
    def of(daemon):
        m = daemon.manager
        raft = m.raft.raft if m else None
        return (
            json.dumps(daemon.state, sort_keys=True, default=str),
            m.store.snapshot() if m else None,
            (raft.term, raft.commit, raft.last_index, raft.state) if raft else None,
            sorted((c.name, c.state) for c in daemon.runtime.containers.values()),
        )

    return [lab.kernel.call(h, of) if lab.kernel.hosts[h].up else None for h in lab.names]


class Keyboard:
    """Ctrl-C at given lab times, as a student's would come."""

    def __init__(self, lab_of: Session) -> None:
        self.session = lab_of
        self.at: list[float] = []

    def __call__(self) -> bool:
        if self.at and self.session.lab.now() >= self.at[0]:
            self.at.pop(0)
            return True
        return False


def session(seed: int = 21) -> tuple[Session, Keyboard]:
    def origin() -> Lab:
        return Lab(seed=seed, driver="paced")

    s = Session(origin(), tty=True, width=100)
    s.origin = origin
    keyboard = Keyboard(s)
    s.job.interrupted = keyboard
    return s, keyboard


def idle(s: Session, seconds: float) -> None:
    """Nobody types: the pump runs what falls due."""
    s.lab.kernel.run_until(s.lab.now() + seconds)


def typed(s: Session, line: str) -> str:
    out: list[str] = []
    s.run(line, out.append, out.append)
    return "".join(out)


def test_rewinding_by_nothing_gives_back_the_very_same_lab():
    s, keyboard = session()
    typed(s, "docker swarm init --advertise-addr 192.168.0.100")
    idle(s, 2.5)
    typed(s, "TOKEN=$(docker swarm join-token -q worker)")
    typed(s, "ssh worker1")
    typed(s, "docker swarm join --token $TOKEN 192.168.0.100:2377")
    typed(s, "exit")
    typed(s, "ssh worker2 docker swarm join --token $TOKEN 192.168.0.100:2377")
    idle(s, 1.3)
    typed(s, "docker service create --name web --replicas 3 nginx")  # polls its progress
    keyboard.at = [s.lab.now() + 4.2]
    typed(s, "docker service logs -f web")  # until Ctrl-C
    idle(s, 7.7)
    typed(s, "lab stop worker1")
    idle(s, 20)
    typed(s, "docker service scale web=5")
    idle(s, 3)
    before, now = state(s.lab), s.lab.now()
    assert "Back at lab time" in typed(s, "lab rewind 0")
    assert s.lab.now() == now
    assert state(s.lab) == before
    s.lab.close()


def test_rewinding_goes_back_to_that_moment_and_goes_on_from_there():
    s, _ = session()
    typed(s, "docker swarm init --advertise-addr 192.168.0.100")
    typed(s, "ssh worker1 docker swarm join --token $(docker swarm join-token -q worker) "
             "192.168.0.100:2377")  # fmt: skip
    typed(s, "docker service create -d --name web --replicas 2 nginx; lab sleep 10")
    marked = s.lab.now()
    typed(s, "lab sleep 20; docker service rm web; lab sleep 15")
    said = typed(s, "lab rewind 30; echo this was for the lab that is gone")
    # 35 s on, 30 back: in the middle of the last line, stopped at its next look at the
    # keyboard (a command looks every 0.05 s, as for a Ctrl-C)
    assert marked + 5 <= s.lab.now() <= marked + 5 + 0.05 + 1e-9
    assert said.startswith("Back at lab time 00:") and "gone" not in said
    # stopped where it was then: the service is there, and the lab goes on from here
    out = Shell(s.lab, "manager1").run("docker service ls --format '{{.Name}} {{.Replicas}}'")
    assert out.text == "web 2/2\n"
    assert [x.line for x in s.typed][-1].startswith("lab sleep 20")
    assert s.host == "manager1"
    s.lab.close()


def test_a_lab_not_made_by_the_session_cannot_be_rewound():
    s = Session(Lab(seed=3))
    assert typed(s, "lab rewind 10").startswith("lab rewind: only in a lab this miniswarm")


def test_the_lab_gone_back_from_is_freed():
    s, _ = session()
    typed(s, "docker swarm init --advertise-addr 192.168.0.100; lab sleep 5")
    gone = weakref.ref(s.lab)
    gc.collect()  # the lab has lived through a full collection: frozen
    typed(s, "lab rewind 2")
    assert gone() is None
    s.lab.close()
