"""The input rules (machtigen.inputs) and that every entrance of the afnemer API uses them:
each string of a request has a length and no NUL, each integer bounds within 64 bits, each
date or moment a string in the years 1900–2199 (with a timezone for a moment)."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError

from api.main import create_app
from machtigen.config import Settings
from machtigen.inputs import (
    INT64_MAX,
    INT64_MIN,
    NO_NUL_PATTERN,
    YEARS_PATTERN,
    Day,
    Moment,
    breaks_input_rules,
    check,
    refused_client_input,
)


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00+14:00",
        "1900-01-01T00:00:00Z",
        "2199-12-31T23:59:59-14:00",
    ],
)
def test_moments_in_range_with_a_timezone(value):
    assert check(Moment, value).tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+14:00",
        "1899-12-31T23:59:59+14:00",
        "2200-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        0,
        1.5,
        True,
        "0",
        "1700000000",
    ],
)
def test_moments_refused(value):
    with pytest.raises(ValueError):
        check(Moment, value)


def test_days():
    assert check(Day, "2199-12-31") == date(2199, 12, 31)
    for value in ("1899-12-31", "2200-01-01", 0, "0", "20260101"):
        with pytest.raises(ValueError):
            check(Day, value)


@pytest.mark.parametrize(
    ("value", "breaks"),
    [
        ("plain", False),
        ("a\x00b", True),
        ("\ud800", True),
        ('{"a": "\\u0000"}', True),
        (INT64_MAX, False),
        (INT64_MAX + 1, True),
        (INT64_MIN - 1, True),
        (True, False),
        (datetime(2026, 1, 1, tzinfo=UTC), False),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), True),
        ({"x": [1, "ok", {"y": "bad\x00"}]}, True),
        ([{"n": 2**70}], True),
    ],
)
def test_what_breaks_the_rules(value, breaks):
    assert breaks_input_rules(value) is breaks


def test_only_a_driver_refusal_of_such_a_value_is_the_clients():
    assert refused_client_input(DataError("INSERT", {"s": "a\x00"}, Exception("nul")))
    assert not refused_client_input(DataError("INSERT", {"s": "fine"}, Exception("nul")))
    assert not refused_client_input(ValueError("unrelated"))
    assert not refused_client_input(OverflowError("math range error"))


@pytest.fixture(scope="module")
def document(tmp_path_factory):
    folder = tmp_path_factory.mktemp("doc")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'doc.db'}", signing_key_file=str(folder / "key.pem")
    )
    with TestClient(create_app(settings)) as client:
        return client.get("/api/v1/openapi.json").json()


def request_schemas(document):
    """Every schema a request can carry, and every parameter, as (where, schema)."""
    schemas = document["components"]["schemas"]
    seen: set[str] = set()

    def walk(where, schema):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                yield from walk(name, schemas[name])
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for alternative in schema.get(key, []):
                yield from walk(where, alternative)
        if "items" in schema:
            yield from walk(f"{where}[]", schema["items"])
        for name, sub in schema.get("properties", {}).items():
            yield from walk(f"{where}.{name}", sub)
        if "type" in schema:
            yield where, schema

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                yield from walk(f"{method} {path} {parameter['name']}", parameter["schema"])
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(f"{method} {path} body", content["schema"])


def test_every_request_value_is_bounded(document):
    found = list(request_schemas(document))
    assert len(found) > 30
    for where, schema in found:
        kind = schema["type"]
        if kind == "string" and schema.get("format") in ("date", "date-time"):
            assert schema.get("pattern") == YEARS_PATTERN, where
        elif kind == "string" and "enum" not in schema and schema.get("format") != "uuid":
            fixed = schema.get("pattern", "").startswith("^[0-9]{")
            assert fixed or schema.get("maxLength"), where
            assert fixed or schema.get("pattern") == NO_NUL_PATTERN, where
        elif kind == "integer":
            assert INT64_MIN <= schema["minimum"] <= schema["maximum"] <= INT64_MAX, where
        elif kind == "array":
            assert schema.get("maxItems"), where
