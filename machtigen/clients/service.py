"""OAuth2 client credentials with ``private_key_jwt`` (RFC 7523) for afnemers and registers.

A client posts an assertion it signed with its own private key; we verify it against the
client's registered JWKS with the one RFC 8725 verifier (machtigen.identity.tokens), refuse a
``jti`` seen before (kept in the database until the assertion expires, so every worker sees
it), and answer with a short-lived access token signed by our own key.
"""

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import jwt
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.afnemers.models import Afnemer
from machtigen.audit.service import record
from machtigen.authz.actors import AfnemerActor, AfnemerRegistry, RegisterActor
from machtigen.authz.engine import Authorizer
from machtigen.clients.errors import ClientAlreadyRegistered, ClientNotFound, InvalidClient
from machtigen.clients.keys import ACCESS_TOKEN_TYP, ApiTokenConfig
from machtigen.clients.models import MAX_SHARE_WEIGHT, ApiClient, ClientKind, UsedAssertion
from machtigen.clock import Clock
from machtigen.context import Ctx, Origin
from machtigen.errors import InvalidInput
from machtigen.identity.tokens import (
    REQUIRED_CLAIMS,
    InvalidToken,
    TrustedIssuer,
    unverified_issuer,
    verify,
)

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_SECONDS = 300
ASSERTION_CLAIMS = (*(c for c in REQUIRED_CLAIMS if c != "nbf"), "sub", "jti")
"""RFC 7523 §3: ``nbf`` is optional in a client assertion (checked when present); ``exp``
and the lifetime of at most ``MAX_ASSERTION_SECONDS`` are not."""
"""An assertion may live at most five minutes: its jti is remembered that long."""
LEEWAY_SECONDS = 30
_CLIENT_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_JTI = re.compile(r"[\x21-\x7e]{8,128}")


@dataclass(frozen=True)
class ClientIdentity:
    """Who an access token was issued to."""

    client_id: str
    kind: ClientKind
    afnemer_id: UUID | None
    name: str = ""
    share_weight: int = 1
    """Its weight in the fair share of a full worker (admission control)."""

    def actor(self, at: datetime) -> AfnemerActor | RegisterActor:
        if self.kind == ClientKind.AFNEMER:
            assert self.afnemer_id is not None
            return AfnemerActor(self.afnemer_id, at, name=self.name or self.client_id)
        return RegisterActor(self.client_id, at, name=self.name or "court register")


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    client: ClientIdentity


def _audit(ctx: Ctx, action: str, client: ApiClient, **detail: object) -> None:
    """An audit event about an API client, named by its id and its client id."""
    record(
        ctx,
        action,
        subject_person_id=None,
        object_type="api_client",
        object_id=client.id,
        client_id=client.client_id,
        **detail,
    )


def register_client(
    ctx: Ctx,
    *,
    client_id: str,
    kind: ClientKind,
    jwks: dict[str, Any],
    afnemer_id: UUID | None = None,
) -> ApiClient:
    """An operator registers a machine client with its public keys (never a private key)."""
    ctx.authorize("configure", AfnemerRegistry())
    if not _CLIENT_ID.fullmatch(client_id):
        raise InvalidClient("A client id has 1 to 64 letters, digits, '.', '_' or '-'.")
    if (kind == ClientKind.AFNEMER) != (afnemer_id is not None):
        raise InvalidClient("An afnemer client names its afnemer; a register client does not.")
    if afnemer_id is not None:
        afnemer = ctx.session.get(Afnemer, afnemer_id)
        if afnemer is None or afnemer.oin != client_id:
            raise InvalidClient("An afnemer's client id is its OIN.")
    _check_jwks(client_id, jwks)
    existing = ctx.session.scalars(
        select(ApiClient).where(col(ApiClient.client_id) == client_id)
    ).first()
    if existing is not None:
        raise ClientAlreadyRegistered()
    client = ApiClient(
        client_id=client_id, kind=kind, afnemer_id=afnemer_id, jwks=jwks, created_at=ctx.now
    )
    ctx.session.add(client)
    ctx.session.flush()
    _audit(
        ctx,
        "client.registered",
        client,
        kind=kind,
        kids=[key.get("kid") for key in jwks.get("keys", [])],
    )
    return client


def _check_jwks(client_id: str, jwks: dict[str, Any]) -> None:
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        raise InvalidClient("A JWKS with at least one public key is needed.")
    if any(isinstance(key, dict) and "d" in key for key in keys):
        raise InvalidClient("The JWKS holds a private key; register public keys only.")
    try:
        TrustedIssuer.from_jwks(client_id, "check", jwks)
    except (ValueError, jwt.PyJWTError) as error:
        raise InvalidClient(f"The JWKS is not usable: {error}") from error


def issue_access_token(
    session: Session,
    *,
    assertion: str,
    config: ApiTokenConfig,
    clock: Clock,
    authz: Authorizer,
    origin: Origin,
) -> IssuedToken:
    """Verify a client assertion (RFC 7523 §3) and answer with a short-lived access token."""
    now = clock.now()
    client_id = unverified_issuer(assertion)
    client = _active_client(session, client_id)
    if client is None:
        log.info("token refused: unknown client")
        raise InvalidToken("The client is not known or the assertion is invalid.")
    try:
        trusted = TrustedIssuer.from_jwks(
            client.client_id,
            config.token_endpoint,
            client.jwks,
            leeway_seconds=LEEWAY_SECONDS,
            required_claims=ASSERTION_CLAIMS,
        )
    except (ValueError, jwt.PyJWTError) as error:
        log.warning("client %s has an unusable JWKS", client.client_id)
        raise InvalidToken("The client is not known or the assertion is invalid.") from error
    claims = verify(assertion, trusted, now)
    if claims.get("sub") != client.client_id:
        raise InvalidToken("The assertion's subject must be the client id.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not _JTI.fullmatch(jti):
        raise InvalidToken("The assertion needs a jti of 8 to 128 printable characters.")
    exp = float(claims["exp"])
    if exp - now.timestamp() > MAX_ASSERTION_SECONDS + LEEWAY_SECONDS:
        raise InvalidToken(f"An assertion may be valid for at most {MAX_ASSERTION_SECONDS} s.")
    _remember_jti(session, client.client_id, jti, now, exp)
    identity = _identity(session, client)
    ctx = Ctx(session=session, actor=identity.actor(now), clock=clock, authz=authz, origin=origin)
    token = _sign_access_token(identity, config, now)
    _audit(ctx, "client.token_issued", client, expires_in=config.lifetime_seconds)
    return IssuedToken(token, config.lifetime_seconds, identity)


def authenticate(token: str, trusted: TrustedIssuer, now: datetime) -> ClientIdentity:
    """The client an access token of ours was issued to, or ``InvalidToken``.

    The token carries the client's kind, afnemer and share weight, so no database read is
    needed per call; deactivating a client (or a new weight) takes effect when its current
    token expires (five minutes).
    """
    return verified_access_token(token, trusted, now).client


@dataclass(frozen=True)
class VerifiedAccessToken:
    client: ClientIdentity
    not_before: float
    expires_at: float
    """POSIX seconds: a verification may be reused between these two moments."""


def verified_access_token(token: str, trusted: TrustedIssuer, now: datetime) -> VerifiedAccessToken:
    """``authenticate``, with the window in which the token stays valid."""
    claims = verify(token, trusted, now)
    try:
        kind = ClientKind(claims["client_kind"])
        raw_afnemer = claims.get("afnemer_id")
        afnemer_id = UUID(raw_afnemer) if isinstance(raw_afnemer, str) else None
    except (ValueError, KeyError) as error:
        raise InvalidToken("The access token's client is not usable.") from error
    if (kind == ClientKind.AFNEMER) != (afnemer_id is not None):
        raise InvalidToken("The access token's client is not usable.")
    weight = claims.get("share_weight", 1)
    if not isinstance(weight, int) or not 1 <= weight <= MAX_SHARE_WEIGHT:
        raise InvalidToken("The access token's client is not usable.")
    client = ClientIdentity(
        str(claims["sub"]), kind, afnemer_id, str(claims.get("name", "")), weight
    )
    return VerifiedAccessToken(client, float(claims["nbf"]), float(claims["exp"]))


def set_share_weight(ctx: Ctx, *, client_id: str, weight: int) -> ApiClient:
    """An operator gives a client a weight in the fair share of a full worker (audited).

    A client of weight 4 gets four times the places of a client of weight 1 when both are
    asking at once; the weight reaches the service with the client's next access token.
    """
    ctx.authorize("configure", AfnemerRegistry())
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise InvalidInput("weight: a whole number is needed.")
    if not 1 <= weight <= MAX_SHARE_WEIGHT:
        raise InvalidInput(f"weight: from 1 to {MAX_SHARE_WEIGHT}.")
    client = ctx.session.scalars(
        select(ApiClient).where(col(ApiClient.client_id) == client_id)
    ).first()
    if client is None:
        raise ClientNotFound()
    previous = client.share_weight
    client.share_weight = weight
    ctx.session.flush()
    _audit(ctx, "client.share_weight_set", client, previous=previous, weight=weight)
    return client


def is_active(session: Session, client_id: str) -> bool:
    """Whether the client is (still) active: access tokens outlive a deactivation."""
    return _active_client(session, client_id) is not None


def _active_client(session: Session, client_id: str) -> ApiClient | None:
    if not _CLIENT_ID.fullmatch(client_id):
        return None
    statement = select(ApiClient).where(
        col(ApiClient.client_id) == client_id, col(ApiClient.active).is_(True)
    )
    return session.scalars(statement).first()


def _identity(session: Session, client: ApiClient) -> ClientIdentity:
    name = client.client_id
    if client.afnemer_id is not None:
        afnemer = session.get(Afnemer, client.afnemer_id)
        name = afnemer.name if afnemer is not None else name
    return ClientIdentity(
        client.client_id, ClientKind(client.kind), client.afnemer_id, name, client.share_weight
    )


def _remember_jti(session: Session, client_id: str, jti: str, now: datetime, exp: float) -> None:
    """Refuse a jti seen before. Expired ones are deleted by ``machtigen jobs``
    (``purge_expired``), not here on every token request."""
    if session.get(UsedAssertion, (client_id, jti)) is not None:
        raise InvalidToken("The assertion was used before (jti replay).")
    expires_at = datetime.fromtimestamp(exp + LEEWAY_SECONDS, tz=now.tzinfo)
    try:
        with session.begin_nested():
            session.add(UsedAssertion(client_id=client_id, jti=jti, expires_at=expires_at))
    except IntegrityError as error:
        raise InvalidToken("The assertion was used before (jti replay).") from error


def _sign_access_token(identity: ClientIdentity, config: ApiTokenConfig, now: datetime) -> str:
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": config.issuer,
        "aud": config.audience,
        "sub": identity.client_id,
        "client_id": identity.client_id,
        "client_kind": str(identity.kind),
        "name": identity.name,
        "share_weight": identity.share_weight,
        "iat": issued,
        "nbf": issued,
        "exp": issued + config.lifetime_seconds,
        "jti": uuid.uuid4().hex,
    }
    if identity.afnemer_id is not None:
        claims["afnemer_id"] = str(identity.afnemer_id)
    key = config.signer(now)
    return jwt.encode(
        claims,
        key.private_key,
        algorithm="ES256",
        headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYP},
    )
