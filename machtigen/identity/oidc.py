"""The relying party of an identity broker: OpenID Connect as the NL GOV profile asks.

1. Discovery: the broker's ``/.well-known/openid-configuration`` and JWKS, over TLS trusted
   through the configured CA bundle (cached; a broker that cannot be reached is a 503 page).
2. ``/authorize``: ``response_type=code``, ``scope``, ``state``, ``nonce``, S256 PKCE and the
   ``login_hint`` that picks the login method.
3. ``/token``: the code with its ``code_verifier`` and the absolute ``redirect_uri``; the client
   authenticates with ``private_key_jwt`` (RS256, ``iss`` = ``sub`` = client_id, ``aud`` = the
   token endpoint, ``exp``, ``jti``), signed by Authlib; PKCE's S256 challenge from Authlib.
4. The id_token: RS256 by ``kid`` from the JWKS, ``iss``, ``aud`` (maybe a list), ``exp``,
   ``nonce`` and ``at_hash``; verified by machtigen.identity.tokens (RFC 8725 rules).
5. ``/userinfo``: ``application/jwt``, a JWE (RSA-OAEP, A128CBC-HS256, ``cty`` JWT) to our
   certificate around an RS256 JWS; decrypted with joserfc, the JWS verified as in 4, with
   ``iss``, ``aud`` and a ``exp`` no further than 60 s away. Unencrypted is refused.

Flow state (state, nonce, verifier) is not kept here: see machtigen.identity.flows.
"""

import base64
import hashlib
import hmac
import json
import secrets
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwe
from joserfc.errors import JoseError

from machtigen.errors import MachtigenError
from machtigen.identity.brokers import BrokerConfig
from machtigen.identity.client_keys import ClientCredentials
from machtigen.identity.tokens import InvalidToken, TrustedIssuer, verify

METADATA_SECONDS = 3600
JWKS_REFRESH_SECONDS = 60
"""An unknown kid fetches the JWKS again, at most once a minute (key rotation)."""
JWE_ALGORITHMS = frozenset({"RSA-OAEP", "RSA-OAEP-256"})
JWE_ENCRYPTIONS = frozenset({"A128CBC-HS256", "A256CBC-HS512", "A128GCM", "A256GCM"})
ASSERTION_SECONDS = 60
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_RESPONSE_BYTES = 65_536

TransportRoute = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]
"""Wraps the network transport; the development broker serves itself in process this way."""


class BrokerUnavailable(MachtigenError):
    """The broker did not answer, or not as the protocol says: try again later."""

    status_code = 503
    title = "Login service unavailable"


@dataclass(frozen=True)
class Authorization:
    """What one login sends to the broker, and keeps to check what comes back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class BrokerAnswer:
    """The verified outcome of a login at the broker."""

    claims: dict[str, Any]
    """The identity claims of the userinfo (verified, decrypted)."""
    id_token: str
    issuer: str
    end_session_endpoint: str | None


class RelyingParty:
    """This service as the client of one broker (one per means)."""

    def __init__(
        self,
        config: BrokerConfig,
        credentials: ClientCredentials,
        route: TransportRoute | None = None,
    ) -> None:
        self.config = config
        self.credentials = credentials
        self._route = route
        self._decryption_key = credentials.jose_key
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._jwks: dict[str, Any] | None = None
        self._jwks_at = 0.0

    # -- discovery -------------------------------------------------------------------------

    async def metadata(self) -> dict[str, Any]:
        """The broker's discovery document (cached for an hour; a stale copy beats none)."""
        if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_SECONDS:
            return self._metadata
        try:
            document = await self._get_json(self.config.discovery)
            self._metadata = self._checked_metadata(document)
            self._metadata_at = time.monotonic()
        except BrokerUnavailable:
            if self._metadata is None:
                raise
        return self._metadata

    def _checked_metadata(self, document: Mapping[str, Any]) -> dict[str, Any]:
        needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not all(isinstance(document.get(name), str) for name in (*needed, "userinfo_endpoint")):
            raise BrokerUnavailable("The broker's discovery document is incomplete.")
        issuer = document["issuer"]
        if self.config.issuer is not None:
            if issuer.rstrip("/") != self.config.issuer.rstrip("/"):
                raise BrokerUnavailable("The broker's discovery names another issuer.")
        elif not self.config.discovery.startswith(issuer.rstrip("/")):
            raise BrokerUnavailable("The broker's discovery names another issuer.")
        secure = urlsplit(self.config.discovery).scheme == "https"
        endpoints = [
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "userinfo_endpoint",
            "end_session_endpoint",
        ]
        for name in endpoints:
            value = document.get(name)
            if value is not None and (
                not isinstance(value, str) or (secure and urlsplit(value).scheme != "https")
            ):
                raise BrokerUnavailable(f"The broker's {name} is not usable.")
        return dict(document)

    async def _keys(self, metadata: Mapping[str, Any], *, refresh: bool = False) -> dict[str, Any]:
        stale = time.monotonic() - self._jwks_at > (
            JWKS_REFRESH_SECONDS if refresh else METADATA_SECONDS
        )
        if self._jwks is None or stale:
            document = await self._get_json(str(metadata["jwks_uri"]))
            if not isinstance(document.get("keys"), list):
                raise BrokerUnavailable("The broker's JWKS is not usable.")
            signing = [k for k in document["keys"] if isinstance(k, dict) and k.get("use") != "enc"]
            self._jwks = {"keys": signing}
            self._jwks_at = time.monotonic()
        return self._jwks

    async def _trusted(
        self,
        token: str,
        metadata: Mapping[str, Any],
        *,
        issuer: str,
        algorithms: tuple[str, ...],
        required: tuple[str, ...],
    ) -> TrustedIssuer:
        """The broker's keys for ``token``; a kid not seen yet fetches the JWKS again."""
        jwks = await self._keys(metadata)
        if _kid(token) not in {k.get("kid") for k in jwks["keys"]}:
            jwks = await self._keys(metadata, refresh=True)
        try:
            return TrustedIssuer.from_jwks(
                issuer,
                self.config.client_id,
                jwks,
                algorithms=frozenset(algorithms),
                required_claims=required,
            )
        except Exception as error:  # PyJWT raises several kinds for an unusable key set
            raise BrokerUnavailable("The broker's JWKS is not usable.") from error

    # -- /authorize ------------------------------------------------------------------------

    async def authorization(self, redirect_uri: str) -> Authorization:
        """A fresh state, nonce and PKCE verifier, and the URL that sends the browser off."""
        metadata = await self.metadata()
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(48)
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.config.scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if self.config.login_hint:
            params["login_hint"] = self.config.login_hint
        endpoint = str(metadata["authorization_endpoint"])
        separator = "&" if "?" in endpoint else "?"
        return Authorization(f"{endpoint}{separator}{urlencode(params)}", state, nonce, verifier)

    # -- /token, id_token, /userinfo -------------------------------------------------------

    async def redeem(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str, now: datetime
    ) -> BrokerAnswer:
        """Exchange the code, verify the id_token and the userinfo; InvalidToken if refused."""
        metadata = await self.metadata()
        tokens = await self._exchange(metadata, code, redirect_uri, code_verifier, now)
        access_token, id_token = tokens.get("access_token"), tokens.get("id_token")
        if not isinstance(access_token, str) or not isinstance(id_token, str):
            raise InvalidToken("The broker gave no access token or id_token.")
        if str(tokens.get("token_type", "")).lower() != "bearer":
            raise InvalidToken("The broker's access token is not a bearer token.")
        id_claims = await self._verify_id_token(metadata, id_token, access_token, nonce, now)
        userinfo = await self._userinfo(metadata, access_token, now)
        if "sub" in userinfo and userinfo["sub"] != id_claims.get("sub"):
            raise InvalidToken("The userinfo is about someone else than the id_token.")
        end_session = metadata.get("end_session_endpoint")
        return BrokerAnswer(
            userinfo, id_token, str(metadata["issuer"]), end_session if end_session else None
        )

    async def _exchange(
        self,
        metadata: Mapping[str, Any],
        code: str,
        redirect_uri: str,
        code_verifier: str,
        now: datetime,
    ) -> dict[str, Any]:
        endpoint = str(metadata["token_endpoint"])
        issued = int(now.timestamp())
        assertion = private_key_jwt_sign(
            self._decryption_key,
            client_id=self.config.client_id,
            token_endpoint=endpoint,
            alg="RS256",
            claims={"jti": secrets.token_urlsafe(32)},
            header={"kid": self.credentials.kid},
            issued_at=issued,
            expires_at=issued + ASSERTION_SECONDS,
        )
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": self.config.client_id,
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": assertion,
        }
        try:
            async with httpx.AsyncClient(
                transport=self._transport(), timeout=self.config.timeout_seconds
            ) as client:
                response = await client.post(
                    endpoint, data=form, headers={"Accept": "application/json"}
                )
        except httpx.HTTPError as error:
            raise BrokerUnavailable("The broker's token endpoint did not answer.") from error
        if response.status_code >= 500:
            raise BrokerUnavailable("The broker's token endpoint failed.")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise InvalidToken("The broker's token answer is not readable.")
        if response.status_code != 200 or "error" in answer:
            reason = str(answer.get("error", "refused"))[:64]
            raise InvalidToken(f"The broker refused the code: {reason}")
        return answer

    async def _verify_id_token(
        self,
        metadata: Mapping[str, Any],
        id_token: str,
        access_token: str,
        nonce: str,
        now: datetime,
    ) -> dict[str, Any]:
        trusted = await self._trusted(
            id_token,
            metadata,
            issuer=str(metadata["issuer"]),
            algorithms=self.config.id_token_algorithms,
            required=("iss", "aud", "exp", "iat", "sub"),
        )
        claims = verify(id_token, trusted, now)
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1:
            if claims.get("azp") != self.config.client_id:
                raise InvalidToken("The id_token is meant for several parties, not for us.")
        elif "azp" in claims and claims["azp"] != self.config.client_id:
            raise InvalidToken("The id_token was issued to another client.")
        token_nonce = claims.get("nonce")
        if not isinstance(token_nonce, str) or not _same(token_nonce, nonce):
            raise InvalidToken("The id_token does not belong to this login (nonce).")
        at_hash = claims.get("at_hash")
        if at_hash is None and self.config.require_at_hash:
            raise InvalidToken("The id_token has no at_hash.")
        if at_hash is not None and not _same(
            str(at_hash), token_hash(access_token, _alg(id_token))
        ):
            raise InvalidToken("The id_token does not belong to this access token (at_hash).")
        return claims

    async def _userinfo(
        self, metadata: Mapping[str, Any], access_token: str, now: datetime
    ) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(
                transport=self._transport(), timeout=self.config.timeout_seconds
            ) as client:
                response = await client.get(
                    str(metadata["userinfo_endpoint"]),
                    headers={
                        "Authorization": f"Bearer {access_token}",
                        "Accept": "application/jwt",
                    },
                )
        except httpx.HTTPError as error:
            raise BrokerUnavailable("The broker's userinfo endpoint did not answer.") from error
        if response.status_code >= 500:
            raise BrokerUnavailable("The broker's userinfo endpoint failed.")
        if response.status_code != 200 or len(response.content) > MAX_RESPONSE_BYTES:
            raise InvalidToken("The broker refused the userinfo.")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/jwt":
            raise InvalidToken("The userinfo is not a signed JWT.")
        body = response.text.strip()
        signed = self._decrypt(body) if body.count(".") == 4 else body
        if signed is body and self.config.userinfo_encrypted:
            raise InvalidToken("The userinfo is not encrypted, and encryption is required.")
        trusted = await self._trusted(
            signed,
            metadata,
            issuer=self.config.userinfo_issuer or str(metadata["issuer"]),
            algorithms=self.config.userinfo_algorithms,
            required=("iss", "aud", "exp"),
        )
        claims = verify(signed, trusted, now)
        lifetime = float(claims["exp"]) - now.timestamp()
        if lifetime > self.config.userinfo_lifetime_seconds + trusted.leeway_seconds:
            raise InvalidToken("The userinfo is valid for longer than the broker may say.")
        return claims

    def _decrypt(self, token: str) -> str:
        """The JWS inside the JWE: only RSA-OAEP key wrapping, only known content ciphers."""
        header = _jose_header(token)
        if header.get("alg") not in JWE_ALGORITHMS or header.get("enc") not in JWE_ENCRYPTIONS:
            raise InvalidToken("The userinfo is encrypted with an algorithm that is not accepted.")
        if str(header.get("cty", "")).upper() != "JWT":
            raise InvalidToken("The encrypted userinfo does not hold a JWT.")
        try:
            decrypted = jwe.decrypt_compact(
                token, self._decryption_key, algorithms=[header["alg"], header["enc"]]
            )
        except (JoseError, ValueError) as error:
            raise InvalidToken("The userinfo could not be decrypted with our key.") from error
        plaintext = decrypted.plaintext or b""
        try:
            return plaintext.decode("ascii")
        except UnicodeDecodeError as error:
            raise InvalidToken("The encrypted userinfo does not hold a JWT.") from error

    # -- logout ----------------------------------------------------------------------------

    def end_session_url(
        self, endpoint: str, *, id_token_hint: str | None, post_logout_redirect_uri: str
    ) -> str:
        params = {"client_id": self.config.client_id}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        params["post_logout_redirect_uri"] = post_logout_redirect_uri
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(params)}"

    # -- HTTP ------------------------------------------------------------------------------

    def _transport(self) -> httpx.AsyncBaseTransport:
        verify: ssl.SSLContext | bool = True
        if self.config.ca_bundle:
            verify = ssl.create_default_context(cafile=self.config.ca_bundle)
        network = httpx.AsyncHTTPTransport(verify=verify)
        return self._route(network) if self._route else network

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(
                transport=self._transport(), timeout=self.config.timeout_seconds
            ) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            if len(response.content) > MAX_RESPONSE_BYTES:
                raise ValueError("too large")
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise BrokerUnavailable(f"The broker could not be reached ({url}).") from error
        if not isinstance(document, dict):
            raise BrokerUnavailable(f"The broker's answer at {url} is not a JSON object.")
        return document


def token_hash(value: str, alg: str) -> str:
    """``at_hash``: the left half of the hash of the access token, base64url (OIDC 3.1.3.6)."""
    bits = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}.get(alg[-3:])
    if bits is None:
        raise InvalidToken("The id_token's algorithm has no hash for at_hash.")
    digest = bits(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _jose_header(token: str) -> dict[str, Any]:
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidToken("The token header cannot be read.") from error
    if not isinstance(header, dict):
        raise InvalidToken("The token header cannot be read.")
    return header


def _kid(token: str) -> Any:
    return _jose_header(token).get("kid")


def _alg(token: str) -> str:
    return str(_jose_header(token).get("alg", ""))
