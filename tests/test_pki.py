"""The swarm's PKI: the root CA made at init signs every node's certificate — CN the
node's ID, OU its role, O the cluster's ID — renewed when its role changes; the join
tokens carry the CA's digest."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from miniswarm import ca
from miniswarm.lab import Lab

SEED = 2
HOSTS = ["manager1", "manager2", "manager3", "worker1", "worker2"]


def ok(lab: Lab, host: str, line: str) -> str:
    r = lab.docker(host, line.split())
    assert r.status == 0, f"seed {SEED}: {line}: {r.err}"
    return r.out


def node_cert(lab: Lab, host: str) -> x509.Certificate:
    pem = lab.kernel.host(host).disk.read("swarm/certificates/swarm-node.crt")
    assert pem, f"{host} has no certificate"
    return x509.load_pem_x509_certificate(pem.encode())


def name(cert: x509.Certificate, oid) -> str:
    return cert.subject.get_attributes_for_oid(oid)[0].value


def test_every_node_has_a_certificate_from_the_swarms_root_ca_naming_it_and_its_role():
    lab = Lab(seed=SEED)
    lab.form_swarm(HOSTS[:3], HOSTS[3:])
    root = x509.load_pem_x509_certificate(ok(lab, "manager1", "swarm ca").encode())
    cluster_id = ok(lab, "manager1", "info --format {{.Swarm.Cluster.ID}}").strip()
    for host in HOSTS:
        cert = node_cert(lab, host)
        node_id = ok(lab, host, "info --format {{.Swarm.NodeID}}").strip()
        assert name(cert, NameOID.COMMON_NAME) == node_id
        role = "swarm-manager" if host.startswith("manager") else "swarm-worker"
        assert name(cert, NameOID.ORGANIZATIONAL_UNIT_NAME) == role
        assert name(cert, NameOID.ORGANIZATION_NAME) == cluster_id
        assert cert.issuer == root.subject
        root.public_key().verify(
            cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256())
        )
    token = ok(lab, "manager1", "swarm join-token -q worker").strip()
    digest = ca.parse_join_token(token)[0]
    assert int(digest, 36) == int(root.fingerprint(hashes.SHA256()).hex(), 16)

    ok(lab, "manager1", "node promote worker1")
    lab.sleep(5)
    promoted = node_cert(lab, "worker1")
    assert name(promoted, NameOID.ORGANIZATIONAL_UNIT_NAME) == "swarm-manager"
    lab.close()
