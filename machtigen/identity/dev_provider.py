"""The development broker: an OpenID Connect provider of the same NL GOV profile as the real
brokers (discovery, JWKS, authorization code with PKCE, ``private_key_jwt`` at its token
endpoint, the userinfo as a JWE around a JWS), so that local runs and tests go through the
real flow. Off unless ``MACHTIGEN_DEV_BROKER=true``.

It keeps nothing in memory: codes and access tokens are JWEs encrypted to its own key (so
any worker can read them), and a code is used once (its id kept in the database, as client
assertions' are). Like the broker in front of DigiD, its ``sub`` is the same for every
user of a client: relying parties must identify people by the attribute claims.
"""

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from jwt.algorithms import RSAAlgorithm
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from machtigen.clients.models import UsedAssertion
from machtigen.config import Settings
from machtigen.identity.brokers import (
    DEV_CLIENT_ID,
    EH2_PLUS,
    LOA_HIGH,
    LOA_LOW,
    LOA_SUBSTANTIAL,
    MEANS,
    NOT_NOTIFIED,
    dev_issuer,
    post_logout_redirect_uri,
    redirect_uri,
)
from machtigen.identity.client_keys import load_or_create_rsa_key, public_key_kid
from machtigen.identity.oidc import token_hash

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CODE_SECONDS = 60
ACCESS_TOKEN_SECONDS = 300
ID_TOKEN_SECONDS = 300
USERINFO_SECONDS = 60
MAX_ASSERTION_SECONDS = 300
LEEWAY_SECONDS = 30
_SELF_ENCRYPTION = ("RSA-OAEP-256", "A256GCM")

DIGID_LEVELS = {
    "basis": f"{NOT_NOTIFIED}low",
    "midden": LOA_LOW,
    "substantieel": LOA_SUBSTANTIAL,
    "hoog": LOA_HIGH,
}
"""What the development broker releases as ``loa_authn`` for the DigiD level chosen."""
EHERKENNING_LEVELS = {"EH2+": EH2_PLUS, "EH3": LOA_SUBSTANTIAL, "EH4": LOA_HIGH}
EIDAS_LEVELS = {level: level for level in (LOA_LOW, LOA_SUBSTANTIAL, LOA_HIGH)}


class ProviderError(Exception):
    """An OAuth error answer (RFC 6749 §5.2): ``error`` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class RegisteredClient:
    """A relying party as registered at the broker: its redirect URIs and its certificate."""

    client_id: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    certificate: x509.Certificate

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        key = self.certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise ProviderError("invalid_client", "The client's certificate holds no RSA key.", 401)
        return key


def registered_clients(settings: Settings) -> dict[str, RegisteredClient]:
    """This service itself, and whatever ``register_client`` wrote to the clients file."""
    own = RegisteredClient(
        DEV_CLIENT_ID,
        tuple(redirect_uri(settings, means) for means in MEANS),
        (post_logout_redirect_uri(settings),),
        x509.load_pem_x509_certificate(Path(settings.dev_client_cert_file).read_bytes()),
    )
    clients = {own.client_id: own}
    path = Path(settings.dev_broker_clients_file)
    if path.exists():
        for client_id, entry in json.loads(path.read_text()).items():
            clients[client_id] = RegisteredClient(
                client_id,
                tuple(entry.get("redirect_uris", [])),
                tuple(entry.get("post_logout_redirect_uris", [])),
                x509.load_pem_x509_certificate(entry["certificate"].encode()),
            )
    return clients


def register_client(
    settings: Settings,
    client_id: str,
    redirect_uris: list[str],
    certificate_pem: bytes,
    post_logout_redirect_uris: list[str] | None = None,
) -> None:
    """Register (or replace) a relying party, as an operator does at a real broker."""
    x509.load_pem_x509_certificate(certificate_pem)
    path = Path(settings.dev_broker_clients_file)
    clients = json.loads(path.read_text()) if path.exists() else {}
    clients[client_id] = {
        "redirect_uris": list(redirect_uris),
        "post_logout_redirect_uris": list(post_logout_redirect_uris or []),
        "certificate": certificate_pem.decode(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    draft.write_text(json.dumps(clients, indent=2))
    os.replace(draft, path)


class DevProvider:
    """The development broker's protocol side; the pages are in api/auth/dev_broker.py."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.issuer = dev_issuer(settings)
        self._key = load_or_create_rsa_key(settings.dev_broker_key_file)
        self.kid = public_key_kid(self._key.public_key())
        self._self_key = RSAKey.import_key(self._key)

    # -- discovery -------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "end_session_endpoint": f"{base}/logout",
            "scopes_supported": ["openid"],
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["RS256"],
            "userinfo_encryption_alg_values_supported": ["RSA-OAEP"],
            "userinfo_encryption_enc_values_supported": ["A128CBC-HS256"],
            "claims_supported": [
                "bsn",
                "kvk_number",
                "employee_id",
                "person_identifier",
                "given_name",
                "family_name",
                "birthdate",
                "name",
                "loa_authn",
            ],
        }

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    # -- /authorize ------------------------------------------------------------------------

    def client(self, client_id: str) -> RegisteredClient | None:
        return registered_clients(self.settings).get(client_id)

    def issue_code(self, request: dict[str, str], claims: dict[str, str], now: datetime) -> str:
        """A code for a checked authorization request and the identity chosen on the page."""
        return self._seal(
            {
                "use": "code",
                "client_id": request["client_id"],
                "redirect_uri": request["redirect_uri"],
                "nonce": request["nonce"],
                "code_challenge": request["code_challenge"],
                "claims": claims,
                "auth_time": int(now.timestamp()),
                "exp": int(now.timestamp()) + CODE_SECONDS,
                "jti": secrets.token_urlsafe(24),
            }
        )

    # -- /token ----------------------------------------------------------------------------

    def token(self, session: Session, form: dict[str, str], now: datetime) -> dict[str, Any]:
        """Redeem a code: client assertion, code, redirect URI and PKCE all checked."""
        if form.get("grant_type") != "authorization_code":
            raise ProviderError("unsupported_grant_type", "Only authorization_code.")
        client = self._authenticate(session, form, now)
        grant = self._open(form.get("code", ""), "code", now)
        if grant["client_id"] != client.client_id:
            raise ProviderError("invalid_grant", "The code was issued to another client.")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            raise ProviderError("invalid_grant", "The redirect_uri differs from the request.")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if not verifier or challenge.rstrip(b"=").decode() != grant["code_challenge"]:
            raise ProviderError("invalid_grant", "The code_verifier does not match (PKCE).")
        self._use_once(session, "dev-broker:code", grant["jti"], now, "The code was used before.")
        access_token = self._seal(
            {
                "use": "access",
                "client_id": client.client_id,
                "claims": grant["claims"],
                "exp": int(now.timestamp()) + ACCESS_TOKEN_SECONDS,
                "jti": secrets.token_urlsafe(24),
            }
        )
        issued = int(now.timestamp())
        id_token = self._sign(
            {
                "iss": self.issuer,
                "sub": self._subject(client.client_id),
                "aud": [client.client_id],
                "iat": issued,
                "exp": issued + ID_TOKEN_SECONDS,
                "auth_time": grant["auth_time"],
                "nonce": grant["nonce"],
                "at_hash": token_hash(access_token, "RS256"),
            }
        )
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "id_token": id_token,
        }

    def _authenticate(self, session: Session, form: dict[str, str], now: datetime) -> Any:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise ProviderError("invalid_client", "Use private_key_jwt.", 401)
        client = self.client(form.get("client_id", ""))
        if client is None:
            raise ProviderError("invalid_client", "Unknown client.", 401)
        try:
            claims = jwt.decode(
                form.get("client_assertion", ""),
                client.public_key,
                algorithms=["RS256"],
                audience=f"{self.issuer}/token",
                issuer=client.client_id,
                options={
                    "require": ["iss", "sub", "aud", "exp", "jti"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as error:
            raise ProviderError(
                "invalid_client", f"Client assertion refused: {error}", 401
            ) from error
        exp, moment = float(claims["exp"]), now.timestamp()
        if claims["sub"] != client.client_id:
            raise ProviderError("invalid_client", "The assertion's sub is not the client.", 401)
        if exp + LEEWAY_SECONDS < moment or exp - moment > MAX_ASSERTION_SECONDS + LEEWAY_SECONDS:
            raise ProviderError("invalid_client", "The assertion has expired or lives long.", 401)
        owner = "dev-broker:" + hashlib.sha256(client.client_id.encode()).hexdigest()[:40]
        self._use_once(session, owner, str(claims["jti"])[:128], now, "Assertion replayed.", 401)
        return client

    # -- /userinfo -------------------------------------------------------------------------

    def userinfo(self, access_token: str, now: datetime) -> str:
        """The identity as a JWS signed by the broker, encrypted to the client's certificate."""
        grant = self._open(access_token, "access", now, error="invalid_token", status=401)
        client = self.client(grant["client_id"])
        if client is None:
            raise ProviderError("invalid_token", "The client is no longer registered.", 401)
        issued = int(now.timestamp())
        signed = self._sign(
            {
                "iss": self.issuer,
                "aud": client.client_id,
                "sub": self._subject(client.client_id),
                "nbf": issued - 10,
                "exp": issued + USERINFO_SECONDS,
                **grant["claims"],
            }
        )
        header = {"alg": "RSA-OAEP", "enc": "A128CBC-HS256", "cty": "JWT", "typ": "JWT"}
        recipient = RSAKey.import_key(client.public_key)
        return jwe.encrypt_compact(
            header, signed, recipient, algorithms=["RSA-OAEP", "A128CBC-HS256"]
        )

    # -- logout ----------------------------------------------------------------------------

    def post_logout_target(self, client_id: str, target: str) -> str | None:
        client = self.client(client_id)
        if client is None or target not in client.post_logout_redirect_uris:
            return None
        return target

    # -- helpers ---------------------------------------------------------------------------

    def _subject(self, client_id: str) -> str:
        """One ``sub`` for every user of a client, as at the broker in front of DigiD."""
        return hashlib.sha256(f"{self.issuer}|{client_id}".encode()).hexdigest()

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self._key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"}
        )

    def _seal(self, payload: dict[str, Any]) -> str:
        header = {"alg": _SELF_ENCRYPTION[0], "enc": _SELF_ENCRYPTION[1]}
        return jwe.encrypt_compact(
            header, json.dumps(payload), self._self_key, algorithms=list(_SELF_ENCRYPTION)
        )

    def _open(
        self,
        token: str,
        use: str,
        now: datetime,
        *,
        error: str = "invalid_grant",
        status: int = 400,
    ) -> dict[str, Any]:
        try:
            opened = jwe.decrypt_compact(token, self._self_key, algorithms=list(_SELF_ENCRYPTION))
            payload = json.loads(opened.plaintext or b"")
        except (JoseError, ValueError) as failure:
            raise ProviderError(error, "Unknown or damaged token.", status) from failure
        if not isinstance(payload, dict) or payload.get("use") != use:
            raise ProviderError(error, "Unknown or damaged token.", status)
        if payload["exp"] < now.timestamp():
            raise ProviderError(error, "The token has expired.", status)
        return payload

    @staticmethod
    def _use_once(
        session: Session, owner: str, jti: str, now: datetime, message: str, status: int = 400
    ) -> None:
        if session.get(UsedAssertion, (owner, jti)) is not None:
            raise ProviderError(
                "invalid_grant" if status == 400 else "invalid_client", message, status
            )
        try:
            with session.begin_nested():
                session.add(
                    UsedAssertion(client_id=owner, jti=jti, expires_at=now + timedelta(seconds=600))
                )
        except IntegrityError as error:
            raise ProviderError("invalid_grant", message, status) from error
