"""RSA keys and X.509 certificates of OIDC clients and of the development broker.

A relying party registers its certificate at a broker: the broker checks the client's
``private_key_jwt`` assertions with it and encrypts the userinfo to it. The private key stays
with the relying party, in a file named by its configuration.
"""

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc.jwk import RSAKey

from machtigen.keyfiles import create_once

RSA_BITS = 2048
"""Keys made here are for development only; an operator brings real ones."""


@dataclass(frozen=True)
class ClientCredentials:
    """A client's private key and the certificate that carries its public half."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def kid(self) -> str:
        return certificate_kid(self.certificate)

    @cached_property
    def jose_key(self) -> RSAKey:
        """The private key for joserfc and Authlib (signing assertions, decrypting JWEs)."""
        return RSAKey.import_key(self.private_key)

    @classmethod
    def from_files(cls, key_file: str | Path, certificate_file: str | Path) -> "ClientCredentials":
        """Read both files; the certificate must hold the key's public half."""
        key = load_rsa_key(Path(key_file).read_bytes(), str(key_file))
        certificate = x509.load_pem_x509_certificate(Path(certificate_file).read_bytes())
        if certificate.public_key() != key.public_key():
            raise ValueError(f"{certificate_file} does not belong to the key in {key_file}")
        return cls(key, certificate)


def load_rsa_key(pem: bytes, where: str = "the key") -> rsa.RSAPrivateKey:
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey) or loaded.key_size < 2048:
        raise ValueError(f"{where} is not an RSA private key of at least 2048 bits")
    return loaded


def load_or_create_rsa_key(path: str | Path) -> rsa.RSAPrivateKey:
    """The RSA key in ``path``, made there first when missing (development only)."""
    key_path = Path(path)
    if not key_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        create_once(key_path, pem)
    return load_rsa_key(key_path.read_bytes(), str(key_path))


def load_or_create_credentials(
    key_file: str | Path, certificate_file: str | Path, common_name: str
) -> ClientCredentials:
    """A development client's key and self-signed certificate, made on first use."""
    key = load_or_create_rsa_key(key_file)
    cert_path = Path(certificate_file)
    if not cert_path.exists():
        certificate = self_signed_certificate(key, common_name)
        create_once(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return ClientCredentials.from_files(key_file, cert_path)


def self_signed_certificate(
    key: rsa.RSAPrivateKey, common_name: str, *, days: int = 3650
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.now(UTC) - timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


def certificate_kid(certificate: x509.Certificate) -> str:
    """Base64 of the certificate's SHA-256 fingerprint, as brokers like nl-rdo-max name their
    keys: such a kid may contain ``+``, ``/`` and ``=``."""
    return base64.b64encode(certificate.fingerprint(hashes.SHA256())).decode()


def public_key_kid(key: rsa.RSAPublicKey) -> str:
    """Base64 of the SHA-256 of the public key (with ``+ / =``, like certificate kids)."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()
