"""Logging in and out of lab hosts: ssh, exit, logout, history.

`ssh HOST` nests a login on HOST in the terminal session (its prompt shows where the
student is), `exit` or Ctrl-D leaves it, back to the host before, as a real ssh does;
`ssh HOST COMMAND` runs one command there. Without a terminal session (a transcript, a
test's Shell) there is nothing to nest into, and ssh says so as ssh does.
"""

from __future__ import annotations

from .hostshell import HostShell
from .shtools import IO, ExitShell, builtin

SSH_USAGE = """\
usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface] [-b bind_address]
           [-c cipher_spec] [-D [bind_address:]port] [-E log_file]
           [-e escape_char] [-F configfile] [-I pkcs11] [-i identity_file]
           [-J destination] [-L address] [-l login_name] [-m mac_spec]
           [-O ctl_cmd] [-o option] [-P tag] [-p port] [-R address]
           [-S ctl_path] [-W host:port] [-w local_tun[:remote_tun]]
           destination [command [argument ...]]
"""


@builtin("ssh")
def ssh(sh: HostShell, args: list[str], io: IO) -> int:
    """ssh [-t] [USER@]HOST [COMMAND...]: log in to HOST, or run COMMAND there."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in ("-p", "-l", "-i", "-o", "-F", "-J") else 1
    if i >= len(args):
        io.err(SSH_USAGE)
        return 255
    target = args[i].split("@")[-1]
    command = args[i + 1 :]
    host = next((n for n, a in sh.lab.hosts if target in (n, a)), None)
    if host is None:
        io.err(f"ssh: Could not resolve hostname {target}: Name or service not known\n")
        return 255
    if not sh.lab.kernel.hosts[host].up:
        io.err(f"ssh: connect to host {target} port 22: No route to host\n")
        return 255
    if command:
        return sh.elsewhere(host, " ".join(command), io.out, io.err)
    if sh.hooks is None:
        io.err("Pseudo-terminal will not be allocated because stdin is not a terminal.\n")
        return 1
    sh.hooks.enter(host)
    return 0


@builtin("exit", "logout")
def exit_(sh: HostShell, args: list[str], io: IO) -> int:
    if args and not args[0].lstrip("-").isdigit():
        io.err(f"-bash: exit: {args[0]}: numeric argument required\n")
        raise ExitShell(2)
    raise ExitShell(int(args[0]) % 256 if args else sh.status)


@builtin("history")
def history(sh: HostShell, args: list[str], io: IO) -> int:
    entries = sh.hooks.history if sh.hooks is not None else []
    if args[:1] == ["-c"]:
        entries.clear()
        return 0
    shown = entries[-int(args[0]) :] if args and args[0].isdigit() else entries
    first = len(entries) - len(shown) + 1
    for n, entry in enumerate(shown, first):
        io.out(f"{n:5d}  {entry}\n")
    return 0
