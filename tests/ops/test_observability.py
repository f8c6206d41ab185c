"""Structured logs with request ids, no BSN in any line, metrics off the public app."""

import io
import json
import logging
import uuid

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from api.main import create_app
from machtigen import logs
from machtigen.config import Settings
from machtigen.metrics import DatabaseCollector, database_state, record_rejection
from tests.conftest import leaks_in

BSN = "999993653"  # passes the elfproef


@pytest.fixture
def captured():
    """The production formatter on a buffer: what the service writes to stderr."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def client(database_url, engine, clock):
    app = create_app(Settings(database_url=database_url), clock=clock)

    @app.get("/boom-for-test")
    def boom() -> None:
        raise RuntimeError(f"row (…, {BSN}, …) violates something")

    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


def test_redaction_finds_bsns_in_any_field_and_keeps_other_numbers():
    assert logs.redact_text(f"bsn={BSN}, oin 00000001001234567000") == (
        "bsn=[bsn], oin 00000001001234567000"
    )
    assert logs.redact_text("123456789") == "123456789"  # fails the elfproef
    event = logs.redact_bsn(None, "info", {"a": [int(BSN)], "b": {"c": f"x{BSN}y"}})
    assert event == {"a": ["[bsn]"], "b": {"c": "x[bsn]y"}}


def test_the_scanner_of_the_whole_run_can_fail():
    assert leaks_in(json.dumps({"event": f"person {BSN}"}))
    assert not leaks_in(json.dumps({"event": "ok", "request_id": "999993653" + "0" * 23}))


def test_every_line_of_a_request_is_json_with_the_request_id_echoed_in_the_header(client, captured):
    response = client.get("/health")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    records = lines(captured)
    access = [r for r in records if r.get("event") == "request"]
    assert access and access[-1]["request_id"] == request_id
    assert access[-1]["route"] == "/health" and access[-1]["status"] == 200
    assert {"timestamp", "level", "logger"} <= set(access[-1])


def test_a_valid_incoming_request_id_is_kept_and_a_bad_one_replaced(client):
    given = uuid.uuid4()
    assert (
        client.get("/health", headers={"X-Request-ID": str(given)}).headers["X-Request-ID"]
        == given.hex
    )
    replaced = client.get("/health", headers={"X-Request-ID": f"{BSN}\nforged"})
    assert BSN not in replaced.headers["X-Request-ID"]


def test_problem_json_carries_the_request_id(client):
    response = client.get("/api/v1/messages/not-a-uuid/status")
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["requestId"] == response.headers["X-Request-ID"]


def test_an_unexpected_error_is_logged_with_its_request_id_and_without_the_bsn(client, captured):
    response = client.get("/boom-for-test", headers={"Accept": "application/json"})
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert response.json()["requestId"] == request_id
    errors = [r for r in lines(captured) if r.get("event") == "unexpected error"]
    assert errors and errors[-1]["request_id"] == request_id
    assert "RuntimeError" in errors[-1]["exception"]
    assert BSN not in captured.getvalue() and "[bsn]" in captured.getvalue()


def test_jobs_lines_carry_a_run_id_and_the_job(engine, clock, authz, captured):
    from machtigen.db import session_factory, transaction
    from machtigen.jobs import Jobs

    factory = session_factory(engine)
    Jobs(uow=lambda: transaction(factory), clock=clock, authz=authz).run(("expire_mandates",))
    finished = [r for r in lines(captured) if r.get("event") == "job finished"]
    assert finished[-1]["job"] == "expire_mandates" and len(finished[-1]["request_id"]) == 32


def _sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_request_metrics_by_route_template_status_and_client(client):
    message_id = uuid.uuid4()
    route = "/api/v1/messages/{messageId}/status"
    labels = {"route": route, "method": "GET", "status": "401", "client": "-"}
    before = _sample("machtigen_http_requests_total", **labels) or 0
    client.get(f"/api/v1/messages/{message_id}/status")
    assert _sample("machtigen_http_requests_total", **labels) == before + 1
    count = _sample("machtigen_http_request_duration_seconds_count", route=route, method="GET")
    assert count and count >= 1
    assert client.get("/metrics").status_code == 404  # never on the public app


def test_limiter_rejections_are_counted_per_reason_and_client():
    before = _sample("machtigen_limiter_rejections_total", reason="test", client="c-1") or 0
    record_rejection("test", "c-1")
    assert _sample("machtigen_limiter_rejections_total", reason="test", client="c-1") == before + 1


def test_pool_gauges_follow_checkouts(client):
    engine = client.app.state.engine
    before = _sample("machtigen_db_pool_connections_in_use") or 0
    with engine.connect():
        assert _sample("machtigen_db_pool_connections_in_use") == before + 1
    assert _sample("machtigen_db_pool_connections_in_use") == before
    assert (_sample("machtigen_db_pool_checkout_seconds_count") or 0) >= 1


def test_the_database_gauges_count_the_outbox_letters_and_unsealed_events(
    engine, session, clock, operator_ctx
):
    from machtigen.audit.service import record

    record(operator_ctx, "test.event", subject_person_id=None)
    session.commit()
    state = database_state(session.connection())
    assert state["machtigen_audit_unsealed_events"] >= 1
    assert state["machtigen_audit_seal_lag_seconds"] >= 0
    assert state["machtigen_notifications_outbox"] >= 0
    assert state["machtigen_letters_waiting"] >= 0
    down = DatabaseCollector("sqlite:////nonexistent/dir/x.db", ttl=0)
    names = {family.name: family.samples[0].value for family in down.collect()}
    assert names == {"machtigen_metrics_database_up": 0.0}


def test_tracing_is_off_without_otel_variables_and_traces_requests_when_asked(
    database_url, monkeypatch, captured
):
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from api.tracing import install_tracing, wanted

    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert wanted() is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert wanted() == "otlp"
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert wanted() is None

    app = create_app(Settings(database_url=database_url))
    spans = InMemorySpanExporter()
    assert install_tracing(app, exporter=spans)
    with TestClient(app) as client:
        client.get("/health")
    names = [span.name for span in spans.get_finished_spans()]
    assert any("/health" in name for name in names), names
    access = [r for r in lines(captured) if r.get("event") == "request"]
    assert len(access[-1]["trace_id"]) == 32
