"""Verifying signed JWTs as RFC 8725 asks: one code path for broker ID tokens,
client assertions and access tokens.

- a fixed algorithm allow-list per issuer; ``none`` and HMAC are never accepted;
- ``kid`` is required and only looked up in the issuer's configured key set;
- ``jku``, ``x5u``, ``jwk``, ``x5c`` and ``crit`` headers are refused (no key from the token);
- ``typ`` is checked when the issuer names one;
- ``iss``, ``aud``, ``exp``, ``nbf``, ``iat`` are required, checked against the injectable
  clock with a small leeway (PyJWT's own clock checks are switched off for that reason).
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet

from machtigen.errors import MachtigenError

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
REFUSED_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})
REQUIRED_CLAIMS = ("iss", "aud", "exp", "nbf", "iat")
_KID = re.compile(r"[A-Za-z0-9._\-+/=]{1,128}")
"""Base64 (with ``+ / =``) as well as base64url: brokers name keys by certificate fingerprint."""
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


class InvalidToken(MachtigenError):
    status_code = 401
    title = "Unauthorized"


@dataclass(frozen=True)
class TrustedIssuer:
    """An issuer we accept tokens from, with the keys and algorithms it may use."""

    issuer: str
    audience: str
    keys: Mapping[str, PyJWK]
    algorithms: frozenset[str] = frozenset({"RS256", "PS256", "ES256"})
    expected_typ: str | None = None
    leeway_seconds: int = 30
    required_claims: Sequence[str] = field(default=REQUIRED_CLAIMS)

    def __post_init__(self) -> None:
        unsafe = set(self.algorithms) - ASYMMETRIC_ALGORITHMS
        if unsafe:
            raise ValueError(f"algorithms not allowed for {self.issuer}: {sorted(unsafe)}")

    @classmethod
    def from_jwks(
        cls, issuer: str, audience: str, jwks: str | Mapping[str, Any], **options: Any
    ) -> "TrustedIssuer":
        """Keys from a JWKS document (JSON text or a mapping); every key needs a ``kid``."""
        document = json.loads(jwks) if isinstance(jwks, str) else dict(jwks)
        keys: dict[str, PyJWK] = {}
        for key in PyJWKSet.from_dict(document).keys:
            if not key.key_id:
                raise ValueError(f"a key of {issuer} has no kid")
            keys[key.key_id] = key
        return cls(issuer=issuer, audience=audience, keys=keys, **options)


def unverified_issuer(token: str) -> str:
    """The ``iss`` a token claims, to choose whose keys verify it; never trusted by itself."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise InvalidToken("The token is not a well-formed JWT.") from error
    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        raise InvalidToken("The token names no issuer.")
    return issuer


def verify(token: str, trusted: TrustedIssuer, now: datetime) -> dict[str, Any]:
    """The verified claims, or ``InvalidToken`` saying why not (never another exception)."""
    header = _header(token)
    algorithm = header.get("alg")
    if algorithm not in trusted.algorithms:
        raise InvalidToken("The token's algorithm is not accepted.")
    if (
        trusted.expected_typ is not None
        and str(header.get("typ", "")).lower() != trusted.expected_typ.lower()
    ):
        raise InvalidToken("The token has the wrong type.")
    key = _key(header, trusted, algorithm)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key.key,
            algorithms=[algorithm],
            audience=trusted.audience,
            issuer=trusted.issuer,
            options={
                "require": list(trusted.required_claims),
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(f"The token was refused: {_reason(error)}") from error
    _check_times(claims, now, trusted.leeway_seconds)
    return claims


def _header(token: str) -> dict[str, Any]:
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 16_384:
        raise InvalidToken("The token is not a well-formed JWT.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidToken("The token header cannot be read.") from error
    if REFUSED_HEADERS & set(header):
        raise InvalidToken("The token names its own key or critical extensions; that is refused.")
    return header


def _key(header: Mapping[str, Any], trusted: TrustedIssuer, algorithm: str) -> PyJWK:
    kid = header.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise InvalidToken("The token has no usable key id.")
    key = trusted.keys.get(kid)
    if key is None:
        raise InvalidToken("The token's key id is not known.")
    if key.key_type != _KEY_TYPES[algorithm[:2]]:
        raise InvalidToken("The token's algorithm does not fit its key.")
    return key


def _check_times(claims: Mapping[str, Any], now: datetime, leeway: int) -> None:
    moment = now.timestamp()
    values = {name: claims.get(name) for name in ("exp", "nbf", "iat")}
    for name, value in values.items():
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise InvalidToken(f"The token's {name} is not a number.")
    exp, nbf, iat = values["exp"], values["nbf"], values["iat"]
    if exp is not None and moment >= float(exp) + leeway:
        raise InvalidToken("The token has expired.")
    if nbf is not None and moment < float(nbf) - leeway:
        raise InvalidToken("The token is not valid yet.")
    if iat is not None and moment < float(iat) - leeway:
        raise InvalidToken("The token was issued in the future.")


def _reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(error, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing claim {error.claim}"
    if isinstance(error, jwt.InvalidSignatureError):
        return "bad signature"
    return "invalid token"
