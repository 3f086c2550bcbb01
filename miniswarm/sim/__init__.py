"""The simulation kernel: simulated hosts, their disks, the network between them, and
the two drivers that run them (deterministic `SimDriver`, real-time `ThreadDriver`)."""

from .disk import Disk
from .kernel import Event, Host, HostContext, HostDown, Kernel, Process, Repeating, UnknownHost
from .network import NetStats, Network
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
    "Network",
    "Process",
    "Repeating",
    "SimDriver",
    "ThreadDriver",
    "UnknownHost",
]
