"""ping on a lab host (iputils'), over the simulated network: a host answers while it is
up and the network between the two lets the packets through, so students can see a
stopped host ("Destination Host Unreachable") or a partition (silence) for themselves."""

from __future__ import annotations

from .hostshell import HostShell
from .job import Interrupted
from .shtools import IO, builtin

UNREACHABLE_AFTER = 3  # packets before the kernel gives up on ARP and says so


@builtin("ping")
def ping(sh: HostShell, args: list[str], io: IO) -> int:
    """ping [-c COUNT] [-i INTERVAL] HOST: until COUNT packets, or Ctrl-C."""
    count: int | None = None
    interval = 1.0
    target = None
    it = iter(args)
    for a in it:
        if a in ("-c", "-i", "-W", "-w", "-s"):
            value = next(it, "")
            try:
                number = float(value)
            except ValueError:
                io.err(f"ping: invalid argument: '{value}'\n")
                return 1
            if a == "-c":
                count = int(number)
            elif a == "-i":
                interval = max(0.2, number)
        elif a.startswith("-c") and a[2:].isdigit():
            count = int(a[2:])
        elif a.startswith("-"):
            continue
        else:
            target = a
    if target is None:
        io.err("ping: usage error: Destination address required\n")
        return 1
    address = sh.lab.resolve(target)
    if address is None:
        io.err(f"ping: {target}: Name or service not known\n")
        return 2
    name = next((n for n, a in sh.lab.hosts if a == address), None)
    shown = f"{target} ({address})" if target != address else address
    io.out(f"PING {target} ({address}) 56(84) bytes of data.\n")
    source = sh.lab.address(sh.host)
    net = sh.lab.kernel.network
    rng = sh.lab.cli_rng
    sent, times, errors = 0, [], 0
    start = sh.lab.now()
    try:
        while count is None or sent < count:
            sent += 1
            up = name is not None and sh.lab.kernel.hosts[name].up
            through = net.can_reach(source, address) and net.can_reach(address, source)
            if address == source or (up and through):
                ms = 0.03 if address == source else 0.25 + rng.random() * 0.3
                times.append(ms)
                io.out(f"64 bytes from {shown}: icmp_seq={sent} ttl=64 time={ms:.3f} ms\n")
            elif name is not None and not up and through and sent % UNREACHABLE_AFTER == 0:
                for seq in range(sent - UNREACHABLE_AFTER + 1, sent + 1):
                    io.out(f"From {source} icmp_seq={seq} Destination Host Unreachable\n")
                    errors += 1
            if count is None or sent < count:
                sh.job.sleep(interval)
    except Interrupted:
        pass  # ping catches SIGINT: the summary, and a normal exit
    elapsed = int((sh.lab.now() - start) * 1000)
    received = len(times)
    loss = int(round(100 * (sent - received) / sent)) if sent else 0
    io.out(f"\n--- {target} ping statistics ---\n")
    errs = f" +{errors} errors," if errors else ""
    io.out(f"{sent} packets transmitted, {received} received,{errs} {loss}% packet loss, "
           f"time {elapsed}ms\n")  # fmt: skip
    if times:
        avg = sum(times) / received
        mdev = (sum((x - avg) ** 2 for x in times) / received) ** 0.5
        io.out(f"rtt min/avg/max/mdev = {min(times):.3f}/{avg:.3f}/{max(times):.3f}/"
               f"{mdev:.3f} ms\n")  # fmt: skip
    return 0 if times else 1
