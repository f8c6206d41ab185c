"""The audit records the client's address from the trusted proxy chain only."""

from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from sqlmodel import col

from api.main import create_app
from machtigen.audit.models import AuditEvent
from machtigen.config import Settings
from tests.api_v1.conftest import token_form

LOAD_BALANCER = "10.1.2.3"


@pytest.fixture
def through(database_url, clock, session):
    @contextmanager
    def client_from(peer: str):
        settings = Settings(
            database_url=database_url,
            trusted_proxies=f"10.1.0.0/16,{LOAD_BALANCER}",
            rate_limit_per_client="1000/minute",
        )
        app = create_app(settings, clock=clock)
        with TestClient(app, base_url="https://testserver", client=(peer, 40000)) as client:
            app.state.session_factory = sessionmaker(
                bind=session.connection(),
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            )
            yield client

    return client_from


def last_token_event_ip(session) -> str | None:
    return session.scalars(
        select(col(AuditEvent.ip))
        .where(col(AuditEvent.action) == "client.token_issued")
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).one()


def test_trusted_proxies_setting_reads_a_comma_separated_list():
    assert Settings(trusted_proxies="10.0.0.0/8, 192.0.2.7").trusted_proxies == [
        "10.0.0.0/8",
        "192.0.2.7",
    ]


def test_through_a_trusted_proxy_the_audit_records_the_citizens_address(
    through, make_afnemer, clock, session
):
    afnemer = make_afnemer()
    with through(LOAD_BALANCER) as client:
        response = client.post(
            "/api/v1/oauth2/token",
            data=token_form(afnemer.assertion(clock)),
            headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        )
    assert response.status_code == 200
    assert last_token_event_ip(session) == "203.0.113.7"


def test_a_spoofed_header_in_front_of_the_chain_is_not_believed(
    through, make_afnemer, clock, session
):
    afnemer = make_afnemer()
    with through(LOAD_BALANCER) as client:
        client.post(
            "/api/v1/oauth2/token",
            data=token_form(afnemer.assertion(clock)),
            # the client wrote the first entry itself; our balancers appended the rest
            headers={"X-Forwarded-For": "198.51.100.66, 203.0.113.7, 10.1.9.9"},
        )
    assert last_token_event_ip(session) == "203.0.113.7"


def test_a_spoofed_x_forwarded_for_from_an_untrusted_peer_is_ignored(
    through, make_afnemer, clock, session
):
    afnemer = make_afnemer()
    with through("198.51.100.9") as client:
        response = client.post(
            "/api/v1/oauth2/token",
            data=token_form(afnemer.assertion(clock)),
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    assert response.status_code == 200
    assert last_token_event_ip(session) == "198.51.100.9"


def test_without_trusted_proxies_no_forwarded_header_is_believed(
    database_url, clock, make_afnemer, session
):
    app = create_app(Settings(database_url=database_url), clock=clock)
    afnemer = make_afnemer()
    with TestClient(app, base_url="https://testserver", client=("127.0.0.1", 1)) as client:
        app.state.session_factory = sessionmaker(
            bind=session.connection(), join_transaction_mode="create_savepoint"
        )
        client.post(
            "/api/v1/oauth2/token",
            data=token_form(afnemer.assertion(clock)),
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    assert last_token_event_ip(session) == "127.0.0.1"
