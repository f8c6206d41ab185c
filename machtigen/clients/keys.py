"""The service's own key for signing access tokens: from a PEM file, or generated at start."""

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from machtigen.identity.tokens import TrustedIssuer
from machtigen.keyfiles import load_or_create_ec_key

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
    def from_file(cls, path: str) -> "SigningKey":
        """The key in ``path``, made there on first use so that every worker signs alike."""
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

    @classmethod
    def for_public_url(
        cls, public_url: str, key: SigningKey, lifetime_seconds: int = 300
    ) -> "ApiTokenConfig":
        base = public_url.rstrip("/")
        return cls(
            issuer=base,
            audience=f"{base}/api/v1",
            token_endpoint=f"{base}/api/v1/oauth2/token",
            key=key,
            lifetime_seconds=lifetime_seconds,
        )

    def access_token_issuer(self) -> TrustedIssuer:
        return TrustedIssuer.from_jwks(
            self.issuer,
            self.audience,
            self.key.jwks(),
            algorithms=frozenset({"ES256"}),
            expected_typ=ACCESS_TOKEN_TYP,
            leeway_seconds=5,
            required_claims=("iss", "aud", "exp", "nbf", "iat", "sub", "client_kind"),
        )
