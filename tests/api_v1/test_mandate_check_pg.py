"""The check endpoints on PostgreSQL's async path, through the whole app.

The async path reads on connections of its own pool, so this module commits its world to a
scratch database of its own (the other API tests run inside a rolled-back transaction and
take the session path).
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from api.main import create_app
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import OperatorActor
from machtigen.authz.engine import get_authorizer
from machtigen.clients.models import ApiClient, ClientKind
from machtigen.clients.service import register_client
from machtigen.clock import FrozenClock
from machtigen.config import Settings
from machtigen.context import Ctx, Origin
from machtigen.db import make_engine, scratch_database
from machtigen.mandates.models import MandateAction
from machtigen.migrate import upgrade
from tests import factories
from tests.api_v1.conftest import MachineClient, public_jwks, token_form
from tests.factories import T0

SERVER = os.environ.get("MACHTIGEN_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not SERVER.startswith("postgresql"), reason="the async check path is PostgreSQL's"
)
URL = "/api/v1/mandate-checks"


@dataclass
class World:
    engine: Engine
    url: str
    client: MachineClient
    people: dict[str, Any]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with scratch_database(SERVER, "machtigen_fastapi") as url:
        engine = make_engine(url)
        upgrade(engine)
        clock = FrozenClock(T0)
        with Session(engine, expire_on_commit=False) as session:
            mine = factories.afnemer(session)
            fin = factories.service(session, mine, ServiceCategory.FINANCIAL, code="financial")
            theirs = factories.afnemer(session)
            factories.service(session, theirs, ServiceCategory.FINANCIAL, code="theirs")
            p, r, nobody = (factories.person(session) for _ in range(3))
            factories.mandate(session, p, person=r, scope=[(fin, MandateAction.READ)])
            key = ec.generate_private_key(ec.SECP256R1())
            operator = Ctx(
                session, OperatorActor("op-1", clock.now()), clock, get_authorizer(), Origin()
            )
            register_client(
                operator,
                client_id=mine.oin,
                kind=ClientKind.AFNEMER,
                jwks=public_jwks(key, "k1"),
                afnemer_id=mine.id,
            )
            session.commit()
        client = MachineClient(mine.oin, key, "k1", mine)
        yield World(engine, url, client, {"p": p, "r": r, "nobody": nobody})
        engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def api(world: World, clock: FrozenClock) -> Iterator[TestClient]:
    settings = Settings(
        database_url=world.url, rate_limit_per_client="1000/minute", client_recheck_seconds=10
    )
    with TestClient(create_app(settings, clock=clock), base_url="https://testserver") as client:
        assert client.app.state.fast_checks is not None  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def headers(api: TestClient, world: World, clock: FrozenClock) -> dict[str, str]:
    response = api.post("/api/v1/oauth2/token", data=token_form(world.client.assertion(clock)))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _question(rep: Any, person: Any, code: str = "financial") -> dict[str, Any]:
    return {"representative": {"bsn": rep.bsn}, "personBsn": person.bsn, "serviceCode": code}


def _checked(world: World) -> int:
    with world.engine.connect() as connection:
        return connection.scalar(
            select(func.count()).where(col(AuditEvent.action) == "mandate.checked")
        )


def test_a_check_and_a_batch_are_answered_and_audited(api, world, headers):
    p, r, nobody = world.people["p"], world.people["r"], world.people["nobody"]
    before = _checked(world)
    answer = api.post(URL, json=_question(r, p), headers=headers)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["allowed"], answer.json()["basis"]) == (True, "voluntary_mandate")
    denied = api.post(URL, json=_question(nobody, p), headers=headers).json()
    assert (denied["allowed"], denied["reason"]) == (False, "no_representation")
    batch = api.post(
        f"{URL}/_batch",
        json={"checks": [_question(r, p), _question(nobody, p), _question(p, r)]},
        headers=headers,
    )
    assert batch.status_code == 200, batch.text
    assert [item["allowed"] for item in batch.json()["results"]] == [True, False, False]
    assert _checked(world) == before + 5


def test_another_afnemers_service_is_not_found_and_not_audited(api, world, headers):
    p, r = world.people["p"], world.people["r"]
    before = _checked(world)
    response = api.post(URL, json=_question(r, p, code="theirs"), headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    batch = {"checks": [_question(r, p), _question(r, p, code="theirs")]}
    assert api.post(f"{URL}/_batch", json=batch, headers=headers).status_code == 404
    assert _checked(world) == before


def test_a_deactivated_client_is_refused_within_the_recheck_time(api, world, headers, clock):
    p, r = world.people["p"], world.people["r"]
    assert api.post(URL, json=_question(r, p), headers=headers).status_code == 200
    with world.engine.begin() as connection:
        connection.execute(
            update(ApiClient)
            .where(col(ApiClient.client_id) == world.client.client_id)
            .values(active=False)
        )
    try:
        # Still trusted from the last read, then read again: refused with the same token.
        assert api.post(URL, json=_question(r, p), headers=headers).status_code == 200
        clock.advance(timedelta(seconds=11))
        refused = api.post(URL, json=_question(r, p), headers=headers)
        assert refused.status_code == 401, refused.text
    finally:
        with world.engine.begin() as connection:
            connection.execute(
                update(ApiClient)
                .where(col(ApiClient.client_id) == world.client.client_id)
                .values(active=True)
            )
