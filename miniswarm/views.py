"""What real swarm hides, drawn as text: the Raft view (`lab raft`) and the cluster map
(`lab map`).

Each is two parts: gathering (a snapshot taken on the hosts' own loops, so it is
consistent per host and works under either driver, paused or not) and drawing (pure
functions of the snapshot, so a test can give them a state by hand). The drawings fit
the width they are given; colour is added only where the terminal can show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prompt_toolkit.utils import get_cwidth

from . import scheduler, taskstate
from .i18n import t
from .raft import Config
from .raftnode import Packet

if TYPE_CHECKING:
    from .lab import Lab

LOG_TAIL = 4  # entries of each manager's log the Raft view shows
READ_CHANGES = 64  # changes of one entry put in words; the others are counted


# -- the Raft view -------------------------------------------------------------------------------


@dataclass
class Member:
    """One manager as its own Raft sees itself."""

    host: str
    up: bool
    role: str = ""  # leader, follower, candidate, pre-candidate
    term: int = 0
    vote: str = ""  # the host it voted for in this term
    leader: str = ""
    last_index: int = 0
    commit: int = 0
    applied: int = 0
    timer: tuple[int, int] = (0, 0)  # election ticks elapsed, of how many
    log: list[tuple[int, int, str]] = field(default_factory=list)  # index, term, in words


@dataclass
class RaftPicture:
    members: list[Member]
    groups: list[list[str]]  # the network's sides (one group: no partition)
    flight: list[tuple[str, str, str]]  # messages between managers: from, to, what


def raft_picture(lab: Lab) -> RaftPicture:
    _, managers, names = find_managers(lab)
    by_address = {addr: name for name, addr in lab.hosts}
    members = []
    for host in managers:
        if not lab.kernel.hosts[host].up:
            members.append(Member(host, up=False))
            continue
        facts = lab.kernel.call(host, lambda d: _member(d, names, by_address))
        if facts is not None:
            members.append(Member(host, up=True, **facts))
    up = {m.host for m in members}
    flight = [
        (by_address.get(src, src), dst, message_words(msg.msg))
        for _, src, dst, msg in lab.kernel.in_flight()
        if isinstance(msg, Packet) and dst in up
    ]
    return RaftPicture(members, sides(lab), flight)


def find_managers(lab: Lab) -> tuple[str | None, list[str], dict[str, str]]:
    """(the host that leads as its managers see it, every manager host in the lab's
    order, Raft member IDs to host names) — asking the first host in a swarm and,
    through it, the managers only, so that it costs the same with 5 hosts or 5,000."""
    by_address = {addr: name for name, addr in lab.hosts}
    up = lab.kernel.hosts
    for host in lab.names:
        if not up[host].up:
            continue
        role, lead, remotes = lab.kernel.call(host, _whom)
        if not role:
            continue
        managers = {by_address[a] for a in remotes if a in by_address}
        if role == "manager":
            managers.add(host)
        names: dict[str, str] = {}
        leader = by_address.get(lead)
        for m in sorted(managers):
            if not up[m].up:
                continue
            for member, addr in lab.kernel.call(m, _address_book):
                name = by_address.get(addr.rsplit(":", 1)[0], addr)
                names.setdefault(member, name)
                managers.add(name)
            if leader is None:
                leader = by_address.get(lab.kernel.call(m, _whom)[1])
        order = [h for h in lab.names if h in managers]
        return leader, order, names
    return None, [], {}


def _address_book(d: Any) -> list[tuple[str, str]]:
    m = d.manager
    if m is None:
        return []
    return [*m.raft.raft.config.addresses, (m.member_id, d.ctx.address)]


def _member(d: Any, names: dict[str, str], by_address: dict[str, str]) -> dict[str, Any] | None:
    """Run on a manager's loop: its Raft state, and its last entries in words."""
    m = d.manager
    if m is None:
        return None
    r = m.raft.raft
    first = max(r.first_index, r.last_index - LOG_TAIL + 1)
    # the configuration in force before the first entry shown: what a change is made to
    config = r.snapshot.config if r.snapshot is not None else Config()
    for e in r.entries(r.first_index, first - 1):
        config = e.config or config
    names = dict(names)  # members no longer in any manager's book: their last address
    configs = [config] + [e.config for e in r.entries(first) if e.config is not None]
    for c in configs:
        for member, addr in c.addresses:
            names.setdefault(member, by_address.get(addr.rsplit(":", 1)[0], member[:8]))
    log = []
    for e in r.entries(first):
        log.append((e.index, e.term, entry_words(e, m.store, names, config)))
        config = e.config or config
    return {
        "role": r.state,
        "term": r.term,
        "vote": names.get(r.vote, "") if r.vote else "",
        "leader": names.get(r.lead, "?") if r.lead else "",
        "last_index": r.last_index,
        "commit": r.commit,
        "applied": r.applied,
        "timer": (r.election_elapsed, r.randomized_election_timeout),
        "log": log,
    }


def entry_words(entry: Any, store: Any, names: dict[str, str], config: Any) -> str:
    """A log entry as a person would say it: "service.update web", "config: add manager3"."""
    if entry.config is not None:
        new = entry.config.voters
        added = sorted(names.get(v, v[:8]) for v in new - config.voters)
        removed = sorted(names.get(v, v[:8]) for v in config.voters - new)
        if added or removed:
            return "config: " + ", ".join(
                [f"add {h}" for h in added] + [f"remove {h}" for h in removed]
            )
        return "config: " + " ".join(sorted(names.get(v, v[:8]) for v in new))
    if entry.data is None:
        return t("view.raft.noop")
    changes = getattr(entry.data, "changes", None)
    if not changes:
        return type(entry.data).__name__
    groups: dict[str, list[Any]] = {}
    for ch in changes[:READ_CHANGES]:  # a batch may hold thousands: read the first ones
        groups.setdefault(f"{ch.kind.rstrip('s')}.{ch.action}", []).append(ch)
    words = []
    for what, chs in groups.items():
        shown = [_object_name(ch, store) for ch in chs[:2]]
        shown += [f"+{len(chs) - 2}"] if len(chs) > 2 else []
        words.append(f"{what} {' '.join(shown)}")
    if len(changes) > READ_CHANGES:
        words.append(t("view.raft.more", count=len(changes) - READ_CHANGES))
    return "; ".join(words)


def _object_name(ch: Any, store: Any) -> str:
    obj = ch.obj or store.get(ch.kind, ch.id) or {}
    if ch.kind == "nodes":
        return obj.get("Description", {}).get("Hostname") or ch.target[:10]
    if ch.kind == "tasks":
        service = store.get("services", obj.get("ServiceID", "")) or {}
        name = service.get("Spec", {}).get("Name") or obj.get("ServiceID", "?")[:10]
        return f"{name}.{obj['Slot']}" if obj.get("Slot") else name
    if ch.kind == "clusters":
        return "default"
    return obj.get("Spec", {}).get("Name") or ch.target[:10]


def message_words(msg: Any) -> str:
    """A Raft message as the Raft paper names it."""
    kind = type(msg).__name__
    if kind == "Append":
        said = f"append {len(msg.entries)} entries" if msg.entries else "append"
    elif kind == "AppendResponse":
        said = "append refused" if msg.reject else f"append ok to {msg.index}"
    elif kind in ("VoteRequest", "PreVoteRequest"):
        said = "pre-vote?" if kind.startswith("Pre") else "vote?"
    elif kind in ("VoteResponse", "PreVoteResponse"):
        said = ("pre-vote " if kind.startswith("Pre") else "vote ") + (
            "yes" if msg.granted else "no"
        )
    elif kind == "Heartbeat":
        said = "heartbeat"
    elif kind == "HeartbeatResponse":
        said = "heartbeat ok"
    elif kind == "InstallSnapshot":
        said = "snapshot"
    else:
        said = kind
    return f"{said} (term {msg.term})"


def sides(lab: Lab) -> list[list[str]]:
    """The lab's hosts grouped by who can reach whom (one group when nothing is cut)."""
    net = lab.kernel.network
    groups: list[list[str]] = []
    for name, addr in lab.hosts:
        for group in groups:
            other = lab.address(group[0])
            if net.can_reach(addr, other) and net.can_reach(other, addr):
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def draw_raft(p: RaftPicture, width: int = 80) -> str:
    """The Raft view: one block per manager, its state and the tail of its log."""
    out = []
    if len(p.groups) > 1:
        out.append(t("view.partition") + "  " + "  |  ".join(" ".join(g) for g in p.groups))
        out.append("")
    if not p.members:
        return t("view.raft.none") + "\n"
    for m in p.members:
        if not m.up:
            out.append(f"{m.host:<10} {t('view.down')}")
            out.append("")
            continue
        role = m.role + (" *" if m.role == "leader" else "")
        head = f"{m.host:<11}{role:<14} term {m.term:<3} vote {m.vote or '-':<10}"
        timer = f"timer {m.timer[0]}/{m.timer[1]}" if m.role != "leader" else ""
        out.append(_fit(f"{head} {timer}".rstrip(), width))
        out.append(
            _fit(
                f"{'':11}log {m.last_index}  commit {m.commit}  applied {m.applied}  "
                f"leader {m.leader or '-'}",
                width,
            )
        )
        for index, term, words in m.log:
            marker = " " if index <= m.commit else "?"  # not committed yet: may be lost
            out.append(_fit(f"{'':11}{marker}{index:>5} t{term:<3} {words}", width))
        out.append("")
    if p.flight:
        out.append(t("view.raft.flight"))
        for src, dst, what in p.flight[:8]:
            out.append(_fit(f"  {src} -> {dst}  {what}", width))
        if len(p.flight) > 8:
            out.append(f"  (+{len(p.flight) - 8})")
    return "\n".join(out).rstrip("\n") + "\n"


# -- the cluster map -----------------------------------------------------------------------------

COLUMN = 16  # columns of the terminal per node (a box of 15 and a space)
BOXES = 8  # tasks drawn per node; the rest are counted
SHOWN_STATES = taskstate.ORDER[: taskstate.ORDER.index("running") + 1]  # up to running
# 256-colour codes that read on dark and light terminals alike, one per service in turn
PALETTE = (33, 208, 35, 170, 178, 39, 160, 71, 135, 130)


@dataclass
class NodeColumn:
    host: str
    address: str
    role: str  # manager / worker
    manager_status: str  # Leader / Reachable / Unreachable / ""
    status: str  # Ready / Down / Unknown / Disconnected
    availability: str  # Active / Pause / Drain
    tasks: list[tuple[str, str, str]]  # name (service.slot), image, state


@dataclass
class ClusterPicture:
    leader: str | None
    nodes: list[NodeColumn]
    pending: list[tuple[str, str]]  # task name, why it waits
    services: list[str]  # in the order colours are given


def cluster_picture(lab: Lab, max_nodes: int | None = None) -> ClusterPicture:
    """Drawn from the leader's store, on its own loop (no copy of the store leaves it);
    `max_nodes`: only the first nodes by name (what a pane has room for)."""
    leader, managers, _ = find_managers(lab)
    for host in [leader, *managers]:
        if host is None or not lab.kernel.hosts[host].up:
            continue
        picture = lab.kernel.call(host, lambda d: _cluster(d, max_nodes))
        if picture is not None:
            return picture
    return ClusterPicture(None, [], [], [])


def _cluster(d: Any, max_nodes: int | None) -> ClusterPicture | None:
    m = d.manager
    if m is None or not m.leading:
        return None
    store = m.store
    services = {s["ID"]: s for s in store.all("services")}
    names = sorted(s["Spec"]["Name"] for s in services.values())
    columns: dict[str, NodeColumn] = {}
    nodes = sorted(store.all("nodes"), key=lambda n: n["Description"].get("Hostname", ""))
    nodes = [m.control.node_view(n) for n in nodes[:max_nodes]]
    for n in nodes:
        ms = n.get("ManagerStatus") or {}
        columns[n["ID"]] = NodeColumn(
            host=n["Description"].get("Hostname", n["ID"][:10]),
            address=n.get("Status", {}).get("Addr", ""),
            role=n["Spec"].get("Role", "worker"),
            manager_status="Leader" if ms.get("Leader") else ms.get("Reachability", "").title(),
            status=n.get("Status", {}).get("State", "unknown").title(),
            availability=n["Spec"].get("Availability", "active").title(),
            tasks=[],
        )
    pending = []
    tasks = [t for n in nodes for t in store.tasks_on_node(n["ID"])]
    tasks += list(store.pending_tasks())
    tasks = [t for t in tasks if t["Status"]["State"] in SHOWN_STATES]
    for task in sorted(tasks, key=lambda x: (x.get("ServiceID", ""), x.get("Slot", 0))):
        state = task["Status"]["State"]
        service = services.get(task.get("ServiceID", ""))
        if service is None:
            continue
        name = service["Spec"]["Name"] + (f".{task['Slot']}" if task.get("Slot") else "")
        image = _short_image(task["Spec"].get("ContainerSpec", {}).get("Image", ""))
        stopping = task.get("DesiredState") in ("shutdown", "remove") and state == "running"
        shown = "stopping" if stopping else state  # on its way out: still there, still shown
        column = columns.get(task.get("NodeID", ""))
        if column is None and task.get("NodeID"):
            continue  # placed, on a node the picture leaves out
        if column is None:
            pending.append((name, task["Status"].get("Err") or task["Status"].get("Message", "")))
        else:
            column.tasks.append((name, image, shown))
    return ClusterPicture(d.ctx.name, list(columns.values()), pending, names)


def _short_image(image: str) -> str:
    """nginx:1.25@sha256:… → nginx:1.25 (the digest says nothing to a person)."""
    return image.split("@", 1)[0]


def draw_map(p: ClusterPicture, width: int = 80, colour: bool = False) -> str:
    """The nodes as columns (as many to a band as fit), each with its tasks as boxes."""
    if not p.nodes:
        return t("view.map.no_leader") + "\n"
    per_band = max(1, width // COLUMN)
    out: list[str] = []
    for start in range(0, len(p.nodes), per_band):
        band = p.nodes[start : start + per_band]
        cells = [_node_cell(n, p, colour) for n in band]
        height = max(len(c) for c in cells)
        for row in range(height):
            line = " ".join(c[row] if row < len(c) else " " * (COLUMN - 1) for c in cells)
            out.append(line.rstrip())
        out.append("")
    if p.pending:
        out.append(t("view.map.pending"))
        for name, why in p.pending:
            out.append(_fit(f"  {name}: {why}", width))
    return "\n".join(out).rstrip("\n") + "\n"


def _node_cell(n: NodeColumn, p: ClusterPicture, colour: bool) -> list[str]:
    inner = COLUMN - 3  # between the box's sides
    role = n.manager_status if n.role == "manager" else "worker"
    if n.role == "manager" and not role:
        role = "manager"
    availability = n.availability.upper() if n.availability != "Active" else "Active"
    lines = [
        _cell(n.host + (" *" if role == "Leader" else "")),
        _cell(n.address),
        _cell(role),
        _cell(f"{n.status} {availability}"),
        "─" * (COLUMN - 1),
    ]
    for name, image, state in n.tasks[:BOXES]:
        colour_on = colour_off = ""
        if colour:
            service = name.rsplit(".", 1)[0] if name.rsplit(".", 1)[-1].isdigit() else name
            index = p.services.index(service) if service in p.services else 0
            colour_on, colour_off = f"\x1b[38;5;{PALETTE[index % len(PALETTE)]}m", "\x1b[0m"
        # the image's tag on the box's top edge: a rolling update shows old and new side by side
        tag = _clip(_tag(image), inner // 2)
        title = _clip(name, inner - len(tag) - 1)
        top = "┌" + title + "─" * (inner - len(title) - len(tag)) + tag + "┐"
        lines += [
            colour_on + top + colour_off,
            colour_on + "│" + _clip(state, inner).ljust(inner) + "│" + colour_off,
            colour_on + "└" + "─" * inner + "┘" + colour_off,
        ]
    if len(n.tasks) > BOXES:
        lines.append(_cell(t("view.map.more", count=len(n.tasks) - BOXES)))
    return lines


def _tag(image: str) -> str:
    """nginx:1.25 → 1.25; an image named without a tag runs latest."""
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else "latest"


def _cell(text: str) -> str:
    return _clip(text, COLUMN - 1).ljust(COLUMN - 1)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fit(text: str, width: int) -> str:
    if get_cwidth(text) <= width:
        return text
    while text and get_cwidth(text) > width - 1:
        text = text[:-1]
    return text + "…"


# -- the toolbar ---------------------------------------------------------------------------------


@dataclass
class Bar:
    """What the bottom toolbar says of the swarm, seen from the host the student is on."""

    host: str
    role: str = ""  # manager / worker / "" (in no swarm) / "down"
    leader: str = ""
    ready: int = 0
    nodes: int = 0
    reachable: int = 0
    managers: int = 0


def toolbar_facts(lab: Lab, here: str, timeout: float = 0.2) -> Bar:
    """Ask the host the student is on, then the leader it knows of (through the managers
    it knows, if it is a worker): a handful of calls, whatever the lab's size."""
    by_address = {addr: name for name, addr in lab.hosts}
    bar = Bar(here)
    if not lab.kernel.hosts[here].up:
        bar.role = "down"
        return bar
    role, lead, remotes = lab.kernel.call(here, _whom, timeout=timeout)
    bar.role = role
    candidates = [by_address.get(a, "") for a in ([lead] if lead else remotes)]
    for host in candidates:
        if host not in lab.kernel.hosts or not lab.kernel.hosts[host].up:
            continue
        counts = lab.kernel.call(host, _counts, timeout=timeout)
        if counts is not None:
            bar.leader = host
            bar.ready, bar.nodes, bar.reachable, bar.managers = counts
            break
    return bar


def _whom(d: Any) -> tuple[str, str, list[str]]:
    """On the student's host: its role, the leader's address if it is a manager, and the
    managers' addresses it knows."""
    if d.state is None:
        return "", "", []
    remotes = [addr.rsplit(":", 1)[0] for _, addr in d.state.get("managers", [])]
    m = d.manager
    if m is None:
        return "worker", "", remotes
    r = m.raft.raft
    lead = (r.config.address_of(r.lead) or "").rsplit(":", 1)[0] if r.lead else ""
    if r.lead == m.member_id:
        lead = d.ctx.address
    return "manager", lead, remotes


def _counts(d: Any) -> tuple[int, int, int, int] | None:
    """On a manager: if it leads, (nodes ready, nodes, managers reachable, managers)."""
    m = d.manager
    if m is None or not m.leading:
        return None
    nodes = list(m.store.all("nodes"))
    ready = sum(1 for n in nodes if n.get("Status", {}).get("State") == "ready")
    voters = m.raft.raft.config.voters
    reachable = sum(1 for v in voters if m.raft.reachable(v))
    return ready, len(nodes), reachable, len(voters)


# -- why a task is where it is -------------------------------------------------------------------


def why_text(lab: Lab, ref: str) -> str:
    """`lab why TASK`: the scheduler's view of one task (an ID prefix, NAME.SLOT, or a
    service's name: its first task still waiting, else its first), node by node. Raises
    LookupError, with what to say, when there is no such task or no leader to ask."""
    leader, _, _ = find_managers(lab)
    if leader is None or not lab.kernel.hosts[leader].up:
        raise LookupError(t("view.map.no_leader"))
    text = lab.kernel.call(leader, lambda d: _why(d, ref))
    if text is None:
        raise LookupError(t("why.no_task", ref=ref))
    return text


def _why(d: Any, ref: str) -> str | None:

    store = d.manager.store
    task = _find_task(store, ref)
    if task is None:
        return None
    service = store.get("services", task.get("ServiceID", "")) or {}
    sname = service.get("Spec", {}).get("Name", "?")
    name = sname + (f".{task['Slot']}" if task.get("Slot") else "")
    infos = scheduler.node_infos(store.all("nodes"), store.tasks_on_node)
    here = infos.get(task.get("NodeID", ""))
    state = task["Status"]["State"]
    if here is not None and state not in ("pending", "new"):
        if scheduler.counts(task):
            here.remove(task)  # as it was before it came
        where = here.node["Description"].get("Hostname", "?")
        head = t("why.placed", name=name, id=task["ID"][:12], state=state, node=where)
    else:
        err = task["Status"].get("Err") or task["Status"].get("Message", "")
        head = t("why.pending", name=name, id=task["ID"][:12], state=state, err=err)
    lines = [head, t("why.nodes")]
    for info, refused in scheduler.why(task, infos):
        host = info.node["Description"].get("Hostname", info.node["ID"][:10])
        if refused is None:
            said = t("why.fits", mine=info.by_service[task.get("ServiceID", "")],
                     service=sname, all=info.total)  # fmt: skip
        else:
            said = t("why.refused", why=_refusal(refused, info))
        lines.append(f"  {host:<12} {said}")
    if task.get("Spec", {}).get("Placement", {}).get("Preferences"):
        lines.append(t("why.preferences"))
    return "\n".join(lines) + "\n"


def _find_task(store: Any, ref: str) -> dict | None:
    tasks = list(store.all("tasks"))
    exact = [x for x in tasks if x["ID"] == ref] or [x for x in tasks if x["ID"].startswith(ref)]
    if exact:
        return exact[0]
    name, _, slot = ref.rpartition(".")
    if not (slot.isdigit() and name):
        name, slot = ref, ""
    service = store.by_name("services", name)
    if service is None:
        return None
    mine = [x for x in tasks if x.get("ServiceID") == service["ID"]]
    if slot:
        mine = [x for x in mine if str(x.get("Slot")) == slot]
    live = [x for x in mine if x.get("DesiredState") == "running"]
    waiting = [x for x in live if x["Status"]["State"] in ("new", "pending")]
    chosen = waiting or live or mine
    return min(chosen, key=lambda x: (x.get("Slot", 0), x["ID"])) if chosen else None


def _refusal(failed: str, info: Any) -> str:
    node = info.node
    if failed == "ready":
        if node["Status"]["State"] != "ready":
            return t("why.down", state=node["Status"]["State"])
        return t("why.availability", availability=node["Spec"]["Availability"])
    return t(f"why.{failed}")
