"""The relying party against a broker that misbehaves on purpose (each refusal the NL GOV
profile asks for), spoken to over HTTP through httpx's mock transport."""

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwe
from joserfc.jwk import RSAKey
from jwt.algorithms import RSAAlgorithm

from machtigen.identity.brokers import BrokerConfig
from machtigen.identity.client_keys import ClientCredentials, self_signed_certificate
from machtigen.identity.oidc import BrokerUnavailable, RelyingParty
from machtigen.identity.tokens import InvalidToken
from tests.factories import T0

ISSUER = "https://broker.test"
CLIENT_ID = "machtigen-rp"
REDIRECT = "https://machtigen.test/auth/digid/callback"
KID = "q+Z/9vXk3Hc=base64+kid/with=="


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


BROKER_KEY = _key()
CLIENT_KEY = _key()
OTHER_KEY = _key()
CLIENT = ClientCredentials(CLIENT_KEY, self_signed_certificate(CLIENT_KEY, CLIENT_ID))


class FakeBroker:
    """Speaks the profile correctly unless a test turns a knob."""

    def __init__(self):
        self.id_claims: dict = {}
        self.id_header: dict = {}
        self.userinfo_claims: dict = {}
        self.userinfo = "jwe"
        self.id_alg = "RS256"
        self.userinfo_alg = "RS256"
        self.token_requests: list[dict] = []
        self.access_token = "at-" + "x" * 40

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.metadata())
        if path == "/jwks":
            public = json.loads(RSAAlgorithm.to_jwk(BROKER_KEY.public_key()))
            return httpx.Response(200, json={"keys": [{**public, "kid": KID}]})
        if path == "/token":
            self.token_requests.append(parse_qs(request.content.decode()))
            return httpx.Response(
                200,
                json={
                    "access_token": self.access_token,
                    "token_type": "Bearer",
                    "id_token": self.id_token(),
                },
            )
        if path == "/userinfo":
            assert request.headers["authorization"] == f"Bearer {self.access_token}"
            return httpx.Response(
                200, content=self.userinfo_body(), headers={"content-type": "application/jwt"}
            )
        return httpx.Response(404)

    def metadata(self):
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "userinfo_endpoint": f"{ISSUER}/userinfo",
            "jwks_uri": f"{ISSUER}/jwks",
        }

    def sign(self, claims, alg, header=None):
        key = b"a-shared-secret-of-32-bytes-long" if alg.startswith("HS") else BROKER_KEY
        if alg == "none":
            key = None
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": KID, **(header or {})})

    def id_token(self):
        now = int(T0.timestamp())
        digest = hashlib.sha256(self.access_token.encode()).digest()[:16]
        claims = {
            "iss": ISSUER,
            "sub": "same-for-everybody",
            "aud": [CLIENT_ID],
            "iat": now,
            "exp": now + 300,
            "nonce": "the-nonce",
            "at_hash": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
        }
        claims.update(self.id_claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        return self.sign(claims, self.id_alg, self.id_header)

    def userinfo_body(self):
        now = int(T0.timestamp())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "same-for-everybody",
            "nbf": now - 10,
            "exp": now + 60,
            "bsn": "999993653",
            "loa_authn": "http://eidas.europa.eu/LoA/substantial",
        }
        claims.update(self.userinfo_claims)
        signed = self.sign(claims, self.userinfo_alg)
        header = {"alg": "RSA-OAEP", "enc": "A128CBC-HS256", "cty": "JWT", "typ": "JWT"}
        if self.userinfo == "jws":
            return signed
        if self.userinfo == "dir":
            secret = {"kty": "oct", "k": base64.urlsafe_b64encode(b"k" * 32).decode().rstrip("=")}
            return jwe.encrypt_compact(
                {"alg": "dir", "enc": "A128CBC-HS256", "cty": "JWT"},
                signed,
                _oct(secret),
                algorithms=["dir", "A128CBC-HS256"],
            )
        recipient = OTHER_KEY if self.userinfo == "wrong_key" else CLIENT_KEY
        return jwe.encrypt_compact(
            header,
            signed,
            RSAKey.import_key(recipient.public_key()),
            algorithms=["RSA-OAEP", "A128CBC-HS256"],
        )


def _oct(secret):
    from joserfc.jwk import OctKey

    return OctKey.import_key(secret)


@pytest.fixture
def broker():
    return FakeBroker()


def party(broker, **options):
    config = BrokerConfig(
        means="digid",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_key_file="unused",
        client_certificate_file="unused",
        login_hint="digid",
        **options,
    )
    return RelyingParty(config, CLIENT, route=lambda _network: httpx.MockTransport(broker.handle))


async def redeem(rp, nonce="the-nonce", now=T0):
    return await rp.redeem(
        code="the-code", redirect_uri=REDIRECT, code_verifier="v" * 64, nonce=nonce, now=now
    )


async def test_the_whole_exchange_as_the_profile_asks(broker):
    rp = party(broker)
    authorization = await rp.authorization(REDIRECT)
    query = parse_qs(urlsplit(authorization.url).query)
    assert {k: v[0] for k, v in query.items() if k not in ("state", "nonce", "code_challenge")} == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "code_challenge_method": "S256",
        "login_hint": "digid",
    }
    challenge = hashlib.sha256(authorization.code_verifier.encode()).digest()
    assert query["code_challenge"][0] == base64.urlsafe_b64encode(challenge).rstrip(b"=").decode()
    assert len(authorization.state) >= 32 and len(authorization.nonce) >= 32

    answer = await redeem(rp)
    assert answer.claims["bsn"] == "999993653"
    form = {k: v[0] for k, v in broker.token_requests[0].items()}
    assert form["grant_type"] == "authorization_code"
    assert (form["code"], form["redirect_uri"], form["client_id"]) == (
        "the-code",
        REDIRECT,
        CLIENT_ID,
    )
    assert form["code_verifier"] == "v" * 64
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assertion = form["client_assertion"]
    assert jwt.get_unverified_header(assertion)["alg"] == "RS256"
    claims = jwt.decode(
        assertion,
        CLIENT_KEY.public_key(),
        algorithms=["RS256"],
        audience=f"{ISSUER}/token",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["exp"] > T0.timestamp() and len(claims["jti"]) >= 16


async def test_an_audience_list_with_our_client_and_azp_is_accepted(broker):
    broker.id_claims = {"aud": [CLIENT_ID, "someone-else"], "azp": CLIENT_ID}
    assert (await redeem(party(broker))).claims["bsn"] == "999993653"


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("nonce", None),
        ("nonce", "another-nonce"),
        ("iss", "https://evil.test"),
        ("aud", "another-client"),
        ("aud", ["another-client", "yet-another"]),
        ("aud", [CLIENT_ID, "someone-else"]),  # several audiences and no azp
        ("exp", int(T0.timestamp()) - 120),
        ("at_hash", "AAAAAAAAAAAAAAAAAAAAAA"),
        ("at_hash", None),
    ],
)
async def test_id_token_refusals(broker, knob, value):
    broker.id_claims = {knob: value}
    with pytest.raises(InvalidToken):
        await redeem(party(broker))


@pytest.mark.parametrize("alg", ["none", "HS256"])
async def test_alg_none_or_hmac_is_refused_in_the_id_token(broker, alg):
    broker.id_alg = alg
    with pytest.raises(InvalidToken):
        await redeem(party(broker))


@pytest.mark.parametrize("alg", ["none", "HS256"])
async def test_alg_none_or_hmac_is_refused_in_the_userinfo(broker, alg):
    broker.userinfo_alg = alg
    with pytest.raises(InvalidToken):
        await redeem(party(broker))


async def test_a_key_named_in_the_token_header_is_never_used(broker):
    public = json.loads(RSAAlgorithm.to_jwk(OTHER_KEY.public_key()))
    broker.id_header = {"jwk": public}
    with pytest.raises(InvalidToken):
        await redeem(party(broker))


@pytest.mark.parametrize("mode", ["jws", "wrong_key", "dir"])
async def test_an_unencrypted_or_wrongly_encrypted_userinfo_is_refused(broker, mode):
    broker.userinfo = mode
    with pytest.raises(InvalidToken):
        await redeem(party(broker))


async def test_a_signed_userinfo_is_accepted_only_where_encryption_is_switched_off(broker):
    broker.userinfo = "jws"
    answer = await redeem(party(broker, userinfo_encrypted=False))
    assert answer.claims["bsn"] == "999993653"


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "another-client"},
        {"iss": "https://evil.test"},
        {"exp": int(T0.timestamp()) - 60},
        {"exp": int(T0.timestamp()) + 3600},  # longer than the 60 s the profile allows
        {"sub": "someone-else"},
    ],
)
async def test_userinfo_refusals(broker, claims):
    broker.userinfo_claims = claims
    with pytest.raises(InvalidToken):
        await redeem(party(broker))


async def test_a_broker_that_cannot_be_reached_is_unavailable_not_an_error():
    def down(request):
        raise httpx.ConnectError("refused", request=request)

    config = BrokerConfig(
        means="digid",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_key_file="unused",
        client_certificate_file="unused",
    )
    rp = RelyingParty(config, CLIENT, route=lambda _n: httpx.MockTransport(down))
    with pytest.raises(BrokerUnavailable):
        await rp.authorization(REDIRECT)


async def test_discovery_naming_another_issuer_is_refused(broker):
    original = broker.metadata
    broker.metadata = lambda: {**original(), "issuer": "https://evil.test"}
    with pytest.raises(BrokerUnavailable):
        await party(broker).authorization(REDIRECT)
