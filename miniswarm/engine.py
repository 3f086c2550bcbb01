"""What a simulated host's Docker engine says about itself.

The lab's hosts are modelled on the machines the reference recordings were made on:
Debian 12 with its docker.io package (Engine 20.10.24), two CPUs, 23.54 GiB of memory,
five images already pulled. The docker client students type is 28.2.2.
"""

from __future__ import annotations

ENGINE_VERSION = "20.10.24+dfsg1"
ENGINE_API_VERSION = "1.41"
ENGINE_MIN_API_VERSION = "1.12"
ENGINE_GIT_COMMIT = "5d6db84"
ENGINE_GO_VERSION = "go1.19.8"
ENGINE_BUILT = "Fri Mar 31 09:10:54 2023"

CLIENT_VERSION = "28.2.2"
CLIENT_API_VERSION = "1.50"
CLIENT_GO_VERSION = "go1.24.3"
CLIENT_GIT_COMMIT = "e6534b4"
CLIENT_BUILT = "Fri May 30 12:07:14 2025"
# `docker info --format '{{json .ClientInfo}}'`, as the real client prints it.
CLIENT_INFO = {
    "Debug": False,
    "Version": CLIENT_VERSION,
    "DefaultAPIVersion": CLIENT_API_VERSION,
    "GitCommit": CLIENT_GIT_COMMIT,
    "GoVersion": CLIENT_GO_VERSION,
    "Os": "linux",
    "Arch": "amd64",
    "BuildTime": CLIENT_BUILT,
    "Context": "default",
    "Plugins": [],
    "Warnings": None,
}

OS = "linux"
ARCH = "x86_64"
NANO_CPUS = 2_000_000_000
MEMORY_BYTES = 25_276_063_744
KERNEL = "6.18.44-fc-v782"
OPERATING_SYSTEM = "Debian GNU/Linux 12 (bookworm)"
CONTAINERD_VERSION = "1.6.20~ds1-1+deb12u3"
RUNC_VERSION = "1.1.5+ds1-1+deb12u1"

PLUGINS = {
    "Volume": ["local"],
    "Network": ["bridge", "host", "ipvlan", "macvlan", "null", "overlay"],
    "Log": [
        "awslogs",
        "fluentd",
        "gcplogs",
        "gelf",
        "journald",
        "json-file",
        "local",
        "logentries",
        "splunk",
        "syslog",
    ],
}


def node_description(hostname: str) -> dict:
    """A node's Description, as its agent reports it to the dispatcher."""
    return {
        "Hostname": hostname,
        "Platform": {"Architecture": ARCH, "OS": OS},
        "Resources": {"NanoCPUs": NANO_CPUS, "MemoryBytes": MEMORY_BYTES},
        "Engine": {
            "EngineVersion": ENGINE_VERSION,
            "Plugins": [
                {"Type": kind, "Name": name}
                for kind in ("Log", "Network", "Volume")
                for name in PLUGINS[kind]
            ],
        },
    }


def system_info(hostname: str, engine_id: str) -> dict:
    """GET /info, less the swarm section and the container counts."""
    return {
        "ID": engine_id,
        "Images": 5,
        "Driver": "overlay2",
        "DriverStatus": [
            ["Backing Filesystem", "extfs"],
            ["Supports d_type", "true"],
            ["Native Overlay Diff", "true"],
            ["userxattr", "false"],
        ],
        "Plugins": {
            "Volume": PLUGINS["Volume"],
            "Network": PLUGINS["Network"],
            "Authorization": None,
            "Log": PLUGINS["Log"],
        },
        "MemoryLimit": True,
        "SwapLimit": False,
        "KernelMemory": False,
        "KernelMemoryTCP": False,
        "CpuCfsPeriod": True,
        "CpuCfsQuota": True,
        "CPUShares": True,
        "CPUSet": True,
        "PidsLimit": True,
        "IPv4Forwarding": True,
        "BridgeNfIptables": True,
        "BridgeNfIp6tables": True,
        "Debug": False,
        "OomKillDisable": True,
        "LoggingDriver": "json-file",
        "CgroupDriver": "cgroupfs",
        "CgroupVersion": "1",
        "KernelVersion": KERNEL,
        "OperatingSystem": OPERATING_SYSTEM,
        "OSVersion": "12",
        "OSType": OS,
        "Architecture": ARCH,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {
            "AllowNondistributableArtifactsCIDRs": [],
            "AllowNondistributableArtifactsHostnames": [],
            "InsecureRegistryCIDRs": ["127.0.0.0/8"],
            "IndexConfigs": {
                "docker.io": {"Name": "docker.io", "Mirrors": [], "Secure": True, "Official": True}
            },
            "Mirrors": [],
        },
        "NCPU": NANO_CPUS // 1_000_000_000,
        "MemTotal": MEMORY_BYTES,
        "GenericResources": None,
        "DockerRootDir": "/var/lib/docker",
        "HttpProxy": "",
        "HttpsProxy": "",
        "NoProxy": "",
        "Name": hostname,
        "Labels": [],
        "ExperimentalBuild": False,
        "ServerVersion": ENGINE_VERSION,
        "Runtimes": {
            "io.containerd.runc.v2": {"path": "runc"},
            "io.containerd.runtime.v1.linux": {"path": "runc"},
            "runc": {"path": "runc"},
        },
        "DefaultRuntime": "runc",
        "LiveRestoreEnabled": False,
        "Isolation": "",
        "InitBinary": "docker-init",
        "ContainerdCommit": {"ID": CONTAINERD_VERSION, "Expected": CONTAINERD_VERSION},
        "RuncCommit": {"ID": RUNC_VERSION, "Expected": RUNC_VERSION},
        "InitCommit": {"ID": "", "Expected": ""},
        "SecurityOptions": ["name=seccomp,profile=default"],
        "Warnings": None,
    }


def server_version() -> dict:
    """GET /version."""
    return {
        "Platform": {"Name": ""},
        "Components": [
            {
                "Name": "Engine",
                "Version": ENGINE_VERSION,
                "Details": {
                    "ApiVersion": ENGINE_API_VERSION,
                    "Arch": "amd64",
                    "BuildTime": "2023-03-31T09:10:54.000000000+00:00",
                    "Experimental": "false",
                    "GitCommit": ENGINE_GIT_COMMIT,
                    "GoVersion": ENGINE_GO_VERSION,
                    "KernelVersion": KERNEL,
                    "MinAPIVersion": ENGINE_MIN_API_VERSION,
                    "Os": OS,
                },
            },
            {
                "Name": "containerd",
                "Version": CONTAINERD_VERSION.split("-")[0],
                "Details": {"GitCommit": CONTAINERD_VERSION},
            },
            {
                "Name": "runc",
                "Version": RUNC_VERSION.split("-")[0],
                "Details": {"GitCommit": RUNC_VERSION},
            },
            {"Name": "docker-init", "Version": "0.19.0", "Details": {"GitCommit": ""}},
        ],
        "Version": ENGINE_VERSION,
        "ApiVersion": ENGINE_API_VERSION,
        "MinAPIVersion": ENGINE_MIN_API_VERSION,
        "GitCommit": ENGINE_GIT_COMMIT,
        "GoVersion": ENGINE_GO_VERSION,
        "Os": OS,
        "Arch": "amd64",
        "KernelVersion": KERNEL,
        "BuildTime": "2023-03-31T09:10:54.000000000+00:00",
    }
