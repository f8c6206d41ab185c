"""Who we are to machine clients: the issuer, audiences and the key that signs tokens.

The keys themselves (one set per purpose, rotation, a key as JOSE sees it) are in
``machtigen.keys``.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from machtigen.identity.tokens import TrustedIssuer
from machtigen.keys import KeySet, SigningKey

log = logging.getLogger(__name__)

ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - a media type, not a secret
"""RFC 9068: the type of an OAuth 2.0 access token in JWT format."""


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
