"""The service's signing keys as JOSE sees them, and who we are to machine clients.

The keys themselves (one set per purpose, rotation) are in ``machtigen.keys``.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from machtigen.identity.tokens import TrustedIssuer
from machtigen.keyfiles import load_or_create_ec_key
from machtigen.keys import Key, KeySet

log = logging.getLogger(__name__)

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type, not a secret
"""RFC 9068: the type of an OAuth 2.0 access token in JWT format."""


@dataclass(frozen=True)
class SigningKey:
    private_key: ec.EllipticCurvePrivateKey
    kid: str
    public_jwk: dict[str, Any]

    @classmethod
    def from_private_key(cls, private_key: ec.EllipticCurvePrivateKey) -> "SigningKey":
        public: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(private_key.public_key()))
        thumbprint_input = json.dumps(
            {name: public[name] for name in ("crv", "kty", "x", "y")},
            separators=(",", ":"),
            sort_keys=True,
        )
        kid = hashlib.sha256(thumbprint_input.encode()).hexdigest()[:32]
        return cls(private_key, kid, {**public, "kid": kid, "use": "sig", "alg": "ES256"})

    @classmethod
    def from_key(cls, key: Key) -> "SigningKey":
        if key.private_key is None:
            raise ValueError(f"key {key.kid} is not an EC key")
        return cls(key.private_key, key.kid, key.public_jwk())

    @classmethod
    def from_file(cls, path: str) -> "SigningKey":
        """A single PEM key (tests and benchmarks), made there on first use."""
        return cls.from_private_key(load_or_create_ec_key(path))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}


@dataclass(frozen=True)
class ApiTokenConfig:
    """Who we are to machine clients: the token endpoint (audience of their assertions),
    our issuer name and the audience of our access tokens, and the key that signs them."""

    issuer: str
    audience: str
    token_endpoint: str
    key: SigningKey
    lifetime_seconds: int = 300
    keyset: KeySet | None = None
    """With a key set the signing key follows rotation (``signer``), and every key that
    still verifies is trusted; without one, ``key`` signs and verifies alone."""

    @classmethod
    def for_public_url(
        cls,
        public_url: str,
        key: SigningKey | KeySet,
        lifetime_seconds: int = 300,
        now: datetime | None = None,
    ) -> "ApiTokenConfig":
        base = public_url.rstrip("/")
        keyset = key if isinstance(key, KeySet) else None
        if isinstance(key, KeySet):
            key = SigningKey.from_key(key.signer(now or datetime.now().astimezone()))
        return cls(
            issuer=base,
            audience=f"{base}/api/v1",
            token_endpoint=f"{base}/api/v1/oauth2/token",
            key=key,
            lifetime_seconds=lifetime_seconds,
            keyset=keyset,
        )

    def signer(self, now: datetime) -> SigningKey:
        """The key that signs a token issued at ``now``."""
        if self.keyset is None:
            return self.key
        current = self.keyset.signer(now)
        return self.key if current.kid == self.key.kid else SigningKey.from_key(current)

    def jwks(self, now: datetime) -> dict[str, Any]:
        return self.key.jwks() if self.keyset is None else self.keyset.jwks(now)

    def access_token_issuer(self, now: datetime | None = None) -> TrustedIssuer:
        return TrustedIssuer.from_jwks(
            self.issuer,
            self.audience,
            self.jwks(now or datetime.now().astimezone()),
            algorithms=frozenset({"ES256"}),
            expected_typ=ACCESS_TOKEN_TYP,
            leeway_seconds=5,
            required_claims=("iss", "aud", "exp", "nbf", "iat", "sub", "client_kind"),
        )
