"""The last line of defence: a value the input rules refuse that still reaches the driver is
the client's (400, problem+json or a page), never a 500; a driver refusal of a value that
passes the rules is our fault and stays a 500."""

import math

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, select, text

from machtigen.identity.models import Person


@pytest.fixture
def probe(app, api):
    """Routes that forget to check their input, as a new endpoint might."""

    def unchecked_lookup(request: Request, bsn: str = "", number: str = "0") -> dict:
        with request.app.state.session_factory() as db:
            db.execute(select(Person.id).where(Person.bsn == bsn)).all()
            db.execute(select(text("1")).where(bindparam("n", int(number)) > 0)).all()
        return {"ok": True}

    def server_fault(request: Request) -> dict:
        with request.app.state.session_factory() as db:
            if db.get_bind().dialect.name == "postgresql":
                db.execute(text("SELECT CAST(:v AS integer)"), {"v": "not a number"})
            else:
                math.exp(10_000)
        return {"ok": True}

    for prefix in ("/probe", "/portal/probe"):
        app.add_api_route(f"{prefix}/unchecked", unchecked_lookup)
        app.add_api_route(f"{prefix}/fault", server_fault)
    return TestClient(app, raise_server_exceptions=False)


def test_a_value_that_slipped_past_the_checks_is_a_400_problem(probe, engine):
    too_big = probe.get("/probe/unchecked", params={"number": str(2**64)})
    assert too_big.status_code == 400, too_big.text
    assert too_big.headers["content-type"] == "application/problem+json"
    if engine.dialect.name == "postgresql":
        nul = probe.get("/probe/unchecked", params={"bsn": "12345\x006789"})
        assert nul.status_code == 400, nul.text
    assert probe.get("/probe/unchecked", params={"bsn": "123456789"}).status_code == 200


def test_in_the_portal_it_is_a_readable_page(probe):
    page = probe.get("/portal/probe/unchecked", params={"number": str(2**64)})
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert "Er is niets veranderd" in page.text


def test_a_refusal_of_our_own_values_stays_a_500(probe):
    for path in ("/probe/fault", "/portal/probe/fault"):
        assert probe.get(path).status_code == 500
