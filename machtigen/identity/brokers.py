"""Trusted identity brokers (DigiD, eIDAS node, eHerkenning) and the development broker.

In production each means is an external OIDC broker, configured by issuer, audience,
authorize URL and public keys. With ``MACHTIGEN_DEV_BROKER=true`` the service is its own
broker for all three means: it signs tokens with a key kept in a file, so that every
worker and every host sharing that file verifies the same tokens.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from machtigen.config import Settings
from machtigen.identity.tokens import TrustedIssuer
from machtigen.keyfiles import load_or_create_ec_key

MEANS = ("digid", "eidas", "eherkenning")
DEV_KID = "dev-broker-1"


@dataclass(frozen=True)
class Broker:
    means: str
    trusted: TrustedIssuer
    authorize_url: str


def dev_issuer(settings: Settings) -> str:
    return f"{settings.public_url.rstrip('/')}/dev-broker"


def load_brokers(settings: Settings) -> dict[str, Broker]:
    """The configured brokers per means; the development broker when it is switched on."""
    brokers: dict[str, Broker] = {}
    if settings.brokers_file:
        for entry in json.loads(Path(settings.brokers_file).read_text()):
            brokers[entry["means"]] = _configured(entry, settings)
    if settings.dev_broker:
        key = dev_broker_key(settings)
        jwks = {"keys": [{**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": DEV_KID}]}
        for means in MEANS:
            trusted = TrustedIssuer.from_jwks(
                dev_issuer(settings),
                settings.public_url,
                jwks,
                algorithms=frozenset({"ES256"}),
                expected_typ="JWT",
            )
            brokers.setdefault(means, Broker(means, trusted, f"/dev-broker/{means}/authorize"))
    return brokers


def _configured(entry: dict[str, Any], settings: Settings) -> Broker:
    if entry.get("means") not in MEANS:
        raise ValueError(f"unknown means in brokers file: {entry.get('means')!r}")
    jwks = entry.get("jwks") or json.loads(Path(entry["jwks_file"]).read_text())
    trusted = TrustedIssuer.from_jwks(
        entry["issuer"],
        entry.get("audience", settings.public_url),
        jwks,
        algorithms=frozenset(entry.get("algorithms", ["RS256", "PS256", "ES256"])),
        expected_typ=entry.get("typ", "JWT"),
    )
    return Broker(entry["means"], trusted, entry["authorize_url"])


def dev_broker_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    """The development broker's signing key: made once, then read from its file by every worker."""
    return load_or_create_ec_key(settings.dev_broker_key_file)


def mint_dev_token(
    settings: Settings,
    means: str,
    claims: dict[str, Any],
    *,
    now: datetime,
    nonce: str | None = None,
    lifetime_seconds: int = 300,
) -> str:
    """An ID token as the development broker issues it (also used by ``machtigen dev token``)."""
    if means not in MEANS:
        raise ValueError(f"unknown means {means!r}")
    issued = int(now.timestamp())
    payload = {
        "iss": dev_issuer(settings),
        "aud": settings.public_url,
        "sub": claims.get("sub") or f"{means}-{uuid.uuid4().hex[:12]}",
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime_seconds,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    if nonce is not None:
        payload["nonce"] = nonce
    return jwt.encode(
        payload, dev_broker_key(settings), algorithm="ES256", headers={"kid": DEV_KID, "typ": "JWT"}
    )
