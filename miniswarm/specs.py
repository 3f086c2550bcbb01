"""Service specs: swarm's defaults, and the settings the controllers read from them.

A spec is stored as the client sent it; the defaults fill in what it left out when a
controller reads a setting, and when `service inspect` shows the spec (moby asks for
it with insertDefaults). Dicts keep the field order of the Engine API's Go structs, so
the JSON reads as docker's.
"""

from __future__ import annotations

import copy
from typing import Any

SECOND = 1_000_000_000

RESTART_DEFAULTS = {"Condition": "any", "Delay": 5 * SECOND, "MaxAttempts": 0}
UPDATE_DEFAULTS = {
    "Parallelism": 1,
    "FailureAction": "pause",
    "Monitor": 5 * SECOND,
    "MaxFailureRatio": 0,
    "Order": "stop-first",
}
STOP_GRACE_PERIOD = 10 * SECOND

# Go struct field orders (moby api/types/swarm).
CONTAINER_FIELDS = (
    "Image Labels Command Args Hostname Env Dir User Groups Privileges Init StopSignal TTY "
    "OpenStdin ReadOnly Mounts StopGracePeriod Healthcheck Hosts DNSConfig Secrets Configs "
    "Isolation Sysctls CapabilityAdd CapabilityDrop Ulimits OomScoreAdj"
).split()
TASK_FIELDS = (
    "ContainerSpec PluginSpec NetworkAttachmentSpec Resources RestartPolicy Placement "
    "Networks LogDriver ForceUpdate Runtime"
).split()
SERVICE_FIELDS = (
    "Name Labels TaskTemplate Mode UpdateConfig RollbackConfig Networks EndpointSpec".split()
)
RESTART_FIELDS = "Condition Delay MaxAttempts Window".split()
UPDATE_FIELDS = "Parallelism Delay FailureAction Monitor MaxFailureRatio Order".split()


def ordered(d: dict, fields: list[str]) -> dict:
    """`d` with its keys in Go's field order (unknown keys last, as they were)."""
    out = {k: d[k] for k in fields if k in d}
    out.update((k, v) for k, v in d.items() if k not in out)
    return out


def with_defaults(spec: dict) -> dict:
    """The spec as `service inspect` shows it (swarmkit's defaults.InterpolateService)."""
    spec = copy.deepcopy(spec)
    tt = spec.setdefault("TaskTemplate", {})
    cs = tt.get("ContainerSpec")
    if cs is not None:
        cs.setdefault("StopGracePeriod", STOP_GRACE_PERIOD)
        tt["ContainerSpec"] = ordered(cs, CONTAINER_FIELDS)
    rp = dict(RESTART_DEFAULTS)
    rp.update(tt.get("RestartPolicy") or {})
    tt["RestartPolicy"] = ordered(rp, RESTART_FIELDS)
    spec["TaskTemplate"] = ordered(tt, TASK_FIELDS)
    mode = spec.get("Mode") or {}
    if "Replicated" in mode or "Global" in mode:
        for key in ("UpdateConfig", "RollbackConfig"):
            cfg = dict(UPDATE_DEFAULTS)
            cfg.update({k: v for k, v in (spec.get(key) or {}).items() if v or k == "Delay"})
            if not cfg.get("Delay"):
                cfg.pop("Delay", None)
            spec[key] = ordered(cfg, UPDATE_FIELDS)
    return ordered(spec, SERVICE_FIELDS)


def is_global(spec: dict) -> bool:
    return "Global" in (spec.get("Mode") or {})


def replicas(spec: dict) -> int:
    return int(((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas", 1))


def restart_policy(spec: dict) -> dict[str, Any]:
    rp = dict(RESTART_DEFAULTS)
    rp.update(
        {
            k: v
            for k, v in ((spec.get("TaskTemplate") or {}).get("RestartPolicy") or {}).items()
            if v is not None
        }
    )
    return rp


def update_config(spec: dict, rollback: bool = False) -> dict[str, Any]:
    cfg = dict(UPDATE_DEFAULTS)
    cfg["Delay"] = 0
    given = spec.get("RollbackConfig" if rollback else "UpdateConfig") or {}
    for k, v in given.items():
        if v is None:
            continue
        if k == "Monitor" and not v:
            continue
        if k == "FailureAction" and not v:
            continue
        if k == "Order" and not v:
            continue
        cfg[k] = v
    return cfg


def task_spec(service: dict) -> dict:
    return service["Spec"].get("TaskTemplate") or {}


def endpoint_ports(service: dict) -> list[dict]:
    return ((service.get("Endpoint") or {}).get("Ports")) or []
