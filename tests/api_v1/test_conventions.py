"""NL GOV API Design Rules: version header, security headers, problem+json, 405/406/413/415,
camelCase, the OpenAPI document without authentication, and the rate limit per afnemer."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from machtigen.config import Settings
from tests import factories

LINTER_RULES = Path(__file__).resolve().parents[3] / "shared" / "adr" / "linter.yaml"


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["type"] == "about:blank"


def assert_api_headers(response):
    assert response.headers["api-version"] == "1.0.0"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_the_openapi_document_needs_no_authentication(api):
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert_api_headers(response)
    document = response.json()
    assert document["info"]["version"] == "1.0.0"
    assert any(server["url"].endswith("/api/v1") for server in document["servers"])
    paths = set(document["paths"])
    assert paths == {
        "/oauth2/token",
        "/messages",
        "/messages/{messageId}/status",
        "/events",
        "/mandate-checks",
        "/mandate-checks/_batch",
        "/representatives/_search",
        "/court-measures/_batch",
    }
    for schema in document["components"]["schemas"].values():
        for name in schema.get("properties", {}):
            if schema.get("title") not in ("TokenForm", "TokenAnswer"):
                assert "_" not in name, (schema.get("title"), name)


def test_every_answer_carries_the_headers_and_errors_are_problems(api, make_afnemer, login):
    assert_api_headers(api.get("/api/v1/openapi.json"))
    unknown = api.get("/api/v1/nothing-here")
    assert_problem(unknown, 404)
    assert_api_headers(unknown)
    unauthorized = api.post("/api/v1/mandate-checks", json={})
    assert_problem(unauthorized, 401)
    assert_api_headers(unauthorized)
    health = api.get("/health")
    assert health.headers["x-content-type-options"] == "nosniff"


def test_405_with_allow(api):
    response = api.delete("/api/v1/mandate-checks")
    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]
    assert_api_headers(response)


def test_406_when_no_json_is_acceptable(api):
    assert_problem(api.get("/api/v1/openapi.json", headers={"Accept": "text/html"}), 406)
    assert_problem(
        api.get("/api/v1/openapi.json", headers={"Accept": "application/json;q=0, text/xml"}), 406
    )
    ok = api.get("/api/v1/openapi.json", headers={"Accept": "text/html, application/json;q=0.5"})
    assert ok.status_code == 200


def test_415_for_a_body_that_is_not_json(api, make_afnemer, login):
    headers = login(make_afnemer())
    response = api.post(
        "/api/v1/mandate-checks",
        content="representative=x",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(response, 415)
    no_type = api.post("/api/v1/mandate-checks", content=b"{}", headers=headers)
    assert_problem(no_type, 415)


def test_413_for_a_body_over_the_limit(api, make_afnemer, login):
    headers = login(make_afnemer())
    big = json.dumps({"checks": [], "padding": "x" * 300_000})
    response = api.post(
        "/api/v1/mandate-checks/_batch",
        content=big,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_problem(response, 413)

    def chunks():
        for _ in range(40):
            yield b" " * 10_000

    streamed = api.post(
        "/api/v1/mandate-checks/_batch",
        content=chunks(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_problem(streamed, 413)


def test_422_lists_the_invalid_params_in_camel_case(api, make_afnemer, login):
    headers = login(make_afnemer())
    response = api.post(
        "/api/v1/mandate-checks",
        json={"representative": {"bsn": "1"}, "personBsn": "x", "serviceCode": "f"},
        headers=headers,
    )
    assert_problem(response, 422)
    names = {param["name"] for param in response.json()["invalidParams"]}
    assert any("personBsn" in name for name in names)


def test_an_unexpected_error_is_a_500_problem_without_details(api, make_afnemer, login, app):
    headers = login(make_afnemer())

    class Broken:
        def check_client(self, client_id):
            raise RuntimeError("boom: secret internals")

    app.state.rate_limiter = Broken()
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(
            "/api/v1/messages/00000000-0000-0000-0000-000000000000/status", headers=headers
        )
    assert_problem(response, 500)
    assert "boom" not in response.text


def test_the_rate_limit_is_per_afnemer(database_url, engine, clock, session, operator_ctx):
    from sqlalchemy.orm import sessionmaker

    from tests.api_v1.conftest import public_jwks, token_form  # noqa: F401

    app = create_app(
        Settings(database_url=database_url, rate_limit_per_client="3/minute"), clock=clock
    )
    with TestClient(app, base_url="https://testserver") as api:
        app.state.session_factory = sessionmaker(
            bind=session.connection(), join_transaction_mode="create_savepoint"
        )
        from tests.api_v1.conftest import MachineClient  # noqa: F401

        clients = [_client(session, operator_ctx) for _ in range(2)]
        tokens = []
        for client in clients:
            response = api.post("/api/v1/oauth2/token", data=token_form(client.assertion(clock)))
            tokens.append({"Authorization": f"Bearer {response.json()['access_token']}"})
        url = "/api/v1/messages/00000000-0000-0000-0000-000000000000/status"
        flood = [api.get(url, headers=tokens[0]).status_code for _ in range(5)]
        assert flood == [404, 404, 404, 429, 429]
        limited = api.get(url, headers=tokens[0])
        assert_problem(limited, 429)
        # the minute's window, and up to a second of jitter so that refused clients spread out
        assert 1 <= int(limited.headers["retry-after"]) <= 60 + 1
        assert api.get(url, headers=tokens[1]).status_code == 404


def _client(session, operator_ctx):
    from cryptography.hazmat.primitives.asymmetric import ec

    from machtigen.clients.models import ClientKind
    from machtigen.clients.service import register_client
    from tests.api_v1.conftest import MachineClient, public_jwks

    afnemer = factories.afnemer(session)
    key = ec.generate_private_key(ec.SECP256R1())
    register_client(
        operator_ctx,
        client_id=afnemer.oin,
        kind=ClientKind.AFNEMER,
        jwks=public_jwks(key, "k"),
        afnemer_id=afnemer.id,
    )
    return MachineClient(afnemer.oin, key, "k", afnemer)


def test_the_served_openapi_passes_the_api_design_rules_linter(api, tmp_path):
    if shutil.which("npx") is None:
        pytest.skip("npx (Node.js) is not installed: cannot run the Spectral linter")
    if not LINTER_RULES.exists():
        pytest.skip(f"the API Design Rules ruleset is not at {LINTER_RULES}")
    document = tmp_path / "openapi.json"
    document.write_text(api.get("/api/v1/openapi.json").text)
    result = subprocess.run(
        [
            "npx",
            "--yes",
            "@stoplight/spectral-cli@6",
            "lint",
            "--fail-severity",
            "error",
            "-r",
            str(LINTER_RULES),
            str(document),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout or "No results" in result.stdout, result.stdout
