"""private_key_jwt client authentication: every forged assertion or access token is a 401
problem, never a 5xx; a used jti is refused."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from machtigen.clients.models import UsedAssertion
from tests.api_v1.conftest import TOKEN_URL, token_form

STATUS_BODY = {"representative": {"bsn": "111222333"}, "personBsn": "111222333", "serviceCode": "x"}


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hs256(secret: bytes, header: dict, payload: dict) -> str:
    signing_input = f"{b64(header)}.{b64(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def public_pem(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_a_signed_assertion_gets_a_short_lived_access_token(api, make_afnemer, clock, session):
    client = make_afnemer()
    assertion = client.assertion(clock, jti="first-assertion-1")
    response = api.post("/api/v1/oauth2/token", data=token_form(assertion))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "http://127.0.0.1:8000/api/v1"
    assert claims["sub"] == client.client_id
    assert session.get(UsedAssertion, (client.client_id, "first-assertion-1")) is not None


def forged_assertions(client, other_client, clock):
    now = int(clock.now().timestamp())
    good = client.assertion(clock)
    _, body, _ = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    other_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "alg none": f"{b64({'alg': 'none', 'kid': client.kid})}.{body}.",
        "HS256 with the registered public key": hs256(
            public_pem(client.key), {"alg": "HS256", "kid": client.kid}, payload
        ),
        "wrong kid": client.assertion(clock, headers={"kid": "nope"}),
        "signed by another key": client.assertion(clock, key=other_key),
        "signed by another client's key": client.assertion(clock, key=other_client.key),
        "expired": client.assertion(clock, iat=now - 900, nbf=now - 900, exp=now - 600),
        "not valid yet": client.assertion(clock, nbf=now + 600, exp=now + 700),
        "wrong audience": client.assertion(clock, aud="https://elsewhere.example/token"),
        "subject is someone else": client.assertion(clock, sub=other_client.client_id),
        "issuer is another client": client.assertion(clock, iss=other_client.client_id),
        "no jti": client.assertion(clock, jti=None),
        "jti too short": client.assertion(clock, jti="x"),
        "lives an hour": client.assertion(clock, exp=now + 3600),
        "embedded jwk": client.assertion(
            clock,
            headers={"jwk": json.loads(jwt.algorithms.ECAlgorithm.to_jwk(other_key.public_key()))},
        ),
        "unknown client": client.assertion(
            clock, iss="99999999999999999999", sub="99999999999999999999"
        ),
        "garbage": "not.a.jwt",
        "empty": "",
        "tampered payload": f"{good.rsplit('.', 2)[0].split('.')[0]}.{b64({**payload, 'sub': 'x'})}.{good.rsplit('.', 1)[1]}",
    }


def test_forged_client_assertions_are_401_problems(api, make_afnemer, clock):
    client, other = make_afnemer(), make_afnemer()
    for name, assertion in forged_assertions(client, other, clock).items():
        response = api.post("/api/v1/oauth2/token", data=token_form(assertion))
        assert response.status_code in (401, 422), (name, response.status_code, response.text)
        if name != "empty":
            assert response.status_code == 401, name
        assert response.headers["content-type"] == "application/problem+json", name
        assert "access_token" not in response.json(), name


def test_a_replayed_assertion_is_refused(api, make_afnemer, clock):
    client = make_afnemer()
    assertion = client.assertion(clock)
    assert api.post("/api/v1/oauth2/token", data=token_form(assertion)).status_code == 200
    again = api.post("/api/v1/oauth2/token", data=token_form(assertion))
    assert again.status_code == 401
    assert "replay" in again.json()["detail"]


def test_a_jti_is_forgotten_only_after_the_assertion_expired(api, make_afnemer, clock, session):
    from contextlib import contextmanager

    from machtigen.retention import RetentionConfig, purge_expired

    @contextmanager
    def uow():
        with session.begin_nested():
            yield session

    client = make_afnemer()
    assertion = client.assertion(clock, jti="same-jti-123")
    assert api.post("/api/v1/oauth2/token", data=token_form(assertion)).status_code == 200
    clock.advance(timedelta(minutes=1))
    assert purge_expired(uow, clock.now(), RetentionConfig()).assertions == 0
    assert session.get(UsedAssertion, (client.client_id, "same-jti-123")) is not None
    clock.advance(timedelta(minutes=9))
    fresh = client.assertion(clock, jti="another-jti-456")
    assert api.post("/api/v1/oauth2/token", data=token_form(fresh)).status_code == 200
    assert purge_expired(uow, clock.now(), RetentionConfig()).assertions == 1
    session.expire_all()
    assert session.get(UsedAssertion, (client.client_id, "same-jti-123")) is None
    assert session.get(UsedAssertion, (client.client_id, "another-jti-456")) is not None


def test_the_token_endpoint_wants_client_credentials_and_private_key_jwt(api, make_afnemer, clock):
    client = make_afnemer()
    wrong_grant = api.post(
        "/api/v1/oauth2/token", data=token_form(client.assertion(clock), grant_type="password")
    )
    assert wrong_grant.status_code == 400
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    wrong_type = api.post(
        "/api/v1/oauth2/token",
        data=token_form(client.assertion(clock), client_assertion_type="secret"),
    )
    assert wrong_type.status_code == 400
    as_json = api.post("/api/v1/oauth2/token", json=token_form(client.assertion(clock)))
    assert as_json.status_code == 415


def forged_access_tokens(app, client, clock, good: str):
    now = int(clock.now().timestamp())
    config = app.state.token_config
    claims = jwt.decode(good, options={"verify_signature": False})
    other_key = ec.generate_private_key(ec.SECP256R1())

    def ours(key=config.key.private_key, headers=None, **changes):
        payload = {**claims, **changes}
        payload = {k: v for k, v in payload.items() if v is not None}
        head = {"kid": config.key.kid, "typ": "at+jwt", **(headers or {})}
        return jwt.encode(payload, key, algorithm="ES256", headers=head)

    _, body, _ = good.split(".")
    return {
        "alg none": f"{b64({'alg': 'none', 'kid': config.key.kid, 'typ': 'at+jwt'})}.{body}.",
        "HS256 with our public key": hs256(
            public_pem(config.key.private_key),
            {"alg": "HS256", "kid": config.key.kid, "typ": "at+jwt"},
            claims,
        ),
        "wrong kid": ours(headers={"kid": "other"}),
        "signed by another key": ours(key=other_key),
        "signed by the client itself": ours(key=client.key),
        "expired": ours(iat=now - 900, nbf=now - 900, exp=now - 600),
        "wrong audience": ours(aud="http://127.0.0.1:8000/other"),
        "wrong issuer": ours(iss="https://evil.example"),
        "wrong typ": ours(headers={"typ": "JWT"}),
        "the client assertion itself": client.assertion(clock),
        "no client kind": ours(client_kind=None),
        "afnemer kind without afnemer": ours(afnemer_id=None),
        "garbage": "abc",
    }


def test_forged_access_tokens_are_401_problems(api, app, make_afnemer, clock, login):
    client = make_afnemer()
    good = login(client)["Authorization"].removeprefix("Bearer ")
    url = "/api/v1/mandate-checks"
    assert (
        api.post(url, json=STATUS_BODY, headers={"Authorization": f"Bearer {good}"}).status_code
        != 401
    )
    for name, token in forged_access_tokens(app, client, clock, good).items():
        response = api.post(url, json=STATUS_BODY, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (name, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json", name
        assert response.headers["www-authenticate"].startswith("Bearer"), name


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "bearer"])
def test_no_bearer_token_is_401(api, header):
    headers = {"Authorization": header} if header else {}
    response = api.get(
        "/api/v1/messages/00000000-0000-0000-0000-000000000000/status", headers=headers
    )
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_an_access_token_expires_with_the_clock(api, make_afnemer, clock, login):
    client = make_afnemer()
    headers = login(client)
    url = "/api/v1/messages/00000000-0000-0000-0000-000000000000/status"
    assert api.get(url, headers=headers).status_code == 404
    clock.advance(timedelta(minutes=6))
    assert api.get(url, headers=headers).status_code == 401


def test_token_audience_is_the_token_endpoint():
    assert TOKEN_URL.endswith("/api/v1/oauth2/token")


def test_a_replay_at_another_worker_is_refused_too(
    api, app, settings, clock, session, make_afnemer
):
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import sessionmaker

    from api.main import create_app

    client = make_afnemer()
    other_worker = create_app(settings, clock=clock)
    assertion = client.assertion(clock)
    with TestClient(other_worker, base_url="https://testserver") as second:
        other_worker.state.session_factory = sessionmaker(
            bind=session.connection(), join_transaction_mode="create_savepoint"
        )
        assert api.post("/api/v1/oauth2/token", data=token_form(assertion)).status_code == 200
        replay = second.post("/api/v1/oauth2/token", data=token_form(assertion))
    assert replay.status_code == 401
    assert "replay" in replay.json()["detail"]


def test_the_access_token_carries_the_clients_weight_and_admission_knows_it(
    api, app, make_afnemer, clock, operator_ctx, login
):
    from machtigen.clients.service import set_share_weight

    client = make_afnemer()
    set_share_weight(operator_ctx, client_id=client.client_id, weight=4)
    headers = login(client)
    claims = jwt.decode(headers["Authorization"][7:], options={"verify_signature": False})
    assert claims["share_weight"] == 4
    response = api.post("/api/v1/mandate-checks", json=STATUS_BODY, headers=headers)
    assert response.status_code == 404, "authenticated; the service is not this afnemer's"
    known = app.state.verified_tokens.get(headers["Authorization"][7:], clock.now().timestamp())
    assert known is not None
    assert (known.client_id, known.share_weight) == (client.client_id, 4)


def test_a_token_verified_once_stops_being_known_when_it_expires(
    api, app, make_afnemer, clock, login
):
    headers = login(make_afnemer())
    assert api.post("/api/v1/mandate-checks", json=STATUS_BODY, headers=headers).status_code == 404
    token = headers["Authorization"][7:]
    assert app.state.verified_tokens.get(token, clock.now().timestamp()) is not None
    clock.advance(timedelta(minutes=6))
    assert app.state.verified_tokens.get(token, clock.now().timestamp()) is None
    response = api.post("/api/v1/mandate-checks", json=STATUS_BODY, headers=headers)
    assert response.status_code == 401
