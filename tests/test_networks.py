"""Networks: the hosts' own and the swarm's overlays (09's second half, as on a host
whose kernel has IPVS). A service on an overlay network is found by name from the other
containers on it — its virtual IP balancing over its tasks, or in dnsrr mode the tasks
themselves — and a network in use cannot be removed."""

from __future__ import annotations

import json

import pytest
from labshell import ok, sh, swarm_lab

from miniswarm import dockernet
from miniswarm.manager import networks

WEB = "busybox sh -c 'mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 80 -h /www'"
GET = 'printf "GET / HTTP/1.0\\r\\n\\r\\n"'


# -- the pure parts ---------------------------------------------------------------------------


def test_subnets_come_from_the_default_pool_a_24_at_a_time():
    assert networks.free_subnet({"10.0.0.0/24"}) == "10.0.1.0/24"
    assert networks.free_subnet({"10.0.0.0/24", "10.0.1.0/24", "10.0.3.0/24"}) == "10.0.2.0/24"
    assert networks.free_subnet({"10.0.0.0/16"}) == "10.1.0.0/24"  # overlapping is taken
    assert networks.first_free("10.0.1.0/24", {"10.0.1.2/24"}, "10.0.1.1") == "10.0.1.3/24"


def test_network_filters_and_lookups_are_dockers():
    nets = [
        dockernet.local_resource(
            {
                "Name": n,
                "Id": f"{i}" * 64,
                "Created": "2026-01-01T00:00:00Z",
                "Driver": d,
                "Subnet": "",
                "Gateway": "",
                "Options": {},
                "Labels": {},
                "Internal": False,
                "Attachable": False,
            }  # fmt: skip
        )
        for i, (n, d) in enumerate([("bridge", "bridge"), ("host", "host"), ("mine", "bridge")])
    ]
    assert [n["Name"] for n in nets if dockernet.matches(n, {"driver": ["bridge"]})] == [
        "bridge",
        "mine",
    ]
    assert [n["Name"] for n in nets if dockernet.matches(n, {"type": ["custom"]})] == ["mine"]
    assert dockernet.find(nets, "2" * 5)["Name"] == "mine"  # an ID prefix
    assert dockernet.find(nets, "host")["Name"] == "host"
    assert dockernet.find(nets, "nosuch") is None


# -- on a lab ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab():
    lab = next(swarm_lab(9))
    ok(lab, "docker network create -d overlay appnet")
    ok(lab, f"docker service create -d --name backend --replicas 2 --network appnet {WEB}")
    ok(lab, "docker service create -d --name client --network appnet alpine sleep 100000")
    ok(lab, f"docker service create -d --name rr --replicas 2 --endpoint-mode dnsrr "
            f"--network appnet {WEB}")  # fmt: skip
    lab.sleep(6)
    yield lab
    lab.close()


def client(lab) -> tuple[str, str]:
    host = ok(lab, "docker service ps --format '{{.Node}}' client").split()[0]
    return host, ok(lab, "docker ps -q -f name=client", host).strip()


def in_client(lab, script: str) -> str:
    host, cid = client(lab)
    return ok(lab, f"docker exec {cid} sh -c '{script}'", host)


def test_a_swarm_starts_with_ingress_and_each_host_with_its_own():
    lab = next(swarm_lab(5))
    out = ok(lab, "docker network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'")
    assert out.splitlines() == [
        "bridge bridge local",
        "docker_gwbridge bridge local",
        "host host local",
        "ingress overlay swarm",
        "none null local",
    ]
    fmt = "{{.Name}} {{.Driver}} {{.Scope}} {{.Ingress}} {{json .IPAM.Config}}"
    assert ok(lab, f"docker network inspect --format '{fmt}' ingress") == (
        'ingress overlay swarm true [{"Subnet":"10.0.0.0/24","Gateway":"10.0.0.1"}]\n'
    )
    header = ok(lab, "docker network ls").splitlines()[0]
    assert header.split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    lab.close()


def test_an_overlay_is_listed_by_managers_and_found_by_docker_inspect(lab):
    assert ok(lab, "docker network ls --filter driver=overlay --format '{{.Name}}'") == (
        "appnet\ningress\n"
    )
    net = json.loads(ok(lab, "docker inspect --type network appnet"))[0]
    assert (net["Driver"], net["Scope"], net["IPAM"]["Config"][0]["Subnet"]) == (
        "overlay",
        "swarm",
        "10.0.1.0/24",
    )
    assert ok(lab, "docker inspect -f '{{.Name}} {{.Ingress}}' appnet") == "appnet false\n"
    pretty = ok(lab, "docker service inspect --pretty backend")
    assert "\nNetworks: appnet \nEndpoint Mode:\tvip\n" in pretty


def test_a_service_is_found_by_name_and_its_vip_balances_over_its_tasks(lab):
    vip = in_client(lab, "nslookup backend 127.0.0.11")
    assert "Non-authoritative answer:\nName:\tbackend\nAddress: 10.0.1." in vip
    tasks = in_client(lab, 'nslookup tasks.backend | sed -n "s/^Address: //p"').split()
    assert len(tasks) == 2 and all(t.startswith("10.0.1.") for t in tasks)
    answers = {in_client(lab, f"{GET} | nc -w 3 backend 80 | tail -1").strip() for _ in range(4)}
    assert len(answers) == 2  # both tasks answered, in turn
    for address in tasks:
        assert in_client(lab, f"{GET} | nc -w 3 {address} 80 | tail -1").strip() in answers


def test_dnsrr_gives_the_tasks_addresses_and_no_vip(lab):
    answer = in_client(lab, "nslookup rr")
    assert answer.count("Name:\trr") == 2
    endpoint = json.loads(ok(lab, "docker service inspect -f '{{json .Endpoint}}' rr"))
    assert endpoint["Spec"]["Mode"] == "dnsrr" and "VirtualIPs" not in endpoint
    out, status = sh(lab, "docker service create -d --name rrpub --endpoint-mode dnsrr "
                          "-p 8082:80 nginx")  # fmt: skip
    assert (out, status) == (
        "Error response from daemon: rpc error: code = InvalidArgument desc = EndpointSpec: "
        "port published with ingress mode can't be used with dnsrr mode\n",
        1,
    )


def test_a_network_in_use_stays_and_goes_once_its_services_are_gone(lab):
    net_id = ok(lab, "docker network inspect -f '{{.Id}}' appnet").strip()
    out, status = sh(lab, "docker network rm appnet")
    assert status == 1
    assert out.startswith(
        f"Error response from daemon: rpc error: code = FailedPrecondition desc = network "
        f"{net_id} is in use by service "
    )
    assert out.endswith("\nexit status 1\n")
    ok(lab, "docker service rm backend client rr")
    lab.sleep(12)  # the tasks stop
    assert sh(lab, "docker network rm appnet") == ("appnet\n", 0)
    lab.sleep(1)
    assert "appnet" not in ok(lab, "docker network ls")


def test_removing_ingress_asks_first(lab):
    out, status = sh(lab, "docker network rm ingress")
    assert status == 0
    assert out.endswith("Are you sure you want to continue? [y/N] ")
    assert "ingress" in ok(lab, "docker network ls")  # no answer: nothing removed


def test_a_worker_sees_its_own_networks_and_cannot_make_overlays(lab):
    names = ok(lab, "docker network ls --format '{{.Name}}'", "worker1").split()
    assert names == ["bridge", "docker_gwbridge", "host", "ingress", "none"]
    assert sh(lab, "docker network create -d overlay x", "worker1") == (
        "Error response from daemon: Cannot create a multi-host network from a worker node. "
        "Please create the network from a manager node.\n",
        1,
    )
    created = ok(lab, "docker network create mynet", "worker1").strip()
    assert len(created) == 64  # a local bridge network of worker1 alone
    assert "mynet" not in ok(lab, "docker network ls")
    assert sh(lab, "docker network rm bridge") == (
        "Error response from daemon: bridge is a pre-defined network and cannot be removed\n"
        "exit status 1\n",
        1,
    )


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ("nosuch", "Error response from daemon: network nosuch not found"),
        ("bridge", "Error response from daemon: network bridge not found"),
        (
            "ingress",
            "Error response from daemon: rpc error: code = InvalidArgument desc = Service "
            'cannot be explicitly attached to the ingress network "ingress"',
        ),
    ],
)
def test_services_attach_only_to_swarm_overlays(lab, network, message):
    assert sh(lab, f"docker service create -d --network {network} nginx") == (message + "\n", 1)


def test_network_add_and_rm_on_update(lab):
    ok(lab, "docker network create -d overlay net2")
    ok(lab, "docker service create -d --name svc busybox sleep 1d")
    ok(lab, "docker service update -d --network-add net2 svc")
    fmt = "{{range .Spec.TaskTemplate.Networks}}{{.Target}}{{end}}"
    net2 = ok(lab, "docker network inspect -f '{{.Id}}' net2").strip()
    assert ok(lab, f"docker service inspect -f '{fmt}' svc").strip() == net2
    assert sh(lab, "docker service update -d --network-add net2 svc") == (
        "service is already attached to network net2\n",
        1,
    )
    ok(lab, "docker service update -d --network-rm net2 svc")
    assert ok(lab, f"docker service inspect -f '{fmt}' svc").strip() == ""
