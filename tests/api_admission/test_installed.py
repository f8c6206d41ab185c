"""The admission layer as the app installs it: in front of the API, the portal and login;
not in front of health, the OpenAPI document or static files; its refusals carry the API's
headers."""

from fastapi.testclient import TestClient

from api.main import create_app
from machtigen.config import Settings


def test_a_full_worker_refuses_at_once_but_health_and_static_files_pass(engine, database_url):
    settings = Settings(database_url=database_url, max_in_flight=2, admission_reserve=0)
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        shares = app.state.admission
        assert shares.admit("client:somebody-else") is None
        assert shares.admit("client:another") is None

        refused = client.post("/api/v1/oauth2/token", data={"grant_type": "client_credentials"})
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["api-version"] == "1.0.0"
        assert refused.headers["cache-control"] == "no-store"
        assert client.get("/auth/login").status_code == 503

        assert client.get("/health/live").status_code == 200
        assert client.get("/health/ready").status_code == 200
        assert client.get("/health").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert client.get("/assets/portal/portal.css").status_code == 200

        shares.release("client:somebody-else")
        shares.release("client:another")
        answered = client.post("/api/v1/oauth2/token", data={"grant_type": "client_credentials"})
        assert answered.status_code == 422
        assert shares.in_flight == 0


def test_the_default_capacity_is_derived_from_the_pool_size(database_url):
    app = create_app(Settings(database_url=database_url, db_pool_size=7))
    assert app.state.admission.capacity == 6
    app = create_app(Settings(database_url=database_url, db_pool_size=1))
    assert app.state.admission.capacity == 1
    app = create_app(Settings(database_url=database_url, db_pool_size=7, max_in_flight=3))
    assert app.state.admission.capacity == 3
