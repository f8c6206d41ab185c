"""The afnemer API against the test database, inside the test's rolled-back transaction.

The app's sessions join the test's connection (a savepoint per request), so whatever a
request commits is rolled back with the test, and the test session sees it meanwhile.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm
from sqlalchemy.orm import Session, sessionmaker

from api.main import create_app
from machtigen.afnemers.models import Afnemer, Service, ServiceCategory
from machtigen.clients.models import ClientKind
from machtigen.clients.service import ASSERTION_TYPE, register_client
from machtigen.clock import FrozenClock
from machtigen.config import Settings
from tests import factories

TOKEN_URL = "http://127.0.0.1:8000/api/v1/oauth2/token"


@dataclass
class MachineClient:
    client_id: str
    key: ec.EllipticCurvePrivateKey
    kid: str
    afnemer: Afnemer | None = None
    services: dict[str, Service] | None = None

    def assertion(self, clock: FrozenClock, *, headers=None, key=None, alg="ES256", **claims):
        now = int(clock.now().timestamp())
        payload = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": TOKEN_URL,
            "iat": now,
            "nbf": now,
            "exp": now + 120,
            "jti": uuid.uuid4().hex,
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(
            payload, key or self.key, algorithm=alg, headers={"kid": self.kid, **(headers or {})}
        )


def public_jwks(key: ec.EllipticCurvePrivateKey, kid: str) -> dict:
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "use": "sig"}]}


def token_form(assertion: str, **overrides) -> dict:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    form.update(overrides)
    return form


@pytest.fixture
def settings(database_url) -> Settings:
    # The async check path reads on connections of its own, which cannot see this test's
    # uncommitted rows: these tests take the session path (test_mandate_check_pg: the other).
    return Settings(
        database_url=database_url, rate_limit_per_client="1000/minute", async_checks=False
    )


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> FastAPI:
    return create_app(settings, clock=clock)


@pytest.fixture
def api(app: FastAPI, session: Session, engine) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as client:
        app.state.session_factory = sessionmaker(
            bind=session.connection(),
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        )
        yield client


@pytest.fixture
def make_afnemer(session: Session, operator_ctx):
    def make(*, legally_required=False, read_state_legal_basis=False, categories=None):
        afnemer = factories.afnemer(
            session,
            legally_required=legally_required,
            read_state_legal_basis=read_state_legal_basis,
        )
        services = {
            str(category): factories.service(session, afnemer, category, code=str(category))
            for category in (
                categories or [ServiceCategory.FINANCIAL, ServiceCategory.PERSONAL_CARE]
            )
        }
        key = ec.generate_private_key(ec.SECP256R1())
        kid = f"k-{afnemer.oin[-6:]}"
        register_client(
            operator_ctx,
            client_id=afnemer.oin,
            kind=ClientKind.AFNEMER,
            jwks=public_jwks(key, kid),
            afnemer_id=afnemer.id,
        )
        return MachineClient(afnemer.oin, key, kid, afnemer, services)

    return make


@pytest.fixture
def make_register(operator_ctx):
    def make(client_id="ccbr-test"):
        key = ec.generate_private_key(ec.SECP256R1())
        register_client(
            operator_ctx, client_id=client_id, kind=ClientKind.REGISTER, jwks=public_jwks(key, "r1")
        )
        return MachineClient(client_id, key, "r1")

    return make


@pytest.fixture
def login(api: TestClient, clock: FrozenClock):
    """An access token for a machine client, as the Authorization header."""

    def get(client: MachineClient) -> dict[str, str]:
        response = api.post("/api/v1/oauth2/token", data=token_form(client.assertion(clock)))
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return get


def later(clock: FrozenClock, **delta) -> None:
    clock.advance(timedelta(**delta))
