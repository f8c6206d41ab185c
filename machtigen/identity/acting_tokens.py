"""API tokens for a representative acting for someone: RFC 8693 delegation semantics.

``sub`` is the represented person, ``act.sub`` the representative who acts (a person, or a
staff member of an office, with ``act.office`` and the two facts the policy needs about them:
``act.office_admin`` and ``act.office_divides_clients``). Whoever receives the token sees both
identities; the policy decides on both, and the audit trail records both.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import jwt

from machtigen.authz.actors import PersonActor, StaffActor
from machtigen.clients.keys import ACCESS_TOKEN_TYP, ApiTokenConfig
from machtigen.identity.tokens import InvalidToken, TrustedIssuer, verify

PORTAL_API_PATH = "/api/portal"


@dataclass(frozen=True)
class ActingIdentity:
    """Who acts, and for whom, as a verified acting token says."""

    represented_person_id: UUID
    actor: PersonActor | StaffActor


def audience(config: ApiTokenConfig) -> str:
    return f"{config.issuer}{PORTAL_API_PATH}"


def issue(
    config: ApiTokenConfig,
    actor: PersonActor | StaffActor,
    represented_person_id: UUID,
    now: datetime,
) -> str:
    """A short-lived token for ``actor`` acting for ``represented_person_id``."""
    issued = int(now.timestamp())
    act: dict[str, Any] = {"sub": f"{actor.kind}:{actor.key}"}
    if isinstance(actor, StaffActor):
        act["office"] = str(actor.office_id)
        act["office_admin"] = actor.is_admin
        act["office_divides_clients"] = actor.office_divides_clients
    claims = {
        "iss": config.issuer,
        "aud": audience(config),
        "sub": f"person:{represented_person_id}",
        "act": act,
        "acr": actor.loa,
        "amr": [actor.means],
        "iat": issued,
        "nbf": issued,
        "exp": issued + config.lifetime_seconds,
        "jti": uuid.uuid4().hex,
    }
    headers = {"kid": config.key.kid, "typ": ACCESS_TOKEN_TYP}
    return jwt.encode(claims, config.key.private_key, algorithm="ES256", headers=headers)


def read(config: ApiTokenConfig, token: str, now: datetime) -> ActingIdentity:
    """Verify an acting token (RFC 8725 checks) and rebuild both identities from it."""
    trusted = TrustedIssuer.from_jwks(
        config.issuer,
        audience(config),
        config.key.jwks(),
        algorithms=frozenset({"ES256"}),
        expected_typ=ACCESS_TOKEN_TYP,
        leeway_seconds=5,
        required_claims=("iss", "aud", "exp", "nbf", "iat", "sub", "act"),
    )
    claims = verify(token, trusted, now)
    try:
        represented = UUID(_prefixed(claims["sub"], "person"))
        act = claims["act"]
        kind, _, key = str(act["sub"]).partition(":")
        loa, means = claims.get("acr"), (claims.get("amr") or [None])[0]
        actor: PersonActor | StaffActor
        if kind == "person":
            actor = PersonActor(UUID(key), now, means=means, loa=loa)
        elif kind == "staff":
            actor = StaffActor(
                UUID(key),
                UUID(str(act["office"])),
                now,
                means=means or "eherkenning",
                loa=loa,
                is_admin=act.get("office_admin") is True,
                office_divides_clients=act.get("office_divides_clients") is not False,
            )
        else:
            raise ValueError(kind)
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidToken("The token does not name who acts for whom.") from error
    return ActingIdentity(represented, actor)


def _prefixed(value: object, prefix: str) -> str:
    kind, _, rest = str(value).partition(":")
    if kind != prefix:
        raise ValueError(value)
    return rest
