"""``POST /api/v1/messages`` on PostgreSQL's async path, through the whole app.

The async path writes on connections of its own pool, so this module commits its world to a
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
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from api.main import create_app
from machtigen.accounts.models import Account
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import OperatorActor
from machtigen.authz.engine import get_authorizer
from machtigen.clients.models import ClientKind
from machtigen.clients.service import register_client
from machtigen.clock import FrozenClock
from machtigen.config import Settings
from machtigen.consents.models import Consent
from machtigen.context import Ctx, Origin
from machtigen.db import make_engine, scratch_database
from machtigen.mandates.models import MandateAction
from machtigen.migrate import upgrade
from machtigen.notifications.models import Notification, RecipientKind
from tests import factories
from tests.api_v1.conftest import MachineClient, public_jwks, token_form
from tests.factories import T0

SERVER = os.environ.get("MACHTIGEN_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not SERVER.startswith("postgresql"), reason="the async delivery path is PostgreSQL's"
)
URL = "/api/v1/messages"


@dataclass
class World:
    engine: Engine
    url: str
    client: MachineClient
    people: dict[str, Any]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with scratch_database(SERVER, "machtigen_deliverapi") as url:
        engine = make_engine(url)
        upgrade(engine)
        clock = FrozenClock(T0)
        with Session(engine, expire_on_commit=False) as session:
            mine = factories.afnemer(session)
            fin = factories.service(session, mine, ServiceCategory.FINANCIAL, code="financial")
            theirs = factories.afnemer(session)
            factories.service(session, theirs, ServiceCategory.FINANCIAL, code="theirs")
            paper, digital, represented, helper = (factories.person(session) for _ in range(4))
            for person in (digital, represented, helper):
                session.get_one(Account, person.id).email = f"{person.given_name}@example.org"
                session.add(
                    Consent(
                        person_id=person.id,
                        afnemer_id=mine.id,
                        opted_in=True,
                        changed_at=T0 - timedelta(days=9),
                        effective_at=T0 - timedelta(days=9),
                    )
                )
            factories.mandate(
                session,
                represented,
                person=helper,
                scope=[(fin, MandateAction.RECEIVE_NOTIFICATIONS)],
            )
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
        people = {"paper": paper, "digital": digital, "represented": represented}
        yield World(engine, url, client, people)
        engine.dispose()


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    settings = Settings(database_url=world.url, rate_limit_per_client="1000/minute")
    app = create_app(settings, clock=FrozenClock(T0))
    with TestClient(app, base_url="https://testserver") as client:
        assert client.app.state.check_pool is not None  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def headers(api: TestClient, world: World) -> dict[str, str]:
    form = token_form(world.client.assertion(FrozenClock(T0)))
    response = api.post("/api/v1/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _body(person: Any, code: str = "financial", subject: str = "Aanslag") -> dict[str, Any]:
    return {"bsn": person.bsn, "serviceCode": code, "subject": subject, "body": "Tekst."}


def _delivered(world: World) -> int:
    with world.engine.connect() as connection:
        return connection.scalar(
            select(func.count()).where(col(AuditEvent.action) == "message.delivered")
        )


def _outbox(world: World, message_id: str) -> list[str]:
    with world.engine.connect() as connection:
        return sorted(
            connection.scalars(
                select(col(Notification.recipient_kind)).where(
                    col(Notification.message_id) == message_id
                )
            )
        )


def test_a_delivery_its_replay_and_a_reused_key(api, world, headers):
    before = _delivered(world)
    send = {**headers, "Idempotency-Key": "k-paper"}
    first = api.post(URL, json=_body(world.people["paper"]), headers=send)
    assert first.status_code == 201, first.text
    assert (first.json()["channel"], first.json()["reason"]) == ("paper", "not_opted_in")
    again = api.post(URL, json=_body(world.people["paper"]), headers=send)
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["messageId"] == first.json()["messageId"]
    other = api.post(URL, json=_body(world.people["paper"], subject="Anders"), headers=send)
    assert other.status_code == 409
    assert other.headers["content-type"].startswith("application/problem+json")
    digital = api.post(
        URL, json=_body(world.people["digital"]), headers={**headers, "Idempotency-Key": "k-d"}
    )
    assert digital.status_code == 201, digital.text
    assert (digital.json()["channel"], digital.json()["reason"]) == ("digital", "opted_in")
    assert _outbox(world, digital.json()["messageId"]) == [RecipientKind.OWNER]
    assert _delivered(world) == before + 2


def test_a_represented_persons_mailbox_post_tells_the_representative_too(api, world, headers):
    """Left to the ORM path (the policy follows the mandate's scopes): the same answer."""
    response = api.post(
        URL, json=_body(world.people["represented"]), headers={**headers, "Idempotency-Key": "r"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["channel"] == "digital"
    assert _outbox(world, response.json()["messageId"]) == [RecipientKind.OWNER, "person"]


def test_unknown_service_and_person_are_refused_and_nothing_is_written(api, world, headers):
    before = _delivered(world)
    send = {**headers, "Idempotency-Key": "k-no"}
    assert (
        api.post(URL, json=_body(world.people["paper"], "theirs"), headers=send).status_code == 404
    )
    stranger = factories.make_bsn(777_777)
    unknown = api.post(URL, json={**_body(world.people["paper"]), "bsn": stranger}, headers=send)
    assert unknown.status_code == 422, unknown.text
    assert _delivered(world) == before
