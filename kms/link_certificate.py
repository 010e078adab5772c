"""Ephemeral TLS identities for a direct protocol link between two parties.

A PSI engine whose parties talk over their own TCP link (secretflow's ``spu``)
gets one self-signed certificate per party and per session. The certificates
travel inside the authenticated API messages, and each side trusts exactly the
other's certificate for that one link (it is the only CA file it loads), so a
third machine that reaches the port cannot join, and a certificate is worthless
after its session: the private key never leaves the party's temporary directory.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Long enough for a long run on a slow machine, short enough that a leaked key is stale soon.
LINK_CERTIFICATE_LIFETIME = datetime.timedelta(hours=12)


@dataclass(frozen=True)
class LinkCertificate:
    """One party's identity on one link; ``key_pem`` stays with that party."""

    certificate_pem: bytes
    key_pem: bytes

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate, for logs and audit records (never the key)."""
        cert = x509.load_pem_x509_certificate(self.certificate_pem)
        return cert.fingerprint(hashes.SHA256()).hex()


def ephemeral_link_certificate(
    common_name: str, *, now: datetime.datetime | None = None
) -> LinkCertificate:
    """A fresh P-256 key and a self-signed CA certificate naming ``common_name``.

    It is a CA certificate because the other side loads it as its only trust anchor
    (brpc's verify option takes a CA file, not a pinned leaf).
    """
    issued = now or datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(issued - datetime.timedelta(minutes=5))
        .not_valid_after(issued + LINK_CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return LinkCertificate(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def is_certificate(pem: bytes) -> bool:
    """Whether ``pem`` parses as one X.509 certificate (checked before it is trusted)."""
    try:
        x509.load_pem_x509_certificate(pem)
    except ValueError:
        return False
    return True
