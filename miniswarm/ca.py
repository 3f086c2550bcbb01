"""The swarm's root CA and join tokens (swarmkit ca/).

`swarm init` makes a root CA: an ECDSA P-256 key and a self-signed certificate, CN
"swarm-ca", valid for 20 years from five minutes ago. A join token is
SWMTKN-1-<SHA-256 of the CA certificate, base 36, 50 characters>-<16 random bytes, base
36, 25 characters>: the first part lets a joining node check it talks to the right CA, the
second is the secret that decides the role it joins with.

Everything here comes from the host's seeded randomness, signatures included
(deterministic ECDSA, RFC 6979), so that a seed gives the same tokens every run.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from random import Random

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from .ids import base36

ROOT_CA_YEARS = 20
BACKDATE = dt.timedelta(minutes=5)
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class InvalidJoinToken(ValueError):
    """Not a join token at all (docker's "invalid join token")."""


@dataclass(frozen=True)
class RootCA:
    cert_pem: str
    key_pem: str

    @classmethod
    def create(cls, rng: Random, now: float) -> RootCA:
        key = ec.derive_private_key(1 + rng.randrange(_P256_ORDER - 1), ec.SECP256R1())
        # A PrintableString, as cfssl writes it (so CertIssuerSubject reads as swarm's).
        cn = x509.NameAttribute(NameOID.COMMON_NAME, "swarm-ca", _type=_ASN1Type.PrintableString)
        name = x509.Name([cn])
        start = dt.datetime.fromtimestamp(int(now) // 60 * 60, dt.UTC) - BACKDATE
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(rng.getrandbits(159) | 1)
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=365 * ROOT_CA_YEARS))
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
        )
        return cls(
            cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode(),
        )

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem.encode())

    @property
    def digest(self) -> str:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        return hashlib.sha256(der).hexdigest()

    @property
    def issuer_subject(self) -> str:
        """Base64 of the DER subject (TLSInfo.CertIssuerSubject)."""
        return base64.b64encode(self.certificate.subject.public_bytes()).decode()

    @property
    def issuer_public_key(self) -> str:
        """Base64 of the DER SubjectPublicKeyInfo (TLSInfo.CertIssuerPublicKey)."""
        der = self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def tls_info(self) -> dict:
        return {
            "TrustRoot": self.cert_pem,
            "CertIssuerSubject": self.issuer_subject,
            "CertIssuerPublicKey": self.issuer_public_key,
        }


NODE_CERT_DAYS = 90  # swarm's DefaultNodeCertExpiration (2160h)
ROLE_OU = {"manager": "swarm-manager", "worker": "swarm-worker"}


def issue_node_certificate(
    root: RootCA, node_id: str, role: str, cluster_id: str, rng: Random, now: float
) -> str:
    """The node's TLS certificate, signed by the root CA (swarm's IssueNodeCertificate):
    CN the node ID, OU its role, O the cluster ID; ECDSA P-256, valid 90 days. The node's
    own key is derived from the CA's randomness here — in swarm the node makes it and
    sends a CSR; the certificate is what the simulation needs."""
    ca_key = serialization.load_pem_private_key(root.key_pem.encode(), None)
    key = ec.derive_private_key(1 + rng.randrange(_P256_ORDER - 1), ec.SECP256R1())
    start = dt.datetime.fromtimestamp(int(now) // 60 * 60, dt.UTC) - BACKDATE
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, cluster_id),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ROLE_OU[role]),
            x509.NameAttribute(NameOID.COMMON_NAME, node_id),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root.certificate.subject)
        .public_key(key.public_key())
        .serial_number(rng.getrandbits(159) | 1)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=NODE_CERT_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(ROLE_OU[role]), x509.DNSName(node_id), x509.DNSName("swarm-ca")]
            ),
            False,
        )
        .sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def generate_join_token(rng: Random, root: RootCA) -> str:
    digest = base36(int(root.digest, 16), 50)
    secret = base36(rng.getrandbits(128), 25)
    return f"SWMTKN-1-{digest}-{secret}"


_TOKEN = re.compile(r"^SWMTKN-1-([0-9a-z]{50})-([0-9a-z]{25})$")


def parse_join_token(token: str) -> tuple[str, str]:
    """(CA digest part, secret part); InvalidJoinToken if it is not a join token."""
    m = _TOKEN.match(token)
    if not m:
        raise InvalidJoinToken("invalid join token")
    return m.group(1), m.group(2)


def tokens_equal(a: str, b: str) -> bool:
    """Compare secrets in constant time, as swarm's CA does."""
    return hmac.compare_digest(a.encode(), b.encode())
