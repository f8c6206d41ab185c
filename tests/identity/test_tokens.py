"""RFC 8725: every forged or malformed token is refused with InvalidToken (a 401), never a crash."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from machtigen.identity.tokens import InvalidToken, TrustedIssuer, unverified_issuer, verify
from tests.factories import T0

ISSUER, AUDIENCE = "https://broker.example", "machtigen"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict:
    rsa_jwk = json.loads(RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    ec_jwk = json.loads(ECAlgorithm.to_jwk(EC_KEY.public_key()))
    return {
        "keys": [{**rsa_jwk, "kid": "rsa-1", "use": "sig"}, {**ec_jwk, "kid": "ec-1", "use": "sig"}]
    }


TRUSTED = TrustedIssuer.from_jwks(ISSUER, AUDIENCE, jwks(), expected_typ="JWT")


def claims(**overrides):
    now = int(T0.timestamp())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "s-1", "iat": now, "nbf": now, "exp": now + 300}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload=None, key=RSA_KEY, alg="RS256", **headers):
    headers = {"kid": "rsa-1", "typ": "JWT", **headers}
    return jwt.encode(payload or claims(), key, algorithm=alg, headers=headers)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_good_token_is_accepted():
    assert verify(sign(), TRUSTED, T0)["sub"] == "s-1"
    assert verify(sign(key=EC_KEY, alg="ES256", kid="ec-1"), TRUSTED, T0)["sub"] == "s-1"
    assert unverified_issuer(sign()) == ISSUER


def _hs256_with(secret: bytes, body: str) -> str:
    """The classic key confusion: HMAC keyed with the broker's public key (built by hand;
    PyJWT itself refuses to use a PEM public key as an HMAC secret)."""
    import hashlib
    import hmac

    head = b64({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"})
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def forged_tokens():
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    good = sign()
    _, body, signature = good.split(".")
    now = int(T0.timestamp())
    return {
        "alg none": f"{b64({'alg': 'none', 'kid': 'rsa-1', 'typ': 'JWT'})}.{body}.",
        "HS256 with the public key": _hs256_with(public_pem, body),
        "wrong kid": sign(kid="unknown"),
        "kid with SQL": sign(kid="' OR 1=1 --"),
        "kid with a path": sign(kid="../../etc/passwd"),
        "no kid": jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"typ": "JWT"}),
        "signed by another key": sign(key=OTHER_KEY),
        "EC alg on an RSA kid": sign(key=EC_KEY, alg="ES256", kid="rsa-1"),
        "expired": sign(claims(exp=now - 60, iat=now - 600, nbf=now - 600)),
        "not yet valid": sign(claims(nbf=now + 600, exp=now + 900)),
        "issued in the future": sign(claims(iat=now + 600)),
        "wrong iss": sign(claims(iss="https://evil.example")),
        "wrong aud": sign(claims(aud="someone-else")),
        "missing exp": sign(claims(exp=None)),
        "missing nbf": sign(claims(nbf=None)),
        "missing iat": sign(claims(iat=None)),
        "missing aud": sign(claims(aud=None)),
        "exp not a number": sign(claims(exp="tomorrow")),
        "jku elsewhere": sign(jku="https://evil.example/jwks.json"),
        "x5u elsewhere": sign(x5u="https://evil.example/cert.pem"),
        "embedded jwk": sign(jwk=json.loads(RSAAlgorithm.to_jwk(OTHER_KEY.public_key()))),
        "crit header": sign(crit=["exp"]),
        "wrong typ": sign(typ="at+jwt"),
        "garbage": "not.a.token",
        "two parts": "abc.def",
        "tampered body": f"{good.split('.')[0]}.{b64(claims(sub='someone-else'))}.{signature}",
        "huge": "a" * 20_000 + ".b.c",
    }


@pytest.mark.parametrize("name", list(forged_tokens()))
def test_forged_and_malformed_tokens_are_refused(name):
    token = forged_tokens()[name]
    with pytest.raises(InvalidToken) as refused:
        verify(token, TRUSTED, T0)
    assert refused.value.status_code == 401


def test_leeway_is_small_and_uses_the_injected_clock():
    token = sign()
    assert verify(token, TRUSTED, T0 + timedelta(seconds=300 + 29))
    with pytest.raises(InvalidToken, match="expired"):
        verify(token, TRUSTED, T0 + timedelta(seconds=300 + 30))


def test_hmac_can_never_be_configured():
    with pytest.raises(ValueError):
        TrustedIssuer(issuer=ISSUER, audience=AUDIENCE, keys={}, algorithms=frozenset({"HS256"}))
