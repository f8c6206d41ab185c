"""A database that is out of connections, down or cut off: 503 problem+json with Retry-After
on every endpoint, at once, never a 500; and service again without a restart."""

import uuid
from pathlib import Path

import jwt
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.main import create_app
from machtigen.clients.models import ClientKind
from machtigen.clients.service import ASSERTION_TYPE, ClientIdentity, _sign_access_token
from machtigen.clock import FrozenClock
from machtigen.config import Settings
from machtigen.db import make_engine
from machtigen.migrate import upgrade
from tests.factories import T0
from tests.peers import TcpProxy, closed_port

CHECK = {
    "representative": {"bsn": "111222333"},
    "personBsn": "123456782",
    "serviceCode": "financial",
}
DELIVERY = {"bsn": "123456782", "serviceCode": "financial", "subject": "Aanslag", "body": "x"}


def assertion_form() -> dict[str, str]:
    assertion = jwt.encode(
        {"iss": "00000001000000000001", "sub": "00000001000000000001", "jti": uuid.uuid4().hex},
        "not-a-real-key-but-long-enough-for-hs256",
        algorithm="HS256",
    )
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }


def access_token(app) -> dict[str, str]:
    """A genuine access token of this app, for an afnemer the database would know."""
    client = ClientIdentity("00000001000000000001", ClientKind.AFNEMER, uuid.uuid4(), "A")
    token = _sign_access_token(client, app.state.token_config, T0)
    return {"Authorization": f"Bearer {token}"}


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["status"] == 503 and body["title"] == "Service unavailable"


def every_endpoint(client: TestClient, headers: dict[str, str]) -> list:
    return [
        client.post("/api/v1/oauth2/token", data=assertion_form()),
        client.post("/api/v1/mandate-checks", json=CHECK, headers=headers),
        client.post("/api/v1/mandate-checks/_batch", json={"checks": [CHECK]}, headers=headers),
        client.post(
            "/api/v1/representatives/_search", json={"personBsn": "123456782"}, headers=headers
        ),
        client.post(
            "/api/v1/messages",
            json=DELIVERY,
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        ),
        client.get(f"/api/v1/messages/{uuid.uuid4()}/status", headers=headers),
        client.get("/api/v1/events", headers=headers),
    ]


def test_an_exhausted_pool_answers_503_at_once_on_the_api_and_the_portal(engine, database_url):
    settings = Settings(
        database_url=database_url,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_seconds=0.1,
        max_in_flight=10,
    )
    app = create_app(settings, clock=FrozenClock(T0))
    with TestClient(app, base_url="https://testserver") as client:
        held = app.state.engine.connect()
        try:
            for response in every_endpoint(client, access_token(app)):
                assert_unavailable(response)
            client.cookies.set("machtigen_session", "some-session")
            page = client.get("/portal")
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert int(page.headers["retry-after"]) >= 1
            ready = client.get("/health/ready")
            assert ready.status_code == 200, "readiness has its own connection"
            assert client.get("/health").status_code == 200
        finally:
            held.close()
        answered = client.post("/api/v1/oauth2/token", data=assertion_form())
        assert answered.status_code == 401, "the pool is free again"


def test_a_database_that_is_down_gives_503_on_every_api_endpoint():
    url = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/none"
    app = create_app(Settings(database_url=url), clock=FrozenClock(T0))
    with TestClient(app, base_url="https://testserver") as client:
        for response in every_endpoint(client, access_token(app)):
            assert_unavailable(response)
        assert client.get("/health/live").status_code == 200
        assert client.get("/health").status_code == 503


def test_after_an_outage_the_service_recovers_without_a_restart(engine, database_url, tmp_path):
    if database_url.startswith("sqlite"):
        folder = tmp_path / "not-yet"
        url = f"sqlite:///{folder / 'db.sqlite'}"
        proxy = None
    else:
        parsed = make_url(database_url)
        proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
        url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
        proxy.cut()
    app = create_app(Settings(database_url=url), clock=FrozenClock(T0))
    try:
        with TestClient(app, base_url="https://testserver") as client:
            assert_unavailable(client.post("/api/v1/oauth2/token", data=assertion_form()))
            if proxy is None:
                Path(folder).mkdir()
                migrated = make_engine(url)
                upgrade(migrated)
                migrated.dispose()
            else:
                proxy.restore()
            answered = client.post("/api/v1/oauth2/token", data=assertion_form())
            assert answered.status_code == 401, answered.text
            if proxy is not None:
                proxy.cut()
                assert_unavailable(client.post("/api/v1/oauth2/token", data=assertion_form()))
                proxy.restore()
                assert client.post("/api/v1/oauth2/token", data=assertion_form()).status_code == 401
    finally:
        if proxy is not None:
            proxy.close()
