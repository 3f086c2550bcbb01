"""The Go types of the Engine API's request bodies, and Go's encoding/json rules for
reading them (moby decodes every body into these structs before anything else sees it):

- a key matches its field without regard to case (docker-py sends `{"replicated": {}}`),
  the exact spelling first; a key no field has is dropped;
- `null` is "not set" (a Go zero value or nil pointer): the key is dropped;
- a value of the wrong JSON kind, a fraction for an integer, a negative number for an
  unsigned one or a number past its size is refused with Go's own message, as a 400:
  `json: cannot unmarshal number into Go struct field ServiceSpec.Name of type string`.

The field lists follow the structs in moby's api/types/swarm (and network, container for
exec); a field the lab does not look into is `ANY` and passes as it came.
"""

from __future__ import annotations

from typing import Any

from ..daemonerror import DaemonError


class GoType:
    name = "interface {}"

    def decode(self, value: Any, path: str) -> Any:
        return value


ANY = GoType()


class _Scalar(GoType):
    def __init__(self, name: str) -> None:
        self.name = name

    def decode(self, value: Any, path: str) -> Any:
        kind = self.name
        if kind == "string":
            if not isinstance(value, str):
                _refuse(value, path, kind)
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                _refuse(value, path, kind)
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _refuse(value, path, kind)
        if kind.startswith("float"):
            return value
        if isinstance(value, float) and not value.is_integer():
            _refuse(value, path, kind, number=True)
        n = int(value)
        bits = int(kind.lstrip("uint") or 64)
        low, high = (0, 1 << bits) if kind.startswith("u") else (-(1 << bits - 1), 1 << bits - 1)
        if not low <= n < high:
            _refuse(value, path, kind, number=True)
        return n


STRING = _Scalar("string")
BOOL = _Scalar("bool")
INT = _Scalar("int")
INT64 = _Scalar("int64")
UINT32 = _Scalar("uint32")
UINT64 = _Scalar("uint64")
FLOAT32 = _Scalar("float32")
DURATION = _Scalar("int64")  # time.Duration: nanoseconds


class ListOf(GoType):
    def __init__(self, item: GoType) -> None:
        self.item = item
        self.name = "[]" + item.name

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            _refuse(value, path, self.name)
        return [self.item.decode(v, path) for v in value if v is not None]


class MapOf(GoType):
    """map[string]T: its keys are the user's (labels, options), left as they are."""

    def __init__(self, item: GoType) -> None:
        self.item = item
        self.name = "map[string]" + item.name

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            _refuse(value, path, self.name)
        return {str(k): self.item.decode(v, path) for k, v in value.items() if v is not None}


class Struct(GoType):
    def __init__(self, name: str, **fields: GoType) -> None:
        self.name = name
        self.fields = fields
        self._folded = {k.lower(): k for k in fields}

    def decode(self, value: Any, path: str = "") -> Any:
        if not isinstance(value, dict):
            _refuse(value, path or self.name, self.name.rsplit(".", 1)[-1])
        out: dict[str, Any] = {}
        here = path or self.name
        for key, v in value.items():
            field = key if key in self.fields else self._folded.get(str(key).lower())
            if field is None or v is None:
                continue  # Go drops a key no field has, and null is "not set"
            if field in out and key != field:
                continue  # the exact spelling wins over a case-folded one
            out[field] = self.fields[field].decode(v, f"{here}.{field}")
        return out


def _refuse(value: Any, path: str, go_type: str, number: bool = False) -> None:
    if isinstance(value, bool):
        kind = "bool"
    elif isinstance(value, (int, float)):
        kind = f"number {value}" if number else "number"
    elif isinstance(value, str):
        kind = "string"
    elif isinstance(value, list):
        kind = "array"
    elif isinstance(value, dict):
        kind = "object"
    else:
        kind = "value"
    where = f"Go struct field {path}" if "." in path else "Go value"
    raise DaemonError(f"json: cannot unmarshal {kind} into {where} of type {go_type}", 400)


# -- the types ----------------------------------------------------------------------------------

LABELS = MapOf(STRING)
DRIVER = Struct("Driver", Name=STRING, Options=LABELS)
FILE = Struct("SecretReferenceFileTarget", Name=STRING, UID=STRING, GID=STRING, Mode=UINT32)

CONTAINER_SPEC = Struct(
    "ContainerSpec",
    Image=STRING,
    Labels=LABELS,
    Command=ListOf(STRING),
    Args=ListOf(STRING),
    Hostname=STRING,
    Env=ListOf(STRING),
    Dir=STRING,
    User=STRING,
    Groups=ListOf(STRING),
    Privileges=ANY,
    Init=BOOL,
    StopSignal=STRING,
    TTY=BOOL,
    OpenStdin=BOOL,
    ReadOnly=BOOL,
    Mounts=ListOf(ANY),
    StopGracePeriod=DURATION,
    Healthcheck=ANY,
    Hosts=ListOf(STRING),
    DNSConfig=ANY,
    Secrets=ListOf(Struct("SecretReference", File=FILE, SecretID=STRING, SecretName=STRING)),
    Configs=ListOf(
        Struct("ConfigReference", File=FILE, Runtime=ANY, ConfigID=STRING, ConfigName=STRING)
    ),
    Isolation=STRING,
    Sysctls=LABELS,
    CapabilityAdd=ListOf(STRING),
    CapabilityDrop=ListOf(STRING),
    Ulimits=ListOf(ANY),
)
RESOURCES = Struct(
    "ResourceRequirements",
    Limits=Struct("Limit", NanoCPUs=INT64, MemoryBytes=INT64, Pids=INT64),
    Reservations=Struct("Resources", NanoCPUs=INT64, MemoryBytes=INT64, GenericResources=ANY),
)
PLACEMENT = Struct(
    "Placement",
    Constraints=ListOf(STRING),
    Preferences=ListOf(
        Struct("PlacementPreference", Spread=Struct("SpreadOver", SpreadDescriptor=STRING))
    ),
    MaxReplicas=UINT64,
    Platforms=ListOf(Struct("Platform", Architecture=STRING, OS=STRING)),
)
NETWORK_ATTACHMENT = Struct(
    "NetworkAttachmentConfig", Target=STRING, Aliases=ListOf(STRING), DriverOpts=LABELS
)
TASK_SPEC = Struct(
    "TaskSpec",
    ContainerSpec=CONTAINER_SPEC,
    PluginSpec=ANY,
    NetworkAttachmentSpec=ANY,
    Resources=RESOURCES,
    RestartPolicy=Struct(
        "RestartPolicy", Condition=STRING, Delay=DURATION, MaxAttempts=UINT64, Window=DURATION
    ),
    Placement=PLACEMENT,
    Networks=ListOf(NETWORK_ATTACHMENT),
    LogDriver=DRIVER,
    ForceUpdate=UINT64,
    Runtime=STRING,
)
UPDATE_CONFIG = Struct(
    "UpdateConfig",
    Parallelism=UINT64,
    Delay=DURATION,
    FailureAction=STRING,
    Monitor=DURATION,
    MaxFailureRatio=FLOAT32,
    Order=STRING,
)
SERVICE_SPEC = Struct(
    "ServiceSpec",
    Name=STRING,
    Labels=LABELS,
    TaskTemplate=TASK_SPEC,
    Mode=Struct(
        "ServiceMode",
        Replicated=Struct("ReplicatedService", Replicas=UINT64),
        Global=Struct("GlobalService"),
        ReplicatedJob=Struct("ReplicatedJob", MaxConcurrent=UINT64, TotalCompletions=UINT64),
        GlobalJob=Struct("GlobalJob"),
    ),
    UpdateConfig=UPDATE_CONFIG,
    RollbackConfig=UPDATE_CONFIG,
    Networks=ListOf(NETWORK_ATTACHMENT),
    EndpointSpec=Struct(
        "EndpointSpec",
        Mode=STRING,
        Ports=ListOf(
            Struct(
                "PortConfig",
                Name=STRING,
                Protocol=STRING,
                TargetPort=UINT32,
                PublishedPort=UINT32,
                PublishMode=STRING,
            )
        ),
    ),
)
NODE_SPEC = Struct("NodeSpec", Name=STRING, Labels=LABELS, Role=STRING, Availability=STRING)
SWARM_SPEC = Struct(
    "Spec",
    Name=STRING,
    Labels=LABELS,
    Orchestration=Struct("OrchestrationConfig", TaskHistoryRetentionLimit=INT64),
    Raft=Struct(
        "RaftConfig",
        SnapshotInterval=UINT64,
        KeepOldSnapshots=UINT64,
        LogEntriesForSlowFollowers=UINT64,
        ElectionTick=INT,
        HeartbeatTick=INT,
    ),
    Dispatcher=Struct("DispatcherConfig", HeartbeatPeriod=DURATION),
    CAConfig=Struct(
        "CAConfig",
        NodeCertExpiry=DURATION,
        ExternalCAs=ListOf(ANY),
        SigningCACert=STRING,
        SigningCAKey=STRING,
        ForceRotate=UINT64,
    ),
    TaskDefaults=Struct("TaskDefaults", LogDriver=DRIVER),
    EncryptionConfig=Struct("EncryptionConfig", AutoLockManagers=BOOL),
)
INIT_REQUEST = Struct(
    "InitRequest",
    ListenAddr=STRING,
    AdvertiseAddr=STRING,
    DataPathAddr=STRING,
    DataPathPort=UINT32,
    ForceNewCluster=BOOL,
    Spec=SWARM_SPEC,
    AutoLockManagers=BOOL,
    Availability=STRING,
    DefaultAddrPool=ListOf(STRING),
    SubnetSize=UINT32,
)
JOIN_REQUEST = Struct(
    "JoinRequest",
    ListenAddr=STRING,
    AdvertiseAddr=STRING,
    DataPathAddr=STRING,
    RemoteAddrs=ListOf(STRING),
    JoinToken=STRING,
    Availability=STRING,
)
UNLOCK_REQUEST = Struct("UnlockRequest", UnlockKey=STRING)
SECRET_SPEC = Struct(
    "SecretSpec", Name=STRING, Labels=LABELS, Data=STRING, Driver=DRIVER, Templating=DRIVER
)
CONFIG_SPEC = Struct("ConfigSpec", Name=STRING, Labels=LABELS, Data=STRING, Templating=DRIVER)
NETWORK_CREATE = Struct(
    "CreateRequest",
    Name=STRING,
    CheckDuplicate=BOOL,
    Driver=STRING,
    Scope=STRING,
    EnableIPv6=BOOL,
    IPAM=ANY,
    Internal=BOOL,
    Attachable=BOOL,
    Ingress=BOOL,
    ConfigOnly=BOOL,
    ConfigFrom=ANY,
    Options=LABELS,
    Labels=LABELS,
)
EXEC_CONFIG = Struct(
    "ExecOptions",
    User=STRING,
    Privileged=BOOL,
    Tty=BOOL,
    ConsoleSize=ListOf(UINT32),
    AttachStdin=BOOL,
    AttachStderr=BOOL,
    AttachStdout=BOOL,
    Detach=BOOL,
    DetachKeys=STRING,
    Env=ListOf(STRING),
    WorkingDir=STRING,
    Cmd=ListOf(STRING),
)
EXEC_START = Struct("ExecStartOptions", Detach=BOOL, Tty=BOOL, ConsoleSize=ListOf(UINT32))
