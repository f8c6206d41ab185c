"""Issue 12 §7: interop and conventions (RFC 7523 nbf, camelCase problems, 405 before 415,
an OpenAPI document that states what the code enforces)."""

import pytest

from tests import factories
from tests.api_v1.conftest import token_form
from tests.api_v1.test_conventions import assert_problem


def test_a_client_assertion_without_nbf_is_accepted(api, make_afnemer, clock):
    client = make_afnemer()
    response = api.post("/api/v1/oauth2/token", data=token_form(client.assertion(clock, nbf=None)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("claims", "reason"),
    [({"exp": None}, "missing claim exp"), ({"exp": 3600}, "at most 300 s")],
)
def test_without_nbf_exp_and_the_five_minute_lifetime_stay_required(
    api, make_afnemer, clock, claims, reason
):
    client = make_afnemer()
    now = int(clock.now().timestamp())
    changes = {k: (now + v if v is not None else None) for k, v in claims.items()}
    assertion = client.assertion(clock, nbf=None, **changes)
    response = api.post("/api/v1/oauth2/token", data=token_form(assertion))
    assert_problem(response, 401)
    assert reason in response.json()["detail"]


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_a_method_the_path_does_not_have_is_405_whatever_the_body(api, make_afnemer, login, method):
    headers = login(make_afnemer())
    url = "/api/v1/messages/00000000-0000-0000-0000-000000000000/status"
    for extra in ({}, {"content": b"<x/>", "headers": {**headers, "Content-Type": "text/xml"}}):
        response = api.request(method.upper(), url, **({"headers": headers} | extra))
        assert_problem(response, 405)
        assert response.headers["allow"] == "GET"


def test_a_method_the_path_has_still_gets_415_for_the_wrong_media_type(api, make_afnemer, login):
    headers = login(make_afnemer())
    response = api.post("/api/v1/messages", content=b"x", headers=headers)
    assert_problem(response, 415)


def test_problem_extension_members_are_camel_case(api, make_afnemer, login):
    headers = login(make_afnemer())
    response = api.get("/api/v1/events?pageSize=0", headers=headers)
    assert_problem(response, 422)
    body = response.json()
    assert "invalidParams" in body and "invalid_params" not in body
    assert all("_" not in key for key in body)


def schema_of(document, name):
    return document["components"]["schemas"][name]


def test_the_openapi_document_states_what_the_code_enforces(api):
    document = api.get("/api/v1/openapi.json").json()
    delivery = schema_of(document, "DeliveryRequest")["properties"]
    assert delivery["bsn"]["pattern"] == "^[0-9]{9}$"
    assert delivery["bsn"]["format"] == "bsn" and "elfproef" in delivery["bsn"]["description"]
    assert delivery["subject"]["maxLength"] == 300
    assert delivery["subject"]["pattern"] == "^[^\\u0000]*$"
    representative = schema_of(document, "RepresentativeIn")
    assert [alt["required"] for alt in representative["oneOf"]] == [["bsn"], ["kvkNumber"]]
    assert representative["properties"]["kvkNumber"] | {"type": "string"} == {
        "type": "string",
        "pattern": "^[0-9]{8}$",
        "description": "KvK number: eight digits",
        "title": "Kvknumber",
    }  # a string, never null: "kvkNumber": null is neither alternative
    ends_at = schema_of(document, "MeasureFeedItem")["properties"]["endsAt"]
    assert {"type": "string", "format": "date-time", "pattern": "^(19|2[01])[0-9]{2}-"} in ends_at[
        "anyOf"
    ]
    assert all(alt["type"] in ("string", "null") for alt in ends_at["anyOf"])
    after = next(
        p for p in document["paths"]["/events"]["get"]["parameters"] if p["name"] == "after"
    )
    assert after["schema"]["maximum"] == 2**63 - 1


@pytest.mark.parametrize("ends_at", [0, 1700000000, True, "0"])
def test_ends_at_as_a_number_is_refused(api, make_register, login, ends_at):
    headers = login(make_register())
    item = {"registerId": "r-1", "operation": "end", "endsAt": ends_at}
    response = api.post("/api/v1/court-measures/_batch", json={"measures": [item]}, headers=headers)
    assert_problem(response, 422)
    assert any(p["name"].endswith("endsAt") for p in response.json()["invalidParams"])


def test_a_representative_with_both_or_neither_is_refused_as_the_document_says(
    api, session, make_afnemer, login
):
    headers = login(make_afnemer())
    person = factories.person(session)
    for representative in ({}, {"bsn": person.bsn, "kvkNumber": "12345678"}):
        payload = {
            "representative": representative,
            "personBsn": person.bsn,
            "serviceCode": "financial",
        }
        response = api.post("/api/v1/mandate-checks", json=payload, headers=headers)
        assert_problem(response, 422)
