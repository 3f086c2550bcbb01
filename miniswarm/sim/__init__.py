"""The simulation kernel: simulated hosts, their disks, the network between them, and
the drivers that run them (deterministic `SimDriver`; real-time `ThreadDriver`; and
`PacedDriver`, SimDriver's order on the wall clock, which the REPL runs on)."""

from .disk import Disk
from .kernel import Event, Host, HostContext, HostDown, Kernel, Process, Repeating, UnknownHost
from .network import NetStats, Network
from .paceddriver import PacedDriver
from .simdriver import SimDriver
from .threaddriver import ThreadDriver

__all__ = [
    "Disk",
    "Event",
    "Host",
    "HostContext",
    "HostDown",
    "Kernel",
    "NetStats",
    "PacedDriver",
    "Network",
    "Process",
    "Repeating",
    "SimDriver",
    "ThreadDriver",
    "UnknownHost",
]
