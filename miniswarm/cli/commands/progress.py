"""The progress display of `service create/update/scale/rollback` without -d (the CLI's
service/progress package): it polls the service and its up-to-date tasks every 200 ms,
draws a bar per slot (or per node), waits out the monitor period once every task runs,
and says the service converged — or that the update paused.

On a terminal the lines are redrawn in place; what stays is the last screen. Piped,
every new message is a new line, and messages carrying a bar are left out.
"""

from __future__ import annotations

from ...job import Interrupted
from . import CommandError, Context

POLL = 0.2
MAX_BARS = 20
# The CLI's numberedStates: a task desired Remove (scaled away) or Orphaned has no number,
# so the display leaves it out — and never counts more tasks than the service wants.
STATES = (
    "new allocated pending assigned accepted preparing ready starting running complete "
    "shutdown failed rejected"
).split()
NUMBERED = {s: i + 1 for i, s in enumerate(STATES)}
TERMINAL = {"complete", "shutdown", "failed", "rejected"}
LONGEST_STATE = 9


class Output:
    """jsonmessage's rendering of progress messages (DisplayJSONMessagesStream). On a
    terminal each ID keeps a line of its own, redrawn in place as its progress moves:
    the cursor goes up to it, erases it, writes, and comes back down. Piped, a message
    that carries a bar is left out and every other one is a new line."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tty = ctx.tty
        self.bars = ctx.tty and ctx.width > 110
        self.ids: dict[str, int] = {}  # ID -> its line, counted from the first

    def write(self, id: str, action: str, current: int = 0, total: int = 0) -> None:
        if not self.tty:
            if current:
                return
            self.ctx.print(f"{id}: {action}")
            return
        bar = ""
        if current and self.bars:
            p = int(current / total * 100) // 2
            bar = "[" + "=" * p + ">" + " " * (50 - p) + "] "
        line = self.ids.get(id)
        out = ""
        if line is None:
            line = self.ids[id] = len(self.ids)
            out += "\n"
        diff = len(self.ids) - line
        out += f"\x1b[{diff}A\x1b[2K\r{id}: {action} {bar}\r\x1b[{diff}B"
        self.ctx.write(out)

    def message(self, text: str) -> None:
        """A line without an ID: it ends the lines redrawn in place."""
        self.ids = {}
        self.ctx.print(text)


def watch(ctx: Context, service_id: str, shown: str) -> None:
    """Follow a service until it converges (ServiceProgress); raise CommandError if its
    update pauses."""
    client = ctx.client
    out = Output(ctx)
    converged_at: float | None = None
    rollback = False
    message = None
    slot_map: dict = {}
    initialized = False
    done = False
    converged = False
    try:
        while True:
            service = client.get(f"/services/{service_id}", insertDefaults=False)
            spec = service["Spec"]
            monitor = ((spec.get("UpdateConfig") or {}).get("Monitor") or 5_000_000_000) / 1e9
            status = service.get("UpdateStatus") or {}
            state = status.get("State")
            if state == "updating":
                rollback = False
            elif state == "completed":
                if converged_at is None:
                    return
            elif state == "paused":
                raise CommandError(f"service update paused: {status.get('Message', '')}")
            elif state == "rollback_started":
                if not rollback and status.get("Message"):
                    out.write("rollback", status["Message"])
                rollback = True
            elif state == "rollback_paused":
                raise CommandError(f"service rollback paused: {status.get('Message', '')}")
            elif state == "rollback_completed":
                # swarm completes a rollback one monitor period after its last task runs,
                # a moment before the CLI's own wait ends: the recordings always show it
                message = status.get("Message", "")
                rollback = True
            now = client.kernel.now()
            if converged_at is not None and now - converged_at >= monitor:
                out.write("verify", f"Service {shown} converged")
                if message:
                    out.write("rollback", message)
                return
            tasks = client.get(
                "/tasks", filters={"_up-to-date": ["true"], "service": [service["ID"]]}
            )
            nodes = client.get("/nodes")
            active = {n["ID"] for n in nodes if n["Status"]["State"] != "down"}
            if "Global" in (spec.get("Mode") or {}):
                converged, initialized, done = _global(
                    out, tasks, nodes, active, rollback, initialized, done
                )
            else:
                replicas = int(spec["Mode"]["Replicated"].get("Replicas", 1))
                if not initialized:
                    _overall(out, 0, replicas, rollback)
                    if replicas <= MAX_BARS:
                        for i in range(1, replicas + 1):
                            out.write(f"{i}/{replicas}", " ")
                    initialized = True
                converged, done = _replicated(
                    out, tasks, active, replicas, rollback, slot_map, done, ctx
                )
            if converged:
                if converged_at is None:
                    converged_at = now
                wait = monitor - (now - converged_at)
                if wait >= 0:
                    out.write(
                        "verify",
                        f"Waiting {1 + int(wait)} seconds to verify that tasks are stable...",
                    )
            else:
                if converged_at is not None:
                    out.write("verify", "Detected task failure")
                converged_at = None
            client.sleep(POLL)
    except Interrupted:
        # Ctrl-C: the CLI's progress display catches SIGINT and lets go of the service,
        # which goes on converging without it.
        if not converged:
            out.message("Operation continuing in background.")
            out.message(f"Use `docker service ps {service_id}` to check progress.")


def _overall(out: Output, n: int, total: int, rollback: bool) -> None:
    prefix = "rolling back update: " if rollback else ""
    out.write("overall progress", f"{prefix}{n} out of {total} tasks")


def _task_line(out: Output, id: str, task: dict) -> None:
    err = task["Status"].get("Err", "")
    if err:
        err = err.replace("\n", " ")
        if len(err) > 75:
            err = err[:74] + "…"
        out.write(id, err)
        return
    state = task["Status"]["State"]
    if task["DesiredState"] not in TERMINAL and state not in TERMINAL:
        out.write(id, f"{state:<{LONGEST_STATE}}", NUMBERED.get(state, 0), 9)


def _by_slot(tasks: list[dict], active: set[str], key) -> dict:
    chosen: dict = {}
    for t in tasks:
        d, s = NUMBERED.get(t["DesiredState"], 0), NUMBERED.get(t["Status"]["State"], 0)
        if not d or not s:
            continue
        k = key(t)
        if k in chosen:
            old = chosen[k]
            od, os_ = NUMBERED[old["DesiredState"]], NUMBERED[old["Status"]["State"]]
            if od < d or (od == d and os_ <= s):
                continue
        if t.get("NodeID") and t["NodeID"] not in active:
            continue
        chosen[k] = t
    return chosen


def _replicated(out, tasks, active, replicas, rollback, slot_map, done, ctx) -> tuple[bool, bool]:
    by_slot = _by_slot(tasks, active, lambda t: t.get("Slot", 0))
    if done and any(t["Status"]["State"] != "running" for t in by_slot.values()):
        done = False
    running = 0
    keys = list(by_slot)
    ctx.rng.shuffle(keys)  # Go's map order
    for slot in keys:
        task = by_slot[slot]
        mapped = slot_map.setdefault(slot, len(slot_map) + 1)
        if task["DesiredState"] not in TERMINAL and task["Status"]["State"] == "running":
            running += 1
        if not done and replicas <= MAX_BARS and mapped <= replicas:
            _task_line(out, f"{mapped}/{replicas}", task)
    # Tasks scaled away count until the orchestrator has marked them Remove, a moment
    # after the update returns; the display never shows more than the service wants.
    running = min(running, replicas)
    if not done:
        _overall(out, running, replicas, rollback)
        if running == replicas:
            done = True
    return running == replicas, done


def _global(out, tasks, nodes, active, rollback, initialized, done) -> tuple[bool, bool, bool]:
    by_node = _by_slot(tasks, active, lambda t: t.get("NodeID", ""))
    if not by_node:
        out.write("overall progress", "waiting for new tasks")
        return False, initialized, done
    total = len(by_node)
    if not initialized:
        _overall(out, 0, total, rollback)
        if total <= MAX_BARS:
            for nid in sorted(by_node):
                out.write(nid[:12], " ")
        initialized = True
    running = 0
    for nid in sorted(by_node):
        task = by_node[nid]
        if task["DesiredState"] not in TERMINAL and task["Status"]["State"] == "running":
            running += 1
        if not done and total <= MAX_BARS:
            _task_line(out, nid[:12], task)
    if not done:
        _overall(out, running, total, rollback)
        if running == total:
            done = True
    return running == total, initialized, done
